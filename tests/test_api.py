"""The Flask API through Flask's test client, and once over real HTTP."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import numpy as np
import pytest
from collection_fixtures import FixedEmbedder, PresetOnlyEmbedder
from qdrant_client import QdrantClient

from vidrec_helpers.api import create_app, start_background_server
from vidrec_helpers.config import Settings
from vidrec_helpers.index import ensure_collection
from vidrec_helpers.labels import INTENTS
from vidrec_helpers.samples import SAMPLE_DIMENSION, SAMPLE_MODEL
from vidrec_helpers.search import DEFAULT, STRATEGIES

LEAKED = "tlk_SECRETSECRET1234 at /srv/internal/db.sqlite"


class BrokenEmbedder:
    """An embedder that fails the way a bug would, with internals in its message."""

    model = SAMPLE_MODEL
    dimension = SAMPLE_DIMENSION

    def embed_text(self, text: str) -> np.ndarray:
        raise RuntimeError(f"connection pool exhausted: {LEAKED}")


@pytest.fixture(scope="module")
def settings():
    return Settings(VIDREC_MODE="offline", QDRANT_PATH=":memory:")


@pytest.fixture(scope="module")
def app(sample, settings):
    client, name = sample
    return create_app(settings, client=client, collection=name, encoder=PresetOnlyEmbedder())


@pytest.fixture
def http(app):
    return app.test_client()


def post(http, path, body, **kwargs):
    return http.post(path, data=json.dumps(body), content_type="application/json", **kwargs)


# ----- routes ---------------------------------------------------------------------------------


def test_health(http):
    response = http.get("/api/health")
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "ok" and data["mode"] == "offline"
    assert (data["model"], data["dimension"]) == (SAMPLE_MODEL, SAMPLE_DIMENSION)
    assert data["points"] == 758 and data["videos"] == 188
    assert data["default_strategy"] == DEFAULT
    assert response.headers["X-Request-ID"]


def test_labels(http):
    data = http.get("/api/labels").get_json()
    assert data["intents"] == INTENTS and set(data["strategies"]) == set(STRATEGIES)


def test_search_by_intent_and_mood(http):
    response = post(http, "/search", {"intent": "kids", "mood": "musical", "top_k": 5})
    assert response.status_code == 200
    data = response.get_json()
    assert len(data["results"]) == 5 and data["strategy"] == DEFAULT
    first = data["results"][0]
    for name in (
        "video_id",
        "filename",
        "start_time",
        "end_time",
        "score",
        "confidence",
        "url",
        "title",
    ):
        assert name in first


def test_search_with_strategy_filters_and_api_prefix(http):
    body = {
        "intent": "kids",
        "mood": "musical",
        "strategy": "fusion",
        "filters": {"intent": "family"},
    }
    data = post(http, "/api/search", body).get_json()
    assert data["strategy"] == "fusion"
    assert data["results"] and all(r["intent"] == "family" for r in data["results"])


def test_search_by_query_text(http):
    data = post(http, "/search", {"query": INTENTS["sci-fi"], "top_k": 3}).get_json()
    assert [r["intent"] for r in data["results"]].count("sci-fi") >= 2


def test_free_text_without_a_text_model_is_422_with_the_hint(http):
    response = post(http, "/search", {"query": "a puppy counting socks"})
    assert response.status_code == 422
    assert "local model" in response.get_json()["error"]


def test_similar(http):
    body = {"video_ids": ["kids-musical-1"], "not": ["kids-musical-2"], "top_k": 4}
    response = post(http, "/similar", body)
    assert response.status_code == 200
    ids = [r["video_id"] for r in response.get_json()["results"]]
    assert len(ids) == 4 and not {"kids-musical-1", "kids-musical-2"} & set(ids)


# ----- client errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "must be a JSON object"),
        ([1, 2], "must be a JSON object"),
        ({"intent": "kids", "colour": "red"}, "unknown field 'colour'"),
        ({"intent": "kids", "top_k": 0}, "top_k: Input should be greater than or equal to 1"),
        ({"intent": "kids", "top_k": 500}, "top_k: Input should be less than or equal to 100"),
        ({"intent": "kids", "top_k": "5"}, "top_k"),
        ({"intent": "horror"}, "unknown intent 'horror': choose one of sci-fi"),
        ({"mood": "sad"}, "unknown mood 'sad'"),
        ({"intent": "kids", "strategy": "magic"}, "unknown strategy 'magic'"),
        ({}, "empty query"),
        ({"query": "x" * 2001}, "query: String should have at most 2000 characters"),
        ({"query": "x" * 1001}, "at most 1000"),
        ({"intent": "kids", "filters": {"min_duration": -1}}, "filters.min_duration"),
        ({"intent": "kids", "filters": {"size": 1}}, "unknown field 'filters.size'"),
    ],
)
def test_search_400s_say_what_is_wrong(http, body, message):
    data = body if isinstance(body, str) else json.dumps(body)
    response = http.post("/search", data=data, content_type="application/json")
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert response.get_json()["request_id"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "video_ids: Field required"),
        ({"video_ids": []}, "video_ids: List should have at least 1 item"),
        ({"video_ids": "kids-musical-1"}, "video_ids: Input should be a valid list"),
        ({"video_ids": ["a"], "not": ["a"]}, "both liked and disliked"),
    ],
)
def test_similar_400s(http, body, message):
    response = post(http, "/similar", body)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_unknown_video_is_404(http):
    response = post(http, "/similar", {"video_ids": ["no-such-video"]})
    assert response.status_code == 404
    assert "'no-such-video'" in response.get_json()["error"]


def test_unknown_route_is_json_404(http):
    response = http.get("/nowhere")
    assert response.status_code == 404 and "error" in response.get_json()


def test_large_body_is_413(http):
    response = post(http, "/search", {"query": "x" * 20_000})
    assert response.status_code == 413
    assert "16384 bytes" in response.get_json()["error"]


# ----- server-side problems -------------------------------------------------------------------


def test_empty_collection_is_503_with_the_next_step(settings):
    client = QdrantClient(location=":memory:")
    ensure_collection(client, "empty", SAMPLE_MODEL, SAMPLE_DIMENSION)
    app = create_app(settings, client=client, collection="empty", encoder=PresetOnlyEmbedder())
    http = app.test_client()
    assert http.get("/api/health").get_json()["points"] == 0
    response = post(http, "/search", {"intent": "kids"})
    assert response.status_code == 503
    assert "run `vidrec ingest` first" in response.get_json()["error"]


def test_defaults_come_from_the_settings():
    app = create_app()  # offline, QDRANT_PATH=:memory: (conftest): a fresh, empty store
    http = app.test_client()
    data = http.get("/api/health").get_json()
    assert (data["mode"], data["model"], data["points"]) == ("offline", SAMPLE_MODEL, 0)
    assert data["collection"] == "vidrec_all_minilm_l6_v2_384"
    assert post(http, "/search", {"intent": "kids"}).status_code == 503


def test_twelvelabs_failure_is_502(sample, settings):
    from vidrec_helpers.embeddings import EmbeddingError

    class Unreachable(BrokenEmbedder):
        def embed_text(self, text: str) -> np.ndarray:
            raise EmbeddingError("embedding the text failed: could not reach TwelveLabs")

    client, name = sample
    app = create_app(settings, client=client, collection=name, encoder=Unreachable())
    response = post(app.test_client(), "/search", {"query": "robots"})
    assert response.status_code == 502
    assert "could not reach TwelveLabs" in response.get_json()["error"]


def test_model_mismatch_is_409(sample, settings):
    client, name = sample
    app = create_app(
        settings, client=client, collection=name, encoder=FixedEmbedder("marengo3.0", 512)
    )
    response = post(app.test_client(), "/search", {"query": "robots"})
    assert response.status_code == 409
    assert "marengo3.0" in response.get_json()["error"]


def test_500_hides_the_exception_and_logs_it_masked(sample, settings, caplog):
    client, name = sample
    app = create_app(settings, client=client, collection=name, encoder=BrokenEmbedder())
    with caplog.at_level(logging.ERROR, logger="vidrec_helpers.api"):
        response = post(app.test_client(), "/search", {"query": "robots"})
    assert response.status_code == 500
    data = response.get_json()
    assert "pool" not in json.dumps(data) and "/srv/internal" not in json.dumps(data)
    assert data["request_id"] == response.headers["X-Request-ID"]
    logged = caplog.text
    assert data["request_id"] in logged and "connection pool exhausted" in logged
    assert "tlk_SECRETSECRET1234" not in logged


# ----- CORS -----------------------------------------------------------------------------------


def test_cors_allows_local_pages_only(http):
    allowed = http.get("/api/health", headers={"Origin": "http://localhost:8866"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:8866"
    other = http.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_cors_origins_are_configurable(sample, settings):
    client, name = sample
    app = create_app(
        settings,
        client=client,
        collection=name,
        encoder=PresetOnlyEmbedder(),
        cors_origins=["https://app.example"],
    )
    http = app.test_client()
    preflight = http.options(
        "/search",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example"
    local = http.get("/api/health", headers={"Origin": "http://localhost:8866"})
    assert "Access-Control-Allow-Origin" not in local.headers


# ----- over real HTTP -------------------------------------------------------------------------


def test_over_real_http(app):
    url, stop = start_background_server(app, port=0)
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=10) as response:
            assert json.load(response)["points"] == 758
        request = urllib.request.Request(
            f"{url}/search",
            data=json.dumps({"intent": "kids", "mood": "musical", "top_k": 3}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert len(json.load(response)["results"]) == 3
        bad = urllib.request.Request(
            f"{url}/search", data=b"{}", headers={"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(bad, timeout=10)
        assert caught.value.code == 400
    finally:
        stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/api/health", timeout=2)


def test_search_can_steer_away_from_videos(http):
    first = post(http, "/search", {"intent": "kids", "mood": "musical", "top_k": 3}).get_json()
    rejected = first["results"][0]["video_id"]
    body = {"intent": "kids", "mood": "musical", "top_k": 3, "not": [rejected]}
    again = post(http, "/search", body)
    assert again.status_code == 200
    assert rejected not in [r["video_id"] for r in again.get_json()["results"]]
    unknown = post(http, "/search", {"intent": "kids", "not": ["no-such-video"]})
    assert unknown.status_code == 404
