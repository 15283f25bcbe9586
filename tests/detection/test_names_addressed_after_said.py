"""A name the caller said in passing (no "my name is", no name asked for) counts when the agent
then addresses the caller by it ("salamat po sir nathaniel"); a staff title ("doktor lee") or a
word such as "for", "si" or "untuk" before the honorific makes it someone talked about."""

from __future__ import annotations

import pytest

from csqa.detection import detect
from tests.conftest import make_call


def _used(customer: str, agent: str, opening: str = "good morning how can i help") -> list[str]:
    hits = detect(make_call([("agent", opening), ("customer", customer),
                             ("agent", agent)])).hits
    return hits[(hits["behaviour"] == "uses_customer_name") & (hits["turn"] == 2)]["evidence"].tolist()


@pytest.mark.parametrize(
    ("opening", "customer", "agent", "evidence"),
    [
        # the caller is the passenger / patient asked for: the answer alone does not say so
        ("ano po ang booking reference at pangalan ng pasahero", "r t five k two m tapos pangalan ko estrella navarro",
         "salamat po ma'am estrella nakikita ko na po", "estrella"),                                          # tl
        ("boleh bagi nama pesakit dan ic", "ic lapan satu kosong tujuh rajesh kumar",
         "baik encik rajesh saya faham", "rajesh"),                                                         # ms
        ("may i have the booking reference", "the booking is under tan kok wai, flight on friday",
         "thank you mr tan i can see it", "tan"),                                                            # en
        ("ano pong pangalan ng pasyente at birthday", "yes jessa villanueva po march twelve nineteen ninety",
         "ok po ma'am jessa checking ko lang", "jessa"),                                                     # mixed
    ],
)
def test_a_name_said_in_passing_counts_when_the_agent_addresses_the_caller_by_it(
        opening: str, customer: str, agent: str, evidence: str) -> None:
    assert _used(customer, agent, opening) == [evidence]


@pytest.mark.parametrize(
    ("customer", "agent"),
    [
        ("i want to see doctor lee on monday", "ok doktor lee ada slot isnin"),                               # staff title
        ("this is for my father roberto garcia", "ok i've added assistance for mr roberto garcia"),           # en "for"
        ("yung account po ng tatay ko si roberto", "para po sa account ni sir roberto kailangan po siya"),    # tl "ni"
        ("saya call pasal permohonan ayah saya khadijah", "ok permohonan puan khadijah dalam semakan"),        # ms
        ("nag-reklamo ako kay ramon", "sige po ire-report ko po kay sir ramon"),                               # tl "kay"
    ],
)
def test_someone_talked_about_is_not_the_caller_addressed(customer: str, agent: str) -> None:
    assert _used(customer, agent) == []


def test_an_answer_to_a_request_for_someone_elses_name_is_the_callers_once_the_agent_uses_it() -> None:
    turns = [("agent", "ano po ang booking reference at pangalan ng pasahero"),
             ("customer", "r t five k two m tapos pangalan ko estrella navarro"),
             ("agent", "salamat po ma'am estrella nakikita ko na po")]
    hits = detect(make_call(turns)).hits
    stated = hits[hits["behaviour"] == "customer_name_stated"]
    assert list(zip(stated["turn"], stated["evidence"])) == [(1, "estrella navarro")]
    turns[2] = ("agent", "salamat po nakita ko na po ang booking ni ma'am estrella")  # someone talked about
    hits = detect(make_call(turns)).hits
    assert hits[hits["behaviour"] == "customer_name_stated"].empty


@pytest.mark.parametrize(
    ("customer", "agent", "expected"),
    [
        ("nama saya zulkifli hassan", "sama sama encik zul selamat jalan", ["zul"]),            # ms short form
        ("this is nathaniel reyes", "thanks sir nat i'll check that now", ["nat"]),             # en
        ("ako po si angelica", "sige po ma'am ang account po ninyo ay active", []),             # tl: "ang" is a word
        ("nama saya zulkifli hassan", "ok saya dah book untuk encik zul", []),                  # someone talked about
    ],
)
def test_the_first_letters_of_the_callers_name_used_as_a_short_form(customer: str, agent: str, expected: list[str]) -> None:
    assert _used(customer, agent) == expected


def test_an_unlisted_name_given_for_someone_elses_name_counts_when_the_agent_addresses_the_caller_by_it() -> None:
    turns = [("agent", "boleh bagi nombor tracking dan nama penerima"), ("customer", "e k tiga tiga satu thivya t h i v y a"),
             ("agent", "terima kasih cik thivya rider boleh hantar esok")]
    hits = detect(make_call(turns)).hits
    used = hits[hits["behaviour"] == "uses_customer_name"]
    assert list(zip(used["turn"], used["evidence"])) == [(2, "thivya")]
    turns[2] = ("agent", "ok parcel untuk cik thivya akan sampai esok")  # the receiver, talked about
    hits = detect(make_call(turns)).hits
    assert hits[hits["behaviour"] == "uses_customer_name"].empty
