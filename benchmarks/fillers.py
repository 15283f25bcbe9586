"""How much of each behaviour survives the fillers speech-to-text writes between words.

Real transcripts are full of "uh", "um", "erm" and particles such as "ah" and "eh" in the
middle of phrases ("i uh dont know", "im really um sorry"). This script writes a copy of some
labelled files with punctuation removed and, after a share of the words, a filler drawn at
random, then scores the clean and the noisy copies with the same system.

    python benchmarks/fillers.py data/heldout/*-[wx].jsonl --rate 0.12

prints F1 (precision/recall) per behaviour, turn level, all languages: as written, without
punctuation, with fillers (hesitations only), with fillers (hesitations and particles).
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
from pathlib import Path

import pandas as pd

import csqa
from csqa.evaluation import markdown
from gold_copies import rewritten_copy, turn_f1

HESITATIONS = ("uh", "um", "erm", "hmm")
PARTICLES = ("ah", "eh")
_PUNCTUATION = re.compile(r"[^\w\s'-]")


def _f1(paths: list[str], model: str) -> pd.Series:
    """Turn-level "F1 (precision/recall, n)" per behaviour, all languages."""
    return turn_f1(csqa.score(paths, model=model))


def noisy_copy(files: list[str], out_dir: Path, fillers: tuple[str, ...], rate: float, seed: int = 0) -> list[str]:
    """Write each labelled file to ``out_dir`` in lower case without punctuation, with one of
    ``fillers`` after each word with probability ``rate``; return the new paths."""
    rng = random.Random(seed)

    def add_fillers(row: pd.Series) -> str:
        words = []
        for word in _PUNCTUATION.sub(" ", str(row["text"]).lower()).split():
            words.append(word)
            if fillers and rng.random() < rate:
                words.append(rng.choice(fillers))
        return " ".join(words)

    return rewritten_copy(files, out_dir, add_fillers)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("gold", nargs="+", help="Labelled JSONL files (as for csqa evaluate).")
    parser.add_argument("--model", default="shipped", help='Model file or "shipped".')
    parser.add_argument("--rate", type=float, default=0.12, help="Share of words followed by a filler.")
    args = parser.parse_args(argv)
    columns = {"as written": _f1(args.gold, args.model)}
    with tempfile.TemporaryDirectory() as tmp:
        for name, fillers in (("no punctuation", ()), ("hesitations", HESITATIONS),
                              ("hesitations and particles", HESITATIONS + PARTICLES)):
            out = Path(tmp) / name.replace(" ", "_")
            out.mkdir()
            columns[name] = _f1(noisy_copy(args.gold, out, fillers, args.rate), args.model)
    print(markdown(pd.DataFrame(columns)))


if __name__ == "__main__":
    main()
