"""Run a scoring job over files: read, score in chunks of whole calls, write as it goes.

This is what ``csqa score`` runs. Hits are written chunk by chunk and never all held in
memory; call rows (one per call) are kept for the per-agent table at the end. Chunks are
scored in this process or in joblib workers (``n_jobs``), or on Dask (``engine="dask"``);
the output is the same rows in the same order (calls in input order) whatever the engine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from csqa.aggregation import aggregate
from csqa.errors import InputError
from csqa.pipeline import Settings, chunks_of_calls, provenance, run_chunks, score_chunk
from csqa.types import PathLike
from csqa.writers import RunWriter

log = logging.getLogger("csqa")

CHUNK_ROWS = 20_000
"""Utterances per chunk (whole calls; about 500 calls of 40 turns)."""


def _batches(pieces: list[pd.DataFrame], size: int) -> Iterator[list[pd.DataFrame]]:
    for i in range(0, len(pieces), size):
        yield pieces[i:i + size]


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
        Transcript files in any format ``csqa.read`` knows.
    out_dir : path
        Output folder: hits, calls, agents tables, rejects.jsonl, run.json.
    settings : Settings
        Scorecard and lexicons (see :func:`csqa.pipeline.make_settings`).
    format : {"parquet", "csv"}
    n_jobs : int
        Worker processes for the local engine (-1 = all cores).
    engine : {"local", "dask"}
    scheduler : str, optional
        Dask scheduler address; a local cluster when None.
    chunk_rows : int
        Utterances per chunk of whole calls.
    on_progress : callable, optional
        Called with (calls done, calls total) after each batch.

    Returns
    -------
    (dict, DataFrame)
        The manifest (inputs, counts, versions, scorecard, timings) and the per-agent table.
    """
    from csqa.readers import read_table

    t0 = time.perf_counter()
    read = read_table(list(inputs))
    utterances = read.utterances
    n_calls = utterances["call_id"].nunique()
    t_read = time.perf_counter() - t0
    log.info("read: %d utterances in %d calls from %d file(s), %d rejected (%.1f s)",
             len(utterances), n_calls, len(inputs), len(read.rejects), t_read)
    calls_parts: list[pd.DataFrame] = []
    n_hits = 0
    t1 = time.perf_counter()
    with RunWriter(out_dir, format=format) as out:
        out.write_rejects(read.rejects)
        if engine == "dask":
            from csqa.dask_engine import score_dask_frame

            hits, calls, _ = score_dask_frame(utterances, settings, scheduler=scheduler, chunk_rows=chunk_rows)
            out.write("hits", hits)
            calls_parts.append(calls)
            n_hits = len(hits)
            if on_progress:
                on_progress(n_calls, n_calls)
        elif engine == "local":
            pieces = chunks_of_calls(utterances, chunk_rows)
            workers = max(1, n_jobs if n_jobs > 0 else _cores())
            done = 0
            for batch in _batches(pieces, max(1, workers * 2)):
                for hits, calls, _ in run_chunks(batch, settings, workers):
                    out.write("hits", hits)
                    calls_parts.append(calls)
                    n_hits += len(hits)
                    done += len(calls)
                if on_progress:
                    on_progress(done, n_calls)
        else:
            raise InputError(f'engine "{engine}" is not one of: local, dask')
        calls = pd.concat(calls_parts, ignore_index=True) if calls_parts else score_chunk(utterances.head(0), settings)[1]
        t_score = time.perf_counter() - t1
        log.info("detect+score: %d hits in %d calls (%.1f s)", n_hits, len(calls), t_score)
        out.write("calls", calls)
        agents = aggregate(calls, settings.scorecard)
        out.write("agents", agents)
        manifest = provenance(
            settings,
            inputs=[str(Path(p)) for p in inputs],
            output=str(out_dir),
            format=format,
            engine=engine,
            n_jobs=n_jobs,
            counts={"utterances": len(utterances), "calls": len(calls), "hits": n_hits,
                    "agents": len(agents), "rejects": len(read.rejects)},
            seconds={"read": round(t_read, 3), "detect_and_score": round(t_score, 3),
                     "total": round(time.perf_counter() - t0, 3)},
        )
        out.write_manifest(manifest)
    log.info("write: %s (%s)", out_dir, format)
    return manifest, agents


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

