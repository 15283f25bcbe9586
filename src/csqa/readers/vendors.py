"""Vendor transcript JSON (shared/docs/FORMATS.md) -> raw utterance rows, one call per file.

``aws``: Contact Lens analysis files and Transcribe Call Analytics (``Transcript[]``), and
standard Transcribe output (``results.items``). ``ccai``: Google Insights upload files
(``entries[]``) and Conversation resources (``transcript.transcript_segments``). ``genesys``,
``twilio`` (sentences; roles from a ``channel`` object in the same document), ``deepgram`` and
``assemblyai``. Times become seconds from the start of the call. ``input_line`` numbers the
file's turn entries from 1; a problem with the whole file is a ``bad_record`` at entry 0.

Transcribe standard, Deepgram, AssemblyAI and a Twilio file without its ``channel`` give no
roles, only speaker or channel ids: the first to speak is taken as the agent and the second as
the customer (a contact-centre agent normally opens the call), anyone else as ``other``. The
original id is kept in ``speaker_label``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from csqa.errors import InputError
from csqa.schema import Raw, rejects_frame, speaker_role

VENDORS: tuple[str, ...] = ("aws", "ccai", "genesys", "twilio", "deepgram", "assemblyai")
log = logging.getLogger(__name__)
Row = dict[str, Any]


def sniff_vendor(doc: Any) -> str | None:
    """Recognise a vendor transcript by its keys.

    Parameters
    ----------
    doc : object
        A parsed JSON document.

    Returns
    -------
    str or None
        A name in :data:`VENDORS`, or ``None`` when it is not a vendor shape.
    """
    if not isinstance(doc, dict):
        return None
    results = doc.get("results")
    if isinstance(doc.get("Transcript"), list):
        return "aws"
    if isinstance(results, dict):
        if "utterances" in results or "metadata" in doc:
            return "deepgram"
        if {"items", "speaker_labels", "channel_labels"} & set(results):
            return "aws"
    transcript = doc.get("transcript")
    if isinstance(doc.get("entries"), list) or (isinstance(transcript, dict) and (
            {"transcript_segments", "transcriptSegments"} & set(transcript))):
        return "ccai"
    if isinstance(doc.get("transcripts"), list) and "conversationId" in doc:
        return "genesys"
    if isinstance(doc.get("sentences"), list) or str(doc.get("sid", "")).startswith("GT"):
        return "twilio"
    if "utterances" in doc and {"audio_url", "audio_duration", "words"} & set(doc):
        return "assemblyai"
    return None


def read_vendor(path: str, vendor: str) -> Raw:
    """Read one vendor transcript file: ``path`` -> :class:`Raw` rows.

    Parameters
    ----------
    path : str
        A JSON file.
    vendor : str
        The expected vendor, a name in :data:`VENDORS`.

    Returns
    -------
    Raw
        The rows of the file's one call, and the entries rejected while parsing.

    Raises
    ------
    InputError
        When the file is not JSON or not in the shape of ``vendor``.
    """
    from csqa.readers.tabular import load_json

    doc = load_json(path)
    found = sniff_vendor(doc)
    if found != vendor:
        keys = ", ".join(map(str, doc)) if isinstance(doc, dict) else type(doc).__name__
        raise InputError(f"{path}: not a {vendor} transcript"
                         f"{f' (looks like {found})' if found else ''}; top-level keys: {keys}")
    return parse_vendor(doc, path, vendor)


def parse_vendor(doc: dict[str, Any], path: str, vendor: str) -> Raw:
    """Turn a parsed vendor document into :class:`Raw` rows.

    Parameters
    ----------
    doc : dict
        The parsed document.
    path : str
        Its file, for ``input_file``, the default ``call_id`` (the stem) and messages.
    vendor : str
        The name :func:`sniff_vendor` gave it.

    Returns
    -------
    Raw
        The rows (``input_line`` = the turn's entry number) and the rejected entries.
    """
    rows: list[Row] = []
    rejects: list[Row] = []
    call_id = _PARSERS[vendor](doc, path, rows, rejects)
    for row in rows:
        row.setdefault("call_id", call_id)
    if not rows and not rejects:
        rejects.append({"input_line": 0, "reason_code": "bad_record",
                        "reason": "the file has no turns"})
    for reject in rejects:
        reject.setdefault("call_id", call_id)
        reject["input_file"] = path
    frame = pd.DataFrame(rows)
    if rows:
        for column in ("start", "end"):
            if column not in frame:
                frame[column] = np.nan
        frame["input_file"] = path
    if vendor == "genesys" and rows:  # recording legs of one conversation: merge by time
        frame.attrs["merge_by_time"] = frozenset({call_id})
    return Raw(frame, rejects_frame(rejects))


# ---------------------------------------------------------------------------- helpers
def _num(value: Any, scale: float = 1.0) -> Any:
    """A number (or numeric string) divided by ``scale``; anything else is returned as is."""
    if isinstance(value, bool) or value is None:
        return value
    try:
        return float(value) / scale
    except (TypeError, ValueError):
        return value


def _duration(value: Any) -> Any:
    """Protobuf Duration as JSON (``"3.500s"`` or ``{"seconds", "nanos"}``) -> seconds."""
    if isinstance(value, str) and value.endswith("s"):
        return _num(value[:-1])
    if isinstance(value, dict):
        return float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
    return _num(value)


def _first(obj: dict[str, Any], *keys: str) -> Any:
    """The value of the first key present (proto3 JSON accepts snake_case and camelCase)."""
    return next((obj[k] for k in keys if k in obj), None)


def _stem(path: str) -> str:
    return Path(path).stem.split("_analysis_")[0]


def _entries(items: Any, rejects: list[Row], what: str) -> list[tuple[int, dict[str, Any]]]:
    """Number the entries of a list from 1; non-objects become ``bad_record`` rejects."""
    if not isinstance(items, list) or not items:
        rejects.append({"input_line": 0, "reason_code": "bad_record",
                        "reason": f"{what} is {'empty' if items == [] else 'missing'}"})
        return []
    out = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            out.append((number, item))
        else:
            rejects.append({"input_line": number, "reason_code": "bad_record",
                            "reason": f"{what} entry {number} is not a JSON object"})
    return out


def _first_is_agent(rows: list[Row], path: str) -> None:
    """Give roles to speaker ids by order of first appearance (see the module doc)."""
    order: dict[Any, str] = {}
    for row in rows:
        label = row["speaker_label"]
        if label not in order:
            order[label] = ("agent", "customer")[len(order)] if len(order) < 2 else "other"
        row["speaker"] = order[label]
    if order:
        log.info("%s: no speaker roles in the file; took %s as the agent", path, next(iter(order)))


def _agent_id(rows: list[Row], value_of: Callable[[Row], Any]) -> None:
    for row in rows:
        if speaker_role(row["speaker"]) == "agent" and value_of(row) not in (None, ""):
            row["agent_id"] = str(value_of(row))


# ---------------------------------------------------------------------------- vendors
def _aws(doc: dict[str, Any], path: str, rows: list[Row], rejects: list[Row]) -> str:
    call_id = str((doc.get("CustomerMetadata") or {}).get("ContactId") or doc.get("JobName")
                  or doc.get("jobName") or _stem(path))
    if "Transcript" not in doc:
        _transcribe(doc["results"], rows, rejects, path)
        return call_id
    roles = {p.get("ParticipantId"): p.get("ParticipantRole")
             for p in doc.get("Participants") or [] if isinstance(p, dict)}
    for number, turn in _entries(doc["Transcript"], rejects, "Transcript"):
        pid = turn.get("ParticipantId")
        rows.append({"turn": number - 1,
                     "speaker": turn.get("ParticipantRole") or roles.get(pid, pid),
                     "text": turn.get("Content"), "start": _num(turn.get("BeginOffsetMillis"), 1e3),
                     "end": _num(turn.get("EndOffsetMillis"), 1e3),
                     "sentiment": turn.get("Sentiment"), "language_code": doc.get("LanguageCode"),
                     "input_line": number})
    return call_id


def _transcribe(results: dict[str, Any], rows: list[Row], rejects: list[Row], path: str) -> None:
    """Standard Transcribe: words -> one utterance per run of one speaker or channel."""
    channels = (results.get("channel_labels") or {}).get("channels")
    if channels:
        streams = [(c.get("channel_label"), c.get("items") or []) for c in channels]
    else:
        streams = [(None, results.get("items") or [])]
    by_start = {i.get("start_time"): i.get("speaker_label")
                for seg in (results.get("speaker_labels") or {}).get("segments") or []
                for i in seg.get("items") or []}
    words: list[list[Any]] = []  # [start, end, label, text]
    for channel, items in streams:
        last: list[Any] | None = None
        for item in items:
            content = ((item.get("alternatives") or [{}])[0]).get("content", "")
            if item.get("type") == "punctuation":
                if last is not None:
                    last[3] += content
                continue
            label = channel or item.get("speaker_label") or by_start.get(item.get("start_time"))
            last = [_num(item.get("start_time")), _num(item.get("end_time")), label, content]
            words.append(last)
    words.sort(key=lambda w: w[0] if isinstance(w[0], float) else float("inf"))
    for start, end, label, content in words:
        if rows and rows[-1]["speaker_label"] == label:
            rows[-1]["text"] += " " + content
            rows[-1]["end"] = end
        else:
            rows.append({"turn": len(rows), "speaker_label": label, "text": content,
                         "start": start, "end": end, "input_line": len(rows) + 1})
    if not rows:
        rejects.append({"input_line": 0, "reason_code": "bad_record",
                        "reason": "results.items has no words"})
    _first_is_agent(rows, path)


def _ccai(doc: dict[str, Any], path: str, rows: list[Row], rejects: list[Row]) -> str:
    if "entries" in doc:  # Insights upload file
        entries = _entries(doc["entries"], rejects, "entries")
        stamps = [_num(e.get("start_timestamp_usec"), 1e6) for _, e in entries]
        zero = min((s for s in stamps if isinstance(s, float)), default=0.0)
        for k, ((number, entry), stamp) in enumerate(zip(entries, stamps)):
            start = stamp - zero if isinstance(stamp, float) else stamp
            following = stamps[k + 1] if k + 1 < len(stamps) else None
            rows.append({"turn": number - 1, "speaker": entry.get("role"),
                         "text": entry.get("text"), "start": start,
                         "end": following - zero if isinstance(following, float) else np.nan,
                         "user_id": entry.get("user_id"), "input_line": number})
        _agent_id(rows, lambda row: row.get("user_id"))
        for row in rows:
            row.pop("user_id", None)
        return _stem(path)
    transcript = doc["transcript"]
    segments = transcript.get("transcript_segments", transcript.get("transcriptSegments"))
    meta = doc.get("call_metadata") or doc.get("callMetadata") or {}
    channel_roles = {meta.get("agent_channel", meta.get("agentChannel")): "agent",
                     meta.get("customer_channel", meta.get("customerChannel")): "customer"}
    for number, seg in _entries(segments, rejects, "transcript_segments"):
        participant = seg.get("segment_participant") or seg.get("segmentParticipant") or {}
        channel = seg.get("channel_tag", seg.get("channelTag"))
        role = participant.get("role") or channel_roles.get(channel) or f"channel {channel}"
        words = [w for w in seg.get("words") or [] if isinstance(w, dict)]
        rows.append({"turn": number - 1, "speaker": role, "text": seg.get("text"),
                     "start": _duration(words[0].get("start_offset", words[0].get("startOffset")))
                     if words else np.nan,
                     "end": _duration(words[-1].get("end_offset", words[-1].get("endOffset")))
                     if words else np.nan,
                     "sentiment": (seg.get("sentiment") or {}).get("score"),
                     "language_code": _first(seg, "language_code", "languageCode")
                     or _first(doc, "language_code", "languageCode"),
                     "input_line": number})
    agent = doc.get("agent_id", doc.get("agentId"))
    for row in rows:
        if agent:
            row["agent_id"] = str(agent)
    return str(doc.get("name") or "").rsplit("/", 1)[-1] or _stem(path)


def _genesys(doc: dict[str, Any], path: str, rows: list[Row], rejects: list[Row]) -> str:
    zero = _num(doc.get("conversationStartTime"), 1e3)
    number = 0
    for transcript in doc["transcripts"]:
        if not isinstance(transcript, dict):
            continue
        sentiment = {s.get("phraseIndex"): s.get("sentiment")
                     for s in (transcript.get("analytics") or {}).get("sentiment") or []}
        for index, phrase in enumerate(transcript.get("phrases") or []):
            number += 1
            if not isinstance(phrase, dict):
                rejects.append({"input_line": number, "reason_code": "bad_record",
                                "reason": f"phrase {index} is not a JSON object"})
                continue
            start = _num(phrase.get("startTimeMs"), 1e3)
            if isinstance(start, float) and isinstance(zero, float) and start >= zero:
                start -= zero  # an epoch time rather than an offset
            duration = phrase.get("duration")
            if isinstance(duration, dict):
                duration = duration.get("milliseconds")
            end = start + duration / 1e3 if isinstance(duration, (int, float)) and \
                isinstance(start, float) else np.nan
            rows.append({"speaker": phrase.get("participantPurpose"),
                         "text": phrase.get("decoratedText") or phrase.get("text"),
                         "start": start, "end": end, "sentiment": sentiment.get(index),
                         "input_line": number})
    rows.sort(key=lambda r: r["start"] if isinstance(r["start"], float) else float("inf"))
    agents = [p.get("userId") for p in doc.get("participants") or []
              if isinstance(p, dict) and speaker_role(p.get("participantPurpose")) == "agent"
              and p.get("userId")]
    for row in rows:
        if agents:
            row["agent_id"] = str(agents[0])
    return str(doc.get("conversationId") or _stem(path))


def _twilio(doc: dict[str, Any], path: str, rows: list[Row], rejects: list[Row]) -> str:
    if "sentences" not in doc:
        raise InputError(f'{path}: a Twilio transcript resource without "sentences"; put the '
                         'Sentences response\'s "sentences" list in this document')
    channel = doc.get("channel") or {}
    people = [p for p in channel.get("participants") or [] if isinstance(p, dict)]
    roles = {str(p.get("channel_participant")): p for p in people}
    entries = _entries(doc["sentences"], rejects, "sentences")
    entries.sort(key=lambda e: e[1].get("sentence_index", e[0]))
    for number, sentence in entries:
        channel = str(sentence.get("media_channel"))
        person = roles.get(channel, {})
        rows.append({"speaker": person.get("role") or f"channel {channel}",
                     "speaker_label": f"channel {channel}", "text": sentence.get("transcript"),
                     "start": _num(sentence.get("start_time")),
                     "end": _num(sentence.get("end_time")),
                     "user_id": person.get("user_id"), "input_line": number})
    if not people:
        _first_is_agent(rows, path)
    _agent_id(rows, lambda row: row.get("user_id"))
    for turn, row in enumerate(rows):
        row.pop("user_id", None)
        row["turn"] = turn
    sid = str(doc.get("sid") or "")
    return sid if sid.startswith("GT") else _stem(path)


def _deepgram(doc: dict[str, Any], path: str, rows: list[Row], rejects: list[Row]) -> str:
    results = doc.get("results") or {}
    channels = (doc.get("metadata") or {}).get("channels") or len(results.get("channels") or [])
    what = "results.utterances (request utterances=true)"
    for number, utt in _entries(results.get("utterances"), rejects, what):
        label = (f"channel {utt.get('channel')}" if (channels or 1) > 1 or "speaker" not in utt
                 else f"speaker {utt.get('speaker')}")
        rows.append({"turn": number - 1, "speaker_label": label, "text": utt.get("transcript"),
                     "start": _num(utt.get("start")), "end": _num(utt.get("end")),
                     "input_line": number})
    _first_is_agent(rows, path)
    return _stem(path)


def _assemblyai(doc: dict[str, Any], path: str, rows: list[Row], rejects: list[Row]) -> str:
    what = "utterances (request speaker_labels=true)"
    for number, utt in _entries(doc.get("utterances"), rejects, what):
        rows.append({"turn": number - 1, "speaker_label": f"speaker {utt.get('speaker')}",
                     "text": utt.get("text"), "start": _num(utt.get("start"), 1e3),
                     "end": _num(utt.get("end"), 1e3), "language_code": doc.get("language_code"),
                     "input_line": number})
    _first_is_agent(rows, path)
    return _stem(path)


_PARSERS: dict[str, Callable[[dict[str, Any], str, list[Row], list[Row]], str]] = {
    "aws": _aws, "ccai": _ccai, "genesys": _genesys, "twilio": _twilio,
    "deepgram": _deepgram, "assemblyai": _assemblyai,
}
