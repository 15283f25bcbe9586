"""A name stated without a name phrase: a known given or family name right after an introducing
word ("saya faizal"), before a closing word ("farah ni"), a turn that is only a name, and the
CRM name said by the customer; with the hard negatives each rule must leave alone."""

from __future__ import annotations

import pytest

from csqa.detection import detect
from csqa.detection.names import usable_names
from csqa.errors import LexiconError
from csqa.lexicon import load_lexicon
from tests.conftest import make_call


def _stated(turn: str, **meta: object) -> list[str]:
    call = make_call([("agent", "good morning how can i help"), ("customer", turn), ("agent", "ok let me check")], **meta)
    hits = detect(call).hits
    return hits[hits["behaviour"] == "customer_name_stated"]["evidence"].tolist()


@pytest.mark.parametrize(
    ("turn", "evidence"),
    [
        ("pagi cik saya faizal nak tanya pasal polisi kereta saya", "faizal"),             # ms, after "saya"
        ("hai saya aina ni barang sampai tadi tapi kotak penyek", "aina"),
        ("ni mak cik kiah, nak tanya sijil lahir cucu hilang", "kiah"),                   # ms, after "ni" + kin title
        ("pagi encik, farah ni, saya nak tanya polisi dah aktif ke", "farah"),              # ms, before "ni"
        ("oy boyet santos to yung plaka ko dalawang taon na wala pa rin", "boyet santos"),   # tl, before "to"
        ("hello alvin si nestor ramos to gusto ko lang i-check", "nestor ramos to"),        # tl, "si ... to" phrase after a greeted name
        ("teresita manalo po", "teresita manalo"),                                          # tl, the whole turn
        ("opo ernesto tan po", "ernesto tan"),
        ("hello, saya mei ling, nak tanya premium naik ke", "mei ling"),                    # mixed
        ("uh kevin tan", "kevin tan"),                                                      # en, the whole turn
        ("waalaikumsalam saya hafizah binti osman nak tanya pasal bagasi", "hafizah"),      # ms, a name beside "binti"
        ("selamat pagi cik saya nama rohani binti said nak keluarkan duit", "rohani"),      # ms, "saya nama"
        ("hi jun this is priya speaking i ordered a blender", "this is priya speaking"),    # en, after a greeted agent
    ],
)
def test_known_name_after_an_introducer_or_alone_is_stated(turn: str, evidence: str) -> None:
    assert _stated(turn) == [evidence]


@pytest.mark.parametrize(
    ("opening", "turn", "evidence"),
    [
        ("meridian bank good evening this is sharon", "hi sharon im khairul i got an sms about my account", "khairul"),
        ("pelindung insurance this is sofia who am i speaking to", "hi sofia ni joseph i want to ask about my policy", "joseph"),
        ("jomride selamat petang saya hana", "hai hana saya faizal nak tanya pasal trip semalam", "faizal"),
        ("pacific air good morning my name is leo", "hi leo i want to check my booking", None),
        ("globe customer care good evening this is carlo", "hi kuya carlo this is faith dela cruz about my bill",
         "this is faith dela cruz"),                                                        # after a title and the agent's name
        ("desa mutiara selamat pagi saya kak yah", "pagi kak yah ni saya linda siling bocor", "linda"),
        ("digi selamat pagi saya aqilah", "morning eh nama saya wong li ting nak tanya bil", "nama saya wong li ting"),
    ],
)
def test_name_after_greeting_the_agent_by_its_own_name_is_stated(opening: str, turn: str, evidence: str | None) -> None:
    """The agent's own name greeted back ("hi sharon") does not end the opening of the clause,
    though it is not a name the caller could state."""
    call = make_call([("agent", opening), ("customer", turn), ("agent", "ok let me check")])
    hits = detect(call).hits
    assert hits[hits["behaviour"] == "customer_name_stated"]["evidence"].tolist() == ([evidence] if evidence else [])


@pytest.mark.parametrize(
    "turn",
    [
        "hi carla my bill is wrong again",                        # greets the agent: no introducer
        "anak saya aina demam jadi saya tak dapat datang",         # someone else's name
        "thanks aina that helps",
        "hi im flying to tokyo next month can i upgrade",          # an -ing word after "i'm"
        "im moving house next week",
        "this is criminal you keep charging me",                   # an insult after "this is"
        "hi im calling about my wifes account, si lourdes reyes",  # "si" alone: someone else
        "saya faham tapi bil ni tetap salah",                      # "faham" is not a name
        "opo tama po yan",
        "you think this is funny",                                 # "this is" in mid-sentence
        "i already paid on the tenth this is second month",
        "eh bank cakap tak terima apa apa pun",                    # someone else speaking
        "kau cakap aku tipu ke ni",
        "encik encik pandai cakap maaf",
        "saya nak tanya pasal anak saya aina binti osman",         # someone else's name
        "hi anak saya aina demam",                                 # a kinship word after "hi" is not a greeted agent
        "hello again saya faham tapi bil ni salah",                # a function word after "hi" is not a greeted agent
        "nama mak saya bunga binti ismail ic dia lima dua",        # the mother's name
    ],
)
def test_words_that_are_not_the_callers_name_are_not_stated(turn: str) -> None:
    assert _stated(turn) == []


@pytest.mark.parametrize(
    ("turn", "evidence"),
    [
        ("b l seven seven two one ricardo dizon", "ricardo dizon"),                         # en, after a reference
        ("ok lah tan mei ling, four four zero two", "tan mei ling"),
        ("sa resibo po nakalagay pangalan ko marites bautista", "marites bautista"),        # tl
        ("mga alas siyete lang po sa branch alvin cruz nga pala", "alvin cruz"),
        ("nombor akaun dua tiga lapan, ahmad faizal", "ahmad faizal"),                      # ms
    ],
)
def test_a_full_name_anywhere_in_a_customer_turn_is_stated(turn: str, evidence: str) -> None:
    assert _stated(turn) == [evidence]


@pytest.mark.parametrize(
    "turn",
    [
        "nakapangalan po sa asawa ko, jose manalo, tapos yung serial",     # tl, the spouse's name
        "the account is under my husband, ahmad faizal",                   # en, the husband's
        "ang anak ko po maria santos ang gumagamit ng card",
        "passport says nurul ain but the ticket says nurul aina",
        "akaun tu atas nama anak saya, siti aminah",                       # ms, the child's
    ],
)
def test_a_full_name_that_is_someone_elses_is_not_stated(turn: str) -> None:
    assert _stated(turn) == []


def test_crm_name_said_by_the_customer_is_stated_unless_it_is_a_relatives() -> None:
    assert _stated("morning the account is under aisha rahman i want to ask", customer_name="Aisha Rahman") == ["aisha rahman"]
    assert _stated("akaun ni atas nama suami saya, rahman", customer_name="Aisha Rahman") == []


def test_name_list_leaves_out_function_and_number_words() -> None:
    names = usable_names(load_lexicon().names)
    assert {"faizal", "teresita", "santos", "tan"} <= names
    assert not {"ang", "ng", "amin", "isa", "dan", "po"} & names


def test_analysts_own_name_list_adds_names_and_a_bad_one_names_file_and_line(tmp_path) -> None:
    turn = "saya xandria nak tanya pasal bil"
    assert _stated(turn) == []                                  # not in the shipped list
    mine = tmp_path / "names.txt"
    mine.write_text("# our region\nxandria  zulhelmi\n")
    call = make_call([("agent", "selamat pagi"), ("customer", turn), ("agent", "baik cik xandria saya semak")])
    hits = detect(call, lexicon=load_lexicon([mine]), model=None).hits
    assert hits.loc[hits["behaviour"] == "customer_name_stated", "evidence"].tolist() == ["xandria"]
    assert hits.loc[hits["behaviour"] == "uses_customer_name", "turn"].tolist() == [2]
    bad = tmp_path / "bad" / "names.txt"
    bad.parent.mkdir()
    bad.write_text("aina\nfarah 2nd\n")
    with pytest.raises(LexiconError, match=r"names\.txt:2: '2nd' is not a name"):
        load_lexicon([bad])
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "acme_names.txt").write_text("xandria\n")
    (folder / "README.txt").write_text("Our phrases, see below.\n")   # in a folder: not a name list
    assert "xandria" in load_lexicon([folder]).names
    notes = tmp_path / "notes.txt"
    notes.write_text("not names\n")
    with pytest.raises(LexiconError, match="not a lexicon file"):
        load_lexicon([notes])


@pytest.mark.parametrize(
    ("request_", "answer"),
    [
        ("may i have the patient's name please", "ahmad danish bin roslan"),
        ("boleh saya tahu nama pesakit dan nombor ic", "aisyah humaira binti ali lapan lapan"),
        ("ano po ang pangalan ng pasyente", "corazon villanueva po"),
    ],
)
def test_answer_to_a_request_for_someone_elses_name_is_not_the_callers(request_: str, answer: str) -> None:
    call = make_call([("agent", request_), ("customer", answer), ("agent", "ok thank you")])
    hits = detect(call).hits
    assert hits[hits["behaviour"] == "customer_name_stated"].empty
