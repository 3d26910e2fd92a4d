"""One request to TwelveLabs: retried, paced, its failure explained; and the video URL it carries.

TwelveLabs counts requests per minute and minutes of video per hour, per plan, and answers 429
when a window is full, with `X-Ratelimit-Reset` (the UTC epoch second the window resets) but not
always `Retry-After`. So after a 429 we wait as told (Retry-After, else until X-Ratelimit-Reset),
else a whole one-minute window. The SDK's own retries stay off: they would repeat a POST (a
second `tasks.create` may pay twice) and cap Retry-After at 30 s.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx
import pydantic
from tenacity import RetryCallState, wait_random_exponential

from .config import Settings, VidrecError
from .embeddings import EmbeddingError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts for 5xx/network failures, their backoff (s), and how long 429s may keep us waiting."""

    attempts: int = 6
    initial: float = 1.0
    maximum: float = 30.0
    untold_wait: float = 61.0  # a 429 with neither header: outlast a one-minute window
    rate_limited_for: float = 30 * 60.0
    max_retry_after: float = 3600.0  # the longest told wait we accept (the SDK's: 30 s)

    def wait(self, state: RetryCallState) -> float:
        """Tenacity wait: as the server says, else a one-minute window for a 429, else backoff."""
        error = state.outcome.exception()
        told = server_wait(error)
        if told is not None:
            return min(told, self.max_retry_after) + random.uniform(0.0, 0.05)  # spread callers
        if status_of(error) == 429:
            return self.untold_wait * random.uniform(1.0, 1.1)
        return wait_random_exponential(multiplier=self.initial, max=self.maximum)(state)

    def stop(self, state: RetryCallState) -> bool:
        """After `attempts` failures; 429s instead wait their windows, up to `rate_limited_for` s."""
        if status_of(state.outcome.exception()) == 429:
            return state.seconds_since_start >= self.rate_limited_for
        return state.attempt_number >= self.attempts


def status_of(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None)
    return status if isinstance(status, int) else None


def server_wait(error: BaseException, now: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asked us to wait: Retry-After, else X-Ratelimit-Reset (epoch s) - now."""
    headers = {str(k).lower(): v for k, v in (getattr(error, "headers", None) or {}).items()}
    try:
        if headers.get("retry-after") is not None:
            return max(0.0, float(headers["retry-after"]))
        if headers.get("x-ratelimit-reset") is not None:
            return max(0.0, float(headers["x-ratelimit-reset"]) - now())
    except ValueError:
        return None
    return None


def is_transient(error: BaseException) -> bool:
    """Worth retrying for a request that is safe to repeat: 429, 408, any 5xx, network failures."""
    if isinstance(error, httpx.TransportError):
        return True
    status = status_of(error)
    return status is not None and (status in (408, 429) or status >= 500)


def may_have_created(error: BaseException) -> bool:
    """True when a failed `tasks.create` may have made its task: a 5xx or a read timeout may come
    after the task was accepted (then retrying blindly pays twice); a 429 or no connection cannot."""
    connect_failed = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
    return is_transient(error) and status_of(error) != 429 and not connect_failed


class WindowBudget:
    """At most `capacity` units (requests, or seconds of video) in any `window` seconds, all
    threads: pyrate-limiter's sliding window log, which waits outside its lock.

    It counts whole units, so a video's duration counts in whole seconds, rounded up. It refuses
    an amount above its limit, so one amount above the capacity counts as the whole capacity: a
    video longer than the whole budget still goes through, alone in its window.
    """

    def __init__(self, capacity: int, window: float) -> None:
        from pyrate_limiter import Duration, Limiter, Rate  # only when a budget is set

        if capacity < 1 or window <= 0:
            message = f"a budget needs a capacity of 1 or more and a window above 0, got {capacity}"
            raise VidrecError(f"{message} per {window:g} s")
        self.capacity = int(capacity)
        self._limiter = Limiter(Rate(self.capacity, Duration.SECOND * window))

    def acquire(self, amount: float = 1.0, blocking: bool = True) -> bool:
        """Count `amount` once it fits in the window, this thread waiting until it does (with
        `blocking=False`, only if it fits now). True when counted."""
        weight = min(math.ceil(amount), self.capacity)
        return bool(self._limiter.try_acquire("budget", weight, blocking=blocking))


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


def explain_failure(action: str, error: Exception, policy: RetryPolicy, base_url: str) -> Exception:
    """A learner-facing error for a failed SDK call (a VidrecError: secrets masked)."""
    if isinstance(error, VidrecError):
        return error
    attempts = f"after {policy.attempts} attempts"
    status, message = status_of(error) or 0, _api_message(error)
    if 200 <= status < 300:  # the SDK's ApiError for a 2xx body it could not parse
        hint = f"TwelveLabs sent a response that is not valid JSON: {message[:120]}"
    elif status == 429:
        hint = f"still rate limited after {policy.rate_limited_for:g} s ({message}): wait, or set "
        hint += "requests_per_minute / video_minutes_per_hour to your plan's limits"
    elif status >= 500 or status == 408:
        hint = f"TwelveLabs kept failing (HTTP {status}) {attempts}: {message}. Try again later"
    elif status in (401, 403):
        hint = f"{message} (HTTP {status}). Check TWELVELABS_API_KEY in .env"
    elif status:
        hint = f"{message} (HTTP {status})"
    elif isinstance(error, httpx.TransportError):
        hint = f"could not reach TwelveLabs at {base_url} {attempts} ({type(error).__name__}). "
        hint += "Check your network or TWELVELABS_BASE_URL"
    elif isinstance(error, pydantic.ValidationError):
        hint = f"TwelveLabs sent a response of an unexpected shape ({error.error_count()} problems)"
    else:
        hint = f"{type(error).__name__}: {error}"
    return EmbeddingError(f"{action} failed: {hint}")


# ----- the video URL -------------------------------------------------------------------------
# TwelveLabs fetches the video while the task runs, so its URL must be reachable from the
# internet and valid for the whole task. A presigned URL lasts at most 7 days (SigV4), and never
# longer than the temporary credentials (STS, SSO) that signed it: signing right before each
# task keeps that window as short as the task itself.

ALLOW_PRIVATE_VARIABLE = "VIDREC_ALLOW_PRIVATE_URLS"


def storage_signer(settings: Settings) -> Callable[[str, int], str]:
    """Sign S3 keys with `storage.presign`: one S3 client for all tasks, made on first use."""
    client: list[Any] = []
    lock = threading.Lock()  # 32 tasks start at once: build one client, not one each

    def sign(key: str, seconds: int) -> str:
        from .storage import bucket_name, presign, s3_client

        with lock:
            if not client:
                client.extend((s3_client(settings), bucket_name(settings)))
        return presign(client[0], client[1], key, expires=seconds)

    return sign


def private_host(url: str) -> str | None:
    """The URL's host when it is localhost or a private/loopback/link-local address, else None."""
    host = urlparse(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a DNS name: not resolved here
    return host if address.is_private or address.is_loopback or address.is_link_local else None


def warn_if_private(url: str, video_id: str, allowed: bool | None = None) -> None:
    """Warn before paying when TwelveLabs could not fetch the URL (the task would fail).

    `allowed` (None: $VIDREC_ALLOW_PRIVATE_URLS) says a local host is meant (a local stand-in)."""
    if allowed is None:
        allowed = os.environ.get(ALLOW_PRIVATE_VARIABLE, "").lower() in ("1", "true", "yes")
    host = private_host(url)
    if host and not allowed:
        logger.warning(
            "%s: the video URL's host %s is local or private, so TwelveLabs cannot fetch it (the "
            "task will fail). Use an S3 bucket TwelveLabs can reach, or set %s=1 for a local "
            "stand-in", video_id, host, ALLOW_PRIVATE_VARIABLE,
        )  # fmt: skip


def same_media(first: str | None, second: str) -> bool:
    """Same scheme, host and path: two presigned URLs of one object differ only in their query."""
    a, b = urlparse(first or ""), urlparse(second)
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)
