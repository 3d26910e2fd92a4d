"""bench/scale.py runs (quick mode, a tiny library) and writes results of the agreed shape.

No timing is asserted: only that the script works, that its recall numbers are fractions, and
that the exact methods (numpy, the engine's exact=True, embedded qdrant-client) find the true
top 10, which the approximate builds are measured against.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
TOP_LEVEL = {"name", "title", "quick", "machine", "params", "metrics", "tables", "notes"}

pytest.importorskip(
    "qdrant_edge", reason="qdrant-edge-py is in the dev extra: pip install -e .[dev]"
)


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("scale") / "scale.json"
    subprocess.run(
        [sys.executable, str(BENCH / "scale.py"), "--quick", "--points", "1500", "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    loaded = json.loads(out.read_text(encoding="utf-8"))
    loaded["markdown"] = out.with_suffix(".md").read_text(encoding="utf-8")
    return loaded


def searches(result: dict):
    """Every (build, ef, measurement) of every size."""
    for run in result["metrics"]["runs"].values():
        for name, build in run["grid"].items():
            for ef, search in build["search"].items():
                yield name, ef, search


def test_result_has_the_agreed_shape_and_the_machine(result):
    assert TOP_LEVEL <= set(result)
    assert result["name"] == "scale" and result["quick"] is True
    machine = result["machine"]
    assert machine["cpus"] and machine["cpu_model"] and machine["memory_gb"]
    assert machine["packages"]["qdrant-edge-py"]
    for table in result["tables"]:
        assert table["rows"] and all(len(row) == len(table["columns"]) for row in table["rows"])
    assert "| points | dim | build |" in result["markdown"]


def test_grid_covers_hnsw_and_quantization_choices(result):
    grid = result["metrics"]["runs"]["512"]["grid"]
    assert set(grid) == {"hnsw_m16", "hnsw_m32", "hnsw_m16_scalar", "hnsw_m16_binary"}
    assert all(set(build["search"]) == {"64", "128"} for build in grid.values())
    assert all("text" in search for _, _, search in searches(result))  # vidrec's text queries
    assert result["metrics"]["runs"]["384"]["dimension"] == 384
    for build in grid.values():
        assert build["indexed"] == build["points"] == 1500  # HNSW built over every point
        assert build["bytes_per_point"]["vectors"] >= 512 * 4  # float32 originals are kept
    scalar = grid["hnsw_m16_scalar"]["bytes_per_point"]["quantized"]
    binary = grid["hnsw_m16_binary"]["bytes_per_point"]["quantized"]
    assert 512 <= scalar < 2 * 512 and 512 / 8 <= binary < scalar


def test_recall_values_are_fractions(result):
    values = [search["recall"] for _, _, search in searches(result)]
    values += [search["text"]["recall"] for _, _, search in searches(result)]
    queries = result["metrics"]["runs"]["512"]["grid"]["hnsw_m16_scalar"]["vidrec_queries"]
    values += [queries[name]["recall"] for name in ("filtered", "grouped", "recommend")]
    assert values and all(0.0 <= value <= 1.0 for value in values)
    assert all(search["p95_ms"] >= search["p50_ms"] > 0 for _, _, search in searches(result))


def test_exact_search_finds_the_true_top_10(result):
    run = result["metrics"]["runs"]["512"]
    assert run["numpy"]["recall"] == 1.0
    assert run["client"]["recall"] == 1.0
    assert all(build["exact"]["recall"] == 1.0 for build in run["grid"].values())


def test_synthetic_library_keeps_the_samples_labels_and_videos():
    sys.path.insert(0, str(BENCH))
    import scale

    library = scale.synthetic_library(600, dimension=512, seed=3)
    assert library.vectors.shape == (600, 512)
    assert np.allclose(np.linalg.norm(library.vectors, axis=1), 1.0, atol=1e-5)
    starts = library.video_starts
    assert starts[0] == 0 and np.all(np.diff(starts) > 0)
    for first, second in zip(starts, list(starts[1:]) + [len(library)], strict=True):
        assert len(set(library.video_id[first:second])) == 1  # a video's points are contiguous
        assert len(set(library.intent[first:second])) == 1
    # points of one label sit closer together than points of different labels
    same = library.intent == library.intent[0]
    inside = float(np.mean(library.vectors[same] @ library.vectors[0]))
    outside = float(np.mean(library.vectors[~same] @ library.vectors[0]))
    assert inside > outside
