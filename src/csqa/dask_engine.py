"""Score on a Dask cluster: the same ``score_chunk`` as the local engine, on whole calls.

Needs the optional extra: ``pip install csqa[dask]``. Two entry points:

- :func:`score_dask` (library): a Dask DataFrame of canonical utterances -> hits, calls and
  agents. Each partition must hold whole calls; it checks this and, when a call is split
  across partitions, shuffles by ``call_id`` first (say ``assume_partitioned_by_call=True`` to
  skip the check when you know it holds).
- :func:`score_units_dask` (``csqa score --engine dask``): the streaming engine's units of
  whole calls, read and finished here, scored on the cluster; results come back in unit order,
  so the output is the same as the local engine's.

Without a scheduler address the current client is used, or a ``LocalCluster`` is started and
closed again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from csqa.aggregation import aggregate
from csqa.errors import InputError
from csqa.pipeline import ScoreResult, Settings, chunks_of_calls, make_settings, provenance, score_chunk
from csqa.types import PathLike, REJECT_COLUMNS

if TYPE_CHECKING:
    from csqa.units import UnitJob, UnitResult


def _require_dask() -> Any:
    try:
        import dask.dataframe as dd
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError('the dask engine needs the optional extra: pip install "csqa[dask]"') from None
    return dd, Client, LocalCluster


@contextmanager
def dask_client(scheduler: str | None = None, n_workers: int | None = None) -> Iterator[Any]:
    """Yield a Dask client: the current one, one for ``scheduler``, or a temporary LocalCluster."""
    _, Client, LocalCluster = _require_dask()
    from dask.distributed import get_client

    if scheduler is None:
        try:
            yield get_client()
            return
        except ValueError:
            pass
        with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
    else:
        with Client(scheduler) as client:
            yield client


def _score_partitions(ddf: Any, settings: Settings, client: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    from dask import delayed

    parts = ddf.to_delayed()
    futures = client.compute([delayed(score_chunk)(p, settings) for p in parts])
    results = client.gather(futures)
    hits = pd.concat([r[0] for r in results], ignore_index=True)
    calls = pd.concat([r[1] for r in results], ignore_index=True)
    lang = pd.concat([r[2] for r in results])
    return hits, calls, lang


def score_dask(
    utterances: Any,
    *,
    scorecard: Any = None,
    lexicons: Iterable[PathLike] = (),
    model: PathLike | None = None,
    scheduler: str | None = None,
    assume_partitioned_by_call: bool = False,
) -> ScoreResult:
    """Score a Dask DataFrame of canonical utterances; return the same tables as ``csqa.score``.

    Parameters
    ----------
    utterances : dask.dataframe.DataFrame
        Canonical utterances (validated, e.g. ``csqa.read`` output converted with
        ``dd.from_pandas``), ideally partitioned by call.
    scorecard, lexicons, model
        As for :func:`csqa.score`.
    scheduler : str, optional
        Scheduler address; the current client or a temporary LocalCluster when None.
    assume_partitioned_by_call : bool
        Skip the check that no call spans two partitions.

    Returns
    -------
    ScoreResult
        hits, calls and agents (no utterances are kept; rejects is empty: read and validate
        before building the Dask frame).
    """
    settings = make_settings(scorecard, lexicons, model)
    with dask_client(scheduler) as client:
        ddf = utterances
        if not assume_partitioned_by_call:
            owners = client.compute(ddf["call_id"].map_partitions(lambda s: s.drop_duplicates()).to_frame()).result()
            if owners["call_id"].duplicated().any():
                ddf = ddf.shuffle(on="call_id")
        hits, calls, _ = _score_partitions(ddf, settings, client)
    agents = aggregate(calls, settings.scorecard)
    info = provenance(settings, engine="dask", n_calls=len(calls))
    return ScoreResult(hits, calls, agents, pd.DataFrame(columns=list(REJECT_COLUMNS)), settings.scorecard, None, info)


def score_dask_frame(
    utterances: pd.DataFrame,
    settings: Settings,
    *,
    scheduler: str | None = None,
    chunk_rows: int = 20_000,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Score a pandas table on Dask, one partition per chunk of whole calls (CLI and ``csqa.score``)."""
    dd, _, _ = _require_dask()
    from dask import delayed

    pieces = chunks_of_calls(utterances, chunk_rows)
    ddf = dd.from_delayed([delayed(p) for p in pieces], meta=utterances.head(0), verify_meta=False)
    with dask_client(scheduler) as client:
        return _score_partitions(ddf, settings, client)


def score_units_dask(units: Sequence[Sequence[Path]], job: UnitJob, *, scheduler: str | None = None,
                     in_flight: int | None = None) -> Iterator[UnitResult]:
    """Score the streaming engine's units on Dask; yield their results in unit order.

    Parameters
    ----------
    units : sequence of sequence of Path
        Bucket files per unit (:meth:`csqa.spill.BucketSpill.units`). They are read and
        finished in this process, so workers need no access to the files.
    job : UnitJob
        Settings and reading options, sent once to every worker.
    scheduler : str, optional
        Scheduler address; the current client or a temporary LocalCluster when None.
    in_flight : int, optional
        Units submitted and not yet collected (default: twice the workers); bounds memory here.

    Yields
    ------
    UnitResult
        One per unit, in the order of ``units``.
    """
    from csqa.units import load_unit, score_finished

    _require_dask()
    with dask_client(scheduler) as client:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        limit = in_flight or 2 * workers
        job_future = client.scatter(job, broadcast=True, hash=False)
        pending: deque[Any] = deque()
        try:
            for unit in units:
                pending.append(client.submit(score_finished, load_unit(unit, job), job_future, pure=False))
                while len(pending) >= limit:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            if pending:
                client.cancel(list(pending))
