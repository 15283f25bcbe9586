"""Measure detection against human labels: precision, recall and F1 per behaviour and language.

Gold files are canonical utterance JSONL with one more field, ``labels`` (the behaviour ids
present in that utterance). Two levels are measured:

- ``turn``: a hit counts when the same behaviour is labelled on the same (call, turn);
- ``call``: a behaviour is present in the call or not, on either side.

Languages come from the gold ``lang`` of each utterance (csqa's own tag when the file has none);
a call's language is the most common tag of its utterances. Every behaviour and language is
reported, including those with no support, so a gap shows as a row of zeros, not a missing row.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from csqa.behaviours import BEHAVIOURS
from csqa.errors import InputError
from csqa.types import PathLike

SPLITS = ("all", "dev", "test")
METRIC_COLUMNS = ["level", "behaviour", "lang", "support", "predicted", "tp", "fp", "fn", "precision", "recall", "f1"]


def in_split(call_ids: pd.Series, split: str) -> pd.Series:
    """Boolean mask of rows whose call belongs to ``split`` (``all``, ``dev`` or ``test``).

    The gold calls are sorted by id and alternate: 1st, 3rd, ... are ``dev``; 2nd, 4th, ...
    are ``test``. Sample ids carry their language (``en-0001``), so both halves get the same
    mix of languages; the split is stable as long as the gold set is.
    """
    if split not in SPLITS:
        raise InputError(f'split "{split}" is not one of: {", ".join(SPLITS)}')
    if split == "all":
        return pd.Series(True, index=call_ids.index)
    order = {cid: i for i, cid in enumerate(sorted(set(call_ids)))}
    return call_ids.map(order).mod(2).eq(0 if split == "dev" else 1)


def gold_labels(gold: pd.DataFrame) -> pd.DataFrame:
    """Long table (call_id, turn, behaviour) of the labels in a gold utterance table.

    Raises
    ------
    InputError
        When the table has no ``labels`` column or a label is not a behaviour id.
    """
    if "labels" not in gold:
        raise InputError("gold table has no 'labels' column: gold files are utterance JSONL with a labels list")
    long = gold[["call_id", "turn", "labels"]].explode("labels").dropna(subset=["labels"])
    unknown = sorted(set(long["labels"]) - set(BEHAVIOURS))
    if unknown:
        bad = long[long["labels"].isin(unknown)].iloc[0]
        raise InputError(f'gold call {bad["call_id"]} turn {bad["turn"]}: label "{unknown[0]}" is not a behaviour id')
    return long.rename(columns={"labels": "behaviour"}).drop_duplicates().reset_index(drop=True)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    if tp + fp + fn == 0:
        return precision, recall, float("nan")
    f1 = 2 * tp / (2 * tp + fp + fn)
    return precision, recall, f1


def _compare(pred: pd.DataFrame, gold: pd.DataFrame, keys: list[str], level: str, langs: Iterable[str]) -> pd.DataFrame:
    """Count tp/fp/fn per behaviour and language for two tables of ``keys + [behaviour, lang]``."""
    both = pred.merge(gold, on=keys + ["behaviour"], how="outer", indicator=True, suffixes=("_pred", "_gold"))
    both["lang"] = both["lang_gold"].fillna(both["lang_pred"])
    rows = []
    for behaviour in BEHAVIOURS:
        sub_b = both[both["behaviour"] == behaviour]
        for lang in [*langs, "all"]:
            sub = sub_b if lang == "all" else sub_b[sub_b["lang"] == lang]
            tp = int((sub["_merge"] == "both").sum())
            fp = int((sub["_merge"] == "left_only").sum())
            fn = int((sub["_merge"] == "right_only").sum())
            p, r, f = _prf(tp, fp, fn)
            rows.append((level, behaviour, lang, tp + fn, tp + fp, tp, fp, fn, p, r, f))
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def evaluate_frames(hits: pd.DataFrame, gold: pd.DataFrame, *, level: str = "both") -> pd.DataFrame:
    """Compare hits with a gold utterance table; see :func:`evaluate`."""
    if level not in ("turn", "call", "both"):
        raise InputError(f'level "{level}" is not one of: turn, call, both')
    lang_col = "lang" if "lang" in gold else "lang_detected"
    turn_lang = gold[["call_id", "turn", lang_col]].rename(columns={lang_col: "lang"})
    calls = set(gold["call_id"])
    pred = hits.loc[hits["call_id"].isin(calls), ["call_id", "turn", "behaviour"]].drop_duplicates()
    pred = pred.merge(turn_lang, on=["call_id", "turn"], how="left")
    truth = gold_labels(gold).merge(turn_lang, on=["call_id", "turn"], how="left")
    langs = sorted(set(turn_lang["lang"].dropna()))
    out = []
    if level in ("turn", "both"):
        out.append(_compare(pred, truth, ["call_id", "turn"], "turn", langs))
    if level in ("call", "both"):
        call_lang = turn_lang.groupby("call_id")["lang"].agg(lambda s: s.mode().iloc[0] if s.notna().any() else np.nan).reset_index()
        pc = pred[["call_id", "behaviour"]].drop_duplicates().merge(call_lang, on="call_id")
        tc = truth[["call_id", "behaviour"]].drop_duplicates().merge(call_lang, on="call_id")
        out.append(_compare(pc, tc, ["call_id"], "call", langs))
    return pd.concat(out, ignore_index=True)


def evaluate(result: object, gold: pd.DataFrame | PathLike, *, level: str = "both", split: str = "all") -> pd.DataFrame:
    """Precision, recall and F1 of a scored result against human labels.

    Parameters
    ----------
    result : ScoreResult
        What ``csqa.score`` returned for (at least) the gold calls.
    gold : DataFrame or path
        Gold utterance table or JSONL file(s) with ``labels``.
    level : {"turn", "call", "both"}
    split : {"all", "dev", "test"}
        Only the gold calls of this split (see :func:`in_split`).

    Returns
    -------
    DataFrame
        level, behaviour, lang (each language and ``all``), support, predicted, tp, fp, fn,
        precision, recall, f1 (NaN where undefined).
    """
    from csqa.readers import read_table

    table = gold if isinstance(gold, pd.DataFrame) else read_table(gold).utterances
    table = table[in_split(table["call_id"], split)]
    return evaluate_frames(result.hits, table, level=level)  # type: ignore[attr-defined]


def summary(report: pd.DataFrame, *, level: str = "turn") -> pd.DataFrame:
    """F1 (precision/recall in brackets) per behaviour (rows) and language (columns), as text."""
    sub = report[report["level"] == level]

    def cell(row: pd.Series) -> str:
        if row["support"] == 0 and row["predicted"] == 0:
            return "-"
        f1 = "nan" if pd.isna(row["f1"]) else f"{row['f1']:.2f}"
        p = "nan" if pd.isna(row["precision"]) else f"{row['precision']:.2f}"
        r = "nan" if pd.isna(row["recall"]) else f"{row['recall']:.2f}"
        return f"{f1} ({p}/{r}, n={row['support']})"

    table = sub.assign(cell=sub.apply(cell, axis=1)).pivot(index="behaviour", columns="lang", values="cell")
    return table.reindex(index=[b for b in BEHAVIOURS if b in table.index])


def errors(hits: pd.DataFrame, gold: pd.DataFrame, *, behaviours: Iterable[str] | None = None) -> pd.DataFrame:
    """Turn-level disagreements with the gold labels, for error analysis.

    Returns
    -------
    DataFrame
        call_id, turn, speaker, lang, behaviour, kind (``fp``: found but not labelled; ``fn``:
        labelled but not found), evidence and source of the hit (fp), and the utterance text.
    """
    calls = set(gold["call_id"])
    pred = hits.loc[hits["call_id"].isin(calls), ["call_id", "turn", "behaviour", "evidence", "source"]]
    pred = pred.drop_duplicates(["call_id", "turn", "behaviour"])
    both = pred.merge(gold_labels(gold), on=["call_id", "turn", "behaviour"], how="outer", indicator=True)
    both = both[both["_merge"] != "both"].assign(kind=lambda f: f["_merge"].map({"left_only": "fp", "right_only": "fn"}))
    if behaviours is not None:
        both = both[both["behaviour"].isin(list(behaviours))]
    cols = ["call_id", "turn", "speaker", "text"] + (["lang"] if "lang" in gold else [])
    out = both.merge(gold[cols], on=["call_id", "turn"], how="left")
    order = ["call_id", "turn", "speaker", *(["lang"] if "lang" in gold else []), "behaviour", "kind", "evidence", "source", "text"]
    return out[order].sort_values(["behaviour", "kind", "call_id", "turn"]).reset_index(drop=True)


def markdown(table: pd.DataFrame) -> str:
    """Render a summary table (behaviour rows, language columns) as a Markdown table."""
    cols = [str(c) for c in table.columns]
    lines = ["| behaviour | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for name, row in table.iterrows():
        lines.append(f"| `{name}` | " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"
