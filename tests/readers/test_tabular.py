"""csqa.readers (public API) and csqa.readers.tabular: jsonl, json, csv/tsv, parquet."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csqa.errors import InputError, RejectedRecordsWarning
from csqa.readers import FORMATS, ReadResult, read, read_table, sniff_format, validate
from csqa.schema import CANONICAL_COLUMNS, DTYPES
from csqa.types import REJECT_COLUMNS

DATA = Path(__file__).parent / "data"


@pytest.fixture
def all_formats(tmp_path: Path) -> dict[str, Path]:
    """The same two calls as jsonl, csv, tsv, parquet and call-per-object json."""
    csv = pd.read_csv(DATA / "calls.csv", dtype=str, keep_default_na=False)
    typed = csv.replace("", None).astype({"turn": "int64", "start": "float64", "end": "float64"})
    typed.to_parquet(tmp_path / "calls.parquet", index=False)
    csv.to_csv(tmp_path / "calls.tsv", sep="\t", index=False)
    return {"jsonl": DATA / "calls.jsonl", "csv": DATA / "calls.csv", "json": DATA / "calls.json",
            "parquet": tmp_path / "calls.parquet", "tsv": tmp_path / "calls.tsv"}


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def jsonl(*records: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


def row(call_id: str = "c1", turn: int | None = None, speaker: str = "agent",
        text: str = "hello", **extra: object) -> dict[str, object]:
    out: dict[str, object] = {"call_id": call_id, "speaker": speaker, "text": text, **extra}
    if turn is not None:
        out["turn"] = turn
    return out


# ---------------------------------------------------------------------------- good input
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "tsv", "parquet", "json"])
def test_tabular_every_format_gives_the_identical_table(all_formats: dict[str, Path],
                                                        fmt: str) -> None:
    expected = read_table(all_formats["jsonl"]).utterances.drop(columns="input_file")
    result = read_table(all_formats[fmt])
    assert isinstance(result, ReadResult) and result.rejects.empty
    pd.testing.assert_frame_equal(result.utterances.drop(columns="input_file"), expected)


def test_tabular_reads_the_canonical_table() -> None:
    table = read_table(DATA / "calls.jsonl").utterances
    assert list(table.columns) == [*CANONICAL_COLUMNS, "team", "queue", "lang", "input_file",
                                   "input_line"]
    for column, dtype in DTYPES.items():
        assert table[column].dtype == dtype, column
    assert table["speaker"].tolist() == ["agent", "customer", "agent", "agent", "customer"]
    assert table["customer_name"].tolist() == ["Ramon"] * 3 + [None] * 2
    assert table["text"].iat[4] == "NA"  # an utterance "NA" is text, not a missing value
    assert table["lang"].tolist() == ["en", "mixed", "ms", "tl", "en"]
    assert table["input_file"].eq(str(DATA / "calls.jsonl")).all()


@pytest.mark.parametrize(("fmt", "lines"), [("jsonl", [1, 2, 3, 4, 5]), ("csv", [1, 2, 3, 4, 5]),
                                            ("json", [1, 2, 3, 4, 5])])
def test_tabular_input_line_points_at_the_record(all_formats: dict[str, Path], fmt: str,
                                                 lines: list[int]) -> None:
    assert read_table(all_formats[fmt]).utterances["input_line"].tolist() == lines


def test_tabular_csv_keeps_leading_zeros_and_text_words(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "call_id,speaker,text,agent_id,score\n"
                                     "007,agent,None,0042,1\n007,customer,null,,NA\n")
    table = read(path)
    assert table["call_id"].tolist() == ["007", "007"]
    assert table["text"].tolist() == ["None", "null"]
    assert table["agent_id"].tolist() == ["0042", "0042"]
    assert table["score"].isna().tolist() == [False, True]  # other columns: pandas' NA words


def test_tabular_jsonl_call_objects_and_rows_mix(tmp_path: Path) -> None:
    path = write(tmp_path / "mix.jsonl", jsonl(
        {"call_id": "c1", "agent_id": "a1", "turns": [{"speaker": "agent", "text": "hi"},
                                                        {"speaker": "customer", "text": "yo"}]},
        row("c2", text="row"),
        {"call_id": "c3", "transcript": [{"speaker": "rep", "text": "x"}]},
    ))
    table = read(path)
    assert table[["call_id", "turn", "speaker"]].values.tolist() == [
        ["c1", 0, "agent"], ["c1", 1, "customer"], ["c2", 0, "agent"], ["c3", 0, "agent"]]
    assert table["input_line"].tolist() == [1, 1, 2, 3]


def test_tabular_json_that_is_really_json_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "x.json", jsonl(row(text="a"), row(text="b")))
    assert read(path)["text"].tolist() == ["a", "b"]


def test_tabular_json_single_call_object_and_calls_key(tmp_path: Path) -> None:
    one = write(tmp_path / "one.json", json.dumps(
        {"call_id": "c9", "utterances": [row(text="a"), row(speaker="caller", text="b")]}))
    many = write(tmp_path / "many.json", json.dumps({"calls": [row("c1"), row("c2")]}))
    assert read(one)["speaker"].tolist() == ["agent", "customer"]
    assert read(many)["call_id"].tolist() == ["c1", "c2"]


def test_tabular_reads_a_list_of_paths_and_a_directory(tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl", jsonl(row("c1"), row("c1", text="b")))
    write(tmp_path / "b.csv", "call_id,speaker,text\nc2,agent,x\n")
    write(tmp_path / "notes.md", "not a transcript")
    paths = [tmp_path / "a.jsonl", tmp_path / "b.csv"]
    by_list, by_dir = read(paths), read(tmp_path)
    assert by_list["call_id"].tolist() == ["c1", "c1", "c2"]
    pd.testing.assert_frame_equal(by_list, by_dir, check_like=False)


def test_tabular_duplicate_turn_across_files_rejects_the_later_file(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", jsonl(row("c1", 0)))
    b = write(tmp_path / "b.jsonl", jsonl(row("c1", 0)))
    rejects = validate([a, b])
    assert rejects[["input_file", "input_line", "reason_code"]].values.tolist() == [
        [str(b), 1, "duplicate_turn"]]


def test_tabular_reads_a_dataframe_like_a_file() -> None:
    df = pd.DataFrame({"call_id": ["c1", "c1"], "speaker": ["AGENT", "agnt"], "text": ["a", "b"]},
                      index=[7, 3])
    result = read_table(df)
    assert result.utterances["input_file"].tolist() == ["<dataframe>"]
    assert result.utterances["input_line"].tolist() == [1]
    assert result.rejects[["input_file", "input_line", "reason_code"]].values.tolist() == [
        ["<dataframe>", 2, "unknown_speaker"]]


def test_tabular_rereading_a_read_table_keeps_its_provenance() -> None:
    table = read(DATA / "calls.csv")
    again = read(table)
    pd.testing.assert_frame_equal(again, table)


def test_tabular_format_can_be_forced(tmp_path: Path) -> None:
    path = write(tmp_path / "calls.log", jsonl(row()))
    assert len(read(path, format="jsonl")) == 1
    assert len(read(path, format="ndjson")) == 1


# ---------------------------------------------------------------------------- rejects
BAD_JSONL = [
    (row("c1", 0), None),
    (row("c1", 1, speaker="agnt"), "unknown_speaker"),
    (row("c1", 2, text="   "), "empty_text"),
    ({"call_id": "c1", "turn": 3, "speaker": "customer"}, "missing_value"),
    ('{"call_id": "c1", "turn": 4,', "bad_json"),
    (b'{"call_id": "c1", "text": "caf\xe9"}', "bad_encoding"),
    (row("c1", "three"), "bad_type"),  # type: ignore[arg-type]
    (row("c1", 5, start=5, end=2), "bad_type"),
    (row("c1", 0, text="again"), "duplicate_turn"),
    ({"call_id": "c2", "turns": []}, "bad_record"),
    ("[1, 2]", "bad_record"),
    (row("c1", 6), None),
    ({"call_id": None, "speaker": "agent", "text": "x"}, "missing_value"),
    (row("c1", 7, start="abc"), "bad_type"),
    ({"call_id": "c3", "turns": [row("c3"), "oops"]}, "bad_record"),
]


@pytest.fixture
def bad_jsonl(tmp_path: Path) -> Path:
    lines = [r if isinstance(r, bytes) else (r if isinstance(r, str) else json.dumps(r)).encode()
             for r, _ in BAD_JSONL]
    return write(tmp_path / "calls.jsonl", b"\n".join(lines) + b"\n")


def test_tabular_jsonl_rejects_each_bad_line_with_its_line_number(bad_jsonl: Path) -> None:
    rejects = validate(bad_jsonl)
    expected = [(i + 1, code) for i, (_, code) in enumerate(BAD_JSONL) if code]
    assert list(zip(rejects["input_line"], rejects["reason_code"])) == expected
    assert list(rejects.columns) == list(REJECT_COLUMNS)
    assert rejects["input_file"].eq(str(bad_jsonl)).all()
    reasons = dict(zip(rejects["input_line"], rejects["reason"]))
    assert reasons[2] == 'speaker "agnt" is not one of the known speaker words (did you mean "agent"?)'
    assert reasons[5].startswith("line is not valid JSON: Expecting")
    assert reasons[6] == "line is not valid UTF-8: byte 0xe9 at column 31"
    assert reasons[9] == 'turn 0 of call "c1" appears again (first at 1)'
    assert reasons[10] == 'call "c2" has no turns: "turns" is an empty list'
    assert reasons[11] == "record is an array, not a JSON object"
    table = read_table(bad_jsonl).utterances
    assert table["input_line"].tolist() == [1, 12, 15]


def test_tabular_read_warns_with_file_line_and_reason(bad_jsonl: Path) -> None:
    with pytest.warns(RejectedRecordsWarning) as caught:
        table = read(bad_jsonl)
    message = str(caught[0].message)
    assert message == (f"{bad_jsonl}: 13 records rejected, first at line 2: speaker \"agnt\" is "
                       "not one of the known speaker words (did you mean \"agent\"?); "
                       "see csqa.validate")
    assert len(table) == 3
    assert len(validate(bad_jsonl)) == 13


def test_tabular_read_raise_stops_at_the_first_bad_record(bad_jsonl: Path) -> None:
    with pytest.raises(InputError, match=rf'^{bad_jsonl}:2: speaker "agnt" is not one of'):
        read(bad_jsonl, errors="raise")


def test_tabular_read_raise_names_the_row_of_a_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "call_id,speaker,text\nc1,agent,hi\nc1,agnt,x\n")
    with pytest.raises(InputError, match=rf'^{path}: row 2: speaker "agnt"'):
        read(path, errors="raise")


def test_tabular_read_without_rejects_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = read(DATA / "calls.csv")
    assert len(table) and validate(DATA / "calls.csv").empty


def test_tabular_warning_counts_rejects_over_several_files(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", jsonl(row(speaker="agnt")))
    b = write(tmp_path / "b.csv", "call_id,speaker,text\nc2,agent,\n")
    with pytest.warns(RejectedRecordsWarning, match=rf"2 records rejected in 2 inputs, first in "
                                                    rf"{a} at line 1: speaker"):
        read([a, b])


def test_tabular_csv_row_numbers_exclude_the_header(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "call_id,speaker,text,start\nc1,agent,hi,0\n"
                                     'c1,customer,"two\nlines",x\nc1,agent,,1\n')
    rejects = validate(path)
    assert rejects[["input_line", "reason_code"]].values.tolist() == [[2, "bad_type"],
                                                                      [3, "missing_value"]]


def test_tabular_parquet_rejects_point_at_rows(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pd.DataFrame({"call_id": ["c1", "c1"], "speaker": ["agent", "ivr"], "text": ["a", ""],
                  "turn": [0, 1]}).to_parquet(path)
    rejects = validate(path)
    assert rejects[["input_line", "reason_code"]].values.tolist() == [[2, "empty_text"]]


# ---------------------------------------------------------------------------- stopping errors
@pytest.mark.parametrize("name", ["missing.jsonl", "missing.csv", "missing.parquet",
                                  "missing.json", "missing.txt"])
def test_tabular_file_not_found_stops(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match=f"{tmp_path / name}: file not found"):
        read(tmp_path / name)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_tabular_missing_required_column_stops(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame({"call_id": ["c1"], "role": ["agent"], "text": ["hi"]})
    path = tmp_path / f"calls.{fmt}"
    {"jsonl": lambda: df.to_json(path, orient="records", lines=True),
     "csv": lambda: df.to_csv(path, index=False), "parquet": lambda: df.to_parquet(path)}[fmt]()
    with pytest.raises(InputError, match=rf'^{path}: required column "speaker" is missing; '
                                         r"columns found: call_id, role, text"):
        read(path)


def test_tabular_csv_not_utf8_stops_naming_line(tmp_path: Path) -> None:
    path = write(tmp_path / "latin.csv", "call_id,speaker,text\nc1,agent,ok\n".encode()
                 + "c1,customer,café\n".encode("latin-1"))
    with pytest.raises(InputError, match=rf"^{path}: line 3: not valid UTF-8 \(byte 0xe9"):
        read(path)


def test_tabular_csv_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "excel.csv", "call_id,speaker,text\nc1,ejen,café\n".encode("utf-16"))
    assert read(path)["text"].tolist() == ["café"]


def test_tabular_csv_unparseable_stops(tmp_path: Path) -> None:
    path = write(tmp_path / "ragged.csv", "call_id,speaker,text\nc1,agent,a\nc1,agent,a,b,c\n")
    with pytest.raises(InputError, match=rf"^{path}: cannot parse as CSV: .*line 3"):
        read(path)
    first = write(tmp_path / "first.csv", "call_id,speaker,text\nc1,agent,a,b,c\n")
    with pytest.raises(InputError, match=rf"^{first}: cannot parse as CSV: line 2 has more"):
        read(first)


def test_tabular_parquet_unreadable_stops(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.parquet", b"not parquet at all")
    with pytest.raises(InputError, match=rf"^{path}: cannot read as Parquet"):
        read(path)


def test_tabular_json_invalid_stops_with_position(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.json", '[\n  {"call_id": "c1",\n  oops]\n')
    with pytest.raises(InputError, match=rf"^{path}: line 3: not valid JSON"):
        read(path)


def test_tabular_json_unknown_shape_stops(tmp_path: Path) -> None:
    path = write(tmp_path / "odd.json", json.dumps({"hello": "world"}))
    with pytest.raises(InputError, match=rf"^{path}: unknown JSON shape.*top-level keys: hello"):
        read(path)


def test_tabular_unknown_extension_stops(tmp_path: Path) -> None:
    path = write(tmp_path / "calls.docx", "x")
    with pytest.raises(InputError, match=r'calls.docx: cannot tell the format from the extension '
                                         r'"\.docx"; pass format= one of: jsonl, json'):
        read(path)


def test_tabular_unknown_format_name_stops() -> None:
    with pytest.raises(InputError, match=r'format "jsnol" is not one of: .* \(did you mean "json'):
        read(DATA / "calls.jsonl", format="jsnol")


def test_tabular_bad_errors_argument_is_a_value_error() -> None:
    with pytest.raises(ValueError, match='errors "ignore" is not one of: raise, reject'):
        read(DATA / "calls.jsonl", errors="ignore")  # type: ignore[arg-type]


def test_tabular_empty_source_list_stops() -> None:
    with pytest.raises(InputError, match="no input"):
        read([])


def test_tabular_formats_and_sniffing() -> None:
    assert {"jsonl", "json", "csv", "parquet", "text", "vtt", "srt", "aws", "ccai"} <= set(FORMATS)
    assert [sniff_format(p) for p in ["a.JSONL", "b.ndjson", "c.tsv", "d.txt", "e.srt"]] == [
        "jsonl", "jsonl", "tsv", "text", "srt"]


# ---------------------------------------------------------------------------- performance
def test_tabular_validation_is_vectorised(tmp_path: Path) -> None:
    n = 200_000
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "call_id": (np.arange(n) // 20).astype(str), "turn": np.arange(n) % 20,
        "speaker": rng.choice(["agent", "customer", "AGENT", "pelanggan", "agnt"], n),
        "text": rng.choice(["hello", "", "po"], n), "start": np.arange(n, dtype=float),
        "end": np.arange(n, dtype=float) + 0.5, "team": "t"})
    path = tmp_path / "big.parquet"
    df.to_parquet(path)
    began = time.perf_counter()
    result = read_table(path)
    elapsed = time.perf_counter() - began
    assert len(result.utterances) + len(result.rejects) == n
    assert elapsed < 20, f"{elapsed:.1f}s for {n} rows"


# ---------------------------------------------------------------------------- round trips
# "\r" is left out: pandas.to_csv does not quote a lone "\r", which read_csv then takes as a line end.
utterance_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
                         min_size=1, max_size=30).filter(lambda t: t.strip() != "")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["c1", "007", "NA", "c,2"]),
                          st.sampled_from(["agent", "CUSTOMER", "ejen", "ivr"]), utterance_text),
                min_size=1, max_size=12))
def test_tabular_any_text_round_trips_through_every_format(tmp_path: Path,
                                                           rows: list[tuple[str, str, str]]) -> None:
    df = pd.DataFrame(rows, columns=["call_id", "speaker", "text"])
    df.to_json(tmp_path / "r.jsonl", orient="records", lines=True, force_ascii=False)
    df.to_csv(tmp_path / "r.csv", index=False)
    df.to_parquet(tmp_path / "r.parquet")
    tables = [read_table(tmp_path / f"r.{ext}").utterances.drop(columns="input_file")
              for ext in ("jsonl", "csv", "parquet")]
    assert len(tables[0]) == len(df)
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table, tables[0])
    assert sorted(tables[0]["text"]) == sorted(df["text"])
