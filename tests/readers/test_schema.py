"""csqa.schema: the canonical utterance table, speaker words and split_valid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csqa.errors import InputError
from csqa.schema import (
    CANONICAL_COLUMNS, DTYPES, REASON_CODES, speaker_role, speaker_words, split_valid,
)
from csqa.types import REJECT_COLUMNS


def frame(**columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def good(n_calls: int = 2) -> pd.DataFrame:
    rows = [{"call_id": f"c{c}", "speaker": ("agent", "customer")[t % 2], "text": f"u{c}.{t}"}
            for c in range(n_calls) for t in range(3)]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- speaker words
@pytest.mark.parametrize(("label", "role"), [
    ("agent", "agent"), ("AGENT", "agent"), ("Rep", "agent"), ("representative", "agent"),
    ("CSR", "agent"), ("ejen", "agent"), ("Wakil", "agent"), ("kakitangan", "agent"),
    ("ahente", "agent"), ("kinatawan", "agent"), ("HUMAN_AGENT", "agent"), ("Human Agent", "agent"),
    ("internal", "agent"), ("customer", "customer"), ("Caller", "customer"), ("client", "customer"),
    ("pelanggan", "customer"), ("pemanggil", "customer"), ("kustomer", "customer"),
    ("tumatawag", "customer"), ("END_USER", "customer"), ("end-user", "customer"),
    ("external", "customer"), ("CUSTOMER", "customer"), ("ivr", "other"), ("System", "other"),
    ("bot", "other"), ("AUTOMATED_AGENT", "other"), ("acd", "other"),
    ("Agent Siti", "agent"), ("Customer (Ramon)", "customer"), ("  agent  ", "agent"),
    ("Customer Service", "agent"),
])
def test_schema_speaker_role_maps_vendor_words(label: str, role: str) -> None:
    assert speaker_role(label) == role


@pytest.mark.parametrize("label", ["agnt", "Siti", "", "spk_0", None, 3])
def test_schema_speaker_role_unknown_is_none(label: object) -> None:
    assert speaker_role(label) is None


def test_schema_speaker_words_are_data_with_one_role_each() -> None:
    words = speaker_words()
    assert set(words.values()) == {"agent", "customer", "other"}
    assert all(w == w.lower() and " " not in w for w in words)


# ---------------------------------------------------------------------------- good input
def test_schema_split_valid_gives_canonical_columns_and_dtypes() -> None:
    valid, rejects = split_valid(good().assign(team="t1"), source="x.csv")
    assert list(valid.columns) == [*CANONICAL_COLUMNS, "team", "input_file", "input_line"]
    for column, dtype in DTYPES.items():
        assert valid[column].dtype == dtype, column
    assert rejects.empty and list(rejects.columns) == list(REJECT_COLUMNS)
    assert valid["input_file"].eq("x.csv").all()
    assert valid["input_line"].tolist() == [1, 2, 3, 4, 5, 6]
    assert valid["start"].isna().all() and valid["agent_id"].map(lambda v: v is None).all()


def test_schema_split_valid_numbers_turns_by_appearance_within_call() -> None:
    df = frame(call_id=["b", "a", "b", "a", "b"], speaker=["agent"] * 5, text=list("12345"))
    valid, _ = split_valid(df, source="s")
    assert valid["call_id"].tolist() == ["b", "b", "b", "a", "a"]
    assert valid["turn"].tolist() == [0, 1, 2, 0, 1]
    assert valid["text"].tolist() == ["1", "3", "5", "2", "4"]


def test_schema_split_valid_sorts_by_call_then_given_turn() -> None:
    df = frame(call_id=["b", "a", "b", "a"], turn=[5, 1, 2, 0], speaker=["agent"] * 4,
               text=list("wxyz"))
    valid, _ = split_valid(df, source="s")
    assert list(zip(valid["call_id"], valid["turn"])) == [("b", 2), ("b", 5), ("a", 0), ("a", 1)]


def test_schema_split_valid_fills_call_level_columns_within_the_call() -> None:
    df = frame(call_id=["c1", "c1", "c2", "c2"], speaker=["agent", "customer"] * 2,
               text=list("abcd"), agent_id=[None, "ag-1", None, None],
               customer_name=["Ramon", " ", None, None])
    valid, _ = split_valid(df, source="s")
    assert valid["agent_id"].tolist() == ["ag-1", "ag-1", None, None]
    assert valid["customer_name"].tolist() == ["Ramon", "Ramon", None, None]
    assert valid["agent_id"].dtype == object


def test_schema_split_valid_turns_numbers_to_strings() -> None:
    df = frame(call_id=[7, 7, 8.0], speaker=["agent"] * 3, text=["a", "b", "c"],
               agent_id=[1024.0, np.nan, 99.0], turn=["0", "1.0", 0])
    valid, rejects = split_valid(df, source="s")
    assert rejects.empty
    assert valid["call_id"].tolist() == ["7", "7", "8"]
    assert valid["agent_id"].tolist() == ["1024", "1024", "99"]
    assert valid["turn"].tolist() == [0, 1, 0]


def test_schema_split_valid_does_not_modify_its_input() -> None:
    df = good().set_index(pd.Index([10, 11, 12, 13, 14, 15]))
    before = df.copy()
    valid, _ = split_valid(df, source="s")
    pd.testing.assert_frame_equal(df, before)
    assert valid["input_line"].tolist() == [1, 2, 3, 4, 5, 6]


def test_schema_split_valid_keeps_lang_and_other_columns_as_given() -> None:
    df = good(1).assign(lang=["en", "ms", "xx"], labels=[["greeting"], [], None])
    valid, _ = split_valid(df, source="s")
    assert valid["lang"].tolist() == ["en", "ms", "xx"]
    assert valid["labels"].tolist() == [["greeting"], [], None]


def test_schema_split_valid_empty_frame_gives_empty_tables() -> None:
    valid, rejects = split_valid(pd.DataFrame(), source="s")
    assert valid.empty and rejects.empty
    assert list(valid.columns) == [*CANONICAL_COLUMNS, "input_file", "input_line"]


# ---------------------------------------------------------------------------- rejects
REJECT_CASES = [
    # (row overrides, reason_code, words the reason must contain)
    ({"call_id": None}, "missing_value", ["call_id", "missing"]),
    ({"call_id": "  "}, "missing_value", ["call_id", "blank"]),
    ({"speaker": None}, "missing_value", ["speaker", "missing"]),
    ({"text": None}, "missing_value", ["text", "missing"]),
    ({"text": " \t"}, "empty_text", ["text", "empty"]),
    ({"speaker": "agnt"}, "unknown_speaker",
     ['speaker "agnt" is not one of the known speaker words (did you mean "agent"?)']),
    ({"turn": "three"}, "bad_type", ['turn "three"', "whole number"]),
    ({"turn": 1.5}, "bad_type", ['turn "1.5"']),
    ({"turn": -1}, "bad_type", ['turn "-1"']),
    ({"start": "soon"}, "bad_type", ['start "soon"', "number of seconds"]),
    ({"end": "later"}, "bad_type", ['end "later"']),
    ({"start": 5.0, "end": 2.0}, "bad_type", ["end 2 is before start 5"]),
    ({"text": ["a", "list"]}, "bad_type", ["text", "not a string"]),
]


@pytest.mark.parametrize(("override", "code", "words"), REJECT_CASES)
def test_schema_split_valid_rejects_each_bad_value(override: dict[str, object], code: str,
                                                   words: list[str]) -> None:
    rows = [{"call_id": "c1", "turn": t, "speaker": "agent", "text": f"t{t}", "start": None,
             "end": None} for t in range(3)]
    rows[1] = {**rows[1], **override}
    valid, rejects = split_valid(pd.DataFrame(rows, dtype=object), source="calls.jsonl")
    assert len(valid) == 2 and len(rejects) == 1
    reject = rejects.iloc[0]
    assert reject["reason_code"] == code and code in REASON_CODES
    assert reject["input_file"] == "calls.jsonl" and reject["input_line"] == 2
    for word in words:
        assert word in reject["reason"]


def test_schema_split_valid_rejects_later_duplicate_turns() -> None:
    df = frame(call_id=["c1", "c1", "c1", "c2"], turn=[0, 1, 0, 0], speaker=["agent"] * 4,
               text=list("abcd"), input_file=["f"] * 4, input_line=[4, 5, 9, 10])
    valid, rejects = split_valid(df, source="f")
    assert valid["text"].tolist() == ["a", "b", "d"]
    assert rejects[["input_line", "call_id", "reason_code"]].values.tolist() == [
        [9, "c1", "duplicate_turn"]]
    assert rejects["reason"].iat[0] == 'turn 0 of call "c1" appears again (first at 4)'


def test_schema_split_valid_rejects_unnumbered_row_in_numbered_call() -> None:
    df = frame(call_id=["c1", "c1", "c2", "c2"], turn=[0, None, None, None],
               speaker=["agent"] * 4, text=list("abcd"))
    valid, rejects = split_valid(df, source="s")
    assert rejects["reason_code"].tolist() == ["missing_value"]
    assert "turn is missing" in rejects["reason"].iat[0]
    assert list(zip(valid["call_id"], valid["turn"])) == [("c1", 0), ("c2", 0), ("c2", 1)]


def test_schema_split_valid_one_reason_per_row_first_check_wins() -> None:
    df = frame(call_id=[None], speaker=["agnt"], text=[""])
    _, rejects = split_valid(df, source="s")
    assert rejects["reason_code"].tolist() == ["missing_value"]
    assert rejects["call_id"].tolist() == [None]


@pytest.mark.parametrize("missing", ["call_id", "speaker", "text"])
def test_schema_split_valid_missing_required_column_raises(missing: str) -> None:
    df = good().drop(columns=[missing]).assign(role="agent")
    with pytest.raises(InputError, match=f'calls.csv: required column "{missing}" is missing; '
                                         "columns found: .*role"):
        split_valid(df, source="calls.csv")


# ---------------------------------------------------------------------------- properties
rows_strategy = st.lists(
    st.fixed_dictionaries({
        "call_id": st.sampled_from(["a", "b", "c", None, ""]),
        "speaker": st.sampled_from(["agent", "Customer", "ejen", "agnt", None]),
        "text": st.sampled_from(["hello", "", "  ", None, "po"]),
        "turn": st.one_of(st.none(), st.integers(-1, 4), st.just("x")),
    }),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(rows_strategy)
def test_schema_split_valid_accounts_for_every_row_and_is_idempotent(rows: list[dict]) -> None:
    df = pd.DataFrame(rows, columns=["call_id", "speaker", "text", "turn"], dtype=object)
    valid, rejects = split_valid(df, source="s")
    assert len(valid) + len(rejects) == len(df)
    assert sorted([*valid["input_line"], *rejects["input_line"]]) == list(range(1, len(df) + 1))
    assert set(rejects["reason_code"]) <= set(REASON_CODES)
    assert not valid.duplicated(["call_id", "turn"]).any()
    again, rejected_again = split_valid(valid, source="other")
    assert rejected_again.empty
    pd.testing.assert_frame_equal(again, valid)
