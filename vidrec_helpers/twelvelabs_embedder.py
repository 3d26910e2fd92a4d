"""Marengo through the twelvelabs SDK's Embed API v2: create a task, poll it, read its vectors.

The same code serves live mode (TwelveLabs) and, for the sample clips, offline mode (the local
Embed v2 stand-in in `vidrec_standins`, answering with the sample model's shipped vectors).
A created task is journaled at once (embed_cache.py), so nothing is paid for twice.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tenacity import RetryCallState, Retrying, retry_if_exception

from .config import MARENGO_DIMENSION, Settings, VidrecError, get_settings, register_secrets
from .embed_cache import EmbeddingCache, TaskJournal
from .embed_requests import (
    RetryPolicy,
    WindowBudget,
    explain_failure,
    is_transient,
    may_have_created,
    same_media,
    storage_signer,
    warn_if_private,
)
from .embeddings import EmbeddingError, EmbeddingTimeoutError, check_embedding, vector_problem
from .records import Segment, VideoEmbedding, VideoSource, unit
from .samples import SAMPLE_DIMENSION, SAMPLE_MODEL

if TYPE_CHECKING:
    from twelvelabs import TwelveLabs
    from twelvelabs.types import EmbeddingData

logger = logging.getLogger(__name__)

#: visual + audio: valid for both Marengo 3.0 and 3.5 ("transcription" requires 3.0).
DEFAULT_EMBEDDING_OPTIONS = ("visual", "audio")
EMBEDDING_SCOPES = ["clip", "asset"]


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


@dataclass(frozen=True)
class PollPolicy:
    """A plain polling loop: first wait `initial` s, then x`factor` up to `maximum` s; give up
    after `timeout` s (None: max(15 min, 3x the video's duration), see `timeout_for`)."""

    initial: float = 1.0
    factor: float = 1.5
    maximum: float = 10.0
    timeout: float | None = None

    def timeout_for(self, duration: float | None) -> float:
        """How long to wait for a task: `timeout`, else scaled with the video's duration."""
        return self.timeout if self.timeout is not None else max(15 * 60.0, 3.0 * (duration or 0))


class TwelveLabsEmbedder:
    """Marengo 3.x (or, offline, the sample model) through the real SDK's Embed API v2."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        model: str | None = None,
        client: TwelveLabs | None = None,
        embedding_options: Sequence[str] = DEFAULT_EMBEDDING_OPTIONS,
        dimension: int | None = None,
        poll: PollPolicy = PollPolicy(),
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        requests_per_minute: int | None = None,
        video_minutes_per_hour: float | None = None,
        allow_private_urls: bool | None = None,
    ) -> None:
        """`client`/`model` given: any Embed v2 server (the offline stand-in); else live settings.

        `requests_per_minute` / `video_minutes_per_hour`: your plan's limits (None: no limit).
        """
        self.settings = settings or get_settings()
        register_secrets(self.settings.secret_values())  # masked in every error it raises
        if client is None:  # note: the SDK replaces base_url with $TWELVELABS_BASE_URL when set
            self.settings.require_live()
            from twelvelabs import TwelveLabs

            base_url = self.settings.twelvelabs_base_url
            secret = self.settings.twelvelabs_api_key.get_secret_value()  # require_live: set
            client = TwelveLabs(api_key=secret, base_url=base_url, timeout=60.0)
        self.client = client
        self.model: str = model or self.settings.marengo_model
        default = SAMPLE_DIMENSION if self.model == SAMPLE_MODEL else MARENGO_DIMENSION
        self.dimension: int = dimension or default
        self.embedding_options = list(embedding_options)
        #: Everything besides the model that shapes the vectors: part of the cache key (so is
        #: the empty "video" entry, which keeps the keys of existing caches).
        self.options: dict[str, Any] = {"embedding_option": self.embedding_options,
                                        "embedding_scope": EMBEDDING_SCOPES,
                                        "embedding_dimension": dimension, "video": {}}  # fmt: skip
        self._dimension = {"embedding_dimension": dimension} if dimension else {}  # 3.5 only
        self.poll, self.retry, self.sleep = poll, retry or RetryPolicy(), sleep
        self.allow_private_urls = allow_private_urls
        #: `(s3_key, seconds) -> URL`, called right before each task is created
        self.url_signer = storage_signer(self.settings)
        # your plan's limits, counted before each request; not set: no limiter at all
        per_hour = round((video_minutes_per_hour or 0) * 60)  # seconds of video
        self.request_budget = WindowBudget(requests_per_minute, 60) if requests_per_minute else None
        self.video_budget = WindowBudget(per_hour, 3600) if per_hour else None
        self.journal = TaskJournal(Path(self.settings.cache_dir, "tasks"))

    def _call(self, action: str, function: Callable, *args: Any, **kwargs: Any) -> Any:
        """Call the SDK with its own retries off (see embed_requests.py), retrying with tenacity."""
        kwargs["request_options"] = {"max_retries": 0}

        def log(state: RetryCallState) -> None:
            logger.info("%s: retrying after %s", action, type(state.outcome.exception()).__name__)

        retrying = Retrying(stop=self.retry.stop, wait=self.retry.wait, sleep=self.sleep,
                            retry=retry_if_exception(is_transient), before_sleep=log, reraise=True)  # fmt: skip
        try:
            return retrying(function, *args, **kwargs)
        except Exception as error:  # translated to one clear message, secrets masked
            base_url = self.client._client_wrapper.get_base_url()
            raise explain_failure(action, error, self.retry, base_url) from None

    # ----- video -----------------------------------------------------------------------------

    def task_key(self, source: VideoSource) -> str:
        """The journal key of a video's task: the same key as its cache file."""
        return EmbeddingCache.key(source.content_hash, self.model, self.options)

    def embed_video(self, source: VideoSource) -> VideoEmbedding:
        """Resume the video's journaled task, or create one; wait for it; return its segments."""
        if not source.url and not source.s3_key:
            raise VidrecError(
                f"{source.video_id} has no URL: upload it first (storage) so TwelveLabs can fetch it"
            )
        duration = source.duration
        if source.path is not None and duration is None:  # probed before paying, like `ingest`
            from .video_checks import check_video

            duration = check_video(source.path).duration
        key = self.task_key(source)
        if task_id := self.journal.find(key):
            logger.info("%s: resuming task %s (already paid for)", source.video_id, task_id)
        else:
            task_id = self._create(source, key, duration)
        try:
            task = self._wait_for_task(task_id, source, self.poll.timeout_for(duration))
        except EmbeddingError as error:
            if not isinstance(error, EmbeddingTimeoutError):
                self.journal.forget(key)  # a failed or vanished task: the next run makes a new one
            raise
        duration = getattr(task.metadata, "duration", None) or duration
        segments = segments_from_data(task.data or [], duration)
        embedding = VideoEmbedding(source.video_id, source.content_hash, self.model, segments)
        return check_embedding(embedding, self.dimension)  # none at all: "gave no vectors"

    def forget_task(self, source: VideoSource) -> None:
        """Drop the video's journal entry once its vectors are safely cached."""
        self.journal.forget(self.task_key(source))

    def _create(self, source: VideoSource, key: str, duration: float | None) -> str:
        """Create the task and journal its id at once; never blindly repeat a create that may have
        worked (a 5xx or read timeout): look for its task with `tasks.list` before sending it again."""
        if self.request_budget:
            self.request_budget.acquire()
        if self.video_budget:
            self.video_budget.acquire(duration or 0.0)

        def create(request_options: dict) -> tuple[str, float]:
            url = source.url or ""
            if source.s3_key:  # signed now, before each attempt, valid for the whole task
                from .s3_client import MAX_EXPIRES  # 7 days: SigV4's longest

                seconds = int(min(MAX_EXPIRES, self.poll.timeout_for(duration) + 600))
                url = self.url_signer(source.s3_key, seconds)
            warn_if_private(url, source.video_id, self.allow_private_urls)
            asked = time.time()
            try:
                task = self.client.embed.v_2.tasks.create(
                    input_type="video",
                    model_name=self.model,
                    video={"media_source": {"url": url}, "embedding_option": self.embedding_options,
                           "embedding_scope": EMBEDDING_SCOPES},
                    request_options=request_options,
                    **self._dimension,
                )  # fmt: skip
            except Exception as error:
                found = may_have_created(error) and self._find_created(url, asked, source.video_id)
                if not found:
                    raise
                return found, asked
            return str(task.id), asked

        task_id, asked = self._call(f"creating the embedding task for {source.video_id}", create)
        self.journal.record(key, task_id, source.video_id, asked)
        return task_id

    def _find_created(self, url: str, since: float, video_id: str) -> str | None:
        """After a create that may have worked (5xx, read timeout): a task made since then for this URL."""
        started = datetime.fromtimestamp(since - 60, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        tasks = self._call(
            f"checking whether {video_id}'s task was created",
            self.client.embed.v_2.tasks.list,
            started_at=started,
            page_limit=50,
        )
        for task in itertools.islice(tasks, 200):  # the SDK's pager fetches the next pages
            metadata = getattr(task.video_embedding, "metadata", None)
            if task.id and same_media(getattr(metadata, "input_url", None), url):
                message = "%s: the create that failed had made task %s; using it"
                logger.warning(message, video_id, task.id)
                return str(task.id)
        return None

    def _wait_for_task(self, task_id: str, source: VideoSource, timeout: float) -> Any:
        """Check the task after waits growing x`factor` up to `maximum`, until ready, failed or timeout."""
        deadline, wait = time.monotonic() + timeout, self.poll.initial
        while (remaining := deadline - time.monotonic()) > 0:
            self.sleep(min(wait, remaining))
            wait = min(wait * self.poll.factor, self.poll.maximum)
            task = self._call(
                f"checking the embedding task of {source.video_id}",
                self.client.embed.v_2.tasks.retrieve,
                task_id,
            )
            if task.status == "ready":
                return task
            if task.status == "failed":
                reason = task.error.message if task.error else "no reason given"
                message = f"TwelveLabs could not embed {source.video_id}: {reason} (task {task_id})"
                raise EmbeddingError(message)
        raise EmbeddingTimeoutError(
            f"the embedding task {task_id} for {source.video_id} was still processing after "
            f"{timeout:g} s; it is journaled: run again to keep waiting for it (no new charge), "
            "or raise the timeout (`vidrec ingest --poll-timeout SECONDS`)"
        )

    # ----- text ------------------------------------------------------------------------------

    def embed_text(self, text: str) -> np.ndarray:
        """Embed a query with the sync endpoint (3.0: input_type text; 3.5: multi_input)."""
        text = text.strip()
        if not text:
            raise VidrecError("cannot embed an empty text: type a few words")
        if self.request_budget:
            self.request_budget.acquire()
        field_name = "multi_input" if self.model == "marengo3.5" else "text"
        response = self._call(
            "embedding the text",
            self.client.embed.v_2.create,
            input_type=field_name,
            model_name=self.model,
            **{field_name: {"input_text": text}},
            **self._dimension,
        )
        vectors = np.array([item.embedding for item in response.data or []][:1], dtype=np.float32)
        if problem := vector_problem(vectors, self.dimension):
            raise EmbeddingError(f"TwelveLabs gave {problem} for the text")
        return unit(vectors[0])
