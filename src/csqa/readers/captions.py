"""Caption files: WebVTT and SRT, one call per file (``call_id`` = file stem).

The speaker of a cue is its ``<v Name>`` voice span or a ``Name:`` prefix; a cue with
neither continues the previous cue's speaker (the captioning convention). A cue with
several voices gives one utterance per voice. ``input_line`` is the cue number (1-based, in
file order), ``turn`` the utterance's position in the file.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pandas as pd

from csqa.errors import InputError
from csqa.readers.text import parse_time, split_label
from csqa.schema import Raw, rejects_frame

_TIMING = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)")
_VOICE = re.compile(r"<v(?:\.[\w.\-]+)*(?:\s+([^>]*))?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_SKIP = ("NOTE", "STYLE", "REGION")


def _clean(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _voices(payload: str) -> list[tuple[str | None, str]]:
    """Split a cue's text into (speaker label or None, text) pieces."""
    marks = list(_VOICE.finditer(payload))
    if marks:
        pieces: list[tuple[str | None, str]] = []
        head = _clean(payload[: marks[0].start()])
        if head:
            pieces.append((None, head))
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(payload)
            pieces.append(((mark[1] or "").strip() or None, _clean(payload[mark.end():end])))
        return pieces
    text = _clean(payload)
    labelled = split_label(text)
    if labelled is not None:
        return [(labelled.label, labelled.text)]
    return [(None, text)]


def _decode(path: str) -> list[tuple[int, str | None]]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    lines: list[tuple[int, str | None]] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append((number, raw.decode("utf-8").rstrip("\r")))
        except UnicodeDecodeError:
            lines.append((number, None))
    if lines and lines[0][1] is not None:
        lines[0] = (1, lines[0][1].lstrip("\ufeff"))
    return lines


def _blocks(lines: list[tuple[int, str | None]]) -> list[list[tuple[int, str | None]]]:
    blocks: list[list[tuple[int, str | None]]] = [[]]
    for number, line in lines:
        if line is not None and not line.strip():
            if blocks[-1]:
                blocks.append([])
        else:
            blocks[-1].append((number, line))
    return [b for b in blocks if b]


def _read(path: str, kind: str) -> Raw:
    blocks = _blocks(_decode(path))
    if kind == "vtt":
        first = blocks[0][0][1] if blocks else None
        if first is None or not first.startswith("WEBVTT"):
            raise InputError(f'{path}: not a WebVTT file: the first line is not "WEBVTT" '
                             f"(got {'an empty file' if not blocks else repr((first or '')[:30])})")
        blocks = blocks[1:]
    call_id = Path(path).stem
    rows: list[dict[str, Any]] = []
    rejects: list[dict[str, object]] = []
    cue = 0
    speaker: str | None = None
    for block in blocks:
        head = block[0][1] or ""
        if kind == "vtt" and head.split(" ", 1)[0].split("\t", 1)[0] in _SKIP:
            continue
        cue += 1

        def reject(code: str, reason: str) -> None:
            rejects.append({"input_file": path, "input_line": cue, "call_id": call_id,
                            "reason_code": code, "reason": reason})

        bad = [n for n, line in block if line is None]
        if bad:
            reject("bad_encoding", f"cue {cue} is not valid UTF-8 (line {bad[0]})")
            continue
        timing = next((i for i, (_, line) in enumerate(block[:2]) if "-->" in (line or "")), None)
        match = _TIMING.match(block[timing][1] or "") if timing is not None else None
        if match is None:
            reject("bad_record", f'cue {cue} (line {block[0][0]}) has no "start --> end" '
                                 f"timing line")
            continue
        times = [parse_time(value) for value in match.groups()]
        start, end = [t if t == t else raw for t, raw in zip(times, match.groups())]
        payload = "\n".join(line or "" for _, line in block[timing + 1:])  # type: ignore[operator]
        for label, text in _voices(payload):
            speaker = label if label is not None else speaker
            rows.append({"call_id": call_id, "turn": len(rows), "speaker": speaker,
                         "text": text, "start": start, "end": end, "speaker_label": speaker,
                         "input_file": path, "input_line": cue})
    if not rows and not rejects:
        rejects.append({"input_file": path, "input_line": 0, "call_id": call_id,
                        "reason_code": "bad_record", "reason": "the file has no cues"})
    frame = pd.DataFrame(rows, columns=["call_id", "turn", "speaker", "text", "start", "end",
                                        "speaker_label", "input_file", "input_line"])
    return Raw(frame, rejects_frame(rejects))


def read_vtt(path: str) -> Raw:
    """Read a WebVTT file: ``path`` -> :class:`Raw` rows of one call (see the module doc).

    Raises
    ------
    InputError
        When the file cannot be opened or does not start with ``WEBVTT``.
    """
    return _read(path, "vtt")


def read_srt(path: str) -> Raw:
    """Read an SRT file: ``path`` -> :class:`Raw` rows of one call (see the module doc).

    Raises
    ------
    InputError
        When the file cannot be opened.
    """
    return _read(path, "srt")
