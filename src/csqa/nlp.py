"""The one spaCy tokenizer csqa uses, and the token normal form that lexicons are matched on.

Utterances and lexicon phrases go through the same ``spacy.blank("xx")`` tokenizer, so a
pattern written as ``"i-check"`` or ``"minta maaf banyak-banyak"`` splits exactly like speech
does. Matching then works on *normal forms*: lower case, apostrophes removed (so "I'm",
"i'm" and speech-to-text "im" are one form) and punctuation tokens dropped (so "sorry, ma'am"
and "sorry maam" read the same). Punctuation is remembered as a clause boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.tokenizer import Tokenizer

_APOSTROPHES = str.maketrans("", "", "'’‘`")


@lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    """Return the process-wide multi-language spaCy tokenizer (built once, no model download)."""
    return spacy.blank("xx").tokenizer


def norm(text: str) -> str:
    """Return the normal form of one token: lower case, apostrophes removed."""
    return text.lower().translate(_APOSTROPHES)


@dataclass(frozen=True)
class Tokens:
    """One utterance, tokenised once, in the form matchers and guards read.

    Attributes
    ----------
    forms : list of str
        Normal forms of the word tokens (punctuation dropped).
    starts, ends : list of int
        Character offsets of each word token in the original text.
    boundary_before : list of bool
        True where punctuation stood between this word and the previous one.
    upper : list of bool
        True where the original word was written in capitals and is at least two letters long.
    """

    forms: list[str]
    starts: list[int]
    ends: list[int]
    boundary_before: list[bool]
    upper: list[bool]


def tokenize(text: str) -> Tokens:
    """Tokenise ``text`` once and return its :class:`Tokens`."""
    return tokens_from_doc(tokenizer()(text))


def tokens_from_doc(doc: spacy.tokens.Doc) -> Tokens:
    """Build :class:`Tokens` from a spaCy ``Doc`` made by :func:`tokenizer`."""
    forms: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    boundary: list[bool] = []
    upper: list[bool] = []
    pending_boundary = False
    for tok in doc:
        if tok.is_punct:
            pending_boundary = True
            continue
        text = tok.text
        forms.append(text.lower().translate(_APOSTROPHES))
        starts.append(tok.idx)
        ends.append(tok.idx + len(text))
        boundary.append(pending_boundary)
        upper.append(len(text) > 1 and text.isupper())
        pending_boundary = False
    return Tokens(forms, starts, ends, boundary, upper)


def phrase_forms(phrase: str) -> tuple[str, ...]:
    """Return the normal forms of the word tokens of a lexicon phrase (e.g. ``"i-check"``)."""
    return tuple(tokens_from_doc(tokenizer()(phrase)).forms)
