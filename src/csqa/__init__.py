"""csqa: score contact-centre call transcripts for agent behaviours.

Examples
--------
>>> import csqa
>>> calls = csqa.read("data/samples/calls.jsonl")      # doctest: +SKIP
>>> result = csqa.score(calls)                          # doctest: +SKIP
>>> result.agents[["agent_id", "n_calls", "score_mean", "score_adjusted"]]  # doctest: +SKIP
"""

from __future__ import annotations

import logging

import pandas as pd

from typing import Any

from csqa import errors
from csqa._version import __version__
from csqa.behaviours import BEHAVIOURS, Behaviour

# Heavier parts load on first use, so `import csqa.lexicon` (or the CLI's --help) stays cheap.
_LAZY = {
    "evaluate": "csqa.evaluation",
    "ScoreResult": "csqa.pipeline",
    "score": "csqa.pipeline",
    "read": "csqa.readers",
    "validate": "csqa.readers",
    "Scorecard": "csqa.scorecard",
}

__all__ = [
    "BEHAVIOURS", "Behaviour", "ScoreResult", "Scorecard", "__version__", "errors", "evaluate",
    "explain_text", "read", "score", "validate",
]

logging.getLogger("csqa").addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'csqa' has no attribute {name!r}")


def explain_text(text: str, *, speaker: str = "agent", lexicons: tuple[str, ...] = ()) -> pd.DataFrame:
    """Run the lexical detectors on one sentence: what they find, where, and which rule.

    Parameters
    ----------
    text : str
        One utterance.
    speaker : {"agent", "customer"}
        Who said it (an agent behaviour is never found in a customer's words).
    lexicons : tuple of path
        Extra lexicon files or folders.

    Returns
    -------
    DataFrame
        label, evidence, start_char, end_char, rule, confidence (cues included, as ``cue.*``).

    Examples
    --------
    >>> csqa.explain_text("pasensya na po sa abala", speaker="agent")["label"].tolist()  # doctest: +SKIP
    ['apology']
    """
    from csqa.detection import lexical_detector
    from csqa.lexicon import load_lexicon

    matches = lexical_detector(load_lexicon(lexicons)).match_text(text, speaker)
    return pd.DataFrame(
        [(m.rule.label, text[m.start_char:m.end_char], m.start_char, m.end_char, m.rule.id, m.rule.confidence) for m in matches],
        columns=["label", "evidence", "start_char", "end_char", "rule", "confidence"],
    )
