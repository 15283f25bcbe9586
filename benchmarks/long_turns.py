"""How much of each behaviour survives when its turn is buried in a long turn.

The labelled turns are short (median 11 words); a real agent's turn often runs to 40 or more.
This script pads every turn of some labelled files with two quiet turns of the same speaker and
language taken from other calls (one before, one after) and scores the padded copy twice: with
the model's windows (:mod:`csqa.classifier`) and with them switched off. A quiet turn has no gold
label and no hit of its own, so the padding adds words, not behaviours. (It is not always quiet
in its new place: a "we cannot waive it" whose "but" came in the next turn of its own call reads
as negative language next to a stranger's words, so the padded copy's precision is a lower bound.)

    python benchmarks/long_turns.py data/heldout/*-[wx].jsonl

prints F1 (precision/recall) per behaviour, turn level, all languages: as written, padded
without windows, padded with windows.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import pandas as pd

import csqa
from csqa import classifier
from csqa.evaluation import errors, markdown
from gold_copies import rewritten_copy, turn_f1


def padded_copy(files: list[str], result: csqa.ScoreResult, out_dir: Path, seed: int = 7) -> list[str]:
    """Write a padded copy of each labelled JSONL file to ``out_dir``, quiet turns judged by
    ``result`` (the files scored as they are); return the new paths."""
    rows = result.utterances
    found = errors(result.hits, rows).query("kind == 'fp'")
    noisy = pd.MultiIndex.from_arrays([rows["call_id"], rows["turn"]]).isin(
        pd.MultiIndex.from_arrays([found["call_id"], found["turn"]]))
    quiet = rows[(rows["labels"].map(len) == 0) & (rows["text"].str.split().str.len() >= 6) & ~noisy]
    pools = {key: list(zip(g["call_id"], g["text"])) for key, g in quiet.groupby(["speaker", "lang"])}
    rng = random.Random(seed)

    def pad(row: pd.Series) -> str:
        pool = pools.get((row["speaker"], row["lang"]), [])
        pool = pool if len(pool) >= 20 else pools[(row["speaker"], "en")]
        before, after = [t for c, t in rng.sample(pool, 4) if c != row["call_id"]][:2]
        return f"{before} {row['text']} {after}"

    return rewritten_copy(files, out_dir, pad)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("gold", nargs="+", help="Labelled JSONL files (as for csqa evaluate).")
    parser.add_argument("--model", default="shipped", help='Model file or "shipped".')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        as_scored = csqa.score(args.gold, model=args.model)
        as_written = turn_f1(as_scored)
        padded = padded_copy(args.gold, as_scored, Path(tmp))
        with_windows = turn_f1(csqa.score(padded, model=args.model))
        windows = classifier.WINDOW_WORDS
        classifier.WINDOW_WORDS = sys.maxsize
        try:
            without_windows = turn_f1(csqa.score(padded, model=args.model))
        finally:
            classifier.WINDOW_WORDS = windows
    table = pd.DataFrame({"as written": as_written, "padded, no windows": without_windows,
                          "padded, windows": with_windows})
    print(markdown(table))


if __name__ == "__main__":
    main()
