"""embed_many and EmbeddingCache: concurrency, failures, caching, resuming, corrupt files."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from standin_fixtures import fake_settings

from vidrec_helpers.config import VidrecError
from vidrec_helpers.embed_cache import EmbeddingCache
from vidrec_helpers.embed_requests import RetryPolicy
from vidrec_helpers.embeddings import embed_many
from vidrec_helpers.records import Segment, VideoEmbedding, VideoSource
from vidrec_helpers.twelvelabs_embedder import PollPolicy, TwelveLabsEmbedder
from vidrec_standins.offline_embedder import SampleEmbedder
from vidrec_standins.twelvelabs import TwelveLabsStandIn

FAST_POLL = PollPolicy(initial=0.01, factor=1.5, maximum=0.05, timeout=10.0)
FAST_RETRY = RetryPolicy(attempts=3, initial=0.01, maximum=0.05)


def FakeTwelveLabs(**changes):  # noqa: N802 - reads like the class it builds
    """The strict stand-in, trusting `?duration=` in the URL (these tests check the batch)."""
    return TwelveLabsStandIn(fetch_media=False, **changes)


def embedder_for(fake: TwelveLabsStandIn, **options) -> TwelveLabsEmbedder:
    return TwelveLabsEmbedder(fake_settings(fake), poll=FAST_POLL, retry=FAST_RETRY, **options)


def sources(count: int) -> list[VideoSource]:
    return [
        VideoSource(f"v{n}", f"hash-{n}", url=f"https://videos.test/v{n}.mp4?duration=10")
        for n in range(count)
    ]


def tiny_embedding(video_id: str = "v1", content_hash: str = "hash-1") -> VideoEmbedding:
    vector = np.ones(4, dtype=np.float32) / 2
    return VideoEmbedding(
        video_id,
        content_hash,
        "marengo3.0",
        [Segment("video", 0, 10, vector), Segment("clip", 0, 6, vector)],
    )


def test_runs_tasks_concurrently_and_embeds_all():
    with FakeTwelveLabs(processing_seconds=0.4) as fake:
        report = embed_many(embedder_for(fake), sources(6), concurrency=3, progress=False)
    assert list(report.embedded) == [f"v{n}" for n in range(6)]  # input order
    assert report.failed == {} and report.from_cache == []
    assert fake.requests["create"] == 6
    assert fake.peak_processing >= 2  # several tasks were in flight at once
    assert "6 embedded (6 new, 0 from cache), 0 failed" in report.summary()


def test_failed_video_is_recorded_and_the_batch_goes_on(tmp_path):
    items = sources(4)
    items[1].url = "https://videos.test/broken.mp4"
    cache = EmbeddingCache(tmp_path)
    with FakeTwelveLabs(fail_urls=("broken",)) as fake:
        report = embed_many(embedder_for(fake), items, concurrency=2, cache=cache, progress=False)
    assert sorted(report.embedded) == ["v0", "v2", "v3"]
    assert list(report.failed) == ["v1"]
    assert "failed to fetch or materialize source media" in report.failed["v1"]
    assert len(list(tmp_path.glob("*.npz"))) == 3  # the failure is not cached


def test_second_run_makes_no_embedding_requests(tmp_path):
    cache = EmbeddingCache(tmp_path)
    with FakeTwelveLabs() as fake:
        first = embed_many(embedder_for(fake), sources(5), cache=cache, progress=False)
        creates = fake.requests["create"]
        second = embed_many(embedder_for(fake), sources(5), cache=cache, progress=False)
        assert fake.requests["create"] == creates == 5
    assert sorted(second.from_cache) == sorted(first.embedded) and second.new == []
    for video_id, embedding in first.embedded.items():
        again = second.embedded[video_id]
        assert again.video_id == video_id and again.model == embedding.model
        assert [(s.scope, s.start_sec, s.end_sec) for s in again.segments] == [
            (s.scope, s.start_sec, s.end_sec) for s in embedding.segments
        ]
        assert all(
            np.array_equal(a.vector, b.vector)
            for a, b in zip(again.segments, embedding.segments, strict=True)
        )


def test_interrupted_run_resumes_with_only_the_missing_videos(tmp_path):
    cache = EmbeddingCache(tmp_path)
    items = sources(8)
    with FakeTwelveLabs(processing_seconds=0.05) as fake:
        embedder = embedder_for(fake)
        started: list[str] = []
        embed_video = embedder.embed_video

        def ctrl_c_at_the_third(source):  # Ctrl-C while the third video starts
            started.append(source.video_id)
            if len(started) == 3:
                raise KeyboardInterrupt
            return embed_video(source)

        embedder.embed_video = ctrl_c_at_the_third
        with pytest.raises(KeyboardInterrupt):
            embed_many(embedder, items, concurrency=2, cache=cache, progress=False)
        cached = len(list(tmp_path.glob("*.npz")))
        first_creates = fake.requests["create"]
        assert 2 <= cached < len(items)
        assert (
            first_creates == cached
        )  # tasks in flight finished and were cached, none started after

        report = embed_many(embedder_for(fake), items, concurrency=2, cache=cache, progress=False)
    assert len(report.from_cache) == cached and len(report.new) == len(items) - cached
    assert fake.requests["create"] == len(items)  # no video was paid for twice
    assert sorted(fake.created_urls) == sorted(s.url for s in items)


def test_corrupt_cache_file_is_set_aside_and_the_video_embedded_again(tmp_path, caplog):
    cache = EmbeddingCache(tmp_path)
    items = sources(2)
    with FakeTwelveLabs() as fake:
        embedder = embedder_for(fake)
        embed_many(embedder, items, cache=cache, progress=False)
        broken = cache.path(items[0].content_hash, embedder.model, embedder.options)
        damaged = broken.read_bytes()[:100]  # a truncated write from some other tool
        broken.write_bytes(damaged)
        report = embed_many(embedder, items, cache=cache, progress=False)
        assert fake.requests["create"] == 3
    assert report.from_cache == ["v1"] and report.new == ["v0"]
    kept = broken.with_suffix(".bad")
    assert kept.read_bytes() == damaged  # kept aside, not deleted
    assert str(broken) in caplog.text and kept.name in caplog.text
    assert cache.load(items[0].content_hash, embedder.model, embedder.options) is not None


def _stored_with(tmp_path, vectors: np.ndarray):
    """A cache holding one file whose vectors were replaced by `vectors` (as another tool might)."""
    cache = EmbeddingCache(tmp_path)
    file = cache.store(tiny_embedding())
    with np.load(file) as archive:
        arrays = dict(archive)
    arrays["vectors"] = vectors.astype(np.float32)
    with file.open("wb") as handle:
        np.savez(handle, **arrays)
    return cache, file


@pytest.mark.parametrize(
    "vectors, problem",
    [
        (np.ones((2, 7)) / 7**0.5, "7-d vectors where 4-d are expected"),
        (np.zeros((2, 4)), "an all-zero vector"),
        (np.full((2, 4), np.nan), "NaN"),
    ],
)
def test_cached_vectors_of_the_wrong_width_zero_or_nan_are_set_aside(
    tmp_path, caplog, vectors, problem
):
    cache, file = _stored_with(tmp_path, vectors)
    assert cache.load("hash-1", "marengo3.0", dimension=4) is None
    assert file.with_suffix(".bad").exists() and not file.exists()
    assert problem in caplog.text and str(file) in caplog.text


def test_zero_or_wrong_width_vectors_are_never_cached(tmp_path):
    cache = EmbeddingCache(tmp_path)
    zero = tiny_embedding()
    zero.segments[0] = Segment("video", 0, 10, np.zeros(4, dtype=np.float32))
    with pytest.raises(VidrecError, match="v1: marengo3.0 gave an all-zero vector"):
        cache.store(zero)
    assert list(tmp_path.iterdir()) == []


def test_a_bad_vector_fails_that_video_only(tmp_path):
    class Mixed(SampleEmbedder):
        def embed_video(self, source):
            embedding = super().embed_video(source)
            if source.video_id == "clip-rocket-run":
                embedding.segments[0] = Segment("video", 0, 1, np.zeros(384, dtype=np.float32))
            return embedding

    items = [VideoSource("clip-rocket-run", "h1"), VideoSource("clip-firefly-forest", "h2")]
    report = embed_many(Mixed(), items, cache=EmbeddingCache(tmp_path), progress=False)
    assert list(report.embedded) == ["clip-firefly-forest"]
    assert "all-zero vector" in report.failed["clip-rocket-run"]


def test_only_old_temporary_files_are_swept(tmp_path):
    writing = tmp_path / "def.x2.tmp"  # maybe another ingest writing it right now
    stale = tmp_path / "ghi.x1.tmp"
    for file in (writing, stale):
        file.write_bytes(b"partial")
    ten_minutes_ago = time.time() - 10 * 60
    os.utime(stale, (ten_minutes_ago, ten_minutes_ago))
    EmbeddingCache(tmp_path)  # opening the cache sweeps what a killed run left
    assert sorted(tmp_path.iterdir()) == [writing]


def test_file_of_another_video_is_not_trusted(tmp_path):
    cache = EmbeddingCache(tmp_path)
    other = cache.store(tiny_embedding("v2", "hash-2"))
    other.replace(cache.path("hash-1", "marengo3.0"))
    assert cache.load("hash-1", "marengo3.0") is None


def test_store_and_load_round_trip(tmp_path):
    cache = EmbeddingCache(tmp_path)
    embedding = tiny_embedding()
    cache.store(embedding, {"embedding_option": ["visual"]})
    loaded = cache.load(
        "hash-1", "marengo3.0", {"embedding_option": ["visual"]}, video_id="renamed"
    )
    assert loaded.video_id == "renamed" and loaded.content_hash == "hash-1"
    assert [(s.scope, s.start_sec, s.end_sec) for s in loaded.segments] == [
        ("video", 0, 10),
        ("clip", 0, 6),
    ]
    assert all(np.array_equal(s.vector, embedding.segments[0].vector) for s in loaded.segments)
    assert list(tmp_path.glob("*.tmp")) == []


def test_key_depends_on_content_model_and_options():
    key = EmbeddingCache.key
    base = key("hash-1", "marengo3.0", {"a": [1], "b": 2})
    assert base == key(
        "hash-1", "marengo3.0", {"b": 2, "a": [1]}
    )  # canonical JSON: order does not matter
    assert (
        len(
            {
                base,
                key("hash-2", "marengo3.0", {"a": [1], "b": 2}),
                key("hash-1", "marengo3.5", {"a": [1], "b": 2}),
                key("hash-1", "marengo3.0", {"a": [2], "b": 2}),
            }
        )
        == 4
    )


def test_changed_options_are_not_served_from_cache(tmp_path):
    cache = EmbeddingCache(tmp_path)
    with FakeTwelveLabs() as fake:
        embed_many(embedder_for(fake), sources(1), cache=cache, progress=False)
        report = embed_many(
            embedder_for(fake, embedding_options=["visual"]),
            sources(1),
            cache=cache,
            progress=False,
        )
        assert fake.requests["create"] == 2
    assert report.from_cache == []


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    cache = EmbeddingCache(tmp_path)

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", explode)
    with pytest.raises(OSError, match="disk full"):
        cache.store(tiny_embedding())
    assert list(tmp_path.iterdir()) == []


def test_default_cache_directory_follows_settings(tmp_path):
    assert (
        EmbeddingCache().directory == tmp_path / "cache" / "embeddings"
    )  # conftest sets VIDREC_CACHE_DIR
