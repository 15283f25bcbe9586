"""Read transcripts in blocks, and finish validation once a call's rows are all together.

:func:`iter_tables` reads JSON Lines, CSV/TSV and Parquet files ``chunk_rows`` records at a
time (other formats hold one call per file and are read whole) and validates each block row by
row with :func:`csqa.schema.split_valid`. The checks that need a whole call (a call numbers
all its turns or none, ``(call_id, turn)`` is unique, turns numbered by appearance, call-level
columns filled within the call) are redone by :func:`finish_calls` over all the rows of a set of
whole calls, which a streaming job gathers from anywhere in its inputs. Every row keeps its
global position in the inputs (:data:`SEQ`), so "first" and "order of appearance" mean the same
as when everything is read at once with :func:`csqa.readers.read_table`.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csqa.errors import InputError
from csqa.readers.blocks import CHUNKED_FORMATS, no_rejects, iter_raw
from csqa.schema import CALL_COLUMNS, CANONICAL_COLUMNS, Raw, _as_text, check_columns, quote, split_valid
from csqa.types import REJECT_COLUMNS, REQUIRED_COLUMNS, SOURCE_COLUMNS, PathLike

__all__ = ["Block", "Finished", "SEQ", "TURN_GIVEN", "CHUNKED_FORMATS", "input_files",
           "iter_tables", "finish_calls", "table_columns"]

#: Column holding a row's position over all inputs (0, 1, ...; raw records, in input order).
SEQ = "__csqa_seq__"
#: Column telling whether the input gave the row's turn number.
TURN_GIVEN = "__csqa_turn_given__"
_RAW = "__csqa_raw_{}__"
HELPER_COLUMNS: tuple[str, ...] = (SEQ, TURN_GIVEN)


@dataclass(frozen=True)
class Block:
    """One block of one input file, validated row by row.

    Attributes
    ----------
    file : str
        The input file (the first one, when the block holds several one-call files).
    rows : DataFrame
        The rows that passed the row checks: canonical columns, other input columns,
        ``input_file``, ``input_line``, then :data:`SEQ` and :data:`TURN_GIVEN`. Call-level
        columns are not filled and turns of unnumbered calls are provisional: pass the rows
        of whole calls to :func:`finish_calls`.
    rejects : DataFrame
        Records rejected in this block (``REJECT_COLUMNS``), in input order.
    merge_by_time : frozenset of str
        Calls whose recording legs are merged by start time (Genesys).
    files : tuple of str
        The files the rows come from: ``file``, or several one-call files validated together.
    """

    file: str
    rows: pd.DataFrame
    rejects: pd.DataFrame
    merge_by_time: frozenset[str] = frozenset()
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finished:
    """What :func:`finish_calls` returns.

    Attributes
    ----------
    utterances : DataFrame
        The canonical utterance table of these calls, calls in order of their first row in the
        inputs, then by turn.
    rejects : DataFrame
        Rows rejected by the call-level checks (``REJECT_COLUMNS``), in input order.
    first : Series
        Each call's first row position in the inputs (:data:`SEQ`), indexed by ``call_id`` in
        the order of ``utterances``: the key that orders calls across separately finished sets.
    """

    utterances: pd.DataFrame
    rejects: pd.DataFrame
    first: pd.Series


# ---------------------------------------------------------------------------- pass 1
def input_files(source: PathLike | Sequence[PathLike], *, format: str = "auto") -> list[tuple[str, str]]:
    """List the files a source stands for, with the format each is read as.

    Parameters
    ----------
    source : path or list of paths
        Files, or directories standing for their transcript files.
    format : str
        ``"auto"`` or a name in :data:`csqa.readers.FORMATS`.

    Returns
    -------
    list of (str, str)
        ``(path, format name)`` in the order they are read.

    Raises
    ------
    InputError
        A file is missing, a directory holds no transcript, or an extension is unknown.
    """
    from csqa import readers

    name = readers._format_name(format)
    items = readers._expand([source] if isinstance(source, (str, os.PathLike)) else source)
    out = []
    for item in items:
        if isinstance(item, pd.DataFrame):
            raise InputError("iter_tables reads files; use read_table for a DataFrame")
        out.append((item, readers.sniff_format(item) if name == "auto" else name))
    return out


def _prepare(rows: pd.DataFrame, seq0: int) -> pd.DataFrame:
    """Add the helper columns; hide call-level columns from ``split_valid``'s within-block fill."""
    rows = rows.reset_index(drop=True)
    n = len(rows)
    extra = {SEQ: np.arange(seq0, seq0 + n, dtype="int64"),
             TURN_GIVEN: (rows["turn"].notna().to_numpy(dtype=bool) if "turn" in rows
                          else np.zeros(n, dtype=bool))}
    rows = rows.rename(columns={c: _RAW.format(c) for c in CALL_COLUMNS if c in rows})
    return rows.assign(**extra)


def _restore(valid: pd.DataFrame, present: Sequence[str]) -> pd.DataFrame:
    """Put the call-level columns back, converted as ``split_valid`` does but not filled."""
    for name in present:
        raw = _RAW.format(name)
        values = _as_text(valid[raw])[0]
        values = values.where(~(values.str.strip() == "").fillna(False).to_numpy(dtype=bool))
        valid[name] = values.astype(object).where(values.notna(), None)
    return valid.drop(columns=[_RAW.format(name) for name in present])


def iter_tables(source: PathLike | Sequence[PathLike], *, chunk_rows: int = 20_000,
                format: str = "auto") -> Iterator[Block]:
    """Read and validate files block by block, without holding more than a block in memory.

    Parameters
    ----------
    source : path or list of paths
        Files, or directories standing for their transcript files.
    chunk_rows : int
        Records per block for the formats in :data:`CHUNKED_FORMATS`.
    format : str
        ``"auto"`` (by extension) or a name in :data:`csqa.readers.FORMATS`.

    Yields
    ------
    Block
        Blocks in input order; :data:`SEQ` numbers the raw records over all files.

    Raises
    ------
    InputError
        As :func:`csqa.readers.read_table`; a required column missing from a whole file is
        reported when the file has been read to its end.
    """
    if chunk_rows < 1:
        raise InputError(f"iter_tables: chunk_rows must be at least 1, not {chunk_rows}")
    seq = 0
    whole: list[tuple[str, Raw]] = []  # one-call files, validated together (per file is slow)
    for item, fmt in input_files(source, format=format):
        if fmt not in CHUNKED_FORMATS:
            raw = next(iter_raw(item, fmt, chunk_rows))
            if len(raw.rows):
                check_columns(raw.rows, item)
            whole.append((item, raw))
            if sum(len(r.rows) for _, r in whole) >= chunk_rows:
                yield _validated(whole, seq)
                seq += sum(len(r.rows) for _, r in whole)
                whole = []
            continue
        if whole:
            yield _validated(whole, seq)
            seq += sum(len(r.rows) for _, r in whole)
            whole = []
        seen: set[str] = set()
        for raw in _prefetched(iter_raw(item, fmt, chunk_rows)):
            rows = raw.rows
            if len(rows):
                seen.update(map(str, rows.columns))
                for column in REQUIRED_COLUMNS:  # may still come in a later block
                    if column not in rows:
                        rows = rows.assign(**{column: None})
            yield _validated([(item, Raw(rows, raw.rejects))], seq)
            seq += len(rows)
        if seen and not set(REQUIRED_COLUMNS) <= seen:
            check_columns(pd.DataFrame(columns=sorted(seen - set(SOURCE_COLUMNS))), item)
    if whole:
        yield _validated(whole, seq)


def _prefetched(blocks: Iterator[Raw]) -> Iterator[Raw]:
    """Read the next block in a thread while this one is validated (Arrow parses without the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    try:
        with ThreadPoolExecutor(1, thread_name_prefix="csqa-read") as pool:
            future = pool.submit(next, blocks, None)
            while (raw := future.result()) is not None:
                future = pool.submit(next, blocks, None)
                yield raw
    finally:
        blocks.close()  # type: ignore[attr-defined]


def _validated(raws: list[tuple[str, Raw]], seq: int) -> Block:
    """Validate the rows of one block (or of several one-call files) row by row."""
    with_rows = [raw.rows for _, raw in raws if len(raw.rows)]
    rows = (with_rows[0] if len(with_rows) == 1 else
            pd.concat(with_rows, ignore_index=True, sort=False) if with_rows else raws[0][1].rows)
    merged = frozenset(c for _, raw in raws for c in raw.rows.attrs.get("merge_by_time", ()))
    present = [c for c in CALL_COLUMNS if c in rows]
    valid, rejects = split_valid(_prepare(rows, seq), source=raws[0][0])
    valid.attrs = {}
    parts = [r for r in (*(raw.rejects for _, raw in raws), rejects) if len(r)]
    rejects = pd.concat(parts, ignore_index=True) if parts else no_rejects()
    if len(rejects) > 1:
        rank = rejects["input_file"].map({f: i for i, (f, _) in enumerate(raws)}).fillna(len(raws))
        rejects = rejects.iloc[np.lexsort((rejects["input_line"].to_numpy(), rank.to_numpy()))]
    files = tuple(f for f, raw in raws if len(raw.rows))
    return Block(raws[0][0], _restore(valid, present), rejects.reset_index(drop=True), merged, files)


# ---------------------------------------------------------------------------- pass 2
def _first_text(file: str, line: int, here: str) -> str:
    return f"{int(line)}" if file == here else f"{file}:{int(line)}"


def finish_calls(rows: pd.DataFrame, *, merge_by_time: Collection[str] = (),
                 columns: Sequence[str] | None = None) -> Finished:
    """Apply the whole-call checks to the rows of whole calls gathered from :func:`iter_tables`.

    Parameters
    ----------
    rows : DataFrame
        Concatenated :attr:`Block.rows` holding every row of each of its calls, in any order.
    merge_by_time : collection of str
        Calls whose rows are ordered by ``start`` rather than by input position (recording
        legs from several files).
    columns : sequence of str, optional
        The other input columns, in output order (columns absent from ``rows`` are added,
        empty); by default those of ``rows``.

    Returns
    -------
    Finished
        As :func:`csqa.schema.split_valid` would give for these calls read at once: a call
        that numbers some turns has its unnumbered rows rejected; a repeated
        ``(call_id, turn)`` is rejected after its first appearance (the message names the
        first one's line, and its file when that is another file); unnumbered calls are
        numbered by appearance; ``agent_id``/``customer_name`` are filled within the call.
    """
    fixed = [*CANONICAL_COLUMNS]
    others = [c for c in (columns if columns is not None else rows.columns)
              if c not in fixed and c not in SOURCE_COLUMNS and c not in HELPER_COLUMNS]
    out_columns = [*fixed, *others, *SOURCE_COLUMNS]
    if len(rows) == 0:
        return Finished(rows.reindex(columns=out_columns).reset_index(drop=True),
                        no_rejects(), pd.Series([], dtype="int64", name=SEQ))
    rows = rows.iloc[np.argsort(rows[SEQ].to_numpy(), kind="stable")].reset_index(drop=True)
    seq = rows[SEQ].to_numpy(dtype="int64")
    codes = pd.factorize(rows["call_id"])[0]
    key = seq.astype("float64")
    if merge_by_time:
        merged = rows["call_id"].isin(list(merge_by_time)).to_numpy()
        start = pd.to_numeric(rows["start"], errors="coerce").to_numpy(dtype="float64",
                                                                       na_value=np.inf)
        key[merged] = start[merged]
    rows = rows.iloc[np.lexsort((seq, key, codes))].reset_index(drop=True)
    n = len(rows)
    seq, codes = rows[SEQ].to_numpy(dtype="int64"), pd.factorize(rows["call_id"])[0]
    given = rows[TURN_GIVEN].to_numpy(dtype=bool)
    turn = rows["turn"].to_numpy(dtype="int64")
    files = rows["input_file"].to_numpy(dtype=object)
    lines = rows["input_line"].to_numpy(dtype="int64")
    ids = rows["call_id"].to_numpy(dtype=object)
    code = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)

    numbered = pd.Series(given).groupby(codes).transform("any").to_numpy(dtype=bool)
    for i in np.flatnonzero(numbered & ~given):
        code[i] = "missing_value"
        reason[i] = f"turn is missing while other turns of call {quote(ids[i])} are numbered"
    keyed = np.flatnonzero(given)
    pairs = pd.DataFrame({"c": codes[keyed], "t": turn[keyed]})
    dup = pairs.duplicated(keep="first").to_numpy()
    if dup.any():
        firsts = pairs.assign(i=keyed).groupby(["c", "t"])["i"].transform("first")
        for i, f in zip(keyed[dup], firsts.to_numpy()[dup]):
            code[i] = "duplicate_turn"
            reason[i] = (f"turn {int(turn[i])} of call {quote(ids[i])} appears again "
                         f"(first at {_first_text(files[f], lines[f], files[i])})")
    ok = pd.isna(code)
    rejects = no_rejects()
    if not ok.all():
        bad = np.flatnonzero(~ok)
        rejects = pd.DataFrame({"input_file": pd.Series(files[bad], dtype="str"),
                                "input_line": pd.Series(lines[bad], dtype="int64"),
                                "call_id": pd.Series(ids[bad], dtype=object),
                                "reason_code": pd.Series(code[bad], dtype="str"),
                                "reason": pd.Series(reason[bad], dtype="str")})
        rejects = rejects.iloc[np.argsort(seq[bad], kind="stable")].reset_index(drop=True)
        rejects = rejects.reindex(columns=list(REJECT_COLUMNS))
    kept = np.flatnonzero(ok)
    turn, codes, seq, numbered = turn[kept], codes[kept], seq[kept], numbered[kept]
    renumber = ~numbered
    if renumber.any():
        turn = turn.copy()
        turn[renumber] = pd.Series(codes[renumber]).groupby(codes[renumber]).cumcount().to_numpy()
    first_of_call = pd.Series(seq).groupby(codes).transform("min").to_numpy()
    order = np.lexsort((np.arange(len(kept)), turn, first_of_call))
    table = rows.iloc[kept[order]].reset_index(drop=True)
    table["turn"] = pd.Series(turn[order], dtype="int64")
    for name in CALL_COLUMNS:
        values = table[name]
        values = values.where(values.notna(), values.groupby(table["call_id"], sort=False)
                              .transform("first"))
        table[name] = values.astype(object).where(values.notna(), None)
    first = table.groupby("call_id", sort=False)[SEQ].min()
    first.name = SEQ
    return Finished(table.reindex(columns=out_columns), rejects, first)


def table_columns(blocks_columns: Sequence[Sequence[str]]) -> list[str]:
    """The ordered union of blocks' column lists (first appearance wins), helpers left out.

    Parameters
    ----------
    blocks_columns : sequence of sequence of str
        Each block's columns, in input order.

    Returns
    -------
    list of str
    """
    seen: dict[str, None] = {}
    for cols in blocks_columns:
        for c in cols:
            if c not in HELPER_COLUMNS:
                seen.setdefault(c, None)
    return list(seen)
