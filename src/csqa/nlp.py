"""The one spaCy tokenizer csqa uses, and the token normal form that lexicons are matched on.

Utterances and lexicon phrases go through the same ``spacy.blank("xx")`` tokenizer, so a
pattern written as ``"i-check"`` or ``"minta maaf banyak-banyak"`` splits exactly like speech
does. Matching then works on *normal forms*: lower case, apostrophes removed (so "I'm",
"i'm" and speech-to-text "im" are one form) and punctuation tokens dropped (so "sorry, ma'am"
and "sorry maam" read the same). Punctuation is remembered as a clause boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.attrs import IDX, ORTH
from spacy.tokenizer import Tokenizer

_APOSTROPHES = str.maketrans("", "", "'’‘`")
_ATTRS = [ORTH, IDX]


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
    n_upper : int
        Words written in capitals (two letters or more, spoken digits not counted).
    lang_counts : dict
        Function words per language (``en``, ``ms``, ``tl``), for the language tag.
    """

    forms: list[str]
    starts: list[int]
    ends: list[int]
    boundary_before: list[bool]
    n_upper: int
    lang_counts: dict[str, int]


NAME_WORD = re.compile(r"[^\W\d_][\w'-]*")
"""A word that can be (part of) a name: letters, then letters, digits, apostrophes or hyphens."""


NUMBER_WORDS = frozenset(
    "zero oh one two three four five six seven eight nine ten kosong sifar satu dua tiga empat lima enam "
    "tujuh lapan sembilan sepuluh isa dalawa tatlo apat anim pito walo siyam sampu".split()
)
"""Spoken digits. A name given with a phone number ("marites gonzales zero nine...") ends at
them, and digits spelled in capitals ("A B DUA DUA SEMBILAN") are not shouting."""

HESITATIONS = frozenset(
    "uh uhh uhm uhmm um umm er err erm ermm emm emmm ehm ahm hmm hm mm mhm".split()
)
"""Sounds of hesitation that speech-to-text writes as words. They are left out of the tokens, so
"i uh dont know" matches what "i dont know" matches and the model reads the same words. "ah",
"eh" and "oh" are not here: they are also particles and interjections that carry meaning in
Malay and Tagalog ("eh kayo po kasi")."""


INNER_PARTICLES = frozenset({"ah", "eh"})
"""Particles that stay tokens but do not break a lexicon phrase when said between its words:
"i will ah check" matches "i will check". They are matched where a pattern names them ("ok
ah"), and spoken at a phrase's edge they are outside its match."""


def tokenize(text: str) -> Tokens:
    """Tokenise ``text`` once and return its :class:`Tokens`."""
    return tokens_from_doc(tokenizer()(text))


# What csqa needs to know about a vocabulary entry, computed once per distinct token text:
# (normal form, what to skip it as, written in capitals, length, language of the function word);
# skipped: _WORD (not skipped), _PUNCTUATION (marks a boundary) or _HESITATION (no trace).
_Lexeme = tuple[str, int, bool, int, "str | None"]
_WORD, _PUNCTUATION, _HESITATION = 0, 1, 2
_LEXEMES: dict[int, _Lexeme] = {}


def _describe(orth: int, vocab: spacy.vocab.Vocab) -> _Lexeme:
    from csqa.language import word_languages

    text = vocab.strings[orth]
    form = text.lower().translate(_APOSTROPHES)
    capitals = len(text) > 1 and text.isupper() and form not in NUMBER_WORDS
    skip = _PUNCTUATION if vocab[orth].is_punct else _HESITATION if form in HESITATIONS else _WORD
    lex = (form, skip, capitals, len(text), word_languages().get(form))
    _LEXEMES[orth] = lex
    return lex


def tokens_from_doc(doc: spacy.tokens.Doc) -> Tokens:
    """Build :class:`Tokens` from a spaCy ``Doc`` made by :func:`tokenizer`.

    Token attributes are read as arrays and looked up in a per-process table keyed by the
    token's text, so the per-token Python work is one dictionary lookup.
    """
    array = doc.to_array(_ATTRS)
    forms: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    boundary: list[bool] = []
    n_upper = 0
    counts = {"en": 0, "ms": 0, "tl": 0}
    pending_boundary = False
    lexemes = _LEXEMES
    for orth, idx in array.tolist():
        lex = lexemes.get(orth) or _describe(orth, doc.vocab)
        if lex[1]:
            pending_boundary = pending_boundary or lex[1] == _PUNCTUATION
            continue
        forms.append(lex[0])
        starts.append(idx)
        ends.append(idx + lex[3])
        boundary.append(pending_boundary)
        pending_boundary = False
        if lex[2]:
            n_upper += 1
        if lex[4] is not None:
            counts[lex[4]] += 1
    return Tokens(forms, starts, ends, boundary, n_upper, counts)


@lru_cache(maxsize=65536)
def phrase_forms(phrase: str) -> tuple[str, ...]:
    """Return the normal forms of the word tokens of a lexicon phrase (e.g. ``"i-check"``).

    Cached: a lexicon names the same words thousands of times once its groups are expanded."""
    return tuple(tokens_from_doc(tokenizer()(phrase)).forms)
