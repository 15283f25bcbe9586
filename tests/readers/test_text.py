"""csqa.readers.text: "Agent: ..." plain-text transcripts."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from csqa.errors import InputError
from csqa.readers import read, read_table, validate
from csqa.readers.text import parse_time, split_label

DATA = Path(__file__).parent / "data"


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_text_reads_the_fixture_as_one_call() -> None:
    result = read_table(DATA / "call-0042.txt")
    table = result.utterances
    assert result.rejects.empty
    assert table["call_id"].unique().tolist() == ["call-0042"]
    assert table["turn"].tolist() == [0, 1, 2, 3]
    assert table["speaker"].tolist() == ["agent", "customer", "agent", "customer"]
    assert table["speaker_label"].tolist() == ["Agent Siti", "Customer (Ramon)", "ejen",
                                               "PELANGGAN"]
    assert table["text"].tolist() == [
        "Good morning, thank you for calling. How can I help?",
        "Saya nak cancel plan saya, the bill is wrong again.",
        "Pasensya na po, I'm sorry about that.",
        "Okay lah.",
    ]
    assert table["input_line"].tolist() == [1, 3, 5, 6]
    assert table["start"].iloc[2] == 7.0 and math.isnan(table["start"].iloc[0])
    assert table["end"].isna().all()


@pytest.mark.parametrize(("line", "label", "text", "start"), [
    ("Agent: Hello", "Agent", "Hello", None),
    ("  customer :  hi there ", "customer", "hi there", None),
    ("Agent Siti: Hello", "Agent Siti", "Hello", None),
    ("Customer (Ramon): Hello", "Customer (Ramon)", "Hello", None),
    ("[00:01:02] Agent: Hello", "Agent", "Hello", 62.0),
    ("00:12 - Caller: Yes", "Caller", "Yes", 12.0),
    ("Agent (00:00:05.5): Hello", "Agent", "Hello", 5.5),
    ("agnt: typo kept so it is rejected", "agnt", "typo kept so it is rejected", None),
    ("Agent: call me at 10:30", "Agent", "call me at 10:30", None),
    ("Agent:", "Agent", "", None),
])
def test_text_split_label_finds_label_text_and_time(line: str, label: str, text: str,
                                                    start: float | None) -> None:
    parsed = split_label(line)
    assert parsed is not None
    assert (parsed.label, parsed.text) == (label, text)
    assert (math.isnan(parsed.start) if start is None else parsed.start == start)


@pytest.mark.parametrize("line", [
    "How can I help?", "10:30 is fine", "https://example.com: a link",
    "Well, the reason is: the bill", "I told them this morning that: no",
])
def test_text_split_label_no_label(line: str) -> None:
    assert split_label(line) is None


@pytest.mark.parametrize(("value", "seconds"), [
    ("00:00:01.500", 1.5), ("01:02:03,4", 3723.4), ("02:05", 125.0), ("2:05.25", 125.25),
])
def test_text_parse_time(value: str, seconds: float) -> None:
    assert parse_time(value) == pytest.approx(seconds)


def test_text_rejects_with_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "c7.txt",
                 b"Call 7, 2026-11-02\n"              # 1: no label before the first utterance
                 b"Agent: Hello po\n"                # 2: good
                 b"Agnt: typo\n"                     # 3: unknown speaker
                 b"Customer:\n"                      # 4: empty text
                 b"Customer: caf\xe9\n"              # 5: bad encoding
                 b"Customer: fine\n")                # 6: good
    rejects = validate(path)
    assert rejects[["input_file", "input_line", "call_id", "reason_code"]].values.tolist() == [
        [str(path), 1, "c7", "bad_record"], [str(path), 3, "c7", "unknown_speaker"],
        [str(path), 4, "c7", "empty_text"], [str(path), 5, "c7", "bad_encoding"]]
    reasons = rejects["reason"].tolist()
    assert reasons[0] == 'line "Call 7, 2026-11-02" has no "Speaker:" label and no utterance before it'
    assert reasons[1] == 'speaker "Agnt" is not one of the known speaker words (did you mean "agent"?)'
    assert reasons[3] == "line is not valid UTF-8: byte 0xe9 at column 14"
    table = read_table(path).utterances
    assert table["turn"].tolist() == [0, 3]  # turns are positions in the file
    with pytest.raises(InputError, match=rf"^{path}:1: line \"Call 7"):
        read(path, errors="raise")


def test_text_empty_file_is_one_bad_record(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.txt", "\n\n")
    rejects = validate(path)
    assert rejects[["input_line", "call_id", "reason_code"]].values.tolist() == [
        [0, "empty", "bad_record"]]


def test_text_crlf_and_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "win.txt", "\ufeffAgent: Hi\r\nCustomer: Hello\r\n")
    assert read(path)["text"].tolist() == ["Hi", "Hello"]


def test_text_same_stem_in_two_files_collides_visibly(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    one = write(tmp_path / "a" / "c1.txt", "Agent: Hi\n")
    two = write(tmp_path / "b" / "c1.txt", "Agent: Hi again\n")
    rejects = validate([one, two])
    assert rejects[["input_file", "reason_code"]].values.tolist() == [[str(two), "duplicate_turn"]]
