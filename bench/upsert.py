"""Upsert: 10,000 points batched (vidrec's `index.upsert_points`) vs one at a time, embedded Qdrant.

Embedded Qdrant has two stores: in memory (`QDRANT_PATH=:memory:`) and on disk (the default,
`.vidrec/qdrant`). Both are measured with the same 512-d points and vidrec's payload; on disk
with fewer points, as every point costs a SQLite commit there (see the notes).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

from bench_common import Recorder, arguments, isolate, median, timed, vidrec_points

isolate()

import numpy as np  # noqa: E402
from qdrant_client import QdrantClient, models  # noqa: E402

from vidrec_helpers.index import ensure_collection, upsert_points  # noqa: E402

DIMENSION = 512
MODEL = "bench-512"


def make_points(count: int, seed: int = 7) -> list[models.PointStruct]:
    """`count` points like vidrec's: unit vectors, a video-level point then 4 clips per video."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return list(vidrec_points(vectors, MODEL))


def fresh_client(store: str, folder: Path, label: str) -> QdrantClient:
    if store == "memory":
        client = QdrantClient(location=":memory:")
    else:
        client = QdrantClient(path=str(folder / label))
    ensure_collection(client, "bench", MODEL, DIMENSION)
    return client


def batched(client: QdrantClient, points: list[models.PointStruct]) -> None:
    upsert_points(client, "bench", points)


def one_at_a_time(client: QdrantClient, points: list[models.PointStruct]) -> None:
    for point in points:
        client.upsert("bench", points=[point], wait=True)


def run(store: str, points: list[models.PointStruct], repeats: int, folder: Path) -> dict[str, Any]:
    """Median seconds of each method, alternating methods so drift hits both alike."""
    seconds: dict[str, list[float]] = {"batched": [], "one_at_a_time": []}
    for number in range(repeats):
        for name, method in (("batched", batched), ("one_at_a_time", one_at_a_time)):
            client = fresh_client(store, folder, f"{name}-{number}")
            elapsed, _ = timed(lambda client=client, method=method: method(client, points))
            if client.count("bench", exact=True).count != len(points):
                raise RuntimeError(f"{name} upserted the wrong number of points")
            client.close()
            seconds[name].append(elapsed)
    return {name: median(values) for name, values in seconds.items()} | {"runs": seconds}


def main() -> None:
    args = arguments("upsert", __doc__.splitlines()[0])
    recorder = Recorder("upsert", "2. Upsert, batched vs one at a time (embedded)", args)
    memory_points = 300 if args.quick else 10_000
    disk_points = 100 if args.quick else 2_000
    repeats = 1 if args.quick else 2
    recorder.params(
        dimension=DIMENSION, memory_points=memory_points, disk_points=disk_points, batch_size=256
    )
    warnings.filterwarnings("ignore", message="Local mode is not recommended")
    results = {}
    with tempfile.TemporaryDirectory(prefix="vidrec-bench-") as folder:
        results["memory"] = run("memory", make_points(memory_points), repeats, Path(folder))
        results["disk"] = run("disk", make_points(disk_points), 1, Path(folder))
    rows = []
    for store, count in (("memory", memory_points), ("disk", disk_points)):
        result = results[store]
        speedup = result["one_at_a_time"] / result["batched"]
        rows.append(
            [
                f"embedded, {'in memory' if store == 'memory' else 'on disk'}",
                count,
                round(result["batched"], 2),
                round(count / result["batched"]),
                round(result["one_at_a_time"], 2),
                round(count / result["one_at_a_time"]),
                round(speedup, 2),
            ]
        )
        recorder.metrics(**{f"{store}_speedup": speedup})
    recorder.metrics(results=results)
    recorder.table(
        "Upsert time",
        [
            "store",
            "points",
            "batched s",
            "batched points/s",
            "one at a time s",
            "one at a time points/s",
            "batched speed-up",
        ],
        rows,
    )
    recorder.note(
        "Batched = `index.upsert_points` (256 points a request, wait=True); one at a time = "
        "`client.upsert(points=[point])` per point. Same PointStructs, fresh collection each run."
    )
    recorder.note(
        "On disk, qdrant-client's local mode commits SQLite once per point whatever the batch "
        "size, so batching cannot help there: the commit (an fsync) sets the pace. In memory, "
        "batching saves the per-call validation. Against a Qdrant server, each call is a network "
        "round trip, which is where batching matters most (not measurable here: no server)."
    )
    recorder.write()


if __name__ == "__main__":
    main()
