"""Benchmark ``csqa score`` end to end against a bare spaCy tokenizer pass, and its peak memory.

In one run, on the same generated input (``generate.py``; varied wording in English, Malay,
Tagalog and mixes):

- calls/s and words/s of ``csqa score`` end to end (process start, read, detect, score,
  aggregate, write), run as a subprocess with ``--jobs 1`` and ``--jobs 2``;
- the same for a bare ``spacy.blank("xx")`` tokenizer pass over the same texts, loaded before
  the clock starts (one process);
- the ratio of csqa's ``--jobs 1`` time to the tokenizer's;
- peak RSS of ``csqa score --jobs 1`` (``ru_maxrss`` of the child from ``wait4``) at ``--calls``
  and ``--big`` calls.

The machine may be shared: compare the figures within one run, not across runs.

    python benchmarks/run.py                      # 10k calls, memory at 10k and 100k
    python benchmarks/run.py --quick              # 1k calls, memory at 1k and 5k
    python benchmarks/run.py --results benchmarks/RESULTS.md   # figures between its markers
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

TARGET_CALLS_PER_S = 1_000.0
TARGET_RATIO = 2.0
TARGET_MEMORY = 1.2
CLI = "from csqa.cli import main; main()"


def ensure_input(data: Path, n_calls: int, turns: int, seed: int) -> Path:
    """Generate (once) and return the input file for ``n_calls`` calls."""
    path = data / f"calls_{n_calls}_t{turns}_s{seed}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".partial")
        generate(n_calls, turns, seed, tmp)
        os.replace(tmp, path)
    return path


def load_texts(path: Path) -> tuple[list[str], int, int]:
    """The texts of a generated file, their whitespace word count, and the number of calls."""
    texts, calls = [], set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append(row["text"])
            calls.add(row["call_id"])
    return texts, sum(len(t.split()) for t in texts), len(calls)


def tokenizer_seconds(texts: list[str], repeat: int = 2) -> float:
    """Best of ``repeat`` bare tokenizer passes over ``texts``, each by a fresh tokenizer (a
    second pass by the same one would only hit its cache: csqa sees each text once too)."""
    import spacy

    best = float("inf")
    for _ in range(repeat):
        nlp = spacy.blank("xx")
        t0 = time.perf_counter()
        for _doc in nlp.tokenizer.pipe(texts, batch_size=2000):
            pass
        best = min(best, time.perf_counter() - t0)
    return best


def run_csqa(path: Path, jobs: int, out: Path) -> dict[str, float]:
    """Run ``csqa score`` in a fresh process; return wall seconds, peak RSS (MB) and counts."""
    cmd = [sys.executable, "-c", CLI, "score", str(path), "--out", str(out), "--jobs", str(jobs), "-q"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"csqa score --jobs {jobs} failed ({proc.returncode}):\n{err.decode(errors='replace')}")
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "calls": manifest["counts"]["calls"],
            "utterances": manifest["counts"]["utterances"], "hits": manifest["counts"]["hits"],
            "phases": manifest["seconds"]}


def machine() -> dict[str, object]:
    """Core count, CPU model, memory and load at the start, for the report."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                          if line.startswith("MemTotal")))
    except (OSError, StopIteration):
        mem_kb = 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cores": cores, "cpu": cpu, "memory_gb": round(mem_kb / 2**20, 1), "python": platform.python_version(),
            "load_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None}


def status(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT met")


def report(r: dict[str, object]) -> str:
    """The results as Markdown."""
    m, tok, runs, mem = r["machine"], r["tokenizer"], r["runs"], r["memory"]
    n_calls, n_words = r["calls"], r["words"]
    lines = [
        f"Measured {r['date']} on {m['cores']} cores ({m['cpu']}, {m['memory_gb']} GB RAM, Python {m['python']}); "
        f"load average at start {', '.join(f'{x:.2f}' for x in m['load_at_start'] or [])}.",
        f"Input: {n_calls:,} generated calls, {r['utterances']:,} utterances, {n_words:,} words "
        f"(about {r['utterances'] / max(1, n_calls):.0f} turns per call).",
        "",
        "| run | seconds | calls/s | words/s | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|",
        f"| spaCy blank(\"xx\") tokenizer, 1 process | {tok:.1f} | {n_calls / tok:,.0f} | {n_words / tok:,.0f} | |",
    ]
    for jobs, run in runs.items():
        lines.append(f"| csqa score --jobs {jobs} (end to end) | {run['seconds']:.1f} | {n_calls / run['seconds']:,.0f} | "
                     f"{n_words / run['seconds']:,.0f} | {run['rss_mb']:,.0f} |")
    for size, run in mem.items():
        lines.append(f"| csqa score --jobs 1, {size:,} calls (memory) | {run['seconds']:.1f} | "
                     f"{run['calls'] / run['seconds']:,.0f} | | {run['rss_mb']:,.0f} |")
    lines += ["", "Where the time goes (seconds, from each run's run.json; the rest of the wall time is "
              "process start, imports and loading the lexicons):", "",
              "| run | read + spill | detect + score | write + aggregate | total in run_score | wall |",
              "|---|---:|---:|---:|---:|---:|"]
    for label, run in [*((f"--jobs {j}, {n_calls:,} calls", r) for j, r in runs.items()),
                       *((f"--jobs 1, {size:,} calls", r) for size, r in mem.items() if size != n_calls)]:
        p = run["phases"]
        lines.append(f"| {label} | {p['read']:.1f} | {p['detect_and_score']:.1f} | {p.get('write', 0):.1f} | "
                     f"{p['total']:.1f} | {run['seconds']:.1f} |")
    two = runs.get(2)
    ratio = runs[1]["seconds"] / tok
    sizes = sorted(mem)
    growth = mem[sizes[-1]]["rss_mb"] / mem[sizes[0]]["rss_mb"] if len(sizes) == 2 else None
    rate2 = n_calls / two["seconds"] if two else None
    lines += [
        "",
        "| target | measured | status |",
        "|---|---:|---|",
        f"| end to end on 2 cores >= {TARGET_CALLS_PER_S:,.0f} calls/s | "
        f"{'n/a' if rate2 is None else f'{rate2:,.0f} calls/s'} | "
        f"{status(None if rate2 is None else rate2 >= TARGET_CALLS_PER_S)} |",
        f"| csqa --jobs 1 time / tokenizer time <= {TARGET_RATIO} | {ratio:.2f} | {status(ratio <= TARGET_RATIO)} |",
        f"| peak RSS at {sizes[-1]:,} calls / at {sizes[0]:,} calls <= {TARGET_MEMORY} | "
        f"{'n/a' if growth is None else f'{growth:.2f}'} | {status(None if growth is None else growth <= TARGET_MEMORY)} |",
    ]
    return "\n".join(lines) + "\n"


START, END = "<!-- results:start -->", "<!-- results:end -->"


def write_results(path: Path, text: str) -> None:
    """Put ``text`` between the result markers of ``path`` (notes around them are kept)."""
    block = f"{START}\n{text}{END}\n"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in old and END in old:
        head, rest = old.split(START, 1)
        new = head + block + rest.split(END, 1)[1].lstrip("\n")
    else:
        new = f"# Benchmark results\n\n{block}" + (f"\n{old}" if old else "")
    path.write_text(new, encoding="utf-8")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000, help="calls for the speed runs (and the small memory run)")
    parser.add_argument("--big", type=int, default=100_000, help="calls for the large memory run (0: skip)")
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values to time")
    parser.add_argument("--quick", action="store_true", help="1,000 calls, memory at 1,000 and 5,000")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where generated inputs are kept")
    parser.add_argument("--results", type=Path, help="also write the Markdown report to this file")
    parser.add_argument("--json", type=Path, help="also write the raw figures as JSON")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.big = 1_000, 5_000
    jobs = sorted({int(j) for j in args.jobs.split(",")} | {1})
    args.data.mkdir(parents=True, exist_ok=True)

    info = machine()
    small = ensure_input(args.data, args.calls, args.turns, args.seed)
    texts, n_words, n_calls = load_texts(small)
    print(f"input: {small} ({n_calls} calls, {len(texts)} utterances, {n_words} words); "
          f"{info['cores']} cores, load {info['load_at_start']}", flush=True)
    tok = tokenizer_seconds(texts)
    n_utterances = len(texts)
    del texts
    print(f"tokenizer: {tok:.2f} s", flush=True)
    runs: dict[int, dict[str, float]] = {}
    memory: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="csqa-bench-") as tmp:
        for j in jobs:
            runs[j] = run_csqa(small, j, Path(tmp) / f"out{j}")
            print(f"csqa --jobs {j}: {runs[j]['seconds']:.1f} s, {n_calls / runs[j]['seconds']:.0f} calls/s, "
                  f"peak RSS {runs[j]['rss_mb']:.0f} MB", flush=True)
        memory[args.calls] = runs[1]
        if args.big:
            big = ensure_input(args.data, args.big, args.turns, args.seed)
            memory[args.big] = run_csqa(big, 1, Path(tmp) / "big")
            print(f"csqa --jobs 1, {args.big} calls: {memory[args.big]['seconds']:.1f} s, "
                  f"peak RSS {memory[args.big]['rss_mb']:.0f} MB", flush=True)
    results = {"date": dt.datetime.now().isoformat(timespec="minutes"), "machine": info, "calls": n_calls,
               "utterances": n_utterances, "words": n_words, "tokenizer": tok, "runs": runs, "memory": memory}
    text = report(results)
    print()
    print(text)
    if args.results:
        write_results(args.results, text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
