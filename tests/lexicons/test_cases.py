"""Lexicon behaviour tests driven from data: tests/lexicons/cases_<lang>.jsonl.

Each line: {"text": ..., "speaker": "agent"|"customer", "expect": [labels], "absent": [labels]}.
``expect`` lists labels (behaviour ids or cues) that must be found; ``absent`` lists labels that
must not be (the hard negatives). Labels in neither list are not checked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csqa.detection.lexical import LexicalDetector
from csqa.lexicon import load_lexicon

CASES_DIR = Path(__file__).parent


def _cases() -> list:
    out = []
    for path in sorted(CASES_DIR.glob("cases_*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                case = json.loads(line)
                out.append(pytest.param(case, id=f"{path.stem}:{number}"))
    return out


@pytest.fixture(scope="module")
def detector() -> LexicalDetector:
    return LexicalDetector(load_lexicon())


@pytest.mark.parametrize("case", _cases())
def test_lexicon_case(detector: LexicalDetector, case: dict) -> None:
    found = {m.rule.label for m in detector.match_text(case["text"], case["speaker"])}
    missing = set(case.get("expect", ())) - found
    wrong = set(case.get("absent", ())) & found
    assert not missing and not wrong, f"{case['text']!r}: missing {sorted(missing)}, should be absent {sorted(wrong)}"
