"""Test helpers: an in-memory Qdrant collection filled from data/sample_embeddings.parquet.

Points are built with index.points_for, so their ids and payloads are the ones ingest writes.
"""

from __future__ import annotations

import numpy as np
from qdrant_client import QdrantClient

from vidrec_helpers.config import VidrecError
from vidrec_helpers.index import collection_name, ensure_collection, points_for, upsert_points
from vidrec_helpers.records import Segment, VideoEmbedding, VideoSource, text_sha256
from vidrec_helpers.samples import SAMPLE_DIMENSION, SAMPLE_MODEL
from vidrec_standins.shipped import load_sample_embeddings, preset_names

SAMPLE_COLLECTION = collection_name(SAMPLE_MODEL, SAMPLE_DIMENSION)


class PresetOnlyEmbedder:
    """The sample model without its weights: only preset texts can be encoded (via QueryEncoder)."""

    model = SAMPLE_MODEL
    dimension = SAMPLE_DIMENSION

    def embed_text(self, text: str) -> np.ndarray:
        raise VidrecError(
            f"free text needs the local model; offline queries are limited to {len(preset_names())} presets"
        )


class FixedEmbedder:
    """An embedder of another model that returns one fixed vector (for mismatch tests)."""

    def __init__(self, model: str, dimension: int) -> None:
        self.model = model
        self.dimension = dimension

    def embed_text(self, text: str) -> np.ndarray:
        vector = np.ones(self.dimension, dtype=np.float32)
        return vector / np.linalg.norm(vector)


def sample_points() -> list:
    """The Qdrant points of every sample video: its video-level vector and its clips."""
    frame = load_sample_embeddings()
    frame = frame[frame["kind"] != "query"]
    points = []
    for video_id, rows in frame.groupby("video_id", sort=True):
        first = rows.iloc[0]
        content_hash = text_sha256(str(rows.loc[rows["scope"] == "video", "text"].iloc[0]))
        source = VideoSource(
            video_id=str(video_id),
            content_hash=content_hash,
            title=str(first["title"]),
            filename=first["filename"] if isinstance(first["filename"], str) else "",
            url=None,
            intent=str(first["intent"]),
            mood=str(first["mood"]),
            duration=float(first["duration"]),
        )
        segments = [
            Segment(row.scope, float(row.start_sec), float(row.end_sec), row.vector)
            for row in rows.itertuples(index=False)
        ]
        embedding = VideoEmbedding(str(video_id), content_hash, SAMPLE_MODEL, segments)
        points.extend(points_for(source, embedding))
    return points


def fill_sample_collection(
    client: QdrantClient | None = None, name: str = SAMPLE_COLLECTION
) -> tuple[QdrantClient, str]:
    """A Qdrant client (in memory unless given) whose collection `name` holds the sample vectors."""
    client = client or QdrantClient(location=":memory:")
    ensure_collection(client, name, SAMPLE_MODEL, SAMPLE_DIMENSION)
    upsert_points(client, name, sample_points())
    return client, name


def sample_labels() -> dict[str, tuple[str, str]]:
    """video_id -> (intent, mood) of every sample video."""
    frame = load_sample_embeddings()
    videos = frame[frame["kind"] == "video"]
    return {row.video_id: (row.intent, row.mood) for row in videos.itertuples(index=False)}


def sample_segments() -> dict[str, np.ndarray]:
    """video_id -> every sample vector of that video (video-level and clips), one per row."""
    frame = load_sample_embeddings()
    frame = frame[frame["kind"] != "query"]
    return {
        str(video_id): np.stack(rows["vector"].to_list())
        for video_id, rows in frame.groupby("video_id", sort=True)
    }
