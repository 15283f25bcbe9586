"""Shared by the accuracy benchmarks: rewritten copies of labelled files, and their turn-level F1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

import csqa
from csqa.evaluation import summary


def turn_f1(result: csqa.ScoreResult) -> pd.Series:
    """Turn-level "F1 (precision/recall, n)" per behaviour, all languages, of a scored gold batch."""
    return summary(csqa.evaluate(result, result.utterances, level="turn"), level="turn")["all"]


def rewritten_copy(files: list[str], out_dir: Path, rewrite: Callable[[pd.Series], str]) -> list[str]:
    """Write each labelled JSONL file to ``out_dir`` with every row's text replaced by
    ``rewrite(row)`` (labels and everything else unchanged); return the new paths."""
    paths = []
    for path in files:
        table = pd.read_json(path, lines=True)
        table["text"] = [rewrite(row) for _, row in table.iterrows()]
        out = out_dir / Path(path).name
        table.to_json(out, orient="records", lines=True, force_ascii=False)
        paths.append(str(out))
    return paths
