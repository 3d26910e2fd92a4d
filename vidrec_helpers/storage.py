"""S3 storage: make sure the bucket exists, upload videos once, hand out playable URLs.

Live mode talks to AWS S3, or to any S3-compatible server named by `AWS_ENDPOINT_URL`.
Offline mode starts moto's S3 server on 127.0.0.1 inside this process (`ensure_local_s3`)
and talks to it with dummy credentials, so the same boto3 calls run with no account at all.

Object keys are `videos/<first 12 hex of sha256>/<file name>`: identical bytes under the
same name land on the same key (so a re-run uploads nothing), and two different files that
share a name never overwrite each other.
"""

from __future__ import annotations

import atexit
import mimetypes
import os
import re
import socket
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.session
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)

from .config import Settings, VidrecError, get_settings, mask_secrets
from .records import file_sha256

#: Dummy credentials for the local server: not AWS-shaped, so no scanner mistakes them for keys.
LOCAL_ACCESS_KEY = "vidrec-local"
LOCAL_SECRET_KEY = "vidrec-local-secret"
LOCAL_REGION = "us-east-1"

#: Where uploaded videos live inside the bucket.
KEY_PREFIX = "videos/"

#: Presigned URLs signed with SigV4 live at most 7 days.
MAX_EXPIRES = 7 * 24 * 3600

#: The object metadata entry (sent as `x-amz-meta-sha256`) that makes uploads idempotent.
HASH_METADATA = "sha256"

#: Video types first: `mimetypes` varies by OS (Windows reads the registry) and may not know them.
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

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_SHA256 = re.compile(r"[0-9a-f]{64}")


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

    @property
    def ok(self) -> bool:
        return True


@dataclass(frozen=True)
class UploadFailure:
    """One video that could not be uploaded, and why (the other files carry on)."""

    path: Path
    error: str

    @property
    def ok(self) -> bool:
        return False


# --- the local S3 server (offline mode and tests) -------------------------------------


class LocalS3Server:
    """moto's S3 server on 127.0.0.1 in a background thread, for offline mode and tests.

    Built from the same parts as moto's `ThreadedMotoServer` (moto's WSGI app and request
    handler on a threaded werkzeug server), minus its per-request log lines, which would
    otherwise land in notebook outputs. All servers in one process share moto's in-memory
    state: buckets live as long as the process.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        """`http://127.0.0.1:<port>` of the running server."""
        if self._server is None:
            raise VidrecError("the local S3 server is not running: call start() first")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> str:
        """Start serving (once) and return the endpoint URL."""
        if self._server is None:
            self._server = _make_moto_server(self.host, self.port)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},  # how long stop() may wait
                name="vidrec-local-s3",
                daemon=True,
            )
            self._thread.start()
        return self.endpoint_url

    def stop(self) -> None:
        """Stop serving and free the port (safe to call twice)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server, self._thread = None, None

    def __enter__(self) -> LocalS3Server:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _make_moto_server(host: str, port: int) -> Any:
    """A threaded werkzeug server running moto's AWS app, quiet about each request."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            """Skip the access log line; errors are still logged."""

    app = DomainDispatcherApplication(create_backend_app)
    with _listening_socket(host, port) as listener:
        # werkzeug takes a copy of the socket; binding it here lets a busy port raise
        # a clear error instead of werkzeug's print-and-exit.
        return make_server(
            host, port, app, threaded=True, request_handler=QuietHandler, fd=listener.fileno()
        )


def _listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port and listening, or a clear error if the port is busy."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":  # reuse a port in TIME_WAIT; on Windows this would share it
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError as error:
        listener.close()
        raise VidrecError(
            f"cannot start the local S3 server on {host}:{port} ({error.strerror}): "
            "choose another port, or use port 0 to let the system pick a free one"
        ) from error
    return listener


_LOCAL_SERVER: LocalS3Server | None = None
_LOCAL_LOCK = threading.Lock()
_SESSION_LOCK = threading.Lock()


def ensure_local_s3() -> str:
    """The endpoint of this process's local S3 server, started on first use, stopped at exit."""
    global _LOCAL_SERVER
    with _LOCAL_LOCK:
        if _LOCAL_SERVER is None:
            server = LocalS3Server()
            server.start()
            atexit.register(server.stop)
            _LOCAL_SERVER = server
        return _LOCAL_SERVER.endpoint_url


# --- clients ---------------------------------------------------------------------------


def s3_client(settings: Settings | None = None) -> Any:
    """A boto3 S3 client: the local server offline; AWS or `AWS_ENDPOINT_URL` live."""
    settings = settings or get_settings()
    if settings.mode == "offline":
        return local_client(ensure_local_s3())
    return _live_client(settings)


def local_client(endpoint_url: str) -> Any:
    """A client for a local S3 server with dummy credentials (real ones are never read)."""
    with _SESSION_LOCK:  # creating clients from one session is not thread-safe
        return _local_session().client(
            "s3", endpoint_url=endpoint_url, config=_client_config(custom_endpoint=True)
        )


@lru_cache(maxsize=1)
def _local_session() -> boto3.session.Session:
    """One session for every local client, with dummy credentials.

    Hermetic: no AWS profile, config or credentials file is read, so a laptop's real AWS
    setup can neither leak into offline mode nor break it. Shared because a new session
    loads botocore's service data again (about 0.3 s).
    """
    core = botocore.session.Session()
    store = core.get_component("config_store")
    for name, value in (
        ("profile", None),
        ("config_file", os.devnull),
        ("credentials_file", os.devnull),
    ):
        store.set_config_variable(name, value)
    return boto3.session.Session(
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        region_name=LOCAL_REGION,
        botocore_session=core,
    )


def _live_client(settings: Settings) -> Any:
    """A client for AWS (or `settings.aws_endpoint_url`) whose credentials are known to exist."""
    endpoint = settings.aws_endpoint_url
    try:
        session = _live_session(settings)
        if session.get_credentials() is None:
            raise NoCredentialsError()
        return session.client(
            "s3",
            endpoint_url=endpoint,
            region_name=settings.aws_region,
            config=_client_config(custom_endpoint=not _is_aws(endpoint)),
        )
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
    key, secret = settings.aws_access_key_id, settings.aws_secret_access_key
    if bool(key) != bool(secret):
        missing = "AWS_SECRET_ACCESS_KEY" if key else "AWS_ACCESS_KEY_ID"
        raise VidrecError(f"{missing} is not set but its partner is: set both in .env")
    if not key:
        return boto3.session.Session(region_name=settings.aws_region)
    token = settings.aws_session_token
    return boto3.session.Session(
        aws_access_key_id=key.get_secret_value(),
        aws_secret_access_key=secret.get_secret_value(),
        aws_session_token=token.get_secret_value() if token else None,
        region_name=settings.aws_region,
    )


def _is_aws(endpoint_url: str | None) -> bool:
    """True for AWS itself (no endpoint, or an amazonaws.com host)."""
    if not endpoint_url:
        return True
    host = urlsplit(endpoint_url).hostname or ""
    return host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn")


def _client_config(custom_endpoint: bool) -> Config:
    """SigV4 everywhere; path-style and checksums-only-when-required for non-AWS servers.

    Path style because `bucket.127.0.0.1` or `bucket.localhost` do not resolve everywhere;
    checksums only when required because botocore >= 1.36 sends new default checksums that
    several S3-compatible servers reject.
    """
    options: dict[str, Any] = {
        "signature_version": "s3v4",
        "retries": {"mode": "standard", "max_attempts": 3 if custom_endpoint else 5},
        "max_pool_connections": 32,
    }
    if custom_endpoint:
        options["s3"] = {"addressing_style": "path"}
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    return Config(**options)


@contextmanager
def _explained(bucket: str, client: Any) -> Iterator[None]:
    """Turn the S3 errors a learner meets into what went wrong and what to do."""
    try:
        yield
    except (BotoCoreError, ClientError, S3UploadFailedError) as error:
        # upload_file wraps the ClientError that says what happened: look at that one.
        cause = error.__context__ if isinstance(error, S3UploadFailedError) else error
        explanation = _explanation(cause, bucket, client)
        if explanation is None:
            raise
        raise VidrecError(explanation) from error


def _explanation(error: BaseException | None, bucket: str, client: Any) -> str | None:
    """What to tell a learner about this S3 error, or None to let it through as it is."""
    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return _NO_CREDENTIALS
    if isinstance(error, EndpointConnectionError):
        return (
            f"cannot reach S3 at {client.meta.endpoint_url}: check your network, "
            "or AWS_ENDPOINT_URL if you use an S3-compatible server"
        )
    code = _error_code(error) if isinstance(error, ClientError) else ""
    if code == "NoSuchBucket":
        return _missing_bucket(bucket)
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return (
            f"S3 rejected the credentials ({code}): check AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY in .env"
        )
    if code in ("ExpiredToken", "TokenRefreshRequired"):
        return (
            "the AWS session token has expired: refresh it (e.g. `aws sso login`) "
            "and update AWS_SESSION_TOKEN"
        )
    return None


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _missing_bucket(bucket: str) -> str:
    return (
        f"S3 bucket {bucket!r} does not exist: create it with ensure_bucket(client, bucket), "
        "or set S3_BUCKET to a bucket you own"
    )


# --- bucket ----------------------------------------------------------------------------


def check_bucket_name(bucket: str) -> str:
    """`bucket` if S3 accepts it as a name (3-63 of a-z 0-9 . -), else a clear error."""
    if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
        raise VidrecError(
            f"{bucket!r} is not a valid S3 bucket name: use 3 to 63 lowercase letters, "
            "digits, dots or hyphens, starting and ending with a letter or digit (set S3_BUCKET)"
        )
    return bucket


def ensure_bucket(client: Any, bucket: str, region: str | None = None, create: bool = True) -> bool:
    """Make sure `bucket` exists; returns True when this call created it.

    With `create=False` (someone else's bucket) a missing bucket is an error, not created.
    """
    check_bucket_name(bucket)
    with _explained(bucket, client):
        if _bucket_exists(client, bucket):
            return False
        if not create:
            raise VidrecError(_missing_bucket(bucket))
        return _create_bucket(client, bucket, region or client.meta.region_name)


def _bucket_exists(client: Any, bucket: str) -> bool:
    """True if the bucket is there and ours to use; a bucket we may not use is an error."""
    try:
        response = client.head_bucket(Bucket=bucket)
    except ClientError as error:
        code = _error_code(error)
        if code in ("404", "NoSuchBucket", "NotFound"):
            return False
        if code in ("403", "AccessDenied", "Forbidden"):
            raise VidrecError(
                f"S3 bucket {bucket!r} exists but these credentials may not use it "
                "(bucket names are global, someone else may own it): set S3_BUCKET to "
                "another name"
            ) from error
        raise
    _check_region(client, bucket, response.get("BucketRegion"))
    return True


def _check_region(client: Any, bucket: str, bucket_region: str | None) -> None:
    """On AWS, the client must use the bucket's region: presigned URLs are signed for it."""
    ours = client.meta.region_name
    if bucket_region and bucket_region != ours and _is_aws(client.meta.endpoint_url):
        raise VidrecError(
            f"S3 bucket {bucket!r} is in {bucket_region} but AWS_REGION is {ours}: "
            f"set AWS_REGION={bucket_region} in .env (URLs must be signed for the bucket's region)"
        )


def _create_bucket(client: Any, bucket: str, region: str | None) -> bool:
    """Create the bucket in `region` (us-east-1 takes no LocationConstraint)."""
    arguments: dict[str, Any] = {"Bucket": bucket}
    if region and region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(**arguments)
        return True
    except ClientError as error:
        if _error_code(error) == "BucketAlreadyOwnedByYou":
            return False
        if _error_code(error) == "BucketAlreadyExists":
            raise VidrecError(
                f"S3 bucket name {bucket!r} is taken by another account (names are global): "
                "set S3_BUCKET to another name"
            ) from error
        raise


# --- upload ----------------------------------------------------------------------------


def object_key(path: str | os.PathLike[str], content_hash: str) -> str:
    """`videos/<first 12 hex of the sha256>/<file name>`, the name in Unicode NFC.

    NFC because macOS spells `é` as two code points in file names and Linux as one:
    the same file must get the same key on every laptop.
    """
    if not _SHA256.fullmatch(content_hash):
        raise VidrecError(
            f"content hash {content_hash!r} is not a lowercase hex SHA-256: "
            "compute it with vidrec_helpers.records.file_sha256(path)"
        )
    name = unicodedata.normalize("NFC", Path(path).name)
    return f"{KEY_PREFIX}{content_hash[:12]}/{name}"


def guess_content_type(name: str) -> str:
    """The MIME type a browser needs to play the file (`video/mp4` for `.mp4`)."""
    suffix = Path(name).suffix.lower()
    guessed = VIDEO_TYPES.get(suffix) or mimetypes.guess_type(name, strict=False)[0]
    return guessed or "application/octet-stream"


def readable_file(path: str | os.PathLike[str]) -> Path:
    """`path` as a Path if it is a file this process can read, else a clear error."""
    file = Path(path).expanduser()
    try:
        with open(file, "rb"):
            pass
    except FileNotFoundError as error:
        raise VidrecError(f"video file not found: {file}: check the path") from error
    except IsADirectoryError as error:
        raise VidrecError(f"{file} is a folder, not a video file: pass a file path") from error
    except OSError as error:
        raise VidrecError(
            f"cannot read {file} ({error.strerror}): check its permissions"
        ) from error
    if not file.is_file():
        raise VidrecError(f"{file} is not a regular file: pass a video file path")
    return file


def upload_video(
    client: Any, bucket: str, path: str | os.PathLike[str], content_hash: str | None = None
) -> UploadResult:
    """Upload one video unless S3 already holds the same bytes under its key.

    Idempotent: the object carries its SHA-256 in metadata, and a HEAD request compares it
    (with size and content type) before any bytes are sent.
    """
    file = readable_file(path)
    sha256 = content_hash or file_sha256(file)
    key = object_key(file, sha256)
    size = file.stat().st_size
    mime = guess_content_type(file.name)
    with _explained(bucket, client):
        current = _existing_object(client, bucket, key)
        same = (current.get("Metadata", {}).get(HASH_METADATA), current.get("ContentLength"))
        fresh = same == (sha256, size) and current.get("ContentType") == mime
        if not fresh:
            client.upload_file(
                str(file),
                bucket,
                key,
                ExtraArgs={"ContentType": mime, "Metadata": {HASH_METADATA: sha256}},
                Config=TRANSFER_CONFIG,
            )
    return UploadResult(file, bucket, key, size, mime, sha256, uploaded=not fresh)


def _existing_object(client: Any, bucket: str, key: str) -> dict[str, Any]:
    """The object's HEAD response, or {} when it is not there.

    403 counts as "not there": without s3:ListBucket, AWS answers 403 for a missing key.
    """
    try:
        return client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if _error_code(error) in ("404", "NoSuchKey", "NotFound", "403"):
            return {}
        raise


def upload_many(
    client: Any,
    bucket: str,
    paths: Iterable[str | os.PathLike[str]],
    concurrency: int = 4,
    progress: bool = False,
) -> list[UploadResult | UploadFailure]:
    """Upload many videos in parallel; a failed file is reported and the others carry on.

    Results come back in the order of `paths`. Files with identical bytes and name share
    one key and are sent once; the duplicates report `uploaded=False`.
    """
    paths = [Path(p) for p in paths]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        hashes = list(pool.map(_hash_or_failure, paths))
        unique: dict[str, tuple[Path, str]] = {}
        for path, sha256 in zip(paths, hashes, strict=True):
            if isinstance(sha256, str):
                unique.setdefault(object_key(path, sha256), (path, sha256))
        work = list(unique.values())
        done = _map_progress(
            pool, lambda item: _upload_or_failure(client, bucket, *item), work, progress
        )
    by_key = dict(zip(unique, done, strict=True))
    return [_result_for(path, sha256, by_key) for path, sha256 in zip(paths, hashes, strict=True)]


def _hash_or_failure(path: Path) -> str | UploadFailure:
    try:
        return file_sha256(readable_file(path))
    except Exception as error:  # noqa: BLE001 - reported per file, the batch goes on
        return UploadFailure(path, mask_secrets(str(error)))


def _upload_or_failure(
    client: Any, bucket: str, path: Path, sha256: str
) -> UploadResult | UploadFailure:
    try:
        return upload_video(client, bucket, path, sha256)
    except Exception as error:  # noqa: BLE001 - reported per file, the batch goes on
        return UploadFailure(path, mask_secrets(str(error)))


def _map_progress(
    pool: ThreadPoolExecutor, function: Any, items: list[Any], progress: bool
) -> list[Any]:
    """`pool.map(function, items)` as a list, with a progress bar when asked."""
    results = pool.map(function, items)
    if progress:
        from tqdm.auto import tqdm

        results = tqdm(results, total=len(items), desc="upload", unit="video")
    return list(results)


def _result_for(
    path: Path, sha256: str | UploadFailure, by_key: dict[str, UploadResult | UploadFailure]
) -> UploadResult | UploadFailure:
    """This path's outcome: its own failure, or the outcome of the upload of its key."""
    if isinstance(sha256, UploadFailure):
        return sha256
    outcome = by_key[object_key(path, sha256)]
    if outcome.path == path:
        return outcome
    if isinstance(outcome, UploadFailure):
        return replace(outcome, path=path)
    return replace(outcome, path=path, uploaded=False)


# --- URLs and cleanup ------------------------------------------------------------------


def playable_url(
    client: Any,
    bucket: str,
    key: str,
    expires: int = 3600,
    public: bool = False,
    content_type: str | None = None,
) -> str:
    """A URL a browser can play: presigned GET by default, or the plain URL when public.

    The presigned URL asks S3 to answer with the video's content type, so browsers play it
    inline. It expires after `expires` seconds (at most 7 days, and never later than the
    credentials that signed it). `public=True` grants `public-read` on the object, which
    new AWS buckets refuse (ACLs disabled): presigned URLs need no change to the bucket.
    """
    if public:
        _make_public(client, bucket, key)
        return _plain_url(client, bucket, key)
    if not 1 <= expires <= MAX_EXPIRES:
        raise VidrecError(f"expires={expires} s is out of range: use 1 to {MAX_EXPIRES} seconds")
    mime = content_type or guess_content_type(key)
    params = {"Bucket": bucket, "Key": key, "ResponseContentType": mime}
    return client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)


def _make_public(client: Any, bucket: str, key: str) -> None:
    """Grant anyone read access to one object, explaining the two usual refusals."""
    try:
        with _explained(bucket, client):
            client.put_object_acl(Bucket=bucket, Key=key, ACL="public-read")
    except ClientError as error:
        code = _error_code(error)
        if code == "AccessControlListNotSupported":
            raise VidrecError(
                f"S3 bucket {bucket!r} does not allow ACLs (Object Ownership is 'Bucket owner "
                "enforced', the default for new buckets), so public=True cannot work: use "
                "presigned URLs (public=False), or enable ACLs on the bucket, or make the "
                "videos/ prefix public with a bucket policy"
            ) from error
        if code == "AccessDenied":
            raise VidrecError(
                f"S3 refused to make {key!r} public in {bucket!r} (AccessDenied: Block Public "
                "Access is on by default): use presigned URLs (public=False), or turn off "
                "BlockPublicAcls for this bucket"
            ) from error
        raise


def _plain_url(client: Any, bucket: str, key: str) -> str:
    """The object's unsigned URL.

    Taken from a presigned URL minus its query: botocore already knows the endpoint, the
    addressing style and how to encode the key.
    """
    signed = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
    scheme, netloc, path, _query, _fragment = urlsplit(signed)
    return urlunsplit((scheme, netloc, path, "", ""))


def list_videos(client: Any, bucket: str, prefix: str = KEY_PREFIX) -> list[str]:
    """The keys under `prefix` (all pages)."""
    keys: list[str] = []
    with _explained(bucket, client):
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def delete_videos(client: Any, bucket: str, keys: Iterable[str]) -> int:
    """Delete these keys (1,000 per request, S3's limit); returns how many were deleted."""
    keys = list(keys)
    deleted = 0
    with _explained(bucket, client):
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            response = client.delete_objects(
                Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
            )
            errors = response.get("Errors", [])
            if errors:
                raise VidrecError(
                    f"S3 could not delete {errors[0]['Key']!r}: {errors[0]['Message']}"
                )
            deleted += len(batch)
    return deleted
