"""S3 storage: make sure the bucket exists, upload videos once, sign playable URLs.

The client comes from `s3_client` (the local server offline, AWS or `AWS_ENDPOINT_URL` live).
Keys are `videos/<first 12 hex of sha256>/<file name>`: a re-run uploads nothing, and two
different files that share a name never overwrite each other.
"""

from __future__ import annotations

import mimetypes
import os
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from .config import Settings, VidrecError, get_settings, mask_secrets
from .records import VideoSource, file_sha256, open_file
from .s3_client import bucket_name, check_bucket_name, is_aws, s3_client, url_lifetime

#: Where uploaded videos live inside the bucket.
KEY_PREFIX = "videos/"
#: The object metadata entry (sent as `x-amz-meta-sha256`) that makes uploads idempotent.
HASH_METADATA = "sha256"
#: The types `ingest` picks up: `mimetypes` varies by OS (it reads the registry on Windows,
#: /etc/mime.types elsewhere) and may not know them.
VIDEO_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo",
}
#: Multipart above 8 MiB (boto3's default), a few parts at a time per file.
TRANSFER_CONFIG = TransferConfig(max_concurrency=4)

_SHA256 = re.compile(r"[0-9a-f]{64}")
#: Characters that break S3's XML listings or a one-line report: controls and line separators.
_UNSAFE_IN_KEYS = {"Cc", "Zl", "Zp"}


@dataclass(frozen=True)
class UploadResult:
    """One video in S3: where it is, what it is, and whether this call sent its bytes."""

    path: Path
    bucket: str
    key: str
    size: int
    content_type: str
    sha256: str
    uploaded: bool
    ok = True


@dataclass(frozen=True)
class UploadFailure:
    """One video that could not be uploaded, and why (the other files carry on)."""

    path: Path
    error: str
    ok = False


# --- the bucket ------------------------------------------------------------------------


def ensure_bucket(client: Any, bucket: str, region: str | None = None, create: bool = True) -> bool:
    """Make sure `bucket` exists; True when this call created it (never with `create=False`)."""
    check_bucket_name(bucket)
    try:
        response = client.head_bucket(Bucket=bucket)
    except ClientError as error:
        code = _error_code(error)
        if code in ("403", "AccessDenied"):
            raise VidrecError(
                f"S3 refuses bucket {bucket!r} to these credentials: either another account owns "
                f"the name {_GLOBAL}, or the AWS keys are wrong or expired (check .env)"
            ) from error
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise
        if not create:
            raise VidrecError(
                f"S3 bucket {bucket!r} does not exist: create it with ensure_bucket(client, "
                "bucket), or set S3_BUCKET to a bucket you own"
            ) from error
        return _create_bucket(client, bucket, region or client.meta.region_name)
    ours, theirs = client.meta.region_name, response.get("BucketRegion")
    if theirs and theirs != ours and is_aws(client.meta.endpoint_url):
        raise VidrecError(
            f"S3 bucket {bucket!r} is in {theirs} but AWS_REGION is {ours}: set "
            f"AWS_REGION={theirs} in .env (URLs must be signed for the bucket's region)"
        )
    return False


def _create_bucket(client: Any, bucket: str, region: str | None) -> bool:
    """Create the bucket in `region` (us-east-1 takes no LocationConstraint)."""
    arguments: dict[str, Any] = {"Bucket": bucket}
    if region and region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(**arguments)
    except ClientError as error:
        if _error_code(error) == "BucketAlreadyExists":
            message = f"S3 bucket name {bucket!r} is taken by another account {_GLOBAL}"
            raise VidrecError(message) from error
        if _error_code(error) != "BucketAlreadyOwnedByYou":
            raise
        return False
    return True


def _error_code(error: ClientError) -> str:
    """S3's error code, e.g. `NoSuchBucket` (the HTTP status for HEAD requests)."""
    return str(error.response.get("Error", {}).get("Code", ""))


_GLOBAL = "(bucket names are global): set S3_BUCKET to another name, or unset it on AWS"


# --- upload ----------------------------------------------------------------------------


def printable(text: object) -> str:
    """`text` on one line: control and invisible characters escaped as `repr` does."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def object_key(path: str | os.PathLike[str], content_hash: str) -> str:
    """`videos/<12 hex of the sha256>/<file name>`, the name in NFC, control characters `_`.

    NFC because macOS spells `é` as two code points and Linux as one; `_` because S3's XML
    listings and one-line reports cannot carry control characters.
    """
    if not _SHA256.fullmatch(content_hash):
        raise VidrecError(
            f"content hash {printable(content_hash)!r} is not a lowercase hex SHA-256: "
            "compute it with vidrec_helpers.records.file_sha256(path)"
        )
    name = unicodedata.normalize("NFC", Path(path).name)
    name = "".join("_" if unicodedata.category(c) in _UNSAFE_IN_KEYS else c for c in name)
    return f"{KEY_PREFIX}{content_hash[:12]}/{name}"


def guess_content_type(name: str) -> str:
    """The MIME type a browser needs to play the file (`video/mp4` for `.mp4`)."""
    suffix = Path(name).suffix.lower()
    guessed = VIDEO_TYPES.get(suffix) or mimetypes.guess_type(name, strict=False)[0]
    return guessed or "application/octet-stream"


def upload_video(
    client: Any, bucket: str, path: str | os.PathLike[str], content_hash: str | None = None
) -> UploadResult:
    """Upload one video unless S3 holds the same bytes under its key (a HEAD compares hashes)."""
    sha256 = content_hash or file_sha256(path)
    file, mime = Path(path), guess_content_type(Path(path).name)
    with open_file(file) as handle:  # a regular file, else refused before any read
        key, size = object_key(file, sha256), os.fstat(handle.fileno()).st_size
        try:
            current = client.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            # 403 too: without s3:ListBucket, AWS answers 403 for a missing key
            if _error_code(error) not in ("404", "NoSuchKey", "NotFound", "403"):
                raise
            current = {}
        same = (current.get("Metadata", {}).get(HASH_METADATA), current.get("ContentLength"))
        fresh = same == (sha256, size) and current.get("ContentType") == mime
        if not fresh:
            extra = {"ContentType": mime, "Metadata": {HASH_METADATA: sha256}}
            client.upload_fileobj(handle, bucket, key, ExtraArgs=extra, Config=TRANSFER_CONFIG)
    return UploadResult(file, bucket, key, size, mime, sha256, uploaded=not fresh)


def upload_many(
    client: Any,
    bucket: str,
    paths: Iterable[str | os.PathLike[str]],
    concurrency: int = 4,
    hashes: Sequence[str | None] | None = None,
) -> list[UploadResult | UploadFailure]:
    """Upload in parallel, results in order; a failed file is reported and the others go on.

    `hashes` (SHA-256 per path, when known) saves reading files twice. Files sharing a key go
    one after the other, so identical copies are sent once (the others say `uploaded=False`).
    """
    paths = [Path(p) for p in paths]
    locks: dict[str, threading.Lock] = {}

    def upload(path: Path, known: str | None) -> UploadResult | UploadFailure:
        try:
            sha256 = known or file_sha256(path)
            with locks.setdefault(object_key(path, sha256), threading.Lock()):
                return upload_video(client, bucket, path, sha256)
        except Exception as error:  # noqa: BLE001 - reported per file
            return UploadFailure(path, printable(mask_secrets(str(error))))

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(upload, paths, hashes or [None] * len(paths)))


def upload_sources(
    sources: Sequence[VideoSource],
    settings: Settings | None = None,
    client: Any = None,
    concurrency: int = 4,
) -> list[UploadResult | UploadFailure]:
    """The one upload path: bucket named and made, each file sent once, each `s3_key` set.

    Every source needs a file. Sign its URL with `presign` right before TwelveLabs fetches it.
    """
    if any(source.path is None for source in sources):
        raise VidrecError("upload_sources takes sources with a file: leave out catalog entries")
    settings = settings or get_settings()
    client, bucket = client or s3_client(settings), bucket_name(settings)
    ensure_bucket(client, bucket, settings.aws_region)
    paths = [Path(source.path) for source in sources if source.path is not None]
    hashes = [source.content_hash or None for source in sources]
    outcomes = upload_many(client, bucket, paths, concurrency, hashes)
    for source, outcome in zip(sources, outcomes, strict=True):
        if isinstance(outcome, UploadResult):
            source.s3_key = outcome.key
    return outcomes


# --- URLs and cleanup ------------------------------------------------------------------


def presign(client: Any, bucket: str, key: str, expires: int = 3600) -> str:
    """A GET URL signed now for `expires` seconds (or less, with a warning), played inline."""
    lifetime, reason = url_lifetime(client, expires)
    if reason:
        warnings.warn(reason, stacklevel=2)
    params = {"Bucket": bucket, "Key": key, "ResponseContentType": guess_content_type(key)}
    return client.generate_presigned_url("get_object", Params=params, ExpiresIn=lifetime)


def list_videos(client: Any, bucket: str) -> list[str]:
    """The keys of the uploaded videos (all pages)."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=KEY_PREFIX)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def delete_videos(client: Any, bucket: str, keys: Iterable[str]) -> int:
    """Delete these keys (1,000 per request, S3's limit); returns how many were deleted."""
    keys = list(keys)
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        response = client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        for error in response.get("Errors", [])[:1]:
            raise VidrecError(f"S3 could not delete {error['Key']!r}: {error['Message']}")
    return len(keys)
