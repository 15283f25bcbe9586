"""Train a :class:`csqa.classifier.BehaviourModel` from gold-labelled utterances (``csqa train``).

Input is the gold-label format (canonical utterance JSONL plus ``labels``). Each behaviour gets
one linear classifier over the shared n-gram features (:func:`fit_linear`: the mean of a plain
and a log-count-ratio-scaled logistic regression), trained on the turns of the speaker it
belongs to. Its threshold is chosen from out-of-fold probabilities (folds grouped by call,
so turns of one call never sit on both sides): the lowest threshold, not below 0.5, whose
cross-validated precision reaches ``target_precision``. The cross-validated precision and
recall at that threshold are kept in the model's ``info``.

:func:`tune_thresholds` then (optionally) re-sets the thresholds on a labelled validation batch
the model was not trained on, such as the dev half of the samples: out-of-fold figures on the
training set itself are optimistic when it was written in one style. :func:`cross_fit` goes one
step further and also trains on those calls: models trained without one group of calls set the
thresholds on that group, and the shipped model is trained on everything.
"""

from __future__ import annotations

import glob
import re
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from csqa._version import __version__
from csqa.behaviours import BEHAVIOURS
from csqa.classifier import BehaviourModel, Features, previous_turns, today
from csqa.errors import InputError
from csqa.evaluation import gold_labels
from csqa.nlp import Tokens, tokenizer, tokens_from_doc
from csqa.types import PathLike

MODELLED: tuple[str, ...] = (
    "apology", "empathy", "offers_to_find_out", "clarifying_question", "sets_next_steps",
    "escalation_offer", "documents_interaction", "soft_sell", "argues_with_customer",
    "rude_or_hostile", "negative_language", "overpromise_favour", "customer_hostile",
    "customer_reported_problem",
)
"""Behaviours a model is trained for by default: the open-ended, utterance-level ones. Names,
positions (greeting, closing), timing and call-level judgements stay with the lexicons and rules."""
MIN_POSITIVES = 10
C = 8.0
"""Inverse regularisation strength of every logistic regression. Trained on batches 1-3, 7 and 9
and scored on the tuning and dev calls, the mean average precision over the modelled behaviours
was 0.890 / 0.895 / 0.898 / 0.900 at C = 2 / 4 / 8 / 16 (docs/models.md)."""
THRESHOLDS = np.round(np.arange(0.5, 0.96, 0.025), 3)
CONFIRM_FLOOR = 0.3
"""Below this probability a trained model overrules a lexicon hit of its behaviours
(:attr:`csqa.classifier.BehaviourModel.confirm_floor`). 0.2 was chosen on a training batch that
neither the lexicons nor the model had seen; with model 8's sharper scores, 0.3 and 0.4 did
better on batch 8 and the held-out halves (docs/models.md)."""


def tokenise(texts: Iterable[str]) -> list[Tokens]:
    """Tokens of each text, with the tokenizer the detector uses."""
    return [tokens_from_doc(doc) for doc in tokenizer().pipe(list(texts), batch_size=2000)]


def train(
    gold: pd.DataFrame | PathLike | Sequence[PathLike],
    *,
    behaviours: Sequence[str] = MODELLED,
    name: str = "csqa-behaviours",
    target_precision: float = 0.9,
    folds: int = 5,
    seed: int = 0,
) -> BehaviourModel:
    """Train one classifier per behaviour on gold-labelled utterances.

    Parameters
    ----------
    gold : DataFrame, path or list of paths
        Gold-label utterances (``call_id``, ``turn``, ``speaker``, ``text``, ``labels``).
    behaviours : sequence of str
        Behaviour ids to train; each must be an utterance-level agent or customer behaviour with
        at least ``MIN_POSITIVES`` labelled turns (others are listed in ``info["skipped"]``).
    name : str
        Stored in the model; its hits carry ``source = "model:<name>"``.
    target_precision : float
        Cross-validated precision each threshold aims for.
    folds : int
        Cross-validation folds (grouped by call) for the thresholds; below 2, no cross-validation
        and every threshold is the lowest of ``THRESHOLDS`` (for models whose thresholds are set
        elsewhere, as :func:`cross_fit` does).
    seed : int

    Returns
    -------
    BehaviourModel

    Raises
    ------
    InputError
        Unknown behaviour ids, a table without labels, or no behaviour with enough positives.
    """
    table = _gold_table(gold)
    unknown = [b for b in behaviours if b not in BEHAVIOURS]
    if unknown:
        raise InputError(f'train: "{unknown[0]}" is not a behaviour id (see `csqa behaviours`)')
    labels = gold_labels(table)
    positives = set(zip(labels["call_id"], labels["turn"], labels["behaviour"]))
    docs = tokenise(table["text"].astype(str))
    contexts = previous_turns(docs, table["call_id"].tolist())
    features = Features.fit(docs, [c for c in contexts if c is not None])
    x = features.transform(docs, contexts)
    speakers = table["speaker"].to_numpy(dtype=object)
    groups = pd.factorize(table["call_id"])[0]
    keys = list(zip(table["call_id"], table["turn"]))

    kept: list[str] = []
    columns: list[np.ndarray] = []
    intercepts: list[float] = []
    thresholds: list[float] = []
    report: dict[str, dict[str, float]] = {}
    skipped: dict[str, str] = {}
    for behaviour in behaviours:
        speaker = BEHAVIOURS[behaviour].speaker
        rows = np.flatnonzero(speakers == speaker)
        y = np.array([(c, t, behaviour) in positives for c, t in (keys[i] for i in rows)])
        if y.sum() < MIN_POSITIVES or (~y).sum() < MIN_POSITIVES:
            skipped[behaviour] = f"{int(y.sum())} positive turns (needs {MIN_POSITIVES})"
            continue
        if folds >= 2:
            oof = _out_of_fold(x[rows], y, groups[rows], folds, seed)
            threshold, precision, recall = _threshold(oof, y, target_precision)
        else:
            threshold, precision, recall = float(THRESHOLDS[0]), float("nan"), float("nan")
        coef, intercept = fit_linear(x[rows], y)
        kept.append(behaviour)
        columns.append(coef.astype(np.float32))
        intercepts.append(intercept)
        thresholds.append(threshold)
        report[behaviour] = {"positives": int(y.sum()), "turns": int(len(y)), "threshold": threshold,
                             "cv_precision": round(precision, 3), "cv_recall": round(recall, 3)}
    if not kept:
        raise InputError(f"train: no behaviour has {MIN_POSITIVES} labelled turns ({'; '.join(f'{b}: {r}' for b, r in skipped.items())})")
    info = {
        "name": name, "trained": today(), "csqa_version": __version__, "utterances": len(table),
        "calls": int(table["call_id"].nunique()), "features": features.n_features,
        "target_precision": target_precision, "folds": folds, "behaviours": report, "skipped": skipped,
    }
    return BehaviourModel(
        features=features, behaviours=tuple(kept),
        speakers=tuple(BEHAVIOURS[b].speaker for b in kept),
        weights=np.stack(columns, axis=1), intercepts=np.array(intercepts, dtype=np.float32),
        thresholds=np.array(thresholds, dtype=np.float32), info=info, confirm_floor=CONFIRM_FLOOR,
    )


def _gold_table(gold: pd.DataFrame | PathLike | Sequence[PathLike]) -> pd.DataFrame:
    if isinstance(gold, pd.DataFrame):
        table = gold
    else:
        from csqa.readers import read_table

        table = read_table(gold).utterances
    if "labels" not in table:
        raise InputError("train: the labelled file has no 'labels' field (gold-label format: docs/gold-labels.md)")
    return table.sort_values(["call_id", "turn"], kind="stable").reset_index(drop=True)


def labelled_calls(paths: Sequence[str], default_split: str = "all") -> pd.DataFrame:
    """The gold-labelled utterances of several files, concatenated.

    Each entry is ``PATH`` or ``PATH@SPLIT``: ``SPLIT`` (``dev``, ``test`` or ``all``) picks
    which calls of each file to use (:func:`csqa.evaluation.in_split`); an entry without one
    takes ``default_split``, and so does a file whose own name has an "@". ``PATH`` may be a
    glob pattern (``"data/tuning/*.jsonl"``). Raises InputError for an unknown split or a
    pattern that matches nothing."""
    from pathlib import Path

    from csqa.evaluation import SPLITS

    tables = []
    for spec in paths:
        path, _, split = spec.rpartition("@") if "@" in spec and not Path(spec).exists() else (spec, "", default_split)
        if split not in SPLITS:
            raise InputError(f'train: "{spec}": split "{split}" is not one of: {", ".join(SPLITS)}')
        matched = sorted(glob.glob(path)) if glob.has_magic(path) else [path]
        if not matched:
            raise InputError(f'train: "{path}" matches no file')
        tables += [_split_table(p, split) for p in matched]
    return pd.concat(tables, ignore_index=True)


def fit_linear(x: sp.spmatrix, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights and intercept of one behaviour's linear classifier over feature rows ``x`` and labels ``y`` (true: positive).

    The mean of two logistic regressions (``C``, balanced class weights): one on the features as
    they are, one on the features scaled by their log-count ratio, the log of how much more often
    a feature occurs in the positive turns than in the others (the "NB-LR" of Wang and Manning,
    2012). The scaling lets a few telling n-grams ("as i said", "your problem") outweigh many weak
    ones, which helps the behaviours carried by one phrase; the plain regression keeps the broad
    evidence the others need. Both are linear in the features, so their mean is one weight vector
    (the scaled regression's weights multiplied back by the ratios)."""
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(y, dtype=bool)

    def regression(features: sp.spmatrix) -> tuple[np.ndarray, float]:
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, solver="liblinear").fit(features, y)
        return model.coef_.ravel(), float(model.intercept_[0])

    present = (x != 0).astype(np.float64)
    pos = 1.0 + np.asarray(present[y].sum(axis=0)).ravel()
    neg = 1.0 + np.asarray(present[~y].sum(axis=0)).ravel()
    ratio = np.log((pos / pos.sum()) / (neg / neg.sum()))
    plain, plain_intercept = regression(x)
    scaled, scaled_intercept = regression(x @ sp.diags(ratio))
    return (plain + scaled * ratio) / 2, (plain_intercept + scaled_intercept) / 2


def _out_of_fold(x: sp.spmatrix, y: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Out-of-fold probabilities of :func:`fit_linear`, folds grouped by call and stratified by label."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_splits = max(2, min(folds, int(y.sum()), len(set(groups))))
    oof = np.zeros(len(y))
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "least populated class" on small sets
        for fit_rows, test_rows in splitter.split(np.zeros(len(y)), y, groups):
            if y[fit_rows].all() or not y[fit_rows].any():
                continue
            coef, intercept = fit_linear(x[fit_rows], y[fit_rows])
            oof[test_rows] = 1.0 / (1.0 + np.exp(-(x[test_rows] @ coef + intercept)))
    return oof


def _threshold(prob: np.ndarray, y: np.ndarray, target: float) -> tuple[float, float, float]:
    """Lowest threshold (of ``THRESHOLDS``) with precision >= target; else the most precise one."""
    best = (float(THRESHOLDS[-1]), 0.0, 0.0)
    best_precision = -1.0
    for t in THRESHOLDS:
        pred = prob >= t
        if not pred.any():
            continue
        precision = float((pred & y).sum() / pred.sum())
        recall = float((pred & y).sum() / y.sum())
        if precision >= target:
            return float(t), precision, recall
        if precision > best_precision:
            best_precision, best = precision, (float(t), precision, recall)
    return best


MIN_WRITER_POSITIVES = 3
"""A writer counts in the by-writer threshold objective with at least this many positives."""
LEXICON_PRECISION_SLACK = 0.01
"""Where the lexicons alone are below the target precision, the model's hits may lower theirs by
this much (by-writer precision moves by more than that between neighbouring thresholds, so a
strict floor would keep the model out for noise)."""


def writer_groups(call_ids: Sequence[object]) -> np.ndarray:
    """The writer (or source) of each call: its id without the trailing call number
    ("tr-en-k-0012" -> "tr-en-k", the samples' "ms-0007" -> "ms")."""
    return np.array([re.sub(r"-\d+$", "", str(c)) for c in call_ids], dtype=object)


def _combined_threshold(prob: np.ndarray, lexical: np.ndarray, y: np.ndarray, target: float,
                        groups: np.ndarray | None = None) -> tuple[float, float, float]:
    """Threshold (of ``THRESHOLDS``, or infinity: the model adds nothing) that maximises the F1
    of the lexicon's hits plus the model's, among those whose combined precision is at least
    ``target`` (or, where the lexicon alone is below ``target``, at least the lexicon's less
    ``LEXICON_PRECISION_SLACK``); ties go to the higher threshold. Returns (threshold,
    precision, recall) of the combination, pooled over all turns.

    With ``groups`` (the writer of each turn, :func:`writer_groups`), F1 is the mean of the
    writers' F1 and precision the median writer's, over writers with at least
    ``MIN_WRITER_POSITIVES`` positives: one writer whose labels follow another convention then
    cannot hold a threshold up for everyone."""
    def scores(t: float) -> tuple[float, float, float]:
        pred = lexical | (prob >= t)
        tp = float((pred & y).sum())
        precision = tp / pred.sum() if pred.any() else 0.0
        recall = tp / y.sum() if y.any() else 0.0
        return (2 * precision * recall / (precision + recall) if tp else 0.0), precision, recall

    writers = [] if groups is None else [groups == g for g in np.unique(groups) if y[groups == g].sum() >= MIN_WRITER_POSITIVES]

    def objective(t: float) -> tuple[float, float]:
        if not writers:
            return scores(t)[:2]
        pred = lexical | (prob >= t)
        f1s, precisions = [], []
        for m in writers:
            tp = float((pred[m] & y[m]).sum())
            precision = tp / pred[m].sum() if pred[m].any() else 1.0
            recall = tp / y[m].sum()
            f1s.append(2 * precision * recall / (precision + recall) if tp else 0.0)
            precisions.append(precision)
        return float(np.mean(f1s)), float(np.median(precisions))

    alone = objective(float("inf"))[1]
    floor = target if alone >= target else alone - LEXICON_PRECISION_SLACK
    best = (-1.0, float("inf"))
    for t in [*map(float, THRESHOLDS), float("inf")]:
        f1, precision = objective(t)
        if precision >= floor and (round(f1, 4), t) > (round(best[0], 4), best[1]):
            best = (f1, t)
    return best[1], *scores(best[1])[1:]


def tune_thresholds(
    model: BehaviourModel,
    gold: pd.DataFrame | PathLike | Sequence[PathLike],
    *,
    split: str = "all",
    target_precision: float = 0.9,
    min_positives: int = 5,
    combined: bool = False,
    by_writer: bool = False,
) -> BehaviourModel:
    """Re-set each behaviour's threshold on a validation batch; drop behaviours that miss.

    The threshold becomes the lowest of ``THRESHOLDS`` at which the model alone reaches
    ``target_precision`` on the batch's turns of the behaviour's speaker. A behaviour with no
    such threshold (or fewer than ``min_positives`` labelled turns) is dropped from the model
    and listed in ``info["skipped"]`` with its best precision.

    Parameters
    ----------
    model : BehaviourModel
    gold : DataFrame, path or list of paths
        Gold-labelled utterances the model was not trained on.
    split : {"all", "dev", "test"}
        Only these calls of the batch (:func:`csqa.evaluation.in_split`).
    target_precision : float
    min_positives : int
    combined : bool
        Set each threshold for the lexicons and the model together instead: the one that
        maximises the F1 of the shipped lexicons' hits plus the model's on the batch, keeping
        their precision at ``target_precision`` (or at the lexicons' own, where that is lower).
        The threshold may be infinite: the model then only confirms lexicon hits. Tune this way
        on calls the lexicons were not written from.
    by_writer : bool
        With ``combined``: judge each threshold by the mean F1 of the batch's writers and the
        median writer's precision (:func:`_combined_threshold`), so that no one writer's label
        convention sets it for all.

    Returns
    -------
    BehaviourModel
        A new model; ``info["tuned"]`` holds each behaviour's precision and recall on the batch.
    """
    table = _split_table(gold, split)
    docs = tokenise(table["text"].astype(str))
    prob = model.probabilities(docs, previous_turns(docs, table["call_id"].tolist()))
    return _set_thresholds(model, table, dict(zip(model.behaviours, prob.T)), target_precision, min_positives,
                           {"split": split, "utterances": len(table)}, combined, by_writer)


def cross_fit(
    corpus: pd.DataFrame | PathLike | Sequence[PathLike],
    gold: pd.DataFrame | PathLike | Sequence[PathLike],
    *,
    split: str = "all",
    behaviours: Sequence[str] = MODELLED,
    name: str = "csqa-behaviours",
    target_precision: float = 0.9,
    min_positives: int = 5,
    folds: int = 5,
    combined: bool = False,
    by_writer: bool = False,
) -> BehaviourModel:
    """Train on a corpus plus labelled calls, with thresholds set out-of-fold on those calls.

    The calls of ``gold`` (its ``split``) are cut into ``folds`` groups by sorted call id. For
    each group a model is trained on the corpus and the other groups and scores the group it did
    not see; the thresholds are then set on these out-of-fold probabilities as in
    :func:`tune_thresholds`, and the model that is returned is trained on the corpus and all the
    calls. So the calls both teach the model and set its thresholds without any call scoring
    itself.

    Parameters
    ----------
    corpus : DataFrame, path or list of paths
        Gold-labelled utterances used for training only.
    gold : DataFrame, path or list of paths
        Gold-labelled calls used for training and thresholds.
    split : {"all", "dev", "test"}
        Which calls of ``gold`` to use (:func:`csqa.evaluation.in_split`).
    behaviours, name, target_precision, min_positives, combined, by_writer
        As in :func:`train` and :func:`tune_thresholds`.
    folds : int
        Groups of calls (at least 2).

    Returns
    -------
    BehaviourModel
        ``info["tuned"]`` holds each behaviour's out-of-fold precision and recall on the calls;
        behaviours that miss ``target_precision`` there are dropped, as in :func:`tune_thresholds`.
    """
    base = _gold_table(corpus)
    calls = _split_table(gold, split)
    ids = sorted(calls["call_id"].unique())
    if len(ids) < max(folds, 2):
        raise InputError(f"cross_fit: {len(ids)} calls to tune on; needs at least {max(folds, 2)}")
    group = calls["call_id"].map({c: i % folds for i, c in enumerate(ids)}).to_numpy()
    docs = tokenise(calls["text"].astype(str))
    contexts = previous_turns(docs, calls["call_id"].tolist())
    prob = {b: np.zeros(len(calls)) for b in behaviours}
    for k in range(folds):
        held = np.flatnonzero(group == k)
        model = train(pd.concat([base, calls[group != k]], ignore_index=True), behaviours=behaviours, name=name, folds=0)
        p = model.probabilities([docs[i] for i in held], [contexts[i] for i in held])
        for j, behaviour in enumerate(model.behaviours):
            prob[behaviour][held] = p[:, j]
    final = train(pd.concat([base, calls], ignore_index=True), behaviours=behaviours, name=name, folds=0)
    return _set_thresholds(final, calls, prob, target_precision, min_positives,
                           {"split": split, "utterances": len(calls), "cross_fit_folds": folds}, combined, by_writer)


def _split_table(gold: pd.DataFrame | PathLike | Sequence[PathLike], split: str) -> pd.DataFrame:
    from csqa.evaluation import in_split

    table = _gold_table(gold)
    return table[in_split(table["call_id"], split)].reset_index(drop=True)


def _set_thresholds(model: BehaviourModel, table: pd.DataFrame, prob: dict[str, np.ndarray], target_precision: float,
                    min_positives: int, tuned_on: dict[str, object], combined: bool = False,
                    by_writer: bool = False) -> BehaviourModel:
    """``model`` with each behaviour's threshold set on ``prob`` (its probabilities on ``table``'s
    turns), keeping only the behaviours that reach ``target_precision`` there; with ``combined``,
    the thresholds are set for the lexicons' hits plus the model's (:func:`_combined_threshold`),
    with ``by_writer`` judged writer by writer."""
    lexical, final = _lexicon_hits(table) if combined else (set(), set())
    writers = writer_groups(table["call_id"]) if by_writer else None
    positives = set(zip(*(gold_labels(table)[c] for c in ("call_id", "turn", "behaviour"))))
    speakers = table["speaker"].to_numpy(dtype=object)
    keys = list(zip(table["call_id"], table["turn"]))
    keep: list[int] = []
    thresholds: list[float] = []
    tuned: dict[str, dict[str, float]] = {}
    skipped = dict(model.info.get("skipped", {}))
    for j, (behaviour, speaker) in enumerate(zip(model.behaviours, model.speakers, strict=True)):
        rows = np.flatnonzero(speakers == speaker)
        y = np.array([(*keys[i], behaviour) in positives for i in rows], dtype=bool)
        if combined:
            found = np.array([(*keys[i], behaviour) in lexical for i in rows], dtype=bool)
            stands = np.array([(*keys[i], behaviour) in final for i in rows], dtype=bool)
            confirmed = found & ((prob[behaviour][rows] >= model.confirm_floor) | stands)
            threshold, precision, recall = _combined_threshold(prob[behaviour][rows], confirmed, y, target_precision,
                                                               None if writers is None else writers[rows])
        else:
            threshold, precision, recall = _threshold(prob[behaviour][rows], y, target_precision)
        if y.sum() < min_positives or (precision < target_precision and not combined):
            skipped[behaviour] = (f"validation precision {precision:.2f} < {target_precision:.2f}"
                                  if y.sum() >= min_positives else f"{int(y.sum())} validation positives")
            continue
        keep.append(j)
        thresholds.append(threshold)
        tuned[behaviour] = {"positives": int(y.sum()), "threshold": threshold,
                            "precision": round(precision, 3), "recall": round(recall, 3)}
    info = {**model.info, "tuned": tuned, "tuned_on": {**tuned_on, "combined_with_lexicons": combined, "by_writer": by_writer},
            "skipped": skipped}
    return BehaviourModel(
        features=model.features, behaviours=tuple(model.behaviours[j] for j in keep),
        speakers=tuple(model.speakers[j] for j in keep), weights=model.weights[:, keep],
        intercepts=model.intercepts[keep], thresholds=np.array(thresholds, dtype=np.float32), info=info,
        confirm_floor=model.confirm_floor,
    )


def _lexicon_hits(table: pd.DataFrame) -> tuple[set[tuple[object, int, str]], set[tuple[object, int, str]]]:
    """(call_id, turn, behaviour) of every hit the shipped lexicons and rules make in ``table``,
    and of those made by a final rule (:attr:`csqa.lexicon.Rule.final`: the model does not
    overrule them)."""
    from csqa.detection import detect, lexical_detector
    from csqa.lexicon import load_lexicon

    hits = detect(table.drop(columns=["labels"])).hits
    final_ids = lexical_detector(load_lexicon()).final
    keys = list(zip(hits["call_id"], hits["turn"], hits["behaviour"]))
    return set(keys), {k for k, source in zip(keys, hits["source"]) if source in final_ids}
