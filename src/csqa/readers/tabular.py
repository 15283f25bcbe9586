"""Tabular readers: JSON Lines, JSON, CSV/TSV and Parquet -> raw utterance rows.

Rows hold one utterance each, or a call object holds its turns in a list under ``turns``,
``utterances`` or ``transcript``; the call object's other keys are copied onto every turn
(a turn's own keys win). Validation is left to :func:`csqa.schema.split_valid`.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from csqa.errors import InputError
from csqa.schema import Raw, quote, rejects_frame

#: Keys under which a call object keeps its list of turns, in the order they are tried.
TURN_KEYS: tuple[str, ...] = ("turns", "utterances", "transcript")
#: Top-level keys of a JSON document that hold a list of call or row objects.
LIST_KEYS: tuple[str, ...] = ("calls", "conversations", "records", "rows")
# pandas' default missing-value words: kept for the metadata columns, but never applied to
# call_id/speaker/text (an utterance can be "None" or "NA").
_NA_WORDS = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
             "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
_TEXT_COLUMNS = ("call_id", "speaker", "text", "agent_id", "customer_name")


def _fail(path: str, message: str) -> InputError:
    err = InputError(f"{path}: {message}")
    err.path = path  # type: ignore[attr-defined]
    return err


def _frame(records: list[dict[str, Any]], lines: list[int], path: str) -> pd.DataFrame:
    frame = pd.DataFrame(records) if records else pd.DataFrame()
    frame["input_file"] = pd.Series([path] * len(records), dtype="str")
    frame["input_line"] = pd.Series(lines, dtype="int64")
    return frame


def is_call_object(record: dict[str, Any]) -> bool:
    """Tell a call object from an utterance row.

    Parameters
    ----------
    record : dict
        One parsed JSON object.

    Returns
    -------
    bool
        True when it has ``turns`` or ``utterances``, or a list under ``transcript``.
    """
    return any(k in record for k in TURN_KEYS[:2]) or isinstance(record.get("transcript"), list)


def expand_record(record: object, path: str, line: int, rows: list[dict[str, Any]],
                  lines: list[int], rejects: list[dict[str, object]],
                  per_turn_lines: bool = False) -> int:
    """Append the utterance rows of one JSON record (a row or a call object) to ``rows``.

    Parameters
    ----------
    record : object
        One parsed JSON value.
    path : str
        The file, for ``input_file``.
    line : int
        Its line (JSON Lines) or entry number (JSON).
    rows, lines, rejects : list
        Collectors: row dicts, their ``input_line`` and reject dicts.
    per_turn_lines : bool
        Number every turn of a call object (``line``, ``line + 1``, ...) instead of giving all
        turns the call's line.

    Returns
    -------
    int
        How many entry numbers the record used (its turns when ``per_turn_lines``, else 1).
    """
    def reject(code: str, reason: str, call_id: object = None, at: int = line) -> None:
        rejects.append({"input_file": path, "input_line": at, "reason_code": code,
                        "call_id": None if call_id is None else str(call_id), "reason": reason})

    if not isinstance(record, dict):
        kind = ("an array" if isinstance(record, list) else "a string" if isinstance(record, str)
                else "a " + type(record).__name__)
        reject("bad_record", f"record is {kind}, not a JSON object")
        return 1
    if not is_call_object(record):
        rows.append(record)
        lines.append(line)
        return 1
    key = next(k for k in TURN_KEYS if k in record)
    turns = record[key]
    call = {k: v for k, v in record.items() if k != key}
    call_id = call.get("call_id")
    if not isinstance(turns, list) or not turns:
        got = "an empty list" if isinstance(turns, list) else quote(json.dumps(turns), 30)
        reject("bad_record", f'call {quote(call_id)} has no turns: "{key}" is {got}', call_id)
        return 1
    for offset, turn in enumerate(turns):
        at = line + offset if per_turn_lines else line
        if isinstance(turn, dict):
            rows.append({**call, **turn})
            lines.append(at)
        else:
            reject("bad_record", f'turn {offset} of call {quote(call_id)} is not a JSON object '
                                 f"({quote(json.dumps(turn), 30)})", call_id, at)
    return len(turns) if per_turn_lines else 1


def _lines(path: str) -> Iterator[tuple[int, bytes]]:
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise _fail(path, f"cannot open: {exc.strerror or exc}") from exc
    with handle:
        yield from enumerate(handle, start=1)


def parse_json_lines(path: str, lines: Iterable[tuple[int, bytes]]) -> Raw:
    """Parse JSON Lines: one ``json.loads`` per line; a bad line becomes a reject.

    Parameters
    ----------
    path : str
        The file, for ``input_file`` and messages.
    lines : iterable of (int, bytes)
        1-based line numbers and the raw bytes of each line.

    Returns
    -------
    Raw
        The rows and the rejected lines (``bad_encoding``, ``bad_json``, ``bad_record``).
    """
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    rejects: list[dict[str, object]] = []
    loads, dict_, list_ = json.loads, dict, list
    for number, raw in lines:
        try:
            record = loads(raw)  # bytes: json detects UTF-8 and a BOM itself
        except UnicodeDecodeError as exc:
            reason = (f"line is not valid UTF-8: byte 0x{raw[exc.start]:02x} at column "
                      f"{exc.start + 1}")
            rejects.append({"input_file": path, "input_line": number, "call_id": None,
                            "reason_code": "bad_encoding", "reason": reason})
            continue
        except json.JSONDecodeError as exc:
            if raw.strip():
                rejects.append({"input_file": path, "input_line": number, "call_id": None,
                                "reason_code": "bad_json", "reason": f"line is not valid JSON: "
                                f"{exc.msg} at column {exc.colno}"})
            continue
        if type(record) is dict_ and "turns" not in record and "utterances" not in record \
                and type(record.get("transcript")) is not list_:
            rows.append(record)  # the common case, kept free of function calls
            numbers.append(number)
        else:
            expand_record(record, path, number, rows, numbers, rejects)
    return Raw(_frame(rows, numbers, path), rejects_frame(rejects))


def read_jsonl(path: str) -> Raw:
    """Read a JSON Lines file (``.jsonl``/``.ndjson``): ``path`` -> :class:`Raw` rows.

    Parameters
    ----------
    path : str
        The file. Each line is an utterance row or a call object.

    Returns
    -------
    Raw
        Rows with ``input_line`` = the 1-based line, and the lines rejected while parsing.

    Raises
    ------
    InputError
        When the file cannot be opened.
    """
    return parse_json_lines(path, _lines(path))


def load_json(path: str) -> Any:
    """Parse a whole JSON file: ``path`` -> the document.

    Parameters
    ----------
    path : str
        A ``.json`` file.

    Returns
    -------
    object
        The parsed document, or ``None`` when the file holds several objects one per line
        (JSON Lines with a ``.json`` name).

    Raises
    ------
    InputError
        When the file cannot be opened, is not UTF-8 or is not JSON.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot open: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(path, f"line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
                          "save the file as UTF-8") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and text.lstrip().startswith("{"):
            return None  # several objects, one per line: JSON Lines
        raise _fail(path, f"line {exc.lineno}: not valid JSON: {exc.msg} "
                          f"(column {exc.colno})") from exc


def records_of(doc: Any) -> list[Any] | None:
    """Find the call or row objects of a JSON document.

    Parameters
    ----------
    doc : object
        A parsed JSON document.

    Returns
    -------
    list or None
        The list itself, ``[doc]`` for one call object, the list under ``calls``,
        ``conversations``, ``records`` or ``rows``; ``None`` for any other shape.
    """
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        if is_call_object(doc):
            return [doc]
        for key in LIST_KEYS:
            found = doc.get(key)
            if isinstance(found, list):
                return found
    return None


def read_json_records(path: str, doc: Any) -> Raw:
    """Turn a parsed JSON document of rows or call objects into :class:`Raw` rows.

    Parameters
    ----------
    path : str
        The file, for ``input_file`` and messages.
    doc : object
        The parsed document (see :func:`records_of`).

    Returns
    -------
    Raw
        Rows whose ``input_line`` numbers the entries (each row, and each turn of a call
        object) from 1, and the entries rejected as ``bad_record``.

    Raises
    ------
    InputError
        When the document is not of a known shape.
    """
    records = records_of(doc)
    if records is None:
        keys = ", ".join(map(str, doc)) if isinstance(doc, dict) else type(doc).__name__
        raise _fail(path, "unknown JSON shape: expected a list of utterances or calls, a call "
                          f'with "turns"/"utterances"/"transcript", or a vendor transcript '
                          f"(top-level keys: {keys})")
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    rejects: list[dict[str, object]] = []
    entry = 1
    for record in records:
        entry += expand_record(record, path, entry, rows, numbers, rejects, per_turn_lines=True)
    return Raw(_frame(rows, numbers, path), rejects_frame(rejects))


def read_json(path: str) -> Raw:
    """Read a ``.json`` file: rows or call objects, a vendor transcript, or JSON Lines.

    Parameters
    ----------
    path : str
        The file. Vendor shapes (AWS, Google CCAI, Genesys, Twilio, Deepgram, AssemblyAI) are
        recognised by their keys and handed to :mod:`csqa.readers.vendors`.

    Returns
    -------
    Raw
        The rows and the records rejected while parsing.

    Raises
    ------
    InputError
        When the file cannot be opened, is not UTF-8 JSON, or has an unknown shape.
    """
    from csqa.readers import vendors

    doc = load_json(path)
    if doc is None:
        return read_jsonl(path)
    vendor = vendors.sniff_vendor(doc)
    if vendor is not None:
        return vendors.parse_vendor(doc, path, vendor)
    return read_json_records(path, doc)


def read_csv(path: str, *, sep: str = ",") -> Raw:
    """Read a CSV (or, with ``sep="\\t"``, TSV) file with a header row -> :class:`Raw` rows.

    ``call_id``, ``speaker``, ``text``, ``agent_id`` and ``customer_name`` are read as text (an
    empty cell is missing; "NA" or "None" is text); other columns get pandas' type inference.
    ``input_line`` is the 1-based data row (header excluded).

    Raises
    ------
    InputError
        When the file is missing, not UTF-8 (or UTF-16 with a BOM), or not parseable CSV.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot open: {exc.strerror or exc}") from exc
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(path, f"line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at "
                          f"position {exc.start}); save the file as UTF-8") from exc
    del data
    if not text.strip():
        return Raw(_frame([], [], path), rejects_frame([]))
    try:
        header = pd.read_csv(io.StringIO(text), sep=sep, nrows=0).columns
        na = {c: ([""] if c in _TEXT_COLUMNS else _NA_WORDS) for c in header}
        with warnings.catch_warnings():  # more fields than the header: an error, not data loss
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=sep, keep_default_na=False, na_values=na,
                                dtype={c: "str" for c in _TEXT_COLUMNS if c in header},
                                index_col=False)
    except pd.errors.ParserWarning as exc:
        raise _fail(path, f"cannot parse as {'TSV' if sep == chr(9) else 'CSV'}: line 2 has more "
                          "fields than the header") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise _fail(path, f"cannot parse as {'TSV' if sep == chr(9) else 'CSV'}: "
                          f"{str(exc).strip()}") from exc
    frame["input_file"] = path
    frame["input_line"] = np.arange(1, len(frame) + 1, dtype="int64")
    return Raw(frame, rejects_frame([]))


def read_tsv(path: str) -> Raw:
    """Read a tab-separated file: ``path`` -> :class:`Raw` rows (see :func:`read_csv`).

    Parameters
    ----------
    path : str
        The file, with a header row.

    Returns
    -------
    Raw
        The rows, ``input_line`` = the 1-based data row.
    """
    return read_csv(path, sep="\t")


def read_parquet(path: str) -> Raw:
    """Read a Parquet file of utterance rows: ``path`` -> :class:`Raw` rows.

    Parameters
    ----------
    path : str
        The file.

    Returns
    -------
    Raw
        The rows as stored (types kept), ``input_line`` = the 1-based row number.

    Raises
    ------
    InputError
        When the file is missing or is not Parquet.
    """
    if not os.path.exists(path):
        raise _fail(path, "cannot open: No such file or directory")
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types
        raise _fail(path, f"cannot read as Parquet: {exc}") from exc
    frame = frame.reset_index(drop=True)
    frame["input_file"] = path
    frame["input_line"] = np.arange(1, len(frame) + 1, dtype="int64")
    return Raw(frame, rejects_frame([]))
