"""The scoring pipeline: canonical utterances -> hits -> per-call scores -> per-agent table.

``score_chunk`` is the unit of work every engine runs (one process, joblib workers or Dask
partitions): it takes whole calls and returns their hits and call rows. ``score`` is the public
``csqa.score``: it reads if needed, scores, and aggregates.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from csqa._version import __version__
from csqa.aggregation import aggregate
from csqa.classifier import BehaviourModel
from csqa.detection import RULES, detect
from csqa.errors import InputError
from csqa.lexicon import Lexicon, load_lexicon
from csqa.model_files import load_model, shipped_model_path
from csqa.scorecard import Scorecard
from csqa.scoring import score_calls
from csqa.types import PathLike, REJECT_COLUMNS, SOURCE_COLUMNS

# Columns that are per utterance, so never call metadata.
_UTTERANCE_ONLY = {"turn", "speaker", "text", "start", "end", "lang", "labels", *SOURCE_COLUMNS}


@dataclass
class ScoreResult:
    """What ``csqa.score`` returns.

    Attributes
    ----------
    hits : DataFrame
        One row per behaviour found in one turn, with its evidence.
    calls : DataFrame
        One row per call: score, auto-fail, one column per scorecard item, counts, metadata.
    agents : DataFrame
        One row per agent: n_calls, score mean and 95% interval, adjusted score, rates.
    rejects : DataFrame
        Input records that were not scored, with file, line and reason.
    scorecard : Scorecard
    utterances : DataFrame or None
        The scored utterances with their language tags (kept by ``csqa.score``; the streaming
        CLI does not keep them).
    provenance : dict
        Versions, scorecard hash, detector parameters, timings.
    """

    hits: pd.DataFrame
    calls: pd.DataFrame
    agents: pd.DataFrame
    rejects: pd.DataFrame
    scorecard: Scorecard
    utterances: pd.DataFrame | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    def explain(self, call_id: str) -> pd.DataFrame:
        """Return one call's scorecard items with outcome, weight and evidence text."""
        from csqa.explain import explain_call

        if self.utterances is None:
            raise InputError("this result kept no utterances; score with csqa.score(...) to explain calls")
        return explain_call(call_id, calls=self.calls, hits=self.hits, utterances=self.utterances, scorecard=self.scorecard)

    def agents_by(self, *by: str, **options: Any) -> pd.DataFrame:
        """The agent table per group: ``result.agents_by("team", "week")`` (``week`` is the
        ``date`` column truncated to the Monday of its week); options as for
        :func:`csqa.aggregation.aggregate`."""
        return aggregate(self.calls, self.scorecard, by=by or ("agent_id",), **options)

    def trend(self, *by: str, period: str = "week") -> pd.DataFrame:
        """Period-over-period change of the score and behaviour rates per group (needs ``date``)."""
        from csqa.aggregation import trend

        return trend(self.calls, self.scorecard, by=by, period=period)

    def to_dir(self, path: PathLike, *, format: str = "parquet") -> None:
        """Write hits, calls, agents, rejects and run.json into ``path`` atomically."""
        from csqa.writers import RunWriter

        with RunWriter(path, format=format) as out:
            out.write("hits", self.hits)
            out.write("calls", self.calls)
            out.write("agents", self.agents)
            out.write_rejects(self.rejects)
            out.write_manifest(self.provenance)


@dataclass(frozen=True)
class Settings:
    """What every worker needs to score a chunk: picklable, so it crosses process boundaries."""

    scorecard: Scorecard
    lexicon_paths: tuple[str, ...] = ()
    model_path: str | None = None

    @property
    def lexicon(self) -> Lexicon:
        """The lexicon (loaded once per process and cached)."""
        return load_lexicon(self.lexicon_paths)

    @property
    def model(self) -> BehaviourModel | None:
        """The trained model (loaded once per process and cached), or None when not used."""
        return load_model(self.model_path) if self.model_path else None

    def detector_params(self) -> dict[str, dict[str, Any]]:
        """Conversation-rule parameters from the scorecard, for rules that have any set."""
        out = {}
        for name in RULES:
            params = self.scorecard.detector_params(name)
            if params:
                out[name] = dict(params)
        return out


def make_settings(scorecard: Scorecard | PathLike | None = None, lexicons: Iterable[PathLike] = (),
                  model: PathLike | None = None) -> Settings:
    """Load the scorecard (a path, a shipped name such as ``"strict"``, or None for the default)
    and check the lexicons and model it and the arguments name, failing early with a clear error.

    ``model`` overrides the scorecard's ``[model] file``: ``"shipped"``, ``"none"`` or a path.
    """
    card = scorecard if isinstance(scorecard, Scorecard) else Scorecard.load(scorecard)
    paths = tuple(str(p) for p in (*card.lexicon_paths, *lexicons))
    settings = Settings(card, paths, model_file(card.model if model is None else str(model)))
    settings.lexicon  # validate now, not in a worker
    settings.model
    return settings


def model_file(choice: str) -> str | None:
    """The model file a ``[model] file`` choice names (None for ``"none"``, or when csqa ships
    no model and ``"shipped"`` is asked for)."""
    if choice == "none":
        return None
    if choice == "shipped":
        path = shipped_model_path()
        return str(path) if path else None
    return str(Path(choice).resolve())


def call_info(utterances: pd.DataFrame, call_lang: pd.Series) -> pd.DataFrame:
    """One row per call: call_id, agent_id, customer_name, lang, n_turns, has_timestamps, metadata."""
    g = utterances.groupby("call_id", sort=False)
    meta_cols = [c for c in utterances.columns if c not in _UTTERANCE_ONLY and c != "call_id"]
    info = g[meta_cols].first() if meta_cols else pd.DataFrame(index=g.size().index)
    for col in ("agent_id", "customer_name"):
        if col not in info:
            info[col] = None
    info["lang"] = call_lang.reindex(info.index)
    info["n_turns"] = g.size()
    info["has_timestamps"] = (g["start"].count() > 0) if "start" in utterances else False
    info = info.reset_index()
    first = ["call_id", "agent_id", "customer_name", "lang", "n_turns", "has_timestamps"]
    return info[first + [c for c in info.columns if c not in first]]


def score_chunk(utterances: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Score whole calls: return (hits, calls, utterance language tags aligned with the input)."""
    found = detect(utterances, lexicon=settings.lexicon, params=settings.detector_params(), model=settings.model)
    calls = score_calls(call_info(utterances, found.call_lang), found.hits, settings.scorecard)
    return found.hits, calls, found.lang


def chunks_of_calls(utterances: pd.DataFrame, max_rows: int) -> list[pd.DataFrame]:
    """Split a table into pieces of whole calls with about ``max_rows`` rows each."""
    if len(utterances) <= max_rows:
        return [utterances]
    codes, _ = pd.factorize(utterances["call_id"], sort=False)
    sizes = pd.Series(codes).value_counts(sort=False).sort_index()
    group = (sizes.cumsum() - 1) // max_rows
    piece = pd.Series(group.to_numpy()[codes], index=utterances.index)
    return [part for _, part in utterances.groupby(piece.to_numpy(), sort=True)]


def run_chunks(pieces: Sequence[pd.DataFrame], settings: Settings, n_jobs: int = 1) -> list[tuple[pd.DataFrame, pd.DataFrame, pd.Series]]:
    """Score pieces in this process (``n_jobs=1``) or in joblib worker processes, keeping order."""
    if n_jobs == 1 or len(pieces) == 1:
        return [score_chunk(p, settings) for p in pieces]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs, prefer="processes")(delayed(score_chunk)(p, settings) for p in pieces)


def provenance(settings: Settings, **extra: Any) -> dict[str, Any]:
    """Versions, scorecard identity and detector parameters for ``run.json``."""
    import sklearn
    import spacy

    card = settings.scorecard
    return {
        "csqa_version": __version__,
        "python": platform.python_version(),
        "spacy_version": spacy.__version__,
        "sklearn_version": sklearn.__version__,
        "pandas_version": pd.__version__,
        "scorecard": {"name": card.name, "fingerprint": card.fingerprint()},
        "lexicons": {"extra": list(settings.lexicon_paths), "rules": len(settings.lexicon.rules)},
        "model": _model_provenance(settings.model, settings.model_path),
        "detector_params": settings.detector_params(),
        **extra,
    }


def _model_provenance(model: BehaviourModel | None, path: str | None) -> dict[str, Any] | None:
    if model is None:
        return None
    return {"file": path, "name": model.name, "trained": model.info.get("trained"),
            "behaviours": list(model.behaviours)}


def score(
    calls: pd.DataFrame | PathLike | Sequence[PathLike],
    *,
    scorecard: Scorecard | PathLike | None = None,
    lexicons: Iterable[PathLike] = (),
    model: PathLike | None = None,
    n_jobs: int = 1,
    engine: str = "local",
) -> ScoreResult:
    """Score a batch of calls.

    Parameters
    ----------
    calls : DataFrame, path or list of paths
        A canonical utterance table (``csqa.read``'s output or any frame with ``call_id``,
        ``speaker`` and ``text``), or files to read.
    scorecard : Scorecard, path or name, optional
        The default scorecard when None; ``"strict"`` for the shipped strict one.
    lexicons : iterable of path
        Extra lexicon files or folders, on top of the shipped ones and the scorecard's.
    model : path, "shipped" or "none", optional
        Trained model whose hits are added to the lexicons'; the scorecard's ``[model] file``
        (by default the shipped model) when None.
    n_jobs : int
        Worker processes for the local engine (1 = this process; -1 = all cores).
    engine : {"local", "dask"}
        ``dask`` scores on the current Dask client (or a local cluster); see :mod:`csqa.engine`.

    Returns
    -------
    ScoreResult
    """
    from csqa.readers import read_table

    t0 = time.perf_counter()
    read = read_table(calls)
    settings = make_settings(scorecard, lexicons, model)
    utterances = read.utterances
    t1 = time.perf_counter()
    if engine == "dask":
        from csqa.dask_engine import score_dask_frame

        hits, scored, lang = score_dask_frame(utterances, settings)
    elif engine == "local":
        pieces = chunks_of_calls(utterances, 50_000)
        parts = run_chunks(pieces, settings, n_jobs)
        hits = pd.concat([p[0] for p in parts], ignore_index=True)
        scored = pd.concat([p[1] for p in parts], ignore_index=True)
        lang = pd.concat([p[2] for p in parts])
    else:
        raise InputError(f'engine "{engine}" is not one of: local, dask')
    t2 = time.perf_counter()
    agents = aggregate(scored, settings.scorecard)
    detected = lang.reindex(utterances.index)
    # csqa fills ``lang``; a ``lang`` the input brings (a gold tag, a vendor's) is kept, and
    # csqa's own tag goes next to it.
    given = "lang" in utterances and utterances["lang"].notna().any()
    tagged = utterances.assign(**{"lang_detected" if given else "lang": detected})
    info = provenance(settings, n_calls=len(scored), n_utterances=len(utterances), n_rejects=len(read.rejects),
                      seconds={"read": round(t1 - t0, 3), "detect_and_score": round(t2 - t1, 3), "aggregate": round(time.perf_counter() - t2, 3)})
    return ScoreResult(hits, scored, agents, read.rejects.reindex(columns=list(REJECT_COLUMNS)), settings.scorecard, tagged, info)
