"""SampleEmbedder: the shipped vectors, looked up by catalog id or by a sample file's content."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vidrec_helpers import embeddings
from vidrec_helpers.config import VidrecError
from vidrec_helpers.embeddings import SampleEmbedder, embed_many
from vidrec_helpers.records import VideoSource, file_sha256, unit

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
def video_dir(tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "scifi-b.mp4").write_bytes(b"pretend these are the bytes of the sci-fi sample")
    return folder


@pytest.fixture
def embedder(frame, video_dir) -> SampleEmbedder:
    catalog = [{"id": "kids-a", "filename": None}, {"id": "scifi-b", "filename": "scifi-b.mp4"}]
    return SampleEmbedder(embeddings=frame, catalog=catalog, video_dir=video_dir)


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


def test_embeds_a_sample_file_by_its_content_hash(embedder, video_dir):
    file = video_dir / "scifi-b.mp4"
    embedding = embedder.embed_video(VideoSource("my-upload", file_sha256(file), path=file))
    assert embedding.video_id == "my-upload"
    assert np.allclose(embedding.video_segment.vector, vector(4), atol=1e-6)


def test_unknown_video_says_what_offline_mode_can_do(embedder):
    with pytest.raises(VidrecError) as caught:
        embedder.embed_video(VideoSource("holiday", "hash-of-my-own-video"))
    assert (
        "offline mode can only embed the sample videos/catalog; set TWELVELABS_API_KEY to embed your own"
        in str(caught.value)
    )


def test_preset_queries_work_without_a_text_model(embedder, monkeypatch):
    monkeypatch.setattr(embeddings, "local_model_available", lambda: False)
    assert np.allclose(embedder.embed_text("intent:kids"), vector(5), atol=1e-6)
    assert np.allclose(embedder.embed_text("funny and lighthearted"), vector(6), atol=1e-6)


def test_free_text_without_a_text_model_explains_the_options(embedder, monkeypatch):
    monkeypatch.setattr(embeddings, "local_model_available", lambda: False)
    with pytest.raises(VidrecError) as caught:
        embedder.embed_text("a robot learning to paint")
    message = str(caught.value)
    assert "intent:kids" in message and "mood:comedy" in message
    assert 'pip install -e ".[local]"' in message and "pip install torch==2.13.0" in message
    assert "TWELVELABS_API_KEY" in message


def test_free_text_goes_to_the_text_model_when_installed(frame, monkeypatch):
    class FakeTextModel:
        def embed_text(self, text):
            return vector(99)

    monkeypatch.setattr(embeddings, "local_model_available", lambda: True)
    embedder = SampleEmbedder(embeddings=frame, catalog=[], text_embedder=FakeTextModel())
    assert np.allclose(embedder.embed_text("a robot learning to paint"), vector(99), atol=1e-6)


def test_embed_many_works_offline_and_records_unknown_videos(embedder, tmp_path):
    items = [VideoSource("kids-a", "h1"), VideoSource("scifi-b", "h2"), VideoSource("mine", "h3")]
    report = embed_many(embedder, items, concurrency=2, progress=False)
    assert sorted(report.embedded) == ["kids-a", "scifi-b"]
    assert "offline mode can only embed" in report.failed["mine"]


def test_make_embedder_is_offline_by_default():
    assert isinstance(embeddings.make_embedder(), SampleEmbedder)  # conftest: VIDREC_MODE=offline


def test_shipped_samples_by_id_and_by_file_content():
    from vidrec_helpers import samples

    folder = samples.sample_video_dir()
    entry = next(
        e for e in samples.load_catalog() if e["filename"] and (folder / e["filename"]).is_file()
    )
    file = folder / entry["filename"]
    embedder = SampleEmbedder()
    by_file = embedder.embed_video(VideoSource("my-copy", file_sha256(file), path=file))
    by_id = embedder.embed_video(VideoSource(entry["id"], "any-hash"))
    assert by_file.video_id == "my-copy" and by_file.dimension == DIMENSION
    assert len(by_file.clip_segments) == len(entry["scenes"])
    assert all(
        np.array_equal(a.vector, b.vector)
        for a, b in zip(by_file.segments, by_id.segments, strict=True)
    )
