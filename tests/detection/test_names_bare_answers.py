"""The answer to "what is the name on the account" is the caller's name only when it starts with
a name: not "nakapangalan sa lola ko ..." (under grandmother's name), not an address or a place
("hotel sari indah", "hospital pakar damai"); and "kahit kanino nakapangalan" (whoever it is
registered to) asks for no name."""

from __future__ import annotations

import pytest

from csqa.detection import detect
from tests.conftest import make_call


def _stated(agent: str, customer: str) -> list[str]:
    hits = detect(make_call([("agent", agent), ("customer", customer), ("agent", "ok salamat po")])).hits
    return hits[hits["behaviour"] == "customer_name_stated"]["evidence"].tolist()


@pytest.mark.parametrize(
    ("agent", "customer"),
    [
        ("ano pong account number o pangalan sa account", "nakapangalan po sa lola ko felicidad manalo yung account"),  # tl
        ("boleh bagi nama dan alamat hotel", "hotel sari indah bilik dua kosong empat"),                                 # ms
        ("may i have the name and the hospital", "hospital pakar damai card number m two three"),                       # en
        ("libre po kahit kanino nakapangalan ang sasakyan", "ay libre pala sige kailan pwede"),                         # mixed: no request
    ],
)
def test_an_answer_that_starts_with_no_name_states_none(agent: str, customer: str) -> None:
    assert _stated(agent, customer) == []


def test_a_bare_name_answer_still_counts() -> None:
    assert _stated("ano pong pangalan sa account", "felicidad manalo po") == ["felicidad manalo"]


@pytest.mark.parametrize(
    ("customer", "stated"),
    [
        ("r t k four four nine nama zulkifli hassan", ["zulkifli hassan"]),        # a reference read out, then the name
        ("bil nombor satu dua tiga nama dalam ic salah", []),                      # a wrong name reported, none stated
        ("account one two three my husband ahmad", []),                            # a relative's name
    ],
)
def test_a_name_after_a_reference_read_out_is_stated_and_a_wrong_name_reported_is_not(customer: str, stated: list[str]) -> None:
    assert _stated("boleh bagi nombor rujukan", customer) == stated


@pytest.mark.parametrize(
    "customer",
    [
        "nama dia nur syafiqah binti rahim nombor matrik dua kosong satu",   # ms "her name"
        "nama ayah saya haji yunus telefon kosong enam empat",               # ms "my father's name"
        "her name is lakshmi devi and the ic is eight one",                   # en
        "pangalan niya ay teresita manalo po",                                 # tl
    ],
)
def test_an_answer_that_says_the_name_is_someone_elses_states_none(customer: str) -> None:
    assert _stated("boleh bagi nama dan nombor", customer) == []


def test_my_full_name_in_mid_sentence_states_the_name_that_follows() -> None:
    assert _stated("whose name should it be under", "ok and the name should be my full name maria consuelo bautista") \
        == ["should be my full name maria consuelo bautista"]
    assert _stated("whose name should it be under", "please put my full name on the card") == []


def test_a_request_to_verify_the_full_name_makes_the_bare_answer_the_name() -> None:
    assert _stated("ma'am pwede ko lang po ma-verify yung buong pangalan at birthdate",
                   "Lilibeth Santos po october two nineteen ninety") == ["Lilibeth Santos"]


@pytest.mark.parametrize(
    ("customer", "stated"),
    [
        ("booking reference x k seven m two p nama dia tan mei ling that's me", []),    # a detail first, no name phrase
        ("account is under my husband ahmad faizal number twelve jalan kenari", []),
        ("policy under my mother puan fatimah binti yusof policy number t a eight", []),
    ],
)
def test_a_bare_answer_opening_with_a_detail_states_no_name(customer: str, stated: list[str]) -> None:
    assert _stated("may i have your name please", customer) == stated
