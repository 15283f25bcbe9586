"""A token-pattern matcher indexed by first word.

Why not ``spacy.matcher.Matcher``: it tries every pattern at every token, so with the ~1,000
patterns of the shipped lexicons it ran 30x slower than tokenising the same text (measured,
see ``docs/architecture.md``). This matcher reads the same patterns (compiled by
:mod:`csqa.patterns`) but only tries the few patterns whose required words all occur in the
utterance.
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
        self._required: list[tuple[frozenset[str], ...]] = []
        self._start: list[Unit] = []
        anchors: dict[str, list[int]] = defaultdict(list)
        self._unanchored: list[int] = []
        for idx, pattern in enumerate(self.patterns):
            required = tuple(r for r in map(_required_words, pattern) if r)
            self._required.append(required)
            starts = _start_units(pattern)
            self._start.append(Unit(
                frozenset().union(*(u.words for u in starts)),
                tuple(p for u in starts for p in u.prefixes),
                any(u.any for u in starts),
            ))
            if required:
                anchor = min(required, key=lambda ws: sum(50 if w in common else 1 for w in ws))
                for word in anchor:
                    anchors[word].append(idx)
            else:
                self._unanchored.append(idx)
        self._anchors = {w: tuple(ix) for w, ix in anchors.items()}
        self.vocabulary: frozenset[str] = frozenset(self._anchors)
        """Every anchor word: an utterance with none of them and no unanchored pattern has no match."""

    def __call__(self, forms: Sequence[str]) -> list[tuple[int, int, int]]:
        """Return ``(pattern_index, start, end)`` for the longest match of each pattern at each start.

        ``start``/``end`` are word indices into ``forms`` (end exclusive). A pattern that matches
        at several overlapping places is reported at the first of them only.
        """
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
        positions: dict[str, list[int]] = {}
        for pos, form in enumerate(forms):
            positions.setdefault(form, []).append(pos)
        for idx in cands:
            if any(req.isdisjoint(present) for req in self._required[idx]):
                continue
            start_unit = self._start[idx]
            if start_unit.prefixes or start_unit.any:
                starts = [pos for pos, form in enumerate(forms) if start_unit.test(form)]
            else:
                starts = sorted(p for w in start_unit.words & present for p in positions[w])
            pattern = self.patterns[idx]
            last_end = -1
            for pos in starts:
                if pos < last_end:
                    continue
                end = _match(pattern, 0, forms, pos)
                if end > pos:
                    out.append((idx, pos, end))
                    last_end = end
        out.sort(key=lambda m: (m[1], m[0]))
        return out


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
    n = len(forms)
    if pos >= n:
        return []
    index, other = element.by_first_word
    form = forms[pos]
    ends = []
    for alt in index.get(form, ()):
        end = pos + len(alt)
        if end <= n and all(alt[k].test(forms[pos + k]) for k in range(1, len(alt))):
            ends.append(end)
    for alt in other:
        end = pos + len(alt)
        if end <= n and all(unit.test(forms[pos + k]) for k, unit in enumerate(alt)):
            ends.append(end)
    return ends


def _match(pattern: Pattern, k: int, forms: Sequence[str], pos: int) -> int:
    """Furthest end of ``pattern[k:]`` matched from ``pos``, or -1 when it cannot match.

    Memoised on (element, position), so gaps (``_{0,4}``) and repeated sets stay linear.
    """
    memo: dict[tuple[int, int], int] = {}
    last = len(pattern)

    def go(k: int, pos: int) -> int:
        if k == last:
            return pos
        key = (k, pos)
        if key in memo:
            return memo[key]
        element = pattern[k]
        best = go(k + 1, pos) if element.lo == 0 else -1
        frontier = {pos}
        for rep in range(1, element.hi + 1):
            frontier = {e for p in frontier for e in _once(element, forms, p)}
            if not frontier:
                break
            if rep >= element.lo:
                for p in frontier:
                    end = go(k + 1, p)
                    if end > best:
                        best = end
        memo[key] = best
        return best

    return go(k, pos)
