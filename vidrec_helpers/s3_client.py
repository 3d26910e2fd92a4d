"""The S3 client: moto's local server offline, AWS or an S3-compatible server live.

Its credentials decide two things a learner meets on AWS: the bucket's default name (bucket
names are global, so it carries the account id) and how long a presigned URL can live.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, PartialCredentialsError, ProfileNotFound

from vidrec_standins.s3 import ensure_local_s3, local_client

from .config import Settings, VidrecError, get_settings, mask_secrets

#: Offline the bucket lives on this process's own server, so a fixed name is safe there.
LOCAL_BUCKET = "vidrec-videos"
#: SigV4 presigned URLs live at most 7 days (IAM user keys) ...
MAX_EXPIRES = 7 * 24 * 3600
#: ... and those signed with temporary credentials die with them: STS sessions last <= 36 h.
MAX_TEMPORARY_EXPIRES = 36 * 3600

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def s3_client(settings: Settings | None = None) -> Any:
    """A boto3 S3 client: the local server offline; AWS or `AWS_ENDPOINT_URL` live."""
    settings = settings or get_settings()
    if settings.mode == "offline":
        return local_client(ensure_local_s3())
    endpoint = settings.aws_endpoint_url
    return _live_session(settings).client(
        "s3", endpoint_url=endpoint, config=_client_config(endpoint)
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
    try:
        session = boto3.session.Session(key, secret, token if key else None, settings.aws_region)
        found = session.get_credentials()
    except ProfileNotFound as error:
        raise VidrecError(
            f"{error}: fix AWS_PROFILE, or unset it to use the keys in .env"
        ) from error
    except PartialCredentialsError:  # half a key pair in the environment or a profile
        found = None
    if found is None:
        raise VidrecError(
            "AWS credentials not found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in .env "
            "(or configure an AWS profile), or run offline with VIDREC_MODE=offline"
        )
    return session


def is_aws(endpoint_url: str | None) -> bool:
    """True for AWS itself (no endpoint, or an amazonaws.com host)."""
    host = urlsplit(endpoint_url or "https://s3.amazonaws.com").hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def _client_config(endpoint_url: str | None) -> Config:
    """SigV4; on AWS `<bucket>.s3.<region>.amazonaws.com`, elsewhere path style, fewer checksums.

    botocore's default AWS host, `<bucket>.s3.amazonaws.com`, redirects new buckets outside
    us-east-1 (breaking the signature) and never serves opt-in regions. Several S3-compatible
    servers reject botocore's new default checksums, and `bucket.localhost` may not resolve.
    """
    if is_aws(endpoint_url):
        s3 = {"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"}
        return Config(signature_version="s3v4", max_pool_connections=32, s3=s3)
    checksums = {"request_checksum_calculation": "when_required"}
    checksums["response_checksum_validation"] = "when_required"
    path_style = {"addressing_style": "path"}
    return Config(signature_version="s3v4", max_pool_connections=32, s3=path_style, **checksums)


def bucket_name(settings: Settings | None = None) -> str:
    """S3_BUCKET if set; else a fixed local name offline, `vidrec-<account id>-<region>` on AWS.

    Bucket names are global across AWS accounts: a shared default belongs to whoever took it.
    """
    settings = settings or get_settings()
    if settings.s3_bucket:
        return check_bucket_name(settings.s3_bucket)
    if settings.mode == "offline":
        return LOCAL_BUCKET
    if not is_aws(settings.aws_endpoint_url):
        raise VidrecError(
            "S3_BUCKET is not set: with AWS_ENDPOINT_URL, add S3_BUCKET=<your bucket> to .env"
        )
    # the account of the credentials: STS GetCallerIdentity needs no permission
    sts = _live_session(settings).client("sts", region_name=settings.aws_region)
    try:
        account = sts.get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as error:
        raise VidrecError(
            f"cannot name the S3 bucket from the AWS account ({mask_secrets(str(error))}): "
            "set S3_BUCKET in .env to a bucket you own"
        ) from error
    return check_bucket_name(f"vidrec-{account}-{settings.aws_region}")


def check_bucket_name(bucket: str) -> str:
    """`bucket` if S3 accepts it as a name (3-63 of a-z 0-9 . -), else a clear error."""
    if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
        raise VidrecError(
            f"{bucket!r} is not a valid S3 bucket name: use 3 to 63 lowercase letters, "
            "digits, dots or hyphens, starting and ending with a letter or digit (set S3_BUCKET)"
        )
    return bucket


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
    limit, why = MAX_TEMPORARY_EXPIRES, "that last 36 hours at most (STS)"
    if expiry is not None:
        limit = max(1, int((expiry - datetime.now(timezone.utc)).total_seconds()))
        why = f"that expire at {expiry:%Y-%m-%d %H:%M} UTC"
    if seconds <= limit:
        return seconds, ""
    # one wording per session, so a warning about it is shown once, not once per URL
    return limit, (
        f"presigned URLs are cut short: they are signed with temporary AWS credentials "
        f"({credentials.method}) {why}; sign each URL just before it is used, or use IAM user "
        "keys for URLs of up to 7 days"
    )
