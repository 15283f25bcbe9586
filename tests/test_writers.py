"""Atomic output folders and incremental tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from csqa.errors import InputError
from csqa.writers import RunWriter


def test_writers_tables_written_in_pieces_and_folder_appears_complete(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with RunWriter(out) as w:
        w.write("hits", pd.DataFrame({"call_id": ["a"], "turn": [0], "evidence": [None]}))
        w.write("hits", pd.DataFrame({"call_id": ["b"], "turn": [3], "evidence": ["sorry"]}))
        w.write_rejects(pd.DataFrame({"input_file": ["x.jsonl"], "input_line": [7], "call_id": [None],
                                      "reason_code": ["bad_json"], "reason": ["line 7 is not JSON"]}))
        w.write_manifest({"n": 2})
        assert not out.exists()                         # nothing visible until the run completes
    table = pd.read_parquet(out / "hits.parquet")
    assert table["call_id"].tolist() == ["a", "b"] and table["evidence"].tolist()[1] == "sorry"
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert rejects == [{"input_file": "x.jsonl", "input_line": 7, "call_id": None, "reason_code": "bad_json", "reason": "line 7 is not JSON"}]
    assert json.loads((out / "run.json").read_text()) == {"n": 2}


def test_writers_interrupted_run_leaves_old_output_and_no_partial_files(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with RunWriter(out, format="csv") as w:
        w.write("calls", pd.DataFrame({"call_id": ["old"]}))
    with pytest.raises(KeyboardInterrupt):
        with RunWriter(out, format="csv") as w:
            w.write("calls", pd.DataFrame({"call_id": ["new"]}))
            raise KeyboardInterrupt
    assert pd.read_csv(out / "calls.csv")["call_id"].tolist() == ["old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_writers_replace_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "run"
    for value in ("first", "second"):
        with RunWriter(out, format="csv") as w:
            w.write("calls", pd.DataFrame({"call_id": [value]}))
            w.write("calls", pd.DataFrame({"call_id": [value + "-2"]}))
    assert pd.read_csv(out / "calls.csv")["call_id"].tolist() == ["second", "second-2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_writers_unknown_format_is_an_error() -> None:
    with pytest.raises(InputError, match='format "xlsx" is not one of: parquet, csv'):
        RunWriter("x", format="xlsx")
