"""Read transcripts into the canonical utterance table: ``read``, ``validate``, ``read_table``.

One reader per input family turns a file into raw rows; :func:`csqa.schema.split_valid`
checks them all at once (vectorised) and sets bad rows aside with a reason. Formats are
chosen by extension and, for ``.json``, by content (see :data:`FORMATS`).
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, Union

import numpy as np
import pandas as pd

from csqa.errors import InputError, RejectedRecordsWarning, not_one_of
from csqa.readers import captions, tabular, text, vendors
from csqa.schema import DATAFRAME_SOURCE, Raw, check_columns, empty_rejects, split_valid
from csqa.types import PathLike

__all__ = ["Block", "FORMATS", "Finished", "ReadResult", "finish_calls", "iter_tables", "read",
           "read_table", "sniff_format", "validate"]

Source = Union[PathLike, pd.DataFrame, Sequence[Union[PathLike, pd.DataFrame]]]

#: Format name -> what it reads. ``format="auto"`` picks one per file (see :func:`sniff_format`).
FORMATS: Mapping[str, str] = MappingProxyType({
    "jsonl": "JSON Lines: one utterance (or one call with its turns) per line",
    "json": "JSON: a list of utterances or calls, one call, or a vendor transcript (sniffed)",
    "csv": "CSV with a header row, one utterance per row",
    "tsv": "tab-separated values with a header row, one utterance per row",
    "parquet": "Parquet, one utterance per row",
    "text": 'plain text, one call per file, "Agent: ..." lines (call_id = file stem)',
    "vtt": "WebVTT captions, <v Name> voices or Name: prefixes (call_id = file stem)",
    "srt": "SubRip captions with Name: prefixes (call_id = file stem)",
    "aws": "Amazon Contact Lens / Transcribe Call Analytics / Transcribe JSON",
    "ccai": "Google CCAI Insights upload JSON or Conversation resource",
    "genesys": "Genesys Cloud speech & text analytics transcript JSON",
    "twilio": "Twilio Intelligence sentences JSON (with the transcript's channel)",
    "deepgram": "Deepgram pre-recorded response with utterances",
    "assemblyai": "AssemblyAI transcript with utterances",
})
_ALIASES = {"ndjson": "jsonl", "txt": "text", "webvtt": "vtt", "subrip": "srt"}
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv",
               ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet", ".txt": "text",
               ".vtt": "vtt", ".srt": "srt"}
_READERS: Mapping[str, Callable[[str], Raw]] = {
    "jsonl": tabular.read_jsonl, "json": tabular.read_json, "csv": tabular.read_csv,
    "tsv": tabular.read_tsv, "parquet": tabular.read_parquet, "text": text.read_text,
    "vtt": captions.read_vtt, "srt": captions.read_srt,
    **{name: functools.partial(vendors.read_vendor, vendor=name) for name in vendors.VENDORS},
}
# The unit ``input_line`` counts, by file extension, for messages.
_UNITS = {".csv": "row", ".tsv": "row", ".parquet": "row", ".pq": "row", ".json": "entry",
          ".vtt": "cue", ".srt": "cue"}


@dataclass(frozen=True)
class ReadResult:
    """What :func:`read_table` returns.

    Attributes
    ----------
    utterances : DataFrame
        The valid rows: the canonical utterance table.
    rejects : DataFrame
        The rejected records: ``input_file, input_line, call_id, reason_code, reason``.
    """

    utterances: pd.DataFrame
    rejects: pd.DataFrame




def sniff_format(path: PathLike) -> str:
    """Return the format name for ``path`` from its extension (``.json`` is sniffed later).

    Raises
    ------
    InputError
        When the extension is not one csqa reads.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise InputError(f'{os.fspath(path)}: cannot tell the format from the extension '
                         f'"{suffix}"; pass format= one of: {", ".join(FORMATS)}')
    return _EXTENSIONS[suffix]


def _format_name(format: str) -> str:
    name = _ALIASES.get(format.lower(), format.lower())
    if name != "auto" and name not in FORMATS:
        raise InputError(not_one_of("read", "format", format, ["auto", *FORMATS]))
    return name


def _expand(source: Source) -> list[str | pd.DataFrame]:
    items = [source] if isinstance(source, (str, os.PathLike, pd.DataFrame)) else list(source)
    if not items:
        raise InputError("read: no input given (an empty list of paths)")
    out: list[str | pd.DataFrame] = []
    for item in items:
        if isinstance(item, pd.DataFrame):
            out.append(item)
            continue
        path = os.fspath(item)
        if os.path.isdir(path):
            found = sorted(str(p) for p in Path(path).iterdir()
                           if p.is_file() and p.suffix.lower() in _EXTENSIONS)
            if not found:
                raise InputError(f"{path}: no transcript files in this directory "
                                 f"(extensions read: {', '.join(_EXTENSIONS)})")
            out.extend(found)
        elif not os.path.exists(path):
            raise InputError(f"{path}: file not found")
        else:
            out.append(path)
    return out


def _read_one(item: str | pd.DataFrame, format: str) -> Raw:
    if isinstance(item, pd.DataFrame):
        frame = item
        if not {"input_file", "input_line"} <= set(frame.columns):
            frame = frame.assign(input_file=DATAFRAME_SOURCE,
                                 input_line=np.arange(1, len(frame) + 1, dtype="int64"))
        raw = Raw(frame, empty_rejects())
        source = DATAFRAME_SOURCE
    else:
        source = item
        raw = _READERS[sniff_format(item) if format == "auto" else format](item)
    if len(raw.rows):
        check_columns(raw.rows, source)
    return raw


def _by_time(frame: pd.DataFrame, calls: set[str]) -> pd.DataFrame:
    """Order the rows of ``calls`` (merged recording legs) by ``start`` within each call."""
    position = np.arange(len(frame), dtype="float64")
    rank = pd.factorize(frame["call_id"])[0]
    merged = frame["call_id"].isin(calls).to_numpy()
    start = pd.to_numeric(frame["start"], errors="coerce").to_numpy(dtype="float64",
                                                                  na_value=np.inf)
    key = np.where(merged, start, position)
    return frame.iloc[np.lexsort((position, key, rank))].reset_index(drop=True)


def read_table(source: Source, *, format: str = "auto") -> ReadResult:
    """Read and validate transcripts: path(s) or DataFrame -> :class:`ReadResult`.

    Parameters
    ----------
    source : path, list of paths, DataFrame
        Files (a directory stands for its transcript files), or a DataFrame with at least
        ``call_id``, ``speaker`` and ``text``. A DataFrame's ``input_file`` is
        ``"<dataframe>"`` and ``input_line`` its row position + 1, unless it already has both
        columns (a table csqa read before keeps pointing at its files).
    format : str
        ``"auto"`` (by extension; ``.json`` by content) or a name in :data:`FORMATS`.

    Returns
    -------
    ReadResult
        ``utterances`` (the canonical table over all inputs) and ``rejects`` (sorted by
        input, then line).

    Raises
    ------
    InputError
        A file is missing, unreadable or of an unknown format; a required column is missing
        from a whole file; a CSV is not UTF-8.
    """
    name = _format_name(format)
    items = _expand(source)
    raws = [_read_one(item, name) for item in items]
    frames = [raw.rows for raw in raws if len(raw.rows)]
    if len(frames) == 1:
        rows = frames[0]
    elif frames:
        rows = pd.concat(frames, ignore_index=True, sort=False)
    else:
        rows = raws[0].rows
    merged = {cid for raw in raws for cid in raw.rows.attrs.get("merge_by_time", ())}
    if merged and len(frames) > 1:
        rows = _by_time(rows, merged)
    source_name = DATAFRAME_SOURCE if isinstance(items[0], pd.DataFrame) else items[0]
    utterances, rejects = split_valid(rows, source=source_name)
    utterances.attrs = {}
    rejects = pd.concat([r for r in [*(raw.rejects for raw in raws), rejects] if len(r)]
                        or [empty_rejects()], ignore_index=True)
    names = [DATAFRAME_SOURCE if isinstance(item, pd.DataFrame) else item for item in items]
    order = {file: rank for rank, file in reversed(list(enumerate(names)))}
    rank = rejects["input_file"].map(order).fillna(len(order)).to_numpy()
    rejects = rejects.iloc[np.lexsort((rejects["input_line"].to_numpy(), rank))]
    return ReadResult(utterances, rejects.reset_index(drop=True))


def _where(file: str, line: int) -> str:
    unit = _UNITS.get(Path(file).suffix.lower(), "row" if file == DATAFRAME_SOURCE else "line")
    return f"{unit} {line}"


def read(source: Source, *, format: str = "auto",
         errors: Literal["reject", "raise"] = "reject") -> pd.DataFrame:
    """Read transcripts: path(s) or DataFrame -> the canonical utterance table (valid rows).

    Parameters
    ----------
    source : path, list of paths, DataFrame
        See :func:`read_table`.
    format : str
        ``"auto"`` or a name in :data:`FORMATS`.
    errors : {"reject", "raise"}
        ``"reject"`` keeps the valid rows and emits a :class:`RejectedRecordsWarning` when any
        record was set aside; ``"raise"`` raises :class:`InputError` at the first bad record.

    Returns
    -------
    DataFrame
        The canonical utterance table (valid rows only; the rejected records are in
        :func:`validate` or :func:`read_table`'s ``rejects``).

    Raises
    ------
    InputError
        On the errors of :func:`read_table`, and with ``errors="raise"`` on a bad record.

    Examples
    --------
    >>> import pandas as pd, csqa.readers as r
    >>> r.read(pd.DataFrame({"call_id": ["c1"], "speaker": ["AGENT"], "text": ["Hello"]}))[
    ...     ["call_id", "turn", "speaker", "text"]]
      call_id  turn speaker   text
    0      c1     0   agent  Hello
    """
    if errors not in ("reject", "raise"):
        raise ValueError(not_one_of("read", "errors", errors, ("reject", "raise")))
    result = read_table(source, format=format)
    rejects = result.rejects
    if len(rejects):
        first = rejects.iloc[0]
        file, line, reason = first["input_file"], int(first["input_line"]), first["reason"]
        if errors == "raise":
            where = f"{file}:{line}" if _where(file, line).startswith("line") else \
                f"{file}: {_where(file, line)}"
            err = InputError(f"{where}: {reason} [{first['reason_code']}]")
            err.path, err.line = file, line  # type: ignore[attr-defined]
            raise err
        files = rejects["input_file"].unique()
        n = len(rejects)
        records = f"{n} record{'s' if n != 1 else ''} rejected"
        head = (f"{file}: {records}, first at {_where(file, line)}" if len(files) == 1 else
                f"{records} in {len(files)} inputs, first in {file} at {_where(file, line)}")
        warnings.warn(f"{head}: {reason}; see csqa.validate", RejectedRecordsWarning,
                      stacklevel=2)
    return result.utterances


def validate(source: Source, *, format: str = "auto") -> pd.DataFrame:
    """Check transcripts without keeping them: path(s) or DataFrame -> the rejects table.

    Parameters
    ----------
    source : path, list of paths, DataFrame
        See :func:`read_table`.
    format : str
        ``"auto"`` or a name in :data:`FORMATS`.

    Returns
    -------
    DataFrame
        ``input_file, input_line, call_id, reason_code, reason``: one row per rejected record,
        empty when everything is valid.

    Raises
    ------
    InputError
        On the errors that stop a read (see :func:`read_table`).
    """
    return read_table(source, format=format).rejects


# Chunked reading for streaming jobs (imported last: it uses the helpers above).
from csqa.readers.stream import Block, Finished, finish_calls, iter_tables  # noqa: E402
