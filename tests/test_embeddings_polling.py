"""Polling, concurrency and the shared request-rate limiter; the fast offline start (no wall-clock asserts)."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time

import pytest

from vidrec_helpers import pipeline
from vidrec_helpers.config import VidrecError
from vidrec_helpers.embeddings import (
    DEFAULT_CONCURRENCY,
    PollPolicy,
    RequestRateLimiter,
    RetryPolicy,
    SampleEmbedder,
    TwelveLabsEmbedder,
    embed_many,
)
from vidrec_helpers.records import VideoSource, unit
from vidrec_helpers.samples import load_sample_embeddings, sample_videos
from vidrec_helpers.testing import FakeTwelveLabs, fake_settings

FAST_RETRY = RetryPolicy(attempts=4, initial=0.01, maximum=0.05, max_retry_after=0.05)


def source(name: str) -> VideoSource:
    return VideoSource(name, f"hash-{name}", url=f"https://videos.test/{name}.mp4?duration=12")


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# ----- PollPolicy ----------------------------------------------------------------------------


def test_wait_is_a_share_of_the_task_age_within_bounds():
    policy = PollPolicy(initial=1.0, maximum=10.0, age_fraction=0.25, jitter=0.0)
    assert policy.wait(age=0.0) == 1.0  # the first check waits `initial`
    assert policy.wait(age=2.0) == 1.0  # 0.5 s is below the shortest wait
    assert policy.wait(age=8.0) == 2.0
    assert policy.wait(age=20.0) == 5.0
    assert policy.wait(age=3600.0) == 10.0  # capped


def test_jitter_spreads_waits_within_its_range():
    policy = PollPolicy(initial=1.0, maximum=10.0, age_fraction=0.25, jitter=0.1)
    rng = random.Random(3)
    waits = [policy.wait(age=20.0, rng=rng) for _ in range(200)]
    assert all(4.5 <= wait <= 5.5 for wait in waits)
    assert len({round(wait, 6) for wait in waits}) > 100  # not in lock step


def test_factor_brings_back_the_geometric_schedule():
    policy = PollPolicy(initial=1.0, factor=1.5, maximum=10.0, jitter=0.0)
    assert [policy.wait(age=0.0, checks=n) for n in range(7)] == [
        1.0,
        1.5,
        2.25,
        3.375,
        5.0625,
        7.59375,
        10.0,
    ]


# ----- RequestRateLimiter --------------------------------------------------------------------


def test_limiter_lets_a_burst_through_then_spaces_requests():
    clock = FakeClock()
    limiter = RequestRateLimiter(rate=5.0, burst=2, clock=clock, sleep=lambda _: None)
    waits = [limiter.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.2, 0.4, 0.6])
    clock.now += 10.0  # idle time refills the bucket, up to the burst only
    assert [limiter.reserve() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.2])
    assert limiter.requests == 8


def test_limiter_gives_each_concurrent_caller_its_own_slot():
    clock = FakeClock()
    limiter = RequestRateLimiter(rate=10.0, burst=4, clock=clock, sleep=lambda _: None)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        wait = limiter.reserve()
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [0.0] * 4 + [n / 10.0 for n in range(1, 37)]
    assert sorted(waits) == pytest.approx(expected)


def test_limiter_without_a_rate_never_waits_and_a_bad_rate_is_refused():
    limiter = RequestRateLimiter(rate=None)
    assert [limiter.acquire() for _ in range(100)] == [0.0] * 100
    with pytest.raises(VidrecError, match="above 0"):
        RequestRateLimiter(rate=0)


def test_acquire_sleeps_the_reserved_time():
    slept: list[float] = []
    limiter = RequestRateLimiter(rate=2.0, burst=1, clock=FakeClock(), sleep=slept.append)
    limiter.acquire()
    limiter.acquire()
    assert slept == [0.5]


# ----- the embedder ---------------------------------------------------------------------------


def test_every_request_and_retry_goes_through_the_shared_limiter():
    limiter = RequestRateLimiter(rate=None)
    with FakeTwelveLabs(processing_seconds=0.05, server_error_requests=2) as fake:
        poll = PollPolicy(initial=0.01, maximum=0.05, jitter=0.0)
        embedder = TwelveLabsEmbedder(
            fake_settings(fake), poll=poll, retry=FAST_RETRY, limiter=limiter
        )
        embedder.embed_video(source("v1"))
    served = fake.requests["create"] + fake.requests["retrieve"]
    assert fake.faults["server_error"] == 2
    assert limiter.requests == served


def test_polls_grow_with_the_task_age():
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    poll = PollPolicy(initial=0.01, maximum=1.0, age_fraction=0.25, jitter=0.0)
    with FakeTwelveLabs(processing_seconds=0.5) as fake:
        embedder = TwelveLabsEmbedder(fake_settings(fake), poll=poll, retry=FAST_RETRY, sleep=sleep)
        embedder.embed_video(source("slow"))
    # Checking every 0.01 s would take ~50 checks; growing waits need far fewer. A slow machine
    # only makes the ages (and so the waits) larger, which lowers the count further.
    assert 2 <= fake.requests["retrieve"] <= 25
    assert waits == sorted(waits) and waits[-1] > 0.05


def test_the_limiter_bounds_the_request_rate():
    poll = PollPolicy(initial=0.001, maximum=0.002, jitter=0.0)  # would poll ~500 times a second
    with FakeTwelveLabs(processing_seconds=0.4) as fake:
        embedder = TwelveLabsEmbedder(
            fake_settings(fake), poll=poll, retry=FAST_RETRY, requests_per_second=25.0
        )
        started = time.monotonic()
        report = embed_many(embedder, [source(f"v{n}") for n in range(4)], progress=False)
        elapsed = time.monotonic() - started
    assert not report.failed
    sent = fake.requests["create"] + fake.requests["retrieve"]
    assert sent <= embedder.limiter.burst + 25.0 * elapsed + 1


def test_the_default_concurrency_keeps_a_batch_in_flight_together():
    assert DEFAULT_CONCURRENCY >= 32
    poll = PollPolicy(initial=0.05, maximum=0.2, jitter=0.0)
    with FakeTwelveLabs(processing_seconds=2.0) as fake:
        embedder = TwelveLabsEmbedder(fake_settings(fake), poll=poll, retry=FAST_RETRY)
        report = embed_many(embedder, [source(f"v{n}") for n in range(12)], progress=False)
    assert len(report.embedded) == 12
    assert fake.peak_processing == 12  # every task was running at once


# ----- the fast offline path ------------------------------------------------------------------


def test_sample_embedder_index_matches_the_frame():
    frame = load_sample_embeddings()
    embedder = SampleEmbedder()
    for video_id in ("clip-rocket-run", *frame.loc[frame["kind"] == "video", "video_id"][:3]):
        rows = frame[(frame["video_id"] == video_id) & frame["kind"].isin(["video", "clip"])]
        expected = sorted(
            ((r.scope, float(r.start_sec), float(r.end_sec)) for r in rows.itertuples()),
            key=lambda item: (item[0] != "video", item[1], item[2]),
        )
        embedding = embedder.embed_video(VideoSource(video_id, "any-hash"))
        assert [(s.scope, s.start_sec, s.end_sec) for s in embedding.segments] == expected
        by_span = {
            (r.scope, float(r.start_sec), float(r.end_sec)): r.vector for r in rows.itertuples()
        }
        for segment in embedding.segments:
            span = (segment.scope, segment.start_sec, segment.end_sec)
            assert (segment.vector == unit(by_span[span])).all()


def test_offline_ingest_does_not_probe_the_shipped_clips(monkeypatch, tmp_path):
    probed: list[str] = []
    monkeypatch.setattr(pipeline, "check_video", lambda path: probed.append(str(path)))
    own = tmp_path / "copy.mp4"
    own.write_bytes(sample_videos()[0].read_bytes())
    report = pipeline.IngestReport(mode="offline", model="m", collection="c")
    shipped = pipeline.catalog_sources()
    copied, _ = pipeline.sources_from_paths([own])
    pipeline._check_files(shipped + copied, report, "offline")
    assert probed == [str(own)]  # only the file that is not one of the shipped clips
    probed.clear()
    pipeline._check_files(shipped, report, "live")  # live, every file is probed before paying
    assert len(probed) == len(sample_videos())


def test_uploads_are_capped_whatever_the_embedding_concurrency(monkeypatch):
    seen: list[int] = []

    def upload_many(client, bucket, paths, concurrency=4, progress=False):
        seen.append(concurrency)
        raise RuntimeError("stop here")

    monkeypatch.setattr(pipeline, "upload_many", upload_many)
    monkeypatch.setattr(pipeline, "s3_client", lambda settings: object())
    monkeypatch.setattr(pipeline, "ensure_bucket", lambda *args, **kwargs: True)
    sources = [s for s in pipeline.catalog_sources() if s.path is not None]
    report = pipeline.IngestReport(mode="offline", model="m", collection="c")
    with pytest.raises(RuntimeError, match="stop here"):
        pipeline._upload(sources, fake_settings_offline(), report, concurrency=64)
    assert seen == [pipeline.UPLOAD_CONCURRENCY] and pipeline.UPLOAD_CONCURRENCY <= 8


def fake_settings_offline():
    from vidrec_helpers.config import Settings

    return Settings(_env_file=None, forced_mode="offline")


def test_importing_a_session_loads_neither_pyav_nor_tqdm():
    code = (
        "import sys, vidrec_helpers.session, vidrec_helpers.pipeline; "
        "print(sorted(m for m in ('av', 'tqdm') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


def test_a_local_embedder_runs_in_the_callers_thread_and_failures_are_recorded():
    threads: set[str] = set()

    class Recording(SampleEmbedder):
        def embed_video(self, source: VideoSource):
            threads.add(threading.current_thread().name)
            return super().embed_video(source)

    items = [VideoSource("clip-rocket-run", "h1"), VideoSource("not-in-the-catalog", "h2")]
    seen: list[tuple[str, bool]] = []
    report = embed_many(
        Recording(),
        items,
        progress=False,
        on_result=lambda video_id, embedding, error: seen.append((video_id, error is None)),
    )
    assert threads == {threading.current_thread().name}
    assert list(report.embedded) == ["clip-rocket-run"]
    assert "offline mode can only embed" in report.failed["not-in-the-catalog"]
    assert seen == [("clip-rocket-run", True), ("not-in-the-catalog", False)]
