"""Detection: canonical utterances in, hits out (plus language tags).

``detect`` runs the lexical pass (one tokenisation per utterance, every language's rules at
once, guards) and then the conversation rules in order. It never changes its input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from csqa import classifier
from csqa.classifier import BehaviourModel, previous_turns, window_around
from csqa.detection.base import CUE_COLUMNS, CallContext, hits_frame
from csqa.detection.conversation import RULES, build_rules
from csqa.detection.lexical import LexicalDetector
from csqa.language import fill_tags, tag_counts
from csqa.lexicon import Lexicon, load_lexicon
from csqa.nlp import Tokens, tokens_from_doc, tokenizer

EDGE_AGENT_TURNS = 2
"""How many of the agent's first (last) turns count as the opening (closing), for rules with
``where: opening`` (``closing``)."""

OPENING_ENDS_AFTER_WORDS = 4
"""A customer turn of this many words or more (the customer already talking about the matter)
ends the opening: "hi nadia how can i help" after "my parcel never came" is not a greeting.
Shorter customer turns ("hello?", "hi good morning") leave it open."""

__all__ = ["Detection", "detect", "LexicalDetector", "RULES"]


@dataclass(frozen=True)
class Detection:
    """What ``detect`` returns.

    Attributes
    ----------
    hits : DataFrame
        One row per behaviour found in one turn (``HIT_COLUMNS``), sorted by call, turn, behaviour.
    lang : Series
        Language tag of each utterance, aligned with the input rows.
    call_lang : Series
        Language tag of each call, indexed by call_id.
    """

    hits: pd.DataFrame
    lang: pd.Series
    call_lang: pd.Series


_detectors: dict[int, LexicalDetector] = {}


def lexical_detector(lexicon: Lexicon) -> LexicalDetector:
    """The (cached) lexical detector for a lexicon: its matcher is compiled once per process."""
    key = id(lexicon)
    if key not in _detectors:
        _detectors[key] = LexicalDetector(lexicon)
    return _detectors[key]


def detect(
    utterances: pd.DataFrame,
    *,
    lexicon: Lexicon | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    model: BehaviourModel | None = None,
) -> Detection:
    """Find every behaviour in a table of canonical utterances.

    Parameters
    ----------
    utterances : DataFrame
        Canonical utterance table (``call_id``, ``turn``, ``speaker``, ``text``, and ``start``/
        ``end`` when known), one or more whole calls.
    lexicon : Lexicon, optional
        Rules to use; the shipped lexicons by default.
    params : mapping, optional
        Conversation-rule parameters by rule name, e.g. ``{"csqa.dead_air.v1": {"threshold_s": 8}}``.
    model : BehaviourModel, optional
        Trained classifiers whose hits are added to the lexicon's (a turn the lexicon already
        found for a behaviour keeps the lexicon's evidence); a lexicon hit of a behaviour the
        model covers is dropped where the model scores the turn below its ``confirm_floor``.
        None: lexicons and rules only.

    Returns
    -------
    Detection
    """
    lexicon = lexicon or load_lexicon()
    detector = lexical_detector(lexicon)
    u = utterances.sort_values(["call_id", "turn"], kind="stable").reset_index(drop=True)
    for col in ("start", "end"):
        if col not in u:
            u[col] = float("nan")
    hit_rows: list[tuple] = []
    cue_rows: list[tuple] = []
    where: list[str] = []
    n_words: list[int] = []
    n_upper: list[int] = []
    tags: list[str | None] = []
    counts: list[dict[str, int]] = []
    texts = u["text"].tolist()
    speakers = u["speaker"].tolist()
    calls = u["call_id"].tolist()
    turns = u["turn"].tolist()
    docs: list[Tokens] = []
    for i, doc in enumerate(tokenizer().pipe(texts, batch_size=2000)):
        tokens = tokens_from_doc(doc)
        if model is not None:
            docs.append(tokens)
        n_words.append(len(tokens.forms))
        n_upper.append(tokens.n_upper)
        counts.append(tokens.lang_counts)
        tags.append(tag_counts(tokens.lang_counts))
        for m in detector.match_tokens(tokens, speakers[i]):
            rule = m.rule
            if rule.label.startswith("cue."):
                cue_rows.append((calls[i], turns[i], speakers[i], rule.label, m.start_char, m.end_char))
            else:
                hit_rows.append((calls[i], turns[i], speakers[i], rule.label, m.start_char, m.end_char,
                                 texts[i][m.start_char:m.end_char], rule.id, rule.confidence))
                where.append(rule.where)
    scores = pd.DataFrame(index=u.index)
    if model is not None:
        contexts = previous_turns(docs, calls)
        prob = model.probabilities(docs, contexts)
        scores = pd.DataFrame(prob, columns=list(model.behaviours), index=u.index)
        hit_rows, where = _apply_model(model, prob, docs, contexts, speakers, calls, turns, texts, hit_rows, where,
                                       detector.final)
    hits = hits_frame(pd.DataFrame(hit_rows, columns=list(hits_frame().columns)))
    hits = _keep_in_position(hits, pd.Series(where, dtype=object), u)
    cues = pd.DataFrame(cue_rows, columns=list(CUE_COLUMNS))
    stats = pd.DataFrame({"n_words": n_words, "n_upper": n_upper})
    lang, call_lang = fill_tags(u["call_id"], pd.Series(tags, dtype=object), counts)
    ctx = CallContext(u, hits, cues, stats, dict(params or {}), lexicon.names, scores)
    for rule in build_rules({k: dict(v) for k, v in (params or {}).items()}):
        found = rule.detect(ctx)
        kept = ctx.hits[~ctx.hits["behaviour"].isin(getattr(rule, "replaces", ()))]
        ctx.hits = pd.concat([kept, found], ignore_index=True) if len(found) else kept
    hits = ctx.hits.sort_values(["call_id", "turn", "behaviour"], kind="stable").reset_index(drop=True)
    lang.index = utterances.sort_values(["call_id", "turn"], kind="stable").index
    return Detection(hits_frame(hits), lang.reindex(utterances.index), call_lang)


def _apply_model(model: BehaviourModel, prob: np.ndarray, docs: list[Tokens], contexts: list[Tokens | None],
                 speakers: list[str], calls: list[Any], turns: list[int], texts: list[str], lexical: list[tuple],
                 where: list[str], final: frozenset[str]) -> tuple[list[tuple], list[str]]:
    """The lexicon's hit rows (and their ``where``) with the model's verdict (``prob``, its
    probabilities for ``docs`` after ``contexts``) applied: lexicon hits of the model's behaviours
    that it scores below its ``confirm_floor`` are dropped, unless their rule is in ``final``
    (:attr:`csqa.lexicon.Rule.final`), and its own finds in turns the lexicon
    did not already find them in are added. In a turn longer than the model's windows a lexicon
    hit is also scored on the words around it (:func:`csqa.classifier.window_around`), and kept
    when either score reaches the floor."""
    if model.confirm_floor > 0:
        row_of = {(c, t): i for i, (c, t) in enumerate(zip(calls, turns))}
        column = {b: j for j, b in enumerate(model.behaviours)}
        row = [row_of[r[0], r[1]] for r in lexical]
        dropped = {k for k, r in enumerate(lexical)
                   if r[3] in column and r[7] not in final and prob[row[k], column[r[3]]] < model.confirm_floor}
        long = [k for k in sorted(dropped) if len(docs[row[k]].forms) > classifier.WINDOW_WORDS]
        if long:
            local = model.probabilities([window_around(docs[row[k]], lexical[k][4], lexical[k][5]) for k in long],
                                        [contexts[row[k]] for k in long])
            dropped -= {k for j, k in enumerate(long) if local[j, column[lexical[k][3]]] >= model.confirm_floor}
        kept = [k for k in range(len(lexical)) if k not in dropped]
        lexical, where = [lexical[k] for k in kept], [where[k] for k in kept]
    have = {(r[0], r[1], r[3]) for r in lexical}
    added = []
    source = f"model:{model.name}"
    for i, behaviour, p in model.hits(prob, speakers):
        if (calls[i], turns[i], behaviour) in have:
            continue
        start, end = model.evidence(docs[i], behaviour)
        added.append((calls[i], turns[i], speakers[i], behaviour, start, end, texts[i][start:end], source, round(p, 3)))
    return lexical + added, where + ["anywhere"] * len(added)


def _keep_in_position(hits: pd.DataFrame, where: pd.Series, u: pd.DataFrame) -> pd.DataFrame:
    """Drop ``where: opening`` (``closing``) hits outside the agent's first (last) turns; the
    opening also ends at the first customer turn of ``OPENING_ENDS_AFTER_WORDS`` words, and the
    agent's first turn is never the closing (in a short call it is among the last two)."""
    positioned = where.ne("anywhere").to_numpy()
    if not positioned.any():
        return hits
    agent = u[u["speaker"].eq("agent")]
    said = (u["speaker"].eq("customer") & (u["text"].str.split().str.len() >= OPENING_ENDS_AFTER_WORDS)).astype("int64")
    opened = said.groupby(u["call_id"]).cumsum() - said  # customer turns of substance before this one
    keys = pd.Series(list(zip(hits["call_id"], hits["turn"])), index=hits.index, dtype=object)
    keep = ~positioned
    by_call = agent.groupby("call_id")
    first = by_call.cumcount()
    for name, rank in (("opening", first.where(opened[agent.index].eq(0), EDGE_AGENT_TURNS)),
                       ("closing", by_call.cumcount(ascending=False).where(first.gt(0), EDGE_AGENT_TURNS))):
        edge = set(zip(agent.loc[rank < EDGE_AGENT_TURNS, "call_id"], agent.loc[rank < EDGE_AGENT_TURNS, "turn"]))
        keep |= where.eq(name).to_numpy() & keys.map(lambda k: k in edge).to_numpy(dtype=bool)
    return hits[keep].reset_index(drop=True)
