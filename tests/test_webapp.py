"""`vidrec app` as a process: kernels of closed pages are culled, their number is capped, and
SIGTERM or SIGHUP takes the server and every kernel down with it.

Each page fetch over HTTP starts a Voilà kernel, as a browser visit does; the fetch ends, so
the kernel has no open connection, like a closed tab. Waits are bounded; no time is asserted.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
import requests

from vidrec_cli.webapp import app_environment
from vidrec_helpers.config import project_root

START_TIMEOUT_S = 90
PAGE_TIMEOUT_S = 120
CULL_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups and SIGHUP are POSIX")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class App:
    """A running `vidrec app` on a free port, with its log."""

    def __init__(self, folder: Path, *options: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = folder / "app.log"
        environment = app_environment()
        environment["VIDREC_CACHE_DIR"] = str(folder / "cache")
        command = [sys.executable, "-m", "vidrec_cli.cli", "app", "--no-browser"]
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port), *options],
                env=environment,
                cwd=project_root(),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def family(self) -> list[psutil.Process]:
        """Every process `vidrec app` started (Voilà and its kernels), found by parentage."""
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def kernels(self) -> list[psutil.Process]:
        return [p for p in self.family() if "ipykernel" in " ".join(_cmdline(p))]

    def wait_until_answers(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"vidrec app exited:\n{self.tail()}"
            try:
                requests.get(self.url + "voila/static/", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.3)
        pytest.fail(f"vidrec app did not answer within {START_TIMEOUT_S} s:\n{self.tail()}")

    def visit(self) -> requests.Response:
        """One page visit: the page is rendered by a new kernel, then the visitor leaves."""
        return requests.get(self.url, timeout=PAGE_TIMEOUT_S)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop_with(self, number: int) -> list[psutil.Process]:
        """Send `number` to `vidrec app` only; return the processes still alive afterwards."""
        family = self.family()
        assert family, "Voilà runs as a child of vidrec app"
        self.process.send_signal(number)
        self.process.wait(timeout=STOP_TIMEOUT_S)
        _gone, alive = psutil.wait_procs(family, timeout=STOP_TIMEOUT_S)
        return alive

    def kill_leftovers(self) -> None:
        for process in [*self.family(), psutil.Process(self.process.pid)]:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Callable[..., App]]:
    started: list[App] = []

    def start(*options: str) -> App:
        app = App(tmp_path, *options)
        started.append(app)
        app.wait_until_answers()
        return app

    yield start
    for app in started:
        if app.process.poll() is None:
            app.kill_leftovers()


def _wait_for_no_kernels(app: App) -> list[psutil.Process]:
    deadline = time.monotonic() + CULL_TIMEOUT_S
    while app.kernels() and time.monotonic() < deadline:
        time.sleep(0.5)
    return app.kernels()


def test_kernels_of_closed_pages_are_culled_and_sigterm_stops_everything(running):
    app = running("--cull-after", "3", "--max-kernels", "4")
    for _ in range(2):
        page = app.visit()
        assert page.status_code == 200 and "vidrec" in page.text
        assert app.kernels(), "the visit started a kernel"
        assert "https://" not in page.text, "the page loads nothing from the internet"
    assert _wait_for_no_kernels(app) == [], f"kernels were not culled:\n{app.tail()}"
    assert app.visit().status_code == 200, "the app still serves after culling"
    assert app.stop_with(signal.SIGTERM) == [], f"survivors of SIGTERM:\n{app.tail()}"
    assert "stopped" in app.tail()


def test_kernels_are_capped_and_sighup_stops_everything(running):
    app = running("--cull-after", "600", "--max-kernels", "1")
    assert app.visit().status_code == 200
    refused = app.visit()
    assert refused.status_code == 503, "one page too many is refused, not given a kernel"
    assert "close one and reload" in refused.text and "https://" not in refused.text
    assert len(app.kernels()) == 1
    assert app.stop_with(signal.SIGHUP) == [], f"survivors of SIGHUP:\n{app.tail()}"


def test_ctrl_c_stops_everything(running):
    """Ctrl+C reaches only `vidrec app` (Voilà runs in its own session): it stops the rest."""
    app = running("--cull-after", "600")
    assert app.visit().status_code == 200 and app.kernels()
    assert app.stop_with(signal.SIGINT) == [], f"survivors of Ctrl+C:\n{app.tail()}"
