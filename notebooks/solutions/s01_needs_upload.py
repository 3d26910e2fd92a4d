"""Notebook 01, exercise 1: would uploading this file send any bytes?"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def needs_upload(s3: Any, bucket: str, path: Path) -> bool:
    """False when the content-addressed key already holds these bytes (by its sha256 metadata)."""
    sha256 = sha256_of(path)
    key = f"videos/{sha256[:12]}/{Path(path).name}"
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return True
        raise
    return head["Metadata"].get("sha256") != sha256
