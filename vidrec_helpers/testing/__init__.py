"""Test helpers shipped with the package: a fake TwelveLabs server (mp4s: vidrec_standins.media)."""

from __future__ import annotations

from vidrec_standins.media import make_test_video

from ..config import Settings
from .fake_twelvelabs import FakeBehaviour, FakeTwelveLabs

__all__ = ["FAKE_API_KEY", "FakeBehaviour", "FakeTwelveLabs", "fake_settings", "make_test_video"]

#: A key-shaped test key (never a real one); the fake server accepts any non-empty key.
FAKE_API_KEY = "fake-twelvelabs-key-not-real"


def fake_settings(fake: FakeTwelveLabs, **overrides: object) -> Settings:
    """Live-mode settings pointing the real SDK at `fake`, ignoring .env (for tests and benchmarks)."""
    values: dict[str, object] = {
        "twelvelabs_api_key": FAKE_API_KEY,
        "twelvelabs_base_url": fake.base_url,
        "forced_mode": "live",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)
