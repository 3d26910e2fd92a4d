"""The benchmark scripts run (quick mode, tiny sizes) and write result files of the agreed shape.

No timing is asserted: only that the scripts work and what they write can be summarised.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
TOP_LEVEL = {"name", "title", "quick", "machine", "params", "metrics", "targets", "tables", "notes"}


def run_quick(script: str, out: Path) -> dict:
    subprocess.run(
        [sys.executable, str(BENCH / script), "--quick", "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def check_shape(result: dict, name: str) -> None:
    assert TOP_LEVEL <= set(result), TOP_LEVEL - set(result)
    assert result["name"] == name and result["quick"] is True
    assert result["machine"]["cpus"] and result["seconds"] >= 0
    for target in result["targets"]:
        assert {"name", "goal", "measured", "unit", "passed", "note"} <= set(target)
        assert target["passed"] in (True, False, None)
        assert (target["measured"] is None) == (target["passed"] is None)
    assert result["tables"]
    for table in result["tables"]:
        assert table["rows"] and all(len(row) == len(table["columns"]) for row in table["rows"])


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bench-results")
    check_shape(run_quick("upsert.py", folder / "upsert.json"), "upsert")
    check_shape(run_quick("search_latency.py", folder / "search.json"), "search")
    return folder


def test_quick_benchmarks_write_results_of_the_agreed_shape(results):
    upsert = json.loads((results / "upsert.json").read_text())
    assert {"memory_speedup", "disk_speedup"} <= set(upsert["metrics"])
    search = json.loads((results / "search.json").read_text())
    sizes = search["metrics"]["sizes"]
    assert set(sizes) == {"500", "2000"}
    for size in sizes.values():
        assert set(size["stats"]) == {"numpy", "raw", "raw_fetch", "vidrec"}
        assert all(stat["p95"] >= stat["p50"] > 0 for stat in size["stats"].values())
    assert len(search["targets"]) == 2  # one per size


def test_summary_puts_every_target_and_table_in_markdown(results):
    subprocess.run(
        [sys.executable, str(BENCH / "run_all.py"), "--summary-only", "--results", str(results)],
        check=True,
        capture_output=True,
        text=True,
    )
    summary = (results / "SUMMARY.md").read_text(encoding="utf-8")
    assert "QUICK MODE" in summary and "## Targets" in summary
    assert "## 2. Upsert" in summary and "## 3. Search latency" in summary
    assert summary.count("| PASS |") + summary.count("| MISS |") == 2  # the two search targets
