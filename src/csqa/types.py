"""Shared type aliases and the column names of csqa's tables (one place for each name)."""

from __future__ import annotations

import os
from typing import Literal, Union

PathLike = Union[str, "os.PathLike[str]"]
Speaker = Literal["agent", "customer", "other"]
Level = Literal["utterance", "call"]
Polarity = Literal["credit", "cost", "signal"]

SPEAKERS: tuple[str, ...] = ("agent", "customer", "other")
LANGS: tuple[str, ...] = ("en", "ms", "tl")
LANG_TAGS: tuple[str, ...] = ("en", "ms", "tl", "mixed")

# Canonical utterance table (DESIGN.md).
REQUIRED_COLUMNS: tuple[str, ...] = ("call_id", "speaker", "text")
UTTERANCE_COLUMNS: tuple[str, ...] = (
    "call_id", "turn", "speaker", "text", "start", "end", "agent_id", "customer_name", "lang",
)
# Where a record came from, added by the readers so rejects and errors can point back at it.
SOURCE_COLUMNS: tuple[str, ...] = ("input_file", "input_line")
# Call-level columns: one value per call (taken from the call's first row).
CALL_LEVEL_COLUMNS: tuple[str, ...] = ("agent_id", "customer_name")

HIT_COLUMNS: tuple[str, ...] = (
    "call_id", "turn", "speaker", "behaviour", "start_char", "end_char", "evidence", "source",
    "confidence",
)
REJECT_COLUMNS: tuple[str, ...] = ("input_file", "input_line", "call_id", "reason_code", "reason")
