"""detect(): the lexical pass on whole calls (positions, language tags, input left unchanged)."""

from __future__ import annotations

from pathlib import Path

import pytest

from csqa.detection import detect
from csqa.lexicon import load_lexicon
from tests.conftest import make_call


def test_detect_opening_and_closing_rules_only_at_the_edges(tmp_path: Path) -> None:
    (tmp_path / "edges.jsonl").write_text(
        '{"id": "x.greeting.howdy", "label": "greeting", "pattern": "howdy partner", "where": "opening"}\n'
        '{"id": "x.closing.cheerio", "label": "closing", "pattern": "cheerio partner", "where": "closing"}\n',
        encoding="utf-8")
    lexicon = load_lexicon([tmp_path / "edges.jsonl"])
    u = make_call([("agent", "howdy partner"), ("customer", "hm"), ("agent", "cheerio partner"), ("agent", "howdy partner"),
                   ("agent", "x"), ("agent", "y"), ("agent", "cheerio partner")])
    hits = detect(u, lexicon=lexicon).hits
    found = hits[hits["source"].str.startswith("x.")]
    # agent turns are 0, 2, 3, 4, 5, 6: the opening is 0 and 2, the closing 5 and 6
    assert sorted(zip(found["behaviour"], found["turn"])) == [("closing", 6), ("greeting", 0)]


def test_detect_closing_is_never_the_agents_first_turn(tmp_path: Path) -> None:
    (tmp_path / "edges.jsonl").write_text(
        '{"id": "x.closing.cheerio", "label": "closing", "pattern": "cheerio partner", "where": "closing"}\n', encoding="utf-8")
    u = make_call([("agent", "cheerio partner"), ("customer", "my card is blocked"), ("agent", "cheerio partner")])
    hits = detect(u, lexicon=load_lexicon([tmp_path / "edges.jsonl"])).hits
    assert hits.loc[hits["source"].eq("x.closing.cheerio"), "turn"].tolist() == [2]


@pytest.mark.parametrize(
    ("opening", "parting"),
    [
        ("selamat malam terima kasih kerana menghubungi air jernih saya aina", "baik encik hati hati ya selamat malam"),
        ("magandang hapon po salamat sa pagtawag sa bayani bank ako si carlo", "walang anuman po ma'am magandang araw po sa inyo"),
    ],
)
def test_detect_time_of_day_wishes_close_at_the_end_and_greet_at_the_start(opening: str, parting: str) -> None:
    u = make_call([("agent", opening), ("customer", "hi my bill is wrong this month"), ("agent", "ok i have fixed it"),
                   ("customer", "ok thanks"), ("agent", parting)])
    hits = detect(u).hits
    assert sorted(hits.loc[hits["behaviour"].eq("closing"), "turn"]) == [4]
    assert 0 in set(hits.loc[hits["behaviour"].eq("greeting"), "turn"])


def test_detect_language_tags_and_input_unchanged() -> None:
    u = make_call([("agent", "saya tak tahu la encik nanti saya semak"), ("customer", "sige po salamat po"),
                   ("agent", "sorry po wait lang, let me check the account for you"), ("customer", "ok")])
    before = u.copy()
    found = detect(u)
    assert found.lang.tolist()[:3] == ["ms", "tl", "mixed"]
    assert found.lang.iloc[3] in ("ms", "tl", "mixed", "en")      # "ok" takes its call's tag
    assert u.equals(before)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("i dont know if you got our email yesterday, the hotel moved you", False),
        ("okay im not sure whether you saw the sms, your order shipped", False),
        ("saya tak pasti puan dah terima sms kami, pesanan dah dihantar", False),
        ("approved na po hindi ko lang po alam kung natanggap nyo yung sms namin", False),
        ("i dont know if that is covered", True),
        ("saya tak tahu sama ada polisi tu cover", True),
        ("hindi ko po alam kung kasama yung dental", True),
    ],
)
def test_detect_dont_know_if_you_received_is_telling_not_not_knowing(said: str, expected: bool) -> None:
    u = make_call([("customer", "what about my claim"), ("agent", said), ("customer", "ok"), ("agent", "anything else")])
    hits = detect(u).hits
    assert ("dont_know_no_followup" in set(hits["behaviour"])) is expected


@pytest.mark.parametrize(
    ("turns", "greeted"),
    [
        ([("agent", "good morning thank you for calling tala telecom this is carla"), ("customer", "hi")], [0]),
        ([("customer", "hello?"), ("agent", "good morning thank you for calling tala telecom")], [1]),
        ([("customer", "hello"), ("agent", "hi"), ("customer", "hi"), ("agent", "magandang umaga po salamat sa pagtawag")], [1, 3]),
        # the customer is already talking about the matter: the agent's "hi ... how can i help" is no opening
        ([("customer", "my parcel never came and it says delivered"), ("agent", "hi nadia how can i help")], []),
        ([("customer", "saya nak tanya pasal bil saya"), ("agent", "selamat pagi encik boleh saya bantu")], []),
    ],
)
def test_greeting_only_in_the_opening_before_the_customer_talks_business(turns: list[tuple[str, str]], greeted: list[int]) -> None:
    hits = detect(make_call(turns), model=None).hits
    assert sorted(hits.loc[hits["behaviour"] == "greeting", "turn"]) == greeted
