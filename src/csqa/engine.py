"""Run a scoring job over files with bounded memory: what ``csqa score`` runs.

Three passes, so memory stays flat however large the input and wherever a call's rows are:

1. **Read and spill.** Each input is read in blocks (:func:`csqa.readers.iter_tables`;
   JSON Lines, CSV and Parquet ``READ_ROWS`` records at a time, other formats one file at a
   time), validated row by row, and spilled into buckets by a stable hash of ``call_id``
   (:class:`csqa.spill.BucketSpill`). Every row keeps its position in the inputs.
2. **Score.** Buckets are grouped into units of about ``chunk_rows`` rows; a unit holds every
   row of its calls. Each unit is finished (duplicate turns and unnumbered rows in numbered
   calls rejected, missing turns numbered by appearance, call-level columns filled:
   :func:`csqa.readers.finish_calls`) and scored (:mod:`csqa.units`), in this process, in
   joblib workers (started, lexicon loaded, while pass 1 reads) or on Dask. Hits and call
   rows go to range files by call order (:class:`csqa.spill.HitRanges`,
   :class:`csqa.spill.FrameRanges`).
3. **Write.** Ranges are read back in order, one at a time, sorted and appended to the hits
   and calls tables; the call rows, held once, are aggregated into the agent table.

Output order, the same for any ``n_jobs``, ``chunk_rows`` and engine: calls in order of their
first row in the inputs (files in the order given, rows in file order); hits grouped by call in
that order, then by turn and behaviour; rejects by file, then line. The number of buckets only
decides how much is held in memory at once, never what is written.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from csqa.aggregation import aggregate
from csqa.errors import InputError
from csqa.pipeline import Settings, provenance, score_chunk
from csqa.readers.stream import input_files, iter_tables, table_columns
from csqa.schema import empty_rejects, empty_utterances
from csqa.spill import BucketSpill, FrameRanges, HitRanges, range_bounds
from csqa.types import PathLike, REJECT_COLUMNS
from csqa.units import CHUNK_ROWS, UnitJob, UnitResult, bound_vocabulary, local_results, start_workers
from csqa.writers import RunWriter

log = logging.getLogger("csqa")

READ_ROWS = 20_000
"""Records read per block in pass 1."""
RANGE_CHUNKS = 1
"""Units' worth of calls per hits range in pass 3 (the most hits held in memory at once)."""
CALL_RANGE_CHUNKS = 20
"""Units' worth of calls per range of call rows (one row per call: small)."""
MIN_BUCKET_ROWS = 500
MAX_BUCKETS = 2048
# Conservative (small) bytes per utterance by format, to size buckets before reading: an
# overestimate of the rows only makes more, smaller buckets, which units group again.
_BYTES_PER_ROW = {"jsonl": 120, "json": 120, "csv": 60, "tsv": 60, "parquet": 20}


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def plan_buckets(files: Sequence[tuple[str, str]], chunk_rows: int, workers: int = 1) -> int:
    """Choose the number of buckets from the input size, before reading.

    Parameters
    ----------
    files : sequence of (path, format)
        :func:`csqa.readers.stream.input_files`.
    chunk_rows : int
        Target rows per unit of work.
    workers : int
        Processes that will score; small inputs get at least ``4 * workers`` buckets so every
        worker has work.

    Returns
    -------
    int
        About one bucket per ``chunk_rows`` estimated rows (rows estimated from file sizes,
        generously), between 1 and ``MAX_BUCKETS``.
    """
    est = sum(os.path.getsize(path) / _BYTES_PER_ROW.get(fmt, 100) for path, fmt in files)
    bucket_rows = chunk_rows if workers <= 1 else min(chunk_rows, est / (4 * workers))
    bucket_rows = max(min(chunk_rows, MIN_BUCKET_ROWS), bucket_rows)
    return int(min(MAX_BUCKETS, max(1, math.ceil(est / bucket_rows))))


def release_memory() -> None:
    """Give memory freed by the last pass back to the system before the next one grows.

    Arrow's allocator and glibc's keep freed pages for reuse; the call rows and the agent
    table, built last and the only part that grows with the input, would be added on top.
    """
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # glibc; absent elsewhere
    except (AttributeError, OSError):  # pragma: no cover - depends on the C library
        pass


def _sorted_rejects(parts: list[pd.DataFrame], files: list[str]) -> pd.DataFrame:
    frames = [r for r in parts if len(r)]
    if not frames:
        return empty_rejects()
    rejects = pd.concat(frames, ignore_index=True).reindex(columns=list(REJECT_COLUMNS))
    rank = rejects["input_file"].map({f: i for i, f in enumerate(files)}).fillna(len(files))
    order = np.lexsort((rejects["input_line"].to_numpy(), rank.to_numpy()))
    return rejects.iloc[order].reset_index(drop=True)


def _write_calls(out: RunWriter, parts: Iterator[pd.DataFrame]) -> pd.DataFrame | None:
    """Write call rows range by range, in order; return all of them for the agent table.

    The ranges are held once, as Arrow (their types unified: a column empty in one range and
    filled in another), and become one pandas frame column by column, so the call rows are in
    memory about once. None when there are no call rows.
    """
    tables: list[pa.Table] = []
    frames: list[pd.DataFrame] = []
    for frame in parts:
        try:
            tables.append(pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            frames.append(frame)  # mixed types in a column: the whole-table path below
        else:
            if frames:
                frames.append(tables.pop().to_pandas())
    if not tables and not frames:
        return None
    if not frames:
        try:
            schema = pa.unify_schemas([t.schema for t in tables], promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            frames = [t.to_pandas() for t in tables]
        else:
            schema = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in schema])
            for i, table in enumerate(tables):
                tables[i] = table.cast(schema)
                out.write("calls", tables[i])
            table = pa.concat_tables(tables)
            del tables
            return table.to_pandas(self_destruct=True, split_blocks=True)
    calls = pd.concat([*(t.to_pandas() for t in tables), *frames], ignore_index=True)
    out.write("calls", calls)
    return calls


@dataclass
class _Read:
    """What pass 1 leaves for the others."""

    spill: BucketSpill
    rejects: list[pd.DataFrame] = field(default_factory=list)
    columns: dict[str, None] = field(default_factory=dict)  # in order of first appearance
    merged: set[str] = field(default_factory=set)
    files_with_rows: set[str] = field(default_factory=set)


def _read_pass(files: list[tuple[str, str]], spill: BucketSpill) -> _Read:
    read = _Read(spill)
    for block in iter_tables([path for path, _ in files], chunk_rows=READ_ROWS):
        spill.add(block.rows)
        if len(block.rejects):
            read.rejects.append(block.rejects)
        read.columns.update(dict.fromkeys(block.rows.columns))
        read.merged |= block.merge_by_time
        read.files_with_rows.update(block.files)
    spill.flush()
    return read


def _score_pass(results: Iterator[UnitResult], hits: HitRanges, calls: FrameRanges, read: _Read,
                n_calls: int, on_progress: Callable[[int, int], None] | None) -> dict[str, int]:
    counts = {"hits": 0, "utterances": 0, "calls": 0}
    try:
        for result in results:
            hits.add(result.hits)
            calls.add(result.calls)
            if len(result.rejects):
                read.rejects.append(result.rejects)
            counts["hits"] += result.hits.num_rows
            counts["utterances"] += result.n_utterances
            counts["calls"] += len(result.calls)
            if on_progress:
                on_progress(counts["calls"], n_calls)
    finally:
        hits.close()
        getattr(results, "close", lambda: None)()
    return counts


def run_score(
    inputs: Sequence[PathLike],
    out_dir: PathLike,
    settings: Settings,
    *,
    format: str = "parquet",
    n_jobs: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Score files into ``out_dir`` atomically; return the run manifest (also run.json) and the agent table.

    Parameters
    ----------
    inputs : sequence of path
        Transcript files (or directories of them) in any format ``csqa.read`` knows. A call's
        rows may be anywhere in them, in any order, across files.
    out_dir : path
        Output folder: hits, calls, agents tables, rejects.jsonl, run.json. It appears only
        when the run completes; an interrupted run leaves neither it nor any temporary file.
    settings : Settings
        Scorecard and lexicons (see :func:`csqa.pipeline.make_settings`).
    format : {"parquet", "csv"}
    n_jobs : int
        Worker processes for the local engine (-1 = all cores). The output does not depend on it.
    engine : {"local", "dask"}
        ``dask`` scores the units on a Dask cluster (see :mod:`csqa.dask_engine`).
    scheduler : str, optional
        Dask scheduler address; a local cluster when None.
    chunk_rows : int
        Utterances per unit of work (whole calls); bounds the memory of the scoring pass.
    on_progress : callable, optional
        Called with (calls done, calls total) after each unit.

    Returns
    -------
    (dict, DataFrame)
        The manifest (inputs, counts, versions, scorecard, timings) and the per-agent table.
    """
    if engine not in ("local", "dask"):
        raise InputError(f'engine "{engine}" is not one of: dask, local')
    t0 = time.perf_counter()
    files = input_files(list(inputs))
    workers = max(1, n_jobs if n_jobs > 0 else _cores())
    warming = start_workers(settings, workers) if engine == "local" else None  # while we read
    try:
        with RunWriter(out_dir, format=format) as out:
            scratch = out.scratch_dir()
            read = _read_pass(files, BucketSpill(scratch / "rows", plan_buckets(files, chunk_rows, workers)))
            first, n_rows = read.spill.calls()
            n_read = int(n_rows.sum())
            t_read = time.perf_counter() - t0
            log.info("read: %d utterances in %d calls from %d file(s), %d rejected, %d bucket(s) (%.1f s)",
                     n_read, len(first), len(files), sum(map(len, read.rejects)), read.spill.n_buckets, t_read)

            t1 = time.perf_counter()
            unit_rows = chunk_rows if workers == 1 else min(chunk_rows, max(MIN_BUCKET_ROWS, n_read // (4 * workers)))
            units = read.spill.units(unit_rows)
            job = UnitJob(settings, frozenset(read.merged) if len(read.files_with_rows) > 1 else frozenset(),
                          tuple(table_columns([list(read.columns)])), chunk_rows)
            range_rows = max(RANGE_CHUNKS * chunk_rows, n_read // 1000)
            hit_ranges = HitRanges(scratch / "hits", range_bounds(first, n_rows, range_rows))
            call_ranges = FrameRanges(scratch / "calls", range_bounds(first, n_rows, CALL_RANGE_CHUNKS * range_rows))
            if engine == "dask":
                from csqa.dask_engine import score_units_dask

                results = score_units_dask(units, job, scheduler=scheduler)
            else:
                for _ in warming or ():  # the workers are up and have their lexicon
                    pass
                results = local_results(units, job, workers)
            counts = _score_pass(results, hit_ranges, call_ranges, read, len(first), on_progress)
            t_score = time.perf_counter() - t1
            log.info("detect+score: %d hits in %d calls, %d unit(s) (%.1f s)", counts["hits"], counts["calls"],
                     len(units), t_score)

            t2 = time.perf_counter()
            bound_vocabulary(0)  # this process scored its last unit: its tokenizer can go
            release_memory()
            for table in hit_ranges:
                out.write("hits", table)
                del table  # not held while the next range is read
            release_memory()
            calls = _write_calls(out, iter(call_ranges))
            release_memory()
            if counts["hits"] == 0 or calls is None:
                empty = score_chunk(empty_utterances(job.columns), settings)
                if counts["hits"] == 0:
                    out.write("hits", empty[0])
                if calls is None:
                    calls = empty[1]
                    out.write("calls", calls)
            agents = aggregate(calls, settings.scorecard)
            out.write("agents", agents)
            rejected = _sorted_rejects(read.rejects, [path for path, _ in files])
            out.write_rejects(rejected)
            manifest = provenance(
                settings,
                inputs=[str(Path(p)) for p in inputs],
                output=str(out_dir),
                format=format,
                engine=engine,
                n_jobs=n_jobs,
                counts={"utterances": counts["utterances"], "calls": len(calls), "hits": counts["hits"],
                        "agents": len(agents), "rejects": len(rejected)},
                streaming={"buckets": read.spill.n_buckets, "units": len(units),
                           "ranges": len(hit_ranges.bounds), "workers": workers if engine == "local" else None},
                seconds={"read": round(t_read, 3), "detect_and_score": round(t_score, 3),
                         "write": round(time.perf_counter() - t2, 3),
                         "total": round(time.perf_counter() - t0, 3)},
            )
            out.write_manifest(manifest)
    finally:
        if warming is not None:
            warming.close()  # type: ignore[attr-defined]
    log.info("write: %s (%s)", out_dir, format)
    return manifest, agents
