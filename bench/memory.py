"""Memory: peak resident memory of ingesting the sample catalog, and of 50k points in embedded Qdrant.

Each measurement runs in a fresh interpreter and reads its own peak RSS (`ru_maxrss`), next to
the RSS right after the imports, so the table shows what the work itself added.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_common import ROOT, Recorder, arguments, isolate

isolate()

CATALOG = """
import json, sys
sys.path.insert(0, {bench!r})
from bench_common import peak_rss_mb, rss_mb
from qdrant_client import QdrantClient
from vidrec_helpers.config import Settings
from vidrec_helpers.pipeline import ingest
from vidrec_standins.offline_embedder import SampleEmbedder
import pandas, boto3  # what ingest needs, so the baseline holds every import
baseline = rss_mb()
settings = Settings(qdrant_path=":memory:", forced_mode="offline", cache_dir={cache!r})
report = ingest(settings=settings, client=QdrantClient(location=":memory:"), progress=False)
assert not report.failed, report.failed
print(json.dumps({{"baseline_mb": baseline, "after_mb": rss_mb(), "peak_mb": peak_rss_mb(),
                  "videos": report.videos, "points": report.points_in_collection}}))
"""

POINTS = """
import json, sys, warnings
sys.path.insert(0, {bench!r})
warnings.filterwarnings("ignore", message="Local mode is not recommended")
from bench_common import peak_rss_mb, rss_mb
import numpy
from qdrant_client import QdrantClient
import vidrec_helpers.index
from search_latency import build
baseline = rss_mb()
client, vectors = build({count})
del vectors
print(json.dumps({{"baseline_mb": baseline, "after_mb": rss_mb(), "peak_mb": peak_rss_mb(),
                  "points": client.count("bench", exact=True).count}}))
"""


def run(code: str) -> dict[str, Any]:
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if output.returncode:
        raise RuntimeError(f"the child failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    args = arguments("memory", __doc__.splitlines()[0])
    recorder = Recorder("memory", "5. Memory (peak RSS)", args)
    count = 2_000 if args.quick else 50_000
    bench = str(Path(__file__).resolve().parent)
    recorder.params(points=count, dimension=512)
    with tempfile.TemporaryDirectory(prefix="vidrec-bench-cache-") as cache:
        catalog = run(CATALOG.format(bench=bench, cache=cache))
    points = run(POINTS.format(bench=bench, count=count))
    vectors_mb = count * 512 * 4 / 1024**2
    rows = [
        [
            f"offline ingest of the sample catalog ({catalog['videos']} videos, {catalog['points']} points, 384-d)",
            round(catalog["baseline_mb"]),
            round(catalog["peak_mb"]),
            round(catalog["peak_mb"] - catalog["baseline_mb"]),
        ],
        [
            f"{points['points']:,} points, 512-d, embedded Qdrant in memory",
            round(points["baseline_mb"]),
            round(points["peak_mb"]),
            round(points["peak_mb"] - points["baseline_mb"]),
        ],
    ]
    recorder.table(
        "Peak resident memory (MB)",
        ["workload", "after imports", "peak", "added by the work"],
        rows,
    )
    recorder.metrics(catalog=catalog, points=points, raw_vectors_mb=vectors_mb)
    recorder.note(
        f"The raw float32 vectors of {count:,} 512-d points are {vectors_mb:.0f} MB; embedded "
        "Qdrant keeps them in a numpy array plus every payload as Python dicts, and grows its "
        "arrays by doubling, so the peak is a few times the raw size."
    )
    recorder.write()


if __name__ == "__main__":
    main()
