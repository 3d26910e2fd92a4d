"""Qdrant: connect (embedded or server, same code), guard the collection, upsert idempotently."""

from __future__ import annotations

import atexit
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from pickle import UnpicklingError
from sqlite3 import DatabaseError

import numpy as np
from qdrant_client import QdrantClient, models

from . import server_settings
from .config import Settings, VidrecError, get_settings, mask_url, resolve_path
from .records import Segment, VideoEmbedding, VideoSource

#: Namespace for deterministic point ids (UUIDv5 of content hash + scope + offsets).
POINT_NAMESPACE = uuid.UUID("6f1c3a52-8a4e-5d7b-9c1e-2b7d4f0a9e31")

#: Fields a search can filter on; payload indexes are created for them on a server.
KEYWORD_FIELDS = ("video_id", "intent", "mood", "scope", "model")
FLOAT_FIELDS = ("duration", "start_sec")

#: The Marengo models whose vectors share a size (512): the guard must never mix them.
MARENGO_MODELS = ("marengo3.0", "marengo3.5")

#: What qdrant-client raises on opening a damaged embedded store (meta.json, storage.sqlite).
DAMAGED_STORE_ERRORS = (ValueError, KeyError, TypeError, EOFError, DatabaseError, UnpicklingError)

_clients: dict[str, QdrantClient] = {}


def connect(settings: Settings | None = None) -> QdrantClient:
    """A Qdrant client: a server when QDRANT_URL is set, else embedded (memory or on disk).

    One embedded on-disk store can be opened by one process at a time, so clients are shared
    within the process.
    """
    settings = settings or get_settings()
    if settings.qdrant_url:
        return connect_server(settings)
    if settings.qdrant_path == ":memory:":
        return QdrantClient(location=":memory:")
    path = str(resolve_path(settings.qdrant_path))
    if not _clients:
        atexit.register(close_all)
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
    except DAMAGED_STORE_ERRORS as error:
        raise VidrecError(
            f"the embedded Qdrant store at {path} is damaged ({type(error).__name__}: "
            f"{str(error)[:120]}): move the folder aside (`mv {path} {path}.damaged`) or delete "
            "it, then re-run `vidrec ingest` (embeddings come from the cache: nothing is paid again)"
        ) from None


def connect_server(settings: Settings) -> QdrantClient:
    """A client of the Qdrant server at QDRANT_URL, checked reachable (one small request)."""
    from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

    api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
    url = mask_url(settings.qdrant_url or "")
    # The probe below replaces qdrant-client's own version check, whose failure is only a warning.
    client = QdrantClient(
        url=settings.qdrant_url,
        api_key=api_key,
        timeout=settings.qdrant_timeout,
        check_compatibility=False,
    )
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
        check_collection(client, name, model, dimension)
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


def stored_model(client: QdrantClient, name: str, dimension: int) -> str | None:
    """The model whose vectors `name` holds, or None when nothing says.

    Read from the collection metadata; Qdrant servers before 1.16 drop it silently, so then
    from a point's payload, then from the name (`collection_name` encodes model and size).
    """
    model = (client.get_collection(name).config.metadata or {}).get("model")
    if not model:
        points, _ = client.scroll(name, limit=1, with_payload=["model"], with_vectors=False)
        model = (points[0].payload or {}).get("model") if points else None
    if not model:
        suffixes = {known: collection_name(known, dimension, prefix="") for known in MARENGO_MODELS}
        model = next((known for known, end in suffixes.items() if name.endswith(end)), None)
    return model


def check_collection(client: QdrantClient, name: str, model: str, dimension: int) -> None:
    """Raise when collection `name` holds vectors of another model or size than `model`'s."""
    params = client.get_collection(name).config.params.vectors
    size = params.size if isinstance(params, models.VectorParams) else None
    found = stored_model(client, name, dimension)
    if size != dimension or (found and found != model):
        raise VidrecError(
            f"collection {name!r} holds {found or 'unknown-model'} vectors of dimension "
            f"{size}; refusing to add {model} vectors of dimension {dimension}. Use "
            f"collection_name({model!r}, {dimension}) for a separate collection, or delete {name!r}"
        )


def point_id(content_hash: str, scope: str, start_sec: float, end_sec: float) -> str:
    """A deterministic point id: the same video segment always gets the same id."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"{content_hash}:{scope}:{start_sec:.3f}:{end_sec:.3f}"))


def lasting_url(url: str | None) -> str | None:
    """`url` when it works without a signature; None for a presigned (expiring) URL."""
    return url if url and "?" not in url else None


def payload_for(
    source: VideoSource, segment: Segment, model: str, duration: float | None = None
) -> dict:
    """Everything a result card needs, stored beside the vector.

    The S3 key is stored, never a presigned URL: it expires, and with temporary credentials it
    carries a session token. URLs are signed when results are read (`Session.refresh_urls`).
    """
    duration = source.duration if source.duration is not None else duration
    return {
        "video_id": source.video_id,
        "title": source.title,
        "filename": source.filename,
        "url": lasting_url(source.url),
        "s3_key": source.s3_key,
        "intent": source.intent,
        "mood": source.mood,
        "scope": segment.scope,
        "start_sec": float(segment.start_sec),
        "end_sec": float(segment.end_sec),
        "duration": float(duration) if duration is not None else None,
        "model": model,
        "content_hash": source.content_hash,
    }


def points_for(source: VideoSource, embedding: VideoEmbedding) -> list[models.PointStruct]:
    """The Qdrant points of one video: one per segment (video-level and clips).

    A video without a known duration takes its video-level segment's end (0 to the end).
    """
    whole = embedding.video_segment
    duration = whole.end_sec if whole is not None and whole.end_sec > 0 else None
    return [
        models.PointStruct(
            id=point_id(embedding.content_hash, s.scope, s.start_sec, s.end_sec),
            vector=np.asarray(s.vector).tolist(),  # Python floats, ~10x faster than a loop
            payload=payload_for(source, s, embedding.model, duration),
        )
        for s in embedding.segments
    ]


@dataclass
class UpsertReport:
    points: int = 0
    batches: int = 0


def upsert_points(
    client: QdrantClient, name: str, points: Iterable[models.PointStruct], batch_size: int = 256
) -> UpsertReport:
    """Upsert in batches; deterministic ids make a re-run overwrite instead of duplicate."""
    report, remaining = UpsertReport(), iter(points)
    while batch := list(islice(remaining, batch_size)):
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
