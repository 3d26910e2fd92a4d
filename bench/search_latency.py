"""Search latency at 1k, 10k and 50k points: vidrec's search vs raw query_points vs numpy (the floor).

Each size runs in its own child process (fresh memory). The collection is embedded Qdrant in
memory, 512-d vectors (Marengo's size) with vidrec's payload, one video-level point and four
clip points per video, the clips near their video (as real clips are). Every query goes through
every method, in rotating order, so machine noise hits them alike:

- numpy: the exact top-k by one matrix product and argpartition: the floor for brute force;
- raw: `client.query_points(limit=top_k, with_payload=True)`, what a hand-written call does;
- raw, vidrec's fetch: the same with vidrec's over-fetch (`top_k x FETCH_FACTOR` points);
- vidrec: `search.search(..., top_k=10)`: validation, model check, query, grouping per video,
  result records (the query vector comes from a stub embedder, so no model runs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from bench_common import (
    Recorder,
    arguments,
    isolate,
    median,
    peak_rss_mb,
    percentile,
    rss_mb,
    vidrec_points,
)

isolate()

#: One BLAS thread for numpy and Qdrant alike: on a busy 2-core machine a second BLAS thread
#: mostly waits for a core, which made the timings of small queries jump by 2-3x.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

TOP_K = 10
DIMENSION = 512
MODEL = "bench-512"
METHODS = ("numpy", "raw", "raw_fetch", "vidrec")
LABELS = {
    "numpy": "numpy brute force (floor)",
    "raw": "raw query_points, limit=top_k",
    "raw_fetch": "raw query_points, vidrec's fetch",
    "vidrec": "vidrec search.search",
}


def clustered_vectors(count: int, seed: int = 11) -> Any:
    """Unit vectors, five per video: the video's, then four clips near it."""
    import numpy as np

    rng = np.random.default_rng(seed)
    videos = rng.standard_normal(((count + 4) // 5, DIMENSION)).astype(np.float32)
    vectors = np.repeat(videos, 5, axis=0)[:count]
    vectors += 0.6 * rng.standard_normal(vectors.shape).astype(np.float32)
    vectors[::5] = videos[: len(vectors[::5])]
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class StubEmbedder:
    """Gives each query text a prepared vector (search then measures search, not a model)."""

    model = MODEL
    dimension = DIMENSION

    def __init__(self) -> None:
        self.vectors: dict[str, Any] = {}

    def embed_text(self, text: str) -> Any:
        return self.vectors[text]


def build(count: int) -> tuple[Any, Any]:
    """An embedded in-memory collection of `count` points, and its vector matrix."""
    from qdrant_client import QdrantClient

    from vidrec_helpers.index import ensure_collection, upsert_points

    vectors = clustered_vectors(count)
    client = QdrantClient(location=":memory:")
    ensure_collection(client, "bench", MODEL, DIMENSION)

    upsert_points(client, "bench", vidrec_points(vectors, MODEL))
    return client, vectors


def child(count: int, queries: int) -> dict[str, Any]:
    """Build one size, time every method on the same queries; return latencies (ms) and memory."""
    import numpy as np

    from vidrec_helpers.queries import QueryEncoder
    from vidrec_helpers.search import search

    warnings.filterwarnings("ignore", message="Local mode is not recommended")
    started = time.perf_counter()
    client, vectors = build(count)
    build_seconds = time.perf_counter() - started
    memory = {"rss_after_load_mb": rss_mb(), "peak_rss_mb": peak_rss_mb()}
    matrix = np.ascontiguousarray(vectors)
    rng = np.random.default_rng(count)
    embedder = StubEmbedder()
    encoder = QueryEncoder(embedder)

    def numpy_top(query: Any) -> Any:
        scores = matrix @ query
        top = np.argpartition(-scores, TOP_K)[:TOP_K]
        return top[np.argsort(-scores[top])]

    def run(method: str, number: int, query: Any) -> float:
        as_list = query.tolist()
        began = time.perf_counter()
        if method == "numpy":
            numpy_top(query)
        elif method == "raw":
            client.query_points("bench", query=as_list, limit=TOP_K, with_payload=True)
        elif method == "raw_fetch":
            client.query_points("bench", query=as_list, limit=TOP_K * 5, with_payload=True)
        else:
            search(client, "bench", encoder, text=f"query {number}", top_k=TOP_K)
        return (time.perf_counter() - began) * 1000

    latencies: dict[str, list[float]] = {method: [] for method in METHODS}
    warm_up = 3
    for number in range(queries + warm_up):
        base = matrix[rng.integers(len(matrix))]
        query = base + 0.5 * rng.standard_normal(DIMENSION).astype(np.float32)
        query = (query / np.linalg.norm(query)).astype(np.float32)
        embedder.vectors[f"query {number}"] = query
        order = METHODS[number % len(METHODS) :] + METHODS[: number % len(METHODS)]
        for method in order:
            elapsed = run(method, number, query)
            if number >= warm_up:
                latencies[method].append(elapsed)
    return {"count": count, "build_seconds": build_seconds, "latencies": latencies, **memory}


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    latencies = result["latencies"]
    stats = {
        method: {"p50": percentile(values, 50), "p95": percentile(values, 95)}
        for method, values in latencies.items()
    }
    paired = [v / r for v, r in zip(latencies["vidrec"], latencies["raw"], strict=True)]
    return {
        "count": result["count"],
        "stats": stats,
        "vidrec_overhead_p50": stats["vidrec"]["p50"] / stats["raw"]["p50"] - 1,
        "vidrec_overhead_paired_median": median(paired) - 1,
        "build_seconds": result["build_seconds"],
        "rss_after_load_mb": result["rss_after_load_mb"],
        "peak_rss_mb": result["peak_rss_mb"],
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(int(sys.argv[2]), int(sys.argv[3]))))
        return
    args = arguments("search", __doc__.splitlines()[0])
    recorder = Recorder("search", "3. Search latency (embedded Qdrant, in memory)", args)
    # More queries where they are cheap: small sizes are the noisiest.
    queries = {500: 5, 2_000: 5} if args.quick else {1_000: 150, 10_000: 50, 50_000: 16}
    sizes = list(queries)
    recorder.params(sizes=sizes, queries=queries, top_k=TOP_K, dimension=DIMENSION)
    summaries = []
    for count in sizes:
        output = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                str(count),
                str(queries[count]),
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, **ONE_THREAD},
        ).stdout
        summaries.append(summarise(json.loads(output.strip().splitlines()[-1])))
        print(f"{count} points: {summaries[-1]['stats']}", file=sys.stderr)
    report(recorder, summaries)
    recorder.write()


def report(recorder: Recorder, summaries: list[dict[str, Any]]) -> None:
    rows = []
    for summary in summaries:
        stats = summary["stats"]
        for method in METHODS:
            rows.append(
                [
                    f"{summary['count']:,}",
                    LABELS[method],
                    round(stats[method]["p50"], 2),
                    round(stats[method]["p95"], 2),
                    round(stats[method]["p50"] / stats["raw"]["p50"], 2),
                ]
            )
    recorder.table(
        "Latency per query (ms)", ["points", "method", "p50 ms", "p95 ms", "x raw p50"], rows
    )
    recorder.table(
        "vidrec's overhead over raw query_points",
        ["points", "p50 overhead", "median paired overhead", "build s", "RSS after load MB"],
        [
            [
                f"{s['count']:,}",
                f"{s['vidrec_overhead_p50']:+.1%}",
                f"{s['vidrec_overhead_paired_median']:+.1%}",
                round(s["build_seconds"], 1),
                round(s["rss_after_load_mb"]),
            ]
            for s in summaries
        ],
    )
    for summary in summaries:
        stats = summary["stats"]
        same_fetch = stats["vidrec"]["p50"] / stats["raw_fetch"]["p50"] - 1
        recorder.target(
            f"vidrec search over raw query_points, {summary['count']:,} points (p50)",
            summary["vidrec_overhead_p50"] * 100,
            10,
            "%",
            note=f"{same_fetch:+.0%} over raw query_points with the same fetch",
        )
    recorder.metrics(sizes={str(s["count"]): s for s in summaries})
    largest = summaries[-1]
    recorder.note(
        f"At {largest['count']:,} points embedded Qdrant answers in "
        f"{largest['stats']['raw']['p50']:.0f} ms (p50) / {largest['stats']['raw']['p95']:.0f} ms "
        f"(p95), {largest['stats']['raw']['p50'] / largest['stats']['numpy']['p50']:.0f}x the numpy "
        "floor: local mode is an exact brute-force scan in Python and numpy, linear in the number "
        "of points, and qdrant-client warns above 20,000 points."
    )
    recorder.note(
        "numpy and Qdrant run with one BLAS thread (OPENBLAS_NUM_THREADS=1): on a busy 2-core "
        "machine a second BLAS thread mostly waits for a core and makes small queries jumpy."
    )


if __name__ == "__main__":
    main()
