"""`vidrec app`: Voilà serves app/recommender.ipynb on 127.0.0.1 with a bounded set of kernels.

Every page visit starts a kernel (~300 MB). A kernel whose page went away (no open connection)
is culled after `cull_after` idle seconds, at most `max_kernels` run at once, and the server
runs in its own process group, so stopping `vidrec app` (Ctrl+C, SIGTERM, SIGHUP) stops it and
every kernel it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping

import psutil
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

from vidrec_helpers.config import Settings, get_settings, project_root

#: Seconds a kernel with no open page may stay idle before it is shut down.
CULL_AFTER_S = 60
#: Most kernels (open pages) at once: about 300 MB each.
MAX_KERNELS = 8
#: The notebook Voilà serves as the web app.
APP_NOTEBOOK = project_root() / "app" / "recommender.ipynb"


class CappedKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager with a cap: one page too many gets a 503, not a kernel."""

    max_kernels = Integer(MAX_KERNELS, config=True, help="Most kernels running at once.")

    async def start_kernel(self, *args, **kwargs) -> str:
        """Start a kernel unless `max_kernels` already run."""
        if len(self.list_kernel_ids()) >= self.max_kernels:
            message = f"{self.max_kernels} recommender pages are open: close one and reload"
            raise web.HTTPError(503, message, reason=message)
        return await super().start_kernel(*args, **kwargs)


def voila_command(
    port: int,
    open_browser: bool = True,
    cull_after: int = CULL_AFTER_S,
    max_kernels: int = MAX_KERNELS,
) -> list[str]:
    """The Voilà command line: 127.0.0.1 only, code hidden, local template, bounded kernels."""
    manager = f"{CappedKernelManager.__module__}.{CappedKernelManager.__name__}"
    command = [
        sys.executable,
        "-m",
        "voila",
        str(APP_NOTEBOOK),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        "--template=vidrec",
        f"--VoilaConfiguration.multi_kernel_manager_class={manager}",
        f"--CappedKernelManager.max_kernels={max_kernels}",
        f"--MappingKernelManager.cull_idle_timeout={cull_after}",
        f"--MappingKernelManager.cull_interval={max(1, min(cull_after // 2, 30))}",
        "--MappingKernelManager.cull_connected=False",
    ]
    return command if open_browser else [*command, "--no-browser"]


def app_environment(settings: Settings | None = None) -> dict[str, str]:
    """This process's environment plus the app's template folder, and offline a private
    in-memory Qdrant.

    An embedded on-disk store is locked by one process (often a notebook kernel), and offline
    the app fills an empty in-memory collection from the samples in about two seconds.
    """
    environment = dict(os.environ)
    # app/voila/templates/vidrec: the lab template without its Font Awesome CDN links
    paths = [str(project_root() / "app"), environment.get("JUPYTER_PATH", "")]
    environment["JUPYTER_PATH"] = os.pathsep.join(path for path in paths if path)
    settings = settings or get_settings()
    if settings.mode == "offline" and not settings.qdrant_url:
        environment["QDRANT_PATH"] = ":memory:"
    return environment


def stop_server(process: subprocess.Popen, timeout: float = 15) -> None:
    """Stop Voilà (it shuts its kernels down on SIGTERM), then anything of it that survived."""
    try:
        server = psutil.Process(process.pid)
        family = [server, *server.children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    if process.poll() is None:
        process.terminate()
    _gone, alive = psutil.wait_procs(family, timeout=timeout)
    for survivor in alive:  # kernels run in their own sessions: not reached by a group signal
        survivor.kill()
    process.wait()


def run_server(command: list[str], environment: Mapping[str, str]) -> int:
    """Run Voilà until it exits, or until Ctrl+C, SIGTERM or SIGHUP stop it and its kernels."""
    stops = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    # SIGTERM and SIGHUP raise KeyboardInterrupt, as Ctrl+C does, so one path cleans up
    previous = {number: signal.signal(number, signal.default_int_handler) for number in stops}
    process = subprocess.Popen(command, env=dict(environment), start_new_session=True)
    try:
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_server(process)
        for number, handler in previous.items():
            signal.signal(number, handler)
