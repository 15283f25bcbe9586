"""Shared fixtures: calls built in code, the bundled sample paths."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "data" / "samples").glob("calls*.jsonl"))


def make_call(turns: Sequence[tuple], call_id: str = "c1", **meta: object) -> pd.DataFrame:
    """Build one call: turns are (speaker, text) or (speaker, text, start, end)."""
    rows = []
    for i, turn in enumerate(turns):
        row = {"call_id": call_id, "turn": i, "speaker": turn[0], "text": turn[1]}
        if len(turn) == 4:
            row["start"], row["end"] = float(turn[2]), float(turn[3])
        rows.append({**row, **meta})
    frame = pd.DataFrame(rows)
    for col in ("start", "end"):
        if col not in frame:
            frame[col] = float("nan")
    for col in ("agent_id", "customer_name"):
        if col not in frame:
            frame[col] = None
    return frame


@pytest.fixture
def call() -> Callable[..., pd.DataFrame]:
    """Factory fixture: ``call([("agent", "hello"), ("customer", "hi")], customer_name="Joy")``."""
    return make_call


@pytest.fixture(scope="session")
def sample_paths() -> list[Path]:
    """The bundled gold-labelled sample files."""
    assert SAMPLES, "data/samples/calls*.jsonl missing"
    return SAMPLES
