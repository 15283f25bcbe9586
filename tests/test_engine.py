"""The streaming batch engine (``csqa score``): same tables for any --jobs and chunking,
calls whose rows are scattered across a file or files, rejects found across blocks, and no
trace of an interrupted run."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import csqa
from csqa import engine, units
from csqa.cli import app
from csqa.engine import run_score
from csqa.pipeline import Settings, make_settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate  # noqa: E402

TABLES = ("hits", "calls", "agents")


def tables(folder: Path) -> dict[str, object]:
    """The three tables of a run folder, and its rejects file's text."""
    out: dict[str, object] = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    out["rejects"] = (folder / "rejects.jsonl").read_text(encoding="utf-8")
    return out


def assert_same(a: dict[str, object], b: dict[str, object]) -> None:
    for name in a:
        if name == "rejects":
            assert a[name] == b[name]
        else:
            pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def settings() -> Settings:
    return make_settings()


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 generated calls of about 8 turns, rows of a call together."""
    path = tmp_path_factory.mktemp("in") / "calls.jsonl"
    generate(30, 8, 11, path)
    return path


@pytest.fixture(scope="module")
def reference(batch: Path, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("ref") / "out"
    manifest, _ = run_score([batch], out, settings, n_jobs=1)
    assert manifest["streaming"]["units"] == 1
    return tables(out)


def test_engine_jobs_2_gives_the_same_tables_as_jobs_1(batch: Path, settings: Settings, reference: dict[str, object],
                                                       tmp_path: Path) -> None:
    manifest, _ = run_score([batch], tmp_path / "out", settings, n_jobs=2, chunk_rows=40)
    assert manifest["streaming"]["units"] > 2 and manifest["streaming"]["ranges"] > 1
    assert_same(reference, tables(tmp_path / "out"))


def test_engine_small_chunks_give_the_same_tables(batch: Path, settings: Settings, reference: dict[str, object],
                                                  tmp_path: Path) -> None:
    manifest, _ = run_score([batch], tmp_path / "out", settings, n_jobs=1, chunk_rows=25)
    assert manifest["streaming"]["buckets"] > 5
    assert_same(reference, tables(tmp_path / "out"))


def test_engine_equals_csqa_score_and_orders_calls_by_first_appearance(batch: Path, reference: dict[str, object],
                                                                       tmp_path: Path) -> None:
    result = csqa.score(batch)
    result.to_dir(tmp_path / "mem")
    mem = tables(tmp_path / "mem")
    calls, hits = reference["calls"], reference["hits"]
    assert calls["call_id"].tolist() == list(dict.fromkeys(csqa.read(batch)["call_id"]))
    pd.testing.assert_frame_equal(calls, mem["calls"])
    pd.testing.assert_frame_equal(reference["agents"], mem["agents"])
    # hits: grouped by call in the calls' order, then by turn (csqa.score orders by call id)
    rank = {c: i for i, c in enumerate(calls["call_id"])}
    assert hits["call_id"].map(rank).is_monotonic_increasing
    assert hits.groupby("call_id", sort=False)["turn"].apply(lambda t: t.is_monotonic_increasing).all()
    ordered = mem["hits"].sort_values("call_id", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(hits, ordered)


def test_engine_rebuilding_the_tokenizer_to_bound_memory_changes_nothing(
        batch: Path, settings: Settings, reference: dict[str, object], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from csqa import nlp

    rebuilt = []
    real = units.bound_vocabulary
    monkeypatch.setattr(units, "MAX_VOCAB", 10)
    monkeypatch.setattr(units, "bound_vocabulary", lambda: rebuilt.append(real()) or rebuilt[-1])
    run_score([batch], tmp_path / "out", settings, n_jobs=1, chunk_rows=60)
    assert sum(rebuilt) >= 2 and len(nlp.tokenizer().vocab) < 2000
    assert_same(reference, tables(tmp_path / "out"))


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _by_call(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("call_id", kind="stable").reset_index(drop=True)


def _write_as(path: Path, rows: list[dict]) -> Path:
    if path.suffix == ".jsonl":
        return _write(path, rows)
    frame = pd.DataFrame(rows)
    frame.to_csv(path, index=False) if path.suffix == ".csv" else frame.to_parquet(path)
    return path


@pytest.mark.parametrize("ext", [".jsonl", ".csv", ".parquet"])
def test_engine_call_rows_scattered_across_a_file_and_two_files_score_one_call_each(
        batch: Path, settings: Settings, reference: dict[str, object], tmp_path: Path, ext: str) -> None:
    rows = _rows(batch)
    random.Random(3).shuffle(rows)
    one = _write_as(tmp_path / f"shuffled{ext}", rows)
    two = [_write_as(tmp_path / f"a{ext}", rows[: len(rows) // 2]), _write_as(tmp_path / f"b{ext}", rows[len(rows) // 2:])]
    for name, inputs in (("one", [one]), ("two", two)):
        run_score(inputs, tmp_path / name, settings, n_jobs=1, chunk_rows=30)
        got = tables(tmp_path / name)
        calls = got["calls"]
        assert calls["call_id"].is_unique and len(calls) == 30
        assert calls["call_id"].tolist() == list(dict.fromkeys(r["call_id"] for r in rows))
        pd.testing.assert_frame_equal(_by_call(calls), _by_call(reference["calls"]))
        pd.testing.assert_frame_equal(_by_call(got["hits"]), _by_call(reference["hits"]))
        pd.testing.assert_frame_equal(got["agents"], reference["agents"])
        assert got["rejects"] == ""


def test_engine_duplicate_turn_in_another_block_and_file_becomes_a_reject_with_file_and_line(
        batch: Path, settings: Settings, reference: dict[str, object], tmp_path: Path) -> None:
    rows = _rows(batch)
    a = _write(tmp_path / "a.jsonl", rows)
    copy = dict(rows[3], text="said again")
    b = _write(tmp_path / "b.jsonl", [rows[-1] | {"call_id": "extra"}, copy])
    manifest, _ = run_score([a, b], tmp_path / "out", settings, n_jobs=1, chunk_rows=30)
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert rejects == [{"input_file": str(b), "input_line": 2, "call_id": copy["call_id"],
                        "reason_code": "duplicate_turn",
                        "reason": f'turn {copy["turn"]} of call "{copy["call_id"]}" appears again (first at {a}:4)'}]
    calls = pd.read_parquet(tmp_path / "out" / "calls.parquet")
    assert calls["call_id"].tolist() == [*reference["calls"]["call_id"], "extra"]
    assert manifest["counts"]["rejects"] == 1 and manifest["counts"]["utterances"] == len(rows) + 1


def test_engine_interrupted_run_leaves_no_output_and_no_temp_files(batch: Path, settings: Settings, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    calls = {"n": 0}
    real = units.score_chunk

    def failing(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(units, "score_chunk", failing)
    with pytest.raises(RuntimeError, match="worker died"):
        run_score([batch], out, settings, n_jobs=1, chunk_rows=25)
    assert calls["n"] == 3
    assert list(tmp_path.iterdir()) == []


def test_engine_interrupt_while_reading_leaves_previous_output_alone(batch: Path, settings: Settings, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    run_score([batch], out, settings, n_jobs=1)
    before = tables(out)
    real = engine.iter_tables

    def interrupted(*args: object, **kwargs: object) -> Iterator[object]:
        blocks = real(*args, **kwargs)
        yield next(blocks)
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "iter_tables", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_score([batch], out, settings, n_jobs=1, chunk_rows=25)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert_same(before, tables(out))


def test_engine_cli_jobs_2_csv(batch: Path, reference: dict[str, object], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["score", str(batch), "--out", str(tmp_path / "out"), "--jobs", "2",
                                      "--format", "csv", "-q"])
    assert result.exit_code == 0, result.output
    calls = pd.read_csv(tmp_path / "out" / "calls.csv")
    assert calls["call_id"].tolist() == reference["calls"]["call_id"].tolist()
    assert len(pd.read_csv(tmp_path / "out" / "hits.csv")) == len(reference["hits"])
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["n_jobs"] == 2 and run["counts"]["calls"] == 30


def test_engine_empty_and_all_rejected_inputs_write_empty_tables(settings: Settings, tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.jsonl", [{"call_id": "c1", "speaker": "nobody", "text": "hi"}])
    manifest, agents = run_score([bad], tmp_path / "out", settings, n_jobs=1)
    assert manifest["counts"] == {"utterances": 0, "calls": 0, "hits": 0, "agents": 0, "rejects": 1}
    for name in TABLES:
        assert len(pd.read_parquet(tmp_path / "out" / f"{name}.parquet")) == 0
