"""S3 storage: name and create the bucket, upload videos once, sign playable URLs.

Live mode talks to AWS S3, or to the S3-compatible server named by `AWS_ENDPOINT_URL`;
offline mode to moto's S3 server on 127.0.0.1 (`vidrec_standins.s3`), with dummy credentials.
Keys are `videos/<first 12 hex of sha256>/<file name>`: a re-run uploads nothing, and two
different files that share a name never overwrite each other.
"""

from __future__ import annotations

import mimetypes
import os
import re
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)

from vidrec_standins.s3 import LocalS3Server, ensure_local_s3, local_client  # noqa: F401

from .config import Settings, VidrecError, get_settings, mask_secrets
from .records import VideoSource, file_sha256

#: Where uploaded videos live inside the bucket.
KEY_PREFIX = "videos/"
#: Offline the bucket lives on this process's own server, so a fixed name is safe there.
LOCAL_BUCKET = "vidrec-videos"
#: SigV4 presigned URLs live at most 7 days (IAM user keys) ...
MAX_EXPIRES = 7 * 24 * 3600
#: ... and those signed with temporary credentials die with them: STS sessions last <= 36 h.
MAX_TEMPORARY_EXPIRES = 36 * 3600
#: The object metadata entry (sent as `x-amz-meta-sha256`) that makes uploads idempotent.
HASH_METADATA = "sha256"
#: Video types first: `mimetypes` varies by OS (Windows reads the registry) and may not know them.
VIDEO_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime"}
#: Multipart above 8 MiB (boto3's default), a few parts at a time per file.
TRANSFER_CONFIG = TransferConfig(max_concurrency=4)

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
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


# --- clients and the bucket's name -----------------------------------------------------


def s3_client(settings: Settings | None = None) -> Any:
    """A boto3 S3 client: the local server offline; AWS or `AWS_ENDPOINT_URL` live."""
    settings = settings or get_settings()
    if settings.mode == "offline":
        return local_client(ensure_local_s3())
    try:
        session = _live_session(settings)
        if session.get_credentials() is None:
            raise NoCredentialsError()
        endpoint = settings.aws_endpoint_url
        config = _client_config(custom_endpoint=not _is_aws(endpoint))
        return session.client("s3", endpoint_url=endpoint, config=config)
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise VidrecError(_NO_CREDENTIALS) from error
    except ProfileNotFound as error:
        raise VidrecError(
            f"{error}: fix AWS_PROFILE, or unset it to use the keys in .env"
        ) from error


_NO_CREDENTIALS = (
    "AWS credentials not found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in .env "
    "(or configure an AWS profile), or run offline with VIDREC_MODE=offline"
)


def _live_session(settings: Settings) -> boto3.session.Session:
    """A session with the keys from settings (`.env` included), else boto3's usual chain."""
    secrets = (
        settings.aws_access_key_id,
        settings.aws_secret_access_key,
        settings.aws_session_token,
    )
    key, secret, token = (value.get_secret_value() if value else None for value in secrets)
    if bool(key) != bool(secret):
        missing = "AWS_SECRET_ACCESS_KEY" if key else "AWS_ACCESS_KEY_ID"
        raise VidrecError(f"{missing} is not set but its partner is: set both in .env")
    return boto3.session.Session(key, secret, token if key else None, settings.aws_region)


def _is_aws(endpoint_url: str | None) -> bool:
    """True for AWS itself (no endpoint, or an amazonaws.com host)."""
    host = urlsplit(endpoint_url or "https://s3.amazonaws.com").hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def _client_config(custom_endpoint: bool) -> Config:
    """SigV4 with room for parallel uploads; the URL style depends on the server.

    botocore's default presigns AWS URLs for the global host `<bucket>.s3.amazonaws.com`, which
    redirects a new bucket outside us-east-1 (the signature then fails) and never serves opt-in
    regions: use `<bucket>.s3.<region>.amazonaws.com`. Other servers get path style
    (`bucket.localhost` does not resolve everywhere) and no new default checksums (several
    S3-compatible servers reject them).
    """
    if not custom_endpoint:
        virtual = {"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"}
        return Config(signature_version="s3v4", max_pool_connections=32, s3=virtual)
    return Config(
        signature_version="s3v4",
        max_pool_connections=32,
        s3={"addressing_style": "path"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )


def bucket_name(settings: Settings | None = None) -> str:
    """S3_BUCKET if set; else offline a fixed name, on AWS `vidrec-<account id>-<region>`.

    Bucket names are global across AWS accounts: a shared default belongs to whoever took it.
    """
    settings = settings or get_settings()
    if "s3_bucket" in settings.model_fields_set and settings.s3_bucket:
        return check_bucket_name(settings.s3_bucket)
    if settings.mode == "offline":
        return LOCAL_BUCKET
    if not _is_aws(settings.aws_endpoint_url):
        raise VidrecError(
            "S3_BUCKET is not set: with AWS_ENDPOINT_URL, add S3_BUCKET=<your bucket> to .env"
        )
    return check_bucket_name(f"vidrec-{_account_id(settings)}-{settings.aws_region}")


def _account_id(settings: Settings) -> str:
    """The AWS account of the credentials (STS GetCallerIdentity needs no permission)."""
    try:
        sts = _live_session(settings).client("sts", region_name=settings.aws_region)
        return str(sts.get_caller_identity()["Account"])
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise VidrecError(_NO_CREDENTIALS) from error
    except (BotoCoreError, ClientError) as error:
        raise VidrecError(
            f"cannot name the S3 bucket from the AWS account ({mask_secrets(str(error))}): "
            "set S3_BUCKET in .env to a bucket you own"
        ) from error


# --- errors a learner meets ------------------------------------------------------------


_CREDENTIALS_REJECTED = "S3 rejected the credentials ({code}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in .env"
_MISSING = (
    "S3 bucket {bucket!r} does not exist: create it with ensure_bucket(client, bucket), "
    "or set S3_BUCKET to a bucket you own"
)
_EXPIRED = "the AWS session token has expired: refresh it (e.g. `aws sso login`)"
#: S3 error codes a learner meets -> what went wrong and what to do.
_EXPLANATIONS = {
    "NoSuchBucket": _MISSING,
    "InvalidAccessKeyId": _CREDENTIALS_REJECTED,
    "SignatureDoesNotMatch": _CREDENTIALS_REJECTED,
    "404": _MISSING,
    "ExpiredToken": _EXPIRED,
    "TokenRefreshRequired": _EXPIRED,
    "BucketAlreadyExists": "S3 bucket name {bucket!r} is taken by another account (names are "
    "global): set S3_BUCKET to another name, or unset it on AWS",
    "403": "S3 bucket {bucket!r} exists but these credentials may not use it (names "
    "are global): set S3_BUCKET to another name, or unset it on AWS",
}


@contextmanager
def _explained(bucket: str) -> Iterator[None]:
    """Turn the S3 errors a learner meets into what went wrong and what to do."""
    try:
        yield
    except (BotoCoreError, ClientError, S3UploadFailedError) as error:
        # upload_file wraps the ClientError that says what happened: look at that one.
        cause = error.__context__ if isinstance(error, S3UploadFailedError) else error
        if isinstance(cause, (NoCredentialsError, PartialCredentialsError)):
            raise VidrecError(_NO_CREDENTIALS) from error
        code = _error_code(cause) if isinstance(cause, ClientError) else ""
        if code not in _EXPLANATIONS:
            raise
        raise VidrecError(_EXPLANATIONS[code].format(bucket=bucket, code=code)) from error


def _error_code(error: ClientError) -> str:
    """S3's error code, e.g. `NoSuchBucket` (or the HTTP status for HEAD requests)."""
    return str(error.response.get("Error", {}).get("Code", ""))


# --- the bucket ------------------------------------------------------------------------


def check_bucket_name(bucket: str) -> str:
    """`bucket` if S3 accepts it as a name (3-63 of a-z 0-9 . -), else a clear error."""
    if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
        raise VidrecError(
            f"{bucket!r} is not a valid S3 bucket name: use 3 to 63 lowercase letters, "
            "digits, dots or hyphens, starting and ending with a letter or digit (set S3_BUCKET)"
        )
    return bucket


def ensure_bucket(client: Any, bucket: str, region: str | None = None, create: bool = True) -> bool:
    """Make sure `bucket` exists; True when this call created it (never with `create=False`)."""
    check_bucket_name(bucket)
    with _explained(bucket):
        try:
            response = client.head_bucket(Bucket=bucket)
        except ClientError as error:
            if _error_code(error) not in ("404", "NoSuchBucket", "NotFound") or not create:
                raise
            return _create_bucket(client, bucket, region or client.meta.region_name)
    ours, theirs = client.meta.region_name, response.get("BucketRegion")
    if theirs and theirs != ours and _is_aws(client.meta.endpoint_url):
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
        if _error_code(error) != "BucketAlreadyOwnedByYou":
            raise
        return False
    return True


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


def readable_file(path: str | os.PathLike[str]) -> Path:
    """`path` if it is a regular file (checked before opening: a named pipe would block)."""
    file = Path(path).expanduser()
    if not file.is_file():
        what = "a folder" if file.is_dir() else "not a regular file" if file.exists() else "missing"
        raise VidrecError(f"not a video file: {printable(file)} is {what}: check the path")
    return file


def upload_video(
    client: Any, bucket: str, path: str | os.PathLike[str], content_hash: str | None = None
) -> UploadResult:
    """Upload one video unless S3 holds the same bytes under its key (a HEAD compares hashes)."""
    file = readable_file(path)
    sha256 = content_hash or file_sha256(file)
    key, size, mime = object_key(file, sha256), file.stat().st_size, guess_content_type(file.name)
    with _explained(bucket):
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
            client.upload_file(str(file), bucket, key, ExtraArgs=extra, Config=TRANSFER_CONFIG)
    return UploadResult(file, bucket, key, size, mime, sha256, uploaded=not fresh)


def upload_many(
    client: Any,
    bucket: str,
    paths: Iterable[str | os.PathLike[str]],
    concurrency: int = 4,
    progress: bool = False,
    hashes: Sequence[str | None] | None = None,
) -> list[UploadResult | UploadFailure]:
    """Upload in parallel, results in order; a failed file is reported and the others go on.

    `hashes` (SHA-256 per path, when known) saves reading files twice. Files sharing a key go
    one after the other, so identical copies are sent once (the others say `uploaded=False`).
    """
    paths = [Path(p) for p in paths]
    results: list[Any] = list(hashes) if hashes is not None else [None] * len(paths)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(_reported, paths, [_sha256] * len(paths), paths, results))
        by_key: dict[str, list[int]] = {}
        for index, digest in enumerate(results):
            if isinstance(digest, str):
                by_key.setdefault(object_key(paths[index], digest), []).append(index)

        def upload(indexes: list[int]) -> None:
            for i in indexes:
                results[i] = _reported(paths[i], upload_video, client, bucket, paths[i], results[i])

        done = pool.map(upload, by_key.values())
        if progress:
            from tqdm.auto import tqdm

            done = tqdm(done, total=len(by_key), desc="upload", unit="video")
        list(done)
    return results


def _sha256(path: Path, known: str | None) -> str:
    """`known`, or the file's SHA-256 once it is known to be a readable regular file."""
    return known or file_sha256(readable_file(path))


def _reported(path: Path, action: Any, *arguments: Any) -> Any:
    """`action(*arguments)`, or what went wrong as an UploadFailure: the batch goes on."""
    try:
        return action(*arguments)
    except Exception as error:  # noqa: BLE001 - reported per file
        return UploadFailure(path, printable(mask_secrets(str(error))))


def upload_sources(
    sources: Sequence[VideoSource],
    settings: Settings | None = None,
    client: Any = None,
    concurrency: int = 4,
    progress: bool = False,
) -> list[UploadResult | UploadFailure]:
    """The one upload path: bucket named and made, each file sent once, each `s3_key` set.

    Every source needs a file. Sign its URL with `presign` right before TwelveLabs fetches it.
    """
    if any(source.path is None for source in sources):
        raise VidrecError("upload_sources takes sources with a file: leave out catalog entries")
    settings = settings or get_settings()
    client = client or s3_client(settings)
    bucket = bucket_name(settings)
    ensure_bucket(client, bucket, settings.aws_region)
    paths = [Path(source.path) for source in sources if source.path is not None]
    hashes = [source.content_hash or None for source in sources]
    outcomes = upload_many(client, bucket, paths, concurrency, progress, hashes)
    for source, outcome in zip(sources, outcomes, strict=True):
        if isinstance(outcome, UploadResult):
            source.s3_key = outcome.key
    return outcomes


# --- URLs and cleanup ------------------------------------------------------------------


def url_lifetime(client: Any, seconds: int) -> tuple[int, str]:
    """How long a URL signed now lives (at most `seconds`), and why when shorter.

    A URL signed with temporary credentials (a session token: STS, SSO, an assumed role, an
    instance profile) stops working when they expire, whatever its own expiry says.
    """
    if not 1 <= seconds <= MAX_EXPIRES:
        raise VidrecError(f"expires={seconds} s is out of range: use 1 to {MAX_EXPIRES} seconds")
    # botocore has no public accessor for the credentials a client signs with
    credentials = getattr(getattr(client, "_request_signer", None), "_credentials", None)
    if credentials is None or not credentials.get_frozen_credentials().token:
        return seconds, ""
    expiry = getattr(credentials, "_expiry_time", None)
    if expiry is not None:
        left = int((expiry - datetime.now(timezone.utc)).total_seconds())
        limit, why = max(1, left), f"they expire at {expiry:%Y-%m-%d %H:%M} UTC"
    else:
        limit, why = MAX_TEMPORARY_EXPIRES, "STS sessions last 36 hours at most"
    if seconds <= limit:
        return seconds, ""
    return limit, (
        f"presigned URLs live {limit} s, not {seconds} s: they are signed with temporary AWS "
        f"credentials ({credentials.method}) and {why}; sign each URL just before it is "
        "used, or use IAM user keys for URLs of up to 7 days"
    )


def presign(
    client: Any, bucket: str, key: str, expires: int = 3600, content_type: str | None = None
) -> str:
    """A GET URL signed now for `expires` seconds (or less, with a warning), played inline."""
    lifetime, reason = url_lifetime(client, expires)
    if reason:
        warnings.warn(reason, stacklevel=2)
    mime = content_type or guess_content_type(key)
    params = {"Bucket": bucket, "Key": key, "ResponseContentType": mime}
    return client.generate_presigned_url("get_object", Params=params, ExpiresIn=lifetime)


#: The name the notebooks use: a URL the browser (and TwelveLabs) can play.
playable_url = presign


def list_videos(client: Any, bucket: str, prefix: str = KEY_PREFIX) -> list[str]:
    """The keys under `prefix` (all pages)."""
    with _explained(bucket):
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


def delete_videos(client: Any, bucket: str, keys: Iterable[str]) -> int:
    """Delete these keys (1,000 per request, S3's limit); returns how many were deleted."""
    keys = list(keys)
    with _explained(bucket):
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            response = client.delete_objects(
                Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
            )
            for error in response.get("Errors", [])[:1]:
                raise VidrecError(f"S3 could not delete {error['Key']!r}: {error['Message']}")
    return len(keys)
