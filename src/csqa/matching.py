"""A token-pattern matcher indexed by first word.

Why not ``spacy.matcher.Matcher``: it tries every pattern at every token, so with the ~1,000
patterns of the shipped lexicons it ran 30x slower than tokenising the same text (measured,
see ``docs/architecture.md``). This matcher reads the same patterns (compiled by
:mod:`csqa.patterns`) but only tries, at each token, the patterns that can begin with that
word, which keeps matching cheaper than tokenising.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from csqa.patterns import Element, Pattern, Unit


class TokenMatcher:
    """Find every pattern occurrence in a list of normal forms.

    Parameters
    ----------
    patterns : sequence of Pattern
        Compiled patterns; a match reports the pattern's index in this sequence.
    """

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self.patterns = list(patterns)
        self._by_word: dict[str, list[int]] = defaultdict(list)
        self._by_prefix: dict[str, list[int]] = defaultdict(list)
        self._anywhere: list[int] = []
        for idx, pattern in enumerate(self.patterns):
            for unit in _start_units(pattern):
                if unit.any:
                    self._anywhere.append(idx)
                for word in unit.words:
                    self._by_word[word].append(idx)
                for prefix in unit.prefixes:
                    self._by_prefix[prefix].append(idx)
        self._by_word = {w: sorted(set(ix)) for w, ix in self._by_word.items()}
        self._prefix_lengths = sorted({len(p) for p in self._by_prefix})
        self.vocabulary: frozenset[str] = frozenset(self._by_word)
        """Every word that can start a match (a cheap pre-filter: no such word, no match)."""

    def candidates(self, form: str) -> list[int]:
        """Indices of patterns that may start at a token with this normal form."""
        found = self._by_word.get(form, [])
        if self._prefix_lengths:
            extra = [i for n in self._prefix_lengths if len(form) >= n for i in self._by_prefix.get(form[:n], ())]
            if extra:
                found = sorted(set(found).union(extra))
        if self._anywhere:
            found = sorted(set(found).union(self._anywhere))
        return found

    def __call__(self, forms: Sequence[str]) -> list[tuple[int, int, int]]:
        """Return ``(pattern_index, start, end)`` for the longest match of each pattern at each start.

        ``start``/``end`` are word indices into ``forms`` (end exclusive). A pattern that matches
        at several overlapping places is reported at the first of them only.
        """
        out: list[tuple[int, int, int]] = []
        last_end: dict[int, int] = {}
        by_word = self._by_word
        for start, form in enumerate(forms):
            cands = by_word.get(form) if not (self._prefix_lengths or self._anywhere) else self.candidates(form)
            if not cands:
                continue
            for idx in cands:
                if last_end.get(idx, -1) > start:
                    continue
                end = _match(self.patterns[idx], 0, forms, start)
                if end > start:
                    out.append((idx, start, end))
                    last_end[idx] = end
        return out


def _start_units(pattern: Pattern) -> list[Unit]:
    """Units the first matched word can be tested by (leading optional elements included)."""
    units: list[Unit] = []
    for element in pattern:
        units.extend(element.first_units())
        if element.lo > 0:
            break
    return units


def _once(element: Element, forms: Sequence[str], pos: int) -> list[int]:
    """End positions after one occurrence of ``element`` starting at ``pos``."""
    ends = []
    n = len(forms)
    for alt in element.alternatives:
        end = pos + len(alt)
        if end <= n and all(unit.test(forms[pos + k]) for k, unit in enumerate(alt)):
            ends.append(end)
    return ends


def _match(pattern: Pattern, k: int, forms: Sequence[str], pos: int) -> int:
    """Furthest end of ``pattern[k:]`` matched from ``pos``, or -1 when it cannot match."""
    if k == len(pattern):
        return pos
    element = pattern[k]
    best = -1
    frontier = {pos}
    if element.lo == 0:
        best = _match(pattern, k + 1, forms, pos)
    for rep in range(1, element.hi + 1):
        frontier = {e for p in frontier for e in _once(element, forms, p)}
        if not frontier:
            break
        if rep >= element.lo:
            for p in frontier:
                end = _match(pattern, k + 1, forms, p)
                if end > best:
                    best = end
    return best
