"""TOML writing for scorecards: a scorecard's TOML-shaped dict as text (tomllib only reads)."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["dumps"]


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


def dumps(data: dict[str, Any]) -> str:
    """Return a TOML-shaped dict (as from :meth:`Scorecard.to_dict`) as TOML text."""
    lines: list[str] = []
    tables = [(t, data[t]) for t in ("scorecard", "scoring", "lexicons", "model")]
    tables += [(f"detectors.{_key(n)}", p) for n, p in data["detectors"].items()]
    tables += [(f"items.{_key(i)}", t) for i, t in data["items"].items()]
    for name, table in tables:
        lines += [f"[{name}]", *(f"{_key(k)} = {_value(v)}" for k, v in table.items()), ""]
    return "\n".join(lines)
