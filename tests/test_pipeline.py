"""Ingest end to end: offline with the samples, live with the real SDK and boto3 on local servers."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time

import numpy as np
import pytest
from conftest import use_live_servers
from qdrant_client import QdrantClient

from vidrec_helpers import storage
from vidrec_helpers.config import Settings, VidrecError
from vidrec_helpers.embed_requests import RetryPolicy
from vidrec_helpers.embeddings import make_embedder
from vidrec_helpers.index import count_points
from vidrec_helpers.pipeline import ingest
from vidrec_helpers.queries import QueryEncoder
from vidrec_helpers.records import Segment, VideoEmbedding, unit
from vidrec_helpers.samples import load_catalog, sample_videos
from vidrec_helpers.search import search
from vidrec_helpers.storage import UploadFailure
from vidrec_helpers.twelvelabs_embedder import PollPolicy, TwelveLabsEmbedder
from vidrec_standins.media import make_test_video
from vidrec_standins.s3 import LocalS3Server
from vidrec_standins.twelvelabs import TwelveLabsStandIn as FakeTwelveLabs

FAST_POLL = PollPolicy(initial=0.01, factor=1.5, maximum=0.05, timeout=20)
FAST_RETRY = RetryPolicy(attempts=4, initial=0.01, maximum=0.05, max_retry_after=0.05)


def make_video(path, seconds=5.0, seed=0):
    return make_test_video(path, seconds=seconds, audio=True, seed=seed)


def memory_client() -> QdrantClient:
    return QdrantClient(location=":memory:")


class HashEmbedder:
    """Embeds any video offline: one vector drawn from its content hash, over its duration."""

    model = "test-hash"
    dimension = 8

    def embed_video(self, source):
        seed = int(source.content_hash[:8], 16)
        vector = unit(np.random.default_rng(seed).normal(size=self.dimension))
        segment = Segment("video", 0.0, float(source.duration or 0.0), vector)
        return VideoEmbedding(source.video_id, source.content_hash, self.model, [segment])

    def embed_text(self, text):
        return unit(np.ones(self.dimension))


def ingest_offline(paths, client=None, **kwargs):
    """Ingest user files offline with HashEmbedder, no cache, no upload unless asked."""
    options = {"upload": False, "use_cache": False, "progress": False, **kwargs}
    return ingest(paths, client=client or memory_client(), embedder=HashEmbedder(), **options)


# --- offline ---------------------------------------------------------------------------------


def test_offline_ingest_indexes_the_whole_catalog():
    client = memory_client()
    report = ingest(client=client, progress=False)
    catalog = load_catalog()
    clips = sum(len(e["scenes"]) for e in catalog)
    assert report.mode == "offline"
    assert report.videos == len(catalog) >= 188
    assert report.failed == {}
    assert len(report.uploaded) + len(report.upload_skipped) == len(sample_videos())
    assert report.points_upserted == len(catalog) + clips
    assert count_points(client, report.collection) == len(catalog) + clips
    assert count_points(client, report.collection, scope="video") == len(catalog)


def test_offline_ingest_twice_does_not_duplicate_or_reupload():
    client = memory_client()
    first = ingest(client=client, progress=False)
    second = ingest(client=client, progress=False)
    assert second.uploaded == []
    assert len(second.upload_skipped) == len(sample_videos())  # the process-wide local S3 has them
    assert second.embedded == []
    assert len(second.from_cache) == first.videos
    assert second.points_in_collection == first.points_in_collection


def test_payload_has_everything_a_result_card_needs():
    client = memory_client()
    report = ingest(client=client, progress=False)
    points, _ = client.scroll(report.collection, limit=1000, with_payload=True)
    clip_points = [p for p in points if p.payload["video_id"] == "clip-rocket-run"]
    assert clip_points
    for point in clip_points:
        payload = point.payload
        for field in (
            "video_id",
            "title",
            "filename",
            "s3_key",
            "intent",
            "mood",
            "scope",
            "start_sec",
            "end_sec",
            "duration",
            "model",
        ):
            assert payload[field] not in (None, ""), field
        # a presigned URL expires (and may carry a session token): it is signed when read
        assert payload["url"] is None and "X-Amz" not in str(payload)
        assert payload["s3_key"].startswith("videos/")
        assert payload["end_sec"] <= payload["duration"] + 1e-6


def test_offline_mode_cannot_embed_unknown_videos(tmp_path):
    own = make_video(tmp_path / "my holiday.mp4", seconds=5)
    report = ingest([own], client=memory_client(), progress=False)
    assert len(report.failed) == 1
    reason = next(iter(report.failed.values()))
    assert "TWELVELABS_API_KEY" in reason


# --- live: the real twelvelabs SDK and boto3 against local servers -----------------------------


@pytest.fixture
def live(monkeypatch, tmp_path):
    """Live-mode settings pointing at a fake TwelveLabs server and a local S3 server."""
    with (
        FakeTwelveLabs(processing_seconds=0.05, default_duration=5.0) as fake,
        LocalS3Server() as s3,
    ):
        use_live_servers(monkeypatch, fake, s3, "vidrec-live-test")
        monkeypatch.setenv("VIDREC_CACHE_DIR", str(tmp_path / "cache"))
        settings = Settings(_env_file=None)

        def run(paths=None, embedder=None, **kwargs):
            embedder = embedder or TwelveLabsEmbedder(settings, poll=FAST_POLL, retry=FAST_RETRY)
            return ingest(paths, settings=settings, embedder=embedder, progress=False, **kwargs)

        yield fake, settings, run


def test_live_ingest_of_the_sample_clips(live):
    fake, settings, run = live
    client = memory_client()
    report = run(client=client)
    count = len(sample_videos())
    assert report.mode == "live" and report.model == "marengo3.0"
    assert report.collection == "vidrec_marengo3_0_512"
    assert report.failed == {}
    assert len(report.embedded) == count == fake.requests["create"]
    assert report.points_in_collection > count  # video-level + clip-level points
    # TwelveLabs was given the presigned S3 URL of each upload
    assert all("X-Amz-Signature" in url for url in fake.created_urls)


def test_live_ingest_twice_makes_no_second_upload_or_embedding_request(live):
    fake, settings, run = live
    client = memory_client()
    first = run(client=client)
    second = run(client=client)
    assert fake.requests["create"] == len(sample_videos())  # not one more
    assert second.uploaded == [] and second.embedded == []
    assert sorted(second.from_cache) == sorted(first.embedded)
    assert second.points_in_collection == first.points_in_collection


def test_bad_files_fail_alone_and_the_batch_goes_on(live, tmp_path):
    fake, settings, run = live
    good = make_video(tmp_path / "good one.mp4", seconds=5, seed=1)
    unicode_name = make_video(tmp_path / "vidéo ñ 日本.mp4", seconds=5, seed=2)
    same_a = make_video(tmp_path / "a" / "clip.mp4", seconds=5, seed=3)
    same_b = make_video(tmp_path / "b" / "clip.mp4", seconds=5, seed=4)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video")
    short = make_video(tmp_path / "short.mp4", seconds=2, seed=5)
    missing = tmp_path / "missing.mp4"
    report = run(
        [good, unicode_name, same_a, same_b, empty, text, short, missing], client=memory_client()
    )
    assert len(report.embedded) == 4, report.failed
    assert fake.requests["create"] == 4
    assert len(report.failed) == 4
    reasons = " | ".join(report.failed.values())
    assert "empty" in reasons or "0 bytes" in reasons
    assert "2.0 s" in reasons
    assert "missing.mp4" in reasons
    ids = set(report.embedded)
    assert len([i for i in ids if i.startswith("clip-")]) == 2  # same name, two folders, two videos


def test_failed_task_reports_the_api_message_and_rerun_resumes(live, tmp_path):
    fake, settings, run = live
    videos = [make_video(tmp_path / f"v{n}.mp4", seconds=5, seed=n) for n in range(4)]
    fake.behaviour.fail_urls = ("v2.mp4",)
    client = memory_client()
    first = run(videos, client=client)
    assert len(first.embedded) == 3
    assert list(first.failed) and fake.behaviour.failure_message in next(
        iter(first.failed.values())
    )
    fake.behaviour.fail_urls = ()
    second = run(videos, client=client)
    assert len(second.embedded) == 1  # only the missing work
    assert len(second.from_cache) == 3
    assert fake.requests["create"] == 5


def interrupt_after_creates(fake, count):
    """Press Ctrl-C (SIGINT to this process) once the fake server has created `count` tasks."""

    def watch():
        deadline = time.monotonic() + 30
        while fake.requests["create"] < count and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_interrupted_run_resumes_with_only_the_missing_work(live, tmp_path):
    fake, settings, run = live
    videos = [make_video(tmp_path / f"r{n}.mp4", seconds=5, seed=10 + n) for n in range(6)]
    fake.behaviour.processing_seconds = 0.2
    watcher = interrupt_after_creates(fake, 2)
    with pytest.raises(KeyboardInterrupt):
        run(videos, client=memory_client(), concurrency=1)
    watcher.join()
    paid = fake.requests["create"]
    assert 2 <= paid < 6
    client = memory_client()
    report = run(videos, client=client, concurrency=1)
    assert fake.requests["create"] == 6  # every video paid for exactly once across both runs
    assert len(report.from_cache) == paid and len(report.embedded) == 6 - paid
    assert count_points(client, report.collection, scope="video") == 6


def test_live_without_key_says_what_to_do(monkeypatch):
    monkeypatch.setenv("VIDREC_MODE", "live")
    settings = Settings(_env_file=None)
    with pytest.raises(VidrecError, match="TWELVELABS_API_KEY is not set"):
        make_embedder(settings)


def test_no_videos_in_folder_is_a_clear_error(tmp_path):
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(VidrecError, match="no video files"):
        ingest([tmp_path], client=memory_client(), progress=False)


def test_sample_clip_given_by_path_keeps_its_catalog_labels(tmp_path):
    copy = tmp_path / "renamed.mp4"
    shutil.copy(sample_videos()[0], copy)
    client = memory_client()
    report = ingest([copy], client=client, progress=False)
    assert report.failed == {}
    points, _ = client.scroll(report.collection, limit=10, with_payload=True)
    assert {p.payload["video_id"] for p in points} == {
        report.embedded[0] if report.embedded else report.from_cache[0]
    }
    assert all(p.payload["intent"] for p in points)


# --- hostile and damaged input ------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_pipe_folder_and_device_named_mp4_fail_alone_without_hanging(tmp_path):
    make_video(tmp_path / "good.mp4", seconds=5)
    pipe = tmp_path / "p.mp4"
    os.mkfifo(pipe)
    folder = tmp_path / "folder.mp4"
    folder.mkdir()
    paths = [tmp_path]
    if os.path.exists("/dev/null"):
        paths.append("/dev/null")
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(report=ingest_offline(paths)))
    worker.start()
    worker.join(timeout=120)
    if worker.is_alive():  # unblock the hashing thread so the test run can end
        with open(pipe, "wb"):
            pass
        pytest.fail("ingest hung on a named pipe")
    report = outcome["report"]
    assert (
        report.failed[str(pipe)] == f"{pipe} is a named pipe, not a video file: give a regular file"
    )
    assert "is a folder, not a video file" in report.failed[str(folder)]
    if "/dev/null" in paths:
        assert "is a device" in report.failed["/dev/null"]
    assert len(report.embedded) == 1 and report.embedded[0].startswith("good-")


def test_a_bad_copy_fails_alone_and_its_name_stays_on_one_line(tmp_path, monkeypatch):
    good = make_video(tmp_path / "same name.mp4", seconds=5)
    bad = tmp_path / "same\nname.mp4"  # same bytes, and the same id: the newline slugs to "-"
    shutil.copy(good, bad)
    real_upload_many = storage.upload_many

    def upload_many(client, bucket, paths, *args, **kwargs):
        """Fail the name with a newline, as some S3 servers do; upload the others."""
        kept = [p for p in paths if "\n" not in p.name]
        results = iter(real_upload_many(client, bucket, kept, **kwargs))
        return [
            UploadFailure(p, f"{p} was refused") if p not in kept else next(results) for p in paths
        ]

    monkeypatch.setattr(storage, "upload_many", upload_many)
    report = ingest_offline([good, bad], upload=True)
    assert report.failed == {str(bad): f"{bad} was refused"}
    assert len(report.embedded) == 1 and report.points_in_collection == 1
    failed_lines = [line for line in report.summary().splitlines() if "FAILED" in line]
    assert failed_lines == [
        f"  FAILED {tmp_path}/same\\nname.mp4: {tmp_path}/same\\nname.mp4 was refused"
    ]


def test_duration_filter_finds_a_user_video(tmp_path):
    own = make_video(tmp_path / "my holiday.mp4", seconds=5)
    client = memory_client()
    report = ingest_offline([own], client=client)
    points, _ = client.scroll(report.collection, limit=10, with_payload=True)
    assert [p.payload["duration"] for p in points] == [pytest.approx(5.0, abs=0.05)]
    encoder = QueryEncoder(HashEmbedder())

    def found(**filters):
        response = search(client, report.collection, encoder, text="holiday", filters=filters)
        return [result.video_id for result in response.results]

    assert found(min_duration=4, max_duration=6) == report.embedded
    assert found(max_duration=4.5) == []


def test_ingest_poll_timeout_journals_a_slow_task_for_the_next_run(live, tmp_path):
    fake, settings, _ = live
    fake.behaviour.processing_seconds = 30.0  # longer than the timeout below
    own = make_video(tmp_path / "slow.mp4", seconds=5)
    report = ingest(
        [own], settings=settings, client=memory_client(), progress=False, poll_timeout=1
    )
    (message,) = report.failed.values()
    assert "still processing after 1 s" in message and "journaled" in message
    assert fake.requests["create"] == 1


def test_live_ingest_probes_each_file_once_and_signs_each_url_once(live, tmp_path, monkeypatch):
    fake, settings, run = live
    from vidrec_helpers import video_checks

    probed, signed = [], []
    real_probe, real_sign = video_checks.probe_video, storage.presign

    def probe(path):
        probed.append(str(path))
        return real_probe(path)

    def sign(client, bucket, key, **kwargs):
        signed.append(key)
        return real_sign(client, bucket, key, **kwargs)

    monkeypatch.setattr(video_checks, "probe_video", probe)
    monkeypatch.setattr(storage, "presign", sign)
    videos = [make_video(tmp_path / f"once {n}.mp4", seconds=5, seed=20 + n) for n in range(2)]
    report = run(videos, client=memory_client())
    assert len(report.embedded) == 2 and fake.requests["create"] == 2
    ours = sorted(path for path in probed if path.startswith(str(tmp_path)))  # not the stand-in's
    assert ours == sorted(map(str, videos))  # checked before upload, not again by the embedder
    assert len(signed) == 2 and len(set(signed)) == 2  # each signed right before its task
    assert all("X-Amz-Signature" in url for url in fake.created_urls)
