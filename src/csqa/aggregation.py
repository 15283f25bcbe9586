"""Per-agent (per-team, per-week...) tables from per-call scores, honest about uncertainty.

:func:`aggregate` gives the public ``result.agents`` table: call counts, the mean score with a
95% t-interval, an adjusted score shrunk toward the team mean (empirical Bayes), rank and
percentile on the adjusted score, behaviour rates with Wilson intervals, and flags where a
group's rate is significantly worse than the rest of its pool (one-sided Fisher exact test,
Benjamini-Hochberg corrected). :func:`trend` gives period-over-period changes. The maths is
explained for analysts in ``docs/scorecards.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from csqa.behaviours import BEHAVIOURS
from csqa.errors import InputError, not_one_of
from csqa.scorecard import NEEDS_TIMESTAMPS, Scorecard
from csqa.types import PathLike

__all__ = [
    "UNATTRIBUTED", "add_period", "adjust_pvalues", "aggregate", "flag_tests", "shrink",
    "t_interval", "trend", "wilson_interval",
]

UNATTRIBUTED = "(unattributed)"
"""Label of the row that collects calls with no ``agent_id``."""
MISSING = "(missing)"
"""Label for calls with no value in another grouping column."""
PERIODS: tuple[str, ...] = ("day", "week", "month")
CORRECTIONS: tuple[str, ...] = ("fdr_bh", "holm", "none")
_Z = float(stats.norm.ppf(0.975))


# -- the statistics, on plain arrays -------------------------------------------------------
def t_interval(mean: np.ndarray, sd: np.ndarray, n: np.ndarray, confidence: float = 0.95
               ) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval for a mean: ``mean ± t(1-a/2, n-1) * sd / sqrt(n)``, clipped to [0, 100].

    Returns NaN where ``n < 2`` (one call gives no estimate of the spread).
    """
    mean, sd, n = (np.asarray(a, dtype=float) for a in (mean, sd, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return np.clip(mean - half, 0, 100), np.clip(mean + half, 0, 100)


def wilson_interval(x: np.ndarray, n: np.ndarray, confidence: float = 0.95
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``x / n`` (NaN where ``n == 0``)."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def shrink(n: np.ndarray, mean: np.ndarray, ss_within: np.ndarray) -> dict[str, np.ndarray | float]:
    """Empirical-Bayes shrinkage of group means toward the pooled mean.

    Model: a group's true mean varies around the pool mean with variance ``tau2``; its calls
    vary around the group's true mean with variance ``sigma2``. Estimates (one-way random
    effects ANOVA, method of moments)::

        N = sum(n),  J = groups,  mu = sum(n * mean) / N          (mean of all calls)
        sigma2 = sum(ss_within) / (N - J)                           (pooled within variance)
        MSB = sum(n * (mean - mu)**2) / (J - 1)
        n0 = (N - sum(n**2) / N) / (J - 1)
        tau2 = max(0, (MSB - sigma2) / n0)
        reliability = n / (n + sigma2 / tau2)
        adjusted = mu + reliability * (mean - mu)

    When ``tau2 = 0`` (the groups differ no more than chance would make them) or ``N = J``
    (no group has two calls, so spread cannot be told from differences) every reliability is
    0: all adjusted scores equal ``mu``. When ``sigma2 = 0 < tau2`` reliabilities are 1.

    Parameters
    ----------
    n, mean, ss_within : arrays
        Per group: scored calls, mean score, sum of squared deviations from the group mean.
        Groups with ``n == 0`` are ignored (their outputs are NaN).

    Returns
    -------
    dict
        ``adjusted`` and ``reliability`` arrays, and the scalars ``mu``, ``sigma2``, ``tau2``.
    """
    n, mean, ss = (np.asarray(a, dtype=float) for a in (n, mean, ss_within))
    ok = n > 0
    N, J = n[ok].sum(), int(ok.sum())
    out_nan = np.full(len(n), np.nan)
    if J == 0:
        return {"adjusted": out_nan, "reliability": out_nan, "mu": np.nan, "sigma2": np.nan,
                "tau2": np.nan}
    mu = float((n[ok] * mean[ok]).sum() / N)
    sigma2 = float(ss[ok].sum() / (N - J)) if N > J else np.nan
    if J > 1 and not np.isnan(sigma2):
        msb = float((n[ok] * (mean[ok] - mu) ** 2).sum() / (J - 1))
        n0 = (N - (n[ok] ** 2).sum() / N) / (J - 1)
        tau2 = max(0.0, (msb - sigma2) / n0)
    else:
        tau2 = np.nan if J > 1 else 0.0
    if J == 1:
        rel = np.ones(len(n))
    elif np.isnan(tau2) or tau2 == 0:
        rel = np.zeros(len(n))
    elif sigma2 == 0:
        rel = np.ones(len(n))
    else:
        rel = n / (n + sigma2 / tau2)
    rel = np.where(ok, rel, np.nan)
    return {"adjusted": np.where(ok, mu + rel * (mean - mu), np.nan), "reliability": rel,
            "mu": mu, "sigma2": sigma2, "tau2": tau2}


def adjust_pvalues(p: np.ndarray, method: str = "fdr_bh") -> np.ndarray:
    """Correct p-values for multiple comparisons (NaN entries are left out and stay NaN).

    ``fdr_bh``: Benjamini-Hochberg (false discovery rate); ``holm``: Holm (family-wise);
    ``none``: unchanged.
    """
    if method not in CORRECTIONS:
        raise InputError(not_one_of("adjust_pvalues", "method", method, CORRECTIONS))
    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    idx = np.flatnonzero(~np.isnan(p))
    m = len(idx)
    if m == 0 or method == "none":
        return p.copy()
    order = idx[np.argsort(p[idx], kind="stable")]
    ranked = p[order]
    if method == "fdr_bh":
        adj = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    else:
        adj = np.maximum.accumulate(ranked * (m - np.arange(m)))
    out[order] = np.minimum(adj, 1.0)
    return out


# -- preparing the call table --------------------------------------------------------------
def add_period(calls: pd.DataFrame, period: str = "week", *, date_column: str = "date") -> pd.DataFrame:
    """Return ``calls`` with a ``period`` column: the date truncated to the day, ISO week start
    (Monday) or month start. Unparseable or missing dates give NaT."""
    if period not in PERIODS:
        raise InputError(not_one_of("calls", "period", period, PERIODS))
    if date_column not in calls.columns:
        raise InputError(f'calls: grouping by {period} needs a "{date_column}" column; columns: '
                         f"{', '.join(map(str, calls.columns))}")
    d = calls[date_column]
    if not pd.api.types.is_datetime64_any_dtype(d):
        d = pd.to_datetime(d, errors="coerce", format="mixed")
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    d = d.dt.normalize()
    if period == "week":
        d = d - pd.to_timedelta(d.dt.day_of_week, unit="D")
    elif period == "month":
        d = d.dt.to_period("M").dt.start_time
    return calls.assign(**{period: d})


def _prepare(calls: pd.DataFrame, by: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    df = calls.reset_index(drop=True)
    for k in by:
        if k in PERIODS and k not in df.columns:
            df = add_period(df, k)
        elif k not in df.columns:
            raise InputError(not_one_of("calls", "grouping column", k, map(str, df.columns)))
    keys = list(by) or ["_all"]
    if not by:
        df = df.assign(_all="all")
    for k in keys:
        col = df[k]
        blank = col.isna() | col.astype("string").str.strip().eq("").fillna(False)
        df[k] = col.astype(object).where(~blank, UNATTRIBUTED if k == "agent_id" else MISSING)
    return df, keys


def _applicable(df: pd.DataFrame, sc: Scorecard) -> dict[str, np.ndarray]:
    """Per behaviour: calls where it could be expected (the scorecard items that score it)."""
    out = {}
    ts = (df["has_timestamps"].astype("boolean").fillna(False).to_numpy(bool)
          if "has_timestamps" in df else np.ones(len(df), bool))
    item_app = {i.id: df[i.id].notna().to_numpy() for i in sc.items if i.id in df.columns}
    for b in BEHAVIOURS:
        cols = [item_app[i.id] for i in sc.items if b in i.behaviours and i.id in item_app]
        if cols:
            out[b] = np.logical_or.reduce(cols)
        else:
            out[b] = ts.copy() if b in NEEDS_TIMESTAMPS else np.ones(len(df), bool)
    return out


def _summary(df: pd.DataFrame, keys: list[str], sc: Scorecard) -> pd.DataFrame:
    """Score statistics and behaviour rates per group (no shrinkage, ranks or flags)."""
    by = [df[k] for k in keys]
    score = pd.to_numeric(df["score"], errors="coerce") if "score" in df else pd.Series(np.nan, df.index)
    s = score.groupby(by, sort=False, dropna=False)
    out = pd.DataFrame({"n_calls": s.size(), "n_scored": s.count(), "score_mean": s.mean(),
                        "score_sd": s.std(ddof=1)})
    out["_ss"] = (score - s.transform("mean")).pow(2).groupby(by, sort=False, dropna=False).sum()
    out["score_ci_low"], out["score_ci_high"] = t_interval(out["score_mean"], out["score_sd"],
                                                          out["n_scored"])
    if "auto_fail" in df:
        out["auto_fail_rate"] = df["auto_fail"].astype(float).groupby(by, sort=False, dropna=False).mean()
    present = [b for b in BEHAVIOURS if f"n_{b}" in df]
    if present:
        app = _applicable(df, sc)
        a = pd.DataFrame({b: app[b] for b in present}, index=df.index)
        found = df[[f"n_{b}" for b in present]].apply(pd.to_numeric, errors="coerce").fillna(0)
        x_df = pd.DataFrame(found.to_numpy() > 0, index=df.index, columns=present) & a
        x = x_df.groupby(by, sort=False, dropna=False).sum().reindex(out.index).to_numpy(float)
        n = a.groupby(by, sort=False, dropna=False).sum().reindex(out.index).to_numpy(float)
        low, high = wilson_interval(x, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(n > 0, x / n, np.nan)
        cols = {}
        for j, b in enumerate(present):
            cols[f"rate_{b}"], cols[f"rate_{b}_ci_low"] = rate[:, j], low[:, j]
            cols[f"rate_{b}_ci_high"], cols[f"n_{b}_applicable"] = high[:, j], n[:, j].astype("int64")
        cols.update({f"_x_{b}": x[:, j].astype("int64") for j, b in enumerate(present)})
        out = pd.concat([out, pd.DataFrame(cols, index=out.index)], axis=1)
    out = out.reset_index()
    return out.iloc[_sort_order(out, keys)].reset_index(drop=True)


def _sort_order(df: pd.DataFrame, keys: list[str]) -> np.ndarray:
    text = pd.DataFrame({k: df[k].map(lambda v: v.isoformat() if isinstance(v, pd.Timestamp)
                                      else str(v)) for k in keys})
    return np.lexsort([text[k].to_numpy() for k in reversed(keys)])


def _pools(summary: pd.DataFrame, pool_by: Sequence[str]) -> list[np.ndarray]:
    if not pool_by:
        return [np.arange(len(summary))]
    return [np.asarray(ix) for ix in summary.groupby(list(pool_by), sort=False, dropna=False).indices.values()]


# -- public tables -------------------------------------------------------------------------
def _directions(sc: Scorecard) -> dict[str, str]:
    """Which way is worse, per agent behaviour: "credit" (less is worse) or "cost" (more is).

    The scorecard decides when its items score the behaviour one way (strict's penalty on
    ``soft_sell``); otherwise the catalogue's polarity.
    """
    out = {}
    for b in BEHAVIOURS:
        if BEHAVIOURS[b].polarity == "signal":
            continue
        kinds = {i.kind for i in sc.items if b in i.behaviours}
        out[b] = ("cost" if kinds == {"penalty"} else "credit" if kinds == {"reward"}
                  else BEHAVIOURS[b].polarity)
    return out


def _flag_table(summary: pd.DataFrame, keys: list[str], pool_by: Sequence[str],
                min_calls: int, alpha: float, correction: str, sc: Scorecard) -> pd.DataFrame:
    direction = _directions(sc)
    scored = [b for b in direction if f"_x_{b}" in summary]
    cols = [*keys, "behaviour", "polarity", "x", "n", "rate", "rest_x", "rest_n", "rest_rate",
            "p_value", "p_adjusted", "flag"]
    if not scored or not len(summary):
        return pd.DataFrame(columns=[*cols, "_row"])
    credit = np.array([direction[b] == "credit" for b in scored])
    testable = ~(summary[keys] == UNATTRIBUTED).any(axis=1).to_numpy()
    parts = []
    for ix in _pools(summary, pool_by):
        x = summary.iloc[ix][[f"_x_{b}" for b in scored]].to_numpy(float)
        n = summary.iloc[ix][[f"n_{b}_applicable" for b in scored]].to_numpy(float)
        t = testable[ix][:, None]
        tx, tn = (x * t).sum(axis=0), (n * t).sum(axis=0)          # the pool's totals
        rx, rn = np.where(t, tx - x, tx), np.where(t, tn - n, tn)  # the rest of the pool
        # one-sided Fisher exact test = hypergeometric tail of x given the margins
        p = np.where(credit, stats.hypergeom.cdf(x, tn, tx, n), stats.hypergeom.sf(x - 1, tn, tx, n))
        ok = t & (n >= min_calls) & (rn > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            parts.append(pd.DataFrame({
                **{k: np.repeat(summary[k].to_numpy()[ix], len(scored)) for k in keys},
                "behaviour": np.tile(scored, len(ix)),
                "polarity": np.tile(np.where(credit, "credit", "cost"), len(ix)),
                "x": x.ravel().astype(int), "n": n.ravel().astype(int), "rate": (x / n).ravel(),
                "rest_x": rx.ravel().astype(int), "rest_n": rn.ravel().astype(int),
                "rest_rate": (rx / rn).ravel(), "p_value": np.where(ok, p, np.nan).ravel(),
                "_row": np.repeat(ix, len(scored)),
            }))
    out = pd.concat(parts, ignore_index=True)
    out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(), correction)
    out["flag"] = (out["p_adjusted"] <= alpha).fillna(False).astype(bool)
    return out[[*cols, "_row"]]


def flag_tests(
    calls: pd.DataFrame, scorecard: Scorecard | PathLike | None = None, *,
    by: Sequence[str] = ("agent_id",), pool_by: Sequence[str] = (),
    min_calls_for_flags: int = 10, alpha: float = 0.05, correction: str = "fdr_bh",
) -> pd.DataFrame:
    """Return the test behind every ``flag_<behaviour>`` of :func:`aggregate` (long table).

    One row per group and agent behaviour: ``x`` of ``n`` applicable calls showed it
    (``rate``), against ``rest_x`` of ``rest_n`` in the rest of the pool; the one-sided
    Fisher exact ``p_value`` that the group is *worse* (``polarity`` credit: lower rate;
    cost: higher rate; the scorecard's item kind decides when an item scores the behaviour,
    else the catalogue), NaN when not tested (fewer than ``min_calls_for_flags``
    applicable calls, the unattributed row, or no other group to compare with);
    ``p_adjusted`` after ``correction`` over all tests in the table; ``flag``.
    Parameters as for :func:`aggregate`.
    """
    sc = Scorecard.load(scorecard)
    df, keys = _prepare(calls, by)
    summary = _summary(df, keys, sc)
    out = _flag_table(summary, keys, pool_by, min_calls_for_flags, alpha, correction, sc)
    return out.drop(columns="_row", errors="ignore")


def aggregate(
    calls: pd.DataFrame, scorecard: Scorecard | PathLike | None = None, *,
    by: Sequence[str] = ("agent_id",), pool_by: Sequence[str] = (),
    min_calls_for_flags: int = 10, min_calls_for_rank: int = 5, alpha: float = 0.05,
    correction: str = "fdr_bh",
) -> pd.DataFrame:
    """Aggregate per-call scores into one row per group (the public ``result.agents``).

    Parameters
    ----------
    calls : DataFrame
        :func:`csqa.scoring.score_calls` output (``score``, ``auto_fail``, item columns,
        ``n_<behaviour>`` counts and metadata).
    scorecard : Scorecard, path, name or None
        The scorecard the calls were scored with; its items decide over which calls each
        behaviour's rate is computed (default scorecard when None).
    by : sequence of str, default ("agent_id",)
        Grouping columns: any column of ``calls``, or ``week`` / ``month`` / ``day`` (from the
        ``date`` column). Calls with no ``agent_id`` form one ``"(unattributed)"`` row; other
        missing values are ``"(missing)"``.
    pool_by : sequence of str, default ()
        Columns (a subset of ``by``) that split the groups into pools: shrinkage, ranks and
        flag tests compare a group only with its pool (``pool_by=("team",)``: agents against
        their own team). Default: one pool of everything passed in.
    min_calls_for_flags : int, default 10
        A group is tested for a behaviour only with at least this many applicable calls.
    min_calls_for_rank : int, default 5
        Groups with fewer scored calls get an adjusted score but no rank or percentile.
    alpha : float, default 0.05
        Flag when the corrected p-value is at most ``alpha``.
    correction : {"fdr_bh", "holm", "none"}, default "fdr_bh"
        Multiple-comparison correction over all (group, behaviour) tests.

    Returns
    -------
    DataFrame
        Sorted by the ``by`` columns: the keys, ``n_calls``, ``n_scored`` (calls with a score),
        ``score_mean``, ``score_sd``, ``score_ci_low``, ``score_ci_high`` (95% t-interval,
        clipped to 0-100; NaN with fewer than 2 scored calls), ``score_adjusted``,
        ``score_reliability`` (the weight n/(n + sigma2/tau2) on the group's own mean),
        ``rank`` (1 = best adjusted score, within the pool, among groups with at least
        ``min_calls_for_rank`` scored calls; ties share the best rank), ``percentile`` (share
        of ranked groups whose adjusted score is at or below this one), ``auto_fail_rate``, then per
        behaviour ``rate_<id>``, ``rate_<id>_ci_low``, ``rate_<id>_ci_high`` (Wilson 95%),
        ``n_<id>_applicable`` and, for agent behaviours (not customer signals), ``flag_<id>``
        (False when not tested). The unattributed
        row has no adjusted score, rank, percentile or flags.
    """
    if correction not in CORRECTIONS:
        raise InputError(not_one_of("aggregate", "correction", correction, CORRECTIONS))
    bad_pool = [p for p in pool_by if p not in by]
    if bad_pool:
        raise InputError(not_one_of("aggregate", "pool_by column", bad_pool[0], by))
    sc = Scorecard.load(scorecard)
    df, keys = _prepare(calls, by)
    s = _summary(df, keys, sc)
    attributed = ~(s[keys] == UNATTRIBUTED).any(axis=1).to_numpy()
    adjusted = np.full(len(s), np.nan)
    reliability = np.full(len(s), np.nan)
    rank = pd.Series(pd.NA, index=s.index, dtype="Int64")
    pct = np.full(len(s), np.nan)
    for ix in _pools(s, pool_by):
        ix = ix[attributed[ix]]
        res = shrink(s["n_scored"].to_numpy()[ix], s["score_mean"].to_numpy()[ix],
                     s["_ss"].to_numpy()[ix])
        adjusted[ix], reliability[ix] = res["adjusted"], res["reliability"]
        ranked = ix[s["n_scored"].to_numpy()[ix] >= min_calls_for_rank]
        adj = pd.Series(adjusted[ranked], index=ranked)
        rank.loc[ranked] = adj.rank(ascending=False, method="min").astype("Int64")
        pct[ranked] = (adj.rank(method="max", pct=True) * 100).to_numpy()
    s.insert(s.columns.get_loc("score_ci_high") + 1, "score_adjusted", adjusted)
    s.insert(s.columns.get_loc("score_adjusted") + 1, "score_reliability", reliability)
    s.insert(s.columns.get_loc("score_reliability") + 1, "rank", rank)
    s.insert(s.columns.get_loc("rank") + 1, "percentile", pct)
    flags = _flag_table(s, keys, pool_by, min_calls_for_flags, alpha, correction, sc)
    f_beh, f_row = flags["behaviour"].to_numpy(), flags["_row"].to_numpy(int)
    f_flag = flags["flag"].to_numpy(bool)
    new = {}
    for col in s.columns:
        if col == "_ss" or col.startswith("_x_"):
            continue
        new[col] = s[col]
        b = col[2:-len("_applicable")] if col.startswith("n_") and col.endswith("_applicable") else ""
        if b in BEHAVIOURS and BEHAVIOURS[b].polarity != "signal":
            flag = np.zeros(len(s), dtype=bool)
            hit = f_beh == b
            flag[f_row[hit]] = f_flag[hit]
            new[f"flag_{b}"] = flag
    s = pd.DataFrame(new, index=s.index)
    return s.drop(columns="_all") if not by else s


def trend(
    calls: pd.DataFrame, scorecard: Scorecard | PathLike | None = None, *,
    by: Sequence[str] = (), period: str = "week", alpha: float = 0.05,
) -> pd.DataFrame:
    """Period-over-period change of the score and behaviour rates, per group.

    Parameters
    ----------
    calls : DataFrame
        As for :func:`aggregate`, with a ``date`` column.
    scorecard : Scorecard, path, name or None
        As for :func:`aggregate`.
    by : sequence of str, default ()
        Groups to follow over time (``("team",)``, ``("agent_id",)``); () is everything.
    period : {"week", "month", "day"}, default "week"
        ``week`` starts on Monday (ISO).
    alpha : float, default 0.05
        ``score_change_significant`` is True when Welch's t-test p-value is below it.

    Returns
    -------
    DataFrame
        Per group and period, sorted: the keys, ``period`` column, ``n_calls``, ``n_scored``,
        ``score_mean``, ``score_ci_low``, ``score_ci_high``, ``prev_score_mean`` (the
        *immediately* previous period; NaN when it had no calls), ``score_change``,
        ``score_change_p`` (Welch), ``score_change_significant``, and per agent behaviour
        ``rate_<id>`` and ``rate_<id>_change``.
    """
    if period not in PERIODS:
        raise InputError(not_one_of("trend", "period", period, PERIODS))
    sc = Scorecard.load(scorecard)
    df, keys = _prepare(add_period(calls, period), (*by, period))
    s = _summary(df, keys, sc)
    step = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1),
            "month": pd.DateOffset(months=1)}[period]
    prev = s.copy()
    prev[period] = prev[period].map(lambda d: d + step if isinstance(d, pd.Timestamp) else d)
    rates = [f"rate_{b}" for b in BEHAVIOURS
             if BEHAVIOURS[b].polarity != "signal" and f"rate_{b}" in s]
    keep = ["score_mean", "score_sd", "n_scored", *rates]
    m = s.merge(prev[[*keys, *keep]], on=keys, how="left", suffixes=("", "_prev"))
    has_prev = m[period].map(lambda d: isinstance(d, pd.Timestamp)).to_numpy()
    m["prev_score_mean"] = np.where(has_prev, m["score_mean_prev"], np.nan)
    m["score_change"] = m["score_mean"] - m["prev_score_mean"]
    with np.errstate(invalid="ignore", divide="ignore"):
        arr = {c: m[c].to_numpy(float) for c in ("score_mean", "score_sd", "n_scored",
                                                 "score_mean_prev", "score_sd_prev", "n_scored_prev")}
        p = stats.ttest_ind_from_stats(*arr.values(), equal_var=False).pvalue
    m["score_change_p"] = np.where(has_prev, p, np.nan)
    m["score_change_significant"] = (m["score_change_p"] < alpha).fillna(False).astype(bool)
    for r in rates:
        m[f"{r}_change"] = np.where(has_prev, m[r] - m[f"{r}_prev"], np.nan)
    cols = [*keys, "n_calls", "n_scored", "score_mean", "score_ci_low", "score_ci_high",
            "prev_score_mean", "score_change", "score_change_p", "score_change_significant"]
    cols += [c for r in rates for c in (r, f"{r}_change")]
    out = m[cols]
    return out.drop(columns="_all") if "_all" in out else out
