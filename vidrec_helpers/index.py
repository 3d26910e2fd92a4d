"""Qdrant: connect (embedded or server, same code), guard the collection, upsert idempotently."""

from __future__ import annotations

import atexit
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from qdrant_client import QdrantClient, models

from . import server_settings
from .config import Settings, VidrecError, get_settings, resolve_path
from .records import Segment, VideoEmbedding, VideoSource

#: Namespace for deterministic point ids (UUIDv5 of content hash + scope + offsets).
POINT_NAMESPACE = uuid.UUID("6f1c3a52-8a4e-5d7b-9c1e-2b7d4f0a9e31")

#: Fields a search can filter on; payload indexes are created for them on a server.
KEYWORD_FIELDS = ("video_id", "intent", "mood", "scope", "model")
FLOAT_FIELDS = ("duration", "start_sec")

_clients: dict[str, QdrantClient] = {}


def connect(settings: Settings | None = None) -> QdrantClient:
    """A Qdrant client: a server when QDRANT_URL is set, else embedded (memory or on disk).

    One embedded on-disk store can be opened by one process at a time, so clients are shared
    within the process.
    """
    settings = settings or get_settings()
    if settings.qdrant_url:
        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return QdrantClient(url=settings.qdrant_url, api_key=api_key)
    if settings.qdrant_path == ":memory:":
        return QdrantClient(location=":memory:")
    path = str(resolve_path(settings.qdrant_path))
    if not _clients:
        atexit.register(close_all)
    if path not in _clients:
        try:
            _clients[path] = QdrantClient(path=path)
        except (RuntimeError, BlockingIOError) as error:
            if "already accessed" in str(error) or isinstance(error, BlockingIOError):
                raise VidrecError(
                    f"the embedded Qdrant store at {settings.qdrant_path} is open in another process "
                    "(a notebook kernel, `vidrec serve` or `vidrec app`): stop that process, or set "
                    "QDRANT_PATH=:memory: for a private in-memory store"
                ) from None
            raise
    return _clients[path]


def close_all() -> None:
    """Close the shared embedded clients (releases the on-disk lock)."""
    for client in _clients.values():
        client.close()
    _clients.clear()


def is_embedded(client: QdrantClient) -> bool:
    """True for qdrant-client's local mode (no server: brute force, no payload indexes)."""
    return type(client._client).__name__ == "QdrantLocal"


def collection_name(model: str, dimension: int, prefix: str = "vidrec") -> str:
    """One collection per embedding space, e.g. `vidrec_marengo3_0_512`."""
    slug = re.sub(r"[^a-z0-9]+", "_", model.lower()).strip("_")
    return f"{prefix}_{slug}_{dimension}"


def ensure_collection(client: QdrantClient, name: str, model: str, dimension: int) -> bool:
    """Create the collection (cosine distance) if missing; refuse one of another model or size.

    Returns True when it was created.
    """
    if client.collection_exists(name):
        info = client.get_collection(name)
        params = info.config.params.vectors
        size = params.size if isinstance(params, models.VectorParams) else None
        stored_model = (info.config.metadata or {}).get("model")
        if size != dimension or (stored_model and stored_model != model):
            raise VidrecError(
                f"collection {name!r} holds {stored_model or 'unknown-model'} vectors of dimension "
                f"{size}; refusing to add {model} vectors of dimension {dimension}. Use "
                f"collection_name({model!r}, {dimension}) for a separate collection, or delete {name!r}"
            )
        return False
    vectors = models.VectorParams(size=dimension, distance=models.Distance.COSINE)
    options = {"vectors_config": vectors}
    if not is_embedded(client):  # a server: HNSW, quantization, on-disk vectors (notebook 07)
        options = server_settings.collection_options(vectors)
    client.create_collection(name, metadata={"model": model, "dimension": dimension}, **options)
    if not is_embedded(client):
        for field in KEYWORD_FIELDS:
            client.create_payload_index(name, field, models.PayloadSchemaType.KEYWORD)
        for field in FLOAT_FIELDS:
            client.create_payload_index(name, field, models.PayloadSchemaType.FLOAT)
    return True


def point_id(content_hash: str, scope: str, start_sec: float, end_sec: float) -> str:
    """A deterministic point id: the same video segment always gets the same id."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"{content_hash}:{scope}:{start_sec:.3f}:{end_sec:.3f}"))


def payload_for(source: VideoSource, segment: Segment, model: str) -> dict:
    """Everything a result card needs, stored beside the vector."""
    return {
        "video_id": source.video_id,
        "title": source.title,
        "filename": source.filename,
        "url": source.url,
        "s3_key": source.s3_key,
        "intent": source.intent,
        "mood": source.mood,
        "scope": segment.scope,
        "start_sec": float(segment.start_sec),
        "end_sec": float(segment.end_sec),
        "duration": float(source.duration) if source.duration is not None else None,
        "model": model,
        "content_hash": source.content_hash,
    }


def points_for(source: VideoSource, embedding: VideoEmbedding) -> list[models.PointStruct]:
    """The Qdrant points of one video: one per segment (video-level and clips)."""
    return [
        models.PointStruct(
            id=point_id(embedding.content_hash, s.scope, s.start_sec, s.end_sec),
            vector=np.asarray(s.vector).tolist(),  # Python floats, ~10x faster than a loop
            payload=payload_for(source, s, embedding.model),
        )
        for s in embedding.segments
    ]


def _batches(points: Iterable[models.PointStruct], size: int) -> Iterator[list[models.PointStruct]]:
    batch: list[models.PointStruct] = []
    for point in points:
        batch.append(point)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class UpsertReport:
    points: int = 0
    batches: int = 0


def upsert_points(
    client: QdrantClient, name: str, points: Iterable[models.PointStruct], batch_size: int = 256
) -> UpsertReport:
    """Upsert in batches; deterministic ids make a re-run overwrite instead of duplicate."""
    report = UpsertReport()
    for batch in _batches(points, batch_size):
        client.upsert(name, points=batch, wait=True)
        report.points += len(batch)
        report.batches += 1
    return report


def count_points(client: QdrantClient, name: str, scope: str | None = None) -> int:
    """Exact number of points, optionally only of one scope (video or clip)."""
    if not client.collection_exists(name):
        return 0
    flt = None
    if scope:
        flt = models.Filter(
            must=[models.FieldCondition(key="scope", match=models.MatchValue(value=scope))]
        )
    return client.count(name, count_filter=flt, exact=True).count
