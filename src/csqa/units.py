"""The unit of work of a streaming run: whole calls read from the spill, finished and scored.

Every engine runs the same functions: :func:`score_unit` in this process or in joblib workers
(which read the unit's bucket files themselves), :func:`score_finished` on Dask workers (the
unit is read and finished where the files are). A unit's results are ordered by the calls'
input order, so how calls are grouped into units never shows in the output.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from csqa.pipeline import Settings, chunks_of_calls, score_chunk
from csqa.readers.stream import Finished, finish_calls
from csqa.spill import FIRST, read_frames

__all__ = ["CHUNK_ROWS", "MAX_VOCAB", "UnitJob", "UnitResult", "bound_vocabulary", "load_unit",
           "local_results", "score_finished", "score_unit", "start_workers"]

CHUNK_ROWS = 20_000
"""Utterances per unit of work (whole calls; about 500 calls of 40 turns)."""
MAX_VOCAB = 20_000
"""Distinct token strings a process's tokenizer may remember before it is rebuilt (spaCy keeps
every string it has seen: with reference numbers and amounts in the text, that grows without end)."""


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


def _warm(settings: Settings) -> int:
    """Load the lexicon in a worker (imports, rules, matchers) before its first unit."""
    return len(settings.lexicon.rules)


def start_workers(settings: Settings, workers: int) -> Iterator[int] | None:
    """Start the joblib workers and load the lexicon in them while this process reads.

    Returns
    -------
    iterator or None
        Consume it to wait for the workers (None when ``workers`` is 1).
    """
    if workers <= 1:
        return None
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=workers, prefer="processes", return_as="generator")
    return iter(parallel(delayed(_warm)(settings) for _ in range(workers)))


def local_results(units: list[list[Path]], job: UnitJob, workers: int) -> Iterator[UnitResult]:
    """Score units in this process (``workers`` 1) or in joblib workers; yield results in order.

    Parameters
    ----------
    units : list of list of Path
        Bucket files per unit.
    job : UnitJob
    workers : int

    Yields
    ------
    UnitResult
    """
    if workers <= 1 or len(units) <= 1:
        for unit in units:
            yield score_unit(unit, job)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=workers, prefer="processes", return_as="generator",
                        pre_dispatch="2*n_jobs")
    yield from parallel(delayed(score_unit)(unit, job) for unit in units)
