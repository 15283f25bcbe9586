"""csqa.readers.vendors: AWS, Google CCAI, Genesys, Twilio, Deepgram, AssemblyAI JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from csqa.errors import InputError
from csqa.readers import read, read_table, validate
from csqa.readers.vendors import sniff_vendor

DATA = Path(__file__).parent / "data"
CONTACT_LENS = DATA / "9f1c2a7e_analysis_2024-06-10T031500Z.json"

# file, vendor, call_id, speakers, (start, end) of the first turn, agent_id
FIXTURES = [
    (CONTACT_LENS, "aws", "9f1c2a7e",
     ["agent", "customer", "customer", "agent", "customer"], (0.0, 2.9), None),
    (DATA / "tca.json", "aws", "tca", ["agent", "customer", "agent"], (0.0, 2.6), None),
    (DATA / "transcribe.json", "aws", "call-0042", ["agent", "customer"], (0.4, 1.62), None),
    (DATA / "ccai_upload.json", "ccai", "ccai_upload",
     ["agent", "customer", "agent", "customer"], (0.0, 4.2), "2"),
    (DATA / "ccai_conversation.json", "ccai", "conv-77", ["agent", "customer", "other"],
     (0.4, 2.1), "agent-314"),
    (DATA / "genesys.json", "genesys", "c0a8f1e2-0000-4b7a-9d1e-000000000001",
     ["customer", "agent", "customer"], (0.5, math.nan), "b7e2a9d0-0000-4c1e-9f00-000000000003"),
    (DATA / "twilio.json", "twilio", "GT00000000000000000000000000000001",
     ["agent", "customer", "agent"], (0.48, 2.91), "id2"),
    (DATA / "twilio_sentences.json", "twilio", "twilio_sentences",
     ["agent", "customer", "agent"], (0.48, 2.91), None),
    (DATA / "deepgram.json", "deepgram", "deepgram", ["agent", "customer"], (0.42, 3.1), None),
    (DATA / "assemblyai.json", "assemblyai", "assemblyai", ["agent", "customer"], (0.25, 2.9),
     None),
]


def write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("path", "vendor", "call_id", "speakers", "first", "agent_id"), FIXTURES,
                         ids=[f[0].stem[:20] for f in FIXTURES])
@pytest.mark.parametrize("fmt", ["auto", "vendor"])
def test_vendors_read_each_fixture(path: Path, vendor: str, call_id: str, speakers: list[str],
                                   first: tuple[float, float], agent_id: str | None,
                                   fmt: str) -> None:
    result = read_table(path, format=vendor if fmt == "vendor" else "auto")
    table = result.utterances
    assert result.rejects.empty
    assert table["call_id"].unique().tolist() == [call_id]
    assert table["speaker"].tolist() == speakers
    assert table["turn"].tolist() == list(range(len(speakers)))
    assert table["input_line"].tolist() == list(range(1, len(speakers) + 1))
    start, end = first
    assert table["start"].iat[0] == pytest.approx(start)
    assert (math.isnan(table["end"].iat[0]) if math.isnan(end)
            else table["end"].iat[0] == pytest.approx(end))
    assert table["agent_id"].unique().tolist() == [agent_id]
    assert table["text"].str.len().gt(0).all()
    assert sniff_vendor(load(path)) == vendor


def test_vendors_contact_lens_joins_participants_and_keeps_sentiment() -> None:
    table = read(CONTACT_LENS)
    assert table["sentiment"].tolist() == ["NEUTRAL", "NEGATIVE", "NEGATIVE", "POSITIVE",
                                           "POSITIVE"]
    assert table["language_code"].unique().tolist() == ["en-US"]
    assert "lang" not in table  # csqa's own language tag is filled later, not from the vendor
    assert table["end"].iat[4] == pytest.approx(24.14)


def test_vendors_lex_minimal_contact_lens_without_times(tmp_path: Path) -> None:
    path = write(tmp_path / "lex.json", {
        "Version": "1.1.0", "ContentMetadata": {"Output": "Raw"},
        "CustomerMetadata": {"ContactId": "contact-1"},
        "Participants": [{"ParticipantId": "p1", "ParticipantRole": "AGENT"}],
        "Transcript": [{"ParticipantId": "p1", "Id": "1", "Content": "Hello"},
                       {"ParticipantId": "CUSTOMER", "Id": "2", "Content": "Hi"}]})
    table = read(path)
    assert table["call_id"].unique().tolist() == ["contact-1"]
    assert table["speaker"].tolist() == ["agent", "customer"]
    assert table[["start", "end"]].isna().all().all()


def test_vendors_transcribe_channels_are_merged_by_time(tmp_path: Path) -> None:
    def word(t: float, w: str) -> dict[str, Any]:
        return {"start_time": str(t), "end_time": str(t + 0.2), "type": "pronunciation",
                "alternatives": [{"confidence": "0.9", "content": w}]}
    stop = {"type": "punctuation", "alternatives": [{"confidence": "0.0", "content": "."}]}
    path = write(tmp_path / "job.json", {"jobName": "job-9", "results": {
        "transcripts": [{"transcript": "..."}],
        "channel_labels": {"number_of_channels": 2, "channels": [
            {"channel_label": "ch_0", "items": [word(0.0, "Hello"), stop, word(3.0, "Bye"), stop]},
            {"channel_label": "ch_1", "items": [word(1.0, "Hi"), word(1.3, "there"), stop]}]}}})
    table = read(path)
    assert table["text"].tolist() == ["Hello.", "Hi there.", "Bye."]
    assert table["speaker"].tolist() == ["agent", "customer", "agent"]
    assert table["speaker_label"].tolist() == ["ch_0", "ch_1", "ch_0"]
    assert table["end"].tolist() == pytest.approx([0.2, 1.5, 3.2])


def test_vendors_ccai_upload_ends_at_the_next_start() -> None:
    table = read(DATA / "ccai_upload.json")
    assert table["start"].tolist() == pytest.approx([0.0, 4.2, 9.8, 31.5])
    assert table["end"].tolist()[:3] == pytest.approx([4.2, 9.8, 31.5])
    assert math.isnan(table["end"].iat[3])


def test_vendors_genesys_epoch_times_and_legs_merged_by_time(tmp_path: Path) -> None:
    doc = load(DATA / "genesys.json")
    leg2 = {**doc, "communicationId": "leg-2", "transcripts": [{"transcriptId": "t-2", "phrases": [
        {"text": "one moment", "startTimeMs": doc["conversationStartTime"] + 6000,
         "participantPurpose": "internal", "duration": {"milliseconds": 1500}}]}]}
    one = DATA / "genesys.json"
    two = write(tmp_path / "genesys_leg2.json", leg2)
    table = read([one, two])
    assert table["start"].tolist() == pytest.approx([0.5, 4.2, 6.0, 90.0])
    assert table["turn"].tolist() == [0, 1, 2, 3]
    assert table["input_file"].tolist() == [str(one), str(one), str(two), str(one)]
    assert table["end"].iat[2] == pytest.approx(7.5)
    assert table["sentiment"].isna().tolist() == [False, True, True, False]
    assert table["sentiment"].iat[3] == -1  # by phraseIndex, after the merge


def test_vendors_twilio_unmapped_channel_is_an_unknown_speaker(tmp_path: Path) -> None:
    doc = load(DATA / "twilio.json")
    doc["sentences"][1]["media_channel"] = 3
    path = write(tmp_path / "tw.json", doc)
    rejects = validate(path)
    assert rejects[["input_line", "reason_code", "reason"]].values.tolist() == [
        [2, "unknown_speaker", 'speaker "channel 3" is not one of the known speaker words']]


def test_vendors_deepgram_multichannel_uses_channels(tmp_path: Path) -> None:
    doc = load(DATA / "deepgram.json")
    doc["metadata"]["channels"] = 2
    doc["results"]["utterances"][0]["channel"] = 1
    table = read(write(tmp_path / "dg.json", doc))
    assert table["speaker_label"].tolist() == ["channel 1", "channel 0"]
    assert table["speaker"].tolist() == ["agent", "customer"]


@pytest.mark.parametrize(("doc", "reason"), [
    ({"Transcript": [], "Participants": []}, "Transcript is empty"),
    ({"id": "x", "audio_url": "s3://a", "utterances": None},
     "utterances (request speaker_labels=true) is missing"),
    ({"metadata": {"channels": 1}, "results": {"channels": []}},
     "results.utterances (request utterances=true) is missing"),
    ({"entries": []}, "entries is empty"),
])
def test_vendors_file_without_turns_is_one_bad_record(tmp_path: Path, doc: dict[str, Any],
                                                      reason: str) -> None:
    path = write(tmp_path / "v.json", doc)
    rejects = validate(path)
    assert rejects[["input_file", "input_line", "call_id", "reason_code", "reason"]].values.tolist() \
        == [[str(path), 0, "v", "bad_record", reason]]


def test_vendors_bad_entries_and_values_are_rejected_by_entry(tmp_path: Path) -> None:
    doc = load(DATA / "tca.json")
    doc["Transcript"].insert(1, "not an object")
    doc["Transcript"][2]["BeginOffsetMillis"] = "soon"
    doc["Transcript"][3]["ParticipantRole"] = "AGNT"
    rejects = validate(write(tmp_path / "tca2.json", doc))
    assert rejects[["input_line", "reason_code"]].values.tolist() == [
        [2, "bad_record"], [3, "bad_type"], [4, "unknown_speaker"]]
    assert rejects["reason"].tolist()[:2] == ["Transcript entry 2 is not a JSON object",
                                              'start "soon" is not a number of seconds']


def test_vendors_forced_format_must_match(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"deepgram.json: not a aws transcript \(looks like "
                                         r"deepgram\); top-level keys: metadata, results"):
        read(DATA / "deepgram.json", format="aws")


def test_vendors_twilio_transcript_resource_alone_stops() -> None:
    with pytest.raises(InputError, match='twilio_transcript.json: a Twilio transcript resource '
                                         'without "sentences"'):
        read(DATA / "twilio_transcript.json")


@pytest.mark.parametrize("doc", [[1, 2], {"call_id": "c", "turns": []}, {"hello": 1}, "text"])
def test_vendors_sniff_ignores_other_shapes(doc: Any) -> None:
    assert sniff_vendor(doc) is None
