"""Scorecards: the TOML file a QA analyst edits, read into frozen, validated objects.

A scorecard lists *items*. Each item scores one behaviour (or any of several) with a weight,
says whether finding it earns the points (``kind = "reward"``) or finding it loses them
(``kind = "penalty"``), when it applies, whether it fails the whole call, and how many times it
must be found. The file format is described, with both shipped scorecards, in
``docs/scorecards.md``. Per-call scoring lives in :mod:`csqa.scoring`.

Used by the CLI: ``csqa scorecard check FILE`` calls :func:`check_scorecard`, and
``csqa scorecard show [FILE]`` prints :func:`show_scorecard`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from csqa.behaviours import BEHAVIOURS
from csqa.errors import ScorecardError, did_you_mean, not_one_of
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

_KINDS = ("reward", "penalty")
_TABLES = ("scorecard", "scoring", "lexicons", "model", "detectors", "items")
_TABLE_FIELDS = {
    "scorecard": ("name", "description"), "scoring": ("min_confidence",), "lexicons": ("extra",),
    "model": ("file",),
}
#: ``[model] file`` values that are not paths.
MODEL_CHOICES: tuple[str, ...] = ("shipped", "none")
_ITEM_FIELDS = (
    "any_of", "weight", "kind", "applies_when", "auto_fail", "auto_fail_reason", "min_count",
    "min_confidence", "section", "description", *_TIMING_FIELDS,
)
_RESERVED = frozenset({
    "call_id", "agent_id", "lang", "score", "auto_fail", "auto_fail_reason", "customer_name",
    "n_turns", "has_timestamps", "week", "team", "queue", "date",
})
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
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
        return _parse(data, where, Path(base_dir) if base_dir else Path.cwd(),
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
        base = self.source.resolve().parent if self.source else Path.cwd()
        return _parse(data, self._where, base, self.source)

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
        text = _dump(self.to_dict(base))
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


# -- parsing and validation ---------------------------------------------------------------
def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# Simple item fields, declared as data: field -> (test, what the value must be).
_CHECKS: dict[str, tuple[Any, str]] = {
    "weight": (lambda v: _is_number(v) and v > 0, "a positive number"),
    "min_count": (lambda v: _is_int(v) and v >= 1, "a whole number of at least 1"),
    "auto_fail": (lambda v: isinstance(v, bool), "true or false"),
    "auto_fail_reason": (lambda v: isinstance(v, str), "a string"),
    "min_confidence": (lambda v: _is_number(v) and 0 <= v <= 1, "a number between 0 and 1"),
    "section": (lambda v: isinstance(v, str), "a string"),
    "description": (lambda v: isinstance(v, str), "a string"),
    "threshold_s": (lambda v: _is_number(v) and v > 0, "a positive number of seconds"),
    "min_overlap_s": (lambda v: _is_number(v) and v > 0, "a positive number of seconds"),
}


def _show(v: object) -> str:
    """Render a value as the analyst wrote it in TOML."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v, ensure_ascii=False) if isinstance(v, str | list) else repr(v)


def _bad(where: str, at: str, key: str, value: object, expected: str, hint: str = "") -> str:
    """``<file>: <table> <key> = <value> is not <expected>. <hint>`` (csqa's template)."""
    return f"{where}: {at} {key} = {_show(value)} is not {expected}.{' ' + hint if hint else ''}"


def _table(data: Mapping[str, Any], key: str, where: str, probs: list[str]) -> dict[str, Any]:
    t = data.get(key, {})
    if not isinstance(t, Mapping):
        probs.append(f"{where}: [{key}] must be a table, got {_show(t)}.")
        return {}
    probs += [not_one_of(where, f"[{key}] field", k, _TABLE_FIELDS[key])
              for k in t if key in _TABLE_FIELDS and k not in _TABLE_FIELDS[key]]
    return dict(t)


def _parse(data: Mapping[str, Any], where: str, base_dir: Path, source: Path | None) -> Scorecard:
    probs: list[str] = [not_one_of(where, "table", k, _TABLES) for k in data if k not in _TABLES]
    head, scoring, lex, model_table, dets, raw_items = (_table(data, t, where, probs) for t in _TABLES)
    name = head.get("name", source.stem if source else "scorecard")
    desc = head.get("description", "")
    probs += [_bad(where, "[scorecard]", f, v, "a string")
              for f, v in (("name", name), ("description", desc)) if not isinstance(v, str)]
    min_conf = scoring.get("min_confidence", _DEFAULT_MIN_CONFIDENCE)
    if not _CHECKS["min_confidence"][0](min_conf):
        probs.append(_bad(where, "[scoring]", "min_confidence", min_conf, _CHECKS["min_confidence"][1]))
    lexicon_paths = _lexicons(lex.get("extra", []), where, base_dir, probs)
    model = _model(model_table.get("file", "shipped"), where, base_dir, probs)
    detectors = _detectors(dets, where, probs)
    if not raw_items:
        probs.append(f"{where}: no [items.*] tables; a scorecard needs at least one item.")
    items = [it for k, v in raw_items.items() if (it := _item(k, v, where, probs)) is not None]
    for it in items:  # an item threshold and a [detectors] table must not disagree
        for key, value in it.params:
            det = _TIMING_FIELDS[key][1]
            other = dict(dict(detectors).get(det, ())).get(key)
            if other is not None and other != value:
                probs.append(f'{where}: [items.{it.id}] {key} = {value:g} conflicts with '
                             f'[detectors."{det}"] {key} = {other:g}; set it in one place.')
    if probs:
        err = ScorecardError("\n".join(probs))
        err.path, err.problems = source, probs  # type: ignore[attr-defined]
        raise err
    return Scorecard(name=name, description=desc, items=tuple(items),
                     min_confidence=float(min_conf), lexicon_paths=lexicon_paths, model=model,
                     detectors=detectors, source=source)


def _lexicons(extra: Any, where: str, base_dir: Path, probs: list[str]) -> tuple[Path, ...]:
    extra = [extra] if isinstance(extra, str) else extra
    if not isinstance(extra, list) or not all(isinstance(e, str) for e in extra):
        probs.append(_bad(where, "[lexicons]", "extra", extra, "a list of file paths"))
        return ()
    out = [(Path(e) if Path(e).is_absolute() else base_dir / e).resolve() for e in extra]
    probs += [f'{where}: [lexicons] extra "{e}" not found (looked for {p}).'
              for e, p in zip(extra, out, strict=True) if not p.is_file()]
    return tuple(out)


def _model(value: Any, where: str, base_dir: Path, probs: list[str]) -> str:
    if not isinstance(value, str) or not value:
        probs.append(_bad(where, "[model]", "file", value, '"shipped", "none" or a model file path'))
        return "shipped"
    if value in MODEL_CHOICES:
        return value
    path = (Path(value) if Path(value).is_absolute() else base_dir / value).resolve()
    if not path.is_file():
        probs.append(f'{where}: [model] file "{value}" not found (looked for {path}).')
    return str(path)


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


def _detectors(dets: Mapping[str, Any], where: str, probs: list[str]
               ) -> tuple[tuple[str, tuple[tuple[str, float], ...]], ...]:
    out, known = [], known_detectors()
    for name, params in dets.items():
        if name not in known or not isinstance(params, Mapping):
            probs.append(not_one_of(where, "[detectors] name", name, known)
                         if name not in known else
                         f'{where}: [detectors."{name}"] must be a table.')
            continue
        at, good = f'[detectors."{name}"]', []
        for k, v in params.items():
            if k not in known[name]:
                probs.append(not_one_of(where, f"{at} parameter", k, known[name]))
            elif isinstance(known[name][k], bool):
                if isinstance(v, bool):
                    good.append((k, v))
                else:
                    probs.append(_bad(where, at, k, v, "true or false"))
            elif not _CHECKS["threshold_s"][0](v):
                probs.append(_bad(where, at, k, v, _CHECKS["threshold_s"][1]))
            else:
                good.append((k, v))
        out.append((name, tuple(good)))
    return tuple(out)


def _scorable() -> tuple[str, ...]:
    """Behaviour ids an item can score (agent behaviours, not customer signals)."""
    return BEHAVIOURS.ids(polarity="credit") + BEHAVIOURS.ids(polarity="cost")


def _behaviours(item_id: str, raw: Mapping[str, Any], where: str, at: str, probs: list[str]
                ) -> tuple[str, ...] | None:
    """The item's behaviour ids (its key, or ``any_of``), or None after adding the problem."""
    any_of = raw.get("any_of")
    if any_of is None:
        if item_id in BEHAVIOURS:
            return (item_id,)
        probs.append(not_one_of(where, f"{at} behaviour", item_id, _scorable())
                     + ". To give an item its own name, list its behaviours in any_of = [...].")
        return None
    any_of = [any_of] if isinstance(any_of, str) else any_of
    if not isinstance(any_of, list) or not any_of or not all(isinstance(b, str) for b in any_of):
        probs.append(_bad(where, at, "any_of", any_of, "a non-empty list of behaviour ids"))
        return None
    bad = [not_one_of(where, f"{at} any_of entry", b, _scorable()) for b in any_of
           if b not in BEHAVIOURS]
    probs += bad
    return None if bad else tuple(dict.fromkeys(any_of))


def _item(item_id: str, raw: Any, where: str, probs: list[str]) -> ScorecardItem | None:
    at, n0 = f"[items.{item_id}]", len(probs)
    if not isinstance(raw, Mapping):
        probs.append(f"{where}: {at} must be a table, got {_show(raw)}.")
        return None
    probs += [not_one_of(where, f"{at} field", k, _ITEM_FIELDS) for k in raw if k not in _ITEM_FIELDS]
    if (not _NAME_RE.match(item_id) or item_id in _RESERVED
            or item_id.startswith(("n_", "rate_", "flag_"))):
        probs.append(f"{where}: {at} the name {_show(item_id)} cannot be a column name: use "
                     "lower-case letters, digits and _, no reserved column (score, agent_id, "
                     "...) and no n_/rate_/flag_ prefix.")
    probs += [_bad(where, at, k, v, _CHECKS[k][1],
                   "To stop scoring an item, delete its table." if k == "weight" else "")
              for k, v in raw.items() if k in _CHECKS and not _CHECKS[k][0](v)]
    if "weight" not in raw:
        probs.append(f"{where}: {at} has no weight; add weight = <a positive number>.")
    behaviours = _behaviours(item_id, raw, where, at, probs)
    if behaviours is None:
        return None
    signals = [b for b in behaviours if BEHAVIOURS[b].polarity == "signal"]
    if signals:
        probs.append(f"{where}: {at} {', '.join(signals)} is a customer signal, not an agent "
                     "behaviour, so it cannot be scored; use it in applies_when instead.")
        return None

    by_polarity = {p: [b for b in behaviours if BEHAVIOURS[b].polarity == p] for p in ("credit", "cost")}
    kind = raw.get("kind", "penalty" if not by_polarity["credit"] else "reward")
    if "kind" not in raw and by_polarity["credit"] and by_polarity["cost"]:
        probs.append(f"{where}: {at} any_of mixes credit ({', '.join(by_polarity['credit'])}) "
                     f"and cost ({', '.join(by_polarity['cost'])}) behaviours; set "
                     'kind = "reward" or "penalty".')
    elif kind not in _KINDS:
        probs.append(not_one_of(where, f"{at} kind =", kind, _KINDS))

    applies = raw.get("applies_when", "always")
    applies = [applies] if isinstance(applies, str) else applies
    if not isinstance(applies, list) or not applies or not all(isinstance(a, str) for a in applies):
        probs.append(_bad(where, at, "applies_when", raw.get("applies_when"),
                          "a condition or a list of conditions"))
        applies = ["always"]
    conds = list(APPLIES_WHEN)
    probs += [f'{where}: {at} applies_when = "{a}" is not one of: {", ".join(conds)}, or a '
              f"behaviour id{did_you_mean(a, conds + list(BEHAVIOURS))}"
              for a in applies if a not in APPLIES_WHEN and a not in BEHAVIOURS]

    auto_fail, min_count = raw.get("auto_fail", False), raw.get("min_count", 1)
    if "auto_fail_reason" in raw and auto_fail is not True:
        probs.append(f"{where}: {at} auto_fail_reason is set but auto_fail is not true.")
    if _is_int(min_count) and min_count > 1 and all(b in JUDGEMENTS for b in behaviours):
        probs.append(f"{where}: {at} min_count = {min_count}: {', '.join(behaviours)} is "
                     "decided once per call, so min_count must be 1.")
    for key, (behaviour, det) in _TIMING_FIELDS.items():
        if key in raw and behaviour not in behaviours:
            probs.append(f"{where}: {at} {key} is a timing threshold of {behaviour} items "
                         f"({det}); this item scores {', '.join(behaviours)}.")
    if len(probs) > n0:
        return None
    conf = raw.get("min_confidence")
    return ScorecardItem(
        id=item_id, behaviours=behaviours, weight=float(raw["weight"]), kind=kind,
        applies_when=tuple(dict.fromkeys(applies)), auto_fail=auto_fail,
        auto_fail_reason=raw.get("auto_fail_reason"), min_count=min_count,
        min_confidence=None if conf is None else float(conf),
        section=raw.get("section", _DEFAULT_SECTION), description=raw.get("description", ""),
        params=tuple((k, float(raw[k])) for k in _TIMING_FIELDS if k in raw),
    )


# -- TOML writing (tomllib only reads) ----------------------------------------------------
def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False) if isinstance(v, str) else repr(v)


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _dump(data: dict[str, Any]) -> str:
    lines: list[str] = []
    tables = [(t, data[t]) for t in ("scorecard", "scoring", "lexicons", "model")]
    tables += [(f"detectors.{_key(n)}", p) for n, p in data["detectors"].items()]
    tables += [(f"items.{_key(i)}", t) for i, t in data["items"].items()]
    for name, table in tables:
        lines += [f"[{name}]", *(f"{_key(k)} = {_value(v)}" for k, v in table.items()), ""]
    return "\n".join(lines)
