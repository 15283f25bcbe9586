"""Property tests (hypothesis): what must hold for every batch of calls and every scorecard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from csqa.aggregation import aggregate, shrink, wilson_interval
from csqa.behaviours import BEHAVIOURS
from csqa.scorecard import APPLIES_WHEN, Scorecard
from csqa.scoring import item_outcomes, score_calls

SCORABLE = BEHAVIOURS.ids(polarity="credit") + BEHAVIOURS.ids(polarity="cost")
COSTS = BEHAVIOURS.ids(polarity="cost")
ALL = tuple(BEHAVIOURS)
# The shipped scorecards, loaded once (loading imports the detector registry).
SHIPPED = {"default": Scorecard.default(), "strict": Scorecard.strict()}
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def batches(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A few calls with random metadata and random hits (any behaviour, turn, confidence)."""
    n = draw(st.integers(1, 6))
    info = pd.DataFrame({
        "call_id": [f"c{i}" for i in range(n)],
        "agent_id": draw(st.lists(st.sampled_from(["a", "b", None]), min_size=n, max_size=n)),
        "customer_name": draw(st.lists(st.sampled_from(["Tan", "", None]), min_size=n, max_size=n)),
        "lang": "en", "n_turns": 20,
        "has_timestamps": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
    })
    rows = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 19), st.sampled_from(ALL),
                                   st.sampled_from([0.3, 0.6, 0.9, 1.0])), max_size=30))
    hits = pd.DataFrame({
        "call_id": [f"c{r[0]}" for r in rows], "turn": [r[1] for r in rows],
        "speaker": "agent", "behaviour": [r[2] for r in rows], "start_char": 0, "end_char": 1,
        "evidence": "x", "source": "test", "confidence": [r[3] for r in rows],
    }, columns=["call_id", "turn", "speaker", "behaviour", "start_char", "end_char", "evidence",
                "source", "confidence"])
    return info, hits


@st.composite
def scorecards(draw: st.DrawFn) -> Scorecard:
    """A shipped scorecard, or a random one over named conditions (weights, counts, auto-fail)."""
    choice = draw(st.sampled_from(["default", "strict", "random"]))
    if choice != "random":
        return SHIPPED[choice]
    ids = draw(st.lists(st.sampled_from(SCORABLE), min_size=1, max_size=8, unique=True))
    items = {}
    for b in ids:
        items[b] = {
            "weight": draw(st.sampled_from([1, 2.5, 5, 10, 40])),
            "applies_when": draw(st.lists(st.sampled_from(list(APPLIES_WHEN)), min_size=1, max_size=2)),
            "auto_fail": draw(st.booleans()),
            "min_count": 1 if b == "stays_calm" else draw(st.integers(1, 3)),
        }
    return Scorecard.from_dict({"items": items}, where="random.toml")


def by_call(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("call_id").reset_index(drop=True)


@SETTINGS
@given(batch=batches(), sc=scorecards())
def test_scoring_properties_scores_stay_in_range(batch, sc):
    info, hits = batch
    out = score_calls(info, hits, sc)
    s = out["score"]
    assert (s.isna() | s.between(0, 100)).all()
    assert (out.loc[out["auto_fail"], "score"] == 0).all()
    assert out["auto_fail_reason"].notna().eq(out["auto_fail"]).all()
    for it in sc.items:
        assert out[it.id].isna().sum() + out[it.id].isin([0.0, 1.0]).sum() == len(out)


@SETTINGS
@given(batch=batches(), sc=scorecards(), seed=st.integers(0, 2**16))
def test_scoring_properties_order_of_calls_and_hits_does_not_matter(batch, sc, seed):
    info, hits = batch
    before = by_call(score_calls(info, hits, sc))
    rng = np.random.default_rng(seed)
    after = by_call(score_calls(info.iloc[rng.permutation(len(info))],
                                hits.iloc[rng.permutation(len(hits))], sc))
    pd.testing.assert_frame_equal(before, after)
    long = item_outcomes(info.iloc[::-1], hits.iloc[::-1], sc)
    ref = item_outcomes(info, hits, sc)
    key = ["call_id", "item"]
    pd.testing.assert_frame_equal(long.sort_values(key).reset_index(drop=True),
                                  ref.sort_values(key).reset_index(drop=True))


@SETTINGS
@given(batch=batches(), sc=scorecards(), behaviour=st.sampled_from(COSTS),
       turn=st.integers(0, 19), data=st.data())
def test_scoring_properties_penalty_hit_never_raises_score(batch, sc, behaviour, turn, data):
    # Unless the hit makes another item apply: a `dont_know_no_followup` hit meets the condition
    # `agent_said_dont_know`, and a penalty item under that condition, now applicable and not
    # incurred, earns its weight (n/a -> met), as the scorecard says it should.
    info, hits = batch
    call = data.draw(st.sampled_from(list(info["call_id"])))
    extra = pd.DataFrame([{"call_id": call, "turn": turn, "speaker": "agent", "behaviour": behaviour,
                           "start_char": 0, "end_char": 1, "evidence": "x", "source": "test",
                           "confidence": 1.0}])
    more = pd.concat([hits, extra], ignore_index=True)
    applicable = [item_outcomes(info, h, sc)["outcome"].ne("n/a").to_numpy() for h in (hits, more)]
    assume((applicable[0] == applicable[1]).all())
    before = score_calls(info, hits, sc).set_index("call_id")["score"]
    after = score_calls(info, more, sc).set_index("call_id")["score"]
    ok = before.isna() | (after <= before + 1e-9)
    assert ok.all(), (before[~ok], after[~ok])


@settings(SETTINGS, max_examples=25)
@given(batch=batches(), sc=scorecards())
def test_scoring_properties_na_items_do_not_change_score(batch, sc):
    info, hits = batch
    out = score_calls(info, hits, sc)
    for i in range(len(info)):
        row = out.iloc[i]
        na = [it.id for it in sc.items if np.isnan(row[it.id])]
        if not na or len(na) == len(sc.items):
            continue
        smaller = sc
        for item_id in na:
            smaller = smaller.without_item(item_id)
        again = score_calls(info.iloc[[i]], hits, smaller).iloc[0]
        assert again["score"] == pytest.approx(row["score"])


@SETTINGS
@given(batch=batches(), factor=st.sampled_from([0.5, 3.0, 17.0]))
def test_scoring_properties_scaling_all_weights_changes_nothing(batch, factor):
    info, hits = batch
    sc = SHIPPED["default"]
    scaled = sc
    for it in sc.items:
        scaled = scaled.with_item(it.id, weight=it.weight * factor)
    a, b = score_calls(info, hits, sc), score_calls(info, hits, scaled)
    np.testing.assert_allclose(a["score"], b["score"])


@SETTINGS
@given(groups=st.lists(st.lists(st.integers(0, 100), min_size=1, max_size=12), min_size=1, max_size=6))
def test_aggregation_properties_adjusted_between_mean_and_pool_mean(groups):
    n = np.array([len(g) for g in groups])
    mean = np.array([np.mean(g) for g in groups])
    ss = np.array([((np.array(g) - np.mean(g)) ** 2).sum() for g in groups])
    res = shrink(n, mean, ss)
    lo, hi = np.minimum(mean, res["mu"]), np.maximum(mean, res["mu"])
    assert ((res["adjusted"] >= lo - 1e-9) & (res["adjusted"] <= hi + 1e-9)).all()
    assert ((res["reliability"] >= 0) & (res["reliability"] <= 1)).all()


@SETTINGS
@given(n=st.integers(1, 500), data=st.data())
def test_aggregation_properties_wilson_contains_the_rate(n, data):
    x = data.draw(st.integers(0, n))
    lo, hi = wilson_interval(np.array([x]), np.array([n]))
    assert 0 <= lo[0] <= x / n + 1e-12 and x / n - 1e-12 <= hi[0] <= 1


@settings(SETTINGS, max_examples=20)
@given(batch=batches(), seed=st.integers(0, 2**16))
def test_aggregation_properties_order_of_calls_does_not_matter(batch, seed):
    info, hits = batch
    calls = score_calls(info, hits, SHIPPED["default"])
    shuffled = calls.sample(frac=1, random_state=seed)
    pd.testing.assert_frame_equal(aggregate(calls, SHIPPED["default"]),
                                  aggregate(shuffled, SHIPPED["default"]))
