"""A collection created on a server gets the plan's settings; an embedded one stays plain.

The real `qdrant-client` talks HTTP to a small local app that answers like a Qdrant server and
records every request body, so the test sees exactly what a server would receive.
"""

from __future__ import annotations

import pytest
from flask import Flask, jsonify, request
from qdrant_client import QdrantClient, models

from vidrec_helpers import server_settings
from vidrec_helpers.index import ensure_collection
from vidrec_standins.background import BackgroundServer


def qdrant_like_app(requests: list[tuple[str, str, dict]]) -> Flask:
    """Answers the calls `ensure_collection` makes, as Qdrant's REST API does; records them."""
    app = Flask("qdrant-like")
    created: set[str] = set()

    def answer(result: object):
        return jsonify({"result": result, "status": "ok", "time": 0.0})

    @app.get("/collections/<name>/exists")
    def exists(name: str):
        return answer({"exists": name in created})

    @app.put("/collections/<name>")
    def create(name: str):
        requests.append(("PUT", request.path, request.get_json()))
        created.add(name)
        return answer(True)

    @app.put("/collections/<name>/index")
    def index(name: str):
        requests.append(("PUT", request.path, request.get_json()))
        return answer({"operation_id": len(requests), "status": "completed"})

    return app


@pytest.fixture()
def recorded():
    """(client pointed at the recording server, the list of recorded requests)."""
    requests: list[tuple[str, str, dict]] = []
    with BackgroundServer(qdrant_like_app(requests), name="qdrant-like") as server:
        # no version check: it runs beside the test and could outlive the recorder
        client = QdrantClient(url=server.url, timeout=10, check_compatibility=False)
        yield client, requests
        client.close()


def test_server_collection_is_created_with_the_plans_settings(recorded):
    client, requests = recorded
    assert ensure_collection(client, "vidrec_marengo_512", "marengo3.0", 512) is True
    method, path, body = requests[0]
    assert (method, path) == ("PUT", "/collections/vidrec_marengo_512")
    assert body["vectors"] == {"size": 512, "distance": "Cosine", "on_disk": True}
    assert body["hnsw_config"] == {"m": 16, "ef_construct": 100}
    assert body["quantization_config"] == {
        "scalar": {"type": "int8", "quantile": 0.99, "always_ram": True}
    }
    assert body["on_disk_payload"] is True
    assert body["metadata"] == {"model": "marengo3.0", "dimension": 512}
    schemas = {
        body["field_name"]: body["field_schema"]
        for method, path, body in requests[1:]
        if path == "/collections/vidrec_marengo_512/index"
    }
    assert {schemas[name] for name in ("intent", "mood", "video_id", "scope")} == {"keyword"}
    assert (schemas["duration"], schemas["start_sec"]) == ("float", "float")


def test_embedded_collection_keeps_qdrant_client_defaults():
    client = QdrantClient(location=":memory:")
    ensure_collection(client, "plain", "marengo3.0", 512)
    config = client.get_collection("plain").config
    assert config.quantization_config is None
    assert config.params.vectors.on_disk in (None, False)
    client.close()


@pytest.mark.parametrize(
    ("points", "on_disk"),
    [(None, True), (0, False), (999_999, False), (1_000_000, True), (100_000_000, True)],
)
def test_vectors_go_on_disk_for_large_or_unknown_libraries(points, on_disk):
    vectors = models.VectorParams(size=512, distance=models.Distance.COSINE)
    options = server_settings.collection_options(vectors, expected_points=points)
    assert options["vectors_config"].on_disk is on_disk
    assert vectors.on_disk is None  # the caller's params are not changed


@pytest.mark.parametrize(
    ("points", "shards"),
    [(None, None), (0, 1), (10_000, 1), (20_000_000, 1), (20_000_001, 2), (100_000_000, 5)],
)
def test_shards_follow_the_expected_size(points, shards):
    vectors = models.VectorParams(size=512, distance=models.Distance.COSINE)
    options = server_settings.collection_options(vectors, expected_points=points)
    assert options.get("shard_number") == shards


def test_negative_expected_points_is_refused():
    with pytest.raises(ValueError, match="0 or more"):
        server_settings.shard_number(-1)


def test_search_params_rescore_with_the_plans_beam():
    params = server_settings.search_params()
    assert params.hnsw_ef == server_settings.SEARCH_EF
    assert params.quantization.rescore is True
