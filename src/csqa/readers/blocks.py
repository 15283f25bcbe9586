"""Raw rows of one file in blocks: JSON Lines, CSV/TSV and Parquet a block at a time.

The streaming reader (:mod:`csqa.readers.stream`) validates and spills each block before
reading the next, so a file of any size is read with the memory of one block. JSON Lines
blocks of plain utterance rows are parsed by Arrow's JSON reader; a block it cannot take as it
is (a blank or bad line, call objects, nested values, values that change type) goes through
the line-by-line reader, which gives the same rows and rejects as reading the whole file.
Other formats hold one call per file and are read whole.
"""

from __future__ import annotations

import functools
import io
import json
import os
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

from csqa.schema import Raw, empty_rejects

__all__ = ["CHUNKED_FORMATS", "iter_raw", "no_rejects"]

#: Formats read ``chunk_rows`` records at a time; the others are read one whole file at a time.
CHUNKED_FORMATS: tuple[str, ...] = ("jsonl", "csv", "tsv", "parquet")


@functools.cache
def _empty_rejects() -> pd.DataFrame:
    return empty_rejects()


def no_rejects() -> pd.DataFrame:
    """An empty rejects table (a copy of one built once: building it is slow for a block)."""
    return _empty_rejects().copy()


def _arrow_jsonl(path: str, data: bytes, lines: list[bytes], line: int, stamps: set[str]) -> Raw | None:
    """Parse a block of plain utterance rows with Arrow's JSON reader (C++); None when the
    block needs the line-by-line reader: a blank or bad line, a call object, nested values,
    a column whose values change type, or a non-string value in a text column.

    ``stamps`` holds the file's fields Arrow would take for dates: they are read as strings
    (kept as written), and the set grows as they are found.
    """
    import pyarrow as pa
    import pyarrow.json as pj

    from csqa.readers import tabular

    n_lines = len(lines)
    if not lines or lines[0].startswith(b"\xef\xbb\xbf") or not all(map(bytes.strip, lines)):
        return None
    options = pj.ReadOptions(use_threads=True, block_size=max(1 << 20, len(data) // 4 + 1))
    try:
        while True:
            explicit = pa.schema([pa.field(name, pa.string()) for name in sorted(stamps)])
            parse = pj.ParseOptions(explicit_schema=explicit, unexpected_field_behavior="infer")
            table = pj.read_json(io.BytesIO(data), read_options=options, parse_options=parse)
            new = {f.name for f in table.schema if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)}
            if not new:
                break
            stamps |= new
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if table.num_rows != n_lines:
        return None
    for field in table.schema:
        kind = field.type
        if (pa.types.is_nested(kind) or field.name in tabular.TURN_KEYS
                or (field.name in tabular._TEXT_COLUMNS
                    and not (pa.types.is_string(kind) or pa.types.is_null(kind)))):
            return None
    if stamps:  # explicit fields come first: put them back where the first row has them
        try:
            keys = list(json.loads(lines[0]))
        except ValueError:
            return None
        place = {k: i for i, k in enumerate(keys)}
        names = table.column_names
        table = table.select(sorted(names, key=lambda c: (place.get(c, len(keys)), names.index(c))))
    frame = table.to_pandas()
    frame["input_file"] = pd.Series([path] * len(frame), dtype="str")
    frame["input_line"] = np.arange(line, line + n_lines, dtype="int64")
    return Raw(frame, no_rejects())


def _jsonl_blocks(path: str, chunk_rows: int) -> Iterator[Raw]:
    """Blocks of about ``chunk_rows`` lines, read as bytes and cut at line ends."""
    from csqa.readers import tabular

    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise tabular._fail(path, f"cannot open: {exc.strerror or exc}") from exc
    size, line, rest = chunk_rows * 256, 1, b""
    stamps: set[str] = set()
    with handle:
        while True:
            chunk = handle.read(size)
            data = rest + chunk
            cut = data.rfind(b"\n") + 1 if chunk else len(data)
            if chunk and cut == 0:  # one line longer than the block: read on
                rest = data
                continue
            data, rest = data[:cut], data[cut:]
            if not data:
                return
            lines = data.split(b"\n")
            if data.endswith(b"\n"):
                lines.pop()
            if line == 1 and len(lines) > 1:  # aim at chunk_rows lines per block
                size = max(1 << 16, len(data) * chunk_rows // len(lines))
            yield (_arrow_jsonl(path, data, lines, line, stamps)
                   or tabular.parse_json_lines(path, enumerate(lines, start=line)))
            line += len(lines)


def _csv_blocks(path: str, sep: str, chunk_rows: int) -> Iterator[Raw]:
    from csqa.readers import tabular

    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise tabular._fail(path, f"cannot open: {exc.strerror or exc}") from exc
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or not head.strip():
        yield tabular.read_csv(path, sep=sep)  # UTF-16 or empty: the whole-file reader
        return
    kind = "TSV" if sep == "\t" else "CSV"
    line = 1
    try:
        header = pd.read_csv(path, sep=sep, nrows=0, encoding="utf-8-sig").columns
        na = {c: ([""] if c in tabular._TEXT_COLUMNS else tabular._NA_WORDS) for c in header}
        reader = pd.read_csv(path, sep=sep, keep_default_na=False, na_values=na,
                             dtype={c: "str" for c in tabular._TEXT_COLUMNS if c in header},
                             index_col=False, encoding="utf-8-sig", chunksize=chunk_rows)
        with reader:
            while True:
                with warnings.catch_warnings():  # more fields than the header: an error
                    warnings.simplefilter("error", pd.errors.ParserWarning)
                    frame = next(reader, None)
                if frame is None:
                    return
                frame["input_file"] = path
                frame["input_line"] = np.arange(line, line + len(frame), dtype="int64")
                line += len(frame)
                yield Raw(frame, no_rejects())
    except (UnicodeDecodeError, pd.errors.ParserWarning, pd.errors.ParserError,
            ValueError) as exc:
        tabular.read_csv(path, sep=sep)  # words the error with its line, when it can
        raise tabular._fail(path, f"cannot parse as {kind} near data row {line}: "
                                  f"{str(exc).strip()}") from exc


def _parquet_blocks(path: str, chunk_rows: int) -> Iterator[Raw]:
    import pyarrow.parquet as pq

    from csqa.readers import tabular

    if not os.path.exists(path):
        raise tabular._fail(path, "cannot open: No such file or directory")
    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=chunk_rows)
    except Exception as exc:  # pyarrow raises several unrelated types
        raise tabular._fail(path, f"cannot read as Parquet: {exc}") from exc
    line = 1
    while True:
        try:
            batch = next(batches, None)
        except Exception as exc:
            raise tabular._fail(path, f"cannot read as Parquet: {exc}") from exc
        if batch is None:
            return
        frame = batch.to_pandas().reset_index(drop=True)
        frame["input_file"] = path
        frame["input_line"] = np.arange(line, line + len(frame), dtype="int64")
        line += len(frame)
        yield Raw(frame, no_rejects())


def iter_raw(path: str, format: str, chunk_rows: int) -> Iterator[Raw]:
    """Yield the raw rows of one file in blocks of about ``chunk_rows`` records.

    Parameters
    ----------
    path : str
        The file.
    format : str
        Its format name (see :data:`csqa.readers.FORMATS`); formats not in
        :data:`CHUNKED_FORMATS` yield the whole file as one block.
    chunk_rows : int
        Records (lines, rows) per block; a JSON Lines call object counts as one.

    Yields
    ------
    Raw
        Rows with ``input_file``/``input_line``, and the records rejected while parsing.
    """
    if format == "jsonl":
        yield from _jsonl_blocks(path, chunk_rows)
    elif format in ("csv", "tsv"):
        yield from _csv_blocks(path, "\t" if format == "tsv" else ",", chunk_rows)
    elif format == "parquet":
        yield from _parquet_blocks(path, chunk_rows)
    else:
        from csqa.readers import _READERS

        yield _READERS[format](path)
