"""Storage: the real boto3 against moto's S3 server on 127.0.0.1 (`vidrec_standins.s3`).

What the local server cannot play (AWS hosts, temporary credentials, refusals only AWS sends)
is checked on real botocore clients with fake credentials, or with botocore's Stubber.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import unicodedata
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.error import URLError
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.credentials import CredentialProvider, RefreshableCredentials
from botocore.stub import Stubber

from vidrec_helpers import s3_client as connection
from vidrec_helpers import storage
from vidrec_helpers.config import Settings, VidrecError
from vidrec_helpers.embed_requests import storage_signer
from vidrec_helpers.records import NotAFileError, VideoSource, file_sha256
from vidrec_standins.background import PortBusyError
from vidrec_standins.s3 import LocalS3Server, ensure_local_s3

FAKE_KEYS = {"aws_access_key_id": "vidrec-test", "aws_secret_access_key": "vidrec-test-secret"}


def offline_settings() -> Settings:
    return Settings(_env_file=None, forced_mode="offline")


def live_settings(**fields: object) -> Settings:
    return Settings(_env_file=None, forced_mode="live", **fields)


@pytest.fixture
def client():
    """A real boto3 client on the process-wide local S3 server."""
    return storage.s3_client(offline_settings())


@pytest.fixture
def bucket(client) -> str:
    """A fresh bucket per test (moto's state is shared by the whole process)."""
    name = f"vidrec-test-{uuid.uuid4().hex[:12]}"
    storage.ensure_bucket(client, name)
    return name


@pytest.fixture
def calls(client) -> dict[str, int]:
    """How many times each S3 operation was sent by `client` during the test."""
    counts: dict[str, int] = {}

    def count(event_name: str, **_: object) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        counts[operation] = counts.get(operation, 0) + 1

    client.meta.events.register("before-call.s3", count)
    return counts


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path):
    """An environment where boto3's credential chain finds nothing (and asks no metadata server)."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_ENDPOINT_URL",
        "S3_BUCKET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def fetch(url: str, headers: dict[str, str] | None = None):
    """GET `url` over plain HTTP: (status, headers, body)."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


# --- keys and content types -------------------------------------------------------------


def test_object_key_uses_hash_prefix_and_file_name():
    digest = hashlib.sha256(b"clip").hexdigest()
    assert storage.object_key("/a/b/beach day.mp4", digest) == f"videos/{digest[:12]}/beach day.mp4"


def test_object_key_is_the_same_for_decomposed_and_composed_names():
    digest = hashlib.sha256(b"clip").hexdigest()
    composed = unicodedata.normalize("NFC", "ma vidéo ñ.mp4")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert storage.object_key(decomposed, digest) == storage.object_key(composed, digest)
    assert storage.object_key(decomposed, digest).endswith(composed)


@pytest.mark.parametrize("bad_hash", ["", "abc", "A" * 64, "g" * 64])
def test_object_key_rejects_what_is_not_a_sha256(bad_hash):
    with pytest.raises(VidrecError, match="not a lowercase hex SHA-256"):
        storage.object_key("clip.mp4", bad_hash)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("clip.mp4", "video/mp4"),
        ("CLIP.MP4", "video/mp4"),
        ("clip.mov", "video/quicktime"),
        ("clip.webm", "video/webm"),
        ("notes.txt", "text/plain"),
        ("blob.unknownext", "application/octet-stream"),
    ],
)
def test_guess_content_type(name, expected):
    assert storage.guess_content_type(name) == expected


@pytest.mark.parametrize("suffix", [".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi"])
def test_video_types_do_not_depend_on_the_system_mime_table(monkeypatch, suffix):
    """Windows reads types from the registry; a bare system may know none of these."""
    monkeypatch.setattr(storage.mimetypes, "guess_type", lambda *args, **kwargs: (None, None))
    assert storage.guess_content_type(f"clip{suffix}").startswith("video/")


@pytest.mark.parametrize("name", ["ab", "My_Bucket", "-start", "end-", "a..b", "x" * 64])
def test_invalid_bucket_name_is_explained(client, name):
    with pytest.raises(VidrecError, match="not a valid S3 bucket name"):
        storage.ensure_bucket(client, name)


# --- bucket -----------------------------------------------------------------------------


def test_ensure_bucket_creates_once(client):
    name = f"vidrec-test-{uuid.uuid4().hex[:12]}"
    assert storage.ensure_bucket(client, name) is True
    assert storage.ensure_bucket(client, name) is False
    client.head_bucket(Bucket=name)


@pytest.mark.parametrize(("region", "location"), [("us-east-1", None), ("eu-west-1", "eu-west-1")])
def test_ensure_bucket_sets_location_outside_us_east_1(client, region, location):
    name = f"vidrec-test-{uuid.uuid4().hex[:12]}"
    storage.ensure_bucket(client, name, region=region)
    assert client.get_bucket_location(Bucket=name).get("LocationConstraint") == location


def test_missing_bucket_without_create_is_explained(client, calls):
    name = f"vidrec-missing-{uuid.uuid4().hex[:12]}"
    with pytest.raises(VidrecError, match=f"'{name}' does not exist.*S3_BUCKET"):
        storage.ensure_bucket(client, name, create=False)
    assert "CreateBucket" not in calls


def test_upload_is_idempotent(client, bucket, calls, tmp_path):
    video = write(tmp_path / "clip.mp4", b"not really a video" * 100)

    first = storage.upload_video(client, bucket, video)
    second = storage.upload_video(client, bucket, video)

    assert (first.uploaded, second.uploaded) == (True, False)
    assert calls.get("PutObject") == 1
    assert first.key == second.key == storage.object_key(video, file_sha256(video))
    assert first.sha256 == second.sha256 == file_sha256(video)
    assert first.size == video.stat().st_size
    head = client.head_object(Bucket=bucket, Key=first.key)
    assert head["ContentType"] == "video/mp4" == first.content_type
    assert head["Metadata"] == {"sha256": first.sha256}


def test_object_without_hash_metadata_is_uploaded_again(client, bucket, calls, tmp_path):
    video = write(tmp_path / "clip.mp4", b"abc")
    key = storage.object_key(video, file_sha256(video))
    client.put_object(Bucket=bucket, Key=key, Body=b"abc", ContentType="video/mp4")

    result = storage.upload_video(client, bucket, video)

    assert result.uploaded is True
    assert calls["PutObject"] == 2
    assert client.head_object(Bucket=bucket, Key=key)["Metadata"]["sha256"] == result.sha256


def test_given_content_hash_is_used_as_is(client, bucket, tmp_path):
    video = write(tmp_path / "clip.mp4", b"abc")
    digest = file_sha256(video)
    assert storage.upload_video(client, bucket, video, content_hash=digest).sha256 == digest


def test_same_file_name_in_two_folders_gives_two_keys(client, bucket, tmp_path):
    one = storage.upload_video(client, bucket, write(tmp_path / "a" / "clip.mp4", b"first"))
    two = storage.upload_video(client, bucket, write(tmp_path / "b" / "clip.mp4", b"second"))

    assert one.key != two.key
    assert client.get_object(Bucket=bucket, Key=one.key)["Body"].read() == b"first"
    assert client.get_object(Bucket=bucket, Key=two.key)["Body"].read() == b"second"


def test_identical_bytes_in_two_folders_share_one_key(client, bucket, calls, tmp_path):
    one = storage.upload_video(client, bucket, write(tmp_path / "a" / "clip.mp4", b"same"))
    two = storage.upload_video(client, bucket, write(tmp_path / "b" / "clip.mp4", b"same"))

    assert one.key == two.key
    assert (one.uploaded, two.uploaded) == (True, False)
    assert calls["PutObject"] == 1


def test_empty_file_is_uploaded(client, bucket, tmp_path):
    result = storage.upload_video(client, bucket, write(tmp_path / "empty.mp4", b""))

    assert (result.size, result.uploaded) == (0, True)
    assert client.get_object(Bucket=bucket, Key=result.key)["Body"].read() == b""


def test_missing_file_is_explained(client, bucket, tmp_path):
    with pytest.raises(NotAFileError, match="nope.mp4 is missing: check the path"):
        storage.upload_video(client, bucket, tmp_path / "nope.mp4")


def test_folder_instead_of_file_is_explained(client, bucket, tmp_path):
    with pytest.raises(NotAFileError, match="is a folder, not a video file"):
        storage.upload_video(client, bucket, tmp_path)


def test_named_pipe_with_a_known_hash_is_refused_before_upload(client, bucket, tmp_path):
    """A hash given by the caller skips reading the file: the type check still comes first."""
    pipe = tmp_path / "p.mp4"
    os.mkfifo(pipe)
    with pytest.raises(NotAFileError, match="is a named pipe"):
        storage.upload_video(client, bucket, pipe, content_hash="0" * 64)


def test_large_file_goes_multipart_and_keeps_its_hash(client, bucket, calls, tmp_path):
    video = write(tmp_path / "big.mp4", bytes(range(256)) * (9 * 4096))  # 9 MiB > 8 MiB threshold

    first = storage.upload_video(client, bucket, video)
    second = storage.upload_video(client, bucket, video)

    assert calls["CreateMultipartUpload"] == 1
    assert calls["UploadPart"] == 2
    assert "PutObject" not in calls
    assert (first.uploaded, second.uploaded) == (True, False)
    head = client.head_object(Bucket=bucket, Key=first.key)
    assert head["ContentLength"] == video.stat().st_size
    assert head["Metadata"]["sha256"] == file_sha256(video)


def test_upload_many_reports_each_file_and_goes_on(client, bucket, calls, tmp_path):
    first = write(tmp_path / "a" / "clip.mp4", b"first")
    other = write(tmp_path / "b" / "clip.mp4", b"other")
    copy = write(tmp_path / "c" / "clip.mp4", b"first")
    missing = tmp_path / "missing.mp4"
    folder = tmp_path / "a"

    results = storage.upload_many(client, bucket, [first, missing, other, folder, copy], 3)

    assert [r.path for r in results] == [first, missing, other, folder, copy]
    assert [r.ok for r in results] == [True, False, True, False, True]
    assert [getattr(r, "uploaded", None) for r in results] == [True, None, True, None, False]
    assert results[0].key == results[4].key != results[2].key
    assert "is missing" in results[1].error
    assert "is a folder" in results[3].error
    assert calls["PutObject"] == 2

    again = storage.upload_many(client, bucket, [first, other])
    assert [r.uploaded for r in again] == [False, False]
    assert calls["PutObject"] == 2


def test_upload_many_of_nothing(client, bucket):
    assert storage.upload_many(client, bucket, []) == []


def test_list_and_delete_videos(client, bucket, tmp_path):
    results = storage.upload_many(
        client, bucket, [write(tmp_path / f"{n}.mp4", bytes([n])) for n in range(3)]
    )
    keys = sorted(r.key for r in results)

    assert sorted(storage.list_videos(client, bucket)) == keys
    assert storage.delete_videos(client, bucket, keys) == 3
    assert storage.list_videos(client, bucket) == []


# --- URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ma vidéo ñ.mp4", "a+b #1?%&=.mp4", "東京 夜景.mp4"])
def test_presigned_url_downloads_the_bytes(client, bucket, name):
    key = f"videos/x/{name}"
    client.put_object(Bucket=bucket, Key=key, Body=b"\x00video bytes\xff")

    url = storage.presign(client, bucket, key)
    status, headers, body = fetch(url)

    assert url.isascii() and " " not in url
    assert status == 200
    assert body == b"\x00video bytes\xff"
    assert headers["Content-Type"] == "video/mp4"


def test_uploaded_video_plays_from_its_url(client, bucket, tmp_path):
    video = write(tmp_path / "sub dir" / "ma vidéo ñ.mp4", b"0123456789")
    result = storage.upload_video(client, bucket, video)

    status, headers, body = fetch(storage.presign(client, bucket, result.key))

    assert (status, body, headers["Content-Type"]) == (200, b"0123456789", "video/mp4")


@pytest.mark.parametrize(
    ("byte_range", "expected", "content_range"),
    [
        ("bytes=2-5", b"2345", "bytes 2-5/10"),
        ("bytes=0-", b"0123456789", "bytes 0-9/10"),
        ("bytes=-3", b"789", "bytes 7-9/10"),
    ],
)
def test_range_request_returns_206(client, bucket, byte_range, expected, content_range):
    """Browsers seek in a video with Range requests and need 206 Partial Content."""
    client.put_object(Bucket=bucket, Key="videos/x/clip.mp4", Body=b"0123456789")
    url = storage.presign(client, bucket, "videos/x/clip.mp4")

    status, headers, body = fetch(url, {"Range": byte_range})

    assert (status, body, headers["Content-Range"]) == (206, expected, content_range)


def test_presigned_url_expiry(client, bucket):
    assert "X-Amz-Expires=3600" in storage.presign(client, bucket, "videos/x/a.mp4")
    assert "X-Amz-Expires=600" in storage.presign(client, bucket, "videos/x/a.mp4", expires=600)
    for expires in (0, connection.MAX_EXPIRES + 1):
        with pytest.raises(VidrecError, match="out of range"):
            storage.presign(client, bucket, "videos/x/a.mp4", expires=expires)


# --- clients and credentials ------------------------------------------------------------


def test_offline_client_uses_local_server_and_dummy_credentials(monkeypatch, tmp_path):
    """A laptop's real AWS setup is neither used nor able to break offline mode."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + "IOSFODNN7EXAMPLE")  # AWS's documented example
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv(
        "AWS_CONFIG_FILE", str(write(tmp_path / "config", b"[default]\nregion = ap-south-1\n"))
    )

    offline = storage.s3_client(offline_settings())

    assert offline.meta.endpoint_url == ensure_local_s3()
    assert offline.meta.endpoint_url.startswith("http://127.0.0.1:")
    assert offline.meta.region_name == "us-east-1"
    credentials = offline._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == (
        "vidrec-local",
        "vidrec-local-secret",
    )
    offline.list_buckets()


def test_missing_credentials_live_are_explained(no_aws_credentials):
    with pytest.raises(VidrecError, match="AWS credentials not found.*AWS_ACCESS_KEY_ID.*\\.env"):
        storage.s3_client(live_settings())


def test_half_credentials_are_explained(no_aws_credentials):
    with pytest.raises(VidrecError, match="AWS_SECRET_ACCESS_KEY is not set"):
        storage.s3_client(live_settings(aws_access_key_id="vidrec-test"))


def test_missing_profile_is_explained(no_aws_credentials, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(VidrecError, match="no-such-profile.*AWS_PROFILE"):
        storage.s3_client(live_settings())


def test_live_client_on_an_s3_compatible_endpoint(no_aws_credentials, tmp_path):
    """`AWS_ENDPOINT_URL` points live mode at any S3 server: here the local one, path-style."""
    endpoint = ensure_local_s3()
    live = storage.s3_client(
        live_settings(
            aws_endpoint_url=endpoint,
            aws_region="eu-west-1",
            aws_access_key_id="vidrec-local",
            aws_secret_access_key="vidrec-local-secret",
        )
    )
    assert live.meta.endpoint_url == endpoint
    assert live.meta.config.s3 == {"addressing_style": "path"}

    name = f"vidrec-test-{uuid.uuid4().hex[:12]}"
    assert storage.ensure_bucket(live, name) is True
    assert live.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    result = storage.upload_video(live, name, write(tmp_path / "clip.mp4", b"live bytes"))
    assert fetch(storage.presign(live, name, result.key))[2] == b"live bytes"


@pytest.mark.parametrize("region", ["eu-west-1", "ap-east-1", "me-central-1", "us-east-1"])
def test_aws_urls_use_the_regional_virtual_host(no_aws_credentials, region):
    """The global host redirects new buckets outside us-east-1 and never serves opt-in regions."""
    aws = storage.s3_client(live_settings(aws_region=region, **FAKE_KEYS))

    url = urlsplit(storage.presign(aws, "my-videos", "videos/x/a b.mp4"))

    assert url.hostname == f"my-videos.s3.{region}.amazonaws.com"
    assert url.path == "/videos/x/a%20b.mp4"
    assert f"%2F{region}%2Fs3%2Faws4_request" in url.query  # signed for the bucket's region


def test_custom_endpoint_urls_are_path_style(no_aws_credentials):
    endpoint = "https://minio.example.org:9000"
    other = storage.s3_client(live_settings(aws_endpoint_url=endpoint, **FAKE_KEYS))

    url = storage.presign(other, "my-videos", "videos/x/a.mp4")

    assert url.startswith(f"{endpoint}/my-videos/videos/x/a.mp4?")


def test_local_server_starts_and_stops():
    server = LocalS3Server()
    with server:
        endpoint = server.endpoint_url
        assert server.start() == endpoint
        assert fetch(endpoint)[0] == 200

    port = int(endpoint.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 2):
        pass


def test_local_server_port_in_use_is_explained():
    with LocalS3Server() as first:
        port = int(first.endpoint_url.rsplit(":", 1)[1])
        with pytest.raises(PortBusyError, match="use port 0"):
            LocalS3Server(port=port).start()


def test_ensure_local_s3_is_one_server_per_process():
    assert ensure_local_s3() == ensure_local_s3()


def test_local_server_does_not_log_each_request(client, bucket, caplog):
    """werkzeug logs every request by default, which would land in notebook outputs."""
    caplog.set_level(logging.INFO, logger="werkzeug")
    client.put_object(Bucket=bucket, Key="videos/x/quiet.mp4", Body=b"shh")
    fetch(storage.presign(client, bucket, "videos/x/quiet.mp4"))
    with pytest.raises(URLError):
        fetch(f"{client.meta.endpoint_url}/{bucket}/videos/x/missing.mp4")
    assert [r for r in caplog.records if r.name == "werkzeug"] == []


def test_bucket_in_another_aws_region_is_explained(no_aws_credentials):
    aws = storage.s3_client(live_settings(aws_region="us-east-1", **FAKE_KEYS))
    with Stubber(aws) as stub:
        stub.add_response("head_bucket", {"BucketRegion": "eu-west-1"}, {"Bucket": "my-videos"})
        with pytest.raises(VidrecError, match="is in eu-west-1 but AWS_REGION is us-east-1"):
            storage.ensure_bucket(aws, "my-videos", create=False)


def test_bucket_region_is_not_checked_on_other_s3_servers(client, bucket):
    """S3-compatible servers often report a nominal region: only AWS's must match."""
    with Stubber(client) as stub:
        stub.add_response("head_bucket", {"BucketRegion": "eu-west-1"}, {"Bucket": bucket})
        assert storage.ensure_bucket(client, bucket, create=False) is False


# --- URL lifetimes and temporary credentials ----------------------------------------------


class ExpiringCredentials(CredentialProvider):
    """What an SSO or assumed-role session gives botocore: keys with a token and an expiry."""

    METHOD = "sso"

    def __init__(self, expiry: datetime) -> None:
        self.expiry = expiry

    def load(self) -> RefreshableCredentials:
        metadata = {
            "access_key": "vidrec-test",
            "secret_key": "vidrec-test-secret",
            "token": "vidrec-test-token",
            "expiry_time": self.expiry.isoformat(),
        }
        return RefreshableCredentials.create_from_metadata(metadata, lambda: metadata, "sso")


def client_with(provider: CredentialProvider):
    core = botocore.session.Session()
    core.get_component("credential_provider").insert_before("env", provider)
    session = boto3.session.Session(botocore_session=core, region_name="eu-west-1")
    return session.client("s3", config=Config(signature_version="s3v4"))


def expires_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])


def test_iam_user_keys_sign_for_what_is_asked(no_aws_credentials):
    aws = storage.s3_client(live_settings(aws_region="eu-west-1", **FAKE_KEYS))
    assert connection.url_lifetime(aws, connection.MAX_EXPIRES) == (connection.MAX_EXPIRES, "")


def test_session_token_caps_the_lifetime_and_says_why(no_aws_credentials):
    aws = storage.s3_client(
        live_settings(aws_region="eu-west-1", aws_session_token="vidrec-test-token", **FAKE_KEYS)
    )
    with pytest.warns(UserWarning, match="temporary AWS credentials.*36 hours at most"):
        url = storage.presign(aws, "my-videos", "videos/x/a.mp4", 3 * 24 * 3600)
    assert expires_of(url) == 36 * 3600
    assert expires_of(storage.presign(aws, "my-videos", "videos/x/a.mp4", 3600)) == 3600


def test_expiring_session_caps_the_lifetime_at_its_expiry(no_aws_credentials):
    expiry = datetime.now(timezone.utc) + timedelta(minutes=30)
    aws = client_with(ExpiringCredentials(expiry))

    seconds, reason = connection.url_lifetime(aws, 2 * 3600)

    assert 29 * 60 < seconds <= 30 * 60
    assert "(sso)" in reason and f"{expiry:%H:%M} UTC" in reason and "just before" in reason
    with pytest.warns(UserWarning, match="temporary"):
        assert expires_of(storage.presign(aws, "my-videos", "videos/x/a.mp4", 7200)) <= 30 * 60
    assert connection.url_lifetime(aws, 600) == (600, "")


def test_local_server_urls_are_not_capped(client):
    assert connection.url_lifetime(client, connection.MAX_EXPIRES) == (connection.MAX_EXPIRES, "")


# --- the bucket's name --------------------------------------------------------------------


def test_bucket_name_from_s3_bucket_wins(no_aws_credentials):
    assert connection.bucket_name(live_settings(s3_bucket="my-own-bucket")) == "my-own-bucket"
    with pytest.raises(VidrecError, match="not a valid S3 bucket name"):
        connection.bucket_name(live_settings(s3_bucket="My_Bucket"))


def test_offline_bucket_is_a_fixed_local_name(no_aws_credentials):
    assert connection.bucket_name(offline_settings()) == connection.LOCAL_BUCKET


def test_bucket_on_aws_is_named_after_the_account_and_region(no_aws_credentials, monkeypatch):
    """moto's server answers STS too: GetCallerIdentity runs for real through botocore."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", ensure_local_s3())
    settings = live_settings(aws_region="eu-west-1", **FAKE_KEYS)

    name = connection.bucket_name(settings)

    assert name == "vidrec-123456789012-eu-west-1"  # moto's default account


def test_bucket_name_without_sts_says_to_set_s3_bucket(no_aws_credentials, monkeypatch):
    with LocalS3Server() as gone:
        closed = gone.endpoint_url
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", closed)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(VidrecError, match="cannot name the S3 bucket.*set S3_BUCKET"):
        connection.bucket_name(live_settings(aws_region="eu-west-1", **FAKE_KEYS))


def test_custom_endpoint_requires_s3_bucket(no_aws_credentials):
    settings = live_settings(aws_endpoint_url="http://127.0.0.1:9000", **FAKE_KEYS)
    with pytest.raises(VidrecError, match="S3_BUCKET is not set.*AWS_ENDPOINT_URL"):
        connection.bucket_name(settings)


def test_url_signer_names_the_bucket_as_uploads_do(no_aws_credentials):
    """Signing before each task uses bucket_name too: the config default is for offline only."""
    endpoint = ensure_local_s3()
    unset = storage_signer(live_settings(aws_endpoint_url=endpoint, **FAKE_KEYS))
    with pytest.raises(VidrecError, match="S3_BUCKET is not set"):
        unset("videos/x/a.mp4", 60)
    mine = storage_signer(live_settings(aws_endpoint_url=endpoint, s3_bucket="mine", **FAKE_KEYS))
    assert mine("videos/x/a.mp4", 60).startswith(f"{endpoint}/mine/videos/x/a.mp4?")


def test_url_signer_on_aws_uses_the_account_bucket(no_aws_credentials, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", ensure_local_s3())
    sign = storage_signer(live_settings(aws_region="eu-west-1", **FAKE_KEYS))

    host = urlsplit(sign("videos/x/a.mp4", 60)).hostname

    assert host == "vidrec-123456789012-eu-west-1.s3.eu-west-1.amazonaws.com"


# --- hostile file names -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["new\nline.mp4", "tab\there.mp4", "bell\x07\u2028.mp4"])
def test_control_characters_in_names_upload_under_a_safe_key(client, bucket, tmp_path, name):
    video = write(tmp_path / name, b"odd name")
    good = write(tmp_path / "copy" / "clip.mp4", b"odd name")

    odd, copy = storage.upload_many(client, bucket, [video, good])

    assert odd.ok and copy.ok, (odd, copy)
    assert odd.key.isprintable() and "_" in odd.key.rsplit("/", 1)[1]
    assert client.get_object(Bucket=bucket, Key=odd.key)["Body"].read() == b"odd name"
    assert odd.key in storage.list_videos(client, bucket)


def test_names_in_errors_are_escaped_on_one_line(client, bucket, tmp_path):
    (failure,) = storage.upload_many(client, bucket, [tmp_path / "gone\nfake line.mp4"])

    assert not failure.ok
    assert "\n" not in failure.error and "gone\\nfake line.mp4" in failure.error


def test_named_pipe_is_refused_without_blocking(client, bucket, tmp_path):
    pipe = tmp_path / "p.mp4"
    os.mkfifo(pipe)
    outcome: list = []
    worker = threading.Thread(
        target=lambda: outcome.extend(storage.upload_many(client, bucket, [pipe])), daemon=True
    )
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "upload_many blocked on a named pipe"
    assert "is a named pipe, not a video file" in outcome[0].error


# --- the one upload path ------------------------------------------------------------------


def test_upload_sources_keys_each_source_in_the_named_bucket(tmp_path):
    settings = offline_settings()
    files = [write(tmp_path / f"{n}.mp4", bytes([n]) * 5) for n in range(2)]
    sources = [VideoSource(f"v{n}", file_sha256(f), path=f) for n, f in enumerate(files)]

    outcomes = storage.upload_sources(sources, settings)

    assert [o.bucket for o in outcomes] == [connection.bucket_name(settings)] * 2
    assert [s.s3_key for s in sources] == [storage.object_key(f, file_sha256(f)) for f in files]
    client = storage.s3_client(settings)
    assert fetch(storage.presign(client, outcomes[0].bucket, sources[0].s3_key))[2] == bytes(5)


def test_upload_sources_refuses_catalog_entries_without_a_file():
    with pytest.raises(VidrecError, match="with a file"):
        storage.upload_sources([VideoSource("v", "0" * 64)], offline_settings())


def test_bucket_of_another_account_is_explained(client):
    """Bucket names are global: the workshop case where everyone picks the same name."""
    with Stubber(client) as stub:
        stub.add_client_error("head_bucket", service_error_code="403", http_status_code=403)
        with pytest.raises(VidrecError, match="another account owns.*unset it on AWS.*keys"):
            storage.ensure_bucket(client, "vidrec-videos")
        stub.add_client_error("head_bucket", service_error_code="404", http_status_code=404)
        stub.add_client_error("create_bucket", service_error_code="BucketAlreadyExists")
        with pytest.raises(VidrecError, match="taken by another account.*S3_BUCKET"):
            storage.ensure_bucket(client, "vidrec-videos")


def test_a_failed_copy_does_not_take_an_identical_good_copy_down(client, bucket, tmp_path):
    """Copies share a key but each gets its own attempt and its own outcome."""
    good = write(tmp_path / "b" / "clip.mp4", b"same bytes")
    gone = tmp_path / "a" / "clip.mp4"  # hashed earlier, deleted since
    digest = file_sha256(good)

    failed, uploaded = storage.upload_many(client, bucket, [gone, good], hashes=[digest, digest])

    assert not failed.ok and "is missing" in failed.error
    assert uploaded.ok and uploaded.uploaded and uploaded.path == good


def test_url_signer_builds_one_client_for_many_tasks_at_once(monkeypatch):
    """32 tasks start together: one S3 client is built for all of them, not one each."""
    import time as clock

    built: list[int] = []

    class Client:
        def generate_presigned_url(self, operation, Params, ExpiresIn):  # noqa: N803 - boto3's names
            return f"http://s3.test/{Params['Bucket']}/{Params['Key']}?expires={ExpiresIn}"

    def slow_client(settings):
        built.append(1)
        clock.sleep(0.05)  # building a boto3 client takes a while: threads pile up here
        return Client()

    monkeypatch.setattr(storage, "s3_client", slow_client)
    monkeypatch.setattr(storage, "bucket_name", lambda settings: "bucket")
    monkeypatch.setattr(storage, "url_lifetime", lambda client, seconds: (seconds, None))
    sign = storage_signer(Settings(_env_file=None, forced_mode="offline"))
    threads = [threading.Thread(target=sign, args=(f"videos/{n}.mp4", 600)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == [1]
