"""The one background-server helper behind the local S3, the Embed v2 stand-in and the API."""

import socket
import urllib.request

import pytest
from flask import Flask

from vidrec_standins.background import BackgroundServer, PortBusyError


def _app() -> Flask:
    app = Flask("probe")
    app.route("/")(lambda: "hello")
    return app


def test_serves_then_frees_its_port():
    server = BackgroundServer(_app())
    url = server.start()
    assert urllib.request.urlopen(url, timeout=5).read() == b"hello"
    port = int(url.rsplit(":", 1)[1])
    server.stop()
    server.stop()  # twice is fine
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # the port is free again


def test_busy_port_says_what_to_do():
    with BackgroundServer(_app()) as first:
        port = int(first.url.rsplit(":", 1)[1])
        with pytest.raises(PortBusyError, match="use port 0"):
            BackgroundServer(_app(), port=port).start()


def test_url_before_start_is_a_clear_error():
    with pytest.raises(RuntimeError, match="call start"):
        _ = BackgroundServer(_app()).url
