"""Scorecard reading: validates a parsed TOML document and builds the Scorecard, listing every problem."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from csqa.behaviours import BEHAVIOURS
from csqa.errors import ScorecardError, did_you_mean, not_one_of
from csqa.scorecard import (
    _DEFAULT_MIN_CONFIDENCE, _DEFAULT_SECTION, _TIMING_FIELDS, APPLIES_WHEN, JUDGEMENTS,
    MODEL_CHOICES, Scorecard, ScorecardItem, _is_number, known_detectors,
)

__all__ = ["parse"]

_KINDS = ("reward", "penalty")
_TABLES = ("scorecard", "scoring", "lexicons", "model", "detectors", "items")
_TABLE_FIELDS = {
    "scorecard": ("name", "description"), "scoring": ("min_confidence",), "lexicons": ("extra",),
    "model": ("file",),
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
_SHARE = (lambda v: _is_number(v) and 0 < v <= 1, "a number above 0 and at most 1")
_POSITIVE = (lambda v: _is_number(v) and v > 0, "a positive number")
_DETECTOR_CHECKS: dict[str, tuple[Any, str]] = {"doubt": _SHARE, "min_share": _SHARE}
"""Numeric detector parameters that are not just positive numbers (the rest must be, and the
``_s`` ones are seconds)."""


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


def parse(data: Mapping[str, Any], where: str, base_dir: Path, source: Path | None) -> Scorecard:
    """Validate ``data`` into a Scorecard; raise ScorecardError listing every problem."""
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
            elif not (check := _CHECKS.get(k) or _DETECTOR_CHECKS.get(k, _POSITIVE))[0](v):
                probs.append(_bad(where, at, k, v, check[1]))
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
