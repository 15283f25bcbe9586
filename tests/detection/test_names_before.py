"""A name said before the phrase that marks it ("kevin here", "maria santos po ito"): the
cue.name_before rules of each language and the customer-name rule, on whole calls."""

from __future__ import annotations

import pytest

from csqa.detection import detect
from tests.conftest import make_call


def _found(turn: str, reply: str = "ok let me check") -> tuple[list[str], list[int]]:
    hits = detect(make_call([("agent", "good morning how can i help"), ("customer", turn), ("agent", reply)])).hits
    stated = hits[hits["behaviour"] == "customer_name_stated"]["evidence"].tolist()
    used = hits[hits["behaviour"] == "uses_customer_name"]["turn"].tolist()
    return stated, used


@pytest.mark.parametrize(
    ("turn", "evidence", "reply"),
    [
        ("yeah hi kevin here my broadband bill went up by twenty", "kevin here", "ok kevin let me check that bill"),
        ("jason tan speaking. my card got swallowed by the atm", "jason tan speaking", "alright jason one moment"),
        ("assalamualaikum aina sini nak tanya pasal bil bulan ni", "aina sini", "baik cik aina saya semak"),
        ("selamat pagi, nurul aina binti hassan nama saya, nak claim insurans", "nurul aina binti hassan nama saya",
         "terima kasih puan nurul"),
        ("magandang umaga po maricel dela cruz po ito tungkol sa bill ko", "maricel dela cruz po ito",
         "sige po maam maricel i-check ko po"),
        ("hello po gusto ko lang po magpakabit ng fiber. ernesto lagman po ang pangalan ko",
         "ernesto lagman po ang pangalan ko", "salamat po sir ernesto"),
    ],
)
def test_name_said_before_its_phrase_is_stated_and_then_used(turn: str, evidence: str, reply: str) -> None:
    stated, used = _found(turn, reply)
    assert stated == [evidence]
    assert used == [2]


@pytest.mark.parametrize(
    "turn",
    [
        "ok here is my account number",               # no name before "here"
        "the technician here said it was fine",       # "the technician" does not open the turn
        "saya nak cakap dengan manager sekarang",     # a function word before "cakap"
        "bil saya naik lagi, tolong cakap betul betul",  # "tolong" is a common word
        "opo ito po yung account ko",                 # only an opener before "ito po"
        "yung router po ito na bago",                 # "yung router" is not a name at the start
    ],
)
def test_phrase_without_a_name_before_it_states_no_name(turn: str) -> None:
    stated, used = _found(turn)
    assert stated == [] and used == []


def test_agent_saying_its_own_name_before_here_is_not_the_customer_stating_one() -> None:
    hits = detect(make_call([("agent", "hi dan here from acme billing"), ("customer", "hi my bill is wrong"),
                             ("agent", "ok dan will check")])).hits
    assert hits[hits["behaviour"].isin(["customer_name_stated", "uses_customer_name"])].empty
