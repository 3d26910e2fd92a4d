"""One way to run a WSGI app on 127.0.0.1 from a background thread (S3, Embed v2, the API)."""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    """Skips the per-request access log line (it would land in notebook outputs)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Errors are still logged; successful requests are not."""


class PortBusyError(OSError):
    """The requested port is taken; the message says what to do."""


def _listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound and listening, so a busy port raises here instead of werkzeug exiting."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":  # reuse a port in TIME_WAIT; on Windows this would share it
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError as error:
        listener.close()
        raise PortBusyError(
            f"cannot listen on {host}:{port} ({error.strerror}): "
            "choose another port, or use port 0 to let the system pick a free one"
        ) from error
    return listener


class BackgroundServer:
    """A threaded werkzeug server in a daemon thread; `start()` returns its base URL."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "vidrec-server",
        handler: type[WSGIRequestHandler] = QuietHandler,
    ) -> None:
        self.app, self.host, self.port, self.name, self.handler = app, host, port, name, handler
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """`http://host:port` of the running server."""
        if self._server is None:
            raise RuntimeError(f"{self.name} is not running: call start() first")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> str:
        """Start serving (once) and return the base URL."""
        if self._server is None:
            with _listening_socket(self.host, self.port) as listener:
                # werkzeug duplicates the descriptor, so closing ours here is safe
                self._server = make_server(
                    self.host,
                    self.port,
                    self.app,
                    threaded=True,
                    request_handler=self.handler,
                    fd=listener.fileno(),
                )
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},  # how long stop() may wait
                name=self.name,
                daemon=True,
            )
            self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and free the port (safe to call twice)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server, self._thread = None, None

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
