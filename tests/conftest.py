"""Test isolation: offline mode, no real credentials, private caches and stores."""

from __future__ import annotations

import os

import pytest

from vidrec_helpers.config import SERVICE_VARIABLES, get_settings, reload_settings

# Set before any test reads settings (they are read lazily): the environment beats a .env.
for _name in SERVICE_VARIABLES:
    os.environ[_name] = ""
os.environ["VIDREC_MODE"] = "offline"
os.environ["QDRANT_PATH"] = ":memory:"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Each test gets its own cache folder and freshly read settings."""
    monkeypatch.setenv("VIDREC_CACHE_DIR", str(tmp_path / "cache"))
    reload_settings()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def sample():
    """An in-memory Qdrant collection filled from the shipped sample vectors (once per module)."""
    from collection_fixtures import fill_sample_collection

    client, name = fill_sample_collection()
    yield client, name
    client.close()


@pytest.fixture(scope="module")
def encoder():
    """A query encoder for the sample model that knows only the preset queries."""
    from collection_fixtures import PresetOnlyEmbedder

    from vidrec_helpers.queries import QueryEncoder

    return QueryEncoder(PresetOnlyEmbedder())


def live_environment(fake, s3, bucket: str) -> dict[str, str]:
    """Variables for live mode with the real SDKs pointed at a fake TwelveLabs and a local S3."""
    return {
        "VIDREC_MODE": "live",
        "TWELVELABS_API_KEY": "test-key-not-secret",
        "TWELVELABS_BASE_URL": fake.base_url,
        "AWS_ENDPOINT_URL": s3.endpoint_url,
        "AWS_ACCESS_KEY_ID": "vidrec-test",
        "AWS_SECRET_ACCESS_KEY": "vidrec-test-secret",
        "S3_BUCKET": bucket,
        "VIDREC_ALLOW_PRIVATE_URLS": "1",  # the stand-in fetches from 127.0.0.1
    }


def use_live_servers(monkeypatch, fake, s3, bucket: str) -> None:
    """Live mode in this process's environment (see `live_environment`), settings re-read."""
    for name, value in live_environment(fake, s3, bucket).items():
        monkeypatch.setenv(name, value)
    reload_settings()
