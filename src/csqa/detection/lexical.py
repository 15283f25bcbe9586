"""Lexical detection: lexicon rules matched in each utterance, then the guards.

One pass per utterance: tokenise once, match every language's rules at once, drop matches
that fail a guard (wrong speaker, negated, reported speech), keep the best match per label.
Behaviour matches become hits; cue matches go to a separate table that the conversation rules
read and that never reaches the output.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from csqa.behaviours import BEHAVIOURS
from csqa.lexicon import Lexicon, Rule
from csqa.matching import TokenMatcher
from csqa.nlp import Tokens, tokens_from_doc, tokenizer

NEGATION_WINDOW = 3
"""Words before a match in which a negator cancels it."""
REPORTED_WINDOW = 6
"""Words between the end of a reported-speech cue and a match that it still covers."""


class Match(NamedTuple):
    """One rule match in one utterance (character offsets into the utterance text)."""

    rule: Rule
    start: int
    end: int
    start_char: int
    end_char: int


@dataclass
class LexicalDetector:
    """Match a lexicon against utterances and apply the guards.

    Parameters
    ----------
    lexicon : Lexicon
        Rules and word sets (see :func:`csqa.lexicon.load_lexicon`).
    """

    lexicon: Lexicon

    def __post_init__(self) -> None:
        self.rules = list(self.lexicon.rules)
        self.matcher = TokenMatcher([r.pattern for r in self.rules])
        self.final = frozenset(r.id for r in self.rules if r.final)
        """Ids of the rules whose hits the trained model does not overrule."""
        self.negators = self.lexicon.sets.get("negator", frozenset())
        self.negator_release = self.lexicon.sets.get("negator_release", frozenset())
        self.boundaries = self.lexicon.sets.get("boundary", frozenset())
        self._speaker = {
            r.label: (BEHAVIOURS[r.label].speaker if r.label in BEHAVIOURS else "any") for r in self.rules
        }  # cues and vetoes: any speaker

    def match_tokens(self, tokens: Tokens, speaker: str) -> list[Match]:
        """All guarded matches in one tokenised utterance said by ``speaker``: the best match per
        behaviour (highest confidence, then longest) and every cue match."""
        raw = self.matcher(tokens.forms)
        if not raw:
            return []
        reported_ends = [end for idx, _, end in raw if self.rules[idx].label == "cue.reported"]
        vetoes = [(self.rules[idx].label[4:], start, end) for idx, start, end in raw if self.rules[idx].label.startswith("not.")]
        best: dict[str, Match] = {}
        cues: list[Match] = []
        for idx, start, end in raw:
            rule = self.rules[idx]
            if rule.label.startswith("not.") or (vetoes and any(
                    label == rule.label and s < end and start < e for label, s, e in vetoes)):
                continue
            who = self._speaker[rule.label]
            if who != "any" and who != speaker:
                continue
            if rule.negatable and self._negated(tokens, start):
                continue
            if who == "agent" and reported_ends and self._reported(tokens, start, reported_ends):
                continue
            match = Match(rule, start, end, tokens.starts[start], tokens.ends[end - 1])
            if rule.label.startswith("cue."):
                cues.append(match)  # every cue counts: "maam ... maam liza" has two addresses
                continue
            old = best.get(rule.label)
            if old is None or (rule.confidence, end - start) > (old.rule.confidence, old.end - old.start):
                best[rule.label] = match
        return list(best.values()) + cues

    def match_text(self, text: str, speaker: str) -> list[Match]:
        """Tokenise ``text`` and return its guarded matches (see :meth:`match_tokens`)."""
        return self.match_tokens(tokens_from_doc(tokenizer()(text)), speaker)

    def match_many(self, texts: Sequence[str], speakers: Sequence[str]) -> Iterable[list[Match]]:
        """Yield the guarded matches of each utterance, tokenising in batches."""
        for doc, speaker in zip(tokenizer().pipe(texts, batch_size=2000), speakers):
            yield self.match_tokens(tokens_from_doc(doc), speaker)

    def _clause_words_before(self, tokens: Tokens, start: int, window: int) -> Iterable[int]:
        """Indices of up to ``window`` words before ``start`` in the same clause, nearest first."""
        j = start
        while j > 0 and start - j < window:
            if tokens.boundary_before[j]:
                return
            j -= 1
            if tokens.forms[j] in self.boundaries:
                return
            yield j

    def _negated(self, tokens: Tokens, start: int) -> bool:
        """Whether a negator stands up to ``NEGATION_WINDOW`` words before ``start`` in the same
        clause, other than one in a set phrase such as "tak apa" (a ``negator_release`` word after it)."""
        forms = tokens.forms
        return any(forms[j] in self.negators and forms[j + 1] not in self.negator_release
                   for j in self._clause_words_before(tokens, start, NEGATION_WINDOW))

    def _reported(self, tokens: Tokens, start: int, reported_ends: list[int]) -> bool:
        reach = {j + 1 for j in self._clause_words_before(tokens, start, REPORTED_WINDOW)} | {start}
        return any(end in reach for end in reported_ends)
