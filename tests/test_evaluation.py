"""Precision / recall / F1 against gold labels, on hand-computed examples."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from csqa.detection.base import hits_frame
from csqa.errors import InputError
from csqa.evaluation import evaluate_frames, in_split


def _gold() -> pd.DataFrame:
    return pd.DataFrame({
        "call_id": ["a", "a", "a", "b", "b"],
        "turn": [0, 1, 2, 0, 1],
        "lang": ["en", "en", "en", "ms", "ms"],
        "labels": [["greeting"], [], ["apology", "empathy"], ["apology"], []],
    })


def _hits(rows: list[tuple[str, int, str]]) -> pd.DataFrame:
    return hits_frame([{"call_id": c, "turn": t, "behaviour": b, "speaker": "agent", "start_char": 0,
                        "end_char": 1, "evidence": "", "source": "t", "confidence": 1.0} for c, t, b in rows])


def _row(report: pd.DataFrame, level: str, behaviour: str, lang: str) -> pd.Series:
    return report[(report["level"] == level) & (report["behaviour"] == behaviour) & (report["lang"] == lang)].iloc[0]


def test_evaluation_turn_and_call_level_counts() -> None:
    # apology: gold at (a,2) and (b,0); predicted at (a,1) [wrong turn] and (b,0) [right].
    report = evaluate_frames(_hits([("a", 1, "apology"), ("b", 0, "apology"), ("a", 0, "greeting")]), _gold())
    turn = _row(report, "turn", "apology", "all")
    assert (turn["tp"], turn["fp"], turn["fn"]) == (1, 1, 1)
    assert turn["precision"] == 0.5 and turn["recall"] == 0.5 and turn["f1"] == 0.5
    call = _row(report, "call", "apology", "all")          # present in both calls on both sides
    assert (call["tp"], call["fp"], call["fn"]) == (2, 0, 0)
    en = _row(report, "turn", "apology", "en")
    assert (en["tp"], en["fp"], en["fn"]) == (0, 1, 1)
    assert _row(report, "turn", "greeting", "en")["f1"] == 1.0


def test_evaluation_undefined_metrics_are_nan_not_zero() -> None:
    report = evaluate_frames(_hits([]), _gold())
    empathy = _row(report, "turn", "empathy", "all")
    assert empathy["recall"] == 0.0 and math.isnan(empathy["precision"])
    nothing = _row(report, "turn", "dead_air", "all")
    assert nothing["support"] == 0 and math.isnan(nothing["f1"])


def test_evaluation_hits_outside_gold_calls_are_ignored() -> None:
    report = evaluate_frames(_hits([("zzz", 0, "apology")]), _gold())
    assert _row(report, "turn", "apology", "all")["fp"] == 0


def test_evaluation_unknown_gold_label_is_an_error() -> None:
    gold = _gold()
    gold.at[1, "labels"] = ["apologie"]
    with pytest.raises(InputError, match='label "apologie" is not a behaviour id'):
        evaluate_frames(_hits([]), gold)


def test_evaluation_split_alternates_sorted_calls_so_halves_are_balanced() -> None:
    ids = pd.Series([f"{lang}-{i:04d}" for lang in ("en", "ms", "tl") for i in range(1, 11)] * 3)
    dev, test = in_split(ids, "dev"), in_split(ids, "test")
    assert (dev ^ test).all()
    assert ids[dev].str[:2].value_counts().tolist() == [15, 15, 15]
    assert in_split(ids, "all").all()
    with pytest.raises(InputError, match="split"):
        in_split(ids, "train")
