"""What every front end (notebooks, widgets, API, CLI) shares: settings, Qdrant, the encoder.

Video URLs are signed when a result's `url` is first read: presigned URLs expire, and offline
the local S3 server (and its uploads) need not start until a video is played.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from qdrant_client import QdrantClient

from .config import Settings, get_settings
from .embeddings import Embedder, make_embedder
from .index import collection_name, connect, count_points
from .queries import QueryEncoder
from .results import Result, SearchResponse
from .search import search, similar


class SignedResult(Result):
    """A Result whose playable `url` is signed on first read (no S3 until a video is played)."""

    def __init__(self, result: Result, sign: Callable[[Result], str | None]) -> None:
        vars(self).update({k: v for k, v in vars(result).items() if k != "url"}, _sign=sign)

    @cached_property
    def url(self) -> str | None:  # type: ignore[override]
        return self._sign(self)


@dataclass
class Session:
    """Settings, a Qdrant client, the query encoder and the collection of the active model."""

    settings: Settings
    client: QdrantClient
    embedder: Embedder
    encoder: QueryEncoder
    collection: str
    _s3: tuple[Any, str, dict[str, str]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def point_count(self, scope: str | None = None) -> int:
        return count_points(self.client, self.collection, scope=scope)

    def status(self) -> dict[str, Any]:
        """Mode, model, collection and its size: the status line of every front end."""
        return {
            "mode": self.settings.mode,
            "model": self.embedder.model,
            "collection": self.collection,
            "points": self.point_count(),
            "free_text": self.free_text_available(),
        }

    def free_text_available(self) -> bool:
        """Can this session embed any text (live Marengo, or the local model offline)?"""
        # loads the sample data: not at import
        from vidrec_standins.local_text import local_model_available

        return self.settings.mode == "live" or local_model_available()

    def warm_up(self) -> list[str]:
        """Offline, load the text model (~10 s) and the S3 server now; returns what was readied."""
        if self.settings.mode == "live":
            return []
        ready = []
        if self.free_text_available():
            self.embedder.embed_text("warming up the text model")
            ready.append(f"text model {self.embedder.model}")
        self._storage()
        return [*ready, "local S3 server"]

    def _storage(self) -> tuple[Any, str, dict[str, str]]:
        """The S3 client, the bucket and the sample clips' keys by file name, made on first use."""
        with self._lock:
            if self._s3 is None:
                from .samples import sample_videos
                from .storage import bucket_name, ensure_bucket, s3_client, upload_many

                client, bucket, keys = s3_client(self.settings), bucket_name(self.settings), {}
                if self.settings.mode == "offline":
                    ensure_bucket(client, bucket, self.settings.aws_region)
                    uploads = upload_many(client, bucket, sample_videos())
                    keys = {item.path.name: item.key for item in uploads if item.ok}
                self._s3 = client, bucket, keys
            return self._s3

    def playable_url(self, result: Result) -> str | None:
        """A fresh presigned URL of the result's video; None when it has no video in S3."""
        from .storage import presign

        client, bucket, sample_keys = self._storage()  # offline, this uploads the sample clips
        key = result.s3_key or sample_keys.get(result.filename or "")
        return presign(client, bucket, key) if key else None

    def refresh_urls(self, response: SearchResponse) -> SearchResponse:
        """Give every result that may have a video in S3 a `url` signed when first read.

        Offline the sample clips are indexed without S3 keys: their file name finds them.
        """
        for index, result in enumerate(response.results):
            if result.s3_key or (self.settings.mode == "offline" and result.filename):
                response.results[index] = SignedResult(result, self.playable_url)
        return response

    def search(self, **query: Any) -> SearchResponse:
        """`search.search` on this session's collection, with fresh URLs."""
        return self.refresh_urls(search(self.client, self.collection, self.encoder, **query))

    def similar(self, *video_ids: Sequence[str], **options: Any) -> SearchResponse:
        """`search.similar` (liked ids, then disliked ids) on this collection, with fresh URLs."""
        options.setdefault("encoder", self.encoder)  # the model's label vectors (live: cached)
        return self.refresh_urls(similar(self.client, self.collection, *video_ids, **options))


def open_session(
    settings: Settings | None = None,
    *,
    client: QdrantClient | None = None,
    embedder: Embedder | None = None,
    encoder: QueryEncoder | Embedder | None = None,
    collection: str | None = None,
    ingest_if_empty: bool | None = None,
) -> Session:
    """The one way to get a Session; anything not given comes from the settings.

    An empty collection is filled first when `ingest_if_empty` is True (live: the sample clips
    are uploaded and embedded once, then cached) or None (offline only: the shipped sample
    vectors, < 1 s). The CLI and the API pass False: they search what was ingested.
    """
    settings = settings or get_settings()
    embedder = embedder or getattr(encoder, "embedder", encoder) or make_embedder(settings)
    if not isinstance(encoder, QueryEncoder):  # none, or an embedder given as the encoder
        encoder = QueryEncoder(encoder or embedder)
    client = client or connect(settings)
    name = collection or collection_name(embedder.model, embedder.dimension)
    live = settings.mode == "live"
    wanted = ingest_if_empty or (ingest_if_empty is None and not live)
    if wanted and collection is None and count_points(client, name) == 0:
        from vidrec_standins.offline_embedder import SampleEmbedder

        from .pipeline import ingest

        # the sample vectors are one file (no cache); offline, clips are uploaded when played
        how = {"use_cache": not isinstance(embedder, SampleEmbedder), "progress": False}
        ingest(settings=settings, client=client, embedder=embedder, upload=live, **how)
    return Session(settings, client, embedder, encoder, name)
