"""The customer's name: where it comes from, and when the agent uses it.

The customer's name is the CRM's (``customer_name``) or the word the customer says after a
``customer_name_stated`` phrase ("my name is", "nama saya", "ako po si"). The agent's own name
is the word after a ``cue.self_intro`` phrase in an agent turn and never counts. A name that is
also a common word ("Joy", "Hope", "Bunga", "Ligaya") only counts where it is used to address
someone: after an honorific (``cue.address``), or alone at the start or end of the turn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from csqa.detection.base import CallContext, hits_frame
from csqa.language import word_languages
from csqa.nlp import norm

TITLES = frozenset(
    "mr mrs ms miss mister madam maam sir dr encik en puan pn cik tuan bin binti bte bt a/l a/p al ap "
    "de dela del delos san sta ate kuya mam dato datuk datin haji hajah".split()
)
"""Words in a CRM name that are not the name itself."""

COMMON_WORD_NAMES = frozenset(
    "joy hope faith grace mercy charity patience honey sunny rose may june april dawn summer will "
    "bill mark pat sky star lucky precious princess angel ruby pearl jade amber crystal bunga intan "
    "suria cahaya mawar melati ligaya tala bituin luningning liwayway ayu manis murni sri".split()
)
"""Names that are also ordinary words, so they need an addressing context to count."""

_NAME_WORD = re.compile(r"[^\W\d_][\w'-]*", re.UNICODE)
_SKIP = frozenset("po ho ah uh um eh erm ya yes si is ay sir maam mam its ito".split())


def _name_after(text: str, pos: int) -> tuple[str, int, int] | None:
    """The first plausible name word at or after ``pos``: (word, start, end), or None."""
    for match in _NAME_WORD.finditer(text, pos):
        word = norm(match.group())
        if word in _SKIP:
            continue
        if word in word_languages() or len(word) < 2:
            return None
        return word, match.start(), match.end()
    return None


def name_tokens(name: object) -> set[str]:
    """Normal forms of the parts of a CRM name that can be used alone (titles dropped)."""
    if not isinstance(name, str):
        return set()
    return {norm(p) for p in re.split(r"[\s,.]+", name) if len(p) > 1 and norm(p) not in TITLES}


@dataclass(frozen=True)
class CustomerName:
    """Emit ``uses_customer_name`` and keep only ``customer_name_stated`` hits followed by a name."""

    emits: ClassVar[frozenset[str]] = frozenset({"uses_customer_name", "customer_name_stated"})
    replaces: ClassVar[frozenset[str]] = frozenset({"customer_name_stated"})

    def detect(self, ctx: CallContext) -> pd.DataFrame:
        u = ctx.utterances
        text = dict(zip(zip(u["call_id"], u["turn"]), u["text"]))
        stated_rows, stated_names = [], {}
        for row in ctx.hit_turns("customer_name_stated").itertuples(index=False):
            found = _name_after(text[(row.call_id, row.turn)], row.end_char)
            if found is None:
                continue
            word, _, end = found
            stated_names.setdefault(row.call_id, []).append((row.turn, word))
            full = text[(row.call_id, row.turn)]
            stated_rows.append(row._replace(end_char=end, evidence=full[row.start_char:end]))
        own: dict[str, set[str]] = {}
        for row in ctx.cue_turns("cue.self_intro").itertuples(index=False):
            if row.speaker == "agent":
                found = _name_after(text[(row.call_id, row.turn)], row.end_char)
                if found:
                    own.setdefault(row.call_id, set()).add(found[0])
        requests = ctx.cue_turns("cue.name_request")
        name_requests = set(zip(requests["call_id"], requests["turn"]))
        address = ctx.cue_turns("cue.address")
        address_ends = {(r.call_id, r.turn, r.end_char) for r in address.itertuples(index=False)}
        address_by_turn: dict[tuple[str, int], list[int]] = {}
        for r in address.itertuples(index=False):
            address_by_turn.setdefault((r.call_id, r.turn), []).append(r.end_char)
        crm = u.groupby("call_id", sort=False)["customer_name"].first() if "customer_name" in u else pd.Series(dtype=object)
        rows = []
        for call_id, turns in u.groupby("call_id", sort=False):
            names = {w: -1 for w in name_tokens(crm.get(call_id))}
            for turn, word in stated_names.get(call_id, ()):
                names.setdefault(word, turn)
            mine = own.get(call_id, set())
            for word in mine:
                names.pop(word, None)
            pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\b") if names else None
            customer_words: set[str] = set()
            asked = False
            for turn, speaker, said in zip(turns["turn"], turns["speaker"], turns["text"]):
                if speaker == "customer":
                    if asked:  # the answer to "may i have your name"
                        customer_words.update(norm(w) for w in _NAME_WORD.findall(said))
                    asked = False
                    continue
                if speaker != "agent":
                    continue
                asked = (call_id, turn) in name_requests
                span = self._known_name(said, pattern, names, turn, (call_id, turn), address_ends)
                if span is None:
                    span = self._addressed_customer_word(said, address_by_turn.get((call_id, turn), ()), customer_words, mine)
                if span is not None:
                    rows.append({
                        "call_id": call_id, "turn": turn, "speaker": "agent", "behaviour": "uses_customer_name",
                        "start_char": span[0], "end_char": span[1], "evidence": said[span[0]:span[1]],
                        "source": "csqa.customer_name.v1", "confidence": 0.9,
                    })
        stated = hits_frame(pd.DataFrame(stated_rows, columns=ctx.hits.columns)) if stated_rows else hits_frame()
        return pd.concat([stated, hits_frame(rows)], ignore_index=True)


    @staticmethod
    def _known_name(said: str, pattern: re.Pattern[str] | None, names: dict[str, int], turn: int,
                    key: tuple[str, int], address_ends: set[tuple[str, int, int]]) -> tuple[int, int] | None:
        """Span of a known customer name (CRM or stated before ``turn``) in an agent turn."""
        if pattern is None:
            return None
        for match in pattern.finditer(said.lower()):
            word = match.group(1)
            if turn <= names[word]:
                continue
            if word in COMMON_WORD_NAMES and not _addressed(said, match.start(), match.end(), key, address_ends):
                continue
            return match.start(), match.end()
        return None

    @staticmethod
    def _addressed_customer_word(said: str, address_ends: Iterable[int], customer_words: set[str],
                                 own: set[str]) -> tuple[int, int] | None:
        """Span of a word the agent addresses with an honorific ("maam rosario") that the
        customer gave when asked for a name: the customer's name, even without "my name is"."""
        for end in address_ends:
            found = _name_after(said, end)
            if found and found[0] in customer_words and found[0] not in own:
                return found[1], found[2]
        return None


def _addressed(text: str, start: int, end: int, key: tuple[str, int], address_ends: set[tuple[str, int, int]]) -> bool:
    """True when the word at text[start:end] addresses someone: after an honorific, or alone at an edge."""
    before = text[:start].rstrip()
    if any((key[0], key[1], e) in address_ends for e in range(len(before) - 1, len(before) + 1)):
        return True
    at_start = not before or before.endswith((",", ".", "!", "?"))
    after = text[end:].lstrip()
    at_end = not after or after[0] in ",.!?" or norm(after.split()[0]) in {"po", "ha", "ya", "ah", "lah"}
    return at_start and (not after or after[0] in ",.!?") or at_end
