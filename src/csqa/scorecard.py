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
    "check_scorecard", "show_scorecard",
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
#: The detector classes own the defaults; these are for messages and documentation only.
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
_TABLES = ("scorecard", "scoring", "lexicons", "detectors", "items")
_TABLE_FIELDS = {
    "scorecard": ("name", "description"), "scoring": ("min_confidence",), "lexicons": ("extra",),
}
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
        out: dict[str, Any] = {}
        if self.behaviours != (self.id,):
            out["any_of"] = list(self.behaviours)
        out["section"] = self.section
        out["weight"] = self.weight
        out["kind"] = self.kind
        out["applies_when"] = (
            self.applies_when[0] if len(self.applies_when) == 1 else list(self.applies_when)
        )
        out["min_count"] = self.min_count
        out["auto_fail"] = self.auto_fail
        if self.auto_fail_reason is not None:
            out["auto_fail_reason"] = self.auto_fail_reason
        if self.min_confidence is not None:
            out["min_confidence"] = self.min_confidence
        if self.description:
            out["description"] = self.description
        out.update(dict(self.params))
        return out


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
    detectors: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
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

    @property
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

        Accepts ``name``, ``description``, ``min_confidence`` and ``lexicon_paths``.
        """
        data = self.to_dict()
        for key, value in changes.items():
            if key in ("name", "description"):
                data["scorecard"][key] = value
            elif key == "min_confidence":
                data["scoring"][key] = value
            elif key == "lexicon_paths":
                data["lexicons"]["extra"] = [os.fspath(v) for v in value]
            else:
                raise ScorecardError(not_one_of(
                    self._where, "replace() field", key,
                    ("name", "description", "min_confidence", "lexicon_paths")))
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
class _Problems(list[str]):
    """The problems found so far; all are reported together."""

    def add(self, msg: str) -> None:
        self.append(msg)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _show(v: object) -> str:
    """Render a value as the analyst wrote it in TOML."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str | list):
        return json.dumps(v, ensure_ascii=False)
    return repr(v)


def _table(data: Mapping[str, Any], key: str, where: str, probs: _Problems) -> dict[str, Any]:
    t = data.get(key, {})
    if not isinstance(t, Mapping):
        probs.add(f"{where}: [{key}] must be a table, got {_show(t)}")
        return {}
    for k in t:
        if key in _TABLE_FIELDS and k not in _TABLE_FIELDS[key]:
            probs.add(not_one_of(where, f"[{key}] field", k, _TABLE_FIELDS[key]))
    return dict(t)


def _parse(data: Mapping[str, Any], where: str, base_dir: Path, source: Path | None) -> Scorecard:
    probs = _Problems()
    for key in data:
        if key not in _TABLES:
            probs.add(not_one_of(where, "table", key, _TABLES))
    head = _table(data, "scorecard", where, probs)
    scoring = _table(data, "scoring", where, probs)
    lex = _table(data, "lexicons", where, probs)
    dets = _table(data, "detectors", where, probs)
    raw_items = _table(data, "items", where, probs)

    name = head.get("name", source.stem if source else "scorecard")
    desc = head.get("description", "")
    for f, v in (("name", name), ("description", desc)):
        if not isinstance(v, str):
            probs.add(f"{where}: [scorecard] {f} = {_show(v)} is not a string.")
    min_conf = scoring.get("min_confidence", _DEFAULT_MIN_CONFIDENCE)
    if not _is_number(min_conf) or not 0 <= min_conf <= 1:
        probs.add(f"{where}: [scoring] min_confidence = {_show(min_conf)} is not a number "
                  "between 0 and 1.")
    lexicon_paths = _lexicons(lex.get("extra", []), where, base_dir, probs)
    detectors = _detectors(dets, where, probs)

    items = []
    if not raw_items:
        probs.add(f"{where}: no [items.*] tables; a scorecard needs at least one item.")
    for item_id, raw in raw_items.items():
        it = _item(item_id, raw, where, probs)
        if it is not None:
            items.append(it)
    for it in items:  # an item threshold and a [detectors] table must not disagree
        for key, value in it.params:
            det = _TIMING_FIELDS[key][1]
            other = dict(dict(detectors).get(det, ())).get(key)
            if other is not None and other != value:
                probs.add(f'{where}: [items.{it.id}] {key} = {value} conflicts with '
                          f'[detectors."{det}"] {key} = {other}; set it in one place.')
    if probs:
        err = ScorecardError("\n".join(probs))
        err.path, err.problems = source, list(probs)  # type: ignore[attr-defined]
        raise err
    return Scorecard(
        name=name, description=desc, items=tuple(items), min_confidence=float(min_conf),
        lexicon_paths=lexicon_paths, detectors=detectors, source=source,
    )


def _lexicons(extra: Any, where: str, base_dir: Path, probs: _Problems) -> tuple[Path, ...]:
    if isinstance(extra, str):
        extra = [extra]
    if not isinstance(extra, list) or not all(isinstance(e, str) for e in extra):
        probs.add(f"{where}: [lexicons] extra = {_show(extra)} is not a list of file paths.")
        return ()
    out = []
    for e in extra:
        p = Path(e) if Path(e).is_absolute() else (base_dir / e)
        p = p.resolve()
        if not p.is_file():
            probs.add(f'{where}: [lexicons] extra "{e}" not found (looked for {p}).')
        out.append(p)
    return tuple(out)


def _detectors(dets: Mapping[str, Any], where: str, probs: _Problems
               ) -> tuple[tuple[str, tuple[tuple[str, float], ...]], ...]:
    out = []
    for name, params in dets.items():
        if name not in DETECTOR_PARAMS:
            probs.add(not_one_of(where, "[detectors] name", name, DETECTOR_PARAMS))
            continue
        if not isinstance(params, Mapping):
            probs.add(f'{where}: [detectors."{name}"] must be a table.')
            continue
        good = []
        for k, v in params.items():
            if k not in DETECTOR_PARAMS[name]:
                probs.add(not_one_of(where, f'[detectors."{name}"] parameter', k,
                                     DETECTOR_PARAMS[name]))
            elif not _is_number(v) or v <= 0:
                probs.add(f'{where}: [detectors."{name}"] {k} = {_show(v)} is not a positive '
                          "number of seconds.")
            else:
                good.append((k, float(v)))
        out.append((name, tuple(good)))
    return tuple(out)


def _item(item_id: str, raw: Any, where: str, probs: _Problems) -> ScorecardItem | None:
    at = f"[items.{item_id}]"
    n0 = len(probs)
    if not isinstance(raw, Mapping):
        probs.add(f"{where}: {at} must be a table, got {_show(raw)}.")
        return None
    for k in raw:
        if k not in _ITEM_FIELDS:
            probs.add(not_one_of(where, f"{at} field", k, _ITEM_FIELDS))
    if not _NAME_RE.match(item_id) or item_id in _RESERVED or item_id.startswith(
            ("n_", "rate_", "flag_")):
        probs.add(f"{where}: {at} the name {_show(item_id)} cannot be a column name: use "
                  "lower-case letters, digits and _, not a reserved column (score, agent_id, "
                  "...) and no n_/rate_/flag_ prefix.")

    # behaviours
    any_of = raw.get("any_of")
    if any_of is None:
        if item_id not in BEHAVIOURS:
            probs.add(not_one_of(where, f"{at} behaviour", item_id, BEHAVIOURS)
                      + ". To give an item its own name, list its behaviours in any_of = [...].")
            return None
        behaviours: tuple[str, ...] = (item_id,)
    else:
        if isinstance(any_of, str):
            any_of = [any_of]
        if not isinstance(any_of, list) or not any_of or not all(isinstance(b, str) for b in any_of):
            probs.add(f"{where}: {at} any_of = {_show(any_of)} is not a non-empty list of "
                      "behaviour ids.")
            return None
        bad = [b for b in any_of if b not in BEHAVIOURS]
        for b in bad:
            probs.add(not_one_of(where, f"{at} any_of entry", b, BEHAVIOURS))
        if bad:
            return None
        behaviours = tuple(dict.fromkeys(any_of))
    signals = [b for b in behaviours if BEHAVIOURS[b].polarity == "signal"]
    if signals:
        probs.add(f"{where}: {at} {', '.join(signals)} is a customer signal, not an agent "
                  "behaviour, so it cannot be scored; use it in applies_when instead.")
        return None

    # kind
    polarities = {BEHAVIOURS[b].polarity for b in behaviours}
    kind = raw.get("kind")
    if kind is None:
        if len(polarities) > 1:
            credit = [b for b in behaviours if BEHAVIOURS[b].polarity == "credit"]
            cost = [b for b in behaviours if BEHAVIOURS[b].polarity == "cost"]
            probs.add(f"{where}: {at} any_of mixes credit ({', '.join(credit)}) and cost "
                      f'({", ".join(cost)}) behaviours; set kind = "reward" or "penalty".')
            kind = "reward"
        else:
            kind = "penalty" if polarities == {"cost"} else "reward"
    elif kind not in _KINDS:
        probs.add(not_one_of(where, f"{at} kind =", kind, _KINDS))

    weight = raw.get("weight")
    if weight is None:
        probs.add(f"{where}: {at} has no weight; add weight = <a positive number>.")
    elif not _is_number(weight) or weight <= 0:
        probs.add(f"{where}: {at} weight = {_show(weight)} is not a positive number. "
                  "To stop scoring an item, delete its table.")

    applies = raw.get("applies_when", "always")
    if isinstance(applies, str):
        applies = [applies]
    if not isinstance(applies, list) or not applies or not all(isinstance(a, str) for a in applies):
        probs.add(f"{where}: {at} applies_when = {_show(raw.get('applies_when'))} is not a "
                  "condition or a list of conditions.")
        applies = ["always"]
    conditions = list(APPLIES_WHEN)
    for a in applies:
        if a not in APPLIES_WHEN and a not in BEHAVIOURS:
            probs.add(f'{where}: {at} applies_when = "{a}" is not one of: '
                      f"{', '.join(conditions)}, or a behaviour id"
                      f"{did_you_mean(a, conditions + list(BEHAVIOURS))}")

    auto_fail = raw.get("auto_fail", False)
    if not isinstance(auto_fail, bool):
        probs.add(f"{where}: {at} auto_fail = {_show(auto_fail)} is not true or false.")
    reason = raw.get("auto_fail_reason")
    if reason is not None and not isinstance(reason, str):
        probs.add(f"{where}: {at} auto_fail_reason = {_show(reason)} is not a string.")
    elif reason is not None and auto_fail is not True:
        probs.add(f"{where}: {at} auto_fail_reason is set but auto_fail is not true.")

    min_count = raw.get("min_count", 1)
    if not isinstance(min_count, int) or isinstance(min_count, bool) or min_count < 1:
        probs.add(f"{where}: {at} min_count = {_show(min_count)} is not a whole number of at "
                  "least 1.")
    elif min_count > 1 and all(b in JUDGEMENTS for b in behaviours):
        probs.add(f"{where}: {at} min_count = {min_count}: {', '.join(behaviours)} is decided "
                  "once per call, so min_count must be 1.")

    item_conf = raw.get("min_confidence")
    if item_conf is not None and (not _is_number(item_conf) or not 0 <= item_conf <= 1):
        probs.add(f"{where}: {at} min_confidence = {_show(item_conf)} is not a number between "
                  "0 and 1.")
    for f in ("section", "description"):
        if f in raw and not isinstance(raw[f], str):
            probs.add(f"{where}: {at} {f} = {_show(raw[f])} is not a string.")

    params = []
    for key, (behaviour, det) in _TIMING_FIELDS.items():
        if key not in raw:
            continue
        v = raw[key]
        if behaviour not in behaviours:
            probs.add(f'{where}: {at} {key} is a timing threshold of {behaviour} items '
                      f'({det}); this item scores {", ".join(behaviours)}.')
        elif not _is_number(v) or v <= 0:
            probs.add(f"{where}: {at} {key} = {_show(v)} is not a positive number of seconds.")
        else:
            params.append((key, float(v)))

    if len(probs) > n0:
        return None
    return ScorecardItem(
        id=item_id, behaviours=behaviours, weight=float(weight), kind=kind,
        applies_when=tuple(dict.fromkeys(applies)), auto_fail=auto_fail, auto_fail_reason=reason,
        min_count=min_count, min_confidence=None if item_conf is None else float(item_conf),
        section=raw.get("section", _DEFAULT_SECTION), description=raw.get("description", ""),
        params=tuple(params),
    )


# -- TOML writing (tomllib only reads) ----------------------------------------------------
def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else repr(v)
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} to TOML")


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _dump(data: dict[str, Any]) -> str:
    lines: list[str] = []
    for table in ("scorecard", "scoring", "lexicons"):
        lines.append(f"[{table}]")
        lines += [f"{_key(k)} = {_value(v)}" for k, v in data[table].items()]
        lines.append("")
    for name, params in data["detectors"].items():
        lines.append(f"[detectors.{_key(name)}]")
        lines += [f"{_key(k)} = {_value(v)}" for k, v in params.items()]
        lines.append("")
    for item_id, item in data["items"].items():
        lines.append(f"[items.{_key(item_id)}]")
        lines += [f"{_key(k)} = {_value(v)}" for k, v in item.items()]
        lines.append("")
    return "\n".join(lines)
