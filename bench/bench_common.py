"""Shared by the benchmarks: arguments, timing statistics, machine facts, result files, the summary.

Every benchmark is a script that writes one JSON file (`bench/results/<name>.json`) with the
same shape, so `run_all.py` can put them side by side in `bench/results/SUMMARY.md`:

    {"name", "title", "quick", "started", "seconds", "machine", "params",
     "metrics": {...}, "targets": [{"name", "goal", "measured", "unit", "passed", "note"}],
     "tables": [{"title", "columns", "rows"}], "notes": [...]}

The machine is shared and noisy, so the benchmarks compare ratios measured inside one run,
record the load average before and after, and report medians (and CPU time where it helps).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
QUICK_RESULTS_DIR = RESULTS_DIR / "quick"


def vidrec_points(vectors: Any, model: str) -> Iterator[Any]:
    """Points shaped like vidrec's (via `index.points_for`): per video, a video-level point then
    4 clips of 5 s, with the payload and deterministic ids that `ingest` writes."""
    from vidrec_helpers.index import points_for
    from vidrec_helpers.records import Segment, VideoEmbedding, VideoSource

    for video, start in enumerate(range(0, len(vectors), 5)):
        content_hash = f"{video:064x}"
        spans = [("video", 0.0, 20.0)] + [
            ("clip", part * 5.0, part * 5.0 + 5.0) for part in range(4)
        ]
        chunk = vectors[start : start + 5]
        segments = [
            Segment(scope, a, b, vector)
            for (scope, a, b), vector in zip(spans, chunk, strict=False)
        ]
        source = VideoSource(
            video_id=f"video-{video}",
            content_hash=content_hash,
            title=f"Video {video}",
            filename=f"video_{video}.mp4",
            s3_key=f"videos/{content_hash[:12]}/video_{video}.mp4",
            intent="kids",
            mood="musical",
            duration=20.0,
        )
        yield from points_for(
            source, VideoEmbedding(source.video_id, content_hash, model, segments)
        )


def isolate() -> None:
    """Blank every variable that could reach a real service: benchmarks only touch local servers."""
    from vidrec_helpers.config import SERVICE_VARIABLES

    for name in SERVICE_VARIABLES:
        os.environ[name] = ""
    os.environ.setdefault("VIDREC_MODE", "offline")
    os.environ.setdefault("QDRANT_PATH", ":memory:")


def arguments(name: str, description: str, **flags: str) -> argparse.Namespace:
    """`--quick` (tiny sizes, a smoke test), `--out` (the JSON file) and `flags` (name: help)."""
    parser = argparse.ArgumentParser(description=description)
    for flag, text in flags.items():
        parser.add_argument(f"--{flag.replace('_', '-')}", action="store_true", help=text)
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: checks the script runs, measures nothing"
    )
    parser.add_argument("--out", type=Path, default=None, help="result file (JSON)")
    args = parser.parse_args()
    if args.out is None:
        args.out = (QUICK_RESULTS_DIR if args.quick else RESULTS_DIR) / f"{name}.json"
    return args


# ----- numbers ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation, as numpy's default."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call, by the monotonic performance counter."""
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (MiB)."""
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB
    except ImportError:  # Windows
        import psutil

        return psutil.Process().memory_info().peak_wset / 1024 / 1024


def rss_mb() -> float:
    """This process's resident memory now, in MB (MiB)."""
    import psutil

    return psutil.Process().memory_info().rss / 1024 / 1024


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (None on Windows)."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def rounded(value: Any, digits: int = 3) -> Any:
    """Floats rounded for the JSON file (nested lists and dicts too)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(item, digits) for item in value]
    return value


# ----- machine ---------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 1024**3, 1)
    except ImportError:
        return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    packages = ("qdrant-client", "twelvelabs", "numpy", "pandas", "boto3", "moto", "httpx")
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": _memory_gb(),
        "packages": {name: _version(name) for name in packages},
    }


# ----- results ---------------------------------------------------------------------------------


def target(
    name: str,
    measured: float | None,
    goal: float,
    unit: str,
    *,
    higher_is_better: bool = False,
    note: str = "",
) -> dict[str, Any]:
    """One target line: PASS when `measured` is on the right side of `goal` (None: not measured)."""
    if measured is None:
        passed = None
    else:
        passed = measured >= goal if higher_is_better else measured <= goal
    comparison = ">=" if higher_is_better else "<="
    return {
        "name": name,
        "goal": f"{comparison} {goal:g} {unit}".strip(),
        "measured": None if measured is None else round(float(measured), 3),
        "unit": unit,
        "passed": passed,
        "note": note,
    }


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return {"title": title, "columns": list(columns), "rows": [list(row) for row in rows]}


class Recorder:
    """Collects one benchmark's results and writes its JSON file."""

    def __init__(self, name: str, title: str, args: argparse.Namespace) -> None:
        self.name, self.title, self.args = name, title, args
        self.started = time.perf_counter()
        self.result: dict[str, Any] = {
            "name": name,
            "title": title,
            "quick": bool(args.quick),
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(),
            "load_before": load_average(),
            "params": {},
            "metrics": {},
            "targets": [],
            "tables": [],
            "notes": [],
        }

    def params(self, **values: Any) -> None:
        self.result["params"].update(values)

    def metrics(self, **values: Any) -> None:
        self.result["metrics"].update(values)

    def target(self, *args: Any, **kwargs: Any) -> None:
        self.result["targets"].append(target(*args, **kwargs))

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.result["tables"].append(table(title, columns, rows))

    def note(self, text: str) -> None:
        self.result["notes"].append(text)

    def write(self) -> Path:
        self.result["load_after"] = load_average()
        self.result["seconds"] = round(time.perf_counter() - self.started, 1)
        out = Path(self.args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(rounded(self.result), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out} ({self.result['seconds']} s)")
        return out


# ----- the summary -----------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value).replace("|", "\\|")


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(passed: bool | None) -> str:
    return {True: "PASS", False: "MISS", None: "n/a"}[passed]


def summary_markdown(results: Sequence[dict[str, Any]], failures: dict[str, str]) -> str:
    """SUMMARY.md: every target with PASS/MISS, then each benchmark's tables and notes."""
    first = results[0] if results else {}
    info = first.get("machine", {})
    lines = [
        "# vidrec benchmarks",
        "",
        f"Measured {first.get('started', '?')} on {info.get('cpus', '?')} CPUs "
        f"({info.get('cpu_model', '?')}), {info.get('memory_gb', '?')} GB, Python "
        f"{info.get('python', '?')}, qdrant-client {info.get('packages', {}).get('qdrant-client')}."
        + (
            " QUICK MODE: tiny sizes, a smoke test; these numbers mean nothing."
            if first.get("quick")
            else ""
        ),
        "Regenerate with `make bench` (`python bench/run_all.py`); see bench/README.md.",
        "",
        "## Targets",
        "",
    ]
    rows = [
        [
            result["title"],
            item["name"],
            item["goal"],
            item["measured"],
            verdict(item["passed"]),
            item["note"],
        ]
        for result in results
        for item in result.get("targets", [])
    ]
    lines += [
        markdown_table(["benchmark", "target", "goal", "measured", "result", "note"], rows),
        "",
    ]
    for name, error in failures.items():
        lines += [
            f"**{name} failed:** `{error.strip().splitlines()[-1] if error.strip() else 'no output'}`",
            "",
        ]
    for result in results:
        loads = f"load average {result.get('load_before')} before, {result.get('load_after')} after"
        lines += [f"## {result['title']}", "", f"_{result.get('seconds', '?')} s; {loads}._", ""]
        for item in result.get("tables", []):
            lines += [f"**{item['title']}**", "", markdown_table(item["columns"], item["rows"]), ""]
        lines += [f"- {note}" for note in result.get("notes", [])]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
