"""Spill files of a streaming run: rows by call bucket, hits by call-order range.

A streaming ``csqa score`` reads its inputs once, block by block, and writes each block's rows
into *buckets* chosen by a stable hash of ``call_id`` (:class:`BucketSpill`), so every row of a
call lands in the same bucket wherever it was in the inputs. Buckets are then scored one unit
(a few buckets, whole calls) at a time, in any order and on any worker; their hits are routed
into *ranges* of call order (:class:`HitRanges`) and read back range by range, sorted, so the
output is in input order while only one range is ever held in memory.

Row spill files are pickled pandas frames appended one after the other: pieces keep their exact
dtypes, columns may differ between pieces, and object columns of mixed types (which Arrow
refuses) are fine. Hits have a fixed schema and go through Arrow IPC streams.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from csqa.readers.stream import SEQ

#: Column of a hits table holding its call's first input position (the call-order key).
FIRST = "__csqa_first__"


def bucket_of(call_ids: pd.Series, n_buckets: int) -> np.ndarray:
    """Return each row's bucket: a stable hash of its ``call_id`` modulo ``n_buckets``.

    Parameters
    ----------
    call_ids : Series
        Call ids (strings).
    n_buckets : int
        Number of buckets.

    Returns
    -------
    ndarray of int64
        The same for the same id in any process, run or machine (pandas' fixed-key SipHash).
    """
    return (call_hashes(call_ids) % np.uint64(max(1, n_buckets))).astype("int64")


def call_hashes(call_ids: pd.Series) -> np.ndarray:
    """64-bit hashes of call ids, the same in every process (pandas' fixed-key SipHash)."""
    return pd.util.hash_pandas_object(call_ids.astype("str"), index=False).to_numpy(dtype="uint64")


def _per_key(keys: np.ndarray, firsts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Reduce (key, first, count) entries to one per key: the smallest first, the summed count."""
    if len(keys) == 0:
        return keys, firsts, counts
    order = np.argsort(keys, kind="stable")
    keys, firsts, counts = keys[order], firsts[order], counts[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.minimum.reduceat(firsts, starts), np.add.reduceat(counts, starts)


def append_frame(path: Path, frame: pd.DataFrame) -> None:
    """Append one pickled frame to a spill file.

    Parameters
    ----------
    path : Path
        The spill file (created if needed).
    frame : DataFrame
        The piece to add.
    """
    with open(path, "ab") as fh:
        pickle.dump(frame, fh, protocol=pickle.HIGHEST_PROTOCOL)


def read_frames(paths: Sequence[Path]) -> list[pd.DataFrame]:
    """Read back every frame appended to ``paths``, file by file, in the order written.

    Parameters
    ----------
    paths : sequence of Path
        Spill files; missing ones are skipped (a bucket no row went to).

    Returns
    -------
    list of DataFrame
    """
    frames: list[pd.DataFrame] = []
    for path in paths:
        if not path.exists():
            continue
        with open(path, "rb") as fh:
            while True:
                try:
                    frames.append(pickle.load(fh))
                except EOFError:
                    break
    return frames


class BucketSpill:
    """Rows of canonical utterances spilled into buckets of whole calls.

    Parameters
    ----------
    folder : Path
        Where the bucket files go (created).
    n_buckets : int
        Number of buckets.
    flush_rows : int
        Rows buffered before they are split into buckets and written (fewer, larger pieces).

    Attributes
    ----------
    sizes : ndarray of int64
        Rows written to each bucket so far.
    """

    def __init__(self, folder: Path, n_buckets: int, *, flush_rows: int = 50_000) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.n_buckets = max(1, int(n_buckets))
        self.flush_rows = flush_rows
        self.sizes = np.zeros(self.n_buckets, dtype="int64")
        self._buffer: list[pd.DataFrame] = []
        self._buffered = 0
        # per call (by call-id hash): first input position and row count, for call order
        self._index: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._indexed = 0
        self._compacted = 0

    def path(self, bucket: int) -> Path:
        """The rows file of ``bucket``."""
        return self.folder / f"rows-{bucket:05d}.pkl"

    def add(self, rows: pd.DataFrame) -> None:
        """Buffer a block of rows (with :data:`~csqa.readers.stream.SEQ`); write when full."""
        if len(rows):
            self._buffer.append(rows)
            self._buffered += len(rows)
        if self._buffered >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        """Split the buffered rows by bucket and append each piece to its bucket's file."""
        if not self._buffer:
            return
        rows = pd.concat(self._buffer, ignore_index=True) if len(self._buffer) > 1 else self._buffer[0]
        self._buffer, self._buffered = [], 0
        hashed = call_hashes(rows["call_id"])
        self._add_index(*_per_key(hashed, rows[SEQ].to_numpy(dtype="int64"), np.ones(len(rows), dtype="int64")))
        bucket = (hashed % np.uint64(self.n_buckets)).astype("int64")
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange(self.n_buckets + 1))
        rows = rows.take(order)  # one gather, then slices
        for b in np.flatnonzero(np.diff(bounds)):
            append_frame(self.path(b), rows.iloc[bounds[b]:bounds[b + 1]].reset_index(drop=True))
            self.sizes[b] += bounds[b + 1] - bounds[b]

    def _add_index(self, keys: np.ndarray, firsts: np.ndarray, counts: np.ndarray) -> None:
        self._index.append((keys, firsts, counts))
        self._indexed += len(keys)
        if self._indexed > 2 * self._compacted + 100_000:  # a call seen in many blocks
            self._compact()

    def _compact(self) -> None:
        if len(self._index) > 1:
            self._index = [_per_key(*(np.concatenate(parts) for parts in zip(*self._index)))]
        self._indexed = self._compacted = len(self._index[0][0]) if self._index else 0

    def calls(self) -> tuple[np.ndarray, np.ndarray]:
        """Every call's first input position and row count (calls told apart by the 64-bit hash
        of their id: a collision would only make a range of call order a little larger).

        Returns
        -------
        (ndarray, ndarray)
            ``first`` (sorted ascending) and ``n_rows`` of each call, int64.
        """
        self._compact()
        if not self._index:
            return np.zeros(0, dtype="int64"), np.zeros(0, dtype="int64")
        _, first, n_rows = self._index[0]
        order = np.argsort(first, kind="stable")
        return first[order], n_rows[order]

    def units(self, target_rows: int) -> list[list[Path]]:
        """Group consecutive non-empty buckets into units of about ``target_rows`` rows.

        Parameters
        ----------
        target_rows : int
            Rows per unit; a bucket larger than that is a unit on its own.

        Returns
        -------
        list of list of Path
            Each unit's bucket files: whole calls, each call in exactly one unit.
        """
        units: list[list[Path]] = []
        current: list[Path] = []
        rows = 0
        for b in np.flatnonzero(self.sizes):
            if current and rows + self.sizes[b] > target_rows:
                units.append(current)
                current, rows = [], 0
            current.append(self.path(b))
            rows += int(self.sizes[b])
        if current:
            units.append(current)
        return units


def range_bounds(first: np.ndarray, n_rows: np.ndarray, target_rows: int) -> np.ndarray:
    """Cut the calls, in call order, into ranges of about ``target_rows`` input rows.

    Parameters
    ----------
    first : ndarray of int64
        Each call's first input position, ascending (:meth:`BucketSpill.calls`).
    n_rows : ndarray of int64
        Each call's row count, aligned with ``first``.
    target_rows : int
        Input rows per range.

    Returns
    -------
    ndarray of int64
        The first position of each range (the first is 0): a call belongs to range
        ``searchsorted(bounds, first, "right") - 1``.
    """
    if len(first) == 0:
        return np.zeros(1, dtype="int64")
    before = np.concatenate(([0], np.cumsum(n_rows)[:-1]))
    starts = np.flatnonzero(np.diff(before // max(1, target_rows), prepend=-1))
    bounds = first[starts].copy()
    bounds[0] = 0
    return bounds


class _Ranges:
    """Range files by call order: the folder, the bounds, and routing sorted rows to ranges."""

    def __init__(self, folder: Path, bounds: np.ndarray) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.bounds = np.asarray(bounds, dtype="int64")

    def _pieces(self, first: np.ndarray) -> Iterator[tuple[int, int, int]]:
        """``(range, lo, hi)`` for each run of rows (sorted by call order ``first``) in one range."""
        r_of = np.searchsorted(self.bounds, first, side="right") - 1
        cuts = np.flatnonzero(np.diff(r_of)) + 1
        for lo, hi in zip(np.concatenate(([0], cuts)), np.concatenate((cuts, [len(r_of)]))):
            yield int(r_of[lo]), int(lo), int(hi)


class FrameRanges(_Ranges):
    """Frames routed by call order into ranges (pickled), read back one sorted range at a time.

    For the call rows (one per call): small, but with columns whose types may differ between
    units (a column empty in one unit), which Arrow streams would refuse.

    Parameters
    ----------
    folder : Path
        Where the range files go (created).
    bounds : ndarray of int64
        :func:`range_bounds`.
    """

    def _path(self, r: int) -> Path:
        return self.folder / f"frames-{r:05d}.pkl"

    def add(self, frame: pd.DataFrame) -> None:
        """Route a frame with a :data:`FIRST` column, sorted by it, to its ranges."""
        if len(frame) == 0:
            return
        for r, lo, hi in self._pieces(frame[FIRST].to_numpy()):
            append_frame(self._path(r), frame.iloc[lo:hi])

    def __iter__(self) -> Iterator[pd.DataFrame]:
        """Yield each range's rows in call order, without the :data:`FIRST` column."""
        for r in range(len(self.bounds)):
            if self._path(r).exists():
                yield self._read(r)

    def _read(self, r: int) -> pd.DataFrame:
        path = self._path(r)
        frames = read_frames([path])
        path.unlink()
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return frame.sort_values(FIRST, kind="stable").drop(columns=FIRST).reset_index(drop=True)


class HitRanges(_Ranges):
    """Hits routed by call order into ranges, read back one sorted range at a time.

    Parameters
    ----------
    folder : Path
        Where the range files go (created).
    bounds : ndarray of int64
        :func:`range_bounds`.
    """

    def __init__(self, folder: Path, bounds: np.ndarray) -> None:
        super().__init__(folder, bounds)
        self._writers: dict[int, tuple[pa.NativeFile, pa.ipc.RecordBatchStreamWriter]] = {}
        self.schema: pa.Schema | None = None

    def _path(self, r: int) -> Path:
        return self.folder / f"hits-{r:05d}.arrow"

    def add(self, table: pa.Table) -> None:
        """Route a table of hits with a :data:`FIRST` column, sorted by it, to its ranges."""
        if self.schema is None:
            self.schema = table.schema
        if table.num_rows == 0:
            return
        table = table.cast(self.schema)
        for r, lo, hi in self._pieces(table.column(FIRST).to_numpy()):
            if r not in self._writers:
                sink = pa.OSFile(str(self._path(r)), "wb")
                self._writers[r] = (sink, pa.ipc.new_stream(sink, self.schema))
            self._writers[r][1].write_table(table.slice(lo, hi - lo))

    def close(self) -> None:
        """Close every range file (safe to call twice)."""
        for sink, writer in self._writers.values():
            writer.close()
            sink.close()
        self._writers = {}

    def __iter__(self) -> Iterator[pa.Table]:
        """Yield each range's hits in call order (stable: a call's hits keep their order)."""
        self.close()
        for r in range(len(self.bounds)):
            if self._path(r).exists():
                yield self._read(r)  # no reference kept here while the next range is read

    def _read(self, r: int) -> pa.Table:
        path = self._path(r)
        with pa.OSFile(str(path), "rb") as source:
            table = pa.ipc.open_stream(source).read_all()
        path.unlink()
        first = table.column(FIRST).to_numpy()
        if len(first) > 1 and not (np.diff(first) >= 0).all():
            table = table.take(pa.array(np.argsort(first, kind="stable")))
        return table.drop_columns([FIRST])
