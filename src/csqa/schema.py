"""The canonical utterance table: its columns and dtypes, speaker words, and row validation.

Every reader hands its rows to :func:`split_valid`, which checks them with vectorised pandas
operations and returns the canonical table plus a rejects table (``types.REJECT_COLUMNS``)
whose rows carry a stable ``reason_code`` and a one-sentence ``reason``.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from typing import NamedTuple

import numpy as np
import pandas as pd

from csqa.errors import InputError, did_you_mean
from csqa.types import REJECT_COLUMNS, REQUIRED_COLUMNS, SOURCE_COLUMNS, SPEAKERS

#: Columns every reader output has, in this order, before the carried-through columns.
CANONICAL_COLUMNS: tuple[str, ...] = (
    "call_id", "turn", "speaker", "text", "start", "end", "agent_id", "customer_name",
)
#: Call-level columns: rows of a call that lack the value take it from the call's other rows.
CALL_COLUMNS: tuple[str, ...] = ("agent_id", "customer_name")
#: dtype of each fixed column of the canonical table.
DTYPES: Mapping[str, str] = {
    "call_id": "str", "turn": "int64", "speaker": "str", "text": "str", "start": "float64",
    "end": "float64", "agent_id": "object", "customer_name": "object", "input_file": "str",
    "input_line": "int64",
}
#: Every ``reason_code`` a rejects table can hold.
REASON_CODES: tuple[str, ...] = (
    "bad_json", "bad_encoding", "missing_value", "empty_text", "unknown_speaker", "bad_type",
    "duplicate_turn", "bad_record",
)
DATAFRAME_SOURCE = "<dataframe>"


class Raw(NamedTuple):
    """What a reader returns before validation: rows (with ``input_file``/``input_line``) and
    the records it could not even turn into rows (bad JSON, bad encoding, bad records)."""

    rows: pd.DataFrame
    rejects: pd.DataFrame


# ---------------------------------------------------------------------------- speaker words
def _normalise_label(label: str) -> str:
    return re.sub(r"[\s\-_]+", "_", label.strip().lower()).strip("_")


@functools.cache
def speaker_words() -> Mapping[str, str]:
    """Return the speaker-word table from ``readers/speakers.toml``: normalised word -> role.

    Returns
    -------
    Mapping[str, str]
        Lower-case words (spaces and hyphens written as ``_``) mapped to ``agent``,
        ``customer`` or ``other``.
    """
    text = (resources.files("csqa") / "readers" / "speakers.toml").read_text(encoding="utf-8")
    roles = tomllib.loads(text)["roles"]
    table: dict[str, str] = {}
    for role, words in roles.items():
        if role not in SPEAKERS:
            raise InputError(f'speakers.toml: role "{role}" is not one of: {", ".join(SPEAKERS)}')
        for word in words:
            key = _normalise_label(word)
            if table.setdefault(key, role) != role:
                raise InputError(f'speakers.toml: "{word}" is listed under {table[key]} and {role}')
    return table


def speaker_role(label: object) -> str | None:
    """Map one speaker label to ``agent``/``customer``/``other``; ``None`` when unknown.

    Parameters
    ----------
    label : object
        A speaker word as written in the input (``"AGENT"``, ``"ejen"``, ``"Customer (Ramon)"``).
        The whole label is tried first, then its first word.

    Returns
    -------
    str or None
    """
    if not isinstance(label, str):
        return None
    words = speaker_words()
    role = words.get(_normalise_label(label))
    if role is None:
        first = re.split(r"[^\w]+|_", label.strip().lower(), maxsplit=1)[0]
        role = words.get(first)
    return role


# ---------------------------------------------------------------------------- empty tables
def empty_rejects() -> pd.DataFrame:
    """Return an empty rejects table.

    Returns
    -------
    DataFrame
        No rows; columns ``types.REJECT_COLUMNS`` with their dtypes.
    """
    return rejects_frame([])


def rejects_frame(records: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Build a rejects table from reject records.

    Parameters
    ----------
    records : iterable of mapping
        Dicts with the keys of ``types.REJECT_COLUMNS``.

    Returns
    -------
    DataFrame
        ``input_file`` (str), ``input_line`` (int64), ``call_id`` (object, None when unknown),
        ``reason_code`` and ``reason`` (str).
    """
    frame = pd.DataFrame(list(records), columns=list(REJECT_COLUMNS))
    frame = frame.astype({"input_file": "str", "input_line": "int64", "call_id": "object",
                          "reason_code": "str", "reason": "str"})
    frame["call_id"] = frame["call_id"].where(frame["call_id"].notna(), None)
    return frame


def empty_utterances(extra: Iterable[str] = ()) -> pd.DataFrame:
    """Return an empty canonical utterance table.

    Parameters
    ----------
    extra : iterable of str
        Carried-through columns to include (dtype ``object``) between the canonical and the
        source columns.

    Returns
    -------
    DataFrame
        No rows; the canonical columns with their dtypes, ``extra``, ``input_file``,
        ``input_line``.
    """
    columns = [*CANONICAL_COLUMNS, *[c for c in extra if c not in DTYPES], *SOURCE_COLUMNS]
    return pd.DataFrame({c: pd.Series(dtype=DTYPES.get(c, "object")) for c in columns})


def check_columns(frame: pd.DataFrame, source: str) -> None:
    """Raise :class:`InputError` when a required column is missing from a whole input.

    Parameters
    ----------
    frame : DataFrame
        The rows read from ``source``.
    source : str
        The file (or ``"<dataframe>"``) named in the message.
    """
    found = [str(c) for c in frame.columns if c not in SOURCE_COLUMNS]
    for column in REQUIRED_COLUMNS:
        if column not in frame.columns:
            err = InputError(
                f'{source}: required column "{column}" is missing; columns found: '
                f'{", ".join(found) or "(none)"}{did_you_mean(column, found)}'
            )
            err.path, err.field = source, column  # type: ignore[attr-defined]
            raise err


# ---------------------------------------------------------------------------- conversions
def quote(value: object, limit: int = 60) -> str:
    """Word a value for a message.

    Parameters
    ----------
    value : object
        Any value; it is shown through ``str``.
    limit : int
        Longest text kept; longer values end in an ellipsis.

    Returns
    -------
    str
        ``"value"`` in double quotes.
    """
    text = str(value)
    return '"' + (text if len(text) <= limit else text[: limit - 1] + "…") + '"'


def _as_text(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Return (values as a ``str`` Series with NaN for nulls, mask of values of a wrong type).

    Strings stay as they are, integers (also integral floats) become their digits; booleans,
    lists and mappings are of the wrong type.
    """
    n = len(series)
    bad = np.zeros(n, dtype=bool)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if pd.api.types.is_bool_dtype(series.dtype):
        return pd.Series(np.nan, index=series.index, dtype="str"), series.notna().to_numpy()
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        return series.astype("str"), bad
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("str"), bad
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        integral = np.isfinite(values) & (values == np.floor(values))
        out = series.astype(object)
        out[integral] = values[integral].astype(np.int64).astype(str)
        out[~integral & ~np.isnan(values)] = values[~integral & ~np.isnan(values)].astype(str)
        return out.where(~np.isnan(values), np.nan).astype("str"), bad
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind in ("string", "empty"):
        return series.astype("str"), bad

    def cell(value: object) -> object:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
            return str(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return None

    nulls = series.isna().to_numpy()
    converted = series.map(cell)
    bad = converted.isna().to_numpy() & ~nulls
    return converted.astype("str"), bad


def _as_number(series: pd.Series) -> np.ndarray:
    """Return the values as float64, NaN where null or not a number."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return np.full(len(series), np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return np.asarray(series.to_numpy(dtype="float64", na_value=np.nan))
    if series.dtype == object:
        series = series.map(lambda v: np.nan if isinstance(v, (bool, list, dict)) else v)
    try:
        numbers = pd.to_numeric(series, errors="coerce")
    except (TypeError, ValueError):
        numbers = pd.to_numeric(series.astype("str"), errors="coerce")
    return np.asarray(numbers.to_numpy(dtype="float64", na_value=np.nan))


def _blank(values: pd.Series) -> np.ndarray:
    return np.asarray((values.str.strip() == "").fillna(False).to_numpy(dtype=bool))


@functools.lru_cache(maxsize=4096)
def _unknown_speaker(value: object) -> str:
    return (f"speaker {quote(value)} is not one of the known speaker words"
            f"{did_you_mean(str(value).strip().lower(), list(speaker_words()))}")


# ---------------------------------------------------------------------------- validation
class _Verdicts:
    """One reason per row: the first check that fails wins."""

    def __init__(self, n: int) -> None:
        self.code = np.full(n, None, dtype=object)
        self.reason = np.full(n, None, dtype=object)

    @property
    def ok(self) -> np.ndarray:
        return np.asarray(pd.isna(self.code))

    def flag(self, mask: np.ndarray, code: str, reason: str | Callable[[int], str],
             values: np.ndarray | None = None) -> None:
        """Reject the rows of ``mask`` not rejected yet; ``reason`` is a function of the row
        position or a template whose ``{}`` is the row's quoted value in ``values``."""
        rows = np.flatnonzero(mask & self.ok)
        self.code[rows] = code
        if isinstance(reason, str):  # the words are built for the rejected rows only
            self.reason[rows] = [reason.format(quote(values[i]) if values is not None else "")
                                 for i in rows]
        else:
            self.reason[rows] = [reason(int(i)) for i in rows]


def split_valid(frame: pd.DataFrame, *, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate raw utterance rows: ``frame`` -> (canonical utterance table, rejects table).

    Parameters
    ----------
    frame : DataFrame
        Rows with at least ``call_id``, ``speaker`` and ``text``; optional ``turn``, ``start``,
        ``end``, ``agent_id``, ``customer_name``; any other columns are carried through.
        ``input_file``/``input_line`` point back at the source; when absent they become
        ``source`` and the row position + 1. ``frame`` is not modified.
    source : str
        Name of the input, used for ``input_file`` when the frame has none and in errors.

    Returns
    -------
    (DataFrame, DataFrame)
        The valid rows as the canonical table (columns ``CANONICAL_COLUMNS``, then the other
        input columns in input order, then ``input_file``, ``input_line``; sorted by call in
        order of first appearance, then turn) and the rejected rows with ``REJECT_COLUMNS``.
        Speaker words are mapped to agent/customer/other; a missing ``turn`` becomes the
        order of appearance of the call's valid rows, from 0; call-level columns are filled
        within each call.

    Raises
    ------
    InputError
        When a required column is missing from the whole frame.
    """
    n = len(frame)
    others = [c for c in frame.columns if c not in CANONICAL_COLUMNS and c not in SOURCE_COLUMNS]
    if n == 0:
        return empty_utterances(others), empty_rejects()
    check_columns(frame, source)
    frame = frame.reset_index(drop=True)  # positions, not labels, from here on (no copy: CoW)
    files = (frame["input_file"].astype("str").to_numpy(dtype=object)
             if "input_file" in frame else np.full(n, source, dtype=object))
    lines = (frame["input_line"].to_numpy(dtype="int64")
             if "input_line" in frame else np.arange(1, n + 1, dtype="int64"))
    v = _Verdicts(n)

    call_id, call_bad = _as_text(frame["call_id"])
    speaker, speaker_bad = _as_text(frame["speaker"])
    text, text_bad = _as_text(frame["text"])
    raw = {name: frame[name].to_numpy(object) for name in REQUIRED_COLUMNS}
    for name, values, bad in (("call_id", call_id, call_bad), ("speaker", speaker, speaker_bad),
                              ("text", text, text_bad)):
        null = frame[name].isna().to_numpy() & ~bad
        v.flag(null, "missing_value", f"{name} is missing")
        if name != "text":
            v.flag(_blank(values), "missing_value", f"{name} {{}} is blank", raw[name])
        v.flag(bad, "bad_type", f"{name} {{}} is not a string", raw[name])
    v.flag(_blank(text), "empty_text", "text {} is empty", raw["text"])

    codes, uniques = pd.factorize(speaker)
    roles_of_unique = np.array([speaker_role(u) for u in uniques] + [None], dtype=object)
    role = roles_of_unique[codes]  # code -1 (null) picks the trailing None
    v.flag(pd.isna(role), "unknown_speaker", lambda i: _unknown_speaker(raw["speaker"][i]))

    turn = np.full(n, np.nan)
    if "turn" in frame:
        turn_raw = frame["turn"]
        turn = _as_number(turn_raw)
        whole = np.isfinite(turn) & (turn == np.floor(turn)) & (turn >= 0)
        v.flag(turn_raw.notna().to_numpy() & ~whole, "bad_type",
               "turn {} is not a whole number from 0", turn_raw.to_numpy(object))
    times: dict[str, np.ndarray] = {}
    for name in ("start", "end"):
        times[name] = np.full(n, np.nan)
        if name in frame:
            col = frame[name]
            times[name] = _as_number(col)
            v.flag(col.notna().to_numpy() & ~np.isfinite(times[name]), "bad_type",
                   f"{name} {{}} is not a number of seconds", col.to_numpy(object))
    start, end = times["start"], times["end"]
    with np.errstate(invalid="ignore"):
        v.flag(end < start, "bad_type", lambda i: f"end {end[i]:g} is before start {start[i]:g}")

    # Turn numbers: a call numbers all its turns or none; (call_id, turn) is unique.
    ok = v.ok
    keys = pd.DataFrame({"call_id": call_id.where(ok), "turn": np.where(ok, turn, np.nan)})
    numbered = keys["turn"].notna().groupby(keys["call_id"]).transform("any").fillna(False)
    v.flag(ok & numbered.to_numpy(dtype=bool) & np.isnan(turn), "missing_value",
           lambda i: f"turn is missing while other turns of call {quote(call_id.iat[i])} "
                     "are numbered")
    ok = v.ok
    keyed = keys[ok & ~np.isnan(turn)].assign(line=lines[ok & ~np.isnan(turn)])
    dup = np.zeros(n, dtype=bool)
    dup[keyed.index[keyed.duplicated(["call_id", "turn"], keep="first")]] = True
    first_line = keyed.groupby(["call_id", "turn"])["line"].transform("first").reindex(range(n))
    v.flag(dup, "duplicate_turn",
           lambda i: f"turn {int(turn[i])} of call {quote(call_id.iat[i])} appears again "
                     f"(first at {int(first_line.iat[i])})")

    rejects = _rejects(v, files, lines, call_id)
    return _canonical(frame, v.ok, call_id, turn, role, text, start, end, files, lines,
                      others), rejects


def _rejects(v: _Verdicts, files: np.ndarray, lines: np.ndarray,
             call_id: pd.Series) -> pd.DataFrame:
    bad = ~v.ok
    ids = call_id.to_numpy(dtype=object, na_value=None)[bad]
    frame = pd.DataFrame({"input_file": pd.Series(files[bad], dtype="str"),
                          "input_line": pd.Series(lines[bad], dtype="int64"),
                          "call_id": pd.Series(ids, dtype=object),
                          "reason_code": pd.Series(v.code[bad], dtype="str"),
                          "reason": pd.Series(v.reason[bad], dtype="str")})
    return frame if len(frame) else empty_rejects()


def _canonical(frame: pd.DataFrame, ok: np.ndarray, call_id: pd.Series, turn: np.ndarray,
               role: np.ndarray, text: pd.Series, start: np.ndarray, end: np.ndarray,
               files: np.ndarray, lines: np.ndarray, others: list[str]) -> pd.DataFrame:
    rows = np.flatnonzero(ok)
    cid = call_id.iloc[rows].reset_index(drop=True)
    turns = pd.Series(turn[rows])
    unnumbered = turns.isna()
    turns[unnumbered] = cid[unnumbered].groupby(cid[unnumbered]).cumcount()
    rank = pd.factorize(cid)[0]
    order = np.lexsort((np.arange(len(rows)), turns.to_numpy(), rank))
    take = rows[order]
    out = {
        "call_id": cid.iloc[order].reset_index(drop=True),
        "turn": turns.iloc[order].astype("int64").reset_index(drop=True),
        "speaker": pd.Series(role[take], dtype="str"),
        "text": text.iloc[take].reset_index(drop=True),
        "start": pd.Series(start[take], dtype="float64"),
        "end": pd.Series(end[take], dtype="float64"),
    }
    sorted_ids = out["call_id"]
    for name in CALL_COLUMNS:
        if name in frame:
            values = _as_text(frame[name])[0].iloc[take].reset_index(drop=True)
            values = values.where(~_blank(values))
            values = values.fillna(values.groupby(sorted_ids).transform("first"))
            out[name] = values.astype(object).where(values.notna(), None)
        else:
            out[name] = pd.Series([None] * len(take), dtype=object)
    table = pd.DataFrame(out)
    if others:
        carried = frame[others].iloc[take].reset_index(drop=True)
        table = pd.concat([table, carried], axis=1)
    table["input_file"] = pd.Series(files[take], dtype="str")
    table["input_line"] = pd.Series(lines[take], dtype="int64")
    return table
