"""Turn videos and text into vectors: the `Embedder` protocol, its errors, and `make_embedder`.

Every backend follows the `Embedder` protocol, so the rest of the tutorial does not care which
one it has. The step's parts live in modules named after it and are imported from here on first
use (`_PARTS` says where each lives). Vectors are checked (width, finite values, non-zero
length) before anything keeps them.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .config import Settings, VidrecError, get_settings
from .records import Segment, VideoEmbedding, VideoSource, unit

if TYPE_CHECKING:
    from twelvelabs.types import EmbeddingData


class EmbeddingError(VidrecError):
    """TwelveLabs refused, failed or garbled an embedding request."""


class EmbeddingTimeoutError(EmbeddingError):
    """An embedding task did not finish within the allowed time."""


class Embedder(Protocol):
    """Anything that turns a video into segment vectors and a text into a query vector.

    Optional attribute `options` (a JSON-able dict): whatever else changes the vectors; it is
    part of the cache key, so changing it never returns stale vectors.
    """

    model: str
    dimension: int

    def embed_video(self, source: VideoSource) -> VideoEmbedding: ...

    def embed_text(self, text: str) -> np.ndarray: ...


def vector_problem(vectors: np.ndarray, dimension: int | None = None) -> str | None:
    """Why these vectors (one per row) must not be kept, or None when they are fine."""
    if vectors.ndim != 2 or len(vectors) == 0:
        return "no vectors"
    if dimension is not None and vectors.shape[1] != dimension:
        return f"{vectors.shape[1]}-d vectors where {dimension}-d are expected"
    if not np.isfinite(vectors).all():
        return "vectors holding NaN or infinite values"
    if not np.linalg.norm(vectors, axis=1).all():
        return "an all-zero vector"
    return None


def check_embedding(embedding: VideoEmbedding, dimension: int | None = None) -> VideoEmbedding:
    """Raise VidrecError naming the video when its vectors are unusable; else return it."""
    vectors = np.array([segment.vector for segment in embedding.segments], dtype=np.float32)
    if problem := vector_problem(vectors, dimension):
        raise VidrecError(f"{embedding.video_id}: {embedding.model} gave {problem}; not kept")
    return embedding


def _combine(vectors: dict[str, np.ndarray]) -> np.ndarray:
    """One vector per segment: the server's fused vector if present, else the mean of the options."""
    if "fused" in vectors:
        return vectors["fused"]
    try:
        return unit(np.mean(list(vectors.values()), axis=0))
    except ValueError:  # options that cancel out exactly: keep the first
        return next(iter(vectors.values()))


def segments_from_data(
    data: Iterable[EmbeddingData], duration: float | None = None
) -> list[Segment]:
    """Map Embed v2 results to segments: 'asset' -> video, 'clip' -> clip, options combined.

    Marengo returns one vector per embedding option (visual, audio, ...) per segment, all in one
    space. We keep one vector per segment, the mean of the unit option vectors, so the index holds
    one point per segment; a 'fused' vector (embedding_type=['fused_embedding']) is kept as is.
    """
    groups: dict[tuple[str, float, float], dict[str, np.ndarray]] = {}
    for item in data:
        scope = {"asset": "video", "clip": "clip"}.get(str(item.embedding_scope))
        if scope is None:
            continue
        start = float(item.start_sec or 0.0)
        end = float(item.end_sec if item.end_sec is not None else (duration or 0.0))
        option = str(item.embedding_option or "default")
        groups.setdefault((scope, start, end), {})[option] = unit(item.embedding)
    segments = [
        Segment(scope, start, end, _combine(vectors))
        for (scope, start, end), vectors in groups.items()
    ]
    return sorted(segments, key=lambda s: (s.scope != "video", s.start_sec, s.end_sec))


def text_token_bound(text: str) -> int:
    """An upper bound on a text's token count, whatever the tokenizer: UTF-8 bytes + 2.

    TwelveLabs does not publish Marengo's tokenizer. Byte-level tokenizers (BPE, SentencePiece
    with byte fallback) never make a token shorter than one byte, so bytes plus the two special
    tokens is never below the real count: a text within this bound is never too long for the API
    (English averages ~4 bytes a token, so this refuses some texts the API would take).
    """
    return len(text.encode("utf-8")) + 2


#: Where each public name of the embedding step lives (loaded when first asked for).
_PARTS = {
    ".embed_batch": ("DEFAULT_CONCURRENCY", "EmbedReport", "embed_many"),  # many videos at once
    ".embed_cache": ("EmbeddingCache", "JournalEntry", "TaskJournal"),  # kept on disk
    ".embed_requests": ("RetryPolicy", "WindowBudget"),  # retries, 429s, rate budgets
    ".twelvelabs_embedder": ("PollPolicy", "TwelveLabsEmbedder"),  # the real SDK, Embed API v2
    # offline: what answers instead of TwelveLabs (the shipped vectors, the local text model)
    "vidrec_standins.offline_embedder": ("SampleEmbedder",),
    "vidrec_standins.local_text": ("LocalTextEmbedder", "local_model_available"),
}  # fmt: skip
_WHERE = {name: module for module, names in _PARTS.items() for name in names}


def __getattr__(name: str) -> object:
    """`from vidrec_helpers.embeddings import EmbeddingCache` etc., without importing every part."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __package__), name)


def storage_signer(settings: Settings) -> Callable[[str, int], str]:
    """Sign S3 keys with `storage.playable_url` (the S3 client and bucket name on first use)."""
    client: list[Any] = []
    lock = threading.Lock()  # 32 tasks start at once: build one client, not one each

    def sign(key: str, seconds: int) -> str:
        from .storage import bucket_name, playable_url, s3_client

        with lock:
            if not client:
                client.extend((s3_client(settings), bucket_name(settings)))
        return playable_url(client[0], client[1], key, expires=seconds)

    return sign


def make_embedder(
    settings: Settings | None = None,
    *,
    sample_clips_via_sdk: bool = False,
    poll_timeout: float | None = None,
) -> Embedder:
    """The embedder for the current mode: TwelveLabs when live; offline, the shipped samples.

    `sample_clips_via_sdk=True` (offline): the sample clips that have a URL go through the real
    SDK to the local Embed v2 stand-in, like live mode; without it everything loads from the
    parquet (what an offline session does, so it starts without the SDK). `poll_timeout` (s):
    how long to wait for one task (None: max(15 min, 3x the video's duration)).
    """
    from vidrec_standins.offline_embedder import SampleEmbedder

    settings = settings or get_settings()
    if settings.mode == "live":
        from .twelvelabs_embedder import PollPolicy, TwelveLabsEmbedder

        poll = PollPolicy(timeout=poll_timeout)
        return TwelveLabsEmbedder(settings, poll=poll, url_signer=storage_signer(settings))
    return SampleEmbedder(sample_clips_via_sdk=sample_clips_via_sdk, poll_timeout=poll_timeout)
