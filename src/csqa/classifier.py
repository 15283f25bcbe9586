"""Trained behaviour classifiers: word and character n-grams, one linear classifier per behaviour.

The lexicons are precise but catch only the wordings someone wrote down. For open-ended
behaviours (arguing, hostility, next steps said a hundred ways) a linear model over word uni-,
bi- and trigrams plus character n-grams inside words generalises further: the character n-grams
carry affixes (``nag-``, ``-kan``, ``i-``), spelling variants and speech-to-text slips, in any
of the three languages and in mixed speech. The detector OR-s the model's hits with the
lexicon's (:func:`csqa.detection.detect`).

Features are built from the :class:`csqa.nlp.Tokens` the lexical pass already made, so an
utterance is tokenised once. Character n-grams are computed once per distinct word and summed
per utterance, then TF-IDF weighted and L2-normalised; scores are one sparse-dense product.
The words of the turn before (whoever said it) are a second, lighter block of features: an
upgrade offer reads differently after "how much is roaming", a firm reply after an insult.

A model hit's evidence is the run of words that pushed its score up most: the score is a sum
over n-grams, each character n-gram belongs to one word and each word n-gram to its words, so
every word gets a share, and the best-scoring contiguous run is the evidence.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from csqa.nlp import Tokens

FORMAT = 1
"""Version of the saved model layout; :func:`csqa.models.load_model` refuses other versions."""
CHAR_NGRAMS = (2, 5)
"""Lengths of the character n-grams taken inside each word (padded with a space each side)."""
WORD_NGRAMS = 3
"""Longest run of words taken as one feature ("as i said", "not my problem")."""
MIN_DF = 2
"""An n-gram must occur in at least this many training utterances to become a feature."""
CONTEXT_WEIGHT = 0.5
"""Length of the previous turn's block of features relative to the utterance's own (both L2-normalised)."""
EVIDENCE_MAX_WORDS = 12
EVIDENCE_TOLL = 0.25
WINDOW_WORDS = 20
"""A turn longer than this is also scored in windows of this many words (the labelled turns'
90th percentile is 21 words; a real agent's turn can run to a hundred)."""
WINDOW_STRIDE = 6
"""Words between the starts of neighbouring windows: a phrase of up to eight words lies whole in
at least two neighbouring windows."""


def word_char_ngrams(form: str, lengths: tuple[int, int] = CHAR_NGRAMS) -> list[str]:
    """Character n-grams of one word's normal form, padded with a space on each side."""
    padded = f" {form} "
    lo, hi = lengths
    return [padded[i:i + n] for n in range(lo, hi + 1) for i in range(len(padded) - n + 1)]


def _word_features(forms: Sequence[str]) -> list[str]:
    """Word n-grams of one utterance, 1 to ``WORD_NGRAMS`` words (longer ones joined by a space, prefixed ``_``)."""
    return [*forms, *(f"_{' '.join(forms[i:i + n])}" for n in range(2, WORD_NGRAMS + 1) for i in range(len(forms) - n + 1))]


@dataclass
class Features:
    """The fitted feature space: vocabularies and inverse document frequencies.

    Attributes
    ----------
    words : dict
        Word n-gram -> column.
    chars : dict
        Character n-gram -> column (after the word columns).
    idf : ndarray
        Inverse document frequency of every word and character column.
    context : dict
        Word of the previous turn -> column (after the character columns).
    context_idf : ndarray
        Inverse document frequency of every context column.
    """

    words: dict[str, int]
    chars: dict[str, int]
    idf: np.ndarray
    context: dict[str, int] = field(default_factory=dict)
    context_idf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    _char_cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_own(self) -> int:
        """Number of columns of the utterance's own words and characters."""
        return len(self.words) + len(self.chars)

    @property
    def n_features(self) -> int:
        """Number of columns."""
        return self.n_own + len(self.context)

    @classmethod
    def fit(cls, docs: Sequence[Tokens], contexts: Sequence[Tokens] | None = None) -> Features:
        """Build the vocabularies (n-grams in at least ``MIN_DF`` utterances) and IDF from
        ``docs`` and, when given, the previous turn of each (``contexts``)."""
        word_df: dict[str, int] = {}
        char_df: dict[str, int] = {}
        context_df: dict[str, int] = {}
        for doc in docs:
            for f in set(_word_features(doc.forms)):
                word_df[f] = word_df.get(f, 0) + 1
            for g in {g for form in set(doc.forms) for g in word_char_ngrams(form)}:
                char_df[g] = char_df.get(g, 0) + 1
        for ctx in contexts or ():
            for f in set(ctx.forms):
                context_df[f] = context_df.get(f, 0) + 1
        words = {f: i for i, f in enumerate(sorted(f for f, n in word_df.items() if n >= MIN_DF))}
        chars = {g: i + len(words) for i, g in enumerate(sorted(g for g, n in char_df.items() if n >= MIN_DF))}
        context = {f: i + len(words) + len(chars)
                   for i, f in enumerate(sorted(f for f, n in context_df.items() if n >= MIN_DF))}
        df = np.array([word_df[f] for f in words] + [char_df[g] for g in chars], dtype=np.float64)
        cdf = np.array([context_df[f] for f in context], dtype=np.float64)
        return cls(words, chars, _idf(df, len(docs)), context, _idf(cdf, len(docs)))

    def _chars_of(self, form: str) -> np.ndarray:
        """Columns of a word's character n-grams (cached per distinct word; unknown n-grams dropped)."""
        cols = self._char_cache.get(form)
        if cols is None:
            get = self.chars.get
            cols = np.array([c for g in word_char_ngrams(form) if (c := get(g)) is not None], dtype=np.int32)
            if len(self._char_cache) > 200_000:
                self._char_cache.clear()
            self._char_cache[form] = cols
        return cols

    def transform(self, docs: Sequence[Tokens], contexts: Sequence[Tokens | None] | None = None) -> sp.csr_matrix:
        """TF-IDF, L2-normalised feature matrix (one row per utterance); the previous turns'
        block (``contexts``, None where there is none) is normalised on its own and weighted
        by ``CONTEXT_WEIGHT``."""
        get = self.words.get
        rows = [np.concatenate([np.asarray([c for f in _word_features(doc.forms) if (c := get(f)) is not None], np.int32),
                                *(self._chars_of(form) for form in doc.forms)])
                for doc in docs]
        own = _tfidf_rows(rows, self.idf, 0, self.n_own)
        if not self.context:
            return own
        cget = self.context.get
        ctx_rows = [np.asarray([c for f in (ctx.forms if ctx is not None else ()) if (c := cget(f)) is not None], np.int32)
                    for ctx in (contexts if contexts is not None else [None] * len(docs))]
        ctx = _tfidf_rows(ctx_rows, self.context_idf, self.n_own, len(self.context))
        return sp.hstack([own, ctx * CONTEXT_WEIGHT], format="csr")

    def word_shares(self, doc: Tokens, weights: np.ndarray) -> np.ndarray:
        """Each word's share of a linear score ``weights`` (before normalisation): its own
        unigram and character n-grams, and an equal part of each longer word n-gram it is in."""
        w = weights * self.idf
        forms = doc.forms
        shares = np.zeros(len(forms), dtype=np.float64)
        for i, form in enumerate(forms):
            shares[i] += w[self._chars_of(form)].sum()
            if (c := self.words.get(form)) is not None:
                shares[i] += w[c]
        for n in range(2, WORD_NGRAMS + 1):
            for i in range(len(forms) - n + 1):
                if (c := self.words.get(f"_{' '.join(forms[i:i + n])}")) is not None:
                    shares[i:i + n] += w[c] / n
        return shares


def _windows(doc: Tokens) -> list[Tokens]:
    """The utterance itself and, when it is longer than ``WINDOW_WORDS``, its overlapping windows.

    TF-IDF rows are L2-normalised, so one rude sentence inside a long turn weighs less the longer
    the turn runs; its windows are scored as turns of their own."""
    n = len(doc.forms)
    if n <= WINDOW_WORDS:
        return [doc]
    return [doc, *(_words(doc, a, a + WINDOW_WORDS) for a in [*range(0, n - WINDOW_WORDS, WINDOW_STRIDE), n - WINDOW_WORDS])]


def _words(doc: Tokens, a: int, b: int) -> Tokens:
    """Words ``a`` to ``b`` (exclusive) of an utterance, as an utterance of their own."""
    return Tokens(doc.forms[a:b], doc.starts[a:b], doc.ends[a:b], doc.boundary_before[a:b], doc.n_upper, doc.lang_counts)


def window_around(doc: Tokens, start: int, end: int) -> Tokens:
    """The ``WINDOW_WORDS`` words of an utterance centred on its characters ``start`` to ``end``
    (the whole utterance when it is no longer than that).

    A lexicon hit in a long turn is confirmed by the model on these words, not on the whole turn,
    whose score the rest of the turn dilutes (:func:`csqa.detection.detect`)."""
    n = len(doc.forms)
    if n <= WINDOW_WORDS:
        return doc
    inside = [i for i in range(n) if doc.ends[i] > start and doc.starts[i] < end] or [0]
    first = (inside[0] + inside[-1]) // 2 - WINDOW_WORDS // 2
    first = max(0, min(first, n - WINDOW_WORDS))
    return _words(doc, first, first + WINDOW_WORDS)


def _agreed(z: np.ndarray) -> np.ndarray:
    """One turn's scores from its rows: the whole turn (row 0), then its windows in order.

    A window's score counts only as far as its neighbour agrees (the lower of the two): a
    phrase lies whole in two neighbouring windows, while a window cut in mid-sentence ("we cannot
    waive it but what" without "we can do is ...") differs from the window that goes on."""
    if len(z) <= 2:
        return z[0]
    return np.maximum(z[0], np.minimum(z[1:-1], z[2:]).max(axis=0))


def previous_turns(docs: Sequence[Tokens], call_ids: Sequence[Any]) -> list[Tokens | None]:
    """The turn before each utterance in its call (None at a call's start); rows sorted by call, turn."""
    return [docs[i - 1] if i and call_ids[i - 1] == call_ids[i] else None for i in range(len(docs))]


def _idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    return (np.log((1 + n_docs) / (1 + df)) + 1.0).astype(np.float32)


def _tfidf_rows(rows: list[np.ndarray], idf: np.ndarray, offset: int, width: int) -> sp.csr_matrix:
    """L2-normalised TF-IDF matrix from each row's column ids (repeats count; ids start at ``offset``)."""
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    indices = (np.concatenate(rows) if rows else np.empty(0, np.int32)) - offset
    x = sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=(len(rows), width))
    x.sum_duplicates()
    x = x.multiply(idf[np.newaxis, :]).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return (sp.diags((1.0 / norms).astype(np.float32)) @ x).tocsr()


@dataclass
class BehaviourModel:
    """Linear classifiers for several behaviours over one feature space.

    Attributes
    ----------
    features : Features
    behaviours : tuple of str
        The behaviours it detects, in column order of ``weights``.
    speakers : tuple of str
        Whose turns each behaviour is looked for in (``agent`` or ``customer``).
    weights : ndarray, shape (n_features, n_behaviours)
    intercepts, thresholds : ndarray, shape (n_behaviours,)
        A turn is a hit when its probability is at least the behaviour's threshold.
    confirm_floor : float
        A lexicon hit of one of ``behaviours`` is dropped when the model gives its turn a
        probability below this (0: the model never overrules the lexicons).
    info : dict
        How it was trained: files, counts, cross-validated precision/recall, versions, date.
    """

    features: Features
    behaviours: tuple[str, ...]
    speakers: tuple[str, ...]
    weights: np.ndarray
    intercepts: np.ndarray
    thresholds: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
    confirm_floor: float = 0.0
    format: int = FORMAT

    @property
    def name(self) -> str:
        """The model's name (``info["name"]``), used as the ``source`` of its hits."""
        return str(self.info.get("name", "model"))

    def probabilities(self, docs: Sequence[Tokens], contexts: Sequence[Tokens | None] | None = None) -> np.ndarray:
        """Probability of each behaviour in each utterance, shape (len(docs), n_behaviours).

        ``contexts`` holds the previous turn of each utterance (None at a call's start). A turn
        longer than ``WINDOW_WORDS`` is scored whole and in overlapping windows (:func:`_agreed`)."""
        if not docs:
            return np.zeros((0, len(self.behaviours)), dtype=np.float32)
        if contexts is None:
            contexts = [None] * len(docs)
        parts: list[Tokens] = []
        part_contexts: list[Tokens | None] = []
        spans: list[tuple[int, int]] = []
        for doc, ctx in zip(docs, contexts, strict=True):
            windows = _windows(doc)
            spans.append((len(parts), len(parts) + len(windows)))
            parts += windows
            part_contexts += [ctx] * len(windows)
        z = np.asarray(self.features.transform(parts, part_contexts) @ self.weights + self.intercepts)
        if len(parts) > len(docs):
            whole = z[[a for a, _ in spans]]
            for i, (a, b) in enumerate(spans):
                if b - a > 1:
                    whole[i] = _agreed(z[a:b])
            z = whole
        return 1.0 / (1.0 + np.exp(-z))

    def find(self, docs: Sequence[Tokens], speakers: Sequence[str],
             contexts: Sequence[Tokens | None] | None = None) -> list[tuple[int, str, float]]:
        """Hits as ``(utterance index, behaviour, probability)``, only in each behaviour's speaker's turns."""
        return self.hits(self.probabilities(docs, contexts), speakers)

    def hits(self, prob: np.ndarray, speakers: Sequence[str]) -> list[tuple[int, str, float]]:
        """As :meth:`find`, from probabilities already computed (:meth:`probabilities`)."""
        spk = np.asarray(speakers, dtype=object)
        found: list[tuple[int, str, float]] = []
        for j, (behaviour, speaker) in enumerate(zip(self.behaviours, self.speakers, strict=True)):
            rows = np.flatnonzero((prob[:, j] >= self.thresholds[j]) & (spk == speaker))
            found += [(int(i), behaviour, float(prob[i, j])) for i in rows]
        return found

    def evidence(self, doc: Tokens, behaviour: str) -> tuple[int, int]:
        """Character span (start, end) of the words that raise ``behaviour``'s score most."""
        own = self.weights[: self.features.n_own, self.behaviours.index(behaviour)]
        shares = self.features.word_shares(doc, own)
        if not len(shares):
            return 0, 0
        # Maximum-sum run of at most EVIDENCE_MAX_WORDS words, each word paying a toll of a
        # quarter of the best word's share, so weakly positive neighbours do not widen it.
        shares = shares - EVIDENCE_TOLL * max(float(shares.max()), 0.0)
        best, best_span = -np.inf, (0, 0)
        for i in range(len(shares)):
            total = 0.0
            for j in range(i, min(len(shares), i + EVIDENCE_MAX_WORDS)):
                total += shares[j]
                if total > best:
                    best, best_span = total, (i, j)
        i, j = best_span
        return doc.starts[i], doc.ends[j]


def today() -> str:
    """Today's date (ISO), for a model's ``info``."""
    return _dt.date.today().isoformat()
