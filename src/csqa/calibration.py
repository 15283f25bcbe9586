"""Calibration against human QA: how far csqa's scores and item outcomes agree with people's.

:func:`calibrate` (``csqa calibrate``) matches csqa's per-call table with the human team's marks
(a CSV of ``call_id`` and ``score``, optionally with item columns) and reports score
correlation and differences, Cohen's kappa per item, the calls where the two differ most, and
every call id that could not be matched.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from csqa.errors import InputError
from csqa.types import PathLike

__all__ = ["CalibrationReport", "calibrate", "cohen_kappa", "load_human"]

_MET = {"met", "1", "1.0", "yes", "y", "pass", "passed", "true", "t"}
_MISSED = {"missed", "0", "0.0", "no", "n", "fail", "failed", "false", "f"}
_NA = {"n/a", "na", "nan", "not applicable", "none", "-"}
_NOT_ITEMS = {"call_id", "score", "agent_id", "customer_name", "lang", "team", "queue", "date",
              "auto_fail", "auto_fail_reason", "n_turns", "has_timestamps"}


def load_human(source: pd.DataFrame | PathLike) -> pd.DataFrame:
    """Read human QA marks: a DataFrame, or a CSV / JSONL / Parquet file.

    In files, an empty cell means "not rated" and ``n/a`` means "not applicable" (CSV cells
    are read as text, so ``n/a`` is not turned into a missing value). ``call_id`` is read as
    text so ids such as ``007`` keep their zeros.

    Raises
    ------
    InputError
        The file cannot be read, or it has no ``call_id`` column, or a call id repeats.
    """
    if isinstance(source, pd.DataFrame):
        human, where = source.copy(), "human"
    else:
        path = Path(source)
        where = path.name
        try:
            if path.suffix == ".parquet":
                human = pd.read_parquet(path)
            elif path.suffix in (".jsonl", ".json"):
                human = pd.read_json(path, lines=path.suffix == ".jsonl", dtype={"call_id": str})
            else:
                human = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"{where}: cannot read human QA marks: {exc}") from None
    if "call_id" not in human.columns:
        raise InputError(f"{where}: column call_id is missing; columns: "
                         f"{', '.join(map(str, human.columns))}")
    human["call_id"] = human["call_id"].astype(str).str.strip()
    dup = human["call_id"][human["call_id"].duplicated()]
    if len(dup):
        raise InputError(f"{where}: call_id {dup.iloc[0]!r} appears more than once; give one "
                         "row per call.")
    human.attrs["source"] = where
    return human


def _outcome(value: object, where: str, column: str, call_id: str) -> str | None:
    """Normalise one mark to met / missed / n/a, or None when not rated."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"  # a missing value in a DataFrame is csqa's own "not applicable"
    if isinstance(value, bool | np.bool_):
        return "met" if value else "missed"
    text = str(value).strip().lower()
    if text == "":
        return None
    for label, words in (("met", _MET), ("missed", _MISSED), ("n/a", _NA)):
        if text in words:
            return label
    raise InputError(f'{where}: call {call_id}: {column} "{value}" is not one of: met, missed, '
                     "n/a (or 1, 0, yes, no, pass, fail; empty = not rated)")


def cohen_kappa(a: pd.Series, b: pd.Series) -> float:
    """Cohen's kappa of two raters' labels: ``(p_o - p_e) / (1 - p_e)``.

    ``p_o`` is the share of pairs that agree, ``p_e`` the agreement expected by chance from
    each rater's label frequencies. NaN when there are no pairs or ``p_e == 1`` (both raters
    always gave the same single label).
    """
    a, b = pd.Series(a).reset_index(drop=True), pd.Series(b).reset_index(drop=True)
    if len(a) == 0:
        return float("nan")
    po = float((a == b).mean())
    fa, fb = a.value_counts(normalize=True), b.value_counts(normalize=True)
    pe = float(sum(fa.get(k, 0.0) * fb.get(k, 0.0) for k in set(fa.index) | set(fb.index)))
    return float("nan") if pe >= 1 else (po - pe) / (1 - pe)


@dataclass(frozen=True)
class CalibrationReport:
    """Agreement between csqa and human QA marks.

    Attributes
    ----------
    n_matched : int
        Calls present in both tables.
    n_score_pairs : int
        Matched calls where both have a score (csqa has none when no item applied).
    pearson, pearson_p, spearman, spearman_p : float
        Correlation of the scores and its p-value (NaN with fewer than 3 pairs or constant
        scores).
    mean_abs_diff, mean_diff : float
        Mean of ``|csqa - human|`` and of ``csqa - human`` (positive: csqa is more generous).
    items : DataFrame
        Per item: ``n`` (calls rated by both), ``agreement`` (share identical among met /
        missed / n/a), ``kappa`` (Cohen's kappa over those three outcomes),
        ``n_both_applicable`` and ``kappa_outcome`` (met vs missed where both say the item
        applies), ``csqa_met_rate``, ``human_met_rate``.
    largest_differences : DataFrame
        Up to 10 calls with the largest ``|csqa - human|``: call_id, agent_id, score_csqa,
        score_human, difference, items_disagreeing.
    unmatched_human : tuple of str
        Call ids the humans marked but csqa did not score.
    unmatched_csqa : tuple of str
        Call ids csqa scored but the humans did not mark.
    ignored_columns : tuple of str
        Human columns that are neither ``score`` nor an item of the csqa table.
    """

    n_matched: int
    n_score_pairs: int
    pearson: float
    pearson_p: float
    spearman: float
    spearman_p: float
    mean_abs_diff: float
    mean_diff: float
    items: pd.DataFrame = field(repr=False)
    largest_differences: pd.DataFrame = field(repr=False)
    unmatched_human: tuple[str, ...] = ()
    unmatched_csqa: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()

    def to_text(self) -> str:
        """Plain-text report (what ``csqa calibrate`` prints)."""
        def f(x: float, spec: str = ".2f") -> str:
            return "n/a" if x is None or pd.isna(x) else format(x, spec)

        def ids(xs: tuple[str, ...]) -> str:
            return ", ".join(xs[:20]) + (f" ... ({len(xs)} in all)" if len(xs) > 20 else "")

        lines = [f"Calibration: {self.n_matched} calls marked by both csqa and the human team."]
        if self.unmatched_human:
            lines.append(f"  {len(self.unmatched_human)} human-marked calls were not scored by "
                         f"csqa (left out): {ids(self.unmatched_human)}")
        if self.unmatched_csqa:
            lines.append(f"  {len(self.unmatched_csqa)} csqa-scored calls have no human mark "
                         f"(left out): {ids(self.unmatched_csqa)}")
        if self.ignored_columns:
            lines.append(f"  human columns not compared: {', '.join(self.ignored_columns)}")
        lines += ["", f"Scores ({self.n_score_pairs} calls with both): Pearson r = "
                      f"{f(self.pearson)} (p = {f(self.pearson_p, '.3g')}), Spearman rho = "
                      f"{f(self.spearman)} (p = {f(self.spearman_p, '.3g')})",
                  f"  mean |csqa - human| = {f(self.mean_abs_diff, '.1f')} points; csqa - human "
                  f"on average = {f(self.mean_diff, '+.1f')} points"]
        if len(self.items):
            lines += ["", "Items (Cohen's kappa: < 0.4 poor, 0.4-0.6 moderate, 0.6-0.8 "
                          "substantial, > 0.8 almost perfect):",
                      self.items.to_string(index=False, float_format=lambda v: f"{v:.2f}")]
        if len(self.largest_differences):
            lines += ["", "Largest differences:",
                      self.largest_differences.to_string(index=False,
                                                         float_format=lambda v: f"{v:.1f}")]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _read_calls(calls: pd.DataFrame | PathLike) -> pd.DataFrame:
    if isinstance(calls, pd.DataFrame):
        return calls
    p = Path(calls)
    if p.is_dir():
        p = next((q for q in (p / "calls.parquet", p / "calls.csv") if q.is_file()), p / "calls.parquet")
    if not p.is_file():
        raise InputError(f"{p}: csqa calls table not found")
    return pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, dtype={"call_id": str})


def calibrate(
    calls: pd.DataFrame | PathLike, human: pd.DataFrame | PathLike, *,
    items: list[str] | None = None, n_largest: int = 10,
) -> CalibrationReport:
    """Compare csqa's per-call results with human QA marks (``csqa calibrate``).

    Parameters
    ----------
    calls : DataFrame or path
        csqa's per-call table (``result.calls``), or a ``calls.parquet`` / ``calls.csv`` file or
        a scored output folder holding one.
    human : DataFrame or path
        ``call_id`` and ``score`` (0-100) and/or item columns named like csqa's items, with
        met / missed / n/a (or 1 / 0, yes / no, pass / fail); see :func:`load_human`.
    items : list of str, optional
        Items to compare; default every human column that is an item column of ``calls``.
    n_largest : int, default 10
        Rows in :attr:`CalibrationReport.largest_differences`.

    Returns
    -------
    CalibrationReport

    Raises
    ------
    InputError
        A table cannot be read, a requested item is missing, or a mark is not understood.
    """
    machine = _read_calls(calls).copy()
    h = load_human(human)
    where = h.attrs.get("source", "human")
    machine["call_id"] = machine["call_id"].astype(str)
    m_ids, h_ids = set(machine["call_id"]), set(h["call_id"])
    both = machine.merge(h, on="call_id", how="inner", suffixes=("_csqa", "_human"))
    item_like = [c for c in h.columns if c not in _NOT_ITEMS and c in machine.columns
                 and pd.to_numeric(machine[c], errors="coerce").dropna().isin([0, 1]).all()]
    if items is None:
        items = item_like
    for it in items:
        if it not in item_like:
            raise InputError(f'{where}: item "{it}" is not a column of both tables; items found: '
                             f"{', '.join(item_like) or 'none'}")
    ignored = tuple(c for c in h.columns if c not in {"call_id", "score", *items})

    if "score" in h.columns and "score" in machine.columns:
        s_m = pd.to_numeric(both["score_csqa"], errors="coerce")
        s_h = pd.to_numeric(both["score_human"].replace("", np.nan), errors="coerce")
    else:
        s_m = s_h = pd.Series(np.nan, index=both.index)
    pair = s_m.notna() & s_h.notna()
    if pair.any() and s_h[pair].between(0, 1).all() and s_h[pair].max() <= 1 and (s_m[pair] > 1).any():
        warnings.warn(f"{where}: human scores are all between 0 and 1; csqa scores are 0-100. "
                      "Multiply them by 100 if they are fractions.", stacklevel=2)
    x, y = s_m[pair].to_numpy(float), s_h[pair].to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ok = len(x) >= 3 and np.ptp(x) > 0 and np.ptp(y) > 0
        pr = stats.pearsonr(x, y) if ok else (np.nan, np.nan)
        sr = stats.spearmanr(x, y) if ok else (np.nan, np.nan)
    diff = x - y

    rows: list[dict[str, object]] = []
    disagree: dict[str, list[str]] = {cid: [] for cid in both["call_id"]}
    for it in items:
        mcol = it if it in both.columns else f"{it}_csqa"
        hcol = it if it in both.columns else f"{it}_human"
        mo = both[mcol].map(lambda v: "n/a" if pd.isna(v) else ("met" if float(v) == 1 else "missed"))
        ho = pd.Series([_outcome(v, where, it, c) for v, c in zip(both[hcol], both["call_id"], strict=True)],
                       index=both.index, dtype=object)
        rated = ho.notna()
        applic = rated & (mo != "n/a") & (ho != "n/a")
        for cid in both.loc[rated & (mo != ho), "call_id"]:
            disagree[cid].append(it)
        rows.append({
            "item": it, "n": int(rated.sum()),
            "agreement": float((mo[rated] == ho[rated]).mean()) if rated.any() else np.nan,
            "kappa": cohen_kappa(mo[rated], ho[rated]),
            "n_both_applicable": int(applic.sum()),
            "kappa_outcome": cohen_kappa(mo[applic], ho[applic]),
            "csqa_met_rate": float((mo[applic] == "met").mean()) if applic.any() else np.nan,
            "human_met_rate": float((ho[applic] == "met").mean()) if applic.any() else np.nan,
        })
    item_table = pd.DataFrame(rows, columns=["item", "n", "agreement", "kappa", "n_both_applicable",
                                             "kappa_outcome", "csqa_met_rate", "human_met_rate"])

    top = pd.DataFrame({
        "call_id": both.loc[pair, "call_id"].to_numpy(),
        "agent_id": (both.loc[pair, "agent_id"].to_numpy() if "agent_id" in both
                     else both.loc[pair, "agent_id_csqa"].to_numpy() if "agent_id_csqa" in both
                     else None),
        "score_csqa": x, "score_human": y, "difference": diff,
    })
    top["items_disagreeing"] = top["call_id"].map(lambda c: ", ".join(disagree.get(c, [])))
    top = top.reindex(top["difference"].abs().sort_values(ascending=False, kind="stable").index)
    return CalibrationReport(
        n_matched=len(both), n_score_pairs=int(pair.sum()),
        pearson=float(pr[0]), pearson_p=float(pr[1]), spearman=float(sr[0]), spearman_p=float(sr[1]),
        mean_abs_diff=float(np.abs(diff).mean()) if len(diff) else np.nan,
        mean_diff=float(diff.mean()) if len(diff) else np.nan,
        items=item_table, largest_differences=top.head(n_largest).reset_index(drop=True),
        unmatched_human=tuple(sorted(h_ids - m_ids)), unmatched_csqa=tuple(sorted(m_ids - h_ids)),
        ignored_columns=ignored,
    )
