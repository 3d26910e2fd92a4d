"""Embed many videos at once: cache first, tasks in flight together, failures recorded.

A task's work happens on TwelveLabs' servers and the client only waits and polls, so the wall
time of a batch is close to its slowest task only when (nearly) every task is in flight
together: `DEFAULT_CONCURRENCY` threads (bench/ingestion.py measures it). The load on
TwelveLabs is bounded by its rate limits (embed_requests.py), not by the number of waiting threads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from .config import VidrecError, mask_secrets
from .embed_cache import EmbeddingCache
from .embeddings import Embedder, check_embedding
from .records import VideoEmbedding, VideoSource

logger = logging.getLogger(__name__)

#: Tasks in flight at once (matches the S3 client's connection pool in storage.py).
DEFAULT_CONCURRENCY = 32


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
    on_result: Callable[[str, VideoEmbedding | None, str | None], None] | None = None,
) -> EmbedReport:
    """Embed videos with up to `concurrency` tasks in flight, cache first, failures recorded.

    `on_result(video_id, embedding, error)` is called in the caller's thread after each video.
    On Ctrl-C (or an exception from `on_result`) no new task starts, the tasks already in flight
    finish and are cached (they are paid for), then the interruption propagates; a re-run
    resumes with only the missing videos (and a task cut short resumes from the task journal).
    """
    started = time.monotonic()
    unique = list({source.video_id: source for source in sources}.values())
    options = dict(getattr(embedder, "options", {}) or {})
    #: Whether a video waits on a service (thread pool) or is a local lookup (caller's thread).
    waits_for = getattr(embedder, "waits_for", lambda source: True)
    report = EmbedReport()
    if progress:
        from tqdm.auto import tqdm  # in Jupyter, the notebook widget
    else:
        from tqdm import tqdm  # tqdm.auto would load ipywidgets in Jupyter for a hidden bar
    bar = tqdm(
        total=len(unique), desc=f"embedding ({embedder.model})", unit="video", disable=not progress
    )

    def done(source: VideoSource, embedding: VideoEmbedding | None, error: str | None) -> None:
        if embedding is not None:
            report.embedded[source.video_id] = embedding
        if error is not None:
            report.failed[source.video_id] = error
        bar.update(1)
        if on_result:
            on_result(source.video_id, embedding, error)

    pooled = []
    try:
        if cache is not None:
            cache.remove_orphans()
        for source in unique:
            key = (source.content_hash, embedder.model, options, source.video_id)
            found = cache.load(*key, embedder.dimension) if cache else None
            if found is not None:
                report.from_cache.append(source.video_id)
                done(source, found, None)
            elif waits_for(source):
                pooled.append(source)
            else:  # a lookup: no pool needed
                done(source, *_outcome(embedder, source, cache, options))
        _run_pool(lambda s: _outcome(embedder, s, cache, options), pooled, concurrency, done)
    finally:
        bar.close()
        report.seconds = time.monotonic() - started
    order = [source.video_id for source in unique]  # input order, whatever finished first
    report.embedded = {v: report.embedded[v] for v in order if v in report.embedded}
    report.failed = {v: report.failed[v] for v in order if v in report.failed}
    return report


def _run_pool(work: Callable, sources: list[VideoSource], concurrency: int, done: Callable) -> None:
    """Service-backed videos through a thread pool; on Ctrl-C the tasks in flight finish and are cached."""
    if not sources:
        return
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="vidrec-embed")
    futures: dict = {}
    try:
        futures = {pool.submit(work, source): source for source in sources}
        for future in as_completed(futures):
            done(futures[future], *future.result())
    except BaseException:
        if running := sum(1 for future in futures if future.running()):
            logger.warning(
                "interrupted: finishing %d task(s) already in flight, then stopping", running
            )
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
