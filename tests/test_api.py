"""The public API contract (DESIGN.md): names, signatures, table columns, end to end on samples."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

import csqa
from csqa.types import HIT_COLUMNS

BEHAVIOUR_IDS = [  # shared/docs/BEHAVIOURS.md, in order: a public contract
    "greeting", "uses_customer_name", "apology", "empathy", "gratitude", "offers_to_find_out",
    "clarifying_question", "sets_next_steps", "escalation_offer", "documents_interaction", "soft_sell",
    "closing", "stays_calm", "dont_know_no_followup", "argues_with_customer", "rude_or_hostile",
    "negative_language", "overpromise_favour", "interruption", "dead_air", "customer_hostile",
    "customer_reported_problem", "customer_name_stated",
]


def test_api_every_public_name_resolves() -> None:
    for name in csqa.__all__:
        assert getattr(csqa, name) is not None, name


def test_api_behaviour_ids_match_the_catalogue() -> None:
    assert list(csqa.BEHAVIOURS) == BEHAVIOUR_IDS


@pytest.mark.parametrize("name", ["read", "score", "evaluate", "validate"])
def test_api_options_are_keyword_only_after_the_data(name: str) -> None:
    params = list(inspect.signature(getattr(csqa, name)).parameters.values())
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[2 if name == "evaluate" else 1:])


@pytest.mark.slow
def test_api_end_to_end_on_samples_every_row_scored_and_tables_have_contract_columns(sample_paths) -> None:
    calls = csqa.read(sample_paths)
    result = csqa.score(calls)
    assert list(result.hits.columns) == list(HIT_COLUMNS)
    assert {"call_id", "agent_id", "score", "auto_fail"} <= set(result.calls.columns)
    assert {"agent_id", "n_calls", "score_mean", "score_ci_low", "score_ci_high", "score_adjusted"} <= set(result.agents.columns)
    assert {f"rate_{b}" for b in ("apology", "empathy")} <= set(result.agents.columns)
    assert set(result.calls["call_id"]) == set(calls["call_id"]) and len(result.calls) == calls["call_id"].nunique()
    assert result.calls["score"].dropna().between(0, 100).all()
    assert result.agents["n_calls"].sum() == len(result.calls)
    # evidence is the text at the span, in the right speaker's turn
    merged = result.hits.merge(calls[["call_id", "turn", "speaker", "text"]], on=["call_id", "turn"], suffixes=("", "_u"))
    assert (merged["speaker"] == merged["speaker_u"]).all()
    lexical = merged[merged["source"].str.match(r"^(en|ms|tl)\.")]
    assert (lexical.apply(lambda r: r["text"][r["start_char"]:r["end_char"]], axis=1) == lexical["evidence"]).all()
    report = csqa.evaluate(result, calls)
    assert set(report["level"]) == {"turn", "call"}
    explanation = result.explain(result.calls["call_id"].iloc[0])
    assert isinstance(explanation, pd.DataFrame) and len(explanation)


def test_api_explain_text_negation_and_speaker() -> None:
    assert "apology" in set(csqa.explain_text("I'm so sorry about that", speaker="agent")["label"])
    assert "apology" not in set(csqa.explain_text("im not sorry", speaker="agent")["label"])
    assert "apology" not in set(csqa.explain_text("I'm so sorry about that", speaker="customer")["label"])


@pytest.mark.slow
def test_api_agents_by_team_and_week_and_trend(sample_paths) -> None:
    result = csqa.score(sample_paths)
    table = result.agents_by("team", "week")
    assert {"team", "week", "n_calls", "score_mean", "score_adjusted"} <= set(table.columns)
    assert table["n_calls"].sum() == len(result.calls)
    trend = result.trend("team")
    assert {"team", "week", "prev_score_mean"} <= set(trend.columns)
