"""The Dask engine on a two-worker LocalCluster gives the local engine's tables."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import csqa
from csqa.engine import run_score
from csqa.pipeline import make_settings

pytest.importorskip("dask.distributed")
from dask.distributed import LocalCluster  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from test_engine import assert_same, tables  # noqa: E402


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("in") / "calls.jsonl"
    generate(24, 8, 5, path)
    return path


def test_dask_engine_gives_the_same_tables_as_jobs_1(cluster: LocalCluster, batch: Path, tmp_path: Path) -> None:
    settings = make_settings()
    run_score([batch], tmp_path / "local", settings, n_jobs=1)
    manifest, _ = run_score([batch], tmp_path / "dask", settings, engine="dask",
                            scheduler=cluster.scheduler_address, chunk_rows=40)
    assert manifest["engine"] == "dask" and manifest["streaming"]["units"] > 2
    assert_same(tables(tmp_path / "local"), tables(tmp_path / "dask"))


def test_score_dask_library_entry_point_matches_csqa_score(cluster: LocalCluster, batch: Path) -> None:
    import dask.dataframe as dd

    utterances = csqa.read(batch)
    expected = csqa.score(utterances)
    ddf = dd.from_pandas(utterances, npartitions=3, sort=False)  # calls split across partitions
    result = csqa.dask_engine.score_dask(ddf, scheduler=cluster.scheduler_address)

    def by_call(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.sort_values("call_id", kind="stable").reset_index(drop=True)
        for name in frame.columns:  # Dask may turn object columns into strings (None -> NA)
            if frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name]):
                frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
        return frame

    pd.testing.assert_frame_equal(by_call(result.calls), by_call(expected.calls), check_dtype=False)
    pd.testing.assert_frame_equal(by_call(result.hits), by_call(expected.hits), check_dtype=False)
    assert len(result.agents) == len(expected.agents)
    pd.testing.assert_frame_equal(by_call(result.agents.rename(columns={"agent_id": "call_id"})),
                                  by_call(expected.agents.rename(columns={"agent_id": "call_id"})), check_dtype=False)
