"""Past one laptop: recall, latency, build time and memory of Qdrant's own engine at 100k+ points.

No Qdrant server runs here, so the shard is measured with `qdrant-edge-py`, which embeds the
Rust engine a Qdrant server runs (segments, HNSW, quantization, payload indexes, the same query
types) in this process. Beside it: embedded `qdrant-client` (local mode, brute force in Python)
and numpy exact search, at the sizes they can do.

The vectors are shaped like real embeddings, not uniform noise. Recipe (`synthetic_library`):
- centres: the 758 video and clip vectors of data/sample_embeddings.parquet (384-d);
- spread: for each (intent, mood) label, the root-mean-square per-dimension deviation of its
  vectors from the label's mean, measured on the sample;
- a synthetic video follows one sample video (drawn at random): each of its points (the
  video-level one and the clips) lies between that sample point and a random sample point of
  the same label and scope (a weight drawn once per video, uniform in [0, 1]), normalised,
  plus Gaussian noise at the label's spread, normalised again; so a library has the sample's
  labels, clusters and clips per video, and fills each label's region instead of repeating
  758 points (copies alone made the top 10 trivially easy to find);
- 512-d (Marengo's size): the centres go through a fixed random orthonormal map 384 -> 512
  (QR of a Gaussian matrix, seed 512; it keeps every cosine between centres) and the noise is
  drawn in all 512 dimensions at spread * sqrt(384 / 512), so its total size is unchanged;
- queries: "clip" queries are fresh draws of the same recipe (another seed), never in the
  library (more like this); "text" queries are the sample's 41 text queries (vidrec's presets)
  through the same map, whose neighbours are flatter: the harder, more realistic test.

Recall@10 is measured against numpy's exact top 10 (cosine). Latency is one query at a time
from Python (p50/p95, ms). Memory per point is read from the files of the optimized segments
(vectors, quantized vectors, HNSW links, payload and its indexes) and from this process's RSS.
The machine is shared (2 cores, other jobs running): times are upper bounds; `--nice` lowers
this process's priority so that it disturbs the others less.

Usage: python bench/scale.py [--quick] [--points N] [--builds a,b] [--million] [--out FILE]
(make bench-scale). The 1M-point run: --points 1000000 --builds hnsw_m16_scalar.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_common import (  # noqa: E402
    RESULTS_DIR,
    Recorder,
    isolate,
    markdown_table,
    percentile,
    rss_mb,
)

TOP_K = 10
SAMPLE_DIMENSION = 384
MARENGO_DIMENSION = 512
KEYWORD_FIELDS = ("video_id", "intent", "mood", "scope")

#: Sizes per mode: library points, queries, points for embedded qdrant-client (brute force).
QUICK = {"points": 5_000, "queries": 60, "client_points": 2_000, "dimension_points": 5_000}
FULL = {"points": 100_000, "queries": 200, "client_points": 10_000, "dimension_points": 100_000}
MILLION = 1_000_000


# ----- the vectors -----------------------------------------------------------------------------


@dataclass
class Library:
    """Unit vectors (rows) with the payload vidrec stores, videos contiguous."""

    vectors: np.ndarray
    video_id: np.ndarray
    intent: np.ndarray
    mood: np.ndarray
    scope: np.ndarray
    video_starts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.vectors)

    def payload(self, row: int) -> dict[str, str]:
        return {
            "video_id": str(self.video_id[row]),
            "intent": str(self.intent[row]),
            "mood": str(self.mood[row]),
            "scope": str(self.scope[row]),
        }


def sample_centres() -> tuple[Any, np.ndarray, np.ndarray]:
    """The sample's video and clip rows, their unit vectors and each row's label spread."""
    from vidrec_standins.shipped import load_sample_embeddings

    frame = load_sample_embeddings()
    frame = frame[frame["kind"].isin(["video", "clip"])].reset_index(drop=True)
    vectors = np.stack(frame["vector"].to_numpy()).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    labels = (frame["intent"] + "/" + frame["mood"]).to_numpy()
    spread = np.zeros(len(frame), dtype=np.float32)
    for label in np.unique(labels):
        rows = labels == label
        deviation = vectors[rows] - vectors[rows].mean(axis=0)
        spread[rows] = float(np.sqrt(np.mean(deviation**2)))
    return frame, vectors, spread


def orthonormal_map(source: int, target: int, seed: int = 512) -> np.ndarray:
    """A fixed (target x source) matrix with orthonormal columns: keeps every cosine."""
    rng = np.random.default_rng(seed)
    matrix, _ = np.linalg.qr(rng.standard_normal((target, source)))
    return matrix.astype(np.float32)


def partner_rows(frame: Any, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each row, a random row of the same (intent, mood) label and scope."""
    keys = (frame["intent"] + "/" + frame["mood"] + "/" + frame["scope"]).to_numpy()
    partners = np.empty_like(rows)
    for key in np.unique(keys[rows]):
        wanted = np.flatnonzero(keys[rows] == key)
        partners[wanted] = rng.choice(np.flatnonzero(keys == key), size=len(wanted))
    return partners


def synthetic_library(count: int, dimension: int = MARENGO_DIMENSION, seed: int = 0) -> Library:
    """`count` points by the recipe in the module docstring (whole videos, then cut to count)."""
    frame, centres, spread = sample_centres()
    rng = np.random.default_rng(seed)
    rows_of = frame.groupby("video_id", sort=True).indices
    sample_videos = list(rows_of)
    per_video = np.mean([len(rows) for rows in rows_of.values()])
    picks = rng.integers(0, len(sample_videos), size=int(count / per_video * 1.2) + 2)
    rows = np.concatenate([rows_of[sample_videos[pick]] for pick in picks])[:count]
    video_index = np.concatenate(
        [[n] * len(rows_of[sample_videos[p]]) for n, p in enumerate(picks)]
    )[:count]
    weight = rng.uniform(0.0, 1.0, size=int(video_index[-1]) + 1).astype(np.float32)
    weight = weight[video_index][:, None]
    base = weight * centres[rows] + (1 - weight) * centres[partner_rows(frame, rows, rng)]
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    noise_scale = spread[rows][:, None]
    if dimension != SAMPLE_DIMENSION:
        base = base @ orthonormal_map(SAMPLE_DIMENSION, dimension).T
        noise_scale = noise_scale * np.float32(np.sqrt(SAMPLE_DIMENSION / dimension))
    vectors = base + rng.standard_normal((count, dimension), dtype=np.float32) * noise_scale
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    starts = np.flatnonzero(np.r_[True, video_index[1:] != video_index[:-1]])
    return Library(
        vectors=vectors.astype(np.float32),
        video_id=np.char.add("video-", video_index.astype(str)),
        intent=frame["intent"].to_numpy()[rows],
        mood=frame["mood"].to_numpy()[rows],
        scope=frame["scope"].to_numpy()[rows],
        video_starts=starts,
    )


def text_queries(dimension: int = MARENGO_DIMENSION) -> np.ndarray:
    """The sample's text queries (vidrec's presets, e.g. `intent:sci-fi`) as unit vectors."""
    from vidrec_standins.shipped import load_sample_embeddings

    frame = load_sample_embeddings()
    vectors = np.stack(frame[frame["kind"] == "query"]["vector"].to_numpy()).astype(np.float32)
    if dimension != SAMPLE_DIMENSION:
        vectors = vectors @ orthonormal_map(SAMPLE_DIMENSION, dimension).T
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


# ----- exact search (numpy) --------------------------------------------------------------------


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """Row indices of the exact top k by cosine (unit vectors: dot product), best first."""
    found = []
    for start in range(0, len(queries), 64):
        scores = queries[start : start + 64] @ vectors.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        found.append(np.take_along_axis(top, order, axis=1))
    return np.concatenate(found)


def recall(found: Sequence[Sequence[Any]], truth: Sequence[Sequence[Any]]) -> float:
    """Mean fraction of the true top k that a method returned."""
    hits = [len(set(a) & set(b)) / len(b) for a, b in zip(found, truth, strict=True) if len(b)]
    return float(np.mean(hits)) if hits else float("nan")


def latency(call: Callable[[int], Any], count: int) -> tuple[list[Any], dict[str, float]]:
    """Run `call(i)` for each query; its results and p50/p95 in ms."""
    results, times = [], []
    for index in range(count):
        started = time.perf_counter()
        results.append(call(index))
        times.append((time.perf_counter() - started) * 1000)
    return results, {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95)}


# ----- Qdrant's engine (qdrant-edge) -----------------------------------------------------------


@dataclass
class Build:
    name: str
    m: int = 16
    ef_construct: int = 100
    quantization: str = "none"  # none | scalar | binary
    threads: int = 0  # HNSW build threads (0: all cores; 1: the same graph on every run)


def quantization_config(kind: str) -> Any:
    import qdrant_edge as edge

    if kind == "scalar":
        return edge.ScalarQuantizationConfig(
            type=edge.ScalarType.Int8, quantile=0.99, always_ram=True
        )
    if kind == "binary":
        return edge.BinaryQuantizationConfig(always_ram=True)
    return None


def search_params(build: Build, ef: int, exact: bool = False) -> Any:
    """HNSW ef; quantized builds rescore with the original vectors (binary over-samples 3x)."""
    import qdrant_edge as edge

    quantized = None
    if build.quantization != "none":
        oversampling = 3.0 if build.quantization == "binary" else 1.5
        quantized = edge.QuantizationSearchParams(rescore=True, oversampling=oversampling)
    return edge.SearchParams(hnsw_ef=ef, exact=exact, quantization=quantized)


def create_shard(path: Path, build: Build, dimension: int) -> Any:
    import qdrant_edge as edge

    config = edge.EdgeConfig(
        vectors=edge.EdgeVectorParams(size=dimension, distance=edge.Distance.Cosine),
        # thresholds in KB: build and use HNSW even at the quick sizes (a server's default is
        # 10,000 KB, about 5,000 points of 512-d, below which it scans)
        hnsw_config=edge.HnswIndexConfig(
            m=build.m,
            ef_construct=build.ef_construct,
            full_scan_threshold=100,
            max_indexing_threads=build.threads,
        ),
        optimizers=edge.EdgeOptimizersConfig(indexing_threshold=100),
        quantization_config=quantization_config(build.quantization),
        wal_enabled=False,
    )
    return edge.EdgeShard.create(str(path), config)


def fill_shard(shard: Any, library: Library, batch: int = 2_000) -> None:
    """Upsert every point (id = row) and index the payload fields vidrec filters on."""
    import qdrant_edge as edge

    for field_name in KEYWORD_FIELDS:
        shard.update(
            edge.UpdateOperation.create_field_index(field_name, edge.PayloadSchemaType.Keyword)
        )
    for start in range(0, len(library), batch):
        stop = min(start + batch, len(library))
        vectors = library.vectors[start:stop].tolist()
        points = [
            edge.Point(id=row, vector=vectors[row - start], payload=library.payload(row))
            for row in range(start, stop)
        ]
        shard.update(edge.UpdateOperation.upsert_points(points))


def segment_bytes(path: Path) -> dict[str, int]:
    """Bytes on disk of the optimized segments, by component (no WAL, no empty append segment)."""
    parts = {"vectors": 0, "quantized": 0, "hnsw": 0, "payload": 0, "other": 0}
    for segment in (path / "segments").iterdir():
        if not (segment / "vector_index").exists():
            continue
        for file in segment.rglob("*"):
            if not file.is_file():
                continue
            size, text = file.stat().st_size, str(file.relative_to(segment))
            if "quantized" in text:
                parts["quantized"] += size
            elif text.startswith("vector_storage"):
                parts["vectors"] += size
            elif text.startswith("vector_index"):
                parts["hnsw"] += size
            elif text.startswith("payload"):
                parts["payload"] += size
            else:
                parts["other"] += size
    return parts


def measure_build(build: Build, library: Library, workdir: Path) -> tuple[Any, dict[str, Any]]:
    """Create, fill and optimize one shard: (shard, timings and bytes per point)."""
    path = workdir / build.name
    shutil.rmtree(path, ignore_errors=True)
    rss_before = rss_mb()
    shard = create_shard(path, build, library.vectors.shape[1])
    started = time.perf_counter()
    fill_shard(shard, library)
    upserted = time.perf_counter()
    shard.optimize()
    optimized = time.perf_counter()
    info = shard.info()
    bytes_by_part = segment_bytes(path)
    count = len(library)
    return shard, {
        "points": count,
        "indexed": info.indexed_vectors_count,
        "upsert_s": upserted - started,
        "index_s": optimized - upserted,
        "build_s": optimized - started,
        "bytes_per_point": {part: size / count for part, size in bytes_by_part.items()},
        "disk_bytes_per_point": sum(bytes_by_part.values()) / count,
        "rss_bytes_per_point": (rss_mb() - rss_before) * 1024 * 1024 / count,
    }


def nearest(
    shard: Any, vector: np.ndarray, params: Any, limit: int = TOP_K, flt: Any = None
) -> Any:
    import qdrant_edge as edge

    request = edge.QueryRequest(
        limit=limit,
        query=edge.Query.Nearest(vector.tolist()),
        filter=flt,
        params=params,
        with_payload=flt is not None or limit > TOP_K,
    )
    return shard.query(request)


def measure_search(
    shard: Any, build: Build, queries: np.ndarray, truth: np.ndarray, ef: int
) -> dict:
    params = search_params(build, ef)
    found, stats = latency(
        lambda i: [p.id for p in nearest(shard, queries[i], params)], len(queries)
    )
    return {"recall": recall(found, truth.tolist()), **stats}


# ----- vidrec's own queries --------------------------------------------------------------------


def label_filter(intent: str, mood: str) -> Any:
    import qdrant_edge as edge

    return edge.Filter(
        must=[
            edge.FieldCondition(key="intent", match=edge.MatchValue(intent)),
            edge.FieldCondition(key="mood", match=edge.MatchValue(mood)),
        ]
    )


def filtered_search(shard: Any, build: Build, library: Library, queries: Library, ef: int) -> dict:
    """Top 10 among the points of the query's own intent and mood (payload-indexed filter)."""
    truth = []
    for row in range(len(queries)):
        mask = np.flatnonzero(
            (library.intent == queries.intent[row]) & (library.mood == queries.mood[row])
        )
        truth.append(
            mask[exact_top_k(library.vectors[mask], queries.vectors[row : row + 1])[0]].tolist()
        )
    params = search_params(build, ef)

    def call(i: int) -> list[int]:
        flt = label_filter(str(queries.intent[i]), str(queries.mood[i]))
        return [p.id for p in nearest(shard, queries.vectors[i], params, flt=flt)]

    found, stats = latency(call, len(queries))
    return {"recall": recall(found, truth), **stats}


def best_videos(scores: np.ndarray, library: Library, k: int = TOP_K) -> list[str]:
    """The exact top k videos by their best point's score."""
    best = np.maximum.reduceat(scores, library.video_starts)
    top = np.argsort(-best)[:k]
    return [str(library.video_id[library.video_starts[index]]) for index in top]


def grouped_search(
    shard: Any, build: Build, library: Library, queries: np.ndarray, ef: int
) -> dict:
    """vidrec's over-fetch (top_k x FETCH_FACTOR points) grouped per video: recall of videos."""
    from vidrec_helpers.search import FETCH_FACTOR

    truth = [best_videos(library.vectors @ query, library) for query in queries]
    params = search_params(build, ef)

    def call(i: int) -> list[str]:
        points = nearest(shard, queries[i], params, limit=TOP_K * FETCH_FACTOR)
        videos = dict.fromkeys(str(point.payload["video_id"]) for point in points)
        return list(videos)[:TOP_K]

    found, stats = latency(call, len(queries))
    return {"recall": recall(found, truth), "fetch": TOP_K * FETCH_FACTOR, **stats}


def recommend_search(
    shard: Any, build: Build, library: Library, queries: np.ndarray, ef: int
) -> dict:
    """A RecommendQuery (best score) of two positives: each query and the next one."""
    import qdrant_edge as edge

    pairs = [(queries[i], queries[(i + 1) % len(queries)]) for i in range(len(queries))]
    truth = []
    for first, second in pairs:
        scores = np.maximum(library.vectors @ first, library.vectors @ second)
        truth.append(np.argsort(-scores)[:TOP_K].tolist())
    params = search_params(build, ef)

    def call(i: int) -> list[int]:
        recommend = edge.RecommendQuery(positives=[v.tolist() for v in pairs[i]], negatives=[])
        request = edge.QueryRequest(
            limit=TOP_K, query=edge.Query.RecommendBestScore(recommend), params=params
        )
        return [p.id for p in shard.query(request)]

    found, stats = latency(call, len(queries))
    return {"recall": recall(found, truth), **stats}


# ----- the baselines ---------------------------------------------------------------------------


def numpy_search(library: Library, queries: np.ndarray, truth: np.ndarray) -> dict:
    """Exact search by one matrix product per query: the floor for brute force."""

    def call(i: int) -> list[int]:
        scores = library.vectors @ queries[i]
        top = np.argpartition(-scores, TOP_K - 1)[:TOP_K]
        return top[np.argsort(-scores[top])].tolist()

    found, stats = latency(call, len(queries))
    return {"points": len(library), "recall": recall(found, truth.tolist()), **stats}


def client_search(library: Library, queries: np.ndarray, count: int) -> dict:
    """Embedded qdrant-client (local mode: brute force in Python) on the first `count` points."""
    from qdrant_client import QdrantClient, models

    client = QdrantClient(location=":memory:")
    dimension = library.vectors.shape[1]
    client.create_collection(
        "scale", vectors_config=models.VectorParams(size=dimension, distance=models.Distance.COSINE)
    )
    started = time.perf_counter()
    for start in range(0, count, 1_000):
        rows = range(start, min(start + 1_000, count))
        vectors = library.vectors[start : rows.stop].tolist()
        points = [
            models.PointStruct(id=row, vector=vectors[row - start], payload=library.payload(row))
            for row in rows
        ]
        client.upsert("scale", points=points, wait=True)
    build = time.perf_counter() - started
    truth = exact_top_k(library.vectors[:count], queries)

    def call(i: int) -> list[int]:
        points = client.query_points("scale", query=queries[i].tolist(), limit=TOP_K).points
        return [point.id for point in points]

    found, stats = latency(call, len(queries))
    client.close()
    return {"points": count, "recall": recall(found, truth.tolist()), "build_s": build, **stats}


# ----- the run ---------------------------------------------------------------------------------

GRID = (
    Build("hnsw_m16"),
    Build("hnsw_m32", m=32),
    Build("hnsw_m16_scalar", quantization="scalar"),
    Build("hnsw_m16_binary", quantization="binary"),
)
EFS = (64, 128)
#: The configuration the plan recommends for a server (see vidrec_helpers.server_settings).
RECOMMENDED = "hnsw_m16_scalar"


def run_grid(
    library: Library,
    queries: Library,
    workdir: Path,
    builds: Sequence[Build],
    texts: np.ndarray | None = None,
) -> dict:
    """Every build, each searched at every ef, plus vidrec's queries on the recommended one.

    `queries` are clip-like points (more like this); `texts` text queries (vidrec's search),
    whose neighbours are farther and less clustered: the harder test.
    """
    texts = text_queries(library.vectors.shape[1]) if texts is None else texts
    truth = exact_top_k(library.vectors, queries.vectors)
    text_truth = exact_top_k(library.vectors, texts)
    results: dict[str, Any] = {}
    for build in builds:
        shard, measured = measure_build(build, library, workdir)
        measured["search"] = {
            str(ef): {
                **measure_search(shard, build, queries.vectors, truth, ef),
                "text": measure_search(shard, build, texts, text_truth, ef),
            }
            for ef in EFS
        }
        exact = search_params(build, EFS[0], exact=True)
        found, stats = latency(
            lambda i, s=shard, p=exact: [x.id for x in nearest(s, queries.vectors[i], p)],
            len(queries),
        )
        measured["exact"] = {"recall": recall(found, truth.tolist()), **stats}
        if build.name == RECOMMENDED:
            ef = EFS[-1]
            measured["vidrec_queries"] = {
                "ef": ef,
                "filtered": filtered_search(shard, build, library, queries, ef),
                "grouped": grouped_search(shard, build, library, texts, ef),
                "recommend": recommend_search(shard, build, library, queries.vectors, ef),
            }
        shard.close()
        shutil.rmtree(workdir / build.name, ignore_errors=True)
        results[build.name] = measured
        print(f"  {build.name}: built in {measured['build_s']:.1f} s", flush=True)
    return results


def index_bytes(measured: dict) -> float:
    """Bytes per point of the vectors, quantized vectors and HNSW links (payload pages are
    allocated in large blocks, so they say little at small sizes)."""
    parts = measured["bytes_per_point"]
    return parts["vectors"] + parts["quantized"] + parts["hnsw"]


def grid_rows(grid: dict, points: int, dimension: int) -> list[list[Any]]:
    rows = []
    for name, measured in grid.items():
        for ef, search in measured["search"].items():
            rows.append(
                [
                    points,
                    dimension,
                    name,
                    int(ef),
                    round(search["recall"], 3),
                    round(search["text"]["recall"], 3),
                    round(search["p50_ms"], 2),
                    round(search["p95_ms"], 2),
                    round(measured["build_s"], 1),
                    round(index_bytes(measured)),
                ]
            )
    return rows


def run_size(
    label: str,
    count: int,
    dimension: int,
    queries_count: int,
    builds: Sequence[Build],
    workdir: Path,
) -> dict:
    print(f"{label}: {count:,} points of {dimension}-d", flush=True)
    library = synthetic_library(count, dimension, seed=1)
    queries = synthetic_library(queries_count, dimension, seed=2)
    grid = run_grid(library, queries, workdir, builds)
    truth = exact_top_k(library.vectors, queries.vectors)
    return {
        "points": count,
        "dimension": dimension,
        "grid": grid,
        "numpy": numpy_search(library, queries.vectors, truth),
        "library": library,
        "queries": queries,
    }


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (CI): checks, not a measure"
    )
    parser.add_argument(
        "--points", type=int, default=None, help="library size (overrides the mode)"
    )
    parser.add_argument(
        "--million", action="store_true", help="also 1,000,000 points (recommended build only)"
    )
    parser.add_argument(
        "--builds",
        default=",".join(build.name for build in GRID),
        help=f"comma-separated builds to measure (default: all; {RECOMMENDED} gives vidrec's queries)",
    )
    parser.add_argument(
        "--efs", default="64,128", help="search beams to measure, e.g. 64,128,256,512"
    )
    parser.add_argument("--nice", type=int, default=0, help="lower this process's priority by N")
    parser.add_argument("--out", type=Path, default=None, help="result file (JSON)")
    args = parser.parse_args()
    if args.out is None:
        args.out = RESULTS_DIR / ("scale_quick.json" if args.quick else "scale.json")
    return args


def main() -> None:
    global EFS  # the grid's search beams, for every function of this run
    args = parse()
    EFS = tuple(int(ef) for ef in args.efs.split(","))
    isolate()
    if args.nice:
        os.nice(args.nice)
    sizes = dict(QUICK if args.quick else FULL)
    if args.points:
        sizes["points"] = args.points
        sizes["dimension_points"] = min(args.points, sizes["dimension_points"])
        sizes["client_points"] = min(sizes["client_points"], args.points)
    recorder = Recorder("scale", "Qdrant's engine at scale (qdrant-edge)", args)
    recorder.result["machine"]["packages"].update(edge_versions())
    recorder.params(
        top_k=TOP_K,
        efs=list(EFS),
        recommended=RECOMMENDED,
        **sizes,
        builds=[vars(build) for build in GRID if build.name in args.builds.split(",")],
        million=args.million,
    )
    workdir = Path(tempfile.mkdtemp(prefix="vidrec-scale-"))
    try:
        runs = measure_all(args, sizes, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    record(recorder, runs, args)
    out = recorder.write()
    out.with_suffix(".md").write_text(report_markdown(recorder.result), encoding="utf-8")


def measure_all(args: argparse.Namespace, sizes: dict, workdir: Path) -> dict[str, dict]:
    """The 512-d grid, the 384-d recommended build, the baselines and (optionally) 1M points."""
    recommended = [b for b in GRID if b.name == RECOMMENDED]
    builds = [b for b in GRID if b.name in args.builds.split(",")]
    if not builds:
        raise SystemExit(f"--builds: none of {args.builds!r} is one of {[b.name for b in GRID]}")
    runs = {
        "512": run_size(
            "grid", sizes["points"], MARENGO_DIMENSION, sizes["queries"], builds, workdir
        )
    }
    main_run = runs["512"]
    main_run["client"] = client_search(
        main_run["library"], main_run["queries"].vectors, sizes["client_points"]
    )
    runs["384"] = run_size(
        "sample dimension",
        sizes["dimension_points"],
        SAMPLE_DIMENSION,
        sizes["queries"],
        recommended,
        workdir,
    )
    if args.million:
        runs["512_million"] = run_size(
            "million", MILLION, MARENGO_DIMENSION, sizes["queries"], recommended, workdir
        )
    for run in runs.values():
        run.pop("library"), run.pop("queries")
    return runs


def record(recorder: Recorder, runs: dict[str, dict], args: argparse.Namespace) -> None:
    """Metrics (everything measured), one table per kind of result, notes on method."""
    recorder.metrics(runs=runs)
    columns = [
        "points",
        "dim",
        "build",
        "ef",
        "recall@10 clip",
        "recall@10 text",
        "p50 ms",
        "p95 ms",
        "build s",
        "vectors+index B/point",
    ]
    rows = [
        row
        for run in runs.values()
        for row in grid_rows(run["grid"], run["points"], run["dimension"])
    ]
    recorder.table("HNSW and quantization grid (qdrant-edge)", columns, rows)
    main_run = runs["512"]
    base = [
        [
            "numpy exact",
            main_run["numpy"]["points"],
            main_run["numpy"]["recall"],
            main_run["numpy"]["p50_ms"],
            main_run["numpy"]["p95_ms"],
        ],
        [
            "qdrant-client embedded",
            main_run["client"]["points"],
            main_run["client"]["recall"],
            main_run["client"]["p50_ms"],
            main_run["client"]["p95_ms"],
        ],
    ]
    for name, measured in main_run["grid"].items():
        base.append(
            [
                f"qdrant-edge {name} exact=True",
                main_run["points"],
                measured["exact"]["recall"],
                measured["exact"]["p50_ms"],
                measured["exact"]["p95_ms"],
            ]
        )
    recorder.table(
        "Exact search and the embedded client (512-d)",
        ["method", "points", "recall@10", "p50 ms", "p95 ms"],
        [[c if not isinstance(c, float) else round(c, 3) for c in row] for row in base],
    )
    queries = main_run["grid"].get(RECOMMENDED, {}).get("vidrec_queries")
    if queries:
        recorder.table(
            f"vidrec's queries on {RECOMMENDED}, ef {queries['ef']} (512-d)",
            ["query", "recall@10", "p50 ms", "p95 ms"],
            [
                [name, round(q["recall"], 3), round(q["p50_ms"], 2), round(q["p95_ms"], 2)]
                for name, q in queries.items()
                if name != "ef"
            ],
        )
    recorder.note(
        "Vectors: each point between a sample point and another of its label and scope, plus Gaussian noise at the label's measured spread; 512-d through a fixed random orthonormal map (see bench/scale.py)."
    )
    recorder.note(
        "Shared machine: 2 cores with other jobs running; build and latency are upper bounds. Latency: one query at a time from Python."
    )
    recorder.note(
        "Queries: clip = 200 held-out points of the same recipe (more like this); text = the sample's 41 text queries (vidrec's presets) through the same map. Latency columns are the clip queries'. Grouped (text queries): recall of the top 10 videos (by best point) from vidrec's over-fetch; recommend: best-score of two positives."
    )
    if not args.million:
        recorder.note(
            "1,000,000 points not run in this result (use --million); see the notebook's extrapolation."
        )


def edge_versions() -> dict[str, str | None]:
    from importlib import metadata

    return {
        "qdrant-edge-py": metadata.version("qdrant-edge-py"),
        "qdrant-client": metadata.version("qdrant-client"),
    }


def report_markdown(result: dict) -> str:
    """The tables of one result as markdown, with the machine they were measured on."""
    info = result["machine"]
    lines = [
        f"# {result['title']}",
        "",
        f"Measured {result['started']} on {info['cpus']} CPUs ({info['cpu_model']}), {info['memory_gb']} GB RAM, "
        f"Python {info['python']}, qdrant-edge-py {info['packages'].get('qdrant-edge-py')}, "
        f"qdrant-client {info['packages'].get('qdrant-client')}; load average {result.get('load_before')} "
        f"before, {result.get('load_after')} after; {result.get('seconds')} s in all.",
        "",
    ]
    for item in result["tables"]:
        lines += [f"**{item['title']}**", "", markdown_table(item["columns"], item["rows"]), ""]
    lines += [f"- {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
