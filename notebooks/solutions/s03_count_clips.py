"""Notebook 03, exercise 1: how many clip-level points one video has."""

from __future__ import annotations

from qdrant_client import QdrantClient, models


def count_clips(client: QdrantClient, collection: str, video_id: str) -> int:
    """Exact count of the points with this `video_id` and `scope == "clip"`."""
    only_clips = models.Filter(
        must=[
            models.FieldCondition(key="video_id", match=models.MatchValue(value=video_id)),
            models.FieldCondition(key="scope", match=models.MatchValue(value="clip")),
        ]
    )
    return client.count(collection, count_filter=only_clips, exact=True).count
