"""One object that holds what every front end needs: settings, Qdrant, the encoder, the collection.

The notebooks, the widgets, the Flask API and the CLI all open a `Session` with `open_session`,
so they behave the same. Video URLs are signed when a result's `url` is first read, not when
videos are indexed nor when results are found: presigned URLs expire, and offline the local S3
server (and its uploads) need not start until a video is played.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qdrant_client import QdrantClient

from .config import Settings, get_settings
from .embeddings import Embedder, make_embedder
from .index import collection_name, connect, count_points
from .search import QueryEncoder, Result, SearchResponse, search, similar


class SignedResult(Result):
    """A Result whose playable `url` is signed on first read (no S3 until a video is played)."""

    def __init__(self, result: Result, sign: Callable[[Result], str | None]) -> None:
        vars(self).update(vars(result), url=None, _sign=sign)

    @property  # type: ignore[override]
    def url(self) -> str | None:
        if vars(self)["url"] is None and self._sign is not None:
            sign, self._sign = self._sign, None
            vars(self)["url"] = sign(self)
        return vars(self)["url"]


@dataclass
class Session:
    """Settings, a Qdrant client, the query encoder and the collection of the active model."""

    settings: Settings
    client: QdrantClient
    embedder: Embedder
    encoder: QueryEncoder
    collection: str
    _s3: Any = field(default=None, repr=False)
    _bucket: str = field(default="", repr=False)
    _sample_keys: dict[str, str] = field(default_factory=dict, repr=False)
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
        from .embeddings import local_model_available  # loads the sample data: not at import

        return self.settings.mode == "live" or local_model_available()

    def warm_up(self) -> list[str]:
        """Load now what a first request would wait for; returns what was readied.

        Offline: the local text model (~10 s) and the local S3 server with the sample clips.
        """
        if self.settings.mode == "live":
            return []
        ready = []
        if self.free_text_available():
            self.embedder.embed_text("warming up the text model")
            ready.append(f"text model {self.embedder.model}")
        self._storage()
        return [*ready, "local S3 server"]

    def _storage(self) -> Any:
        """An S3 client; offline, the sample clips are (re)uploaded to this process's server."""
        with self._lock:
            if self._s3 is None:
                from .storage import (
                    UploadResult,
                    bucket_name,
                    ensure_bucket,
                    s3_client,
                    upload_many,
                )

                client, self._bucket = s3_client(self.settings), bucket_name(self.settings)
                if self.settings.mode == "offline":
                    from .samples import sample_videos

                    ensure_bucket(client, self._bucket, self.settings.aws_region)
                    uploads = upload_many(client, self._bucket, sample_videos())
                    done = [item for item in uploads if isinstance(item, UploadResult)]
                    self._sample_keys = {Path(item.path).name: item.key for item in done}
                self._s3 = client
            return self._s3

    def playable_url(self, result: Result) -> str | None:
        """A fresh presigned URL of the result's video; None when it has no video in S3."""
        from .storage import playable_url

        client = self._storage()  # offline, this uploads the sample clips and learns their keys
        key = result.s3_key or self._sample_keys.get(result.filename or "")
        return playable_url(client, self._bucket, key) if key else None

    def refresh_urls(self, response: SearchResponse) -> SearchResponse:
        """Give every result that may have a video in S3 a `url` signed when first read.

        Offline, the sample clips are indexed without their S3 keys (nothing is uploaded before
        a video is played); their file name finds them once uploaded.
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

    An empty collection is filled first when `ingest_if_empty` is True (either mode: live, the
    sample clips are uploaded and embedded once, then read from the embedding cache) or None
    (offline only: the shipped sample vectors, free, < 1 s). The CLI and the API pass False:
    they search what was ingested.
    """
    settings = settings or get_settings()
    embedder = embedder or getattr(encoder, "embedder", encoder) or make_embedder(settings)
    if not isinstance(encoder, QueryEncoder):  # none, or an embedder given as the encoder
        encoder = QueryEncoder(encoder or embedder)
    client = client or connect(settings)
    name = collection or collection_name(embedder.model, embedder.dimension)
    wanted = ingest_if_empty or (ingest_if_empty is None and settings.mode == "offline")
    if wanted and collection is None and count_points(client, name) == 0:
        from .embeddings import SampleEmbedder
        from .pipeline import ingest

        # the sample vectors sit in one file: 188 cache files would cost ~0.3 s of an offline start
        samples = isinstance(embedder, SampleEmbedder)
        upload = settings.mode == "live"  # offline, clips are uploaded when first played
        how = {"progress": False, "use_cache": not samples, "upload": upload}
        ingest(settings=settings, client=client, embedder=embedder, **how)
    return Session(settings, client, embedder, encoder, name)
