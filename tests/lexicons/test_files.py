"""Contract tests over the shipped lexicon files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csqa.behaviours import BEHAVIOURS
from csqa.lexicon import load_lexicon
from csqa.types import LANGS

CASES_DIR = Path(__file__).parent


def test_lexicon_files_load_and_validate() -> None:
    lexicon = load_lexicon()
    assert lexicon.rules, "no lexicon rules shipped"


@pytest.mark.parametrize("behaviour", [b for b in BEHAVIOURS if BEHAVIOURS[b].lexical])
def test_lexicon_every_lexical_behaviour_has_rules_in_every_language(behaviour: str) -> None:
    assert load_lexicon().languages(behaviour) >= set(LANGS)


@pytest.mark.parametrize("lang", LANGS)
def test_lexicon_cases_cover_every_lexical_behaviour_both_ways(lang: str) -> None:
    """Each language's case file has a positive and a hard negative for each lexical behaviour."""
    path = CASES_DIR / f"cases_{lang}.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    positives = {label for c in cases for label in c.get("expect", ())}
    negatives = {label for c in cases for label in c.get("absent", ())}
    lexical = {b for b in BEHAVIOURS if BEHAVIOURS[b].lexical}
    assert lexical - positives == set(), "behaviours without a positive case"
    assert lexical - negatives == set(), "behaviours without a hard-negative case"
