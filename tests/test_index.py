"""Qdrant helpers: collection guard, deterministic ids, batched idempotent upserts."""

from __future__ import annotations

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

from vidrec_helpers.config import Settings, VidrecError
from vidrec_helpers.index import (
    collection_name,
    connect,
    count_points,
    ensure_collection,
    is_embedded,
    point_id,
    points_for,
    upsert_points,
)
from vidrec_helpers.records import Segment, VideoEmbedding, VideoSource, unit


def embedding(
    content_hash: str, dimension: int = 8, clips: int = 3, model: str = "m"
) -> VideoEmbedding:
    rng = np.random.default_rng(abs(hash(content_hash)) % 2**32)
    segments = [Segment("video", 0.0, 30.0, unit(rng.standard_normal(dimension)))]
    segments += [
        Segment("clip", i * 10.0, (i + 1) * 10.0, unit(rng.standard_normal(dimension)))
        for i in range(clips)
    ]
    return VideoEmbedding(content_hash, content_hash, model, segments)


def source(content_hash: str) -> VideoSource:
    return VideoSource(
        video_id=content_hash,
        content_hash=content_hash,
        title="t",
        intent="kids",
        mood="comedy",
        duration=30.0,
    )


def test_collection_names_are_per_embedding_space():
    assert collection_name("marengo3.0", 512) == "vidrec_marengo3_0_512"
    assert collection_name("all-MiniLM-L6-v2", 384) == "vidrec_all_minilm_l6_v2_384"
    assert collection_name("marengo3.5", 256) != collection_name("marengo3.5", 512)


def test_point_ids_are_deterministic_and_distinct():
    a = point_id("abc", "clip", 0.0, 6.0)
    assert a == point_id("abc", "clip", 0.0, 6.0)
    assert (
        len(
            {
                a,
                point_id("abc", "clip", 6.0, 12.0),
                point_id("abc", "video", 0.0, 6.0),
                point_id("abd", "clip", 0.0, 6.0),
            }
        )
        == 4
    )


def test_guard_refuses_another_dimension_or_model():
    client = QdrantClient(location=":memory:")
    assert ensure_collection(client, "c", "m", 8) is True
    assert ensure_collection(client, "c", "m", 8) is False
    with pytest.raises(VidrecError, match="dimension 8.*refusing.*dimension 16"):
        ensure_collection(client, "c", "m", 16)
    with pytest.raises(VidrecError, match="refusing to add other-model"):
        ensure_collection(client, "c", "other-model", 8)


def test_upsert_counts_and_is_idempotent():
    client = QdrantClient(location=":memory:")
    ensure_collection(client, "c", "m", 8)
    points = [p for n in range(30) for p in points_for(source(f"h{n}"), embedding(f"h{n}"))]
    assert upsert_points(client, "c", (point for point in points), batch_size=50) == 120
    upsert_points(client, "c", points, batch_size=50)
    assert count_points(client, "c") == 120
    assert count_points(client, "c", scope="video") == 30
    assert count_points(client, "missing") == 0


def test_payload_carries_the_result_card_fields():
    point = points_for(source("h1"), embedding("h1"))[1]
    assert point.payload["scope"] == "clip"
    assert point.payload["start_sec"] == 0.0 and point.payload["end_sec"] == 10.0
    assert {
        "video_id",
        "title",
        "filename",
        "url",
        "s3_key",
        "intent",
        "mood",
        "duration",
        "model",
    } <= set(point.payload)


def test_connect_memory_disk_and_lock(tmp_path):
    memory = connect(Settings(_env_file=None, qdrant_path=":memory:"))
    assert is_embedded(memory)
    settings = Settings(_env_file=None, qdrant_path=str(tmp_path / "store"))
    first = connect(settings)
    assert connect(settings) is first  # one client per on-disk store in a process
    ensure_collection(first, "c", "m", 8)
    # another process holding the store gets a clear message, not a stack trace
    import subprocess
    import sys

    code = (
        "from vidrec_helpers.config import Settings; from vidrec_helpers.index import connect;"
        f"connect(Settings(_env_file=None, qdrant_path={str(tmp_path / 'store')!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "open in another process" in result.stderr


# ----- the model guard without collection metadata (Qdrant servers before 1.16) ----------------


def without_metadata(client: QdrantClient, monkeypatch) -> None:
    """Make `client` answer like an older server: collections come back without `metadata`."""
    real = client.get_collection

    def get_collection(name, *args, **kwargs):
        info = real(name, *args, **kwargs)
        info.config.metadata = None
        return info

    monkeypatch.setattr(client, "get_collection", get_collection)


def test_guard_reads_the_model_from_the_name_without_metadata(monkeypatch):
    client = QdrantClient(location=":memory:")
    without_metadata(client, monkeypatch)
    name = collection_name("marengo3.0", 512)
    assert ensure_collection(client, name, "marengo3.0", 512) is True
    assert ensure_collection(client, name, "marengo3.0", 512) is False
    with pytest.raises(VidrecError, match="holds marengo3.0 vectors.*refusing to add marengo3.5"):
        ensure_collection(client, name, "marengo3.5", 512)


def test_guard_reads_the_model_from_a_point_without_metadata(monkeypatch):
    client = QdrantClient(location=":memory:")
    without_metadata(client, monkeypatch)
    ensure_collection(client, "videos", "marengo3.0", 8)
    upsert_points(client, "videos", points_for(source("h1"), embedding("h1", model="marengo3.0")))
    with pytest.raises(VidrecError, match="holds marengo3.0 vectors"):
        ensure_collection(client, "videos", "marengo3.5", 8)


# ----- payload -----------------------------------------------------------------------------------


def test_payload_stores_the_s3_key_never_a_presigned_url():
    item = source("h1")
    item.s3_key = "videos/abc/clip.mp4"
    item.url = (
        "https://b.s3.amazonaws.com/videos/abc/clip.mp4?X-Amz-Security-Token=t&X-Amz-Signature=s"
    )
    payload = points_for(item, embedding("h1"))[0].payload
    assert payload["s3_key"] == "videos/abc/clip.mp4" and payload["url"] is None


def test_payload_duration_falls_back_to_the_video_segment():
    item = source("h2")
    item.duration = None
    payloads = [point.payload for point in points_for(item, embedding("h2"))]
    assert {payload["duration"] for payload in payloads} == {30.0}


# ----- a damaged store, an unreachable server ----------------------------------------------------


def damage(store, how: str) -> None:
    if how == "meta.json":
        (store / "meta.json").write_text("garbage")
    elif how == "truncated":
        database = next(store.rglob("storage.sqlite"))
        database.write_bytes(database.read_bytes()[:100])
    else:
        import sqlite3

        database = sqlite3.connect(next(store.rglob("storage.sqlite")))
        database.execute("update points set point = ?", (b"not a pickle",))
        database.commit()
        database.close()


@pytest.mark.parametrize("how", ["meta.json", "truncated", "pickle"])
def test_a_damaged_store_names_its_path_and_the_recovery(tmp_path, how):
    store = tmp_path / "store"
    first = QdrantClient(path=str(store))
    ensure_collection(first, "c", "m", 8)
    upsert_points(first, "c", points_for(source("h1"), embedding("h1")))
    first.close()
    damage(store, how)
    with pytest.raises(VidrecError) as caught:
        connect(Settings(_env_file=None, qdrant_path=str(store)))
    message = str(caught.value)
    assert str(store) in message and "move the folder aside" in message
    assert "vidrec ingest" in message


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_server_is_named_with_a_hint_and_no_password():
    url = f"http://admin:hunter2secret@127.0.0.1:{free_port()}"
    with pytest.raises(VidrecError) as caught:
        connect(Settings(_env_file=None, QDRANT_URL=url, QDRANT_TIMEOUT=2))
    message = str(caught.value)
    assert f"http://admin:****@127.0.0.1:{url.rsplit(':', 1)[1]}" in message
    assert "hunter2secret" not in message and "is it running" in message


def test_the_rest_timeout_reaches_the_client(monkeypatch):
    from vidrec_helpers import index

    made = {}

    class Recording:
        def __init__(self, **options):
            made.update(options)

        def get_collections(self):
            return []

    monkeypatch.setattr(index, "QdrantClient", Recording)
    connect(Settings(_env_file=None, QDRANT_URL="http://qdrant.test:6333", QDRANT_TIMEOUT="30"))
    assert made["timeout"] == 30 and made["url"] == "http://qdrant.test:6333"


def test_upsert_streams_the_points_a_batch_at_a_time():
    """50,000 points of 512 Python floats would take ~800 MB as one list: batches are pulled lazily."""
    made: list[int] = []
    seen_at_upsert: list[int] = []

    def points():
        for number in range(10):
            made.append(number)
            yield models.PointStruct(id=number, vector=[1.0, 0.0], payload={})

    class Recorder:
        def upsert(self, name, batch, wait):
            seen_at_upsert.append(len(made))

    assert upsert_points(Recorder(), "c", points(), batch_size=4) == 10
    assert seen_at_upsert == [4, 8, 10]
