"""Polling, concurrency and the rate budgets; the fast offline start (no wall-clock asserts)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from standin_fixtures import fake_settings

from vidrec_helpers import pipeline
from vidrec_helpers.config import VidrecError
from vidrec_helpers.embed_requests import RetryPolicy, WindowBudget
from vidrec_helpers.embeddings import DEFAULT_CONCURRENCY, embed_many
from vidrec_helpers.records import VideoSource, unit
from vidrec_helpers.samples import sample_videos
from vidrec_helpers.twelvelabs_embedder import PollPolicy, TwelveLabsEmbedder
from vidrec_standins.offline_embedder import SampleEmbedder
from vidrec_standins.shipped import load_sample_embeddings
from vidrec_standins.twelvelabs import TwelveLabsStandIn

FAST_RETRY = RetryPolicy(attempts=4, initial=0.01, maximum=0.05, untold_wait=0.05)
FAST_POLL = PollPolicy(initial=0.01, maximum=0.05)


def FakeTwelveLabs(**changes):  # noqa: N802 - reads like the class it builds
    """The strict stand-in, trusting `?duration=` in the URL (these tests check the client)."""
    return TwelveLabsStandIn(fetch_media=False, **changes)


def source(name: str) -> VideoSource:
    return VideoSource(name, f"hash-{name}", url=f"https://videos.test/{name}.mp4?duration=12")


# ----- the polling loop and the budgets --------------------------------------------------------


def test_polls_back_off_geometrically_up_to_the_maximum():
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    poll = PollPolicy(initial=0.01, factor=2.0, maximum=0.08)
    with FakeTwelveLabs(processing_seconds=0.5) as fake:
        embedder = TwelveLabsEmbedder(fake_settings(fake), poll=poll, retry=FAST_RETRY, sleep=sleep)
        embedder.embed_video(source("slow"))
    assert waits[:4] == [0.01, 0.02, 0.04, 0.08] and max(waits) == 0.08
    assert fake.requests["retrieve"] == len(waits)  # one check after each wait


def test_poll_timeout_scales_with_the_video_duration():
    assert PollPolicy().timeout_for(None) == 15 * 60  # unknown duration: the floor
    assert PollPolicy().timeout_for(10 * 60) == 30 * 60  # 3x a 10-minute video
    assert PollPolicy().timeout_for(4 * 3600) == 12 * 3600  # Marengo's longest video
    assert PollPolicy(timeout=42.0).timeout_for(4 * 3600) == 42.0


def test_budget_lets_its_capacity_through_then_waits_for_the_window():
    budget = WindowBudget(2, 0.2)
    assert budget.acquire(blocking=False) and budget.acquire(blocking=False)
    assert not budget.acquire(blocking=False)  # the window is full: a third request must wait
    assert budget.acquire()  # waits until a request leaves the window, then counts


def test_budget_is_shared_by_all_threads():
    budget = WindowBudget(3, 60.0)
    counted: list[bool] = []
    threads = [
        threading.Thread(target=lambda: counted.append(budget.acquire(blocking=False)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counted) == [False] * 5 + [True] * 3


def test_video_budget_counts_whole_seconds_of_video():
    budget = WindowBudget(600, 3600.0)  # 10 minutes of video an hour
    assert budget.acquire(400, blocking=False) and budget.acquire(149.5, blocking=False)  # 150 s
    assert not budget.acquire(50.5, blocking=False)  # 51 s > the 50 s left: it must wait
    assert budget.acquire(50, blocking=False)  # fills the hour exactly
    assert not budget.acquire(0.1, blocking=False)  # a started second counts
    assert budget.acquire(0, blocking=False)  # unknown duration: nothing to count


def test_a_video_longer_than_the_whole_budget_goes_through_alone_in_its_window():
    budget = WindowBudget(600, 3600.0)
    assert budget.acquire(5000, blocking=False)  # counts as the whole hour, never refused
    assert not budget.acquire(1, blocking=False)  # and nothing else shares its window
    short = WindowBudget(5, 0.2)
    assert short.acquire(50) and short.acquire(50)  # the second waits for the first, never stuck


def test_creates_go_through_the_request_and_video_budgets():
    with FakeTwelveLabs() as fake:
        embedder = TwelveLabsEmbedder(fake_settings(fake), poll=FAST_POLL, retry=FAST_RETRY,
                                      requests_per_minute=30, video_minutes_per_hour=60)  # fmt: skip
        assert (embedder.request_budget.capacity, embedder.video_budget.capacity) == (30, 3600)
        seen: list[tuple[str, float]] = []
        embedder.request_budget.acquire = lambda amount=1.0: seen.append(("requests", amount))
        embedder.video_budget.acquire = lambda amount=1.0: seen.append(("video", amount))
        embedder.embed_video(VideoSource("v1", "h1", url="https://videos.test/v1.mp4", duration=12))
    assert seen == [("requests", 1.0), ("video", 12)]


def test_no_budget_set_means_no_limiter_at_all():
    with FakeTwelveLabs() as fake:
        embedder = TwelveLabsEmbedder(fake_settings(fake), poll=FAST_POLL, retry=FAST_RETRY)
    assert embedder.request_budget is None and embedder.video_budget is None


def test_budgets_of_zero_are_refused():
    with pytest.raises(VidrecError, match="above 0"):
        WindowBudget(0, 60.0)


def test_the_default_concurrency_keeps_a_batch_in_flight_together():
    poll = PollPolicy(initial=0.05, maximum=0.2)
    with FakeTwelveLabs(processing_seconds=2.0) as fake:
        embedder = TwelveLabsEmbedder(fake_settings(fake), poll=poll, retry=FAST_RETRY)
        items = [source(f"v{n}") for n in range(12)]
        report = embed_many(embedder, items, concurrency=DEFAULT_CONCURRENCY, progress=False)
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

    def upload_sources(sources, settings=None, client=None, concurrency=4, progress=False):
        seen.append(concurrency)
        raise RuntimeError("stop here")

    monkeypatch.setattr(pipeline, "upload_sources", upload_sources)
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
    report = embed_many(Recording(), items, progress=False)
    assert threads == {threading.current_thread().name}
    assert list(report.embedded) == ["clip-rocket-run"]
    assert list(report.failed) == ["not-in-the-catalog"]
    assert "offline mode can only embed" in report.failed["not-in-the-catalog"]
