"""Plain-text transcripts: one call per file, one ``Speaker: text`` line per utterance.

``call_id`` is the file stem. A line may start with a time (``[00:01:02]``, ``00:12``) that
becomes ``start``. A line without a ``Label:`` prefix continues the previous utterance (a
wrapped line); before the first label it is rejected. Turns are numbered in file order.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from csqa.errors import InputError
from csqa.schema import Raw, rejects_frame, speaker_role

_TIME = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_LINE = re.compile(
    rf"^\s*(?:[\[(]?(?P<time>{_TIME})[\])]?\s*(?:[-–—|]\s*)?)?"  # optional leading time
    r"(?P<label>[^\W\d][\w .'()\-]{0,39}?)"
    rf"(?:\s*[\[(](?P<time2>{_TIME})[\])])?\s*:(?!//)\s*(?P<text>.*)$"  # or a time after it
)


class Labelled(NamedTuple):
    """A line split into its speaker label, its text and its leading time (seconds or NaN)."""

    label: str
    text: str
    start: float


def parse_time(value: str) -> float:
    """Turn a clock time into seconds.

    Parameters
    ----------
    value : str
        ``hh:mm:ss.ttt``, ``mm:ss.ttt`` or ``mm:ss``; the fraction may follow ``,`` (SRT).

    Returns
    -------
    float
        Seconds, or NaN when ``value`` is not such a time.
    """
    match = re.fullmatch(r"\s*(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?\s*", value)
    if not match:
        return float("nan")
    hours, minutes, seconds, fraction = match.groups()
    return (int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
            + (int(fraction.ljust(3, "0")) / 1000 if fraction else 0.0))


def split_label(line: str) -> Labelled | None:
    """Split ``"Agent Siti: Hello"`` into its label and text.

    Parameters
    ----------
    line : str
        One line. A label is a known speaker word (whole or first word), or up to three words
        without sentence punctuation (an unknown label is kept so validation can name it). A
        time before the label (``[00:01:02] Agent:``) or after it (``Agent (00:05):``) is read.

    Returns
    -------
    Labelled or None
        ``(label, text, start)``; ``None`` when the line has no label.
    """
    match = _LINE.match(line)
    if not match:
        return None
    label = match["label"].strip()
    if speaker_role(label) is None and (len(label.split()) > 3 or label.endswith(".")):
        return None
    time = match["time"] or match["time2"]
    start = parse_time(time) if time else float("nan")
    return Labelled(label, match["text"].strip(), start)


def read_text(path: str) -> Raw:
    """Read an ``"Agent: ..."`` transcript: ``path`` -> :class:`Raw` rows of one call.

    Rows have ``call_id`` (the file stem), ``turn`` (file order), ``speaker`` (the label as
    written), ``speaker_label`` (the same, kept after mapping), ``text``, ``start``; and
    ``input_line``, the line of the label.

    Raises
    ------
    InputError
        When the file cannot be opened.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    call_id = Path(path).stem
    rows: list[dict[str, Any]] = []
    rejects: list[dict[str, object]] = []

    def reject(line: int, code: str, reason: str) -> None:
        rejects.append({"input_file": path, "input_line": line, "call_id": call_id,
                        "reason_code": code, "reason": reason})

    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            reject(number, "bad_encoding",
                   f"line is not valid UTF-8: byte 0x{raw[exc.start]:02x} at column "
                   f"{exc.start + 1}")
            continue
        if number == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        labelled = split_label(line)
        if labelled is not None:
            rows.append({"call_id": call_id, "turn": len(rows), "speaker": labelled.label,
                         "text": labelled.text, "start": labelled.start,
                         "speaker_label": labelled.label, "input_line": number})
        elif rows:
            previous = rows[-1]
            previous["text"] = f"{previous['text']} {line.strip()}".strip()
        else:
            reject(number, "bad_record",
                   f'line {_short(line)} has no "Speaker:" label and no utterance before it')
    if not rows and not rejects:
        reject(0, "bad_record", 'the file has no "Speaker: text" lines')
    frame = pd.DataFrame(rows, columns=["call_id", "turn", "speaker", "text", "start",
                                        "speaker_label", "input_line"])
    frame["start"] = frame["start"].astype("float64")
    frame.insert(5, "end", np.nan)
    frame.insert(len(frame.columns) - 1, "input_file", path)
    return Raw(frame, rejects_frame(rejects))


def _short(line: str, limit: int = 40) -> str:
    line = line.strip()
    return '"' + (line if len(line) <= limit else line[: limit - 1] + "…") + '"'
