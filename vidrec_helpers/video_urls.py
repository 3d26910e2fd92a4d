"""The video URL handed to TwelveLabs: signed right before each task, reachable, compared by object.

TwelveLabs fetches the video from its URL when the task is created and while it runs, so the
URL must be reachable from the internet (not localhost or a private network) and valid for the
whole task. A presigned URL lasts at most 7 days (SigV4), and with temporary credentials (STS,
SSO, an assumed role) never longer than the session that signed it: signing right before each
task keeps that window as short as the task itself.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from .config import Settings

logger = logging.getLogger(__name__)

MAX_URL_SECONDS = 7 * 24 * 3600
ALLOW_PRIVATE_VARIABLE = "VIDREC_ALLOW_PRIVATE_URLS"


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


def storage_signer(settings: Settings) -> Callable[[str, int], str]:
    """Sign S3 keys with `storage.playable_url` (the S3 client is made on first use)."""
    client: list[Any] = []

    def sign(key: str, seconds: int) -> str:
        from .storage import playable_url, s3_client

        if not client:
            client.append(s3_client(settings))
        return playable_url(client[0], settings.s3_bucket, key, expires=seconds)

    return sign
