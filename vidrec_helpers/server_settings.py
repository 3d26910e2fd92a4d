"""Collection settings for a Qdrant server or Qdrant Cloud: what notebook 07's plan recommends.

Embedded `qdrant-client` ignores them (it scans every point), so `index.ensure_collection`
applies them only when `QDRANT_URL` points at a server. The numbers behind each choice are in
bench/results/scale.json and scale_1m.json (`make bench-scale`), measured with Qdrant's own engine:
- HNSW m=16, ef_construct=100: recall@10 within a few points of m=32, built in half the time;
  a wide search beam (SEARCH_EF) keeps text queries' recall up at a million points;
- int8 scalar quantization kept in RAM, rescored with the original vectors: 4x less RAM for
  the vectors searched, recall unchanged in the benchmark (binary fell to 0.68 / 0.24);
- original vectors on disk from ON_DISK_FROM_POINTS on (only rescoring reads them), so RAM
  holds 1 byte a dimension instead of 4;
- payload indexes on the fields vidrec filters and groups on (`PAYLOAD_INDEXES`).
"""

from __future__ import annotations

import math
from typing import Any

from qdrant_client import models

#: HNSW graph: links per point and the beam used while building it (Qdrant's defaults, measured).
HNSW_M = 16
HNSW_EF_CONSTRUCT = 100
#: The beam a search uses (`SearchParams(hnsw_ef=...)`): text queries at 1M points needed 512
#: for recall@10 0.89 (0.56 at 128), at 0.7 ms a query.
SEARCH_EF = 512
#: int8 bounds cut at this quantile of the values, so rare outliers don't waste the 256 levels.
QUANTILE = 0.99
#: From this many expected points the original vectors live on disk (page cache) by default.
ON_DISK_FROM_POINTS = 1_000_000
#: Points per shard the plan sizes for: a shard of 512-d int8 vectors stays near 10 GB of RAM.
POINTS_PER_SHARD = 20_000_000
#: Payload indexes on the fields vidrec filters and groups on (server only: embedded scans).
PAYLOAD_INDEXES = {
    **dict.fromkeys(
        ("video_id", "intent", "mood", "scope", "model"), models.PayloadSchemaType.KEYWORD
    ),
    **dict.fromkeys(("duration", "start_sec"), models.PayloadSchemaType.FLOAT),
}


def vectors_on_disk(expected_points: int | None) -> bool:
    """Original vectors on disk for a large (or unknown-size) library, in RAM for a small one.

    Unknown size counts as large: on disk costs nothing while the page cache holds a small
    collection, and keeps a growing one from running the server out of memory.
    """
    return expected_points is None or expected_points >= ON_DISK_FROM_POINTS


def shard_number(expected_points: int | None) -> int | None:
    """Shards for a library of this size (None: the server's default, one per node in Cloud)."""
    if expected_points is None:
        return None
    if expected_points < 0:
        raise ValueError(f"expected_points must be 0 or more, got {expected_points}")
    return max(1, math.ceil(expected_points / POINTS_PER_SHARD))


def collection_options(
    vectors: models.VectorParams, expected_points: int | None = None
) -> dict[str, Any]:
    """Keyword arguments of `create_collection` for a server: vectors, HNSW, quantization."""
    options: dict[str, Any] = {
        "vectors_config": vectors.model_copy(update={"on_disk": vectors_on_disk(expected_points)}),
        "hnsw_config": models.HnswConfigDiff(m=HNSW_M, ef_construct=HNSW_EF_CONSTRUCT),
        # int8 kept in RAM; searches rescore with the original vectors (`search_params`)
        "quantization_config": models.ScalarQuantization(
            scalar=models.ScalarQuantizationConfig(
                type=models.ScalarType.INT8, quantile=QUANTILE, always_ram=True
            )
        ),
        "on_disk_payload": True,
    }
    shards = shard_number(expected_points)
    if shards is not None:
        options["shard_number"] = shards
    return options


def search_params() -> models.SearchParams:
    """Search-time settings matching the plan: beam SEARCH_EF, rescore quantized candidates."""
    return models.SearchParams(
        hnsw_ef=SEARCH_EF, quantization=models.QuantizationSearchParams(rescore=True)
    )
