"""The command line: exit codes, stdout vs stderr, output folder contents."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from csqa.cli import app

runner = CliRunner()

CALLS = [
    {"call_id": "c1", "turn": 0, "speaker": "agent", "text": "thank you for calling acme this is dan how can i help", "agent_id": "A1"},
    {"call_id": "c1", "turn": 1, "speaker": "customer", "text": "my bill is wrong again this is ridiculous", "agent_id": "A1"},
    {"call_id": "c1", "turn": 2, "speaker": "agent", "text": "im so sorry about that let me check for you", "agent_id": "A1"},
    {"call_id": "c2", "turn": 0, "speaker": "agent", "text": "magandang umaga po salamat sa pagtawag", "agent_id": "A2"},
    {"call_id": "c2", "turn": 1, "speaker": "customer", "text": "wala pa rin po yung refund ko", "agent_id": "A2"},
    {"call_id": "c2", "turn": 2, "speaker": "agent", "text": "pasensya na po sa abala", "agent_id": "A2"},
]


@pytest.fixture
def calls_file(tmp_path: Path) -> Path:
    path = tmp_path / "calls.jsonl"
    lines = [json.dumps(r) for r in CALLS] + ['{"call_id": "c3", "turn": 0, "speaker": "agnt", "text": "hello"}', "{not json"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_score_writes_tables_rejects_and_manifest(calls_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["score", str(calls_file), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["agents.parquet", "calls.parquet", "hits.parquet", "rejects.jsonl", "report.html", "run.json"]
    page = (out / "report.html").read_text()
    assert "A1" in page and "<table>" in page and "<script" not in page
    (out / "report.html").unlink()
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0 and (out / "report.html").exists()
    calls = pd.read_parquet(out / "calls.parquet")
    assert sorted(calls["call_id"]) == ["c1", "c2"]
    hits = pd.read_parquet(out / "hits.parquet")
    assert {"apology", "greeting"} <= set(hits["behaviour"])
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert [(r["input_line"], r["reason_code"]) for r in rejects] == [(7, "unknown_speaker"), (8, "bad_json")]
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["counts"]["calls"] == 2 and manifest["counts"]["rejects"] == 2
    assert "A1" in result.stdout                                  # the agent table goes to stdout


def test_cli_score_csv_format(calls_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["score", str(calls_file), "--out", str(out), "--format", "csv", "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "hits.csv").exists() and (out / "agents.csv").exists()


def test_cli_missing_file_is_one_line_error_exit_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "nope.jsonl" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_cli_validate_lists_rejects_on_stdout(calls_file: Path) -> None:
    result = runner.invoke(app, ["validate", str(calls_file), "--format", "csv"])
    assert result.exit_code == 0
    assert "unknown_speaker" in result.stdout and "bad_json" in result.stdout


def test_cli_behaviours_lists_catalogue_with_languages() -> None:
    result = runner.invoke(app, ["behaviours", "--format", "json"])
    rows = json.loads(result.stdout)
    by_id = {r["id"]: r for r in rows}
    assert len(rows) == 23
    assert by_id["apology"]["languages"] == "en,ms,tl"
    assert by_id["dead_air"]["languages"] == "any (rule)"


def test_cli_scorecard_check_keeps_bracketed_item_names(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[scorecard]\nname = "x"\n[items.apology]\nweight = 5\napplies_when = "customer_reportd_problem"\n')
    result = runner.invoke(app, ["scorecard", "check", str(bad)])
    assert result.exit_code == 1
    assert "[items.apology]" in result.output and "customer_reported_problem" in result.output


def test_cli_explain_shows_rule(tmp_path: Path) -> None:
    result = runner.invoke(app, ["explain", "pasensya na po sa abala", "--speaker", "agent"])
    assert result.exit_code == 0 and "apology" in result.stdout


def test_cli_lexicon_check_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "acme.jsonl"
    bad.write_text('{"id": "x.apology.a", "label": "apology", "pattern": "so sorry"}\n{"id": "x.b", "label": "apologie", "pattern": "x"}\n')
    result = runner.invoke(app, ["lexicon", "check", str(bad)])
    assert result.exit_code == 1
    assert "acme.jsonl:2" in result.output and 'did you mean "apology"' in result.output


def test_cli_lexicon_check_names_a_final_that_is_not_a_boolean(tmp_path: Path) -> None:
    bad = tmp_path / "acme.jsonl"
    bad.write_text('// mine\n{"id": "x.apology.a", "label": "apology", "pattern": "so sorry", "final": "yes"}\n')
    result = runner.invoke(app, ["lexicon", "check", str(bad)])
    assert result.exit_code == 1
    said = " ".join(result.output.split())  # the terminal may wrap the message
    assert "acme.jsonl:2" in said and "final 'yes' is not true or false" in said
