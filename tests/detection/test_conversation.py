"""Conversation rules, tested on hand-built contexts (no lexicon involved)."""

from __future__ import annotations

import pandas as pd
import pytest

from csqa.detection.base import CUE_COLUMNS, CallContext, hits_frame
from csqa.detection import detect
from csqa.detection.conversation import DeadAir, DontKnowNoFollowup, Interruption, Shouting, StaysCalm, build_rules
from csqa.detection.names import CustomerName
from csqa.errors import UnknownNameError
from tests.conftest import make_call


def _ctx(u: pd.DataFrame, hits: list[tuple] = (), cues: list[tuple] = ()) -> CallContext:
    """hits: (turn, behaviour, speaker[, start, end]); cues: (turn, cue, speaker, start, end)."""
    h = hits_frame([{"call_id": "c1", "turn": t[0], "behaviour": t[1], "speaker": t[2],
                     "start_char": t[3] if len(t) > 3 else 0, "end_char": t[4] if len(t) > 4 else 1,
                     "evidence": "", "source": "test", "confidence": 0.9} for t in hits])
    c = pd.DataFrame([("c1", t[0], t[2], t[1], t[3], t[4]) for t in cues], columns=list(CUE_COLUMNS))
    words = u["text"].str.split()
    stats = pd.DataFrame({"n_words": words.str.len(), "n_upper": words.apply(lambda ws: sum(len(w) > 1 and w.isupper() for w in ws))})
    return CallContext(u, h, c, stats, {})


def _turns(hits: pd.DataFrame, behaviour: str) -> list[int]:
    return sorted(hits.loc[hits["behaviour"] == behaviour, "turn"].tolist())


# --- dont_know_no_followup --------------------------------------------------------------

@pytest.mark.parametrize(
    ("rescues", "expected"),
    [
        ([], [1]),                                    # says it does not know, moves on
        ([(1, "offers_to_find_out", "agent")], []),   # same turn: "but let me check"
        ([(3, "escalation_offer", "agent")], []),     # the agent's very next turn transfers
        ([(5, "offers_to_find_out", "agent")], [1]),  # a follow-up two agent turns later is too late
    ],
)
def test_conversation_dont_know_needs_followup_in_same_or_next_agent_turn(rescues: list, expected: list) -> None:
    u = make_call([("customer", "when will it arrive"), ("agent", "i dont know"), ("customer", "hmm"),
                   ("agent", "anything else"), ("customer", "no"), ("agent", "ok bye")])
    ctx = _ctx(u, hits=rescues, cues=[(1, "cue.dont_know", "agent", 0, 11)])
    assert _turns(DontKnowNoFollowup().detect(ctx), "dont_know_no_followup") == expected


def test_conversation_dont_know_followup_cue_rescues_and_customer_dont_know_is_ignored() -> None:
    u = make_call([("agent", "i dont know ill call you back"), ("customer", "i dont know either")])
    ctx = _ctx(u, cues=[(0, "cue.dont_know", "agent", 0, 11), (0, "cue.followup", "agent", 12, 29),
                        (1, "cue.dont_know", "customer", 0, 11)])
    assert DontKnowNoFollowup().detect(ctx).empty


def test_conversation_dont_know_evidence_is_the_cue_text() -> None:
    u = make_call([("agent", "sorry saya tak tahu la"), ("customer", "ok")])
    hits = DontKnowNoFollowup().detect(_ctx(u, cues=[(0, "cue.dont_know", "agent", 6, 19)]))
    assert hits["evidence"].tolist() == ["saya tak tahu"]


# --- stays_calm ---------------------------------------------------------------------------

def test_conversation_stays_calm_on_last_agent_turn_when_no_arguing_after_hostility() -> None:
    u = make_call([("agent", "hello"), ("customer", "this is useless"), ("agent", "i understand"),
                   ("customer", "whatever"), ("agent", "anything else")])
    hits = StaysCalm().detect(_ctx(u, hits=[(1, "customer_hostile", "customer")]))
    assert _turns(hits, "stays_calm") == [4]
    assert "turn(s) 1" in hits["evidence"].iloc[0]


@pytest.mark.parametrize("breaker", ["argues_with_customer", "rude_or_hostile"])
def test_conversation_stays_calm_broken_by_arguing_or_rudeness_after_hostility(breaker: str) -> None:
    u = make_call([("customer", "you people are idiots"), ("agent", "as i told you"), ("agent", "ok")])
    assert StaysCalm().detect(_ctx(u, hits=[(0, "customer_hostile", "customer"), (1, breaker, "agent")])).empty


def test_conversation_stays_calm_not_broken_by_arguing_before_hostility_and_needs_hostility() -> None:
    u = make_call([("agent", "as i told you"), ("customer", "you idiot"), ("agent", "i am sorry")])
    assert _turns(StaysCalm().detect(_ctx(u, hits=[(0, "argues_with_customer", "agent"), (1, "customer_hostile", "customer")])), "stays_calm") == [2]
    assert StaysCalm().detect(_ctx(u)).empty


@pytest.mark.parametrize(
    ("turn", "score", "expected"),
    [
        (2, 0.65, []),   # an agent turn after the hostility that the model doubts withholds the credit
        (2, 0.55, [2]),  # below the doubt level it does not
        (0, 0.95, [2]),  # a doubted turn before the hostility does not count
    ],
)
def test_conversation_stays_calm_withheld_on_the_models_doubt(turn: int, score: float, expected: list[int]) -> None:
    u = make_call([("agent", "as i said"), ("customer", "you idiot"), ("agent", "fine whatever you want")])
    ctx = _ctx(u, hits=[(1, "customer_hostile", "customer")])
    ctx.scores = pd.DataFrame({"rude_or_hostile": [0.0, 0.0, 0.0], "empathy": [0.9, 0.9, 0.9]}, index=u.index)
    ctx.scores.loc[turn, "rude_or_hostile"] = score
    assert _turns(StaysCalm(doubt=0.6).detect(ctx), "stays_calm") == expected


def test_conversation_stays_calm_doubt_must_be_a_probability() -> None:
    with pytest.raises(ValueError, match="doubt"):
        StaysCalm(doubt=1.5)


def test_conversation_stays_calm_needs_an_agent_turn_after_hostility() -> None:
    u = make_call([("agent", "hello"), ("customer", "useless!!")])
    assert StaysCalm().detect(_ctx(u, hits=[(1, "customer_hostile", "customer")])).empty


# --- interruption and dead air --------------------------------------------------------------

def test_conversation_interruption_from_timestamps() -> None:
    u = make_call([("customer", "my bill is wrong and", 0, 5.0), ("agent", "ok so", 4.2, 6.0),
                   ("customer", "fine", 6.5, 7.0), ("agent", "right", 6.9, 8.0)])
    hits = Interruption().detect(_ctx(u))
    assert _turns(hits, "interruption") == [1]          # 0.8 s overlap; 0.1 s is under the 0.3 s default
    assert _turns(Interruption(min_overlap_s=0.05).detect(_ctx(u)), "interruption") == [1, 3]


@pytest.mark.parametrize("ending", ["--", "...", "…", " —", "-- uh", "... erm um ", "--, hmm", "-- ah"])
def test_conversation_interruption_from_cut_off_marks(ending: str) -> None:
    u = make_call([("customer", "i was trying to say" + ending), ("agent", "yes yes"), ("customer", "ok."), ("agent", "good")])
    assert _turns(Interruption().detect(_ctx(u)), "interruption") == [1]


def test_conversation_interruption_not_from_a_hesitation_without_a_mark() -> None:
    u = make_call([("customer", "i was trying to say uh"), ("agent", "yes"), ("customer", "the uh -- uh thing"), ("agent", "ok")])
    assert Interruption().detect(_ctx(u)).empty


def test_conversation_interruption_only_agent_cutting_in_on_customer() -> None:
    u = make_call([("agent", "let me--"), ("customer", "no wait"), ("agent", "ok", 0, 1)])
    assert Interruption().detect(_ctx(u)).empty


def test_conversation_dead_air_threshold_and_hold_announcement() -> None:
    u = make_call([("agent", "let me look", 0, 2), ("customer", "ok", 2.5, 3), ("agent", "found it", 15, 16),
                   ("agent", "may i put you on hold", 17, 19), ("customer", "sure", 19.5, 20), ("agent", "thanks for holding", 60, 62)])
    ctx = _ctx(u, cues=[(3, "cue.hold", "agent", 0, 21)])
    assert _turns(DeadAir().detect(ctx), "dead_air") == [2]           # 12 s gap; the 40 s gap followed a hold
    assert _turns(DeadAir(threshold_s=15).detect(ctx), "dead_air") == []
    assert DeadAir().detect(_ctx(make_call([("agent", "a"), ("customer", "b")]))).empty  # no timestamps: nothing


def test_conversation_rule_parameters_are_validated_and_names_checked() -> None:
    with pytest.raises(ValueError, match="threshold_s"):
        DeadAir(threshold_s=0)
    with pytest.raises(UnknownNameError, match="csqa.dead_air.v1"):
        build_rules({"csqa.dead_air.v2": {}})
    assert [type(r).__name__ for r in build_rules({"csqa.dead_air.v1": {"threshold_s": 5}})][-2:] == ["DeadAir", "StaysCalm"]


# --- shouting -------------------------------------------------------------------------------

def test_conversation_shouting_customer_hostile_agent_rude_but_not_in_all_caps_calls() -> None:
    u = make_call([("customer", "THIS IS COMPLETELY UNACCEPTABLE"), ("agent", "I AM NOT GOING TO REPEAT"), ("customer", "the OTP never came"), ("customer", "why!!")])
    hits = Shouting().detect(_ctx(u))
    assert _turns(hits, "customer_hostile") == [0, 3] and _turns(hits, "rude_or_hostile") == [1]
    caps = make_call([("customer", "HELLO I NEED HELP WITH MY BILL"), ("agent", "SURE LET ME CHECK THAT FOR YOU")])
    assert Shouting().detect(_ctx(caps)).empty


# --- customer name --------------------------------------------------------------------------

def test_conversation_name_from_crm_used_by_agent_not_agents_own_name() -> None:
    u = make_call([("agent", "thank you for calling this is dan"), ("customer", "hi"), ("agent", "ok ms tan let me check"),
                   ("agent", "dan here again")], customer_name="Tan Mei Ling")
    hits = CustomerName().detect(_ctx(u, cues=[(0, "cue.self_intro", "agent", 20, 27)]))
    assert _turns(hits, "uses_customer_name") == [2]
    assert hits.loc[hits["behaviour"] == "uses_customer_name", "evidence"].tolist() == ["tan"]


def test_conversation_name_stated_by_customer_counts_only_after_it_is_said() -> None:
    u = make_call([("agent", "ramon is it"), ("customer", "yes my name is ramon"), ("agent", "thanks ramon")])
    hits = CustomerName().detect(_ctx(u, hits=[(1, "customer_name_stated", "customer", 4, 14)]))
    assert _turns(hits, "uses_customer_name") == [2]
    stated = hits[hits["behaviour"] == "customer_name_stated"]
    assert stated["evidence"].tolist() == ["my name is ramon"]


def test_conversation_name_stated_without_a_name_after_it_is_dropped() -> None:
    u = make_call([("customer", "this is about my bill"), ("agent", "ok")])
    hits = CustomerName().detect(_ctx(u, hits=[(0, "customer_name_stated", "customer", 0, 7)]))
    assert hits.empty


@pytest.mark.parametrize(
    ("text", "found"),
    [("i hope so", False), ("i hope you are well", False), ("thank you hope", True),
     ("hope, how can i help", True), ("sige po ma'am hope", True)],
)
def test_conversation_name_that_is_a_common_word_needs_addressing(text: str, found: bool) -> None:
    u = make_call([("customer", "hello"), ("agent", text)], customer_name="Hope Santos")
    cues = [(1, "cue.address", "agent", text.index("ma'am"), text.index("ma'am") + 5)] if "ma'am" in text else []
    hits = CustomerName().detect(_ctx(u, cues=cues))
    assert (_turns(hits, "uses_customer_name") == [1]) is found


def test_conversation_name_addressed_with_honorific_counts_when_customer_said_it() -> None:
    # "rosvic" is not in the name list, so only the name request makes it a name
    u = make_call([("agent", "may i have your name"), ("customer", "rosvic dela cruz po"),
                   ("agent", "thank you maam rosvic"), ("agent", "thank you maam lorna")])
    cues = [(0, "cue.name_request", "agent", 0, 20), (2, "cue.address", "agent", 10, 14), (3, "cue.address", "agent", 10, 14)]
    hits = CustomerName().detect(_ctx(u, cues=cues))
    assert _turns(hits, "uses_customer_name") == [2]     # "lorna" was never said by the customer
    assert CustomerName().detect(_ctx(u, cues=cues[1:])).empty   # words said without being asked for a name


@pytest.mark.parametrize(("answer", "stated"), [("taman sri indah jalan lima", False), ("blok d nombor tujuh", False),
                                                  ("purok tres san isidro", False), ("rosvic dela cruz po", True)])
def test_conversation_address_given_for_the_name_request_is_not_a_name(answer: str, stated: bool) -> None:
    u = make_call([("agent", "boleh saya dapatkan nama dan alamat"), ("customer", answer)])
    hits = CustomerName().detect(_ctx(u, cues=[(0, "cue.name_request", "agent", 0, 20)]))
    assert (_turns(hits, "customer_name_stated") == [1]) is stated


def test_conversation_soft_sell_only_after_customer_interest() -> None:
    from csqa.detection.conversation import SoftSell

    u = make_call([("agent", "our roaming pass is rm38 a week"), ("customer", "do you have a cheaper plan"),
                   ("agent", "yes the lite plan is rm25 a month"), ("agent", "your bill is rm59.90"),
                   ("agent", "our family plan may suit you")])
    cues = [(1, "cue.interest", "customer", 0, 11), (0, "cue.offer", "agent", 4, 16), (2, "cue.offer", "agent", 9, 13)]
    hits = SoftSell().detect(_ctx(u, hits=[(0, "soft_sell", "agent"), (4, "soft_sell", "agent")], cues=cues))
    # turn 0 pitched before any interest: dropped; turn 2 names a plan and a price; turn 3 a price but no product;
    # turn 4 is a lexical soft sell after interest
    assert _turns(hits, "soft_sell") == [2, 4]
    assert hits.loc[hits["turn"] == 2, "evidence"].tolist() == ["rm25"]
    assert SoftSell().detect(_ctx(u, hits=[(0, "soft_sell", "agent")])).empty


@pytest.mark.parametrize(
    ("customer", "agent", "sold"),
    [
        ("i travel to singapore every week for work", "since you travel a lot our roaming pass is only thirty eight ringgit a month", True),
        ("lagi kaming nauubusan ng tubig", "kung ganun po may weekly auto delivery plan po kami na may libreng isang galon", True),
        ("bil saya naik bulan ni", "kalau macam tu encik boleh upgrade ke pelan unlimited kami rm99 sebulan", True),
        ("my bill is wrong again", "in that case you can upgrade to our unlimited plan for rm99 a month", True),
        ("my bill is wrong again", "you can upgrade to our unlimited plan for rm99 a month", False),   # not tied to a need
        ("ok thanks that's all", "by the way you can upgrade to our unlimited plan for rm99 a month", False),
        ("the aircond is not cold anymore", "since the aircond is weak, we have an aircond care add on for one twenty", True),
        ("ok my order number is five five two one", "since youre looking at a fridge theres a bulky item plan for nine ninety", True),
        ("the aircond is not cold anymore", "we have an aircond care add on for one twenty", False),
    ],
)
def test_conversation_soft_sell_tied_to_what_the_customer_said(customer: str, agent: str, sold: bool) -> None:
    hits = detect(make_call([("agent", "hello how can i help"), ("customer", customer), ("agent", agent)]), model=None).hits
    assert _turns(hits, "soft_sell") == ([2] if sold else [])


def test_conversation_name_from_bare_answer_to_name_request_with_surname() -> None:
    u = make_call([("agent", "may i have your full name please"), ("customer", "uh anna o'connor"),
                   ("agent", "thank you ms o'connor"), ("agent", "ok anna")])
    hits = CustomerName().detect(_ctx(u, cues=[(0, "cue.name_request", "agent", 0, 22)]))
    assert _turns(hits, "customer_name_stated") == [1]
    assert hits.loc[hits["behaviour"] == "customer_name_stated", "evidence"].tolist() == ["anna o'connor"]
    assert _turns(hits, "uses_customer_name") == [2, 3]


def test_conversation_self_intro_followed_by_a_title_is_not_the_agents_name() -> None:
    u = make_call([("customer", "my name is faith ocampo"), ("agent", "this is maam faith right")])
    hits = CustomerName().detect(_ctx(u, hits=[(0, "customer_name_stated", "customer", 0, 10)],
                                      cues=[(1, "cue.self_intro", "agent", 0, 7), (1, "cue.address", "agent", 8, 12)]))
    assert _turns(hits, "uses_customer_name") == [1]


def test_conversation_shouting_four_capital_words_in_a_longer_turn() -> None:
    u = make_call([("customer", "I WANT MY SIGNAL BACK thats what i want ok"), ("agent", "the SMS OTP came"), ("agent", "hello")])
    assert _turns(Shouting().detect(_ctx(u)), "customer_hostile") == [0]


def test_conversation_spelled_out_code_in_capitals_is_not_shouting() -> None:
    u = make_call([("agent", "A B DUA DUA SEMBILAN"), ("agent", "ref K J FOUR FOUR NINE ZERO ok"),
                   ("agent", "SAYA DAH CAKAP TADI DUA KALI")])
    hits = detect(u).hits
    assert sorted(hits.loc[hits["source"] == "csqa.shouting.v1", "turn"]) == [2]


def test_conversation_hostile_turn_is_also_a_problem_report_unless_configured() -> None:
    from csqa.detection.conversation import CustomerSignals

    u = make_call([("customer", "my bill is wrong"), ("customer", "your bill is a scam you thieves"), ("agent", "ok")])
    hits = [(0, "customer_reported_problem", "customer"), (1, "customer_reported_problem", "customer"), (1, "customer_hostile", "customer")]
    assert _turns(CustomerSignals().detect(_ctx(u, hits=hits)), "customer_reported_problem") == [0, 1]
    anger_only = CustomerSignals(hostile_overrides_problem=True)
    assert _turns(anger_only.detect(_ctx(u, hits=hits)), "customer_reported_problem") == [0]
    first_report_is_angry = [(1, "customer_reported_problem", "customer"), (1, "customer_hostile", "customer")]
    assert _turns(anger_only.detect(_ctx(u, hits=first_report_is_angry)), "customer_reported_problem") == [1]
