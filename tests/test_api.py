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
from vidrec_helpers.queries import default_strategy
from vidrec_helpers.query_input import STRATEGIES
from vidrec_helpers.samples import SAMPLE_DIMENSION, SAMPLE_MODEL
from vidrec_helpers.session import open_session
from vidrec_standins.shipped import load_sample_embeddings

V1 = "/api/v1"
FRONT_END = "http://localhost:3000"
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


def app_for(settings, client, name, encoder, **options):
    """The API searching `name` with `encoder`'s queries (a session of its own)."""
    session = open_session(settings, client=client, collection=name, encoder=encoder)
    return create_app(session, **options)


@pytest.fixture(scope="module")
def app(sample, settings):
    client, name = sample
    return app_for(settings, client, name, PresetOnlyEmbedder())


@pytest.fixture
def http(app):
    return app.test_client()


def post(http, path, body, **kwargs):
    return http.post(path, data=json.dumps(body), content_type="application/json", **kwargs)


# ----- the original tutorial's contract --------------------------------------------------------


#: The fields of a result the original front end reads.
TUTORIAL_FIELDS = ("video_id", "filename", "start_time", "end_time", "score", "confidence", "url")


def assert_tutorial_answer(results: object) -> None:
    """What the original front end keeps: a non-empty array of objects with its fields."""
    assert isinstance(results, list) and results
    for item in results:
        assert set(TUTORIAL_FIELDS) <= set(item)
        assert isinstance(item["video_id"], str) and isinstance(item["start_time"], float)
        assert isinstance(item["filename"], str) and isinstance(item["confidence"], str)
        assert isinstance(item["end_time"], float) and isinstance(item["score"], float)
        assert item["url"] is None or isinstance(item["url"], str)


def test_tutorial_search_answers_a_bare_array(http):
    response = post(http, "/search", {"query": INTENTS["family"]}, headers={"Origin": FRONT_END})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == FRONT_END
    results = response.get_json()
    assert_tutorial_answer(results)
    assert "" in {item["filename"] for item in results}  # catalog entries without a file


def test_tutorial_preflight_allows_the_front_end(http):
    preflight = http.options(
        "/search",
        headers={
            "Origin": FRONT_END,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == FRONT_END
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_index_answers_200_with_the_routes(http):
    response = http.get("/")
    assert response.status_code == 200
    routes = response.get_json()["routes"]
    assert "POST /search" in routes and f"POST {V1}/search" in routes
    assert "POST /api/search" not in routes and not any("static" in route for route in routes)


def test_serve_warms_the_text_model_before_it_listens(sample, settings, monkeypatch):
    from vidrec_helpers import api

    client, name = sample
    session = open_session(
        settings,
        client=client,
        collection=name,
        encoder=PresetOnlyEmbedder(),
        ingest_if_empty=False,
    )
    events = []
    monkeypatch.setattr(session, "warm_up", lambda: events.append("warm") or ["text model"])

    def listening(*args, **kwargs):
        events.append("listen")
        raise KeyboardInterrupt  # stop before serving

    monkeypatch.setattr(api, "make_server", listening)
    with pytest.raises(KeyboardInterrupt):
        api.serve("127.0.0.1", 0, session=session)
    assert events == ["warm", "listen"]


# ----- requests a browser page on another site could make ------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_415(http, content_type):
    body = json.dumps({"intent": "kids"})
    headers = {"Content-Type": content_type} if content_type else {}
    response = http.post("/search", data=body, headers=headers)
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.get_json()["error"]


def test_deeply_nested_json_is_a_400(http, caplog):
    with caplog.at_level(logging.ERROR):
        response = http.post("/search", data="[" * 5000, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.get_json()["error"]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "127.0.0.1.evil.example"])
def test_a_foreign_host_is_refused(http, host):
    response = http.get("/api/v1/health", headers={"Host": host})
    assert response.status_code == 400
    assert "--allowed-host" in response.get_json()["error"]


@pytest.mark.parametrize("host", ["localhost:5000", "127.0.0.1", "[::1]:8080", "LOCALHOST"])
def test_local_hosts_are_accepted(http, host):
    assert http.get("/api/v1/health", headers={"Host": host}).status_code == 200


def test_allowed_hosts_are_added(sample, settings):
    client, name = sample
    app = app_for(
        settings, client, name, PresetOnlyEmbedder(), allowed_hosts=["search.example.org"]
    )
    http = app.test_client()
    assert http.get("/", headers={"Host": "search.example.org"}).status_code == 200
    assert http.get("/", headers={"Host": "localhost"}).status_code == 200
    assert http.get("/", headers={"Host": "other.example.org"}).status_code == 400


# ----- vidrec's richer answers ------------------------------------------------------------------


def test_health(http):
    response = http.get("/api/v1/health")
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "ok" and data["mode"] == "offline"
    assert (data["model"], data["dimension"]) == (SAMPLE_MODEL, SAMPLE_DIMENSION)
    shipped = load_sample_embeddings()
    assert data["points"] == int((shipped["kind"] != "query").sum())
    assert data["videos"] == int((shipped["kind"] == "video").sum())
    assert data["default_strategy"] == default_strategy(SAMPLE_MODEL)
    assert response.headers["X-Request-ID"]


def test_labels(http):
    data = http.get("/api/v1/labels").get_json()
    assert data["intents"] == INTENTS and set(data["strategies"]) == set(STRATEGIES)


def test_search_by_intent_and_mood(http):
    response = post(http, V1 + "/search", {"intent": "kids", "mood": "musical", "top_k": 5})
    assert response.status_code == 200
    data = response.get_json()
    assert len(data["results"]) == 5 and data["strategy"] == default_strategy(SAMPLE_MODEL)
    first = data["results"][0]
    for name in (*TUTORIAL_FIELDS, "title"):
        assert name in first


def test_filename_is_always_a_string(http):
    data = post(
        http, V1 + "/search", {"intent": "family", "mood": "comedy", "top_k": 20}
    ).get_json()
    names = [result["filename"] for result in data["results"]]
    assert all(isinstance(name, str) for name in names) and "" in names


def test_search_with_strategy_and_filters(http):
    body = {
        "intent": "kids",
        "mood": "musical",
        "strategy": "weighted",
        "filters": {"intent": "family"},
    }
    data = post(http, V1 + "/search", body).get_json()
    assert data["strategy"] == "weighted"
    assert data["results"] and all(r["intent"] == "family" for r in data["results"])


def test_search_by_query_text(http):
    data = post(http, V1 + "/search", {"query": INTENTS["sci-fi"], "top_k": 3}).get_json()
    assert [r["intent"] for r in data["results"]].count("sci-fi") >= 2


def test_free_text_without_a_text_model_is_422_with_the_hint(http):
    response = post(http, "/search", {"query": "a puppy counting socks"})
    assert response.status_code == 422
    assert "local model" in response.get_json()["error"]


def test_similar(http):
    body = {"video_ids": ["kids-musical-1"], "not": ["kids-musical-2"], "top_k": 4}
    response = post(http, V1 + "/similar", body)
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
        ({"intent": "horror"}, "intent: Input should be 'sci-fi', 'cartoon'"),
        ({"mood": "sad"}, "mood: Input should be 'comedy'"),
        ({"intent": "kids", "strategy": "magic"}, "strategy: Input should be 'baseline'"),
        # fused prefetches are comparison rows of `vidrec evaluate`, not strategies
        (
            {"intent": "kids", "strategy": "dbsf"},
            "strategy: Input should be 'baseline', 'weighted' or 'contrast_video'",
        ),
        ({"intent": "kids", "filters": {"mood": "sad"}}, "filters.mood: Input should be"),
        ({}, "empty query"),
        ({"query": "x" * 1001}, "query: 1001 characters; the model reads at most 1000"),
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
    if isinstance(body, dict):  # every problem of a JSON object, one line each
        assert any(message in line for line in response.get_json()["details"])


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
    response = post(http, V1 + "/similar", body)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_unknown_video_is_404(http):
    response = post(http, V1 + "/similar", {"video_ids": ["no-such-video"]})
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
    app = app_for(settings, client, "empty", PresetOnlyEmbedder())
    http = app.test_client()
    assert http.get("/api/v1/health").get_json()["points"] == 0
    response = post(http, "/search", {"intent": "kids"})
    assert response.status_code == 503
    assert "run `vidrec ingest` first" in response.get_json()["error"]


def test_defaults_come_from_the_settings():
    app = create_app()  # offline, QDRANT_PATH=:memory: (conftest): a fresh, empty store
    http = app.test_client()
    data = http.get("/api/v1/health").get_json()
    assert (data["mode"], data["model"], data["points"]) == ("offline", SAMPLE_MODEL, 0)
    assert data["collection"] == "vidrec_all_minilm_l6_v2_384"
    assert post(http, "/search", {"intent": "kids"}).status_code == 503


def test_twelvelabs_failure_is_502(sample, settings):
    from vidrec_helpers.embeddings import EmbeddingError

    class Unreachable(BrokenEmbedder):
        def embed_text(self, text: str) -> np.ndarray:
            raise EmbeddingError("embedding the text failed: could not reach TwelveLabs")

    client, name = sample
    app = app_for(settings, client, name, Unreachable())
    response = post(app.test_client(), "/search", {"query": "robots"})
    assert response.status_code == 502
    assert "could not reach TwelveLabs" in response.get_json()["error"]


def test_model_mismatch_is_409(sample, settings):
    client, name = sample
    app = app_for(settings, client, name, FixedEmbedder("marengo3.0", 512))
    response = post(app.test_client(), "/search", {"query": "robots"})
    assert response.status_code == 409
    assert "marengo3.0" in response.get_json()["error"]


def test_500_hides_the_exception_and_logs_it_masked(sample, settings, caplog):
    client, name = sample
    app = app_for(settings, client, name, BrokenEmbedder())
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
    allowed = http.get("/api/v1/health", headers={"Origin": "http://localhost:8866"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:8866"
    other = http.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_cors_origins_are_configurable(sample, settings):
    client, name = sample
    app = app_for(
        settings, client, name, PresetOnlyEmbedder(), cors_origins=["https://app.example"]
    )
    http = app.test_client()
    preflight = http.options(
        "/search",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example"
    local = http.get("/api/v1/health", headers={"Origin": "http://localhost:8866"})
    assert "Access-Control-Allow-Origin" not in local.headers


# ----- over real HTTP -------------------------------------------------------------------------


def front_end_request(url: str, body: bytes, origin: str = FRONT_END) -> urllib.request.Request:
    """A request shaped as the original Next.js front end sends it (fetch with a JSON body)."""
    headers = {"Content-Type": "application/json", "Origin": origin, "Accept": "*/*"}
    return urllib.request.Request(f"{url}/search", data=body, headers=headers, method="POST")


def test_the_original_front_end_over_real_http(app):
    url, stop = start_background_server(app, port=0)
    try:
        preflight = urllib.request.Request(
            f"{url}/search",
            method="OPTIONS",
            headers={
                "Origin": FRONT_END,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        with urllib.request.urlopen(preflight, timeout=10) as response:
            assert response.headers["Access-Control-Allow-Origin"] == FRONT_END
            assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()
        query = json.dumps({"query": INTENTS["kids"]}).encode()
        with urllib.request.urlopen(front_end_request(url, query), timeout=10) as response:
            assert response.headers["Access-Control-Allow-Origin"] == FRONT_END
            results = json.load(response)
        assert_tutorial_answer(results)
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(front_end_request(url, b"{}"), timeout=10)
        assert caught.value.code == 400 and "error" in json.load(caught.value)
        with urllib.request.urlopen(f"{url}/", timeout=10) as response:
            assert "POST /search" in json.load(response)["routes"]
    finally:
        stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/api/v1/health", timeout=2)


def test_search_can_steer_away_from_videos(http):
    first = post(http, V1 + "/search", {"intent": "kids", "mood": "musical", "top_k": 3}).get_json()
    rejected = first["results"][0]["video_id"]
    body = {"intent": "kids", "mood": "musical", "top_k": 3, "not": [rejected]}
    again = post(http, V1 + "/search", body)
    assert again.status_code == 200
    assert rejected not in [r["video_id"] for r in again.get_json()["results"]]
    unknown = post(http, "/search", {"intent": "kids", "not": ["no-such-video"]})
    assert unknown.status_code == 404
