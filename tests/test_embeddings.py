"""TwelveLabsEmbedder: the real twelvelabs SDK against a local fake Embed v2 server."""

from __future__ import annotations

import numpy as np
import pytest
from standin_fixtures import SleepRecorder, fake_settings
from twelvelabs.types import EmbeddingData

from vidrec_helpers.config import Settings, VidrecError
from vidrec_helpers.embed_requests import RetryPolicy, server_wait
from vidrec_helpers.embeddings import EmbeddingError, EmbeddingTimeoutError, make_embedder
from vidrec_helpers.records import VideoSource
from vidrec_helpers.twelvelabs_embedder import PollPolicy, TwelveLabsEmbedder, segments_from_data
from vidrec_standins.offline_embedder import SampleEmbedder
from vidrec_standins.twelvelabs import TwelveLabsStandIn

FAST_POLL = PollPolicy(initial=0.01, factor=1.5, maximum=0.05, timeout=10.0)
FAST_RETRY = RetryPolicy(
    attempts=4, initial=0.01, maximum=0.05, untold_wait=0.05, rate_limited_for=1.0
)


def FakeTwelveLabs(**changes):  # noqa: N802 - reads like the class it builds
    """The strict stand-in, trusting `?duration=` in the URL (these tests check client mechanics)."""
    return TwelveLabsStandIn(fetch_media=False, **changes)


def embedder_for(
    fake: TwelveLabsStandIn,
    *,
    sleep=None,
    poll=FAST_POLL,
    retry=FAST_RETRY,
    settings=None,
    **options,
):
    """A TwelveLabsEmbedder pointed at `fake` with tiny waits."""
    extra = {"sleep": sleep} if sleep is not None else {}
    return TwelveLabsEmbedder(
        settings or fake_settings(fake), poll=poll, retry=retry, **options, **extra
    )


def source(name: str = "v1", duration: float = 15) -> VideoSource:
    return VideoSource(
        name, f"hash-{name}", url=f"https://videos.test/{name}.mp4?duration={duration}"
    )


@pytest.fixture
def fake():
    with FakeTwelveLabs() as server:
        yield server


def test_task_lifecycle_processing_then_ready():
    with FakeTwelveLabs(processing_seconds=0.15) as fake:
        embedding = embedder_for(fake).embed_video(source("v1", duration=15))
    assert fake.statuses["processing"] >= 1 and fake.statuses["ready"] == 1
    assert fake.requests["create"] == 1
    assert embedding.video_id == "v1" and embedding.content_hash == "hash-v1"
    assert embedding.model == "marengo3.0" and embedding.dimension == 512
    video = embedding.video_segment
    assert (video.start_sec, video.end_sec) == (0.0, 15.0)
    # Marengo 3.0's default segmentation: at least 4 s per segment
    assert [(c.start_sec, c.end_sec) for c in embedding.segments if c.scope == "clip"] == [
        (0, 4),
        (4, 8),
        (8, 12),
        (12, 15),
    ]
    for segment in embedding.segments:
        assert segment.vector.dtype == np.float32
        assert np.linalg.norm(segment.vector) == pytest.approx(1.0, abs=1e-5)


def test_request_carries_url_model_options_and_scopes(fake):
    embedder_for(fake).embed_video(source("v1"))
    body = fake.request_bodies[-1]
    assert body["input_type"] == "video" and body["model_name"] == "marengo3.0"
    assert body["video"]["media_source"] == {"url": "https://videos.test/v1.mp4?duration=15"}
    assert body["video"]["embedding_option"] == ["visual", "audio"]
    assert body["video"]["embedding_scope"] == ["clip", "asset"]
    assert "embedding_dimension" not in body


def test_options_are_averaged_per_segment(fake):
    embedding = embedder_for(fake).embed_video(source("v1"))
    url = "https://videos.test/v1.mp4?duration=15"
    visual = fake.vector(url) + 0.6 * fake.vector(url, "asset", 0.0, "visual")
    audio = fake.vector(url) + 0.6 * fake.vector(url, "asset", 0.0, "audio")
    expected = visual / np.linalg.norm(visual) + audio / np.linalg.norm(audio)
    expected /= np.linalg.norm(expected)
    assert np.allclose(embedding.video_segment.vector, expected, atol=1e-5)


def test_segments_from_data_maps_scopes_prefers_fused_and_skips_others():
    def item(scope, option, vector, start=None, end=None):
        return EmbeddingData(
            embedding=vector,
            embedding_scope=scope,
            embedding_option=option,
            start_sec=start,
            end_sec=end,
        )

    data = [
        item("clip", "visual", [1, 0, 0], 6, 12),
        item("clip", "audio", [0, 1, 0], 6, 12),
        item("asset", "visual", [0, 3, 0]),
        item("asset", "fused", [0, 0, 2]),
        item("page", "visual", [1, 1, 1]),
    ]
    segments = segments_from_data(data, duration=20.0)
    assert [(s.scope, s.start_sec, s.end_sec) for s in segments] == [
        ("video", 0, 20),
        ("clip", 6, 12),
    ]
    assert np.allclose(segments[0].vector, [0, 0, 1])
    assert np.allclose(segments[1].vector, np.array([1, 1, 0]) / np.sqrt(2))


def test_failed_task_reports_the_api_message():
    with FakeTwelveLabs(
        fail_urls=("broken",), failure_message="failed to fetch or materialize source media"
    ) as fake:
        with pytest.raises(
            EmbeddingError, match="failed to fetch or materialize source media"
        ) as caught:
            embedder_for(fake).embed_video(source("broken"))
    assert "broken" in str(caught.value) and "task" in str(caught.value)


def test_rejected_request_fails_at_once_with_the_api_message():
    with FakeTwelveLabs(
        reject_urls=("bad",), reject_message="The video could not be played."
    ) as fake:
        with pytest.raises(
            EmbeddingError,
            match=r"The video could not be played\. \(media_not_playable\) \(HTTP 400\)",
        ):
            embedder_for(fake).embed_video(source("bad"))
    assert fake.requests["create"] == 1  # a 400 is never retried


def test_rate_limit_waits_for_retry_after_then_succeeds():
    sleep = SleepRecorder()
    with FakeTwelveLabs(
        rate_limited_requests=2, retry_after="7", fault_endpoints=frozenset({"create"})
    ) as fake:
        embedding = embedder_for(fake, sleep=sleep).embed_video(source("v1"))
    assert embedding.video_segment is not None
    assert fake.faults["rate_limited"] == 2 and fake.requests["create"] == 3
    assert all(7.0 <= wait <= 7.05 for wait in sleep.waits[:2])  # as told, spread a little


def test_long_retry_after_is_honoured_and_no_header_outlasts_a_window():
    sleep = SleepRecorder()
    retry = RetryPolicy(attempts=4, initial=0.01, maximum=0.05)  # default untold wait: 61 s
    with FakeTwelveLabs(rate_limited_requests=1, retry_after="3600") as fake:
        embedder_for(fake, sleep=sleep, retry=retry).embed_text("a dog")
    with FakeTwelveLabs(rate_limited_requests=1, retry_after=None) as fake:
        embedder_for(fake, sleep=sleep, retry=retry).embed_text("a dog")
    assert 3600 <= sleep.waits[0] < 3601  # the SDK's own retries would cap it at 30 s
    assert 61 <= sleep.waits[1] <= 61 * 1.1  # longer than a one-minute window


def test_rate_limit_reset_header_is_read_as_epoch_seconds():
    error = type("Limited", (), {"status_code": 429, "headers": {"X-Ratelimit-Reset": "1000042"}})()
    assert server_wait(error, now=lambda: 1000000.5) == pytest.approx(41.5)
    error.headers = {"Retry-After": "3", "X-Ratelimit-Reset": "1000042"}
    assert server_wait(error, now=lambda: 1000000.5) == 3.0


def test_rate_limit_that_never_lifts_says_so():
    sleep = SleepRecorder()
    with FakeTwelveLabs(rate_limited_requests=10**6, retry_after="0") as fake:
        with pytest.raises(EmbeddingError, match="still rate limited after 1 s"):
            embedder_for(fake, sleep=sleep).embed_video(source("v1"))
    assert fake.requests["create"] > 1 and not fake.tasks


def test_server_errors_are_retried_then_succeed():
    with FakeTwelveLabs(server_error_requests=2) as fake:
        embedding = embedder_for(fake).embed_video(source("v1"))
    assert embedding.segments
    assert fake.faults["server_error"] == 2 and fake.requests["create"] == 3


def test_server_errors_during_polling_are_retried():
    with FakeTwelveLabs(server_error_requests=2, fault_endpoints=frozenset({"retrieve"})) as fake:
        embedding = embedder_for(fake).embed_video(source("v1"))
    assert embedding.segments and fake.requests["retrieve"] == 3


def test_server_errors_forever_fail_clearly():
    with FakeTwelveLabs(server_error_requests=10**6) as fake:
        with pytest.raises(
            EmbeddingError, match=r"kept failing \(HTTP 500\) after 4 attempts.*internal error"
        ):
            embedder_for(fake).embed_video(source("v1"))
    assert fake.requests["create"] == 4


def test_unreachable_server_fails_clearly():
    with FakeTwelveLabs() as fake:
        settings = fake_settings(fake)
    sleep = SleepRecorder()  # the server is gone: its port now refuses connections
    embedder = TwelveLabsEmbedder(settings, poll=FAST_POLL, retry=FAST_RETRY, sleep=sleep)
    with pytest.raises(EmbeddingError, match="could not reach TwelveLabs .* after 4 attempts"):
        embedder.embed_text("a dog")
    assert len(sleep.waits) == 3


def test_slow_task_times_out_with_the_task_id():
    poll = PollPolicy(initial=0.01, factor=1.5, maximum=0.02, timeout=0.1)
    with FakeTwelveLabs(processing_seconds=60) as fake:
        with pytest.raises(EmbeddingTimeoutError, match="still processing after 0.1 s") as caught:
            embedder_for(fake, poll=poll).embed_video(source("slow"))
    task_id = next(iter(fake.tasks))
    assert task_id in str(caught.value)


@pytest.mark.parametrize("endpoint", ["create", "retrieve"])
def test_malformed_response_fails_clearly(endpoint):
    with FakeTwelveLabs(malformed_requests=1, fault_endpoints=frozenset({endpoint})) as fake:
        with pytest.raises(EmbeddingError, match="not valid JSON"):
            embedder_for(fake).embed_video(source("v1"))
    assert fake.requests[endpoint] == 1  # not retried


def test_wrong_dimension_is_refused():
    with FakeTwelveLabs(dimension=256) as fake:
        with pytest.raises(VidrecError, match=r"v1: marengo3.0 gave 256-d vectors where 512-d"):
            embedder_for(fake).embed_video(source("v1"))


def test_marengo35_shorter_vectors_and_multi_input_text(fake):
    embedder = embedder_for(
        fake, settings=fake_settings(fake, marengo_model="marengo3.5"), dimension=256
    )
    embedding = embedder.embed_video(source("v1"))
    assert embedding.dimension == 256 and embedding.model == "marengo3.5"
    vector = embedder.embed_text("a dragon over a castle")
    assert vector.shape == (256,)
    body = fake.request_bodies[-1]
    assert body["input_type"] == "multi_input" and body["multi_input"] == {
        "input_text": "a dragon over a castle"
    }
    assert body["embedding_dimension"] == 256


def test_model_specific_choices_are_refused_by_the_api_before_any_task(fake):
    embedder = embedder_for(fake, settings=fake_settings(fake, marengo_model="marengo3.5"),
                            embedding_options=["transcription"])  # fmt: skip
    with pytest.raises(EmbeddingError, match="transcription embedding option requires Marengo 3.0"):
        embedder.embed_video(source("v1"))
    with pytest.raises(EmbeddingError, match="embedding_dimension parameter requires Marengo 3.5"):
        embedder_for(fake, dimension=256).embed_video(source("v2"))
    assert not fake.tasks


def test_text_embedding_is_unit_length_and_deterministic(fake):
    embedder = embedder_for(fake)
    first, second = embedder.embed_text("kids counting"), embedder.embed_text("kids counting")
    assert first.shape == (512,) and first.dtype == np.float32
    assert np.linalg.norm(first) == pytest.approx(1.0, abs=1e-5)
    assert np.array_equal(first, second)
    assert fake.request_bodies[-1] == {
        "input_type": "text",
        "model_name": "marengo3.0",
        "text": {"input_text": "kids counting"},
    }


def test_an_empty_text_is_refused_before_any_request(fake):
    with pytest.raises(VidrecError, match="empty"):
        embedder_for(fake).embed_text("   ")
    assert fake.requests["text"] == 0


def test_a_text_the_service_finds_too_long_fails_with_its_message(fake):
    """The client leaves the token limit to the service (its tokenizer is not published)."""
    embedder = embedder_for(fake)
    embedder.embed_text("a" * 498)
    with pytest.raises(EmbeddingError, match="context window.*HTTP 400"):
        embedder.embed_text("é" * 250)  # 500 bytes: the stand-in's bound says maybe > 500 tokens
    assert fake.requests["text"] == 2


def test_video_without_url_is_refused(fake):
    with pytest.raises(VidrecError, match="has no URL: upload it first"):
        embedder_for(fake).embed_video(VideoSource("v1", "h1"))
    assert fake.requests["create"] == 0


def test_bad_local_file_is_refused_before_paying(fake, tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    bad = VideoSource("v1", "h1", path=empty, url="https://videos.test/v1.mp4")
    with pytest.raises(VidrecError, match="empty"):
        embedder_for(fake).embed_video(bad)
    assert fake.requests["create"] == 0


def test_missing_key_names_the_fix():
    with pytest.raises(VidrecError) as caught:
        TwelveLabsEmbedder(Settings(_env_file=None, twelvelabs_api_key=None))
    assert str(caught.value) == (
        "TWELVELABS_API_KEY is not set: add it to .env, or run offline with VIDREC_MODE=offline"
    )


def test_wrong_key_fails_at_once_without_leaking_it():
    key = "my-secret-key-123"
    with FakeTwelveLabs(api_key="the-right-key") as fake:
        embedder = embedder_for(fake, settings=fake_settings(fake, twelvelabs_api_key=key))
        with pytest.raises(EmbeddingError, match="HTTP 401.*TWELVELABS_API_KEY") as caught:
            embedder.embed_text("a dog")
    assert key not in str(caught.value) and fake.requests["text"] == 1


def test_secret_in_an_api_message_is_masked():
    key = "my-secret-key-123"
    with FakeTwelveLabs(fail_urls=("v1",), failure_message=f"cannot fetch with key {key}") as fake:
        embedder = embedder_for(fake, settings=fake_settings(fake, twelvelabs_api_key=key))
        with pytest.raises(EmbeddingError) as caught:
            embedder.embed_video(source("v1"))
    assert key not in str(caught.value) and "****" in str(caught.value)


def test_sdk_follows_the_base_url_environment_variable(fake, monkeypatch):
    monkeypatch.setenv("TWELVELABS_BASE_URL", fake.base_url)
    embedder = embedder_for(fake, settings=fake_settings(fake, twelvelabs_base_url=None))
    assert embedder.embed_text("a dog").shape == (512,)
    assert fake.requests["text"] == 1


def test_make_embedder_follows_the_mode(fake):
    assert isinstance(make_embedder(fake_settings(fake)), TwelveLabsEmbedder)
    assert isinstance(make_embedder(fake_settings(fake, forced_mode="offline")), SampleEmbedder)
