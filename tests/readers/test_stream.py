"""Chunked reading: blocks validated row by row, then whole calls finished, equal a whole read."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest

from csqa.errors import InputError
from csqa.readers import finish_calls, iter_tables, read_table
from csqa.readers.stream import table_columns

DATA = Path(__file__).parent / "data"


def _stream(paths: list[Path], chunk_rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    blocks = list(iter_tables(paths, chunk_rows=chunk_rows))
    rows = pd.concat([b.rows for b in blocks], ignore_index=True)
    files = {f for b in blocks for f in b.files}
    merged = set().union(*(b.merge_by_time for b in blocks)) if len(files) > 1 else set()
    done = finish_calls(rows, merge_by_time=merged, columns=table_columns([b.rows.columns for b in blocks]))
    rejects = pd.concat([*(b.rejects for b in blocks), done.rejects], ignore_index=True)
    return done.utterances, rejects


def _readable(path: Path) -> bool:
    try:
        read_table(path)
    except InputError:
        return False
    return True


def _sorted(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejects in a comparable form: sorted, and duplicate-turn reasons reduced to their code
    (when the first copy is in another file, the streamed reason names that file too)."""
    rejects = rejects.sort_values(["input_file", "input_line", "reason_code"]).reset_index(drop=True)
    rejects.loc[rejects["reason_code"] == "duplicate_turn", "reason"] = "duplicate"
    return rejects


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("chunk_rows", [1, 3, 10_000])
def test_stream_blocks_of_every_sample_file_equal_a_whole_read(chunk_rows: int) -> None:
    paths = [p for p in sorted(DATA.iterdir()) if _readable(p)]
    assert len(paths) > 10
    whole = read_table(paths)
    utterances, rejects = _stream(paths, chunk_rows)
    pd.testing.assert_frame_equal(whole.utterances, utterances, check_dtype=False)
    pd.testing.assert_frame_equal(_sorted(whole.rejects), _sorted(rejects), check_dtype=False)


@pytest.mark.parametrize("seed", range(30))
def test_stream_scattered_calls_across_blocks_and_files_equal_a_whole_read(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    rows = []
    for c in range(rng.randint(1, 5)):
        numbered = rng.random() < 0.6
        for t in range(rng.randint(1, 6)):
            row = {"call_id": f"c{c}", "speaker": rng.choice(["agent", "customer", "AGENT", "bogus"]),
                   "text": rng.choice(["hello", "sorry about that", "", "thanks"])}
            if numbered:
                row["turn"] = rng.choice([t, t, max(0, t - 1), None])
            if rng.random() < 0.7:
                row["agent_id"] = rng.choice(["A", "B", " ", None])
            if rng.random() < 0.3:
                row["team"] = rng.choice(["x", "y"])
            rows.append(row)
    rng.shuffle(rows)
    cut = rng.randint(0, len(rows))
    paths = [_write_jsonl(tmp_path / "a.jsonl", rows[:cut]), _write_jsonl(tmp_path / "b.jsonl", rows[cut:])]
    whole = read_table(paths)
    for chunk_rows in (1, 2, 5):
        utterances, rejects = _stream(paths, chunk_rows)
        pd.testing.assert_frame_equal(whole.utterances, utterances, check_dtype=False)
        pd.testing.assert_frame_equal(_sorted(whole.rejects), _sorted(rejects), check_dtype=False)


def test_stream_duplicate_turn_in_another_block_and_file_is_rejected_with_file_and_line(tmp_path: Path) -> None:
    a = _write_jsonl(tmp_path / "a.jsonl", [
        {"call_id": "c1", "turn": 0, "speaker": "agent", "text": "hello"},
        {"call_id": "c2", "turn": 0, "speaker": "agent", "text": "hi"},
        {"call_id": "c1", "turn": 1, "speaker": "customer", "text": "hi"},
    ])
    b = _write_jsonl(tmp_path / "b.jsonl", [
        {"call_id": "c2", "turn": 1, "speaker": "customer", "text": "yes"},
        {"call_id": "c1", "turn": 1, "speaker": "customer", "text": "again"},
    ])
    utterances, rejects = _stream([a, b], chunk_rows=1)
    assert utterances[["call_id", "turn"]].values.tolist() == [["c1", 0], ["c1", 1], ["c2", 0], ["c2", 1]]
    [reject] = rejects.to_dict("records")
    assert reject["input_file"] == str(b) and reject["input_line"] == 2
    assert reject["reason_code"] == "duplicate_turn"
    assert reject["reason"] == f'turn 1 of call "c1" appears again (first at {a}:3)'


def test_stream_csv_and_parquet_in_blocks_keep_lines(tmp_path: Path) -> None:
    frame = pd.DataFrame({"call_id": ["c1", "c2", "c1", "c2", "c1"], "speaker": ["agent", "agent", "customer", "customer", "zz"],
                          "text": ["a", "b", "c", "d", "e"], "queue": [1, 2, 3, 4, 5]})
    frame.to_csv(tmp_path / "x.csv", index=False)
    frame.to_parquet(tmp_path / "x.parquet")
    for name in ("x.csv", "x.parquet"):
        utterances, rejects = _stream([tmp_path / name], chunk_rows=2)
        assert utterances["input_line"].tolist() == [1, 3, 2, 4]
        assert utterances["turn"].tolist() == [0, 1, 0, 1]
        assert rejects["input_line"].tolist() == [5] and rejects["reason_code"].tolist() == ["unknown_speaker"]


def test_stream_required_column_missing_from_the_whole_file_raises_at_its_end(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "x.jsonl", [{"call_id": "c1", "text": "hi"}] * 3)
    with pytest.raises(InputError, match=r'x\.jsonl: required column "speaker" is missing'):
        list(iter_tables([path], chunk_rows=1))


def test_stream_required_column_missing_from_one_block_only_rejects_those_rows(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "x.jsonl", [{"call_id": "c1", "text": "hi"},
                                               {"call_id": "c1", "speaker": "agent", "text": "hello"}])
    utterances, rejects = _stream([path], chunk_rows=1)
    assert utterances["text"].tolist() == ["hello"]
    assert rejects[["input_line", "reason_code"]].values.tolist() == [[1, "missing_value"]]


def test_stream_block_arrow_refuses_falls_back_to_line_by_line_and_equals_a_whole_read(tmp_path: Path) -> None:
    from csqa.readers.blocks import _arrow_jsonl

    rows = [{"call_id": "c1", "turn": i, "speaker": "agent", "text": f"line {i}", "start": float(i)} for i in range(4)]
    plain = _write_jsonl(tmp_path / "plain.jsonl", rows).read_bytes()
    assert _arrow_jsonl("plain.jsonl", plain, plain.splitlines(), 1, set()) is not None
    rows[2]["start"] = "about two"  # a value that changes type: Arrow's JSON reader refuses the block
    path = _write_jsonl(tmp_path / "mixed_types.jsonl", rows)
    data = path.read_bytes()
    assert _arrow_jsonl(str(path), data, data.splitlines(), 1, set()) is None
    whole = read_table(path)
    utterances, rejects = _stream([path], chunk_rows=10)
    pd.testing.assert_frame_equal(whole.utterances, utterances, check_dtype=False)
    pd.testing.assert_frame_equal(_sorted(whole.rejects), _sorted(rejects), check_dtype=False)
    assert len(utterances) + len(rejects) == 4  # every record scored or rejected with a reason
