"""Scorecard files: loading, the shipped scorecards, changing items, and every validation error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from csqa.behaviours import BEHAVIOURS
from csqa.errors import CsqaError, ScorecardError
from csqa.scorecard import (
    APPLIES_WHEN, Scorecard, ScorecardItem, check_scorecard, show_scorecard,
)

DATA = Path(__file__).parent / "data" / "scorecards"


def write(tmp_path: Path, body: str, name: str = "acme.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def problems(tmp_path: Path, body: str, name: str = "acme.toml") -> str:
    with pytest.raises(ScorecardError) as info:
        Scorecard.from_toml(write(tmp_path, body, name))
    return str(info.value)


# -- the shipped scorecards ---------------------------------------------------------------
@pytest.mark.parametrize("loader", [Scorecard.default, Scorecard.strict])
def test_scorecard_shipped_scorecards_are_valid(loader):
    sc = loader()
    assert sc.items and all(isinstance(i, ScorecardItem) for i in sc.items)
    for it in sc.items:
        assert it.weight > 0
        assert all(BEHAVIOURS[b].polarity != "signal" for b in it.behaviours)
        assert all(a in APPLIES_WHEN or a in BEHAVIOURS for a in it.applies_when)
    assert sc.min_confidence == 0.5


@pytest.mark.parametrize("name", ["default"])
def test_scorecard_default_items(name):
    sc = Scorecard.load(name)
    assert sc.item("apology").applies_when == ("customer_reported_problem",)
    assert sc.item("stays_calm").applies_when == ("customer_hostile",)
    assert sc.item("uses_customer_name").applies_when == ("customer_name_known",)
    assert sc.item("rude_or_hostile").auto_fail and sc.item("rude_or_hostile").is_penalty
    assert sc.item("interruption").min_count == 2
    assert sc.item("dead_air").applies_when == ("has_timestamps",)


@pytest.mark.parametrize("name", ["strict"])
def test_scorecard_strict_items(name):
    sc = Scorecard.load(name)
    assert sc.item("apology").auto_fail
    assert sc.item("apology").applies_when == ("customer_reported_problem", "customer_hostile")
    assert sc.item("uses_customer_name").min_count == 2
    assert sc.item("way_forward").behaviours == ("sets_next_steps", "escalation_offer")
    upsell = sc.item("no_upsell_when_hostile")
    assert upsell.behaviours == ("soft_sell",) and upsell.kind == "penalty"
    assert sc.detector_params("csqa.dead_air.v1") == {"threshold_s": 8.0}


@pytest.mark.parametrize("loader", [Scorecard.default, Scorecard.strict])
def test_scorecard_to_toml_round_trips(loader, tmp_path):
    sc = loader()
    path = tmp_path / "copy.toml"
    text = sc.to_toml(path)
    assert path.read_text(encoding="utf-8") == text
    assert Scorecard.from_toml(path) == sc
    assert sc.fingerprint() == Scorecard.from_toml(path).fingerprint()


@pytest.mark.parametrize("path", [DATA / "custom.toml"])
def test_scorecard_custom_file(path, tmp_path):
    sc = Scorecard.from_toml(path)
    assert sc.name == "Acme retail QA v3" and sc.min_confidence == 0.6
    assert sc.lexicon_paths == ((DATA / "acme_phrases.jsonl").resolve(),)
    assert sc.item("owns_the_problem").kind == "reward"
    assert sc.item("no_upsell").kind == "penalty"
    assert sc.sections == {"Opening": ("greeting",), "Resolution": ("owns_the_problem",),
                           "Conduct": ("no_upsell", "dead_air", "rude_or_hostile")}
    assert sc.detector_params("csqa.dead_air.v1") == {"threshold_s": 12.0}
    assert sc.detector_params("csqa.interruption.v1") == {"min_overlap_s": 0.5}
    assert sc.detector_params("csqa.something_else.v1") == {}
    # written elsewhere, the lexicon path is rewritten relative to the new file
    sub = tmp_path / "elsewhere"
    sub.mkdir()
    sc.to_toml(sub / "copy.toml")
    assert Scorecard.from_toml(sub / "copy.toml") == sc


@pytest.mark.parametrize("weight", [15, 2.5])
def test_scorecard_with_item_returns_a_new_object(weight):
    sc = Scorecard.default()
    changed = sc.with_item("apology", weight=weight)
    assert changed.item("apology").weight == weight
    assert sc.item("apology").weight == 10  # the original is unchanged (frozen)
    assert changed.item_ids == sc.item_ids
    with pytest.raises(AttributeError):
        sc.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize("item_id", ["soft_sell"])
def test_scorecard_with_item_adds_and_without_item_removes(item_id):
    sc = Scorecard.default().with_item(item_id, weight=5, section="Extras")
    assert sc.item_ids[-1] == item_id and sc.item(item_id).kind == "reward"
    assert item_id not in sc.without_item(item_id).item_ids
    removed = sc.with_item("apology", auto_fail=True, auto_fail_reason="must apologise")
    assert removed.with_item("apology", auto_fail_reason=None, auto_fail=None).item("apology") \
        == Scorecard.default().item("apology")


@pytest.mark.parametrize("change, expected", [
    ({"weight": -1}, 'acme.toml: [items.apology] weight = -1 is not a positive number.'),
    ({"applies_when": "custmer_hostile"}, '(did you mean "customer_hostile"?)'),
])
def test_scorecard_with_item_validates(change, expected, tmp_path):
    sc = Scorecard.from_toml(write(tmp_path, """
        [items.apology]
        weight = 10
        """))
    with pytest.raises(ScorecardError, match=None) as info:
        sc.with_item("apology", **change)
    assert expected in str(info.value)


@pytest.mark.parametrize("changes", [{"min_confidence": 0.8, "name": "mine"}])
def test_scorecard_replace(changes):
    sc = Scorecard.default().replace(**changes)
    assert sc.min_confidence == 0.8 and sc.name == "mine"
    with pytest.raises(ScorecardError, match='replace\\(\\) field "colour"'):
        sc.replace(colour="red")


@pytest.mark.parametrize("arg, name", [(None, "csqa default"), ("strict", "csqa strict (complaints)"),
                                       (DATA / "custom.toml", "Acme retail QA v3"),
                                       (str(DATA / "custom.toml"), "Acme retail QA v3")])
def test_scorecard_load_accepts_names_paths_objects(arg, name):
    sc = Scorecard.load(arg)
    assert sc.name == name
    assert Scorecard.load(sc) is sc


@pytest.mark.parametrize("name", ["strictt"])
def test_scorecard_load_unknown_name(name):
    with pytest.raises(ScorecardError, match='did you mean "strict"'):
        Scorecard.load(name)


@pytest.mark.parametrize("item", ["apology"])
def test_scorecard_item_lookup_lists_items(item):
    with pytest.raises(ScorecardError, match='item "apolgy" is not one of: .*apology'):
        Scorecard.default().item("apolgy")
    assert Scorecard.default().item(item).id == item


@pytest.mark.parametrize("loader", [Scorecard.default, Scorecard.strict])
def test_scorecard_describe_and_show(loader):
    sc = loader()
    table = sc.describe()
    assert list(table["item"]) == list(sc.item_ids)
    assert table["share"].sum() == pytest.approx(100, abs=0.5)
    text = show_scorecard(sc)
    assert text.startswith("# effective scorecard:") and "[items.apology]" in text
    assert "kind = " in text and "min_count = " in text  # defaults written out


@pytest.mark.parametrize("path", [DATA / "custom.toml"])
def test_scorecard_check_returns_the_scorecard(path):
    assert check_scorecard(path).name == "Acme retail QA v3"
    assert show_scorecard().startswith("# effective scorecard:")


# -- validation errors: one template, file + item + problem ----------------------------------
@pytest.mark.parametrize("name", ["strict.toml"])
def test_scorecard_error_message_template(name, tmp_path):
    msg = problems(tmp_path, """
        [items.apology]
        weight = 10
        applies_when = "customer_reportd_problem"
        """, name)
    assert msg.startswith('strict.toml: [items.apology] applies_when = "customer_reportd_problem" '
                          "is not one of: always, customer_reported_problem, ")
    assert msg.endswith('(did you mean "customer_reported_problem"?)')


ERRORS = [
    ("unknown_behaviour", """
        [items.apologie]
        weight = 10
        """, ['acme.toml: [items.apologie] behaviour "apologie" is not one of:',
              '(did you mean "apology"?)', "any_of = [...]"]),
    ("unknown_any_of_entry", """
        [items.ownership]
        any_of = ["sets_next_step", "escalation_offer"]
        weight = 10
        """, ['acme.toml: [items.ownership] any_of entry "sets_next_step" is not one of:',
              '(did you mean "sets_next_steps"?)']),
    ("empty_any_of", """
        [items.ownership]
        any_of = []
        weight = 10
        """, ["acme.toml: [items.ownership] any_of = [] is not a non-empty list of behaviour ids."]),
    ("weight_string", """
        [items.apology]
        weight = "ten"
        """, ['acme.toml: [items.apology] weight = "ten" is not a positive number.']),
    ("weight_zero", """
        [items.apology]
        weight = 0
        """, ["acme.toml: [items.apology] weight = 0 is not a positive number.",
              "delete its table"]),
    ("weight_negative", """
        [items.apology]
        weight = -2.5
        """, ["acme.toml: [items.apology] weight = -2.5 is not a positive number."]),
    ("weight_bool", """
        [items.apology]
        weight = true
        """, ["acme.toml: [items.apology] weight = true is not a positive number."]),
    ("weight_missing", """
        [items.apology]
        applies_when = "always"
        """, ["acme.toml: [items.apology] has no weight"]),
    ("unknown_field", """
        [items.apology]
        weight = 10
        weigth = 5
        """, ['acme.toml: [items.apology] field "weigth" is not one of:',
              '(did you mean "weight"?)']),
    ("signal_item", """
        [items.customer_hostile]
        weight = 10
        """, ["acme.toml: [items.customer_hostile] customer_hostile is a customer signal",
              "use it in applies_when"]),
    ("signal_in_any_of", """
        [items.upset]
        any_of = ["empathy", "customer_reported_problem"]
        weight = 10
        """, ["acme.toml: [items.upset] customer_reported_problem is a customer signal"]),
    ("mixed_polarity", """
        [items.tone]
        any_of = ["empathy", "rude_or_hostile"]
        weight = 10
        """, ["acme.toml: [items.tone] any_of mixes credit (empathy) and cost (rude_or_hostile)",
              'set kind = "reward" or "penalty"']),
    ("unknown_kind", """
        [items.apology]
        weight = 10
        kind = "bonus"
        """, ['acme.toml: [items.apology] kind = "bonus" is not one of: penalty, reward']),
    ("applies_when_wrong_type", """
        [items.apology]
        weight = 10
        applies_when = 3
        """, ["acme.toml: [items.apology] applies_when = 3 is not a condition or a list of conditions."]),
    ("applies_when_in_list", """
        [items.apology]
        weight = 10
        applies_when = ["customer_hostile", "has_timestamp"]
        """, ['acme.toml: [items.apology] applies_when = "has_timestamp" is not one of:',
              '(did you mean "has_timestamps"?)']),
    ("auto_fail_not_bool", """
        [items.rude_or_hostile]
        weight = 10
        auto_fail = "yes"
        """, ['acme.toml: [items.rude_or_hostile] auto_fail = "yes" is not true or false.']),
    ("reason_without_auto_fail", """
        [items.rude_or_hostile]
        weight = 10
        auto_fail_reason = "rude"
        """, ["acme.toml: [items.rude_or_hostile] auto_fail_reason is set but auto_fail is not true."]),
    ("min_count_zero", """
        [items.uses_customer_name]
        weight = 10
        min_count = 0
        """, ["acme.toml: [items.uses_customer_name] min_count = 0 is not a whole number of at least 1."]),
    ("min_count_fraction", """
        [items.uses_customer_name]
        weight = 10
        min_count = 1.5
        """, ["acme.toml: [items.uses_customer_name] min_count = 1.5 is not a whole number"]),
    ("min_count_on_judgement", """
        [items.stays_calm]
        weight = 10
        min_count = 2
        """, ["acme.toml: [items.stays_calm] min_count = 2: stays_calm is decided once per call"]),
    ("item_min_confidence", """
        [items.apology]
        weight = 10
        min_confidence = 1.5
        """, ["acme.toml: [items.apology] min_confidence = 1.5 is not a number between 0 and 1."]),
    ("scoring_min_confidence", """
        [scoring]
        min_confidence = "high"
        [items.apology]
        weight = 10
        """, ['acme.toml: [scoring] min_confidence = "high" is not a number between 0 and 1.']),
    ("threshold_on_wrong_item", """
        [items.apology]
        weight = 10
        threshold_s = 8
        """, ["acme.toml: [items.apology] threshold_s is a timing threshold of dead_air items "
              "(csqa.dead_air.v1); this item scores apology."]),
    ("threshold_negative", """
        [items.dead_air]
        weight = 10
        threshold_s = -8
        """, ["acme.toml: [items.dead_air] threshold_s = -8 is not a positive number of seconds."]),
    ("threshold_conflict", """
        [detectors."csqa.dead_air.v1"]
        threshold_s = 10
        [items.dead_air]
        weight = 10
        threshold_s = 8
        """, ['acme.toml: [items.dead_air] threshold_s = 8 conflicts with '
              '[detectors."csqa.dead_air.v1"] threshold_s = 10; set it in one place.']),
    ("unknown_detector", """
        [detectors."csqa.dead_air.v2"]
        threshold_s = 10
        [items.apology]
        weight = 10
        """, ['acme.toml: [detectors] name "csqa.dead_air.v2" is not one of:',
              '(did you mean "csqa.dead_air.v1"?)']),
    ("unknown_detector_param", """
        [detectors."csqa.dead_air.v1"]
        treshold_s = 10
        [items.apology]
        weight = 10
        """, ['acme.toml: [detectors."csqa.dead_air.v1"] parameter "treshold_s" is not one of: '
              'threshold_s (did you mean "threshold_s"?)']),
    ("detector_param_value", """
        [detectors."csqa.interruption.v1"]
        min_overlap_s = "short"
        [items.apology]
        weight = 10
        """, ['acme.toml: [detectors."csqa.interruption.v1"] min_overlap_s = "short" is not a '
              "positive number of seconds."]),
    ("detector_share_value", """
        [detectors."csqa.stays_calm.v1"]
        doubt = 1.5
        [items.apology]
        weight = 10
        """, ['acme.toml: [detectors."csqa.stays_calm.v1"] doubt = 1.5 is not a number above 0 and at most 1.']),
    ("unknown_table", """
        [item.apology]
        weight = 10
        """, ['acme.toml: table "item" is not one of: detectors, items, lexicons, model, scorecard, scoring '
              '(did you mean "items"?)', "acme.toml: no [items.*] tables"]),
    ("unknown_header_field", """
        [scorecard]
        nmae = "x"
        [items.apology]
        weight = 10
        """, ['acme.toml: [scorecard] field "nmae" is not one of: description, name '
              '(did you mean "name"?)']),
    ("name_not_string", """
        [scorecard]
        name = 3
        [items.apology]
        weight = 10
        """, ["acme.toml: [scorecard] name = 3 is not a string."]),
    ("no_items", """
        [scorecard]
        name = "empty"
        """, ["acme.toml: no [items.*] tables; a scorecard needs at least one item."]),
    ("lexicon_missing", """
        [lexicons]
        extra = ["nowhere.jsonl"]
        [items.apology]
        weight = 10
        """, ['acme.toml: [lexicons] extra "nowhere.jsonl" not found']),
    ("lexicon_wrong_type", """
        [lexicons]
        extra = [1, 2]
        [items.apology]
        weight = 10
        """, ["acme.toml: [lexicons] extra = [1, 2] is not a list of file paths."]),
    ("reserved_item_name", """
        [items.score]
        any_of = ["apology"]
        weight = 10
        """, ['acme.toml: [items.score] the name "score" cannot be a column name']),
    ("prefixed_item_name", """
        [items.n_apology]
        any_of = ["apology"]
        weight = 10
        """, ['acme.toml: [items.n_apology] the name "n_apology" cannot be a column name']),
    ("section_not_string", """
        [items.apology]
        weight = 10
        section = 2
        """, ["acme.toml: [items.apology] section = 2 is not a string."]),
    ("item_not_table", """
        [items]
        apology = 10
        """, ["acme.toml: [items.apology] must be a table, got 10."]),
    ("bad_toml", """
        [items.apology
        weight = 10
        """, ["acme.toml: not valid TOML:"]),
]


@pytest.mark.parametrize("body, expected", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_scorecard_validation_errors(body, expected, tmp_path):
    msg = problems(tmp_path, body)
    for part in expected:
        assert part in msg, f"{part!r} not in {msg!r}"


@pytest.mark.parametrize("name", ["missing.toml"])
def test_scorecard_file_not_found(name, tmp_path):
    with pytest.raises(ScorecardError, match="missing.toml: scorecard file not found"):
        Scorecard.from_toml(tmp_path / name)


@pytest.mark.parametrize("path", [DATA / "typo.toml"])
def test_scorecard_fixture_typo(path):
    with pytest.raises(ScorecardError) as info:
        check_scorecard(path)
    assert str(info.value).startswith('typo.toml: [items.apology] applies_when = '
                                      '"customer_reportd_problem" is not one of:')


@pytest.mark.parametrize("path", [DATA / "many_errors.toml"])
def test_scorecard_reports_every_problem_at_once(path):
    with pytest.raises(ScorecardError) as info:
        Scorecard.from_toml(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 5 and all(line.startswith("many_errors.toml: ") for line in lines)
    assert any('[scorecard] field "colour"' in line for line in lines)
    assert any("[items.apologie]" in line for line in lines)
    assert any('[items.greeting] weight = "five"' in line for line in lines)
    assert any("[items.customer_hostile]" in line for line in lines)
    assert any('[items.closing] field "weigth"' in line for line in lines)
    assert info.value.problems == lines  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", [ValueError, CsqaError])
def test_scorecard_error_is_a_value_error(cls, tmp_path):
    with pytest.raises(cls):
        Scorecard.from_toml(write(tmp_path, "[items.apology]\nweight = 0\n"))


@pytest.mark.parametrize("name", ["default", "strict"])
def test_scorecard_docs_show_the_shipped_files(name):
    docs = (Path(__file__).parents[1] / "docs" / "scorecards.md").read_text(encoding="utf-8")
    shipped = (Path(__file__).parents[1] / "src" / "csqa" / "scorecards" / f"{name}.toml")
    assert shipped.read_text(encoding="utf-8") in docs


def test_scorecard_true_false_detector_parameter(tmp_path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[scorecard]\nname = "x"\n[items.apology]\nweight = 5\n'
                    '[detectors."csqa.customer_signals.v1"]\nhostile_overrides_problem = true\n')
    assert Scorecard.from_toml(good).detector_params("csqa.customer_signals.v1") == {"hostile_overrides_problem": True}
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace("= true", "= 3"))
    with pytest.raises(ScorecardError, match="hostile_overrides_problem = 3 is not true or false"):
        Scorecard.from_toml(bad)
