"""moto's S3 server on 127.0.0.1: what offline mode talks to instead of AWS S3.

moto already ships a threaded server (`ThreadedMotoServer`), but it logs every request (those
lines would land in notebook outputs) and a busy port kills its thread while `start()` waits
forever. So moto's own WSGI app and request handler run on the project's `BackgroundServer`.
All servers in one process share moto's in-memory state: buckets live as long as the process.
"""

from __future__ import annotations

import atexit
import os
import threading
from functools import lru_cache
from typing import Any

from .background import BackgroundServer, QuietHandler

#: Dummy credentials for the local server: not AWS-shaped, so no scanner mistakes them for keys.
LOCAL_ACCESS_KEY = "vidrec-local"
LOCAL_SECRET_KEY = "vidrec-local-secret"
LOCAL_REGION = "us-east-1"


def _quiet_moto_handler() -> type:
    """moto's request handler (it keeps underscores in S3 metadata headers), minus access logs."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    return type("QuietMotoHandler", (QuietHandler, MotoRequestHandler), {})


class LocalS3Server(BackgroundServer):
    """moto's S3 (and STS) API on `host:port` in a background thread; port 0 picks a free one."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        app = DomainDispatcherApplication(create_backend_app)
        super().__init__(app, host, port, name="vidrec-local-s3", handler=_quiet_moto_handler())

    @property
    def endpoint_url(self) -> str:
        """`http://127.0.0.1:<port>`, the `endpoint_url` for boto3."""
        return self.url


_SERVER: LocalS3Server | None = None
_SERVER_LOCK = threading.Lock()
_SESSION_LOCK = threading.Lock()


def ensure_local_s3() -> str:
    """The endpoint of this process's local S3 server, started on first use, stopped at exit."""
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is None:
            server = LocalS3Server()
            server.start()
            atexit.register(server.stop)
            _SERVER = server
        return _SERVER.endpoint_url


def local_client(endpoint_url: str) -> Any:
    """A boto3 S3 client for a local server, with dummy credentials (real ones are never read)."""
    from botocore.config import Config

    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},  # bucket.127.0.0.1 does not resolve
        retries={"mode": "standard", "max_attempts": 3},
        request_checksum_calculation="when_required",  # as for any S3-compatible server
        response_checksum_validation="when_required",
        max_pool_connections=32,
    )
    with _SESSION_LOCK:  # creating clients from one session is not thread-safe
        return _local_session().client("s3", endpoint_url=endpoint_url, config=config)


@lru_cache(maxsize=1)
def _local_session() -> Any:
    """One hermetic session: no AWS profile, config or credentials file is read.

    So a laptop's real AWS setup can neither leak into offline mode nor break it. Shared
    because a new session loads botocore's service data again (about 0.3 s).
    """
    import boto3
    import botocore.session

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
