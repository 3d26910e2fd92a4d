"""Helpers for tests that run the real twelvelabs SDK against the local Embed v2 stand-in."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, send_file

from vidrec_helpers.config import Settings
from vidrec_standins.background import BackgroundServer
from vidrec_standins.twelvelabs import TwelveLabsStandIn

#: A key-shaped test key (never a real one); the stand-in accepts any non-empty key.
FAKE_API_KEY = "fake-twelvelabs-key-not-real"


def fake_settings(standin: TwelveLabsStandIn, **overrides: object) -> Settings:
    """Live-mode settings pointing the real SDK at `standin`, ignoring .env."""
    values: dict[str, object] = {
        "twelvelabs_api_key": FAKE_API_KEY,
        "twelvelabs_base_url": standin.base_url,
        "forced_mode": "live",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


class SleepRecorder:
    """Stands in for time.sleep: records each wait (so tests check waits, not wall time)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def media_server(folder: Path) -> BackgroundServer:
    """A plain HTTP server for the files in `folder` at /media/<name> (what the stand-in fetches)."""
    app = Flask("media")

    @app.route("/media/<name>")
    def media(name: str):  # noqa: ANN202
        file = folder / name
        return send_file(file) if file.is_file() else abort(404)

    return BackgroundServer(app, name="media")
