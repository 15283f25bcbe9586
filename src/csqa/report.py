"""A self-contained HTML report of a scored run (no scripts, no external files).

It reads only the small tables (agents, calls) and run.json, so it is cheap to rebuild for a
night's run: ``csqa report DIR``.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from csqa.behaviours import BEHAVIOURS
from csqa.types import PathLike
from csqa.writers import read_run_table

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.flag{color:#b00020;font-weight:600}.muted{color:#777}
"""


def _table(frame: pd.DataFrame, left: tuple[str, ...] = ()) -> str:
    head = "".join(f'<th class="{"l" if c in left else ""}">{html.escape(str(c))}</th>' for c in frame.columns)
    rows = []
    for rec in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, rec):
            text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else (
                f"{value:.1f}" if isinstance(value, float) else str(value))
            cells.append(f'<td class="{"l" if col in left else ""}">{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def build_report(agents: pd.DataFrame, calls: pd.DataFrame, manifest: dict[str, Any]) -> str:
    """Return the HTML report for a run's agent table, call table and manifest."""
    cols = [c for c in ("agent_id", "n_calls", "score_mean", "score_ci_low", "score_ci_high", "score_adjusted", "rank") if c in agents]
    agent_view = agents.sort_values("rank" if "rank" in agents else "score_adjusted", na_position="last")[cols].copy()
    flag_cols = [c for c in agents.columns if c.startswith("flag_")]
    if flag_cols:
        flags = agents[flag_cols].fillna(False).astype(bool)
        agent_view["worse than team on"] = [", ".join(c[5:] for c in flag_cols if row[c]) for _, row in flags.loc[agent_view.index].iterrows()]
    counts = [c for c in calls.columns if c.startswith("n_") and c[2:] in BEHAVIOURS and c != "n_turns"]
    rates = pd.DataFrame({
        "behaviour": [c[2:] for c in counts],
        "polarity": [BEHAVIOURS[c[2:]].polarity for c in counts],
        "calls with it": [int((calls[c] > 0).sum()) for c in counts],
        "share of calls %": [100.0 * float((calls[c] > 0).mean()) if len(calls) else float("nan") for c in counts],
    })
    worst_cols = [c for c in ("call_id", "agent_id", "lang", "score", "auto_fail_reason") if c in calls]
    worst = calls.sort_values("score", na_position="last").head(20)[worst_cols]
    langs = calls["lang"].value_counts().rename_axis("lang").reset_index(name="calls") if "lang" in calls else pd.DataFrame()
    info = manifest.get("counts", {})
    summary = ", ".join(f"{k}: {v}" for k, v in info.items())
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>csqa report</title><style>{_STYLE}</style></head><body>"
        f"<h1>csqa report</h1><p class='muted'>csqa {html.escape(str(manifest.get('csqa_version', '')))} · scorecard "
        f"{html.escape(str(manifest.get('scorecard', {}).get('name', '')))} · {html.escape(summary)}</p>"
        "<h2>Agents</h2><p class='muted'>Ranked on the adjusted score, which pulls agents with few calls toward the team mean; "
        "the interval is 95%. Agents with too few calls are not ranked.</p>"
        f"{_table(agent_view, left=('agent_id', 'worse than team on'))}"
        f"<h2>Behaviours</h2>{_table(rates, left=('behaviour', 'polarity'))}"
        f"<h2>Lowest-scoring calls</h2>{_table(worst, left=('call_id', 'agent_id', 'lang', 'auto_fail_reason'))}"
        f"<h2>Languages</h2>{_table(langs, left=('lang',))}</body></html>\n"
    )


def write_report(folder: PathLike) -> Path:
    """(Re)build ``report.html`` in a scored output folder, atomically; return its path."""
    folder = Path(folder)
    manifest_path = folder / "run.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    text = build_report(read_run_table(folder, "agents"), read_run_table(folder, "calls"), manifest)
    target = folder / "report.html"
    tmp = folder / f".report.html.tmp-{os.getpid()}"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
