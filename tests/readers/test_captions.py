"""csqa.readers.captions: WebVTT and SRT."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from csqa.errors import InputError
from csqa.readers import read, read_table, validate

DATA = Path(__file__).parent / "data"


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


@pytest.mark.parametrize("name", ["call-0042.vtt", "call-0042.srt"])
def test_captions_read_the_fixture(name: str) -> None:
    result = read_table(DATA / name)
    table = result.utterances
    assert result.rejects.empty
    assert table["call_id"].unique().tolist() == ["call-0042"]
    assert table["speaker"].tolist() == ["agent", "customer", "agent", "customer"]
    assert table["start"].tolist() == [0.5, 3.4, 7.6, 10.0]
    assert table["end"].tolist() == [3.2, 7.9, 9.0, 12.5]  # cue 3 overlaps cue 2: kept as is
    assert table["text"].tolist() == [
        "Good morning, thank you for calling. How can I help?",
        "Saya nak cancel plan saya, the bill is wrong again.",
        "Pasensya na po, I'm sorry about that.",
        "Okay lah.",
    ]
    assert table["input_line"].tolist() == [1, 2, 3, 4]  # cue numbers


def test_captions_vtt_and_srt_give_the_same_table() -> None:
    vtt = read(DATA / "call-0042.vtt").drop(columns="input_file")
    srt = read(DATA / "call-0042.srt").drop(columns="input_file")
    pd.testing.assert_frame_equal(vtt, srt)


def test_captions_vtt_voices_tags_entities_and_blocks(tmp_path: Path) -> None:
    path = write(tmp_path / "c1.vtt", """WEBVTT
Kind: captions

STYLE
::cue { color: white }

REGION
id:left width:40%

NOTE a comment
that spans lines

intro
00:00.000 --> 00:02.000
<v.loud Agent Siti><i>Hello</i> &amp; welcome</v>

00:02.000 --> 00:04.000
<v Agent>Pasensya na po<v Customer>Okay lang

00:04.000 --> 00:05.000
and one more thing

00:05.000 --> 00:06.000 position:10%
<c.yellow>- Customer: noted</c>
""")
    table = read(path)
    assert table["text"].tolist() == ["Hello & welcome", "Pasensya na po", "Okay lang",
                                      "and one more thing", "- Customer: noted"]
    assert table["speaker"].tolist() == ["agent", "agent", "customer", "customer", "customer"]
    assert table["input_line"].tolist() == [1, 2, 2, 3, 4]
    assert table["turn"].tolist() == [0, 1, 2, 3, 4]


def test_captions_rejects_name_the_cue(tmp_path: Path) -> None:
    path = write(tmp_path / "c2.srt", b"1\n00:00:01,000 --> 00:00:02,000\nAgent: Hi\n\n"
                                      b"2\nno timing here\nAgent: lost\n\n"
                                      b"3\n00:00:0x,000 --> 00:00:04,000\nAgent: bad time\n\n"
                                      b"4\n00:00:05,000 --> 00:00:04,000\nAgent: backwards\n\n"
                                      b"5\n00:00:06,000 --> 00:00:07,000\nAgent: caf\xe9\n\n"
                                      b"6\n00:00:08,000 --> 00:00:09,000\nSupervisr: hm\n\n"
                                      b"7\n00:00:10,000 --> 00:00:11,000\n\n")
    rejects = validate(path)
    assert rejects[["input_line", "call_id", "reason_code"]].values.tolist() == [
        [2, "c2", "bad_record"], [3, "c2", "bad_type"], [4, "c2", "bad_type"],
        [5, "c2", "bad_encoding"], [6, "c2", "unknown_speaker"], [7, "c2", "empty_text"]]
    reasons = rejects["reason"].tolist()
    assert reasons[0] == 'cue 2 (line 5) has no "start --> end" timing line'
    assert reasons[1] == 'start "00:00:0x,000" is not a number of seconds'
    assert reasons[2] == "end 4 is before start 5"
    assert reasons[3] == "cue 5 is not valid UTF-8 (line 19)"
    with pytest.warns(match=rf"{path}: 6 records rejected, first at cue 2: cue 2"):
        read(path)


def test_captions_first_cue_without_speaker_is_missing_value(tmp_path: Path) -> None:
    path = write(tmp_path / "c3.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nhello\n")
    rejects = validate(path)
    assert rejects[["input_line", "reason_code", "reason"]].values.tolist() == [
        [1, "missing_value", "speaker is missing"]]


def test_captions_vtt_without_header_stops(tmp_path: Path) -> None:
    path = write(tmp_path / "c4.vtt", "00:01.000 --> 00:02.000\n<v Agent>hello\n")
    with pytest.raises(InputError, match=rf'^{path}: not a WebVTT file: the first line is not '
                                         r'"WEBVTT"'):
        read(path)


def test_captions_file_without_cues_is_one_bad_record(tmp_path: Path) -> None:
    path = write(tmp_path / "c5.vtt", "WEBVTT\n\nNOTE nothing here\n")
    assert validate(path)[["input_line", "reason_code"]].values.tolist() == [[0, "bad_record"]]


def test_captions_missing_file_stops(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read(tmp_path / "nope.srt")
