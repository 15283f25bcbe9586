"""Run a scoring job over files with bounded memory: what ``csqa score`` runs.

Three passes, so memory stays flat however large the input and wherever a call's rows are:

1. **Read and spill.** Each input is read in blocks (:func:`csqa.readers.iter_tables`;
   JSON Lines, CSV and Parquet ``READ_ROWS`` records at a time, other formats one file at a
   time), validated row by row, and spilled into buckets by a stable hash of ``call_id``
   (:class:`csqa.spill.BucketSpill`). Every row keeps its position in the inputs.
2. **Score.** Buckets are grouped into units of about ``chunk_rows`` rows; a unit holds every
   row of its calls. Each unit is finished (duplicate turns and unnumbered rows in numbered
   calls rejected, missing turns numbered by appearance, call-level columns filled:
   :func:`csqa.readers.finish_calls`) and scored, in this process, in joblib workers or on Dask.
   Hits go to range files by call order (:class:`csqa.spill.HitRanges`); call rows (one per
   call) to a spill file.
3. **Write.** Ranges are read back in order and appended to the hits table; the call rows are
   sorted and written, and aggregated into the agent table.

Output order, the same for any ``n_jobs``, ``chunk_rows`` and engine: calls in order of their
first row in the inputs (files in the order given, rows in file order); hits grouped by call in
that order, then by turn and behaviour; rejects by file, then line. The number of buckets only
decides how much is held in memory at once, never what is written.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from csqa.aggregation import aggregate
from csqa.errors import InputError
from csqa.pipeline import Settings, chunks_of_calls, provenance, score_chunk
from csqa.readers.stream import Finished, finish_calls, input_files, iter_tables, table_columns
from csqa.schema import empty_rejects, empty_utterances
from csqa.spill import FIRST, BucketSpill, FrameRanges, HitRanges, range_bounds, read_frames
from csqa.types import PathLike, REJECT_COLUMNS
from csqa.writers import RunWriter

log = logging.getLogger("csqa")

CHUNK_ROWS = 20_000
"""Utterances per unit of work (whole calls; about 500 calls of 40 turns)."""
READ_ROWS = 20_000
"""Records read per block in pass 1."""
RANGE_CHUNKS = 1
"""Units' worth of calls per hits range in pass 3 (the most hits held in memory at once)."""
CALL_RANGE_CHUNKS = 20
"""Units' worth of calls per range of call rows (one row per call: small)."""
MAX_VOCAB = 20_000
"""Distinct token strings a process's tokenizer may remember before it is rebuilt (spaCy keeps
every string it has seen: with reference numbers and amounts in the text, that grows without end)."""
MIN_BUCKET_ROWS = 500
MAX_BUCKETS = 2048
# Conservative (small) bytes per utterance by format, to size buckets before reading: an
# overestimate of the rows only makes more, smaller buckets, which units group again.
_BYTES_PER_ROW = {"jsonl": 120, "json": 120, "csv": 60, "tsv": 60, "parquet": 20}


@dataclass(frozen=True)
class UnitJob:
    """What scoring one unit needs besides its rows (picklable, sent to every worker)."""

    settings: Settings
    merge_by_time: frozenset[str] = frozenset()
    columns: tuple[str, ...] = ()
    chunk_rows: int = CHUNK_ROWS


@dataclass(frozen=True)
class UnitResult:
    """One scored unit: hits (Arrow, with the call-order key), call rows, rejects, row count."""

    hits: pa.Table
    calls: pd.DataFrame
    rejects: pd.DataFrame
    n_utterances: int


def load_unit(paths: Sequence[Path], job: UnitJob) -> Finished:
    """Read a unit's bucket files and apply the whole-call checks.

    Parameters
    ----------
    paths : sequence of Path
        The unit's bucket files (:meth:`csqa.spill.BucketSpill.units`).
    job : UnitJob

    Returns
    -------
    Finished
    """
    frames = read_frames(paths)
    rows = pd.concat(frames, ignore_index=True) if len(frames) != 1 else frames[0]
    return finish_calls(rows, merge_by_time=job.merge_by_time, columns=job.columns)


def score_finished(finished: Finished, job: UnitJob) -> UnitResult:
    """Score a finished unit; order its hits and call rows by the calls' input order.

    Parameters
    ----------
    finished : Finished
        :func:`load_unit`'s result (the part a Dask worker receives).
    job : UnitJob

    Returns
    -------
    UnitResult
    """
    u = finished.utterances
    parts = [score_chunk(p, job.settings) for p in chunks_of_calls(u, job.chunk_rows)]
    hits = pd.concat([p[0] for p in parts], ignore_index=True) if len(parts) > 1 else parts[0][0]
    calls = pd.concat([p[1] for p in parts], ignore_index=True) if len(parts) > 1 else parts[0][1]
    first = finished.first
    key = hits["call_id"].map(first).to_numpy(dtype="int64")
    order = np.argsort(key, kind="stable")
    hits = hits.iloc[order].reset_index(drop=True).assign(**{FIRST: key[order]})
    calls = calls.assign(**{FIRST: calls["call_id"].map(first).to_numpy(dtype="int64")})
    calls = calls.sort_values(FIRST, kind="stable").reset_index(drop=True)
    bound_vocabulary()
    return UnitResult(pa.Table.from_pandas(hits, preserve_index=False), calls,
                      finished.rejects, len(u))


def bound_vocabulary(limit: int | None = None) -> bool:
    """Rebuild this process's tokenizer once its vocabulary holds more than ``limit`` strings.

    Tokens do not depend on what the tokenizer saw before, so this changes no output; it keeps
    a long run's memory flat. Called after each unit, in whichever process scored it.

    Parameters
    ----------
    limit : int, optional
        Distinct token strings allowed before the rebuild (default :data:`MAX_VOCAB`).

    Returns
    -------
    bool
        Whether the tokenizer was rebuilt.
    """
    from csqa import nlp

    limit = MAX_VOCAB if limit is None else limit
    info = getattr(nlp.tokenizer, "cache_info", None)
    if info is None or not info().currsize or len(nlp.tokenizer().vocab) <= limit:
        return False
    nlp.tokenizer.cache_clear()
    table = getattr(nlp, "_LEXEMES", None)  # per-string token descriptions (keyed by hash)
    if isinstance(table, dict):
        table.clear()
    return True


def score_unit(paths: Sequence[Path], job: UnitJob) -> UnitResult:
    """Load, finish and score one unit (what a local worker runs).

    Parameters
    ----------
    paths : sequence of Path
    job : UnitJob

    Returns
    -------
    UnitResult
    """
    return score_finished(load_unit(paths, job), job)


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


def _local_results(units: list[list[Path]], job: UnitJob, workers: int) -> Iterator[UnitResult]:
    if workers <= 1 or len(units) <= 1:
        for unit in units:
            yield score_unit(unit, job)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=workers, prefer="processes", return_as="generator",
                        pre_dispatch="2*n_jobs")
    yield from parallel(delayed(score_unit)(unit, job) for unit in units)


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
    with RunWriter(out_dir, format=format) as out:
        scratch = out.scratch_dir()
        spill = BucketSpill(scratch / "rows", plan_buckets(files, chunk_rows, workers))
        rejects: list[pd.DataFrame] = []
        columns: dict[str, None] = {}  # every column seen, in order of first appearance
        merged: set[str] = set()
        with_rows: set[str] = set()
        for block in iter_tables([path for path, _ in files], chunk_rows=READ_ROWS):
            spill.add(block.rows)
            if len(block.rejects):
                rejects.append(block.rejects)
            columns.update(dict.fromkeys(block.rows.columns))
            merged |= block.merge_by_time
            with_rows.update(block.files)
        spill.flush()
        first, n_rows = spill.calls()
        n_calls, n_read = len(first), int(n_rows.sum())
        t_read = time.perf_counter() - t0
        log.info("read: %d utterances in %d calls from %d file(s), %d rejected, %d bucket(s) (%.1f s)",
                 n_read, n_calls, len(files), sum(map(len, rejects)), spill.n_buckets, t_read)

        unit_rows = chunk_rows if workers == 1 else min(chunk_rows, max(MIN_BUCKET_ROWS, n_read // (4 * workers)))
        range_rows = max(RANGE_CHUNKS * chunk_rows, n_read // 1000)
        units = spill.units(unit_rows)
        job = UnitJob(settings, frozenset(merged) if len(with_rows) > 1 else frozenset(),
                      tuple(table_columns([list(columns)])), chunk_rows)
        ranges = HitRanges(scratch / "hits", range_bounds(first, n_rows, range_rows))
        call_ranges = FrameRanges(scratch / "calls", range_bounds(first, n_rows, CALL_RANGE_CHUNKS * range_rows))
        t1 = time.perf_counter()
        if engine == "dask":
            from csqa.dask_engine import score_units_dask

            results = score_units_dask(units, job, scheduler=scheduler)
        else:
            results = _local_results(units, job, workers)
        n_hits = n_utterances = done = 0
        try:
            for result in results:
                ranges.add(result.hits)
                call_ranges.add(result.calls)
                if len(result.rejects):
                    rejects.append(result.rejects)
                n_hits += result.hits.num_rows
                n_utterances += result.n_utterances
                done += len(result.calls)
                if on_progress:
                    on_progress(done, n_calls)
        finally:
            ranges.close()
            getattr(results, "close", lambda: None)()
        t_score = time.perf_counter() - t1
        log.info("detect+score: %d hits in %d calls, %d unit(s) (%.1f s)", n_hits, done, len(units), t_score)

        t2 = time.perf_counter()
        for table in ranges:
            out.write("hits", table)
            del table
        calls = _write_calls(out, iter(call_ranges))
        if n_hits == 0 or calls is None:
            empty = score_chunk(empty_utterances(job.columns), settings)
            if n_hits == 0:
                out.write("hits", empty[0])
            if calls is None:
                calls = empty[1]
                out.write("calls", calls)
        agents = aggregate(calls, settings.scorecard)
        out.write("agents", agents)
        rejected = _sorted_rejects(rejects, [path for path, _ in files])
        out.write_rejects(rejected)
        manifest = provenance(
            settings,
            inputs=[str(Path(p)) for p in inputs],
            output=str(out_dir),
            format=format,
            engine=engine,
            n_jobs=n_jobs,
            counts={"utterances": n_utterances, "calls": len(calls), "hits": n_hits,
                    "agents": len(agents), "rejects": len(rejected)},
            streaming={"buckets": spill.n_buckets, "units": len(units), "ranges": len(ranges.bounds),
                       "workers": workers if engine == "local" else None},
            seconds={"read": round(t_read, 3), "detect_and_score": round(t_score, 3),
                     "write": round(time.perf_counter() - t2, 3),
                     "total": round(time.perf_counter() - t0, 3)},
        )
        out.write_manifest(manifest)
    log.info("write: %s (%s)", out_dir, format)
    return manifest, agents
