"""A readable explanation of one call's score: every item, its outcome, why, and the evidence.

:func:`explain_call` returns a table (for a notebook); :func:`render_explanation` turns it into
plain text (for a terminal or a QA feedback note).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csqa.errors import InputError, did_you_mean
from csqa.scorecard import APPLIES_WHEN, Scorecard
from csqa.scoring import call_info_of, item_outcomes, score_calls
from csqa.types import PathLike

__all__ = ["explain_call", "render_explanation"]

_MAX_TEXT = 160
# Which hits show that a named condition held.
_CONDITION_BEHAVIOURS = {
    "customer_reported_problem": ("customer_reported_problem",),
    "customer_hostile": ("customer_hostile",),
    "customer_name_known": ("customer_name_stated",),
    "agent_said_dont_know": ("dont_know_no_followup", "offers_to_find_out"),
}


def _turn_texts(call_hits: pd.DataFrame, utterances: pd.DataFrame | None) -> dict[int, str]:
    """Turn -> 'speaker: "text"' from the utterances, else from the hits' evidence."""
    out: dict[int, str] = {}
    if utterances is not None and len(utterances) and "turn" in utterances:
        for row in utterances.itertuples(index=False):
            text = str(getattr(row, "text", ""))
            text = text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"
            out[int(row.turn)] = f'{getattr(row, "speaker", "?")}: "{text}"'
    for row in call_hits.itertuples(index=False):
        turn = getattr(row, "turn", None)
        if turn is None or pd.isna(turn) or int(turn) in out:
            continue
        evidence = getattr(row, "evidence", None)
        quote = f' "{evidence}"' if isinstance(evidence, str) and evidence else ""
        out[int(turn)] = f'{getattr(row, "speaker", "?")}:{quote}'
    return out


def _turns_of(call_hits: pd.DataFrame, behaviours: tuple[str, ...]) -> list[int]:
    sub = call_hits[call_hits["behaviour"].isin(behaviours)]
    return sorted({int(t) for t in sub.get("turn", pd.Series(dtype=float)).dropna()})


def _why(row: pd.Series, call: pd.Series, call_hits: pd.DataFrame) -> str:
    """One sentence: why the item applies (or not) and how its outcome was reached."""
    conds = row["applies_when"].split(" or ")
    if row["outcome"] == "n/a":
        said = " or ".join(APPLIES_WHEN.get(c, f"{c} was found") for c in conds)
        return f"does not apply: applies only when {said}"
    held = []
    for c in conds:
        if c == "always":
            continue
        if c == "has_timestamps":
            held.append("the call has timestamps")
        elif c == "customer_name_known" and isinstance(call.get("customer_name"), str) \
                and call.get("customer_name", "").strip():
            held.append("the customer's name is known from the CRM")
        else:
            turns = _turns_of(call_hits, _CONDITION_BEHAVIOURS.get(c, (c,)))
            if turns:
                held.append(f"{APPLIES_WHEN.get(c, c + ' was found')} (turn "
                            f"{', '.join(map(str, turns))})")
    applies = f"applies because {' and '.join(held)}; " if held else ""
    n, need = int(row["count"]), int(row["min_count"])
    times = f"found in {n} turn{'s' if n != 1 else ''}" if n else "not found"
    if row["kind"] == "penalty":
        rule = "must be absent" if need == 1 else f"tolerated fewer than {need} times"
    else:
        rule = "must be found" if need == 1 else f"needed in at least {need} turns"
    fail = "; AUTO-FAIL: the call scores 0" if row["auto_fail"] else ""
    return f"{applies}{rule}, {times}{fail}"


def explain_call(
    call_id: str, *, calls: pd.DataFrame, hits: pd.DataFrame,
    utterances: pd.DataFrame | None = None, scorecard: Scorecard | PathLike | None = None,
) -> pd.DataFrame:
    """Explain one call's score item by item.

    Parameters
    ----------
    call_id : str
        The call to explain.
    calls : DataFrame
        ``result.calls`` or the call information table: the row of ``call_id`` supplies
        ``agent_id``, ``customer_name`` and ``has_timestamps``.
    hits : DataFrame
        Hits of at least this call (``result.hits``).
    utterances : DataFrame, optional
        The canonical utterance table; when given, the evidence quotes the whole turn,
        otherwise the matched text of the hits.
    scorecard : Scorecard, path, name or None
        The scorecard the call was scored with (default scorecard when None).

    Returns
    -------
    DataFrame
        One row per item in scorecard order: ``section, item, outcome, weight, points``
        (weight when met, 0 when missed, NaN when N/A), ``evidence_turns``, ``evidence``
        (one ``turn N speaker: "text"`` line per evidence turn), ``why`` (applicability and
        the rule applied) and ``auto_fail``. ``.attrs`` holds ``call_id``, ``agent_id``,
        ``score``, ``auto_fail_reason`` and ``scorecard`` (its name), which
        :func:`render_explanation` prints as a header.

    Raises
    ------
    InputError
        ``call_id`` is not in ``calls``.
    """
    sc = Scorecard.load(scorecard)
    keys = calls["call_id"].astype(str)
    if str(call_id) not in set(keys):
        raise InputError(f'calls: call_id "{call_id}" not found{did_you_mean(str(call_id), keys)}.')
    call_info = call_info_of(calls).loc[keys == str(call_id)].iloc[[0]]
    call = call_info.iloc[0]
    call_hits = hits[hits["call_id"].astype(str) == str(call_id)] if len(hits) else hits
    utt = None
    if utterances is not None and len(utterances):
        utt = utterances[utterances["call_id"].astype(str) == str(call_id)]
    scored = score_calls(call_info, call_hits, sc).iloc[0]
    out = item_outcomes(call_info, call_hits, sc)
    texts = _turn_texts(call_hits, utt)
    out["points"] = np.where(out["outcome"] == "met", out["weight"],
                             np.where(out["outcome"] == "missed", 0.0, np.nan))
    out["evidence"] = [
        "\n".join(f"turn {t} {texts.get(t, '')}".rstrip() for t in turns)
        for turns in out["evidence_turns"]]
    out["why"] = [_why(r, call, call_hits) for _, r in out.iterrows()]
    out = out[["section", "item", "outcome", "weight", "points", "evidence_turns", "evidence",
               "why", "auto_fail"]]
    out.attrs.update({
        "call_id": call["call_id"], "agent_id": call.get("agent_id"), "score": scored["score"],
        "auto_fail_reason": scored["auto_fail_reason"], "scorecard": sc.name,
    })
    return out


def render_explanation(explanation: pd.DataFrame) -> str:
    """Render :func:`explain_call`'s table as plain text, grouped by section.

    Parameters
    ----------
    explanation : DataFrame
        The output of :func:`explain_call`.

    Returns
    -------
    str
        A header (call, agent, score, auto-fail reason), then per section one line per item
        (``[met]``, ``[MISSED]``, ``[n/a]``, the item and its weight, why) followed by the
        indented evidence lines.
    """
    a = explanation.attrs
    score = a.get("score")
    score_txt = "n/a (no item applies)" if score is None or pd.isna(score) else f"{score:.1f} / 100"
    agent = a.get("agent_id")
    agent_txt = "unattributed" if agent is None or pd.isna(agent) else agent
    lines = [f'Call {a.get("call_id", "?")}  agent {agent_txt}  score {score_txt}  '
             f'(scorecard "{a.get("scorecard", "?")}")']
    if a.get("auto_fail_reason"):
        lines.append(f"AUTO-FAIL: {a['auto_fail_reason']}")
    marks = {"met": "[met]   ", "missed": "[MISSED]", "n/a": "[n/a]   "}
    for section, rows in explanation.groupby("section", sort=False):
        lines += ["", str(section)]
        for _, r in rows.iterrows():
            lines.append(f"  {marks[r['outcome']]} {r['item']} (weight {r['weight']:g}): {r['why']}")
            lines += [f"             {e}" for e in str(r["evidence"]).splitlines() if e]
    return "\n".join(lines)
