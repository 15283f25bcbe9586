"""Per-call scoring: weights over applicable items, N/A, auto-fail, min counts, explanations."""

from __future__ import annotations

import textwrap
import tomllib

import numpy as np
import pandas as pd
import pytest

from csqa.behaviours import BEHAVIOURS
from csqa.errors import InputError
from csqa.explain import explain_call, render_explanation
from csqa.scorecard import Scorecard
from csqa.scoring import behaviour_counts, call_info_of, item_outcomes, rescore, score_calls


def card(body: str) -> Scorecard:
    return Scorecard.from_dict(tomllib.loads(textwrap.dedent(body)), where="test.toml")


def calls(*rows: dict) -> pd.DataFrame:
    base = {"agent_id": "a1", "customer_name": None, "lang": "en", "n_turns": 10,
            "has_timestamps": False}
    return pd.DataFrame([{**base, **r} for r in rows])


def hits(*rows: tuple) -> pd.DataFrame:
    """(call_id, turn, behaviour) or (call_id, turn, behaviour, confidence)."""
    out = [{"call_id": r[0], "turn": r[1], "speaker": "agent", "behaviour": r[2],
            "start_char": 0, "end_char": 5, "evidence": f"text of turn {r[1]}",
            "source": "test", "confidence": r[3] if len(r) > 3 else 0.9} for r in rows]
    return pd.DataFrame(out, columns=["call_id", "turn", "speaker", "behaviour", "start_char",
                                      "end_char", "evidence", "source", "confidence"])


# weights: greeting 10, apology 30 (problem calls only), rude_or_hostile 20 (auto-fail),
# interruption 10 (penalty from the 2nd interruption), uses_customer_name 5 (twice, name known)
CARD = card("""
    [items.greeting]
    weight = 10
    [items.apology]
    weight = 30
    applies_when = "customer_reported_problem"
    [items.rude_or_hostile]
    weight = 20
    auto_fail = true
    [items.interruption]
    weight = 10
    min_count = 2
    [items.uses_customer_name]
    weight = 5
    min_count = 2
    applies_when = "customer_name_known"
    """)


@pytest.mark.parametrize("rows, expected", [
    # nothing found: greeting missed (0/10), rude met (20), interruption met (10): 30/40
    ([], 75.0),
    # greeting found: 40/40
    ([("c1", 0, "greeting")], 100.0),
    # a problem makes apology apply (30 more in the denominator), not found: 30/70
    ([("c1", 1, "customer_reported_problem")], 100 * 30 / 70),
    # problem + apology + greeting: 70/70
    ([("c1", 0, "greeting"), ("c1", 1, "customer_reported_problem"), ("c1", 2, "apology")], 100.0),
    # two interruptions: interruption missed: (10 + 20) / 40
    ([("c1", 0, "greeting"), ("c1", 3, "interruption"), ("c1", 5, "interruption")], 75.0),
])
def test_scoring_score_is_weighted_share_of_applicable_items(rows, expected):
    out = score_calls(calls({"call_id": "c1"}), hits(*rows), CARD)
    assert out.loc[0, "score"] == pytest.approx(expected)
    assert not out.loc[0, "auto_fail"]


@pytest.mark.parametrize("weight", [1, 30, 1000])
def test_scoring_na_item_never_changes_the_score(weight):
    # apology is N/A (no problem reported): its weight, whatever it is, must not matter
    rows = hits(("c1", 0, "greeting"), ("c1", 4, "interruption"))
    base = score_calls(calls({"call_id": "c1"}), rows, CARD.without_item("apology"))
    with_na = score_calls(calls({"call_id": "c1"}), rows, CARD.with_item("apology", weight=weight))
    assert np.isnan(with_na.loc[0, "apology"])
    assert with_na.loc[0, "score"] == base.loc[0, "score"]


@pytest.mark.parametrize("behaviour", ["rude_or_hostile"])
def test_scoring_auto_fail_forces_zero_with_reason(behaviour):
    out = score_calls(calls({"call_id": "c1"}), hits(("c1", 0, "greeting"), ("c1", 7, behaviour)), CARD)
    assert out.loc[0, "score"] == 0.0 and out.loc[0, "auto_fail"]
    assert out.loc[0, "auto_fail_reason"] == "rude_or_hostile: rude_or_hostile found (turn 7)"
    assert out.loc[0, "rude_or_hostile"] == 0.0 and out.loc[0, "greeting"] == 1.0


@pytest.mark.parametrize("reason", ["No apology to a complaining customer."])
def test_scoring_auto_fail_on_missed_reward_item(reason):
    sc = CARD.with_item("apology", auto_fail=True, auto_fail_reason=reason)
    info = calls({"call_id": "c1"}, {"call_id": "c2"})
    out = score_calls(info, hits(("c1", 0, "greeting"), ("c1", 1, "customer_reported_problem"),
                                 ("c2", 0, "greeting")), sc)
    assert out.loc[0, "auto_fail"] and out.loc[0, "score"] == 0.0
    assert out.loc[0, "auto_fail_reason"] == f"apology: {reason}"
    # the same item N/A (no problem in c2) never fires
    assert not out.loc[1, "auto_fail"] and out.loc[1, "score"] == 100.0
    assert out.loc[1, "auto_fail_reason"] is None


@pytest.mark.parametrize("n", [2])
def test_scoring_several_auto_fails_are_all_named(n):
    sc = CARD.with_item("apology", auto_fail=True)
    out = score_calls(calls({"call_id": "c1"}), hits(("c1", 1, "customer_reported_problem"),
                                                    ("c1", 2, "rude_or_hostile")), sc)
    reasons = out.loc[0, "auto_fail_reason"].split("; ")
    assert len(reasons) == n
    assert reasons[0] == "apology: apology required but not found"


@pytest.mark.parametrize("turns, expected", [
    ([4], 0.0),          # once: below min_count = 2
    ([4, 4], 0.0),       # two rows on the same turn still count once
    ([4, 9], 1.0),       # two distinct turns
    ([4, 9, 12], 1.0),
])
def test_scoring_min_count_counts_distinct_turns(turns, expected):
    rows = hits(*[("c1", t, "uses_customer_name") for t in turns])
    out = score_calls(calls({"call_id": "c1", "customer_name": "Tan"}), rows, CARD)
    assert out.loc[0, "uses_customer_name"] == expected
    assert out.loc[0, "n_uses_customer_name"] == len(set(turns))


@pytest.mark.parametrize("n_interruptions, expected", [(0, 1.0), (1, 1.0), (2, 0.0), (3, 0.0)])
def test_scoring_min_count_on_penalty_tolerates_fewer(n_interruptions, expected):
    rows = hits(*[("c1", t, "interruption") for t in range(n_interruptions)])
    out = score_calls(calls({"call_id": "c1"}), rows, CARD)
    assert out.loc[0, "interruption"] == expected


@pytest.mark.parametrize("confidence, expected", [(0.49, 0.0), (0.5, 1.0), (0.9, 1.0)])
def test_scoring_min_confidence_ignores_unsure_hits(confidence, expected):
    out = score_calls(calls({"call_id": "c1"}), hits(("c1", 0, "greeting", confidence)), CARD)
    assert out.loc[0, "greeting"] == expected
    assert out.loc[0, "n_greeting"] == int(expected)


@pytest.mark.parametrize("item_conf, expected", [(0.3, 1.0), (0.95, 0.0)])
def test_scoring_item_min_confidence_overrides(item_conf, expected):
    sc = CARD.with_item("greeting", min_confidence=item_conf)
    out = score_calls(calls({"call_id": "c1"}), hits(("c1", 0, "greeting", 0.4 if item_conf < 0.5 else 0.9)), sc)
    assert out.loc[0, "greeting"] == expected


@pytest.mark.parametrize("name, stated, applies", [
    ("Tan", False, True), (None, False, False), ("", False, False), ("  ", False, False),
    (None, True, True),
])
def test_scoring_customer_name_known(name, stated, applies):
    rows = [("c1", 2, "customer_name_stated")] if stated else []
    out = score_calls(calls({"call_id": "c1", "customer_name": name}), hits(*rows), CARD)
    assert np.isnan(out.loc[0, "uses_customer_name"]) != applies


@pytest.mark.parametrize("has_ts, applies_when", [(False, "always"), (False, "has_timestamps"),
                                                   (True, "has_timestamps"), (True, "always")])
def test_scoring_timing_items_need_timestamps(has_ts, applies_when):
    sc = CARD.with_item("dead_air", weight=5, applies_when=applies_when)
    out = score_calls(calls({"call_id": "c1", "has_timestamps": has_ts}), hits(), sc)
    assert np.isnan(out.loc[0, "dead_air"]) == (not has_ts)


@pytest.mark.parametrize("rows, expected", [
    ([], np.nan),                                              # never said "I don't know"
    ([("c1", 3, "offers_to_find_out")], 1.0),                   # said it and followed up
    ([("c1", 3, "dont_know_no_followup")], 0.0),                # said it, no follow-up
])
def test_scoring_agent_said_dont_know(rows, expected):
    sc = Scorecard.default()
    out = score_calls(calls({"call_id": "c1"}), hits(*rows), sc)
    assert out.loc[0, "dont_know_no_followup"] == pytest.approx(expected, nan_ok=True)


@pytest.mark.parametrize("rows, expected", [
    ([], np.nan), ([("c1", 3, "escalation_offer")], 0.0),
    ([("c1", 3, "escalation_offer"), ("c1", 2, "empathy")], 1.0),
])
def test_scoring_behaviour_as_condition(rows, expected):
    sc = card("""
        [items.empathy]
        weight = 5
        applies_when = "escalation_offer"
        """)
    out = score_calls(calls({"call_id": "c1"}), hits(*rows), sc)
    assert out.loc[0, "empathy"] == pytest.approx(expected, nan_ok=True)


@pytest.mark.parametrize("rows, once, twice", [
    ([], 0.0, 0.0),
    ([("c1", 3, "sets_next_steps")], 1.0, 0.0),
    ([("c1", 3, "escalation_offer")], 1.0, 0.0),
    ([("c1", 3, "sets_next_steps"), ("c1", 3, "escalation_offer")], 1.0, 0.0),  # one turn only
    ([("c1", 3, "sets_next_steps"), ("c1", 5, "escalation_offer")], 1.0, 1.0),
])
def test_scoring_any_of_counts_turns_of_any_behaviour(rows, once, twice):
    sc = card("""
        [items.way_forward]
        any_of = ["sets_next_steps", "escalation_offer"]
        weight = 5
        min_count = 1
        [items.way_forward_twice]
        any_of = ["sets_next_steps", "escalation_offer"]
        weight = 5
        min_count = 2
        """)
    out = score_calls(calls({"call_id": "c1"}), hits(*rows), sc)
    assert out.loc[0, "way_forward"] == once
    assert out.loc[0, "way_forward_twice"] == twice


@pytest.mark.parametrize("kind, expected", [("reward", 1.0), ("penalty", 0.0)])
def test_scoring_kind_override(kind, expected):
    sc = card(f"""
        [items.upsell]
        any_of = ["soft_sell"]
        kind = "{kind}"
        weight = 5
        """)
    out = score_calls(calls({"call_id": "c1"}), hits(("c1", 4, "soft_sell")), sc)
    assert out.loc[0, "upsell"] == expected


@pytest.mark.parametrize("body", ["""
    [items.apology]
    weight = 5
    applies_when = "customer_reported_problem"
    """])
def test_scoring_nothing_applies_gives_nan(body):
    out = score_calls(calls({"call_id": "c1"}), hits(), card(body))
    assert np.isnan(out.loc[0, "score"]) and not out.loc[0, "auto_fail"]


@pytest.mark.parametrize("sc", [CARD, Scorecard.default(), Scorecard.strict()])
def test_scoring_columns_types_and_order(sc):
    info = calls({"call_id": "c1", "team": "kl", "date": "2026-11-02"},
                 {"call_id": "c2", "agent_id": None, "team": "mnl", "date": "2026-11-03"})
    out = score_calls(info, hits(("c1", 0, "greeting"), ("c2", 1, "stays_calm"),
                                 ("c2", 4, "stays_calm")), sc)
    lead = ["call_id", "agent_id", "lang", "score", "auto_fail", "auto_fail_reason"]
    counts = [f"n_{b}" for b in BEHAVIOURS]
    meta = ["customer_name", "n_turns", "has_timestamps", "team", "date"]
    assert list(out.columns) == lead + list(sc.item_ids) + counts + meta
    assert list(out["call_id"]) == ["c1", "c2"]
    assert out["score"].dtype == float and out["auto_fail"].dtype == bool
    assert all(out[i].dtype == float for i in sc.item_ids)
    assert all(out[c].dtype == "int64" for c in counts)
    assert out.loc[1, "n_stays_calm"] == 1  # a call-level judgement counts once
    assert list(out["team"]) == ["kl", "mnl"]


@pytest.mark.parametrize("extra", [
    ("c9", 0, "rude_or_hostile"),      # a call that is not in call_info
    ("c1", 0, "not_a_behaviour"),      # a behaviour outside the catalogue
])
def test_scoring_ignores_hits_it_cannot_place(extra):
    base = score_calls(calls({"call_id": "c1"}), hits(("c1", 0, "greeting")), CARD)
    more = score_calls(calls({"call_id": "c1"}), hits(("c1", 0, "greeting"), extra), CARD)
    pd.testing.assert_frame_equal(base, more)


@pytest.mark.parametrize("info", [calls({"call_id": "c1"}, {"call_id": "c1"})])
def test_scoring_duplicate_calls_raise(info):
    with pytest.raises(InputError, match="call_id 'c1' appears on 2 rows"):
        score_calls(info, hits(), CARD)


@pytest.mark.parametrize("n", [0])
def test_scoring_empty_inputs(n):
    out = score_calls(calls({"call_id": "c1"}).iloc[:n], hits(), CARD)
    assert len(out) == 0 and "score" in out.columns
    assert len(item_outcomes(calls({"call_id": "c1"}).iloc[:n], hits(), CARD)) == 0


@pytest.mark.parametrize("min_confidence", [0.0, 0.95])
def test_scoring_behaviour_counts(min_confidence):
    counts = behaviour_counts(calls({"call_id": "c1"}), hits(("c1", 0, "greeting"), ("c1", 5, "greeting")),
                              min_confidence=min_confidence)
    assert list(counts.columns) == list(BEHAVIOURS)
    assert counts.loc["c1", "greeting"] == (2 if min_confidence < 0.9 else 0)


@pytest.mark.parametrize("sc", [CARD])
def test_scoring_item_outcomes_long_table(sc):
    info = calls({"call_id": "c1", "customer_name": "Tan"}, {"call_id": "c2"})
    rows = hits(("c1", 0, "greeting"), ("c1", 2, "customer_reported_problem"),
                ("c1", 6, "uses_customer_name"), ("c1", 3, "interruption"), ("c2", 4, "rude_or_hostile"))
    out = item_outcomes(info, rows, sc)
    assert list(out.columns[:5]) == ["call_id", "item", "outcome", "weight", "evidence_turns"]
    assert len(out) == 2 * len(sc.items)
    c1 = out[out["call_id"] == "c1"].set_index("item")
    assert c1.loc["greeting", "outcome"] == "met" and c1.loc["greeting", "evidence_turns"] == [0]
    assert c1.loc["apology", "outcome"] == "missed" and c1.loc["apology", "evidence_turns"] == []
    assert c1.loc["uses_customer_name", "outcome"] == "missed"  # once, min_count 2
    assert c1.loc["uses_customer_name", "evidence_turns"] == [6]
    assert c1.loc["interruption", "outcome"] == "met" and c1.loc["interruption", "count"] == 1
    c2 = out[out["call_id"] == "c2"].set_index("item")
    assert c2.loc["apology", "outcome"] == "n/a"
    assert c2.loc["rude_or_hostile", "outcome"] == "missed" and c2.loc["rude_or_hostile", "auto_fail"]
    # the long table agrees with the wide one
    wide = score_calls(info, rows, sc).set_index("call_id")
    for _, r in out.iterrows():
        v = wide.loc[r["call_id"], r["item"]]
        assert {"met": 1.0, "missed": 0.0}.get(r["outcome"], "n/a") == ("n/a" if np.isnan(v) else v)


@pytest.mark.parametrize("new_weight", [100])
def test_scoring_rescore_a_scored_table(new_weight):
    info = calls({"call_id": "c1", "team": "kl"}, {"call_id": "c2", "team": "mnl"})
    rows = hits(("c1", 0, "greeting"), ("c2", 3, "closing"))
    first = score_calls(info, rows, Scorecard.strict())
    assert list(call_info_of(first).columns) == ["call_id", "agent_id", "lang", "customer_name",
                                                 "n_turns", "has_timestamps", "team"]
    again = rescore(first, rows, CARD.with_item("greeting", weight=new_weight))
    direct = score_calls(info, rows, CARD.with_item("greeting", weight=new_weight))
    pd.testing.assert_frame_equal(again, direct[again.columns])
    assert "way_forward" not in again.columns  # the old scorecard's items are gone


@pytest.mark.parametrize("column", ["score"])
def test_scoring_warns_when_call_info_has_score_columns(column):
    from csqa.errors import CsqaWarning

    with pytest.warns(CsqaWarning, match="rescore"):
        score_calls(calls({"call_id": "c1", column: 5.0}), hits(), CARD)


# -- explanations --------------------------------------------------------------------------
@pytest.mark.parametrize("sc", [CARD])
def test_explain_call_lists_every_item_with_evidence(sc):
    info = calls({"call_id": "c1", "customer_name": "Tan"})
    rows = hits(("c1", 0, "greeting"), ("c1", 1, "customer_reported_problem"), ("c1", 3, "rude_or_hostile"))
    utt = pd.DataFrame({"call_id": "c1", "turn": range(4), "speaker": ["agent", "customer", "agent", "agent"],
                        "text": ["Thanks for calling Acme", "My bill is wrong", "Let me see", "Not my problem, idiot"]})
    scored = score_calls(info, rows, sc)
    table = explain_call("c1", calls=scored, hits=rows, utterances=utt, scorecard=sc)
    assert list(table["item"]) == list(sc.item_ids)
    by_item = table.set_index("item")
    assert by_item.loc["greeting", "evidence"] == 'turn 0 agent: "Thanks for calling Acme"'
    assert by_item.loc["greeting", "points"] == 10
    assert "customer reported a problem (turn 1)" in by_item.loc["apology", "why"]
    assert by_item.loc["rude_or_hostile", "auto_fail"]
    assert table.attrs["score"] == 0.0
    text = render_explanation(table)
    assert text.startswith("Call c1  agent a1  score 0.0 / 100")
    assert "AUTO-FAIL: rude_or_hostile: rude_or_hostile found (turn 3)" in text
    assert "[MISSED] rude_or_hostile (weight 20)" in text
    assert 'turn 3 agent: "Not my problem, idiot"' in text


@pytest.mark.parametrize("call_id", ["c7"])
def test_explain_call_unknown_call(call_id):
    with pytest.raises(InputError, match='call_id "c7" not found'):
        explain_call(call_id, calls=calls({"call_id": "c1"}), hits=hits(), scorecard=CARD)


@pytest.mark.parametrize("sc", [CARD])
def test_explain_call_without_utterances_uses_hit_evidence(sc):
    table = explain_call("c1", calls=calls({"call_id": "c1"}), hits=hits(("c1", 0, "greeting")), scorecard=sc)
    assert table.set_index("item").loc["greeting", "evidence"] == 'turn 0 agent: "text of turn 0"'
    assert "does not apply" in table.set_index("item").loc["apology", "why"]
