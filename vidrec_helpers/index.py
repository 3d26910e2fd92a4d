"""Qdrant: connect (embedded or server, same code), guard the collection, upsert idempotently."""

from __future__ import annotations

import atexit
import itertools
import re
import uuid
from collections.abc import Iterable
from pickle import UnpicklingError
from sqlite3 import DatabaseError
from typing import get_args

import numpy as np
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from . import server_settings
from .config import MarengoModel, Settings, VidrecError, get_settings, mask_url, resolve_path
from .records import VideoEmbedding, VideoSource

#: Namespace for deterministic point ids (UUIDv5 of content hash + scope + offsets).
POINT_NAMESPACE = uuid.UUID("6f1c3a52-8a4e-5d7b-9c1e-2b7d4f0a9e31")
#: One embedded on-disk store opens in one process at a time: its client is shared in-process.
_clients: dict[str, QdrantClient] = {}


def connect(settings: Settings | None = None) -> QdrantClient:
    """A Qdrant client: a server when QDRANT_URL is set, else embedded (memory or on disk)."""
    settings = settings or get_settings()
    if settings.qdrant_url:
        return connect_server(settings)
    if settings.qdrant_path == ":memory:":
        return QdrantClient(location=":memory:")
    path = str(resolve_path(settings.qdrant_path))
    if path not in _clients:
        _clients[path] = _open_store(path, settings.qdrant_path)
    return _clients[path]


def _open_store(path: str, shown: str) -> QdrantClient:
    """Open the embedded store at `path`; a locked or damaged store gets an error saying what to do."""
    try:
        return QdrantClient(path=path)
    except (RuntimeError, BlockingIOError) as error:
        if "already accessed" in str(error) or isinstance(error, BlockingIOError):
            raise VidrecError(
                f"the embedded Qdrant store at {shown} is open in another process "
                "(a notebook kernel, `vidrec serve` or `vidrec app`): stop that process, or set "
                "QDRANT_PATH=:memory: for a private in-memory store"
            ) from None
        raise
    except (ValueError, KeyError, TypeError, EOFError, DatabaseError, UnpicklingError) as error:
        # what qdrant-client raises on a damaged meta.json or storage.sqlite
        raise VidrecError(
            f"the embedded Qdrant store at {path} is damaged ({type(error).__name__}: "
            f"{str(error)[:120]}): move the folder aside (`mv {path} {path}.damaged`) or delete "
            "it, then re-run `vidrec ingest` (embeddings come from the cache: nothing is paid again)"
        ) from None


def connect_server(settings: Settings) -> QdrantClient:
    """A client of the Qdrant server at QDRANT_URL, checked reachable (one small request)."""
    api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
    client = QdrantClient(
        url=settings.qdrant_url,
        api_key=api_key,
        timeout=settings.qdrant_timeout,
        check_compatibility=False,  # the probe below replaces this check (only a warning)
    )
    url = mask_url(settings.qdrant_url or "")
    try:
        client.get_collections()
    except ResponseHandlingException as error:
        raise VidrecError(
            f"cannot reach the Qdrant server at {url} ({error.source}): is it running? Is "
            "QDRANT_URL right (raise QDRANT_TIMEOUT for a slow link)? Unset QDRANT_URL to use "
            "the embedded store instead"
        ) from None
    except UnexpectedResponse as error:
        if error.status_code in (401, 403):
            raise VidrecError(
                f"the Qdrant server at {url} refused the request ({error.status_code}): "
                "check QDRANT_API_KEY"
            ) from None
        raise
    return client


def close_all() -> None:
    """Close the shared embedded clients (releases the on-disk lock)."""
    for client in _clients.values():
        client.close()
    _clients.clear()


atexit.register(close_all)


def is_embedded(client: QdrantClient) -> bool:
    """True for qdrant-client's local mode (no server: brute force, no payload indexes)."""
    return type(client._client).__name__ == "QdrantLocal"


def collection_name(model: str, dimension: int, prefix: str = "vidrec") -> str:
    """One collection per embedding space, e.g. `vidrec_marengo3_0_512`."""
    slug = re.sub(r"[^a-z0-9]+", "_", model.lower()).strip("_")
    return f"{prefix}_{slug}_{dimension}"


def ensure_collection(client: QdrantClient, name: str, model: str, dimension: int) -> bool:
    """Create the collection (cosine) if missing and return True; refuse another model or size."""
    if client.collection_exists(name):
        check_collection(client, name, model, dimension)
        return False
    vectors = models.VectorParams(size=dimension, distance=models.Distance.COSINE)
    metadata = {"model": model, "dimension": dimension}
    if is_embedded(client):  # a brute-force scan: no HNSW, quantization or payload indexes
        client.create_collection(name, vectors_config=vectors, metadata=metadata)
        return True
    options = server_settings.collection_options(vectors)  # the plan of notebook 07
    client.create_collection(name, metadata=metadata, **options)
    for field, schema in server_settings.PAYLOAD_INDEXES.items():
        client.create_payload_index(name, field, schema)
    return True


def collection_model(client: QdrantClient, name: str) -> tuple[str | None, int | None, int]:
    """The model, vector size (None for named vectors) and point count of collection `name`.

    The model is read from the collection metadata; Qdrant servers before 1.16 drop it silently,
    so then from a point's payload, then from the name (`collection_name` encodes model and size).
    """
    info = client.get_collection(name)
    size = getattr(info.config.params.vectors, "size", None)
    points = info.points_count
    if points is None:
        points = client.count(name, exact=True).count
    found = (info.config.metadata or {}).get("model")
    if not found and points:
        records, _ = client.scroll(name, limit=1, with_payload=["model"], with_vectors=False)
        found = (records[0].payload or {}).get("model") if records else None
    if not found and size:  # Marengo models share a size: never mix them
        named = (m for m in get_args(MarengoModel) if name.endswith(collection_name(m, size, "")))
        found = next(named, None)
    return found, size, int(points)


def check_collection(client: QdrantClient, name: str, model: str, dimension: int) -> None:
    """Raise when collection `name` holds vectors of another model or size than `model`'s."""
    found, size, _ = collection_model(client, name)
    if size != dimension or (found and found != model):
        raise VidrecError(
            f"collection {name!r} holds {found or 'unknown-model'} vectors of dimension "
            f"{size}; refusing to add {model} vectors of dimension {dimension}. Use "
            f"collection_name({model!r}, {dimension}) for a separate collection, or delete {name!r}"
        )


def point_id(content_hash: str, scope: str, start_sec: float, end_sec: float) -> str:
    """A deterministic point id: the same video segment always gets the same id."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"{content_hash}:{scope}:{start_sec:.3f}:{end_sec:.3f}"))


def points_for(source: VideoSource, embedding: VideoEmbedding) -> list[models.PointStruct]:
    """The Qdrant points of one video: one per segment (video-level and clips).

    The payload holds everything a result card needs. A video without a known duration takes
    its video-level segment's end (0 to the end). The S3 key is stored, never a presigned URL:
    it expires, and with temporary credentials it carries a session token; URLs are signed when
    results are read (`Session.refresh_urls`).
    """
    whole = embedding.video_segment
    duration = source.duration
    if duration is None and whole is not None and whole.end_sec > 0:
        duration = whole.end_sec
    card = {
        "video_id": source.video_id,
        "title": source.title,
        "filename": source.filename,
        "url": source.url if source.url and "?" not in source.url else None,  # never a signed URL
        "s3_key": source.s3_key,
        "intent": source.intent,
        "mood": source.mood,
        "duration": float(duration) if duration is not None else None,
        "model": embedding.model,
        "content_hash": source.content_hash,
    }
    return [
        models.PointStruct(
            id=point_id(embedding.content_hash, s.scope, s.start_sec, s.end_sec),
            vector=np.asarray(s.vector).tolist(),  # plain Python floats, converted in one call
            payload=dict(
                card, scope=s.scope, start_sec=float(s.start_sec), end_sec=float(s.end_sec)
            ),
        )
        for s in embedding.segments
    ]


def upsert_points(
    client: QdrantClient, name: str, points: Iterable[models.PointStruct], batch_size: int = 256
) -> int:
    """Upsert in batches, each waited for; returns how many. A re-run overwrites the same ids.

    The points are pulled a batch at a time (a 512-d point as Python floats is ~16 KB).
    """
    points, sent = iter(points), 0
    while batch := list(itertools.islice(points, batch_size)):
        client.upsert(name, batch, wait=True)
        sent += len(batch)
    return sent


def count_points(client: QdrantClient, name: str, scope: str | None = None) -> int:
    """Exact number of points, optionally only of one scope (video or clip)."""
    if not client.collection_exists(name):
        return 0
    scoped = models.FieldCondition(key="scope", match=models.MatchValue(value=scope or ""))
    flt = models.Filter(must=[scoped]) if scope else None
    return client.count(name, count_filter=flt, exact=True).count
