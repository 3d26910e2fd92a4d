"""Run every benchmark, each in its own process, then write bench/results/SUMMARY.md.

    python bench/run_all.py                 # all of them, a few minutes (what `make bench` runs)
    python bench/run_all.py --quick         # tiny sizes, ~1 minute: checks the scripts, measures nothing
    python bench/run_all.py --only search   # one or more by name; the summary keeps the others' last results
    python bench/run_all.py --summary-only  # rebuild SUMMARY.md from the JSON files

Full results go to bench/results/, quick ones to bench/results/quick/ (or `--results DIR`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench_common import BENCH_DIR, QUICK_RESULTS_DIR, RESULTS_DIR, summary_markdown

#: name -> script, in running order (the longest last, so a failure shows early).
BENCHMARKS = {
    "cold_start": "cold_start.py",
    "upsert": "upsert.py",
    "search": "search_latency.py",
    "memory": "memory.py",
    "notebooks": "notebook_suite.py",
    "ingestion": "ingestion.py",
}
TIMEOUT_SECONDS = 900


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these")
    parser.add_argument("--results", type=Path, help="where the JSON files and SUMMARY.md go")
    parser.add_argument(
        "--ablation", action="store_true", help="ingestion: also run the old defaults (~30 s more)"
    )
    parser.add_argument("--summary-only", action="store_true", help="only rebuild SUMMARY.md")
    return parser.parse_args()


def run(name: str, script: str, results: Path, args: argparse.Namespace) -> str | None:
    """Run one benchmark; return its error output when it failed, else None."""
    command = [sys.executable, str(BENCH_DIR / script), "--out", str(results / f"{name}.json")]
    if args.quick:
        command.append("--quick")
    if args.ablation and name == "ingestion":
        command.append("--ablation")
    print(f"== {name}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        outcome = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, cwd=BENCH_DIR.parent
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {TIMEOUT_SECONDS} s"
    seconds = time.perf_counter() - started
    print(f"   {seconds:.1f} s, exit {outcome.returncode}", file=sys.stderr, flush=True)
    if outcome.returncode:
        print(outcome.stderr[-3000:], file=sys.stderr)
        return outcome.stderr or f"exit {outcome.returncode}"
    return None


def main() -> int:
    args = parse()
    results = args.results or (QUICK_RESULTS_DIR if args.quick else RESULTS_DIR)
    results.mkdir(parents=True, exist_ok=True)
    names = args.only or list(BENCHMARKS)
    failures: dict[str, str] = {}
    if not args.summary_only:
        for name in names:
            error = run(name, BENCHMARKS[name], results, args)
            if error is not None:
                failures[name] = error
    loaded = [
        json.loads((results / f"{name}.json").read_text(encoding="utf-8"))
        for name in BENCHMARKS
        if (results / f"{name}.json").exists() and name not in failures
    ]
    summary = results / "SUMMARY.md"
    summary.write_text(summary_markdown(loaded, failures), encoding="utf-8")
    print(f"wrote {summary}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
