"""The labelled data the shipped model is trained, tuned and checked on (data/training, data/tuning,
data/heldout): every file reads without rejects, every label is a behaviour of its speaker, and
no call is in two folders (a held-out call must never be trained on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from csqa.behaviours import BEHAVIOURS
from csqa.readers import read_table
from tests.conftest import ROOT

FOLDERS = ("training", "tuning", "heldout")
FILES = sorted(p for folder in FOLDERS for p in (ROOT / "data" / folder).glob("*.jsonl"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_labelled_file_reads_cleanly_with_known_labels_on_the_right_speaker(path: Path) -> None:
    table = read_table(path)
    assert len(table.rejects) == 0, table.rejects[:3]
    u = table.utterances
    for speaker, labels in zip(u["speaker"], u["labels"]):
        for label in labels:
            assert label in BEHAVIOURS, (path.name, label)
            assert BEHAVIOURS[label].speaker in (speaker, "any"), (path.name, label, speaker)


def test_no_call_is_in_two_folders() -> None:
    seen: dict[str, str] = {}
    for path in FILES:
        for call_id in set(read_table(path).utterances["call_id"]):
            assert call_id not in seen, f"{call_id} in {seen[call_id]} and {path}"
            seen[call_id] = str(path)
    assert {Path(p).parent.name for p in seen.values()} == set(FOLDERS)
