"""The pattern language and the matcher, including agreement with spaCy's own Matcher."""

from __future__ import annotations

import pytest
import spacy
from spacy.matcher import Matcher

from csqa.matching import TokenMatcher
from csqa.nlp import tokenize
from csqa.patterns import PatternSyntaxError, compile_pattern

SETS = {"intens": frozenset({"so", "really", "talaga"}), "po": frozenset({"po", "na", "lang"})}


def _spans(pattern: str | list, text: str) -> list[str]:
    tokens = tokenize(text)
    matcher = TokenMatcher([compile_pattern(pattern, SETS)])
    return [" ".join(tokens.forms[s:e]) for _, s, e in matcher(tokens.forms)]


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("(i am|im)? @intens* sorry", "I'm SO sorry", ["im so sorry"]),
        ("(i am|im)? @intens* sorry", "i am really really sorry", ["i am really really sorry"]),
        ("(i am|im)? @intens* sorry", "sorry!", ["sorry"]),
        ("pasensya @po* (sa abala)?", "pasensya na po talaga sa abala", ["pasensya na po"]),
        ("pasensya @po* (sa abala)?", "pasensya na po sa abala", ["pasensya na po sa abala"]),
        ("apolog*", "we apologise", ["apologise"]),
        ("i-check ko", "i-check ko po", ["i check ko"]),
        ("minta maaf banyak-banyak", "minta maaf banyak-banyak ya", ["minta maaf banyak banyak"]),
        ("let me _{0,2} check", "let me just quickly check", ["let me just quickly check"]),
        ("let me _{0,2} check", "let me go and then check", []),
        ("(dont|do not) know", "i don't know", ["dont know"]),
        ("((a|per) month|monthly)", "rm20 per month", ["per month"]),
        ("let me ((double)? check|look into) it", "let me double check it", ["let me double check it"]),
        ("let me ((double)? check|look into) it", "let me look into it", ["let me look into it"]),
        ([{"LOWER": "thank"}, {"LOWER": {"IN": ["you", "u"]}}], "thank u", ["thank u"]),
        # quantifiers inside a group's alternatives are expanded, not read as words
        ("(had to wait _{0,1} hours|queued)", "i had to wait two hours", ["had to wait two hours"]),
        ("(had to wait _{0,1} hours|queued)", "had to wait hours", ["had to wait hours"]),
        ("(had to wait _{0,1} hours|queued)", "had to wait for two hours", []),
        ("(sorry @po{0,2} talaga|my bad)", "sorry na po talaga", ["sorry na po talaga"]),
        ("(kayo (lang)? po|ikaw)", "kayo po", ["kayo po"]),
        # alternatives sharing a first word are factored into one branch; the longest still wins
        ("(in the terms|in the terms and conditions|in)", "its in the terms and conditions", ["in the terms and conditions"]),
        ("((dah|sudah) (tulis|ditulis) (dalam|kat) (terma|kontrak)|memang ada)", "sudah ditulis kat kontrak", ["sudah ditulis kat kontrak"]),
    ],
)
def test_patterns_match(pattern: str | list, text: str, expected: list[str]) -> None:
    assert _spans(pattern, text) == expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("@nosuchset sorry", "word set \"@nosuchset\" is not defined"),
        ("(a b", "unbalanced"),
        ("sorry?", "every element is optional"),
        ("x{3,1}", "m <= n"),
        ([{"POS": "NOUN"}], "only one of LOWER"),
        ([{"LOWER": "a", "OP": "!"}], "OP \"!\" is not supported"),
        ("", "empty"),
        ("(a @po* b|c)", "inside a group a repeat needs a limit"),
    ],
)
def test_patterns_errors_name_the_problem(pattern: str | list, message: str) -> None:
    with pytest.raises(PatternSyntaxError, match=message.replace("(", r"\(")):
        compile_pattern(pattern, SETS)


def test_matching_agrees_with_spacy_matcher_on_token_patterns() -> None:
    """For spaCy-style patterns, our matcher finds what spaCy's Matcher finds (longest per start)."""
    patterns = [
        [{"LOWER": "thank"}, {"LOWER": {"IN": ["you", "u"]}}],
        [{"LOWER": "so", "OP": "?"}, {"LOWER": "sorry"}],
        [{"LOWER": "pasensya"}, {"LOWER": {"IN": ["na", "po"]}, "OP": "*"}],
    ]
    nlp = spacy.blank("xx")
    spacy_matcher = Matcher(nlp.vocab)
    for i, p in enumerate(patterns):
        spacy_matcher.add(str(i), [p], greedy="LONGEST")
    ours = TokenMatcher([compile_pattern(p, {}) for p in patterns])
    for text in ["thank you so sorry", "pasensya na po talaga", "so so sorry thank u", "nothing here"]:
        doc = nlp(text)
        theirs = sorted((int(nlp.vocab.strings[m]), s, e) for m, s, e in spacy_matcher(doc))
        mine = sorted(ours([t.lower_ for t in doc]))
        assert mine == theirs, text


def test_lexical_veto_cancels_overlapping_match_only(tmp_path) -> None:
    from csqa.detection.lexical import LexicalDetector
    from csqa.lexicon import load_lexicon

    (tmp_path / "mine.jsonl").write_text(
        '{"id": "x.apology.sorry", "label": "apology", "pattern": "sorry"}\n'
        '{"id": "x.not.apology.repeat", "label": "not.apology", "pattern": "sorry (can|could) you repeat"}\n',
        encoding="utf-8",
    )
    detector = LexicalDetector(load_lexicon([tmp_path / "mine.jsonl"]))

    def apology(text: str) -> bool:
        return any(m.rule.label == "apology" for m in detector.match_text(text, "agent"))

    assert not apology("sorry could you repeat")
    assert apology("sorry about the delay")
    assert apology("sorry could you repeat, and sorry for the wait")


def test_a_group_of_groups_compiles_to_a_factored_regex() -> None:
    from csqa.matching import compile_regex

    pattern = compile_pattern("((a|b|c) (d|e|f) (g|h|i)|j k)", {})
    assert len(pattern[0].alternatives) == 28  # every combination is an alternative
    regex = compile_regex(pattern).pattern
    assert regex.count("(?:a) ") == 1  # one branch for "a", not one per combination (9)
    assert [m.group() for m in compile_regex(pattern).finditer("x c e h j k ")] == ["c e h ", "j k "]


def test_hesitations_are_not_tokens_but_particles_and_punctuation_boundaries_stay() -> None:
    t = tokenize("i uh dont know, um sir erm eh kayo po kasi")
    assert t.forms == ["i", "dont", "know", "sir", "eh", "kayo", "po", "kasi"]
    assert t.boundary_before == [False, False, False, True, False, False, False, False]
    text = "i uh dont know, um sir erm eh kayo po kasi"
    assert [text[a:b] for a, b in zip(t.starts, t.ends)][:4] == ["i", "dont", "know", "sir"]


@pytest.mark.parametrize(("pattern", "text", "spans"), [
    ("(i am|im)? @intens* sorry", "im ah really sorry", ["im ah really sorry"]),  # inside: skipped
    ("i will check", "i will eh check ah", ["i will eh check"]),  # after the last word: outside
    ("sorry", "ah sorry", ["sorry"]),  # before the first word: outside
    ("sorry ah", "sorry ah", ["sorry ah"]),  # named by the pattern: matched
    ("minta maaf", "minta ah maaf minta maaf", ["minta ah maaf", "minta maaf"]),
    ("sorry po", "sorry lah po", []),  # only ah and eh are skipped
])
def test_the_particles_ah_and_eh_do_not_break_a_phrase(pattern: str, text: str, spans: list[str]) -> None:
    assert _spans(pattern, text) == spans
