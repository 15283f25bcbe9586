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
        ("hi hannah its james ong here i can smell gas near the meter", "james ong here",   # after the agent's name
         "okay mr ong we will look at it straight away"),
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
        "okay saya tunggu sini",                      # "saya" is not a greeted name
    ],
)
def test_phrase_without_a_name_before_it_states_no_name(turn: str) -> None:
    stated, used = _found(turn)
    assert stated == [] and used == []


def test_agent_saying_its_own_name_before_here_is_not_the_customer_stating_one() -> None:
    hits = detect(make_call([("agent", "hi dan here from acme billing"), ("customer", "hi my bill is wrong"),
                             ("agent", "ok dan will check")])).hits
    assert hits[hits["behaviour"].isin(["customer_name_stated", "uses_customer_name"])].empty


@pytest.mark.parametrize(
    ("turn", "evidence", "reply"),
    [
        # the phrase holds the name; the words after it are not the name
        ("hello si jun dela paz po ito tumatawag tungkol sa claim ko", "jun dela paz po ito",
         "salamat po sir jun ano po ang claim number"),
        ("hello po si bernadette cruz po ito may itatanong lang po ako", "bernadette cruz po ito",
         "sige po ma'am bernadette ano pong tanong"),
        ("hello po si ben ocampo to, brownout po dito sa amin", "ben ocampo to", "pasensya na po sir ben"),
        ("hello gian si lorna cabrera ito kailangan ko ilipat yung flight", "lorna cabrera ito",
         "naku sana po gumaling ma'am lorna"),
        # "aling" and "mang" are titles, not part of the name
        ("hello si aling nena po ito tatanong ko lang yung install", "nena po ito",
         "sige po aling nena ano po yung application number"),
    ],
)
def test_name_inside_a_tagalog_self_reference_is_the_one_used(turn: str, evidence: str, reply: str) -> None:
    stated, used = _found(turn, reply)
    assert stated == [evidence]
    assert used == [2]


def test_word_after_a_self_reference_is_not_taken_for_the_name() -> None:
    """"itatanong" (will ask) once became the caller's name, and an agent turn saying it a use."""
    hits = detect(make_call([("agent", "tala life magandang umaga po"),
                             ("customer", "good morning po si bernadette cruz po ito may itatanong lang po ako"),
                             ("agent", "sige po ano pong tanong"),
                             ("customer", "yung beneficiary po"),
                             ("agent", "itatanong ko po sa underwriting at tatawagan ko po kayo bukas")])).hits
    assert hits[hits["behaviour"] == "uses_customer_name"].empty


def test_common_word_after_a_title_is_not_a_stated_name() -> None:
    stated, used = _found("apa ni encik kerja sini pun tak tahu waranti", "encik jangan nak ajar saya buat kerja")
    assert stated == [] and used == []


@pytest.mark.parametrize(
    ("asked", "answer", "reply"),
    [
        ("sir ano pong flight number at pangalan sa booking", "five j five sixty bernardo aquino",
         "sir bernardo fully booked na po yung flight"),
        ("sige po ma'am yung application number po o yung pangalan ng applicant", "carmela ong po",
         "okay ma'am carmela confirmed po bukas"),
        ("pwede ko po bang makuha ang pangalan at booking reference ninyo", "ramon dizon, q p two two eight l",
         "salamat po sir ramon"),
    ],
)
def test_name_given_when_asked_for_the_name_on_the_booking_is_used(asked: str, answer: str, reply: str) -> None:
    hits = detect(make_call([("agent", "good morning po"), ("customer", "hello po may tanong ako sa booking"),
                             ("agent", asked), ("customer", answer), ("agent", reply)])).hits
    assert hits[hits["behaviour"] == "uses_customer_name"]["turn"].tolist() == [4]


def test_name_the_booking_is_under_when_the_caller_says_it_is_theirs_is_used() -> None:
    stated, used = _found("magpapa-rebook sana ako yung booking ay sa pangalan po ni angelica ramos ako po yun",
                          "sige po ma'am angelica ano pong booking reference")
    assert stated == ["sa pangalan po ni angelica ramos"] and used == [2]


@pytest.mark.parametrize(
    "turn",
    [
        "yeah listen here your courier threw my parcel over the gate",
        "hi look here i was charged twice for the same order",
        "pagi ok dengar sini bulan lepas orang meter tak datang pun",
        "hello mari sini saya nak tanya pasal bil air",
    ],
)
def test_a_verb_or_place_word_before_here_or_sini_is_not_a_name(turn: str) -> None:
    stated, _ = _found(turn)
    assert stated == []
