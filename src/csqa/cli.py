"""The ``csqa`` command line: thin wrappers over the library functions.

stdout carries data (tables, JSON); stderr carries log lines and the progress bar, which only
shows on a terminal. Exit codes: 0 success (rejects are counted, not fatal), 1 a csqa error
(one line, no traceback), 2 usage, 130 interrupted.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from csqa._version import __version__
from csqa.errors import CsqaError, InputError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Score contact-centre call transcripts for agent behaviours (English, Malay, Tagalog).")
scorecard_app = typer.Typer(no_args_is_help=True, help="Check and print scorecards.")
lexicon_app = typer.Typer(no_args_is_help=True, help="Check lexicon files.")
app.add_typer(scorecard_app, name="scorecard")
app.add_typer(lexicon_app, name="lexicon")

err = Console(stderr=True)
out = Console(soft_wrap=True)
log = logging.getLogger("csqa")


def _setup_logging(quiet: bool) -> None:
    if not log.handlers or all(isinstance(h, logging.NullHandler) for h in log.handlers):
        handler = RichHandler(console=err, show_path=False, show_time=False) if err.is_terminal else logging.StreamHandler(sys.stderr)
        if not err.is_terminal:
            handler.setFormatter(logging.Formatter("%(asctime)s csqa %(levelname)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.WARNING if quiet else logging.INFO)


def _fail(exc: BaseException) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(str(exc))}", markup=True, highlight=False)
    return typer.Exit(code=1)


def _print_frame(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(frame.to_json(orient="records", force_ascii=False, indent=2) + "\n")
    else:
        with pd.option_context("display.max_rows", 200, "display.max_columns", 20, "display.width", 200,
                               "display.max_colwidth", 80):
            out.print(frame.to_string(index=False), highlight=False)


@app.command()
def score(
    inputs: Annotated[list[Path], typer.Argument(help="Transcript files (jsonl, csv, parquet, json, txt, vtt, srt, vendor json).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder (replaced atomically when the run completes).")],
    scorecard: Annotated[Optional[str], typer.Option(help='Scorecard file, or a shipped one: "default", "strict".')] = None,
    lexicons: Annotated[Optional[list[Path]], typer.Option("--lexicon", help="Extra lexicon file or folder (repeatable).")] = None,
    model: Annotated[Optional[str], typer.Option(help='Trained model: a file, "shipped" or "none" (default: the scorecard\'s [model] file, normally "shipped").')] = None,
    fmt: Annotated[str, typer.Option("--format", help="Table format: parquet or csv.")] = "parquet",
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes (-1 = all cores); the output is the same for any value.")] = -1,
    engine: Annotated[str, typer.Option(help="local, or dask (the same work on a Dask cluster; needs csqa[dask]).")] = "local",
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler address (engine dask); a local cluster when omitted.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors on stderr.")] = False,
) -> None:
    """Score transcripts into OUT: hits, calls and agents tables, rejects.jsonl, run.json and report.html.

    Inputs are streamed (memory stays flat); a call's rows may be anywhere in them. Calls are
    written in order of first appearance, hits by call, then turn.
    """
    from csqa.engine import run_score
    from csqa.pipeline import make_settings

    _setup_logging(quiet)
    try:
        settings = make_settings(scorecard, lexicons or (), model)
        with Progress(TextColumn("scoring"), BarColumn(), TextColumn("{task.completed}/{task.total} calls"),
                      TimeRemainingColumn(), console=err, transient=True, disable=quiet or not err.is_terminal) as bar:
            task = bar.add_task("score", total=None)
            manifest, agents = run_score(inputs, out_dir, settings, format=fmt, n_jobs=jobs, engine=engine, scheduler=scheduler,
                                         on_progress=lambda done, total: bar.update(task, completed=done, total=total))
        from csqa.report import write_report

        write_report(out_dir)
    except CsqaError as exc:
        raise _fail(exc) from None
    counts = manifest["counts"]
    err.print(f"scored {counts['calls']} calls ({counts['utterances']} utterances, {counts['hits']} hits, "
              f"{counts['rejects']} rejected) in {manifest['seconds']['total']:.1f} s -> {out_dir}", highlight=False)
    if not quiet:
        cols = [c for c in ("agent_id", "n_calls", "score_mean", "score_ci_low", "score_ci_high", "score_adjusted", "rank") if c in agents]
        _print_frame(agents[cols].sort_values(cols[-1]).round(1), "table")


@app.command()
def report(folder: Annotated[Path, typer.Argument(help="A scored output folder (csqa score --out).")]) -> None:
    """(Re)build the self-contained HTML report of a scored folder."""
    from csqa.report import write_report

    try:
        path = write_report(folder)
    except CsqaError as exc:
        raise _fail(exc) from None
    err.print(f"report written to {path}", highlight=False)


@app.command()
def validate(
    inputs: Annotated[list[Path], typer.Argument(help="Transcript files to check.")],
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Print the records that would be rejected, and why (exit 0 even when some are)."""
    from csqa.readers import validate as validate_files

    try:
        rejects = validate_files([str(p) for p in inputs])
    except CsqaError as exc:
        raise _fail(exc) from None
    _print_frame(rejects, fmt)
    err.print(f"{len(rejects)} record(s) would be rejected", highlight=False)


@app.command()
def behaviours(fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table") -> None:
    """The behaviour catalogue: id, level, polarity, speaker, how it is found, languages, description.

    ``found_by`` gains ``+model`` for behaviours the shipped trained model also detects."""
    from csqa.behaviours import BEHAVIOURS
    from csqa.lexicon import load_lexicon
    from csqa.model_files import load_model, shipped_model_path

    lexicon = load_lexicon()
    path = shipped_model_path()
    model = load_model(path) if path else None
    # a behaviour with an infinite threshold is only confirmed by the model, never found by it
    modelled = {b for b, t in zip(model.behaviours, model.thresholds) if t < float("inf")} if model else set()
    rows = []
    for b in BEHAVIOURS.values():
        langs = sorted(lexicon.languages(b.id)) if b.lexical else []
        rows.append({"id": b.id, "level": b.level, "polarity": b.polarity, "speaker": b.speaker,
                     "found_by": b.found_by + ("+model" if b.id in modelled else ""),
                     "languages": ",".join(langs) if langs else "any (rule)",
                     "description": b.description})
    _print_frame(pd.DataFrame(rows), fmt)


@app.command()
def evaluate(
    gold: Annotated[list[Path], typer.Argument(help="Gold utterance JSONL file(s) with a labels field.")],
    scorecard: Annotated[Optional[str], typer.Option(help="Scorecard (its lexicons and detector parameters apply).")] = None,
    model: Annotated[Optional[str], typer.Option(help='Trained model: a file, "shipped" or "none" (default: the scorecard\'s [model] file, normally "shipped").')] = None,
    split: Annotated[str, typer.Option(help="all, dev or test (a stable split by call id).")] = "all",
    level: Annotated[str, typer.Option(help="turn, call or both.")] = "both",
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Also write the full metrics table here (.csv or .md).")] = None,
    errors_file: Annotated[Optional[Path], typer.Option("--errors", help="Write every turn-level disagreement (fp/fn, text) to this CSV.")] = None,
) -> None:
    """Precision, recall and F1 per behaviour and language against gold labels."""
    import csqa
    from csqa.evaluation import errors, in_split, markdown, summary

    _setup_logging(True)
    try:
        result = csqa.score([str(p) for p in gold], scorecard=scorecard, model=model)
        report = csqa.evaluate(result, result.utterances, level=level, split=split)
    except CsqaError as exc:
        raise _fail(exc) from None
    for lvl in ("turn", "call"):
        if (report["level"] == lvl).any():
            out.print(f"\n[bold]{lvl} level[/bold] — F1 (precision/recall, n=gold positives), split={split}", highlight=False)
            _print_frame(summary(report, level=lvl).reset_index(), "table")
    if out_file is not None:
        if out_file.suffix == ".md":
            text = "".join(f"\n### {lvl} level\n\n" + markdown(summary(report, level=lvl))
                           for lvl in ("turn", "call") if (report["level"] == lvl).any())
        else:
            text = report.to_csv(index=False)
        out_file.write_text(text, encoding="utf-8")
        err.print(f"metrics written to {out_file}")
    if errors_file is not None:
        gold_rows = result.utterances[in_split(result.utterances["call_id"], split)]
        errors(result.hits, gold_rows).to_csv(errors_file, index=False)
        err.print(f"disagreements written to {errors_file}")


@app.command()
def train(
    labels: Annotated[list[str], typer.Argument(help="Gold-labelled utterance files (JSONL with a labels field); FILE@dev or FILE@test takes one half of its calls.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="Model file to write, e.g. models/mine.joblib.")],
    behaviours: Annotated[Optional[str], typer.Option(help="Comma-separated behaviour ids (default: the open-ended ones).")] = None,
    name: Annotated[Optional[str], typer.Option(help="Model name (its hits' source is model:NAME); default: the file's stem.")] = None,
    target_precision: Annotated[float, typer.Option(help="Precision each behaviour's threshold aims for.")] = 0.9,
    tune_on: Annotated[Optional[list[str]], typer.Option(help="Labelled calls NOT in LABELS to set the thresholds on (without --combined, behaviours that miss the target are dropped); repeatable, FILE@dev as in LABELS.")] = None,
    tune_split: Annotated[str, typer.Option(help="all, dev or test: which calls of --tune-on files without @SPLIT to use.")] = "all",
    cross_fit: Annotated[bool, typer.Option(help="Also train on the --tune-on calls; thresholds come from models that did not see them (5 groups of calls).")] = False,
    combined: Annotated[bool, typer.Option(help="Set the thresholds for the lexicons and the model together (best F1 of both, precision kept at the target); tune on calls the lexicons were not written from.")] = False,
    by_writer: Annotated[bool, typer.Option(help="With --combined: judge thresholds by the mean F1 of the tuning calls' writers (call id without its number) and the median writer's precision.")] = False,
) -> None:
    """Train one classifier per behaviour on labelled utterances; print cross-validated figures."""
    from csqa.model_files import save_model
    from csqa.training import MODELLED, labelled_calls, tune_thresholds
    from csqa.training import cross_fit as cross_fit_model
    from csqa.training import train as train_model

    chosen = tuple(b.strip() for b in behaviours.split(",") if b.strip()) if behaviours else MODELLED
    try:
        corpus = labelled_calls(labels)
        tuning = labelled_calls(tune_on, default_split=tune_split) if tune_on else None
        if combined and tuning is None:
            raise InputError("train: --combined needs --tune-on (the calls to set the thresholds on)")
        if by_writer and not combined:
            raise InputError("train: --by-writer applies to --combined thresholds; add --combined")
        if cross_fit:
            if tuning is None:
                raise InputError("train: --cross-fit needs --tune-on (the calls to train on and set thresholds with)")
            model = cross_fit_model(corpus, tuning, behaviours=chosen, name=name or out_file.stem,
                                    target_precision=target_precision, combined=combined, by_writer=by_writer)
        else:
            model = train_model(corpus, behaviours=chosen, name=name or out_file.stem, target_precision=target_precision)
            if tuning is not None:
                model = tune_thresholds(model, tuning, target_precision=target_precision, combined=combined,
                                        by_writer=by_writer)
    except CsqaError as exc:
        raise _fail(exc) from None
    table = pd.DataFrame.from_dict(model.info["behaviours"], orient="index").rename_axis("behaviour")
    if tune_on is not None:
        tuned = pd.DataFrame.from_dict(model.info["tuned"], orient="index")
        dropped = ["threshold", "cv_precision", "cv_recall"] if cross_fit else ["threshold"]
        table = table.drop(columns=dropped).join(tuned.add_prefix("tuned_"), how="inner")
    _print_frame(table.reset_index(), "table")
    for behaviour, reason in model.info["skipped"].items():
        err.print(f"skipped {behaviour}: {reason}", highlight=False)
    save_model(model, out_file)
    err.print(f"model written to {out_file} ({model.info['utterances']} utterances, "
              f"{model.info['features']} features, {len(model.behaviours)} behaviours)", highlight=False)


@app.command()
def explain(
    text: Annotated[str, typer.Argument(help="One utterance.")],
    speaker: Annotated[str, typer.Option(help="agent or customer.")] = "agent",
) -> None:
    """Run the lexical detectors on one sentence and print what they find (and which rule)."""
    import csqa

    _print_frame(csqa.explain_text(text, speaker=speaker), "table")


@app.command()
def calibrate(
    scored: Annotated[Path, typer.Argument(help="A scored output folder (csqa score --out).")],
    human: Annotated[Path, typer.Argument(help="CSV of human QA marks: call_id, score, and optional item columns.")],
) -> None:
    """Agreement between csqa and human QA: score correlation, kappa per item, largest differences."""
    from csqa.calibration import calibrate as run_calibration
    from csqa.writers import read_run_table

    try:
        calls = read_run_table(scored, "calls")
        report = run_calibration(calls, human)
    except CsqaError as exc:
        raise _fail(exc) from None
    out.print(str(report), highlight=False)


@scorecard_app.command("check")
def scorecard_check(path: Annotated[Path, typer.Argument(help="Scorecard TOML file.")]) -> None:
    """Validate a scorecard file; print every problem with the item it is in."""
    from csqa.scorecard import check_scorecard

    try:
        card = check_scorecard(path)
    except CsqaError as exc:
        raise _fail(exc) from None
    err.print(f"{path}: ok ({len(card.items)} items)", highlight=False)


@scorecard_app.command("show")
def scorecard_show(scorecard: Annotated[Optional[str], typer.Argument(help='File, or "default" / "strict".')] = None) -> None:
    """Print the effective scorecard (defaults filled in) as TOML."""
    from csqa.scorecard import show_scorecard

    try:
        sys.stdout.write(show_scorecard(scorecard))
    except CsqaError as exc:
        raise _fail(exc) from None


@lexicon_app.command("check")
def lexicon_check(paths: Annotated[list[Path], typer.Argument(help="Lexicon .jsonl/.toml/.txt (name list) files or folders.")]) -> None:
    """Validate lexicon files (with the shipped ones); report the first problem by file and line."""
    from csqa.lexicon import load_lexicon

    try:
        lexicon = load_lexicon(paths)
    except CsqaError as exc:
        raise _fail(exc) from None
    err.print(f"ok: {len(lexicon.rules)} rules, {len(lexicon.sets)} word sets, {len(lexicon.names)} names", highlight=False)


def version_callback(value: bool) -> None:
    if value:
        print(__version__)
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Print the version.")] = False) -> None:
    """csqa: contact-centre call quality scoring."""


def main() -> None:
    """Console-script entry point (exit 130 on Ctrl-C)."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted: no output was written")
        sys.exit(130)

