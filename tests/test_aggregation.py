"""Aggregation maths against hand-computed examples: t-interval, shrinkage, Wilson, flags, trends."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csqa.aggregation import (
    UNATTRIBUTED, add_period, adjust_pvalues, aggregate, flag_tests, shrink, t_interval, trend,
    wilson_interval,
)
from csqa.errors import InputError
from csqa.scorecard import Scorecard
from csqa.scoring import score_calls


def scored(groups: dict[str, list[float]], **extra: object) -> pd.DataFrame:
    """A minimal calls table: one row per score, grouped by agent."""
    rows = [{"call_id": f"{agent}-{i}", "agent_id": agent, "score": s, "auto_fail": False, **extra}
            for agent, scores in groups.items() for i, s in enumerate(scores)]
    return pd.DataFrame(rows)


HAND = {"A": [80, 90, 100], "B": [60, 70], "C": [70, 70, 80, 80]}


@pytest.mark.parametrize("groups", [HAND])
def test_aggregation_t_interval_hand_computed(groups):
    # A: mean 90, sd 10, se = 10/sqrt(3) = 5.7735, t(0.975, df=2) = 4.302653
    #    half width = 4.302653 * 5.7735 = 24.8414 -> [65.1586, 114.8414], clipped to [65.16, 100]
    # B: mean 65, sd = sqrt(50) = 7.0711, se = 5, t(0.975, df=1) = 12.706205
    #    half width = 63.531 -> [1.469, 128.53] -> [1.469, 100]
    # C: mean 75, sd = sqrt(100/3) = 5.7735, se = 2.88675, t(0.975, df=3) = 3.182446
    #    half width = 9.1869 -> [65.8131, 84.1869]
    out = aggregate(scored(groups), min_calls_for_rank=1).set_index("agent_id")
    assert out.loc["A", "score_mean"] == 90
    assert out.loc["A", "score_ci_low"] == pytest.approx(65.1586, abs=1e-4)
    assert out.loc["A", "score_ci_high"] == 100
    assert out.loc["B", "score_ci_low"] == pytest.approx(1.4690, abs=1e-4)
    assert out.loc["C", "score_ci_low"] == pytest.approx(65.8131, abs=1e-4)
    assert out.loc["C", "score_ci_high"] == pytest.approx(84.1869, abs=1e-4)


@pytest.mark.parametrize("scores", [[50], []])
def test_aggregation_t_interval_needs_two_calls(scores):
    low, high = t_interval(np.mean(scores) if scores else np.nan,
                           np.std(scores, ddof=1) if len(scores) > 1 else np.nan, len(scores))
    assert np.isnan(low) and np.isnan(high)


@pytest.mark.parametrize("groups", [HAND])
def test_aggregation_shrinkage_hand_computed(groups):
    # N = 9 calls, J = 3 agents, mu = (270 + 130 + 300) / 9 = 77.7778 (mean of all calls)
    # within: SS_A = 200, SS_B = 50, SS_C = 100 -> sigma2 = 350 / (9 - 3) = 58.3333
    # between: MSB = [3(90-mu)^2 + 2(65-mu)^2 + 4(75-mu)^2] / 2 = 402.7778
    #          n0 = (9 - (9 + 4 + 16) / 9) / 2 = 2.8889
    #          tau2 = (402.7778 - 58.3333) / 2.8889 = 119.2308
    # sigma2 / tau2 = 0.489247
    # A: w = 3 / (3 + 0.489247) = 0.859784; adjusted = mu + w (90 - mu) = 88.2863
    # B: w = 2 / 2.489247 = 0.803456;       adjusted = 77.7778 + w (65 - mu) = 67.5114
    # C: w = 4 / 4.489247 = 0.891018;       adjusted = 77.7778 + w (75 - mu) = 75.3027
    res = shrink(np.array([3, 2, 4]), np.array([90, 65, 75]), np.array([200, 50, 100]))
    assert res["mu"] == pytest.approx(77.7778, abs=1e-4)
    assert res["sigma2"] == pytest.approx(58.3333, abs=1e-4)
    assert res["tau2"] == pytest.approx(119.2308, abs=1e-4)
    assert res["reliability"] == pytest.approx([0.859784, 0.803456, 0.891018], abs=1e-6)
    assert res["adjusted"] == pytest.approx([88.2863, 67.5114, 75.3027], abs=1e-4)
    out = aggregate(scored(groups), min_calls_for_rank=1).set_index("agent_id")
    assert out["score_adjusted"].to_dict() == pytest.approx({"A": 88.2863, "B": 67.5114, "C": 75.3027}, abs=1e-4)
    assert out["rank"].to_dict() == {"A": 1, "B": 3, "C": 2}
    # percentile: share of ranked agents at or below: A 3/3, C 2/3, B 1/3
    assert out["percentile"].to_dict() == pytest.approx({"A": 100, "B": 100 / 3, "C": 200 / 3})


@pytest.mark.parametrize("n, mean, ss, expected", [
    # every agent has the same mean: tau2 = 0, everyone is shrunk to mu
    ([3, 3], [80, 80], [200, 50], [80, 80]),
    # the means differ less than chance: MSB = 3*25 + 3*25 = 150 < sigma2 = 2000/4: tau2 = 0
    ([3, 3], [75, 85], [1000, 1000], [80, 80]),
    # one call each: no within-agent spread to compare with, full shrinkage
    ([1, 1, 1], [60, 80, 100], [0, 0, 0], [80, 80, 80]),
    # one agent: its own mean
    ([4], [70], [30], [70]),
])
def test_aggregation_shrinkage_edge_cases(n, mean, ss, expected):
    assert shrink(np.array(n), np.array(mean), np.array(ss))["adjusted"] == pytest.approx(expected)


@pytest.mark.parametrize("newbie", [[100, 100, 100]])
def test_aggregation_few_calls_do_not_top_many(newbie):
    # realistic spread: calls of one agent vary by +-20 points, agents' means by 5 points
    groups = {"veteran": [65, 105] * 150, "steady": [60, 100] * 150, "avg": [55, 95] * 150,
              "weak": [50, 90] * 150, "newbie": newbie}
    groups = {k: [min(v, 100) for v in vs] for k, vs in groups.items()}
    out = aggregate(scored(groups), min_calls_for_rank=1).set_index("agent_id")
    assert out["score_mean"].idxmax() == "newbie"
    assert out["score_adjusted"].idxmax() == "veteran" and out.loc["veteran", "rank"] == 1
    assert out.loc["newbie", "score_reliability"] < 0.5 < out.loc["veteran", "score_reliability"]
    # and by default an agent with fewer than 5 scored calls is not ranked at all
    default = aggregate(scored(groups)).set_index("agent_id")
    assert pd.isna(default.loc["newbie", "rank"]) and np.isnan(default.loc["newbie", "percentile"])
    assert default.loc["newbie", "score_adjusted"] == out.loc["newbie", "score_adjusted"]


@pytest.mark.parametrize("x, n, low, high", [
    # p = 0.8, z = 1.959964, z^2 = 3.841459; denominator 1 + z^2/n = 1.384146
    # centre = (0.8 + z^2/20) / 1.384146 = 0.716749
    # half = z / 1.384146 * sqrt(0.8*0.2/10 + z^2/400) = 1.415999 * 0.160012 = 0.226577
    (8, 10, 0.490162, 0.943318),
    # p = 0: centre = (z^2/10) / (1 + z^2/5) = 0.217241, half = 0.217241 -> [0, 0.434482]
    (0, 5, 0.0, 0.434482),
    # p = 1 mirrors p = 0 with n = 10: low = 1 - 0.277533
    (10, 10, 0.722467, 1.0),
])
def test_aggregation_wilson_hand_computed(x, n, low, high):
    lo, hi = wilson_interval(np.array([x]), np.array([n]))
    assert lo[0] == pytest.approx(low, abs=1e-6) and hi[0] == pytest.approx(high, abs=1e-6)


@pytest.mark.parametrize("n", [0])
def test_aggregation_wilson_undefined_without_calls(n):
    lo, hi = wilson_interval(np.array([0]), np.array([n]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])


def flag_calls() -> pd.DataFrame:
    # 3 agents x 10 calls. greeting: A 0/10, B 9/10, C 9/10. rude_or_hostile: A 0, B 0, C 5/10.
    rows = []
    for agent, greets, rude in (("A", 0, 0), ("B", 9, 0), ("C", 9, 5)):
        for i in range(10):
            rows.append({"call_id": f"{agent}{i}", "agent_id": agent, "score": 50.0,
                         "auto_fail": False, "n_greeting": int(i < greets),
                         "n_rude_or_hostile": int(i < rude)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("calls", [flag_calls()])
def test_aggregation_flag_fisher_hand_computed(calls):
    # greeting, agent A: 0 of 10 vs the rest 18 of 20. Fisher exact, one-sided (fewer greetings):
    #   X ~ Hypergeometric(30 calls, 18 greetings, 10 drawn for A); p = P(X <= 0)
    #   = C(18,0) C(12,10) / C(30,10) = 66 / 30045015 = 2.19670e-6
    # greeting, agent B (and C): 9 of 10 vs 9 of 20: p = P(X <= 9) = 1 - C(18,10)/C(30,10)
    #   = 1 - 43758 / 30045015 = 0.998544 (B greets *more*: a one-sided test never flags it)
    # rude_or_hostile (a cost: more is worse), agent C: 5 of 10 vs 0 of 20:
    #   p = P(X >= 5), X ~ Hypergeometric(30, 5, 10) = C(5,5) C(25,5) / C(30,10) = 0.00176835
    # A and B, 0 of 10: p = P(X >= 0) = 1.
    # Benjamini-Hochberg over the m = 6 tests (3 agents x 2 behaviours), p sorted:
    #   2.19670e-6 * 6/1 = 1.31802e-5;  0.00176835 * 6/2 = 0.00530505;  the rest -> 1
    tests = flag_tests(calls, by=("agent_id",)).set_index(["agent_id", "behaviour"])
    assert tests.loc[("A", "greeting"), "p_value"] == pytest.approx(comb(12, 10) / comb(30, 10), rel=1e-9)
    assert tests.loc[("B", "greeting"), "p_value"] == pytest.approx(1 - comb(18, 10) / comb(30, 10), rel=1e-9)
    assert tests.loc[("C", "rude_or_hostile"), "p_value"] == pytest.approx(comb(25, 5) / comb(30, 10), rel=1e-9)
    assert tests.loc[("A", "greeting"), "p_value"] == pytest.approx(
        stats.fisher_exact([[0, 10], [18, 2]], alternative="less").pvalue)
    assert tests.loc[("A", "greeting"), "p_adjusted"] == pytest.approx(1.31802e-5, rel=1e-4)
    assert tests.loc[("C", "rude_or_hostile"), "p_adjusted"] == pytest.approx(0.00530505, rel=1e-4)
    assert tests["flag"][tests["flag"]].index.tolist() == [("A", "greeting"), ("C", "rude_or_hostile")]
    assert tests.loc[("A", "greeting"), ["x", "n", "rest_x", "rest_n"]].tolist() == [0, 10, 18, 20]
    agents = aggregate(calls).set_index("agent_id")
    assert agents["flag_greeting"].to_dict() == {"A": True, "B": False, "C": False}
    assert agents["flag_rude_or_hostile"].to_dict() == {"A": False, "B": False, "C": True}


@pytest.mark.parametrize("min_calls", [11])
def test_aggregation_flags_need_enough_calls(min_calls):
    agents = aggregate(flag_calls(), min_calls_for_flags=min_calls)
    assert not agents["flag_greeting"].any() and not agents["flag_rude_or_hostile"].any()
    assert flag_tests(flag_calls(), min_calls_for_flags=min_calls)["p_value"].isna().all()


@pytest.mark.parametrize("method, expected", [
    # p = [0.01, 0.04, 0.03, 0.005], m = 4, sorted 0.005, 0.01, 0.03, 0.04
    # BH: 0.005*4/1 = 0.02, 0.01*4/2 = 0.02, 0.03*4/3 = 0.04, 0.04*4/4 = 0.04 (running min from the top)
    ("fdr_bh", [0.02, 0.04, 0.04, 0.02]),
    # Holm: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06
    ("holm", [0.03, 0.06, 0.06, 0.02]),
    ("none", [0.01, 0.04, 0.03, 0.005]),
])
def test_aggregation_adjust_pvalues_hand_computed(method, expected):
    assert adjust_pvalues(np.array([0.01, 0.04, 0.03, 0.005]), method) == pytest.approx(expected)
    assert np.isnan(adjust_pvalues(np.array([np.nan, 0.5]), method)[0])


@pytest.mark.parametrize("missing", [None, "", np.nan])
def test_aggregation_unattributed_calls_get_one_row(missing):
    calls = scored(HAND)
    extra = pd.DataFrame({"call_id": ["u1", "u2"], "agent_id": [missing, None], "score": [0.0, 10.0],
                          "auto_fail": [True, False]})
    out = aggregate(pd.concat([calls, extra], ignore_index=True), min_calls_for_rank=1)
    row = out[out["agent_id"] == UNATTRIBUTED].iloc[0]
    assert row["n_calls"] == 2 and row["score_mean"] == 5.0 and row["auto_fail_rate"] == 0.5
    assert np.isnan(row["score_adjusted"]) and pd.isna(row["rank"])
    # unattributed calls do not move the agents' adjusted scores
    alone = aggregate(calls, min_calls_for_rank=1).set_index("agent_id")["score_adjusted"]
    both = out.set_index("agent_id")["score_adjusted"].drop(UNATTRIBUTED)
    pd.testing.assert_series_equal(alone, both)


@pytest.mark.parametrize("card", [Scorecard.default()])
def test_aggregation_rates_over_applicable_calls(card):
    info = pd.DataFrame({"call_id": ["c1", "c2", "c3", "c4"], "agent_id": "a1"})
    hits = pd.DataFrame({"call_id": ["c1", "c2", "c1", "c3"], "turn": [1, 1, 2, 0],
                         "behaviour": ["customer_reported_problem", "customer_reported_problem",
                                       "apology", "greeting"], "confidence": 0.9})
    out = aggregate(score_calls(info, hits, card), card).iloc[0]
    # apology applies on the 2 problem calls and was found on 1: 1/2
    assert out["n_apology_applicable"] == 2 and out["rate_apology"] == 0.5
    # greeting applies always: 1/4; offers_to_find_out has no item, so every call counts
    assert out["n_greeting_applicable"] == 4 and out["rate_greeting"] == 0.25
    assert out["n_offers_to_find_out_applicable"] == 4
    # dead_air needs timestamps: none here
    assert out["n_dead_air_applicable"] == 0 and np.isnan(out["rate_dead_air"])
    lo, hi = wilson_interval(np.array([1]), np.array([2]))
    assert (out["rate_apology_ci_low"], out["rate_apology_ci_high"]) == pytest.approx((lo[0], hi[0]))


@pytest.mark.parametrize("dates", [["2026-11-04", "2026-11-08", "2026-11-09", "2026-11-02T23:00"]])
def test_aggregation_week_starts_on_monday(dates):
    weeks = add_period(pd.DataFrame({"date": dates}))["week"]
    # 2026-11-02 is a Monday; Wednesday 4th and Sunday 8th belong to it, Monday 9th starts the next
    assert list(weeks.dt.strftime("%Y-%m-%d")) == ["2026-11-02", "2026-11-02", "2026-11-09", "2026-11-02"]


@pytest.mark.parametrize("by", [("team", "week")])
def test_aggregation_group_by_metadata_and_week(by):
    calls = scored({"a": [60, 80, 70], "b": [90, 100]})
    calls["team"] = ["kl", "kl", "mnl", "mnl", "mnl"]
    calls["date"] = ["2026-11-02", "2026-11-10", "2026-11-03", "2026-11-04", "2026-11-11"]
    out = aggregate(calls, by=by, min_calls_for_rank=1)
    assert list(out.columns[:3]) == ["team", "week", "n_calls"]
    got = {(t, w.strftime("%m-%d")): n for t, w, n in zip(out["team"], out["week"], out["n_calls"])}
    assert got == {("kl", "11-02"): 1, ("kl", "11-09"): 1, ("mnl", "11-02"): 2, ("mnl", "11-09"): 1}


@pytest.mark.parametrize("pool_by", [("team",)])
def test_aggregation_pool_by_ranks_within_team(pool_by):
    calls = scored({"a": [60, 70] * 5, "b": [80, 90] * 5, "c": [40, 50] * 5, "d": [90, 100] * 5})
    calls["team"] = calls["agent_id"].map({"a": "kl", "b": "kl", "c": "mnl", "d": "mnl"})
    out = aggregate(calls, by=("team", "agent_id"), pool_by=pool_by).set_index("agent_id")
    assert out["rank"].to_dict() == {"a": 2, "b": 1, "c": 2, "d": 1}


@pytest.mark.parametrize("seed", [0, 1])
def test_aggregation_order_of_calls_does_not_matter(seed):
    calls = scored(HAND)
    calls["n_greeting"] = [1, 0, 1, 1, 0, 0, 1, 1, 0]
    shuffled = calls.sample(frac=1, random_state=seed)
    pd.testing.assert_frame_equal(aggregate(calls), aggregate(shuffled))


@pytest.mark.parametrize("by", [("teem",), ("week",)])
def test_aggregation_unknown_grouping_column(by):
    with pytest.raises(InputError, match='grouping column "teem"|needs a "date" column'):
        aggregate(scored(HAND), by=by)


@pytest.mark.parametrize("period", ["week"])
def test_aggregation_trend_week_over_week(period):
    calls = scored({"a": [60, 80, 80, 100, 50, 70]})
    calls["team"] = "kl"
    calls["date"] = ["2026-11-02", "2026-11-03", "2026-11-09", "2026-11-10", "2026-11-23", "2026-11-24"]
    out = trend(calls, by=("team",), period=period)
    assert list(out["week"].dt.strftime("%m-%d")) == ["11-02", "11-09", "11-23"]
    # week 1 mean 70, week 2 mean 90: +20; week 4 has no week 3 before it: no change reported
    assert out["score_mean"].tolist() == [70, 90, 60]
    assert np.isnan(out.loc[0, "score_change"]) and out.loc[1, "score_change"] == 20
    assert np.isnan(out.loc[2, "prev_score_mean"])
    welch = stats.ttest_ind([80, 100], [60, 80], equal_var=False).pvalue
    assert out.loc[1, "score_change_p"] == pytest.approx(welch)
    assert not out.loc[1, "score_change_significant"]


@pytest.mark.parametrize("card", [Scorecard.default(), Scorecard.strict()])
def test_aggregation_columns_from_scored_calls(card):
    info = pd.DataFrame({"call_id": [f"c{i}" for i in range(6)], "agent_id": ["a", "a", "b", "b", "b", None]})
    hits = pd.DataFrame({"call_id": ["c0", "c2"], "turn": [0, 0], "behaviour": ["greeting", "greeting"]})
    out = aggregate(score_calls(info, hits, card), card)
    head = ["agent_id", "n_calls", "n_scored", "score_mean", "score_sd", "score_ci_low",
            "score_ci_high", "score_adjusted", "score_reliability", "rank", "percentile",
            "auto_fail_rate"]
    assert list(out.columns[:len(head)]) == head
    assert list(out.columns[len(head):len(head) + 5]) == [
        "rate_greeting", "rate_greeting_ci_low", "rate_greeting_ci_high", "n_greeting_applicable",
        "flag_greeting"]
    assert list(out["agent_id"]) == [UNATTRIBUTED, "a", "b"]
    assert out["flag_greeting"].dtype == bool


@pytest.mark.parametrize("kind, flagged", [("reward", "B"), ("penalty", "A")])
def test_aggregation_flag_direction_follows_the_item_kind(kind, flagged):
    # soft_sell: A 10 of 10 calls, B 0 of 10, C 5 of 10. As a reward, B is worse (fewer);
    # scored as a penalty (the strict scorecard's no-upsell item), A is worse (more).
    rows = [{"call_id": f"{a}{i}", "agent_id": a, "score": 50.0, "auto_fail": False,
             "upsell": 1.0, "n_soft_sell": int(i < k)}
            for a, k in (("A", 10), ("B", 0), ("C", 5)) for i in range(10)]
    sc = Scorecard.from_dict({"items": {"upsell": {"any_of": ["soft_sell"], "kind": kind, "weight": 1}}})
    agents = aggregate(pd.DataFrame(rows), sc).set_index("agent_id")
    assert agents.index[agents["flag_soft_sell"]].tolist() == [flagged]
    tests = flag_tests(pd.DataFrame(rows), sc)
    assert set(tests["polarity"][tests["behaviour"] == "soft_sell"]) == {
        "credit" if kind == "reward" else "cost"}
