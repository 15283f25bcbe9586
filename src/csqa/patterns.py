"""Token patterns: parse the lexicon pattern language into compiled elements.

A pattern is either a spaCy token-pattern list (``[{"LOWER": "sorry"}, {"LOWER": {"IN":
["po", "na"]}, "OP": "*"}]``) or a string in csqa's compact form, one element per space:

============  ===============================================================
``sorry``     the word (matched on its normal form: lower case, no apostrophes)
``a|b|c``     one of these words
``apolog*``   any word starting with ``apolog``
``@po``       any word of the named word set (``lexicons/<lang>/sets.toml``)
``_``         any one word
``(a b|c)``   one of these word sequences; groups nest: ``((a|per) month|monthly)``
``x?``        optional element; ``*`` (zero or more) and ``+`` (one or more)
              follow ``@set``, ``_`` and ``(...)``; ``{m,n}`` follows any element
============  ===============================================================

Example: ``"(i am|im)? @intens* sorry"`` matches "I'm so sorry", "im really really sorry"
and "sorry". A literal with a hyphen (``i-check``) splits like speech does (``i check``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from csqa.nlp import norm, phrase_forms

MAX_REPEAT = 6
"""Upper bound for ``*`` and ``+`` (no sensible phrase repeats a filler more often)."""

_QUANT = re.compile(r"(\?|\*|\+|\{(\d+),(\d+)\})$")


class PatternSyntaxError(ValueError):
    """A pattern cannot be parsed; the message says which part and why."""


@dataclass(frozen=True)
class Unit:
    """One token test: exact forms, prefixes, or any word."""

    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    any: bool = False

    def test(self, form: str) -> bool:
        """True when ``form`` passes this test."""
        if form in self.words or self.any:
            return True
        return bool(self.prefixes) and form.startswith(self.prefixes)


@dataclass(frozen=True)
class Element:
    """A repeated choice between token sequences: ``alternatives`` repeated ``lo``..``hi`` times."""

    alternatives: tuple[tuple[Unit, ...], ...]
    lo: int = 1
    hi: int = 1

    def first_units(self) -> list[Unit]:
        """The units any occurrence of this element can begin with."""
        return [alt[0] for alt in self.alternatives if alt]

    @cached_property
    def by_first_word(self) -> tuple[dict[str, tuple[tuple[Unit, ...], ...]], tuple[tuple[Unit, ...], ...]]:
        """Alternatives indexed by the words they can start with, and those starting with a
        prefix or any word (tried everywhere). Lexicon groups can hold hundreds of
        alternatives; this keeps trying them one lookup long."""
        index: dict[str, list[tuple[Unit, ...]]] = {}
        other: list[tuple[Unit, ...]] = []
        for alt in self.alternatives:
            first = alt[0]
            if first.prefixes or first.any:
                other.append(alt)
            else:
                for word in first.words:
                    index.setdefault(word, []).append(alt)
        return {w: tuple(a) for w, a in index.items()}, tuple(other)


Pattern = tuple[Element, ...]


def compile_pattern(pattern: str | Sequence[Mapping[str, object]], sets: Mapping[str, frozenset[str]]) -> Pattern:
    """Compile a pattern (compact string or spaCy token list) into elements.

    Raises
    ------
    PatternSyntaxError
        With a message naming the offending part of the pattern.
    """
    if isinstance(pattern, str):
        elements = _parse_string(pattern, sets)
    elif isinstance(pattern, Sequence) and pattern:
        elements = tuple(_from_spacy(tok, sets) for tok in pattern)
    else:
        raise PatternSyntaxError("pattern must be a non-empty string or a list of token dicts")
    if not elements:
        raise PatternSyntaxError("pattern is empty")
    if all(e.lo == 0 for e in elements):
        raise PatternSyntaxError("every element is optional, so the pattern would match nothing")
    return elements


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise PatternSyntaxError(f'unbalanced ")" in "{text}"')
        if ch.isspace() and depth == 0:
            if cur:
                parts.append("".join(cur))
                cur = []
            continue
        cur.append(ch)
    if depth:
        raise PatternSyntaxError(f'unbalanced "(" in "{text}"')
    if cur:
        parts.append("".join(cur))
    return parts


def _parse_string(text: str, sets: Mapping[str, frozenset[str]]) -> Pattern:
    return tuple(_parse_element(part, sets) for part in _split_top(text.strip()))


def _quantified(part: str) -> tuple[int, int, str]:
    """Split a token into (lo, hi, body) by its trailing ``?``, ``*``, ``+`` or ``{m,n}``."""
    match = _QUANT.search(part)
    if match and match.group(1) == "*" and not _repeatable(part[: match.start()]):
        match = None  # "apolog*" is a prefix, not a repetition
    if not match:
        return 1, 1, part
    q, body = match.group(1), part[: match.start()]
    if not body:
        raise PatternSyntaxError(f'"{part}": a quantifier needs something to repeat')
    if q in ("?", "*", "+"):
        return {"?": (0, 1, body), "*": (0, MAX_REPEAT, body), "+": (1, MAX_REPEAT, body)}[q]
    lo, hi = int(match.group(2)), int(match.group(3))
    if lo > hi:
        raise PatternSyntaxError(f'"{part}": {{m,n}} needs m <= n')
    return lo, hi, body


def _parse_element(part: str, sets: Mapping[str, frozenset[str]]) -> Element:
    lo, hi, body = _quantified(part)
    if body.startswith("(") and body.endswith(")"):
        alts = _expand_group(body[1:-1], sets, part)
        if any(not alt for alt in alts):
            raise PatternSyntaxError(f'"{part}": empty alternative in a group')
        return Element(tuple(dict.fromkeys(alts)), lo, hi)
    units = _parse_units(body, sets)
    if len(units) > 1:  # a hyphenated literal such as "i-check"
        if (lo, hi) != (1, 1):
            return Element((units,), lo, hi)
        return Element((units,))
    return Element(((units[0],),), lo, hi)


MAX_EXPANSION = 5000
"""Most word sequences one group may expand to (nested groups multiply)."""


def _split_alternatives(body: str) -> list[str]:
    """Split a group body at the ``|`` that are not inside a nested group."""
    parts, depth, cur = [], 0, []
    for ch in body:
        depth += (ch == "(") - (ch == ")")
        if ch == "|" and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _expand_group(body: str, sets: Mapping[str, frozenset[str]], part: str) -> list[tuple[Unit, ...]]:
    """The word sequences a group stands for; nested groups (optionally ``?``) are expanded."""
    out: list[tuple[Unit, ...]] = []
    for alt in _split_alternatives(body):
        seqs: list[tuple[Unit, ...]] = [()]
        for token in _split_top(alt):
            seqs = [s + o for s in seqs for o in _token_options(token, sets, part)]
            if len(seqs) > MAX_EXPANSION:
                raise PatternSyntaxError(f'"{part}" expands to more than {MAX_EXPANSION} word sequences; split it into several rules')
        out.extend(seqs)
    return out


def _token_options(token: str, sets: Mapping[str, frozenset[str]], part: str) -> list[tuple[Unit, ...]]:
    """The word sequences one token inside a group stands for: a word, set, ``_`` or nested
    group, with an optional ``?`` or ``{m,n}`` (expanded: ``x{0,2}`` is "", "x" or "x x")."""
    lo, hi, body = _quantified(token)
    if hi == MAX_REPEAT and not token.endswith("}"):  # "*" or "+", not an explicit {m,n}
        raise PatternSyntaxError(f'"{token}" in "{part}": inside a group a repeat needs a limit, '
                                 f'e.g. "{body}{{0,2}}" (or move it out of the group)')
    if body.startswith("(") and body.endswith(")"):
        once = _expand_group(body[1:-1], sets, part)
    else:
        once = [_parse_units(body, sets)]
    options: list[tuple[Unit, ...]] = []
    for count in range(lo, hi + 1):
        seqs: list[tuple[Unit, ...]] = [()]
        for _ in range(count):
            seqs = [s + o for s in seqs for o in once]
            if len(seqs) > MAX_EXPANSION:
                raise PatternSyntaxError(f'"{part}" expands to more than {MAX_EXPANSION} word sequences; split it into several rules')
        options.extend(seqs)
    return options


def _repeatable(body: str) -> bool:
    return body.startswith("@") or body == "_" or (body.startswith("(") and body.endswith(")"))


def _parse_units(token: str, sets: Mapping[str, frozenset[str]]) -> tuple[Unit, ...]:
    """Parse one space-free token (``a|b``, ``pre*``, ``@set``, ``_``, ``i-check``) into units."""
    if token == "_":
        return (Unit(any=True),)
    if token.startswith("@"):
        name = token[1:]
        if name not in sets:
            known = ", ".join(sorted(sets)) or "(none)"
            raise PatternSyntaxError(f'word set "@{name}" is not defined; known sets: {known}')
        return (Unit(words=sets[name]),)
    if "|" in token:
        words, prefixes = set(), []
        for alt in token.split("|"):
            if not alt:
                raise PatternSyntaxError(f'"{token}": empty alternative')
            if alt.endswith("*"):
                prefixes.append(norm(alt[:-1]))
            else:
                forms = phrase_forms(alt)
                if len(forms) != 1:
                    raise PatternSyntaxError(
                        f'"{alt}" in "{token}" is {len(forms)} words; use a group: (a b|c)'
                    )
                words.add(forms[0])
        return (Unit(frozenset(words), tuple(prefixes)),)
    if token.endswith("*") and len(token) > 1:
        return (Unit(prefixes=(norm(token[:-1]),)),)
    forms = phrase_forms(token)
    if not forms:
        raise PatternSyntaxError(f'"{token}" has no word in it')
    return tuple(Unit(frozenset({f})) for f in forms)


_SPACY_OPS = {"?": (0, 1), "*": (0, MAX_REPEAT), "+": (1, MAX_REPEAT), "1": (1, 1)}


def _from_spacy(tok: Mapping[str, object], sets: Mapping[str, frozenset[str]]) -> Element:
    if not isinstance(tok, Mapping):
        raise PatternSyntaxError(f"token pattern {tok!r} is not a dict")
    op = str(tok.get("OP", "1"))
    if op not in _SPACY_OPS:
        raise PatternSyntaxError(f'OP "{op}" is not supported; use one of ?, *, +')
    lo, hi = _SPACY_OPS[op]
    keys = [k for k in tok if k != "OP"]
    if not keys:
        return Element(((Unit(any=True),),), lo, hi)
    if len(keys) > 1 or keys[0] not in ("LOWER", "TEXT", "ORTH", "NORM"):
        raise PatternSyntaxError(f"token pattern {dict(tok)!r}: only one of LOWER, TEXT, ORTH, NORM is supported")
    value = tok[keys[0]]
    if isinstance(value, str):
        words = {norm(value)}
    elif isinstance(value, Mapping) and set(value) == {"IN"} and isinstance(value["IN"], list):
        words = {norm(str(v)) for v in value["IN"]}
    else:
        raise PatternSyntaxError(f"token pattern {dict(tok)!r}: the value must be a string or {{\"IN\": [...]}}")
    return Element(((Unit(frozenset(words)),),), lo, hi)
