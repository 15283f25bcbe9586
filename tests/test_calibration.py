"""Calibration against human QA marks: correlation, kappa, largest differences, unmatched ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csqa.calibration import calibrate, cohen_kappa, load_human
from csqa.errors import InputError


def machine(n: int = 12) -> pd.DataFrame:
    """A csqa calls table: scores 0, 10, ..., greeting met on even calls, apology N/A on c0-c3."""
    return pd.DataFrame({
        "call_id": [f"c{i}" for i in range(n)],
        "agent_id": ["a" if i % 2 else "b" for i in range(n)],
        "score": [10.0 * i for i in range(n)],
        "auto_fail": False,
        "greeting": [1.0 if i % 2 == 0 else 0.0 for i in range(n)],
        "apology": [np.nan if i < 4 else float(i % 2 == 0) for i in range(n)],
        "n_greeting": [1 if i % 2 == 0 else 0 for i in range(n)],
        "team": "kl",
    })


@pytest.mark.parametrize("a, b, expected", [
    # p_o = 3/4; csqa says met 1/2, human 1/4: p_e = 0.5*0.25 + 0.5*0.75 = 0.5
    # kappa = (0.75 - 0.5) / (1 - 0.5) = 0.5
    (["met", "met", "missed", "missed"], ["met", "missed", "missed", "missed"], 0.5),
    (["met", "missed", "n/a"], ["met", "missed", "n/a"], 1.0),
    # always the same single label: p_e = 1, kappa undefined
    (["met", "met"], ["met", "met"], np.nan),
    # systematic disagreement: p_o = 0, p_e = 0.5 -> -1
    (["met", "missed"], ["missed", "met"], -1.0),
])
def test_calibration_cohen_kappa_hand_computed(a, b, expected):
    assert cohen_kappa(pd.Series(a), pd.Series(b)) == pytest.approx(expected, nan_ok=True)


@pytest.mark.parametrize("n", [12])
def test_calibration_perfect_agreement(n):
    calls = machine(n)
    human = calls[["call_id", "score", "greeting", "apology"]].copy()
    report = calibrate(calls, human)
    assert report.n_matched == n and report.n_score_pairs == n
    assert report.pearson == pytest.approx(1.0) and report.spearman == pytest.approx(1.0)
    assert report.mean_abs_diff == 0 and report.mean_diff == 0
    items = report.items.set_index("item")
    assert list(items.index) == ["greeting", "apology"]
    assert items.loc["greeting", "kappa"] == pytest.approx(1.0)
    # apology: 4 N/A on both sides, 8 met/missed: kappa over met / missed / n/a is 1
    assert items.loc["apology", "n"] == n and items.loc["apology", "n_both_applicable"] == n - 4
    assert report.unmatched_human == () and report.unmatched_csqa == ()


@pytest.mark.parametrize("shift", [5.0])
def test_calibration_scores_against_scipy(shift):
    calls = machine()
    rng = np.random.default_rng(0)
    human = pd.DataFrame({"call_id": calls["call_id"], "score": calls["score"] + shift + rng.normal(0, 8, len(calls))})
    report = calibrate(calls, human)
    assert report.pearson == pytest.approx(stats.pearsonr(calls["score"], human["score"])[0])
    assert report.spearman == pytest.approx(stats.spearmanr(calls["score"], human["score"])[0])
    diff = calls["score"] - human["score"]
    assert report.mean_diff == pytest.approx(diff.mean())
    assert report.mean_abs_diff == pytest.approx(diff.abs().mean())
    top = report.largest_differences
    assert len(top) == 10
    assert list(top["difference"].abs()) == sorted(diff.abs(), reverse=True)[:10]
    assert set(top.columns) >= {"call_id", "agent_id", "score_csqa", "score_human", "difference"}


@pytest.mark.parametrize("n", [12])
def test_calibration_reports_unmatched_calls(n):
    calls = machine(n)
    human = pd.DataFrame({"call_id": ["c0", "c1", "c2", "x9", "x8"], "score": [0, 10, 20, 50, 60]})
    report = calibrate(calls, human)
    assert report.n_matched == 3
    assert report.unmatched_human == ("x8", "x9")
    assert report.unmatched_csqa == tuple(sorted(f"c{i}" for i in range(3, n)))
    text = report.to_text()
    assert "2 human-marked calls were not scored by csqa (left out): x8, x9" in text
    assert f"{n - 3} csqa-scored calls have no human mark" in text


CSV = """call_id,score,greeting,apology,reviewer
c0,0,met,n/a,jo
c1,10,missed,,jo
c2,25,yes,N/A,sam
c3,30,0,na,sam
c4,40,1,met,sam
c5,50,no,fail,jo
"""


@pytest.mark.parametrize("text", [CSV])
def test_calibration_reads_human_csv_marks(text, tmp_path):
    path = tmp_path / "human.csv"
    path.write_text(text, encoding="utf-8")
    human = load_human(path)
    assert human.loc[1, "apology"] == ""  # empty = not rated, kept apart from "n/a"
    report = calibrate(machine(), path)
    items = report.items.set_index("item")
    # greeting: all 6 rated and all agree with csqa (met on even calls)
    assert items.loc["greeting", "n"] == 6 and items.loc["greeting", "agreement"] == 1.0
    # apology: c1 not rated; c0, c2, c3 n/a on both sides; c4 met = met; c5 missed = missed
    assert items.loc["apology", "n"] == 5 and items.loc["apology", "agreement"] == 1.0
    assert items.loc["apology", "n_both_applicable"] == 2
    assert report.ignored_columns == ("reviewer",)
    assert report.largest_differences.iloc[0]["call_id"] == "c2"
    assert report.largest_differences.iloc[0]["difference"] == -5.0


@pytest.mark.parametrize("mark", ["maybe"])
def test_calibration_rejects_unknown_marks(mark, tmp_path):
    path = tmp_path / "human.csv"
    path.write_text(f"call_id,greeting\nc0,{mark}\n", encoding="utf-8")
    with pytest.raises(InputError, match='human.csv: call c0: greeting "maybe" is not one of: met, missed, n/a'):
        calibrate(machine(), path)


@pytest.mark.parametrize("body, message", [
    ("call_id,score\nc0,1\nc0,2\n", "call_id 'c0' appears more than once"),
    ("id,score\nc0,1\n", "column call_id is missing"),
])
def test_calibration_bad_human_files(body, message, tmp_path):
    path = tmp_path / "human.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        calibrate(machine(), path)


@pytest.mark.parametrize("items", [["empathy"]])
def test_calibration_requested_item_must_exist(items):
    human = machine()[["call_id", "score", "greeting"]]
    with pytest.raises(InputError, match='item "empathy" is not a column of both tables'):
        calibrate(machine(), human, items=items)


@pytest.mark.parametrize("ids", [["007", "010"]])
def test_calibration_keeps_call_ids_as_text(ids, tmp_path):
    calls = machine(2).assign(call_id=ids)
    path = tmp_path / "human.csv"
    path.write_text("call_id,score\n007,0\n010,10\n", encoding="utf-8")
    assert calibrate(calls, path).n_matched == 2


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_calibration_reads_a_scored_folder(fmt, tmp_path: Path):
    calls = machine()
    if fmt == "parquet":
        calls.to_parquet(tmp_path / "calls.parquet")
    else:
        calls.to_csv(tmp_path / "calls.csv", index=False)
    report = calibrate(tmp_path, calls[["call_id", "score"]])
    assert report.n_matched == len(calls) and report.pearson == pytest.approx(1.0)


@pytest.mark.parametrize("scale", [0.01])
def test_calibration_warns_on_fraction_scores(scale):
    calls = machine()
    human = pd.DataFrame({"call_id": calls["call_id"], "score": calls["score"] * scale * 0.9})
    with pytest.warns(UserWarning, match="between 0 and 1"):
        calibrate(calls, human)
