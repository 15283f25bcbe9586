"""A token-pattern matcher indexed by first word.

Why not ``spacy.matcher.Matcher``: it tries every pattern at every token, so with the ~1,000
patterns of the shipped lexicons it ran 30x slower than tokenising the same text (measured,
see ``docs/architecture.md``). This matcher reads the same patterns (compiled by
:mod:`csqa.patterns`) but only tries the few patterns whose required words all occur in the
utterance.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from csqa.nlp import INNER_PARTICLES
from csqa.patterns import Element, Pattern, Unit


CACHE_SIZE = 50_000
"""Distinct utterances whose matches are remembered ("okay", "yes po", "terima kasih" recur
all night); the memory is cleared when full, so it stays bounded."""


class TokenMatcher:
    """Find every pattern occurrence in a list of normal forms.

    Parameters
    ----------
    patterns : sequence of Pattern
        Compiled patterns; a match reports the pattern's index in this sequence.

    Notes
    -----
    Each pattern's mandatory elements that are made of plain words give *required word
    sets*: an utterance can only match if it shares a word with every one of them. The
    rarest set (function words count as frequent) is the pattern's *anchor*, indexed by word.
    For an utterance, only patterns anchored by one of its words are considered, their other
    required sets are checked against the utterance's words, and only the survivors are
    matched, from the positions where their first word can stand.
    """

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        from csqa.language import word_languages

        common = word_languages()
        self.patterns = list(patterns)
        self._required: list[tuple[frozenset[str], ...]] = []  # besides the anchor set
        self._regex: list[re.Pattern[str] | None] = [None] * len(self.patterns)  # compiled on first use
        anchors: dict[str, list[int]] = defaultdict(list)
        self._unanchored: list[int] = []
        for idx, pattern in enumerate(self.patterns):
            # Most selective first: a set of rare words rules out most utterances.
            required = sorted({r for r in map(_required_words, pattern) if r},
                              key=lambda ws: sum(50 if w in common else 1 for w in ws))
            if required:
                for word in required[0]:
                    anchors[word].append(idx)
            else:
                self._unanchored.append(idx)
            self._required.append(tuple(required[1:]))  # the anchor set is present by construction
        self._anchors = {w: tuple(ix) for w, ix in anchors.items()}
        self._cache: dict[tuple[str, ...], list[tuple[int, int, int]]] = {}
        self.vocabulary: frozenset[str] = frozenset(self._anchors)
        """Every anchor word: an utterance with none of them and no unanchored pattern has no match."""

    def __call__(self, forms: Sequence[str]) -> list[tuple[int, int, int]]:
        """Return ``(pattern_index, start, end)`` for the longest match of each pattern at each start.

        ``start``/``end`` are word indices into ``forms`` (end exclusive). A pattern that matches
        at several overlapping places is reported at the first of them only. A particle of
        :data:`csqa.nlp.INNER_PARTICLES` between a phrase's words does not break it: the
        utterance is also matched with them left out ("im ah really sorry" matches what "im
        really sorry" matches), and a match reports its span in the words as spoken.
        """
        key = tuple(forms)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        out = self._match(forms)
        if not INNER_PARTICLES.isdisjoint(key):
            kept = [i for i, form in enumerate(forms) if form not in INNER_PARTICLES]
            out = _first_per_place(out + [(idx, kept[s], kept[e - 1] + 1)
                                          for idx, s, e in self._match([forms[i] for i in kept])])
        self._cache[key] = out
        return out

    def _match(self, forms: Sequence[str]) -> list[tuple[int, int, int]]:
        present = set(forms)
        anchors = self._anchors
        cands: set[int] = set(self._unanchored)
        for word in present:
            found = anchors.get(word)
            if found:
                cands.update(found)
        if not cands:
            return []
        out: list[tuple[int, int, int]] = []
        text = " ".join(forms) + " "
        start_of: dict[int, int] = {}
        end_of: dict[int, int] = {}
        offset = 0
        for i, form in enumerate(forms):
            start_of[offset] = i
            offset += len(form) + 1
            end_of[offset] = i + 1
        required = self._required
        regex = self._regex
        for idx in cands:
            for req in required[idx]:
                if req.isdisjoint(present):
                    break
            else:
                rx = regex[idx]
                if rx is None:  # compiling all 2,500 patterns up front costs seconds per process
                    rx = regex[idx] = compile_regex(self.patterns[idx])
                for m in rx.finditer(text):
                    out.append((idx, start_of[m.start()], end_of[m.end()]))
        out.sort(key=lambda m: (m[1], m[0]))
        return out


def _first_per_place(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Of each pattern's matches, keep the longest at the first start and drop those that
    overlap a kept one; sorted like :meth:`TokenMatcher.__call__` reports them."""
    kept: list[tuple[int, int, int]] = []
    reach: dict[int, int] = {}
    for idx, start, end in sorted(matches, key=lambda m: (m[0], m[1], -m[2])):
        if start >= reach.get(idx, 0):
            kept.append((idx, start, end))
            reach[idx] = end
    kept.sort(key=lambda m: (m[1], m[0]))
    return kept


def _required_words(element: Element) -> frozenset[str]:
    """Words one of which must appear wherever ``element`` matches (empty: no such guarantee)."""
    if element.lo == 0:
        return frozenset()
    words: set[str] = set()
    for alt in element.alternatives:
        literal = next((u for u in alt if u.words and not u.prefixes and not u.any), None)
        if literal is None:
            return frozenset()
        words |= literal.words
    return frozenset(words)


def _unit_regex(unit: Unit) -> str:
    """One word (and the space after it) that passes ``unit``."""
    if unit.any:
        return r"[^ ]+ "
    options = sorted(map(re.escape, unit.words), key=len, reverse=True)
    options += [re.escape(p) + r"[^ ]*" for p in unit.prefixes]
    return "(?:" + "|".join(options) + ") "


def _alternatives_regex(alts: Sequence[Sequence[str]]) -> str:
    """One regular expression for word-sequence alternatives (each a list of unit regexes),
    with common prefixes factored out: a group written as ``(a|b) (c|d)`` expands to every
    combination, and trying thousands of flat alternatives at every word is what made large
    groups slow. Longer alternatives are tried first, and ending early last."""
    children: dict[str, list[Sequence[str]]] = {}
    ends = False
    for alt in alts:
        if alt:
            children.setdefault(alt[0], []).append(alt[1:])
        else:
            ends = True
    if not children:
        return ""
    longest = {head: max(map(len, rests)) for head, rests in children.items()}
    parts = [head + _alternatives_regex(children[head]) for head in sorted(children, key=lambda h: -longest[h])]
    body = parts[0] if len(parts) == 1 and not ends else "(?:" + "|".join(parts) + ")"
    return body + "?" if ends else body


def _element_regex(element: Element) -> str:
    body = _alternatives_regex([[_unit_regex(u) for u in alt] for alt in element.alternatives])
    body = "(?:" + body + ")"
    if (element.lo, element.hi) == (1, 1):
        return body
    if (element.lo, element.hi) == (0, 1):
        return body + "?"
    return body + "{%d,%d}" % (element.lo, element.hi)


def compile_regex(pattern: Pattern) -> re.Pattern[str]:
    """A regular expression over ``" ".join(forms) + " "`` that matches ``pattern`` at word starts.

    Alternatives are tried longest first and quantifiers are greedy, so a match is the longest
    one at its start in the usual cases (the spaCy ``greedy="LONGEST"`` behaviour).
    """
    return re.compile("(?<![^ ])" + "".join(map(_element_regex, pattern)))
