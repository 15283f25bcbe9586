"""The record of the stop-14 audit of the sample labels (docs/gold-labels.md, "Audit") agrees with
the labels in data/samples/calls.jsonl: a later edit of either shows up here."""

from __future__ import annotations

import csv
import json

from csqa.behaviours import BEHAVIOURS
from tests.conftest import ROOT

SAMPLES = ROOT / "data" / "samples"


def _gold() -> dict[tuple[str, int], set[str]]:
    rows = (json.loads(line) for line in (SAMPLES / "calls.jsonl").read_text(encoding="utf-8").splitlines())
    return {(r["call_id"], r["turn"]): set(r["labels"]) for r in rows}


def test_every_decision_is_reflected_in_the_gold_labels() -> None:
    gold = _gold()
    with open(SAMPLES / "audit" / "decisions.csv", encoding="utf-8", newline="") as f:
        decisions = list(csv.DictReader(f))
    assert decisions
    for row in decisions:
        key = (row["call_id"], int(row["turn"]))
        assert key in gold and row["behaviour"] in BEHAVIOURS, row
        assert row["question"] in ("disputed", "control") and row["reason"], row
        # A dispute follows the adjudicator; a control question never changes the gold.
        final = row["adjudicator"] if row["question"] == "disputed" else row["gold_before"]
        assert (row["behaviour"] in gold[key]) == (final == "1"), row


def test_both_readers_labelled_every_sample_utterance_once() -> None:
    gold = _gold()
    lines = (SAMPLES / "audit" / "readers.jsonl").read_text(encoding="utf-8").splitlines()
    keys = [(r["call_id"], r["turn"]) for r in map(json.loads, lines)]
    assert len(keys) == len(set(keys)) and set(keys) == set(gold)
