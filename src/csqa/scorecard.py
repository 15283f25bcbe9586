"""Scorecards: the TOML file a QA analyst edits, read into frozen, validated objects.

A scorecard lists *items*. Each item scores one behaviour (or any of several) with a weight,
says whether finding it earns the points (``kind = "reward"``) or finding it loses them
(``kind = "penalty"``), when it applies, whether it fails the whole call, and how many times it
must be found. The file format is described, with both shipped scorecards, in
``docs/scorecards.md``. Per-call scoring lives in :mod:`csqa.scoring`.

Used by the CLI: ``csqa scorecard check FILE`` calls :func:`check_scorecard`, and
``csqa scorecard show [FILE]`` prints :func:`show_scorecard`. Validation of a file lives in
:mod:`csqa.scorecard_parse`, TOML writing in :mod:`csqa.scorecard_toml`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from csqa.errors import ScorecardError, did_you_mean, not_one_of
from csqa.scorecard_toml import dumps
from csqa.types import PathLike

__all__ = [
    "APPLIES_WHEN", "DETECTOR_PARAMS", "SHIPPED", "Scorecard", "ScorecardItem",
    "check_scorecard", "known_detectors", "show_scorecard",
]

#: Named applicability conditions (any behaviour id is also a condition: "it was found").
APPLIES_WHEN: dict[str, str] = {
    "always": "every call",
    "customer_reported_problem": "the customer reported a problem",
    "customer_hostile": "the customer was hostile at least once",
    "customer_name_known": "the customer's name is known (from the CRM or said by the customer)",
    "has_timestamps": "the call has timestamps",
    "agent_said_dont_know": "the agent said it did not know something",
}
#: Timing detectors whose parameters a scorecard may set, with the documented defaults.
#: The detector classes own the defaults; these are for messages and documentation only
#: (:func:`known_detectors` adds every registered conversation rule).
DETECTOR_PARAMS: dict[str, dict[str, float]] = {
    "csqa.dead_air.v1": {"threshold_s": 10.0},
    "csqa.interruption.v1": {"min_overlap_s": 0.3},
}
# An item's timing field -> (the behaviour it belongs to, the detector it configures).
_TIMING_FIELDS: dict[str, tuple[str, str]] = {
    "threshold_s": ("dead_air", "csqa.dead_air.v1"),
    "min_overlap_s": ("interruption", "csqa.interruption.v1"),
}
#: Behaviours decided once per call whose hit rows are evidence, not occurrences.
JUDGEMENTS: frozenset[str] = frozenset({"stays_calm"})
#: Behaviours that need timestamps: their items are N/A on calls without them.
NEEDS_TIMESTAMPS: frozenset[str] = frozenset({"dead_air"})
#: Scorecards shipped in the package, by name.
SHIPPED: tuple[str, ...] = ("default", "strict")
#: ``[model] file`` values that are not paths.
MODEL_CHOICES: tuple[str, ...] = ("shipped", "none")
_DEFAULT_MIN_CONFIDENCE = 0.5
_DEFAULT_SECTION = "General"


@dataclass(frozen=True)
class ScorecardItem:
    """One scored line of a scorecard.

    Attributes
    ----------
    id : str
        The item's name: a behaviour id, or a free name when ``any_of`` lists the behaviours.
        It is also the item's column in the per-call table.
    behaviours : tuple of str
        Behaviour ids; the item counts turns where any of them was found.
    weight : float
        Positive; the item's share of the call score is ``weight / sum(applicable weights)``.
    kind : {"reward", "penalty"}
        ``reward``: met when found at least ``min_count`` times. ``penalty``: met when found
        fewer than ``min_count`` times (so, with ``min_count = 1``, when absent).
    applies_when : tuple of str
        The item applies when *any* of these conditions holds; otherwise it is N/A and leaves
        the denominator. Conditions: the keys of :data:`APPLIES_WHEN`, or a behaviour id.
    auto_fail : bool
        When the item applies and is missed, the call scores 0.
    auto_fail_reason : str or None
        The reason written to the output when the auto-fail fires (default: generated).
    min_count : int
        Number of distinct turns needed (reward) or tolerated minus one (penalty).
    min_confidence : float or None
        Hits below it are ignored for this item (None: the scorecard's ``min_confidence``).
    section : str
        Heading the item is grouped under.
    description : str
        Free text shown in explanations.
    params : tuple of (str, float)
        Timing thresholds (``threshold_s`` for dead_air, ``min_overlap_s`` for interruption);
        they configure the detectors (see :meth:`Scorecard.detector_params`).
    """

    id: str
    behaviours: tuple[str, ...]
    weight: float
    kind: str
    applies_when: tuple[str, ...] = ("always",)
    auto_fail: bool = False
    auto_fail_reason: str | None = None
    min_count: int = 1
    min_confidence: float | None = None
    section: str = _DEFAULT_SECTION
    description: str = ""
    params: tuple[tuple[str, float], ...] = ()

    @property
    def is_penalty(self) -> bool:
        """True when finding the behaviour loses the points."""
        return self.kind == "penalty"

    def to_dict(self) -> dict[str, Any]:
        """Return the item as its TOML table (every field explicit)."""
        optional = {"auto_fail_reason": self.auto_fail_reason,
                    "min_confidence": self.min_confidence, "description": self.description or None}
        return {
            **({"any_of": list(self.behaviours)} if self.behaviours != (self.id,) else {}),
            "section": self.section, "weight": self.weight, "kind": self.kind,
            "applies_when": (self.applies_when[0] if len(self.applies_when) == 1
                             else list(self.applies_when)),
            "min_count": self.min_count, "auto_fail": self.auto_fail,
            **{k: v for k, v in optional.items() if v is not None}, **dict(self.params),
        }


@dataclass(frozen=True)
class Scorecard:
    """A validated, immutable scorecard.

    Build one with :meth:`from_toml`, :meth:`default`, :meth:`strict` or :meth:`load`; change
    one with :meth:`with_item`, :meth:`without_item` or :meth:`replace`, which return a new,
    re-validated object.

    Attributes
    ----------
    name, description : str
    items : tuple of ScorecardItem
        In file order.
    min_confidence : float
        Hits with a lower confidence are ignored when scoring (NaN confidence counts as 1).
    lexicon_paths : tuple of pathlib.Path
        Extra lexicon files (``[lexicons] extra``), resolved relative to the scorecard file.
    model : str
        ``[model] file``: ``"shipped"`` (the trained model shipped with csqa), ``"none"``
        (lexicons and rules only) or the absolute path of a ``csqa train`` model file.
    detectors : tuple
        ``[detectors."name"]`` tables as ``(name, ((param, value), ...))`` pairs.
    source : pathlib.Path or None
        The file it was read from (not part of equality).
    """

    name: str
    items: tuple[ScorecardItem, ...]
    description: str = ""
    min_confidence: float = _DEFAULT_MIN_CONFIDENCE
    lexicon_paths: tuple[Path, ...] = ()
    model: str = "shipped"
    detectors: tuple[tuple[str, tuple[tuple[str, float | int], ...]], ...] = ()
    source: Path | None = field(default=None, compare=False)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_toml(cls, path: PathLike) -> Scorecard:
        """Read and validate a scorecard file.

        Parameters
        ----------
        path : str or os.PathLike
            A ``.toml`` scorecard.

        Returns
        -------
        Scorecard

        Raises
        ------
        ScorecardError
            Listing every problem found, one per line, each naming the file and the item.
        """
        p = Path(path)
        if not p.is_file():
            raise ScorecardError(f"{p.name}: scorecard file not found at {p}")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ScorecardError(f"{p.name}: not valid TOML: {exc}") from None
        except UnicodeDecodeError as exc:
            raise ScorecardError(f"{p.name}: not UTF-8 text: {exc}") from None
        return cls.from_dict(data, where=p.name, base_dir=p.resolve().parent, source=p)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, where: str = "scorecard", base_dir: PathLike | None = None,
        source: PathLike | None = None,
    ) -> Scorecard:
        """Validate a parsed TOML document (a dict) into a scorecard.

        ``where`` is the name used in error messages; ``base_dir`` resolves relative lexicon
        paths (default: the working directory).
        """
        from csqa.scorecard_parse import parse  # imports this module: import at call time

        return parse(data, where, Path(base_dir) if base_dir else Path.cwd(),
                     Path(source) if source else None)

    @classmethod
    def default(cls) -> Scorecard:
        """Return the shipped default scorecard (``csqa/scorecards/default.toml``)."""
        return cls._shipped("default")

    @classmethod
    def strict(cls) -> Scorecard:
        """Return the shipped strict scorecard for complaint-handling queues."""
        return cls._shipped("strict")

    @classmethod
    def _shipped(cls, name: str) -> Scorecard:
        ref = resources.files("csqa").joinpath("scorecards").joinpath(f"{name}.toml")
        with resources.as_file(ref) as p:
            return cls.from_toml(p)

    @classmethod
    def load(cls, scorecard: Scorecard | PathLike | None = None) -> Scorecard:
        """Return a scorecard from an object, a shipped name, a path, or None (the default).

        Parameters
        ----------
        scorecard : Scorecard, str, os.PathLike or None
            ``None`` gives :meth:`default`; ``"default"`` / ``"strict"`` the shipped ones; any
            other string or path is read with :meth:`from_toml`.

        Raises
        ------
        ScorecardError
            The file is invalid, or the name is neither a file nor a shipped scorecard.
        """
        if scorecard is None:
            return cls.default()
        if isinstance(scorecard, Scorecard):
            return scorecard
        text = os.fspath(scorecard)
        if text in SHIPPED and not Path(text).is_file():
            return cls._shipped(text)
        if not Path(text).is_file() and not text.endswith(".toml"):
            raise ScorecardError(
                f'scorecard "{text}" is not a file or one of the shipped scorecards: '
                f"{', '.join(SHIPPED)}{did_you_mean(text, SHIPPED)}")
        return cls.from_toml(text)

    # -- access ---------------------------------------------------------------------------
    @property
    def item_ids(self) -> tuple[str, ...]:
        """Item names, in file order (also the per-call item columns)."""
        return tuple(i.id for i in self.items)

    def item(self, item_id: str) -> ScorecardItem:
        """Return one item by name; the error lists the items that exist."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise ScorecardError(not_one_of(self._where, "item", item_id, self.item_ids))

    @property
    def sections(self) -> dict[str, tuple[str, ...]]:
        """Section heading -> item ids, in order of first appearance."""
        out: dict[str, list[str]] = {}
        for it in self.items:
            out.setdefault(it.section, []).append(it.id)
        return {k: tuple(v) for k, v in out.items()}

    def detector_params(self, name: str) -> dict[str, float]:
        """Return the parameters this scorecard sets for detector ``name``.

        Merges ``[detectors."name"]`` and the timing fields of items (``threshold_s`` on a
        dead_air item sets ``csqa.dead_air.v1``'s ``threshold_s``). Only what the scorecard
        sets is returned, so the detector's own defaults apply otherwise; an unconfigured
        detector gives ``{}``.
        """
        params = dict(dict(self.detectors).get(name, ()))
        for it in self.items:
            for key, value in it.params:
                if _TIMING_FIELDS[key][1] == name:
                    params[key] = value
        return params

    def fingerprint(self) -> str:
        """sha256 of the canonical TOML text (for run provenance)."""
        return hashlib.sha256(self.to_toml().encode("utf-8")).hexdigest()

    def describe(self) -> pd.DataFrame:
        """Return the items as a table: section, item, behaviours, kind, weight, applies_when,
        min_count, auto_fail, share (weight over the total weight, in %)."""
        total = sum(i.weight for i in self.items)
        return pd.DataFrame([{
            "section": i.section, "item": i.id, "behaviours": ", ".join(i.behaviours),
            "kind": i.kind, "weight": i.weight, "applies_when": " or ".join(i.applies_when),
            "min_count": i.min_count, "auto_fail": i.auto_fail,
            "share": round(100 * i.weight / total, 1),
        } for i in self.items])

    # -- change ---------------------------------------------------------------------------
    def with_item(self, item_id: str, **changes: Any) -> Scorecard:
        """Return a new scorecard with item ``item_id`` changed (or added) and re-validated.

        Parameters
        ----------
        item_id : str
            An existing item, or a new one (a behaviour id, or a name given with ``any_of``).
        **changes
            Fields as spelled in the TOML file: ``weight``, ``kind``, ``applies_when``,
            ``auto_fail``, ``auto_fail_reason``, ``min_count``, ``min_confidence``,
            ``section``, ``description``, ``any_of``, ``threshold_s``, ``min_overlap_s``.
            A value of ``None`` removes the field (back to its default).

        Raises
        ------
        ScorecardError
            The changed item is invalid (same messages as for a file).

        Examples
        --------
        >>> sc = Scorecard.default().with_item("apology", weight=15)
        >>> sc.item("apology").weight
        15.0
        """
        data = self.to_dict()
        table = data["items"].setdefault(item_id, {})
        for key, value in changes.items():
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value
        return self._rebuild(data)

    def without_item(self, item_id: str) -> Scorecard:
        """Return a new scorecard without item ``item_id``."""
        self.item(item_id)
        data = self.to_dict()
        del data["items"][item_id]
        return self._rebuild(data)

    def replace(self, **changes: Any) -> Scorecard:
        """Return a new scorecard with top-level fields changed and re-validated.

        Accepts ``name``, ``description``, ``min_confidence``, ``lexicon_paths`` and ``model``.
        """
        data = self.to_dict()
        for key, value in changes.items():
            if key in ("name", "description"):
                data["scorecard"][key] = value
            elif key == "min_confidence":
                data["scoring"][key] = value
            elif key == "lexicon_paths":
                data["lexicons"]["extra"] = [os.fspath(v) for v in value]
            elif key == "model":
                data["model"]["file"] = os.fspath(value)
            else:
                raise ScorecardError(not_one_of(
                    self._where, "replace() field", key,
                    ("name", "description", "min_confidence", "lexicon_paths", "model")))
        return self._rebuild(data)

    def _rebuild(self, data: dict[str, Any]) -> Scorecard:
        from csqa.scorecard_parse import parse  # imports this module: import at call time

        base = self.source.resolve().parent if self.source else Path.cwd()
        return parse(data, self._where, base, self.source)

    @property
    def _where(self) -> str:
        return self.source.name if self.source else self.name

    # -- write ----------------------------------------------------------------------------
    def to_dict(self, base_dir: PathLike | None = None) -> dict[str, Any]:
        """Return the scorecard as a TOML-shaped dict, every default written out.

        Lexicon paths are written relative to ``base_dir`` when given, else absolute.
        """
        extra = [os.path.relpath(p, base_dir) if base_dir else str(p) for p in self.lexicon_paths]
        return {
            "scorecard": {"name": self.name, "description": self.description},
            "scoring": {"min_confidence": self.min_confidence},
            "lexicons": {"extra": extra},
            "model": {"file": self.model if self.model in MODEL_CHOICES or not base_dir
                      else os.path.relpath(self.model, base_dir)},
            "detectors": {name: dict(params) for name, params in self.detectors},
            "items": {it.id: it.to_dict() for it in self.items},
        }

    def to_toml(self, path: PathLike | None = None) -> str:
        """Return the effective scorecard as TOML text, and write it to ``path`` if given.

        Every default is written out, so the text is also "what will actually be scored"
        (``csqa scorecard show``). ``Scorecard.from_toml`` of the written file gives an equal
        scorecard.
        """
        base = Path(path).resolve().parent if path is not None else None
        text = dumps(self.to_dict(base))
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def check_scorecard(path: PathLike) -> Scorecard:
    """Validate a scorecard file (``csqa scorecard check FILE``).

    Returns the scorecard when valid; raises :class:`~csqa.errors.ScorecardError` listing every
    problem otherwise.
    """
    return Scorecard.from_toml(path)


def show_scorecard(scorecard: Scorecard | PathLike | None = None) -> str:
    """Return the effective scorecard as TOML (``csqa scorecard show [FILE]``).

    With no argument, the default scorecard. The text starts with a comment naming the source.
    """
    sc = Scorecard.load(scorecard)
    head = f"# effective scorecard: {sc.source or sc.name}\n"
    return head + sc.to_toml()


def known_detectors() -> dict[str, dict[str, float]]:
    """Detectors a scorecard may configure, with their numeric and true/false parameters and defaults.

    :data:`DETECTOR_PARAMS`, plus every registered conversation rule's numeric and boolean
    dataclass fields when the detection package is importable.
    """
    known = {k: dict(v) for k, v in DETECTOR_PARAMS.items()}
    try:
        from csqa.detection.conversation import RULES
    except ImportError:  # pragma: no cover - detection not installed alongside
        return known
    for name, cls in RULES.items():
        if dataclasses.is_dataclass(cls):
            known.setdefault(name, {}).update({
                f.name: (f.default if isinstance(f.default, bool) else float(f.default))  # type: ignore[arg-type]
                for f in dataclasses.fields(cls) if _is_number(f.default) or isinstance(f.default, bool)})
    return known


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
