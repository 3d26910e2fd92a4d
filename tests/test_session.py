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


def test_result_urls_are_fresh_and_play(session):
    response = session.search(intent="fantasy", mood="magical", top_k=20)
    with_video = [r for r in response.results if r.url]
    assert with_video, "a sample clip should be among 20 fantasy/magical results"
    result = with_video[0]
    assert result.s3_key and "X-Amz-Signature" in result.url
    with urllib.request.urlopen(result.url, timeout=10) as answer:
        assert answer.headers["Content-Type"] == "video/mp4"
        assert answer.read(12)[4:8] == b"ftyp"  # an mp4 file


def test_catalog_only_results_have_no_url(session):
    response = session.search(intent="family", mood="comedy", top_k=10)
    assert any(r.url is None for r in response.results)


def test_similar_goes_through_the_session(session):
    first = session.search(intent="kids", mood="musical", top_k=3).results[0].video_id
    response = session.similar([first], top_k=5)
    assert first not in [r.video_id for r in response.results]
    assert len(response.results) == 5
