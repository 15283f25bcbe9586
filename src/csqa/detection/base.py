"""What every detector shares: the hit table's shape and the context conversation rules read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from csqa.types import HIT_COLUMNS

CUE_COLUMNS: tuple[str, ...] = ("call_id", "turn", "speaker", "cue", "start_char", "end_char")

_HIT_DTYPES = {
    "call_id": object, "turn": "int64", "speaker": object, "behaviour": object,
    "start_char": "int64", "end_char": "int64", "evidence": object, "source": object,
    "confidence": "float64",
}


def hits_frame(rows: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None) -> pd.DataFrame:
    """Return a hit table with exactly ``HIT_COLUMNS`` and their dtypes (empty when no rows)."""
    frame = pd.DataFrame(list(rows) if rows is not None and not isinstance(rows, pd.DataFrame) else rows)
    for col in HIT_COLUMNS:
        if col not in frame:
            frame[col] = pd.Series(dtype=_HIT_DTYPES[col])
    return frame.loc[:, list(HIT_COLUMNS)].astype(_HIT_DTYPES)


@dataclass
class CallContext:
    """Everything a conversation rule may read about a batch of calls.

    Attributes
    ----------
    utterances : DataFrame
        Canonical utterances, sorted by call then turn, with a default RangeIndex.
    hits : DataFrame
        Lexical hits so far (``HIT_COLUMNS``).
    cues : DataFrame
        Cue matches (``CUE_COLUMNS``); never part of the output.
    stats : DataFrame
        Per-utterance token statistics aligned with ``utterances``: ``n_words``, ``n_upper``.
    params : dict
        Detector parameters by detector name (from the scorecard).
    names : frozenset of str
        Given and family names of the lexicons' name lists (``names.txt``), normal forms.
    scores : DataFrame
        The trained model's probability of each behaviour it covers (one column each) per
        utterance, aligned with ``utterances``; no columns when no model is used.
    """

    utterances: pd.DataFrame
    hits: pd.DataFrame
    cues: pd.DataFrame
    stats: pd.DataFrame
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    names: frozenset[str] = frozenset()
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)

    def cue_turns(self, cue: str) -> pd.DataFrame:
        """Cue matches of one kind."""
        return self.cues[self.cues["cue"] == cue]

    def hit_turns(self, *behaviours: str) -> pd.DataFrame:
        """Hits of the given behaviours."""
        return self.hits[self.hits["behaviour"].isin(behaviours)]
