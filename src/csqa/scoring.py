"""Per-call scoring: hits + call information + a scorecard -> one row per call.

For every call and every scorecard item: does the item apply (else N/A, out of the
denominator), how many distinct turns show its behaviours, and is it met or missed. The call
score is ``100 * sum(weight * met) / sum(weight)`` over the items that apply, and an auto-fail
item that is missed forces it to 0. :func:`score_calls` gives the wide table (``result.calls``),
:func:`item_outcomes` the long one with evidence turns (used by :mod:`csqa.explain`).

The scorecard objects live in :mod:`csqa.scorecard` and are re-exported here.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csqa.behaviours import BEHAVIOURS
from csqa.errors import CsqaWarning, InputError
from csqa.scorecard import (
    APPLIES_WHEN, JUDGEMENTS, NEEDS_TIMESTAMPS, Scorecard, ScorecardItem,
)
from csqa.types import PathLike

__all__ = [
    "Scorecard", "ScorecardItem", "behaviour_counts", "call_info_of", "conditions",
    "item_outcomes", "rescore", "score_calls",
]

OUTCOMES: tuple[str, ...] = ("met", "missed", "n/a")
_LEADING = ("call_id", "agent_id", "lang", "score", "auto_fail", "auto_fail_reason")


_IDS = pd.Index(list(BEHAVIOURS))
_JUDGED = _IDS.get_indexer(sorted(JUDGEMENTS))


@dataclass(frozen=True)
class _Evaluation:
    """Everything scoring computes, aligned on the rows of ``info``."""

    info: pd.DataFrame          # call_info with a string ``_key`` column, input order
    hits: pd.DataFrame          # usable hits as codes: code (call row), beh, turn (-1: unknown), confidence
    counts: pd.DataFrame        # distinct-turn counts, calls x catalogue (index: _key)
    conds: dict[str, np.ndarray]
    applicable: dict[str, np.ndarray]
    count: dict[str, np.ndarray]
    met: dict[str, np.ndarray]
    fired: dict[str, np.ndarray]
    scorecard: Scorecard


def _call_table(call_info: pd.DataFrame) -> pd.DataFrame:
    if "call_id" not in call_info.columns:
        raise InputError("call_info: column call_id is missing.")
    info = call_info.reset_index(drop=True).copy()
    info["_key"] = info["call_id"].astype(str)
    dup = info["_key"][info["_key"].duplicated()]
    if len(dup):
        raise InputError(f"call_info: call_id {dup.iloc[0]!r} appears on "
                         f"{int((info['_key'] == dup.iloc[0]).sum())} rows; call_info needs one "
                         "row per call.")
    return info


def _hit_table(hits: pd.DataFrame | None, keys: pd.Index, threshold: float) -> pd.DataFrame:
    """Hits as integer codes: call row, behaviour index, turn; only usable ones are kept."""
    if hits is None or len(hits) == 0:
        return pd.DataFrame({"code": np.zeros(0, "int64"), "beh": np.zeros(0, "int64"),
                             "turn": np.zeros(0, "int64"), "confidence": np.zeros(0)})
    missing = [c for c in ("call_id", "behaviour") if c not in hits.columns]
    if missing:
        raise InputError(f"hits: column {', '.join(missing)} is missing.")
    h = pd.DataFrame({
        "code": keys.get_indexer(hits["call_id"].astype(str)).astype("int64"),
        "beh": _IDS.get_indexer(hits["behaviour"].astype(str)).astype("int64"),
        "turn": (pd.to_numeric(hits["turn"], errors="coerce").fillna(-1).astype("int64").to_numpy()
                 if "turn" in hits.columns else np.full(len(hits), -1, dtype="int64")),
        "confidence": (pd.to_numeric(hits["confidence"], errors="coerce").fillna(1.0).to_numpy()
                       if "confidence" in hits.columns else np.ones(len(hits))),
    })
    keep = (h["code"] >= 0) & (h["beh"] >= 0) & (h["confidence"] >= threshold)
    return h.loc[keep].reset_index(drop=True)


def _distinct_turns(h: pd.DataFrame, n: int, behaviours: tuple[str, ...]) -> np.ndarray:
    """Per call, distinct turns showing any of ``behaviours``; a judgement counts once."""
    beh = h["beh"].to_numpy()
    sel = np.isin(beh, _IDS.get_indexer(list(behaviours)))
    if not sel.any():
        return np.zeros(n, dtype="int64")
    code, turn, beh = h["code"].to_numpy()[sel], h["turn"].to_numpy()[sel], beh[sel]
    judged = np.isin(beh, _JUDGED)
    span = int(turn.max(initial=0)) + 2  # turns are >= -1
    plain = np.unique(code[~judged] * span + turn[~judged] + 1) // span
    once = np.unique(code[judged] * len(_IDS) + beh[judged]) // len(_IDS)
    return (np.bincount(plain, minlength=n) + np.bincount(once, minlength=n)).astype("int64")


def behaviour_counts(
    call_info: pd.DataFrame, hits: pd.DataFrame, *, min_confidence: float = 0.0,
) -> pd.DataFrame:
    """Count, per call and behaviour, the distinct turns where it was found.

    Parameters
    ----------
    call_info : DataFrame
        One row per call, with ``call_id``.
    hits : DataFrame
        Hit rows (``call_id``, ``behaviour``, ``turn``, ``confidence``).
    min_confidence : float, default 0.0
        Hits below it are ignored (a missing confidence counts as 1).

    Returns
    -------
    DataFrame
        Index: ``call_id`` as string, in ``call_info`` order; one int column per catalogue
        behaviour. Judgement behaviours (``stays_calm``) are 0 or 1.
    """
    info = _call_table(call_info)
    keys = pd.Index(info["_key"])
    return _counts(_hit_table(hits, keys, min_confidence), keys)


def _counts(h: pd.DataFrame, keys: pd.Index) -> pd.DataFrame:
    n, b = len(keys), len(_IDS)
    code, beh, turn = (h[c].to_numpy() for c in ("code", "beh", "turn"))
    span = int(turn.max(initial=0)) + 2
    cell = np.unique((code * b + beh) * span + turn + 1) // span  # distinct (call, behaviour, turn)
    table = np.bincount(cell, minlength=n * b).reshape(n, b)
    table[:, _JUDGED] = np.minimum(table[:, _JUDGED], 1)
    return pd.DataFrame(table.astype("int64"), index=pd.Index(keys, name="call_id"), columns=_IDS)


def conditions(info: pd.DataFrame, counts: pd.DataFrame) -> dict[str, np.ndarray]:
    """Evaluate every named applicability condition per call (boolean arrays).

    ``info`` is call information aligned with ``counts`` (see :func:`behaviour_counts`).
    Behaviour-id conditions are ``counts[id] > 0`` and are not included here.
    """
    n = len(info)
    found = {b: counts[b].to_numpy() > 0 for b in ("customer_reported_problem", "customer_hostile",
                                                   "customer_name_stated", "dont_know_no_followup",
                                                   "offers_to_find_out")}
    if "customer_name" in info.columns:
        name = info["customer_name"]
        known = (name.notna() & (name.astype("string").str.strip() != "")).fillna(False)
        known_arr = known.to_numpy(dtype=bool)
    else:
        known_arr = np.zeros(n, dtype=bool)
    if "has_timestamps" in info.columns:
        ts = info["has_timestamps"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:
        ts = np.zeros(n, dtype=bool)
    out = {
        "always": np.ones(n, dtype=bool),
        "customer_reported_problem": found["customer_reported_problem"],
        "customer_hostile": found["customer_hostile"],
        "customer_name_known": known_arr | found["customer_name_stated"],
        "has_timestamps": ts,
        "agent_said_dont_know": found["dont_know_no_followup"] | found["offers_to_find_out"],
    }
    assert set(out) == set(APPLIES_WHEN)
    return out


def _evaluate(call_info: pd.DataFrame, hits: pd.DataFrame | None,
              scorecard: Scorecard | PathLike | None) -> _Evaluation:
    sc = Scorecard.load(scorecard)
    info = _call_table(call_info)
    keys = pd.Index(info["_key"])
    floor = min([sc.min_confidence] + [i.min_confidence for i in sc.items
                                       if i.min_confidence is not None])
    h_all = _hit_table(hits, keys, floor)
    h = h_all[h_all["confidence"] >= sc.min_confidence]
    counts = _counts(h, keys)
    conds = conditions(info, counts)
    applicable, count, met, fired = {}, {}, {}, {}
    for it in sc.items:
        ok = np.zeros(len(info), dtype=bool)
        for a in it.applies_when:
            ok |= conds[a] if a in conds else counts[a].to_numpy() > 0
        if all(b in NEEDS_TIMESTAMPS for b in it.behaviours):
            ok &= conds["has_timestamps"]
        h_item = h if it.min_confidence is None else h_all[h_all["confidence"] >= it.min_confidence]
        c = _distinct_turns(h_item, len(info), it.behaviours)
        found = c >= it.min_count
        applicable[it.id], count[it.id] = ok, c
        met[it.id] = ~found if it.is_penalty else found
        fired[it.id] = ok & ~met[it.id] & it.auto_fail
    return _Evaluation(info, h_all, counts, conds, applicable, count, met, fired, sc)


def _turns(ev: _Evaluation, it: ScorecardItem) -> dict[int, list[int]]:
    """Sorted evidence turns per call row for one item (only calls that have any)."""
    thr = ev.scorecard.min_confidence if it.min_confidence is None else it.min_confidence
    h = ev.hits
    sel = (np.isin(h["beh"].to_numpy(), _IDS.get_indexer(list(it.behaviours)))
           & (h["confidence"].to_numpy() >= thr) & (h["turn"].to_numpy() >= 0))
    code, turn = h["code"].to_numpy()[sel], h["turn"].to_numpy()[sel]
    span = int(turn.max(initial=0)) + 1
    pairs = np.unique(code * span + turn)
    rows, turns = pairs // span, pairs % span
    cut = np.flatnonzero(np.diff(rows)) + 1
    return {int(r[0]): t.tolist() for r, t in zip(np.split(rows, cut), np.split(turns, cut),
                                                   strict=True) if len(r)}


def _reason(it: ScorecardItem, turns: list[int]) -> str:
    if it.auto_fail_reason:
        return f"{it.id}: {it.auto_fail_reason}"
    what = " or ".join(it.behaviours)
    if it.is_penalty:
        where = f" (turn{'s' if len(turns) > 1 else ''} {', '.join(map(str, turns))})" if turns else ""
        return f"{it.id}: {what} found{where}"
    return f"{it.id}: {what} required but not found" + (
        f" {it.min_count} times" if it.min_count > 1 else "")


def score_calls(
    call_info: pd.DataFrame, hits: pd.DataFrame, scorecard: Scorecard | PathLike | None = None,
) -> pd.DataFrame:
    """Score each call on a scorecard (the public ``result.calls`` table).

    Parameters
    ----------
    call_info : DataFrame
        One row per call: ``call_id`` (required), ``agent_id``, ``customer_name``, ``lang``,
        ``n_turns``, ``has_timestamps`` and any metadata columns (``team``, ``queue``,
        ``date``...). Missing optional columns mean unknown / no timestamps.
    hits : DataFrame
        The detection output (``csqa.types.HIT_COLUMNS``). Hits below the scorecard's
        ``min_confidence``, of unknown behaviours or of calls not in ``call_info`` are ignored.
    scorecard : Scorecard, path, name or None
        Anything :meth:`Scorecard.load` accepts; None is the default scorecard.

    Returns
    -------
    DataFrame
        One row per call, in ``call_info`` order: ``call_id, agent_id, lang, score`` (0-100 over
        the applicable items; NaN when none applies), ``auto_fail`` (bool),
        ``auto_fail_reason`` (str or None; several joined with "; "), one float column per
        item (1.0 met, 0.0 missed, NaN not applicable), ``n_<behaviour>`` (distinct turns) for
        every catalogue behaviour, then the remaining ``call_info`` columns unchanged.

    Examples
    --------
    >>> info = pd.DataFrame({"call_id": ["c1"], "agent_id": ["a1"]})
    >>> hits = pd.DataFrame({"call_id": ["c1"], "turn": [0], "behaviour": ["greeting"],
    ...                      "confidence": [0.9]})
    >>> float(round(score_calls(info, hits).loc[0, "score"], 1))
    86.7
    """
    ev = _evaluate(call_info, hits, scorecard)
    info, sc = ev.info, ev.scorecard
    n = len(info)
    weights = np.array([it.weight for it in sc.items])
    app = np.column_stack([ev.applicable[i.id] for i in sc.items]) if n else np.zeros((0, len(weights)), bool)
    met = np.column_stack([ev.met[i.id] for i in sc.items]) if n else np.zeros((0, len(weights)), bool)
    denom = (app * weights).sum(axis=1)
    numer = (app & met) * weights
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(denom > 0, 100.0 * numer.sum(axis=1) / np.where(denom > 0, denom, 1), np.nan)
    fired_any = np.zeros(n, dtype=bool)
    reasons: list[list[str]] = [[] for _ in range(n)]
    for it in sc.items:
        rows = np.flatnonzero(ev.fired[it.id])
        if len(rows):
            turns = _turns(ev, it)
            for r in rows:
                reasons[r].append(_reason(it, turns.get(int(r), [])))
        fired_any |= ev.fired[it.id]
    score = np.where(fired_any, 0.0, score)

    none = np.full(n, None, dtype=object)
    cols: dict[str, object] = {
        "call_id": info["call_id"].to_numpy(),
        "agent_id": info["agent_id"].to_numpy() if "agent_id" in info else none,
        "lang": info["lang"].to_numpy() if "lang" in info else none,
        "score": score.astype(float),
        "auto_fail": fired_any,
        "auto_fail_reason": pd.Series(["; ".join(r) if r else None for r in reasons], dtype=object),
    }
    cols.update({it.id: np.where(app[:, j], met[:, j].astype(float), np.nan)
                 for j, it in enumerate(sc.items)})
    cols.update({f"n_{b}": ev.counts[b].to_numpy() for b in BEHAVIOURS})
    clash = [c for c in info.columns if c not in _LEADING[:3] and c in cols]
    if clash:
        warnings.warn(f"call_info columns {', '.join(clash)} have the names of score columns "
                      "and are left out of the calls table (to score a calls table again, use "
                      "csqa.scoring.rescore).", CsqaWarning, stacklevel=2)
    cols.update({c: info[c].to_numpy() for c in info.columns if c not in cols and c != "_key"})
    return pd.DataFrame(cols)


def call_info_of(calls: pd.DataFrame) -> pd.DataFrame:
    """Return the call information inside a :func:`score_calls` table (drop the score columns).

    Keeps ``call_id``, ``agent_id``, ``lang`` and every column after the ``n_<behaviour>``
    counts (``customer_name``, ``n_turns``, ``has_timestamps``, metadata). A table without the
    counts is returned unchanged.
    """
    last = f"n_{list(BEHAVIOURS)[-1]}"
    if last not in calls.columns:
        return calls
    after = list(calls.columns[calls.columns.get_loc(last) + 1:])
    return calls[[c for c in ("call_id", "agent_id", "lang") if c in calls.columns] + after]


def rescore(
    calls: pd.DataFrame, hits: pd.DataFrame, scorecard: Scorecard | PathLike | None = None,
) -> pd.DataFrame:
    """Score an already scored batch again with another scorecard, without detecting again.

    For the notebook loop "change a weight, score again": ``rescore(result.calls,
    result.hits, sc.with_item("apology", weight=15))``. Weights, applicability, auto-fail,
    minimum counts and ``min_confidence`` take effect; a new scorecard's extra lexicons and
    detector parameters change *detection* and need ``csqa.score`` again.

    Parameters
    ----------
    calls : DataFrame
        A :func:`score_calls` table (``result.calls``).
    hits, scorecard
        As for :func:`score_calls`.

    Returns
    -------
    DataFrame
        As :func:`score_calls`.
    """
    return score_calls(call_info_of(calls), hits, scorecard)


def item_outcomes(
    call_info: pd.DataFrame, hits: pd.DataFrame, scorecard: Scorecard | PathLike | None = None,
) -> pd.DataFrame:
    """Return every item's outcome in every call, with the turns of the evidence (long table).

    Parameters
    ----------
    call_info, hits, scorecard
        As for :func:`score_calls`.

    Returns
    -------
    DataFrame
        One row per call and item (calls in ``call_info`` order, items in scorecard order):
        ``call_id, item, outcome`` ("met", "missed" or "n/a"), ``weight``, ``evidence_turns``
        (sorted list of int: turns where the item's behaviours were found; empty when N/A),
        then ``section``, ``kind``, ``count`` (distinct turns found), ``min_count``,
        ``applies_when`` (the conditions, joined with " or ") and ``auto_fail`` (True when this
        item forced the call to 0).
    """
    ev = _evaluate(call_info, hits, scorecard)
    items, n = ev.scorecard.items, len(ev.info)
    m = len(items)

    def grid(values: dict[str, np.ndarray]) -> np.ndarray:  # calls x items, call-major
        return np.column_stack([values[it.id] for it in items]).ravel() if n else np.array([])

    evidence = np.empty((n, m), dtype=object)
    for j, it in enumerate(items):
        turns, app = _turns(ev, it), ev.applicable[it.id]
        evidence[:, j] = [turns.get(r, []) if a else [] for r, a in enumerate(app)]
    outcome = {it.id: np.where(~ev.applicable[it.id], "n/a",
                               np.where(ev.met[it.id], "met", "missed")) for it in items}
    return pd.DataFrame({
        "call_id": np.repeat(ev.info["call_id"].to_numpy(), m),
        "item": np.tile([it.id for it in items], n),
        "outcome": grid(outcome),
        "weight": np.tile([it.weight for it in items], n).astype(float),
        "evidence_turns": pd.Series(list(evidence.ravel()), dtype=object),
        "section": np.tile([it.section for it in items], n),
        "kind": np.tile([it.kind for it in items], n),
        "count": grid(ev.count).astype("int64"),
        "min_count": np.tile([it.min_count for it in items], n).astype("int64"),
        "applies_when": np.tile([" or ".join(it.applies_when) for it in items], n),
        "auto_fail": grid(ev.fired).astype(bool),
    })
