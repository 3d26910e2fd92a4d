"""Turn videos and text into vectors: the `Embedder` protocol, its errors, `make_embedder`, and
`embed_many` (many videos at once: cache first, tasks in flight together, failures recorded).

Every backend follows the `Embedder` protocol, so the rest of the tutorial does not care which
one it has. Its parts live in modules named after them: the cache and task journal
(embed_cache.py), retries, budgets and video URLs (embed_requests.py), Embed API v2
(twelvelabs_embedder.py), and offline, what answers instead of TwelveLabs
(`vidrec_standins.offline_embedder`, `vidrec_standins.local_text`). Vectors are checked (width,
finite values, non-zero length) before anything keeps them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .config import Settings, VidrecError, get_settings, mask_secrets
from .records import VideoEmbedding, VideoSource

if TYPE_CHECKING:
    from .embed_cache import EmbeddingCache

logger = logging.getLogger(__name__)

#: Tasks in flight at once (matches the S3 client's connection pool in storage.py). The work
#: happens on TwelveLabs' servers and the client only waits, so a batch takes about as long as
#: its slowest task only when (nearly) all are in flight together (bench/ingestion.py).
DEFAULT_CONCURRENCY = 32


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

        return TwelveLabsEmbedder(settings, poll=PollPolicy(timeout=poll_timeout))
    return SampleEmbedder(sample_clips_via_sdk=sample_clips_via_sdk, poll_timeout=poll_timeout)


# ----- many videos at once -------------------------------------------------------------------


@dataclass
class EmbedReport:
    """What `embed_many` did: every embedding (new or cached), which came from the cache, what failed."""

    embedded: dict[str, VideoEmbedding] = field(default_factory=dict)
    from_cache: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def new(self) -> list[str]:
        """Ids embedded by this run (not from the cache)."""
        cached = set(self.from_cache)
        return [video_id for video_id in self.embedded if video_id not in cached]

    def summary(self) -> str:
        """One line for a notebook or the CLI."""
        return (
            f"{len(self.embedded)} embedded ({len(self.new)} new, {len(self.from_cache)} from cache), "
            f"{len(self.failed)} failed, in {self.seconds:.1f} s"
        )


def _outcome(
    embedder: Embedder, source: VideoSource, cache: EmbeddingCache | None, options: dict
) -> tuple[VideoEmbedding | None, str | None]:
    """Embed one video, check its vectors, cache it, drop its journaled task; or say why not."""
    try:
        embedding = check_embedding(embedder.embed_video(source), embedder.dimension)
        if cache is not None:
            cache.store(embedding, options)
    except Exception as error:  # noqa: BLE001 - recorded per video, the batch goes on
        text = str(error) if isinstance(error, VidrecError) else f"{type(error).__name__}: {error}"
        return None, mask_secrets(text)
    getattr(embedder, "forget_task", lambda source: None)(source)  # its journaled task
    return embedding, None


def embed_many(
    embedder: Embedder,
    sources: Iterable[VideoSource],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    cache: EmbeddingCache | None = None,
    progress: bool = True,
) -> EmbedReport:
    """Embed videos with up to `concurrency` tasks in flight, cache first, failures recorded.

    A video that waits on a service goes to a thread pool; a local lookup (`waits_for` False)
    runs in the caller's thread. On Ctrl-C no new task starts, the tasks already in flight finish
    and are cached (they are paid for), then the interruption propagates; a re-run resumes with
    only the missing videos (and a task cut short resumes from the task journal).
    """
    started = time.monotonic()
    unique = list({source.video_id: source for source in sources}.values())
    options = dict(getattr(embedder, "options", {}) or {})
    waits_for = getattr(embedder, "waits_for", lambda source: True)
    results: dict[str, tuple[VideoEmbedding | None, str | None]] = {}
    if progress:
        from tqdm.auto import tqdm  # in Jupyter, the notebook widget
    else:
        from tqdm import tqdm  # tqdm.auto would load ipywidgets in Jupyter for a hidden bar
    bar = tqdm(
        total=len(unique), desc=f"embedding ({embedder.model})", unit="video", disable=not progress
    )
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="vidrec-embed")
    futures: dict[Future, VideoSource] = {}
    from_cache = []
    try:
        for source in unique:
            key = (source.content_hash, embedder.model, options, source.video_id)
            if cache is not None and (found := cache.load(*key, embedder.dimension)) is not None:
                from_cache.append(source.video_id)
                results[source.video_id] = found, None
                bar.update(1)
            elif waits_for(source):
                futures[pool.submit(_outcome, embedder, source, cache, options)] = source
            else:
                results[source.video_id] = _outcome(embedder, source, cache, options)
                bar.update(1)
        for future in as_completed(futures):
            results[futures[future].video_id] = future.result()
            bar.update(1)
    except BaseException:
        if running := sum(future.running() for future in futures):
            message = "interrupted: finishing %d task(s) already in flight, then stopping"
            logger.warning(message, running)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    ordered = [(video_id, results[video_id]) for video_id in (s.video_id for s in unique)]
    return EmbedReport(
        embedded={video_id: found for video_id, (found, _) in ordered if found is not None},
        from_cache=from_cache,
        failed={video_id: error for video_id, (_, error) in ordered if error is not None},
        seconds=time.monotonic() - started,
    )
