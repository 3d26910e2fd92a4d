"""A session: what every front end shares, with URLs signed when results are read."""

from __future__ import annotations

import urllib.request

import pytest

from vidrec_helpers.config import Settings
from vidrec_helpers.session import open_session


@pytest.fixture(scope="module")
def session():
    return open_session(Settings(_env_file=None, qdrant_path=":memory:", forced_mode="offline"))


def test_offline_session_fills_an_empty_collection(session):
    status = session.status()
    assert status["mode"] == "offline"
    assert status["model"] == "all-MiniLM-L6-v2"
    assert status["points"] >= 188


def test_nothing_is_uploaded_or_signed_before_a_url_is_read():
    fresh = open_session(Settings(_env_file=None, qdrant_path=":memory:", forced_mode="offline"))
    response = fresh.search(intent="fantasy", mood="magical", top_k=20)
    assert response.results and fresh._s3 is None
    assert any(result.url for result in response.results)
    assert fresh._s3 is not None


def test_result_urls_are_fresh_and_play(session):
    response = session.search(intent="fantasy", mood="magical", top_k=20)
    with_video = [r for r in response.results if r.url]
    assert with_video, "a sample clip should be among 20 fantasy/magical results"
    result = with_video[0]
    assert "X-Amz-Signature" in result.url and result.to_dict()["url"] == result.url
    with urllib.request.urlopen(result.url, timeout=10) as answer:
        assert answer.headers["Content-Type"] == "video/mp4"
        assert answer.read(12)[4:8] == b"ftyp"  # an mp4 file


def test_catalog_only_results_have_no_url(session):
    response = session.search(intent="family", mood="comedy", top_k=10)
    assert any(r.url is None for r in response.results)


def test_one_factory_takes_an_encoder_and_a_collection(sample):
    from collection_fixtures import PresetOnlyEmbedder

    client, name = sample
    settings = Settings(_env_file=None, qdrant_path=":memory:", forced_mode="offline")
    opened = open_session(settings, client=client, collection=name, encoder=PresetOnlyEmbedder())
    assert (opened.collection, opened.point_count()) == (name, client.count(name).count)
    assert opened.search(intent="kids", top_k=3).results


def test_similar_goes_through_the_session(session):
    first = session.search(intent="kids", mood="musical", top_k=3).results[0].video_id
    response = session.similar([first], top_k=5)
    assert first not in [r.video_id for r in response.results]
    assert len(response.results) == 5


def test_warm_up_loads_what_a_first_request_waits_for():
    from collection_fixtures import PresetOnlyEmbedder

    settings = Settings(_env_file=None, qdrant_path=":memory:", forced_mode="offline")
    opened = open_session(settings, encoder=PresetOnlyEmbedder(), ingest_if_empty=False)
    asked = []
    opened.embedder.embed_text = asked.append
    opened.free_text_available = lambda: True
    assert opened._s3 is None
    assert opened.warm_up() == ["text model all-MiniLM-L6-v2", "local S3 server"]
    assert asked and opened._s3 is not None


@pytest.mark.parametrize(
    ("ingest_if_empty", "mode", "fills"),
    [
        (None, "offline", True),
        (None, "live", False),
        (True, "live", True),
        (False, "offline", False),
    ],
)
def test_when_an_empty_collection_is_filled(monkeypatch, ingest_if_empty, mode, fills):
    from collection_fixtures import PresetOnlyEmbedder
    from qdrant_client import QdrantClient

    from vidrec_helpers import pipeline

    calls = []
    monkeypatch.setattr(pipeline, "ingest", lambda **options: calls.append(options))
    settings = Settings(_env_file=None, qdrant_path=":memory:", forced_mode=mode)
    open_session(
        settings,
        client=QdrantClient(location=":memory:"),
        embedder=PresetOnlyEmbedder(),
        ingest_if_empty=ingest_if_empty,
    )
    assert bool(calls) == fills
    assert all(call["upload"] == (mode == "live") for call in calls)
