"""One object that holds what every front end needs: settings, Qdrant, the encoder, the collection.

The notebooks, the widgets, the Flask API and the CLI all search through a `Session`, so they
behave the same. Video URLs are signed when results are read, not when videos are indexed:
presigned URLs expire, and offline the local S3 server lives only as long as its process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from qdrant_client import QdrantClient

from .config import Settings, get_settings
from .embeddings import Embedder, SampleEmbedder, make_embedder
from .index import collection_name, connect, count_points
from .search import QueryEncoder, SearchResponse, search, similar


@dataclass
class Session:
    """Settings, a Qdrant client, the query encoder and the collection of the active model."""

    settings: Settings
    client: QdrantClient
    embedder: Embedder
    encoder: QueryEncoder
    collection: str
    url_expiry: int = 3600
    _s3: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def mode(self) -> str:
        return self.settings.mode

    @property
    def model(self) -> str:
        return self.embedder.model

    def point_count(self) -> int:
        return count_points(self.client, self.collection)

    def status(self) -> dict[str, Any]:
        """Mode, model, collection and its size: the status line of every front end."""
        return {
            "mode": self.mode,
            "model": self.model,
            "collection": self.collection,
            "points": self.point_count(),
            "free_text": self.free_text_available(),
        }

    def free_text_available(self) -> bool:
        """Can this session embed any text (live Marengo, or the local model offline)?"""
        from .embeddings import local_model_available

        return self.mode == "live" or local_model_available()

    def _storage(self) -> Any:
        """An S3 client; offline, the sample clips are (re)uploaded to this process's server."""
        with self._lock:
            if self._s3 is None:
                from .storage import ensure_bucket, s3_client, upload_many

                client = s3_client(self.settings)
                if self.mode == "offline":
                    from .samples import sample_videos

                    ensure_bucket(client, self.settings.s3_bucket, self.settings.aws_region)
                    upload_many(client, self.settings.s3_bucket, sample_videos())
                self._s3 = client
            return self._s3

    def refresh_urls(self, response: SearchResponse) -> SearchResponse:
        """Sign a fresh playable URL for every result that has a video in S3."""
        from .storage import playable_url

        keyed = [r for r in response.results if getattr(r, "s3_key", None)]
        if keyed:
            client = self._storage()
            for result in keyed:
                result.url = playable_url(
                    client, self.settings.s3_bucket, result.s3_key, expires=self.url_expiry
                )
        return response

    def search(self, **query: Any) -> SearchResponse:
        """`search.search` on this session's collection, with fresh URLs."""
        return self.refresh_urls(search(self.client, self.collection, self.encoder, **query))

    def similar(
        self, positive_ids: list[str], negative_ids: list[str] | None = None, **options: Any
    ) -> SearchResponse:
        """`search.similar` on this session's collection, with fresh URLs."""
        response = similar(
            self.client, self.collection, positive_ids, negative_ids or [], **options
        )
        return self.refresh_urls(response)


def open_session(
    settings: Settings | None = None,
    *,
    client: QdrantClient | None = None,
    embedder: Embedder | None = None,
    ingest_if_empty: bool = True,
) -> Session:
    """A ready session. Offline, an empty collection is filled from the samples first (~2 s)."""
    settings = settings or get_settings()
    embedder = embedder or make_embedder(settings)
    client = client or connect(settings)
    name = collection_name(embedder.model, embedder.dimension)
    if ingest_if_empty and settings.mode == "offline" and count_points(client, name) == 0:
        from .pipeline import ingest

        # The sample vectors already sit in one file: a per-video cache of them would cost more
        # (188 small files read or written, ~0.3 s of an offline start) than looking them up.
        cache = not isinstance(embedder, SampleEmbedder)
        ingest(settings=settings, client=client, embedder=embedder, progress=False, use_cache=cache)
    return Session(settings, client, embedder, QueryEncoder(embedder), name)
