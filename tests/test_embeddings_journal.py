"""A created task is paid for once: the journal, resuming, duplicate checks, URLs signed at create."""

from __future__ import annotations

import json
import logging
import os
import threading
import time

import pytest
from standin_fixtures import fake_settings

from vidrec_helpers.embed_cache import TaskJournal
from vidrec_helpers.embed_requests import RetryPolicy, private_host
from vidrec_helpers.embeddings import EmbeddingError, EmbeddingTimeoutError
from vidrec_helpers.records import VideoSource
from vidrec_helpers.twelvelabs_embedder import PollPolicy, TwelveLabsEmbedder
from vidrec_standins.twelvelabs import TwelveLabsStandIn

FAST_POLL = PollPolicy(initial=0.01, maximum=0.05, timeout=10.0)
FAST_RETRY = RetryPolicy(attempts=4, initial=0.01, maximum=0.05)


def standin(**changes) -> TwelveLabsStandIn:
    return TwelveLabsStandIn(fetch_media=False, **changes)


def embedder_for(
    fake: TwelveLabsStandIn, poll: PollPolicy = FAST_POLL, **options
) -> TwelveLabsEmbedder:
    return TwelveLabsEmbedder(fake_settings(fake), poll=poll, retry=FAST_RETRY, **options)


def source(name: str = "v1") -> VideoSource:
    return VideoSource(name, f"hash-{name}", url=f"https://videos.test/{name}.mp4?duration=12")


def test_a_timed_out_task_is_resumed_by_the_next_run_not_paid_again():
    with standin(processing_seconds=0.5) as fake:
        impatient = embedder_for(fake, PollPolicy(initial=0.01, maximum=0.05, timeout=0.05))
        with pytest.raises(EmbeddingTimeoutError, match="journaled: run again") as caught:
            impatient.embed_video(source())
        task_id = next(iter(fake.tasks))
        assert task_id in str(caught.value)
        embedding = embedder_for(fake).embed_video(source())  # a new run, a new embedder
    assert embedding.segments and fake.requests["create"] == 1


def test_ctrl_c_while_polling_keeps_the_task_for_the_next_run():
    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    with standin(processing_seconds=0.1) as fake:
        with pytest.raises(KeyboardInterrupt):
            embedder_for(fake, sleep=interrupted).embed_video(source())
        assert fake.requests["create"] == 1 and fake.requests["retrieve"] == 0
        embedder_for(fake).embed_video(source())
    assert fake.requests["create"] == 1


def test_a_failed_task_is_forgotten_so_the_next_run_creates_a_new_one():
    with standin(fail_urls=("v1",)) as fake:
        embedder = embedder_for(fake)
        with pytest.raises(EmbeddingError, match="could not embed v1"):
            embedder.embed_video(source())
        assert embedder.journal.find(embedder.task_key(source())) is None
        fake.behaviour.fail_urls = ()
        embedder.embed_video(source())
    assert fake.requests["create"] == 2


def test_entries_older_than_the_seven_day_retention_are_dropped(tmp_path):
    journal, day = TaskJournal(tmp_path), 24 * 3600
    journal.record("six days", "task-1", "v1", time.time() - 6 * day)
    journal.record("eight days", "task-2", "v2", time.time() - 8 * day)
    assert journal.find("six days") == "task-1" and journal.find("eight days") is None
    journal.record("eight days", "task-2", "v2", time.time() - 8 * day)
    (tmp_path / "other.x.tmp").write_text("{")  # left by a killed run an hour ago
    os.utime(tmp_path / "other.x.tmp", (time.time() - 3600, time.time() - 3600))
    TaskJournal(tmp_path)  # the next run opens the journal
    assert [file.name for file in tmp_path.iterdir()] == ["six days.json"]


def test_two_writers_never_leave_a_half_written_entry(tmp_path, caplog):
    first, second = TaskJournal(tmp_path), TaskJournal(tmp_path)  # e.g. two ingest processes
    found: list[str] = []

    def write(journal: TaskJournal, name: str) -> None:
        for n in range(200):
            journal.record("same-video", f"{name}-{n}", "v1", time.time())

    def read() -> None:
        while True:
            writing = any(thread.is_alive() for thread in threads[:2])
            task_id = first.find("same-video")
            if task_id is not None:
                found.append(task_id)
            if not writing:
                break

    threads = [threading.Thread(target=write, args=(first, "a")),
               threading.Thread(target=write, args=(second, "b")), threading.Thread(target=read)]  # fmt: skip
    with caplog.at_level(logging.WARNING):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert found and "unreadable" not in caplog.text
    assert json.loads((tmp_path / "same-video.json").read_text())["task_id"] in {"a-199", "b-199"}
    assert list(tmp_path.glob("*.tmp")) == []


def test_a_create_that_failed_after_the_task_was_made_is_not_paid_twice():
    with standin(accepted_then_error=1) as fake:
        embedding = embedder_for(fake).embed_video(source())
    assert embedding.segments
    assert fake.requests["create"] == 1 and len(fake.tasks) == 1  # found with tasks.list
    assert fake.requests["list"] >= 1


def test_a_create_that_failed_before_any_task_was_made_is_sent_again():
    with standin(server_error_requests=1, fault_endpoints=frozenset({"create"})) as fake:
        embedder_for(fake).embed_video(source())
    assert fake.requests["create"] == 2 and len(fake.tasks) == 1 and fake.requests["list"] >= 1


def test_the_url_is_signed_right_before_the_task_is_created():
    signed: list[tuple[str, int]] = []

    def signer(key: str, seconds: int) -> str:
        signed.append((key, seconds))
        return f"https://bucket.test/{key}?duration=12&signature={len(signed)}"

    with standin() as fake:
        embedder = embedder_for(fake, poll=PollPolicy(initial=0.01))
        embedder.url_signer = signer
        embedder.embed_video(VideoSource("v1", "h1", s3_key="videos/abc/v1.mp4", duration=1200))
    assert signed == [("videos/abc/v1.mp4", 3 * 1200 + 600)]  # lasts past the poll timeout
    assert fake.created_urls == ["https://bucket.test/videos/abc/v1.mp4?duration=12&signature=1"]


@pytest.mark.parametrize(
    "url, private",
    [
        ("http://localhost:9000/b/v.mp4", "localhost"),
        ("http://127.0.0.1:5000/v.mp4", "127.0.0.1"),
        ("http://10.1.2.3/v.mp4", "10.1.2.3"),
        ("http://192.168.0.7/v.mp4", "192.168.0.7"),
        ("http://[::1]:9000/v.mp4", "::1"),
        ("https://bucket.s3.eu-west-1.amazonaws.com/v.mp4", None),
        ("https://52.95.110.1/v.mp4", None),
    ],
)
def test_private_hosts_are_recognised(url, private):
    assert private_host(url) == private


def test_a_private_url_warns_before_paying_unless_allowed(monkeypatch, caplog):
    local = VideoSource("v1", "h1", url="http://127.0.0.1:9000/bucket/v1.mp4?duration=12")
    with standin() as fake:
        embedder_for(fake).embed_video(local)
        assert "127.0.0.1 is local or private" in caplog.text
        assert "VIDREC_ALLOW_PRIVATE_URLS=1" in caplog.text
        caplog.clear()
        monkeypatch.setenv("VIDREC_ALLOW_PRIVATE_URLS", "1")
        embedder_for(fake).embed_video(VideoSource("v2", "h2", url=local.url))
    assert "local or private" not in caplog.text
