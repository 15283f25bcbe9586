"""How far independent readers agree with a batch's gold labels (and, for the samples, before
and after the stop-14 audit).

Two readers labelled every call from the catalogue alone, without seeing the gold labels (a
readers file: one line per utterance, ``call_id``, ``turn``, ``reader_1``, ``reader_2``). For the
samples, where both disagreed with the gold an adjudicator who saw neither side decided
(``data/samples/audit/decisions.csv``; ``docs/gold-labels.md``, "Audit"). This script prints
turn-level F1 per behaviour, all languages, between:

- reader 1 and reader 2,
- the gold and each reader (pooled over both readers),
- with ``--decisions``: the gold as it was before the decisions and each reader.

    python benchmarks/label_agreement.py          # the samples, before and after the audit
    python benchmarks/label_agreement.py --gold data/heldout/*-dd.jsonl \\
        --readers data/heldout/audit/batch16_readers.jsonl --decisions ""

``interruption`` and ``dead_air`` come from timestamps and were not read.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
NOT_READ = {"interruption", "dead_air"}
Labels = dict[tuple[str, int], set[str]]


def read_gold(paths: list[str]) -> Labels:
    """Gold labels of labelled JSONL files, keyed by (call, turn), without the timestamp rules."""
    gold: Labels = {}
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            gold[(row["call_id"], row["turn"])] = set(row["labels"]) - NOT_READ
    return gold


def undo_decisions(gold: Labels, decisions: str) -> Labels:
    """The gold as it was before the adjudicated decisions in ``decisions`` (a CSV) were applied."""
    before = {key: set(labels) for key, labels in gold.items()}
    with open(decisions, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            key, behaviour = (row["call_id"], int(row["turn"])), row["behaviour"]
            (before[key].add if row["gold_before"] == "1" else before[key].discard)(behaviour)
    return before


def read_readers(path: str) -> tuple[Labels, Labels]:
    """(reader 1, reader 2) labels from a readers file, keyed by (call, turn)."""
    first: Labels = {}
    second: Labels = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        first[(row["call_id"], row["turn"])] = set(row["reader_1"])
        second[(row["call_id"], row["turn"])] = set(row["reader_2"])
    return first, second


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", nargs="+", default=[str(SAMPLES / "calls.jsonl")], help="Labelled JSONL files.")
    parser.add_argument("--readers", default=str(SAMPLES / "audit" / "readers.jsonl"), help="The two readers' labels.")
    parser.add_argument("--decisions", default=str(SAMPLES / "audit" / "decisions.csv"),
                        help='Adjudicated decisions applied to the gold ("" for none).')
    args = parser.parse_args(argv)
    gold = read_gold(args.gold)
    first, second = read_readers(args.readers)
    golds = {"gold": gold}
    if args.decisions:
        golds = {"gold before": undo_decisions(gold, args.decisions), "gold after": gold}
    columns = {"reader 1 ~ reader 2": counts(first, second)}
    columns.update({f"{name} ~ readers": counts(g, first) + counts(g, second) for name, g in golds.items()})
    behaviours = sorted({b for c in columns.values() for b, _ in c})
    print(f"| behaviour | {' -> '.join(golds)} turns | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 2) + "|")
    for behaviour in behaviours:
        n = " -> ".join(str(sum(behaviour in g[key] for key in first)) for g in golds.values())
        print(f"| `{behaviour}` | {n} | " + " | ".join(f1(c, behaviour) for c in columns.values()) + " |")
    print(f"\n{len(first)} turns read twice.")


if __name__ == "__main__":
    main()
