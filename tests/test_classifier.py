"""Trained behaviour models: features, training, evidence, files, and their place in detection."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from csqa import classifier
from csqa.classifier import WINDOW_WORDS, Features, _agreed, _windows, window_around, word_char_ngrams
from csqa.cli import app
from csqa.detection import detect
from csqa.errors import InputError, ModelError, ScorecardError
from csqa.model_files import load_model, save_model
from csqa.nlp import tokenize
from csqa.pipeline import make_settings
from csqa.scorecard import Scorecard
from csqa.training import fit_linear, tokenise, train

# A small labelled set built from parts: apologies (in three languages) and turns that share
# their words but do not apologise.
_SORRY = ["im really sorry", "so sorry", "minta maaf", "pasensya na po", "we apologise", "maaf sangat"]
_FOR = ["about the delay", "for the trouble", "atas kesulitan ini", "sa abala", "for the wrong charge"]
_OTHER = ["can you repeat that", "let me check the account", "boleh ulang nombor tu", "ano po ulit yung number",
          "one moment please", "sekejap ya", "i will transfer you", "may i have your name"]


def _labelled() -> pd.DataFrame:
    rows = []
    pos = [f"{a} {b}" for a, b in itertools.product(_SORRY, _FOR)]
    neg = [f"{a} {b}" for a, b in itertools.product(["okay", "alright", "ya", "sige po"], _OTHER)]
    for i, text in enumerate(pos + neg):
        rows.append({"call_id": f"t{i}", "turn": 0, "speaker": "customer", "text": "my order is late", "labels": ["customer_reported_problem"]})
        rows.append({"call_id": f"t{i}", "turn": 1, "speaker": "agent", "text": text,
                     "labels": ["apology"] if i < len(pos) else []})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def model():
    return train(_labelled(), behaviours=["apology"], name="toy", folds=3)


def test_char_ngrams_are_taken_inside_one_padded_word() -> None:
    grams = word_char_ngrams("po", (2, 3))
    assert grams == [" p", "po", "o ", " po", "po "]


def test_feature_rows_are_unit_length_and_unknown_words_add_nothing() -> None:
    docs = [tokenize("sorry po sa abala"), tokenize("sorry po"), tokenize("sorry po zzzqqq")]
    f = Features.fit(docs[:2] * 2)
    x = f.transform(docs)
    assert np.allclose(np.sqrt(x.multiply(x).sum(axis=1)).A.ravel(), 1.0)
    assert (x[1] != x[2]).nnz == 0  # the unknown word changes nothing


def test_word_features_run_to_trigrams_and_evidence_shares_them_out() -> None:
    docs = [tokenize("as i said the fee stays"), tokenize("as i said before")]
    f = Features.fit(docs)
    assert {"as", "_as i", "_as i said"} <= set(f.words) and "_as i said the" not in f.words
    weights = np.zeros(f.n_features)
    weights[f.words["_as i said"]] = 3.0
    shares = f.word_shares(docs[0], weights)
    assert np.allclose(shares[:3], shares[0]) and shares[0] > 0 and not shares[3:].any()


def test_trained_model_finds_an_unseen_apology_and_not_a_lookalike(model) -> None:
    docs = tokenise(["uh im so sorry about the trouble sir", "sorry can you repeat that"])
    found = model.find(docs, ["agent", "agent"])
    assert [(i, b) for i, b, _ in found] == [(0, "apology")]


def test_model_only_looks_at_its_behaviours_speaker(model) -> None:
    assert model.find(tokenise(["im really sorry about the delay"]), ["customer"]) == []


def test_a_long_turn_is_scored_in_windows_so_one_apology_is_not_diluted(model, monkeypatch) -> None:
    filler = "my order is late and the parcel is still at the depot since monday"
    turns = tokenise([" ".join([filler] * k + ["im so sorry for the trouble"] + [filler] * k) for k in (2, 4)])
    windowed = model.probabilities(turns)[:, 0]
    monkeypatch.setattr(classifier, "WINDOW_WORDS", 10_000)
    whole = model.probabilities(turns)[:, 0]
    assert whole[1] < whole[0] < windowed[0]  # the longer the turn, the weaker the whole
    assert windowed[1] == pytest.approx(windowed[0], abs=0.01)  # the windows do not care


def test_windows_overlap_and_reach_the_last_word() -> None:
    doc = tokenize(" ".join(f"w{i}" for i in range(WINDOW_WORDS + 10)))
    whole, *windows = _windows(doc)
    assert whole is doc and all(len(w.forms) == WINDOW_WORDS for w in windows)
    assert windows[0].forms[0] == "w0" and windows[-1].forms[-1] == doc.forms[-1]
    assert _windows(tokenize("a short turn")) == [tokenize("a short turn")]


def test_a_window_counts_only_where_its_neighbour_agrees() -> None:
    lone_spike = np.array([[-3.0], [-3.0], [2.0], [-3.0]])  # the whole turn, then three windows
    assert _agreed(lone_spike)[0] == -3.0
    agreed = np.array([[-3.0], [-3.0], [2.0], [1.0]])
    assert _agreed(agreed)[0] == 1.0


def test_evidence_is_the_apology_not_the_whole_turn(model) -> None:
    text = "okay so im really sorry about the delay let me check the account"
    start, end = model.evidence(tokenize(text), "apology")
    assert "sorry" in text[start:end]
    assert "account" not in text[start:end]


def test_training_reports_cross_validated_figures_and_skips_thin_behaviours() -> None:
    m = train(_labelled(), behaviours=["apology", "empathy"], folds=3)
    assert m.behaviours == ("apology",)
    assert "empathy" in m.info["skipped"]
    fig = m.info["behaviours"]["apology"]
    assert fig["positives"] == len(_SORRY) * len(_FOR)
    assert 0.5 <= fig["threshold"] <= 0.95 and 0.0 <= fig["cv_recall"] <= 1.0


def test_linear_fit_is_one_weight_vector_led_by_the_telling_phrase() -> None:
    # Columns: a phrase only apologies have, a word every turn has, and a word only the others have.
    docs = [tokenize(t) for t in ["sorry for the wait", "sorry for that", "the wait is long", "the line is busy"] * 5]
    y = np.array([True, True, False, False] * 5)
    f = Features.fit(docs)
    coef, intercept = fit_linear(f.transform(docs), y)
    assert coef.shape == (f.n_features,) and isinstance(intercept, float)
    assert coef[f.words["sorry"]] > abs(coef[f.words["the"]])
    assert coef[f.words["busy"]] < 0
    scores = f.transform(docs) @ coef + intercept
    assert scores[y].min() > scores[~y].max()


def test_training_rejects_unknown_behaviours_and_unlabelled_tables() -> None:
    with pytest.raises(InputError, match="not a behaviour id"):
        train(_labelled(), behaviours=["apologee"])
    with pytest.raises(InputError, match="labels"):
        train(_labelled().drop(columns="labels"))


def test_saved_model_loads_with_the_same_probabilities(model, tmp_path: Path) -> None:
    path = save_model(model, tmp_path / "m.joblib")
    again = load_model(path)
    docs = tokenise(["maaf sangat atas kesulitan ini", "sekejap ya"])
    assert np.allclose(again.probabilities(docs), model.probabilities(docs), atol=1e-6)
    assert again.behaviours == model.behaviours and again.name == "toy"


def test_bad_model_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "missing.joblib")
    junk = tmp_path / "junk.joblib"
    junk.write_text("not a model")
    with pytest.raises(ModelError, match="junk.joblib"):
        load_model(junk)
    old = tmp_path / "old.joblib"
    joblib.dump({"format": 0}, old)
    with pytest.raises(ModelError, match="retrain"):
        load_model(old)


def test_detect_adds_model_hits_and_keeps_lexicon_evidence(model, call) -> None:
    c = call([("customer", "my parcel never came"), ("agent", "so sorry for the wrong charge"),
              ("agent", "im really sorry about the delay")])
    with_model = detect(c, model=model).hits
    without = detect(c).hits
    apologies = with_model[with_model["behaviour"] == "apology"].set_index("turn")
    lexical = without[without["behaviour"] == "apology"].set_index("turn")
    for turn in lexical.index:  # a turn the lexicon found keeps the lexicon's hit
        assert apologies.loc[turn, "source"] == lexical.loc[turn, "source"]
    assert set(apologies.index) >= set(lexical.index)
    by_model = apologies[apologies["source"] == "model:toy"]
    assert (by_model["confidence"] >= 0.5).all()


def test_model_overrules_lexicon_hits_it_scores_below_its_floor(model, call) -> None:
    from dataclasses import replace

    c = call([("customer", "my parcel never came"), ("agent", "so sorry for the wrong charge")])
    assert "apology" in set(detect(c).hits["behaviour"])  # the lexicon finds it
    silent = replace(model, thresholds=np.full(len(model.behaviours), 1.01, dtype=np.float32))  # adds nothing
    trusting = detect(c, model=replace(silent, confirm_floor=0.0)).hits
    doubting = detect(c, model=replace(silent, confirm_floor=1.01)).hits
    assert "apology" in set(trusting["behaviour"])
    assert "apology" not in set(doubting["behaviour"])
    assert set(doubting["behaviour"]) == set(trusting["behaviour"]) - {"apology"}  # other behaviours untouched


@pytest.mark.parametrize(("rule_extra", "stands"), [("", True), (', "final": false', False)])
def test_an_analysts_phrase_stands_unless_marked_not_final(model, call, tmp_path: Path, rule_extra: str,
                                                           stands: bool) -> None:
    from dataclasses import replace

    from csqa.lexicon import load_lexicon

    mine = tmp_path / "mine.jsonl"
    mine.write_text('{"id": "xx.apology.oops", "label": "apology", "pattern": "oopsie daisy"' + rule_extra + "}\n")
    lexicon = load_lexicon([mine])
    c = call([("customer", "my parcel never came"), ("agent", "oopsie daisy the parcel went north")])
    doubting = replace(model, thresholds=np.full(len(model.behaviours), 1.01, dtype=np.float32), confirm_floor=1.01)
    hits = detect(c, lexicon=lexicon, model=doubting).hits
    assert ("xx.apology.oops" in set(hits["source"])) is stands
    assert "xx.apology.oops" in set(detect(c, lexicon=lexicon).hits["source"])  # without a model it always counts


def test_a_final_shipped_rule_is_not_overruled_and_others_are(model, call) -> None:
    from dataclasses import replace

    from csqa.lexicon import load_lexicon

    final = [r for r in load_lexicon().rules if r.final]
    assert final and all(r.lang != "xx" for r in final)  # shipped rules opt in one by one
    c = call([("customer", "ok"), ("agent", "if you had read the sms we sent youd know the plan was migrated"),
              ("agent", "so sorry for the wrong charge")])
    doubting = replace(model, thresholds=np.full(len(model.behaviours), 1.01, dtype=np.float32), confirm_floor=1.01)
    hits = detect(c, model=doubting).hits
    assert "en.rude_or_hostile.s16_if_you_had_read" in set(hits["source"])
    assert "apology" not in set(hits["behaviour"])


def test_window_around_centres_the_span_and_keeps_short_turns_whole() -> None:
    short = tokenize("so sorry for the wait")
    assert window_around(short, 3, 8) is short
    text = " ".join(f"w{i}" for i in range(50))
    doc = tokenize(text)
    start = text.index("w30")
    window = window_around(doc, start, start + 3)
    assert len(window.forms) == WINDOW_WORDS and window.forms[WINDOW_WORDS // 2] == "w30"
    assert window_around(doc, text.index("w49"), len(text)).forms[-1] == "w49"  # clipped at the end


def test_a_long_turn_lexicon_hit_is_confirmed_on_the_words_around_it(model, call, monkeypatch) -> None:
    from dataclasses import replace

    # Windows far apart, so no window of the whole-turn score holds the apology in the middle.
    monkeypatch.setattr(classifier, "WINDOW_STRIDE", 1000)
    filler = "okay let me check the account one moment please i will transfer you"
    turn = f"{filler} {filler} so sorry for the wrong charge {filler} {filler}"
    c = call([("customer", "my parcel never came"), ("agent", turn)])
    doc = tokenise([turn])[0]
    start = turn.index("so sorry")
    column = model.behaviours.index("apology")
    whole = model.probabilities([doc])[0, column]
    local = model.probabilities([window_around(doc, start, start + 8)])[0, column]
    assert local > whole
    silent = replace(model, thresholds=np.full(len(model.behaviours), 1.01, dtype=np.float32))
    found = detect(c, model=replace(silent, confirm_floor=float(whole + local) / 2)).hits
    assert "apology" in set(found["behaviour"])
    above = detect(c, model=replace(silent, confirm_floor=float(local) + 0.01)).hits
    assert "apology" not in set(above["behaviour"])


def test_confirm_floor_is_saved_with_the_model(model, tmp_path: Path) -> None:
    from dataclasses import replace

    path = save_model(replace(model, confirm_floor=0.35), tmp_path / "m.joblib")
    assert load_model(path).confirm_floor == 0.35


def test_scorecard_model_choice_is_validated_and_overridable(model, tmp_path: Path) -> None:
    card = tmp_path / "card.toml"
    card.write_text('[model]\nfile = "nowhere.joblib"\n[items.apology]\nany_of = ["apology"]\nweight = 1\n')
    with pytest.raises(ScorecardError, match='card.toml: \\[model\\] file "nowhere.joblib" not found'):
        Scorecard.from_toml(card)
    save_model(model, tmp_path / "nowhere.joblib")
    settings = make_settings(card)
    assert settings.model is not None and settings.model.name == "toy"
    assert make_settings(card, model="none").model is None
    assert Scorecard.from_toml(card).to_dict(tmp_path)["model"]["file"] == "nowhere.joblib"


def test_cli_train_writes_a_model_and_prints_its_figures(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps(r) + "\n" for r in _labelled().to_dict("records")))
    out = tmp_path / "models" / "mine.joblib"
    result = CliRunner().invoke(app, ["train", str(labels), "--out", str(out), "--behaviours", "apology,empathy"])
    assert result.exit_code == 0, result.output
    assert "cv_precision" in result.output and "skipped empathy" in result.output
    assert load_model(out).name == "mine"


def test_tuned_thresholds_reach_the_target_on_the_validation_batch_or_drop_the_behaviour(model) -> None:
    from csqa.training import tune_thresholds

    rows = []
    texts = [("so sorry about the delay", True), ("pasensya na po sa abala", True), ("minta maaf atas kesulitan ini", True),
             ("sorry for the trouble with the order", True), ("so sorry can you repeat that", False),
             ("sorry one moment please", False), ("let me check the account", False), ("sekejap ya", False)]
    for i, (text, is_apology) in enumerate(texts):
        rows.append({"call_id": f"v{i}", "turn": 0, "speaker": "agent", "text": text, "labels": ["apology"] if is_apology else []})
    batch = pd.DataFrame(rows)
    tuned = tune_thresholds(model, batch, target_precision=0.75, min_positives=2)
    if "apology" in tuned.behaviours:
        hits = {i for i, _, _ in tuned.find(tokenise(batch["text"]), list(batch["speaker"]))}
        correct = {i for i, (_, pos) in enumerate(texts) if pos}
        assert len(hits & correct) / len(hits) >= 0.75
        assert tuned.info["tuned"]["apology"]["precision"] >= 0.75
    else:
        assert "apology" in tuned.info["skipped"]
    strict = tune_thresholds(model, batch, target_precision=1.01, min_positives=2)
    assert strict.behaviours == () and "precision" in strict.info["skipped"]["apology"]


def test_previous_turn_is_a_separate_lighter_block_and_stops_at_call_boundaries() -> None:
    from csqa.classifier import CONTEXT_WEIGHT, previous_turns

    docs = tokenise(["how much is roaming", "our roaming pass is ten a day", "hello", "hi there"])
    ctx = previous_turns(docs, ["a", "a", "b", "b"])
    assert ctx[0] is None and ctx[1] is docs[0] and ctx[2] is None and ctx[3] is docs[2]
    f = Features.fit(docs * 2, [c for c in ctx if c is not None] * 2)
    x = f.transform(docs, ctx)
    assert x.shape[1] == f.n_features > f.n_own
    context_block = x[:, f.n_own:]
    assert context_block[0].nnz == 0 and context_block[1].nnz > 0
    assert np.isclose(np.sqrt(context_block[1].multiply(context_block[1]).sum()), CONTEXT_WEIGHT)


def test_model_soft_sell_hits_do_not_need_the_interest_cue(call) -> None:
    from csqa.detection.base import CallContext, hits_frame
    from csqa.detection.conversation import SoftSell

    c = call([("customer", "i travel to jakarta every month for work"),
              ("agent", "then our monthly roaming pass could save you quite a bit")]).reset_index(drop=True)
    model_hit = {"call_id": "c1", "turn": 1, "speaker": "agent", "behaviour": "soft_sell", "start_char": 0,
                 "end_char": 10, "evidence": "then our m", "source": "model:toy", "confidence": 0.8}
    lexical_hit = {**model_hit, "source": "en.soft_sell.x"}
    empty_cues = pd.DataFrame(columns=["call_id", "turn", "speaker", "cue", "start_char", "end_char"])
    stats = pd.DataFrame({"n_words": [8, 10], "n_upper": [0, 0]})
    kept = SoftSell().detect(CallContext(c, hits_frame([model_hit]), empty_cues, stats))
    assert list(kept["source"]) == ["model:toy"]
    dropped = SoftSell().detect(CallContext(c, hits_frame([lexical_hit]), empty_cues, stats))
    assert dropped.empty  # a lexical offer still needs the customer's interest cue


def test_shipped_model_loads_and_is_listed_by_csqa_behaviours() -> None:
    from csqa.model_files import shipped_model_path

    path = shipped_model_path()
    assert path is not None, "models/behaviours.joblib should ship with csqa"
    shipped = load_model(path)
    assert set(shipped.behaviours) <= set(__import__("csqa").BEHAVIOURS)
    # a threshold is in [0.5, 1), or infinite where the model only confirms the lexicons' hits
    assert all(0.5 <= t < 1 or t == float("inf") for t in shipped.thresholds)
    result = CliRunner().invoke(app, ["behaviours", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = {line.split(",")[0]: line for line in result.output.splitlines()}
    for behaviour, threshold in zip(shipped.behaviours, shipped.thresholds):
        assert ("+model" in rows[behaviour]) == (threshold < float("inf"))
    assert "+model" not in rows["greeting"]


def test_cross_fit_trains_on_the_tuning_calls_and_sets_thresholds_out_of_fold() -> None:
    from csqa.training import cross_fit

    calls = _labelled().assign(call_id=lambda t: "g" + t["call_id"])
    fitted = cross_fit(_labelled(), calls, behaviours=["apology"], target_precision=0.75, min_positives=2)
    assert fitted.info["utterances"] == 2 * len(calls)  # the corpus and the calls
    assert fitted.info["tuned_on"]["cross_fit_folds"] == 5
    tuned = fitted.info["tuned"]["apology"]
    assert tuned["precision"] >= 0.75 and 0 < tuned["recall"] <= 1
    with pytest.raises(InputError, match="needs at least 5"):
        cross_fit(_labelled(), calls.head(6), behaviours=["apology"])


@pytest.mark.parametrize(
    ("options", "message"),
    [(["--cross-fit"], "--cross-fit needs --tune-on"), (["--tune-on", "LABELS", "--by-writer"], "--by-writer applies to --combined")],
)
def test_cli_train_options_that_need_another(tmp_path: Path, options: list[str], message: str) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps(r) + "\n" for r in _labelled().to_dict("records")))
    options = [str(labels) if o == "LABELS" else o for o in options]
    result = CliRunner().invoke(app, ["train", str(labels), "--out", str(tmp_path / "m.joblib"), *options])
    assert result.exit_code != 0 and message in result.output


def test_combined_threshold_adds_what_the_lexicon_misses_and_stops_before_noise() -> None:
    from csqa.training import _combined_threshold

    y = np.array([1, 1, 1, 1, 0, 0, 0], dtype=bool)
    lexical = np.array([1, 1, 0, 0, 0, 0, 0], dtype=bool)
    prob = np.array([0.9, 0.9, 0.8, 0.7, 0.6, 0.55, 0.3])
    # From 0.7 the model adds exactly the two positives the lexicon missed (F1 1.0; 0.675 ties, the higher wins).
    assert _combined_threshold(prob, lexical, y, 0.9) == (0.7, 1.0, 1.0)
    # A model that only ranks negatives high adds nothing: infinite threshold, the lexicon's own figures.
    noisy = np.array([0.1, 0.1, 0.1, 0.1, 0.99, 0.98, 0.97])
    assert _combined_threshold(noisy, lexical, y, 0.9) == (float("inf"), 1.0, 0.5)


def test_combined_threshold_keeps_precision_at_the_target_unless_the_lexicon_is_below_it() -> None:
    from csqa.training import _combined_threshold

    # At 0.8: precision 1.0, recall 0.75. Down to 0.6 finds the 4th positive but also 2 negatives:
    # precision 0.67 is below the target, so 0.8 stays.
    y = np.array([1, 1, 1, 1, 0, 0], dtype=bool)
    lexical = np.array([1, 1, 0, 0, 0, 0], dtype=bool)
    prob = np.array([0.9, 0.9, 0.8, 0.6, 0.6, 0.6])
    threshold, precision, recall = _combined_threshold(prob, lexical, y, 0.9)
    assert threshold == 0.8 and precision == 1.0 and recall == 0.75
    # The lexicon alone at precision 0.5: the floor is 0.5, not the target. 0.8 (precision 0.75)
    # passes it; 0.6 would reach every positive but at precision 0.4, below the lexicon's own.
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
    lexical_noisy = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0], dtype=bool)
    prob = np.array([0.9, 0.9, 0.8, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6])
    threshold, precision, _ = _combined_threshold(prob, lexical_noisy, y, 0.9)
    assert threshold == 0.8 and precision == 0.75


def test_combined_threshold_may_cost_a_lexicon_below_target_only_its_slack() -> None:
    from csqa.training import LEXICON_PRECISION_SLACK, _combined_threshold

    # Lexicon alone: 8 of 9 right (0.889). At 0.8 the model adds 7 right and 1 wrong: 15 of 17
    # (0.882), within the slack of the lexicon's precision; at 0.6 it adds 1 right, 3 wrong (0.76).
    y = np.array([1] * 8 + [0] + [1] * 7 + [0] + [1] + [0] * 3, dtype=bool)
    lexical = np.array([1] * 9 + [0] * 12, dtype=bool)
    prob = np.array([0.9] * 9 + [0.8] * 8 + [0.6] * 4)
    threshold, precision, recall = _combined_threshold(prob, lexical, y, 0.9)
    assert threshold == 0.8 and 8 / 9 - LEXICON_PRECISION_SLACK <= precision < 8 / 9 and recall == 15 / 16


def test_combined_threshold_by_writer_is_not_held_up_by_one_writers_convention() -> None:
    from csqa.training import _combined_threshold, writer_groups

    # Three writers, 4 positives each, the lexicon finds 2 of each. At 0.6 the model finds the
    # other 2 of writers a and b without a false hit; writer c labels nothing the model finds
    # at 0.6 (6 "false" hits), which pools to precision 0.67 and holds the pooled threshold at
    # 0.95 (the model adds nothing). Judged writer by writer the median precision is 1.0.
    groups = writer_groups([f"tr-{w}-{i:04d}" for w in "abc" for i in range(10)])
    y = np.tile(np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool), 3)
    lexical = np.tile(np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0], dtype=bool), 3)
    clean = np.array([0.99, 0.99, 0.6, 0.6, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    odd = np.array([0.99, 0.99, 0.1, 0.1, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6])
    prob = np.concatenate([clean, clean, odd])
    assert list(np.unique(groups)) == ["tr-a", "tr-b", "tr-c"]
    assert _combined_threshold(prob, lexical, y, 0.9)[0] == float("inf")
    threshold, precision, recall = _combined_threshold(prob, lexical, y, 0.9, groups)
    assert threshold == 0.6 and round(precision, 2) == 0.62 and round(recall, 2) == 0.83


def test_tune_thresholds_combined_records_it_and_cli_needs_a_tuning_batch(model, tmp_path: Path) -> None:
    from csqa.training import tune_thresholds

    batch = pd.DataFrame([{"call_id": f"v{i}", "turn": 0, "speaker": "agent", "text": t, "labels": ["apology"] if a else []}
                          for i, (t, a) in enumerate([("so sorry about the delay", True), ("sorry one moment", False),
                                                      ("pasensya na po sa abala", True), ("let me check", False),
                                                      ("minta maaf atas kesulitan ini", True), ("sekejap ya", False)])])
    tuned = tune_thresholds(model, batch, combined=True, min_positives=2)
    assert tuned.info["tuned_on"]["combined_with_lexicons"] is True
    assert tuned.info["tuned"]["apology"]["precision"] >= 0.9   # the lexicons alone are exact here
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps(r) + "\n" for r in _labelled().to_dict("records")))
    result = CliRunner().invoke(app, ["train", str(labels), "--out", str(tmp_path / "m.joblib"), "--combined"])
    assert result.exit_code != 0 and "--combined needs --tune-on" in result.output


def test_labelled_calls_takes_a_split_per_file(tmp_path: Path) -> None:
    from csqa.errors import InputError
    from csqa.training import labelled_calls

    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _labelled().to_dict("records")))
    every = labelled_calls([str(path)])
    dev, test = labelled_calls([f"{path}@dev"]), labelled_calls([str(path)], default_split="test")
    assert len(dev) + len(test) == len(every) and set(dev["call_id"]).isdisjoint(test["call_id"])
    assert len(labelled_calls([f"{path}@dev", f"{path}@test"])) == len(every)
    with pytest.raises(InputError, match='split "train"'):
        labelled_calls([f"{path}@train"])
    assert len(labelled_calls([str(tmp_path / "*.jsonl")])) == len(every)
    with pytest.raises(InputError, match="matches no file"):
        labelled_calls([str(tmp_path / "none-*.jsonl")])
