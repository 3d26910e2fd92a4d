"""Notebook 07, exercise 1: the RAM a library needs, from measured bytes per point."""

from __future__ import annotations

import math


def ram_gb(clips: int, bytes_per_point: float, replicas: int = 2, overhead: float = 1.5) -> float:
    """RAM over all replicas in GB: points x bytes a point, plus Qdrant's suggested 50 % overhead."""
    return clips * bytes_per_point * overhead * replicas / 1e9


def shards_for(clips: int, points_per_shard: int = 20_000_000) -> int:
    """How many shards keep each one at or under `points_per_shard` points (at least one)."""
    return max(1, math.ceil(clips / points_per_shard))
