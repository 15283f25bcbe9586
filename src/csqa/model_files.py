"""Saving, loading and finding trained behaviour models (joblib files).

A model file holds plain arrays and dicts (no csqa classes), so it stays loadable across
refactors; ``format`` guards the layout. The shipped model is ``models/behaviours.joblib`` in
the repository, packaged as ``csqa/models/behaviours.joblib``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import joblib
import numpy as np

from csqa.classifier import FORMAT, BehaviourModel, Features
from csqa.errors import ModelError
from csqa.types import PathLike

SHIPPED_MODEL = "behaviours.joblib"


def shipped_model_path() -> Path | None:
    """Path of the model shipped with csqa, or None when this installation has none."""
    ref = resources.files("csqa").joinpath("models").joinpath(SHIPPED_MODEL)
    path = Path(str(ref))
    return path if path.is_file() else None


def save_model(model: BehaviourModel, path: PathLike) -> Path:
    """Write ``model`` to ``path`` (joblib, compressed), atomically; return the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    f = model.features
    data = {
        "format": model.format, "behaviours": list(model.behaviours), "speakers": list(model.speakers),
        "weights": model.weights.astype(np.float32), "intercepts": model.intercepts,
        "thresholds": model.thresholds, "info": model.info, "confirm_floor": model.confirm_floor,
        "words": list(f.words), "chars": list(f.chars), "idf": f.idf,
        "context": list(f.context), "context_idf": f.context_idf,
    }
    tmp = p.with_name(p.name + ".partial")
    joblib.dump(data, tmp, compress=3)
    os.replace(tmp, p)
    return p


def load_model(path: PathLike) -> BehaviourModel:
    """Load a model file (cached per path and modification time).

    Raises
    ------
    ModelError
        The file is missing, not a csqa model, or of another format version.
    """
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"{p}: model file not found")
    return _load(str(p.resolve()), p.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load(path: str, _mtime: int) -> BehaviourModel:
    try:
        data = joblib.load(path)
    except Exception as exc:  # joblib raises many kinds for a file that is not its own
        raise ModelError(f"{path}: not a csqa model file ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict) or "format" not in data:
        raise ModelError(f"{path}: not a csqa model file (no 'format' entry)")
    if data["format"] != FORMAT:
        raise ModelError(f"{path}: model format {data['format']} but this csqa reads format {FORMAT}; retrain with `csqa train`")
    words = {w: i for i, w in enumerate(data["words"])}
    chars = {g: i + len(words) for i, g in enumerate(data["chars"])}
    context = {w: i + len(words) + len(chars) for i, w in enumerate(data.get("context", ()))}
    features = Features(words, chars, np.asarray(data["idf"], dtype=np.float32), context,
                        np.asarray(data.get("context_idf", np.zeros(0)), dtype=np.float32))
    return BehaviourModel(
        features=features,
        behaviours=tuple(data["behaviours"]), speakers=tuple(data["speakers"]),
        weights=np.asarray(data["weights"], dtype=np.float32),
        intercepts=np.asarray(data["intercepts"], dtype=np.float32),
        thresholds=np.asarray(data["thresholds"], dtype=np.float32), info=dict(data["info"]),
        confirm_floor=float(data.get("confirm_floor", 0.0)),
    )
