"""How far independent readers agree with the sample gold labels, before and after the audit.

Two readers labelled every sample call from the catalogue alone, without seeing the gold labels
(``data/samples/audit/readers.jsonl``). Where both disagreed with the gold, an adjudicator who
saw neither side decided (``data/samples/audit/decisions.csv``; ``docs/gold-labels.md``,
"Audit"). This script prints turn-level F1 per behaviour, all languages, between:

- reader 1 and reader 2,
- the gold as it was and each reader (pooled over both readers),
- the gold after the audit and each reader (pooled).

    python benchmarks/label_agreement.py

``interruption`` and ``dead_air`` come from timestamps and were not read.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "data" / "samples"
NOT_READ = {"interruption", "dead_air"}
Labels = dict[tuple[str, int], set[str]]


def load_labels() -> tuple[Labels, Labels, Labels, Labels]:
    """Return (gold before the audit, gold after it, reader 1, reader 2), keyed by (call, turn)."""
    after: Labels = {}
    for line in (ROOT / "calls.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        after[(row["call_id"], row["turn"])] = set(row["labels"]) - NOT_READ
    before = {key: set(labels) for key, labels in after.items()}
    with open(ROOT / "audit" / "decisions.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            key, behaviour = (row["call_id"], int(row["turn"])), row["behaviour"]
            (before[key].add if row["gold_before"] == "1" else before[key].discard)(behaviour)
    first: Labels = {}
    second: Labels = {}
    for line in (ROOT / "audit" / "readers.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        first[(row["call_id"], row["turn"])] = set(row["reader_1"])
        second[(row["call_id"], row["turn"])] = set(row["reader_2"])
    return before, after, first, second


def counts(reference: Labels, other: Labels) -> Counter[tuple[str, str]]:
    """(behaviour, "both" | "reference only" | "other only") turn counts over ``other``'s turns."""
    out: Counter[tuple[str, str]] = Counter()
    for key, theirs in other.items():
        ours = reference[key]
        for behaviour in ours | theirs:
            out[(behaviour, "both" if behaviour in ours and behaviour in theirs
                 else "reference only" if behaviour in ours else "other only")] += 1
    return out


def f1(c: Counter[tuple[str, str]], behaviour: str) -> str:
    """F1 of one behaviour (symmetric: it does not matter which side is the reference)."""
    both, ref, other = (c[(behaviour, k)] for k in ("both", "reference only", "other only"))
    total = 2 * both + ref + other
    return f"{2 * both / total:.2f}" if total else "-"


def main() -> None:
    before, after, first, second = load_labels()
    columns = {
        "reader 1 ~ reader 2": counts(first, second),
        "gold before ~ readers": counts(before, first) + counts(before, second),
        "gold after ~ readers": counts(after, first) + counts(after, second),
    }
    behaviours = sorted({b for c in columns.values() for b, _ in c})
    print("| behaviour | gold turns before -> after | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 2) + "|")
    for behaviour in behaviours:
        n = [sum(behaviour in gold[key] for key in first) for gold in (before, after)]
        print(f"| `{behaviour}` | {n[0]} -> {n[1]} | " + " | ".join(f1(c, behaviour) for c in columns.values()) + " |")
    print(f"\n{len(first)} turns read twice.")


if __name__ == "__main__":
    main()
