"""Names a caller gives in passing: as someone's relative ("i'm her son razak"), as the name to be
called by ("just call me jun"), with a particle inside ("rosario dela cruz"), after "also"
("saya pun farah") or a patronymic mid-sentence, and Malay names that are also nouns after
"saya"; with the hard negatives each rule must leave alone."""

from __future__ import annotations

import pytest

from csqa.detection import detect
from tests.conftest import make_call


def _hits(turns: list[tuple[str, str]], behaviour: str) -> list[tuple[int, str]]:
    hits = detect(make_call(turns)).hits
    found = hits[hits["behaviour"] == behaviour]
    return list(zip(found["turn"].tolist(), found["evidence"].tolist()))


def _stated(turn: str) -> list[str]:
    return [e for _, e in _hits([("agent", "good morning how can i help"), ("customer", turn),
                                 ("agent", "ok let me check")], "customer_name_stated")]


@pytest.mark.parametrize(
    ("turn", "evidence"),
    [
        ("i'm her son razak razak ismail", "razak razak ismail"),                     # en
        ("oh sorry saya anak dia aina binti hashim", "aina"),                          # ms
        ("ya saya ibu dia hasnah", "hasnah"),
        ("ah ako po yung asawa niya teresita mercado beneficiary po ako", "teresita mercado"),  # tl
        ("ako yung nanay elena cabrera", "elena cabrera"),                              # "the mother": no "her"
        ("ako mismo yung pasyente rodel pascual nakalabas ako", "rodel pascual"),      # "myself" outweighs "patient"
        ("ako po si nanay fely, felicidad aquino po", "ako po si nanay fely"),          # a kinship word as a title
        ("i'm her daughter my name is grace tan", "my name is grace tan"),              # "my name" after a kinship word
    ],
)
def test_a_caller_introduced_as_someones_relative_states_its_own_name(turn: str, evidence: str) -> None:
    assert _stated(turn) == [evidence]


@pytest.mark.parametrize(
    "turn",
    [
        "anak saya aina demam",                                  # my child: the child's name
        "saya nak tanya pasal anak dia aina",                    # no introducer before the relation
        "dia four years old, ya dah pernah datang nama dia adam rayyan",  # his name
        "saya pun faham masalah tu",                             # "also" before a word that is no name
        "anak saya ni faizal bin hamdan dia demam",              # a patronymic, but the child's name
        "her name is lakshmi devi",                              # en, someone else's "name is"
        "pagi saya call bagi pihak ayah saya haji osman dia nak tukar penama",  # "saya" is the father's "my"
        "unit fifteen a po nakapangalan po kay lola si carmen velasco",         # the account is the grandmother's
        "nakapangalan po kay nanay ko, rosa",
    ],
)
def test_someone_elses_name_or_no_name_is_not_stated(turn: str) -> None:
    assert _stated(turn) == []


@pytest.mark.parametrize(
    ("turn", "evidence"),
    [
        ("eh farah nama kita sama lah saya pun farah farah adilah saya dapat kasut", "farah farah adilah"),  # "pun"
        ("ha yusri dengar sini ni faizal bin hamdan dah lima hari internet mati", "faizal"),  # mid-sentence, "bin"
        ("hai pagi saya bunga nak tanya pasal order saya", "bunga"),                           # a noun as a name
        ("morning ni dato sri kamal ah my car supposed to be ready", "kamal"),                 # "dato sri" titles
    ],
)
def test_a_name_said_in_mid_sentence_or_that_is_also_a_word_is_stated(turn: str, evidence: str) -> None:
    assert _stated(turn) == [evidence]


@pytest.mark.parametrize(
    ("customer", "agent", "name"),
    [
        ("good evening my name is ferdinand reyes but please just call me jun", "sure sir jun what can i do", "jun"),
        ("malam saya subramaniam panggil mani je lah senang", "ok encik mani encik top up guna apa", "mani"),
        ("pagi ni rohaya eh panggil kak yah je semua orang panggil macam tu", "ok kak yah ada apa boleh bantu", "yah"),
        ("ako si rodel tawagin nyo na lang akong bong", "sige po sir bong ano pong atin", "bong"),
        ("hi my name is rosario dela cruz i have a booking", "ok puan dela cruz boleh saya dapatkan nombor", "cruz"),
    ],
)
def test_the_agent_using_a_nickname_or_family_name_uses_the_customers_name(customer: str, agent: str, name: str) -> None:
    turns = [("agent", "hello how may i help"), ("customer", customer), ("agent", agent)]
    assert _hits(turns, "uses_customer_name") == [(2, name)]


@pytest.mark.parametrize(
    ("customer", "agent"),
    [
        ("can they call me instead", "ok sir instead of email"),                       # "call me" with no name
        ("nobody can call me, bisnes i rugi tau", "sorry encik bisnes"),                # punctuation: no name after
        ("nanti panggil manager saya", "ok encik manager saya panggil"),                # "panggil" with no "je"
        ("saya nak beli bunga untuk mak", "ok puan bunga tu"),                          # a noun not after "saya"
        ("nama saya rahmat bin samad permohonan bantuan belum ada jawapan", "permohonan ni masih disiasat"),
    ],
)
def test_words_that_only_look_like_a_nickname_are_not_the_customers_name(customer: str, agent: str) -> None:
    turns = [("agent", "hello how may i help"), ("customer", customer), ("agent", agent)]
    assert _hits(turns, "uses_customer_name") == []


def test_the_agents_own_name_and_an_answer_word_are_not_the_callers_name() -> None:
    greeted = _hits([("agent", "good morning this is liza"), ("customer", "hello liza ito na naman ako yung unit eight c"),
                     ("agent", "ok ma'am")], "customer_name_stated")
    answered = _hits([("agent", "may i have your name please"), ("customer", "ok see you"), ("agent", "ok")],
                     "customer_name_stated")
    assert greeted == [] and answered == []


@pytest.mark.parametrize(
    ("agent", "customer", "name"),
    [
        ("ok puan aziz saya semak kejap ya", "azizah bukan aziz ramai orang salah panggil", "azizah"),   # ms
        ("ok ma'am kristina ano po yun", "kristine po hindi kristina mga twenty thousand na", "kristine"),  # tl
        ("noted ms lee and the new address", "it's li actually l i not lee", "li"),                          # en
        ("ok encik zainal boleh saya bantu", "nurhaliza ha bukan zainal", "nurhaliza"),
    ],
)
def test_a_customer_correcting_the_name_the_agent_used_states_the_right_one(agent: str, customer: str, name: str) -> None:
    turns = [("agent", "hello how may i help"), ("customer", "hi i have a question"), ("agent", agent),
             ("customer", customer), ("agent", f"sorry about that {name}")]
    assert _hits(turns, "customer_name_stated") == [(3, name)]


@pytest.mark.parametrize(
    ("agent", "customer"),
    [
        ("ala sir, small thing only, the second one coming", "not small thing lah, i paid already"),  # "small" is no name
        ("ok sir tan can i have the account number", "not tan, it's the account under my wife"),       # no name given instead
        ("ok ma'am rosa ano po yun", "hindi po, hindi ko alam yung number"),                             # no wrong name said
    ],
)
def test_a_negation_near_the_agents_words_is_not_a_name_correction(agent: str, customer: str) -> None:
    turns = [("agent", "hello how may i help"), ("customer", "hi i have a question"), ("agent", agent), ("customer", customer)]
    assert _hits(turns, "customer_name_stated") == []


def test_a_nickname_after_panggil_je_is_stated_and_a_bare_particle_is_not() -> None:
    assert _stated("boleh panggil je kak ros saya nak tanya pasal loan") == ["boleh panggil je kak ros"]
    assert _stated("ok nanti encik panggil je la nanti") == []
