"""check_video / probe_video: one clear message per file Marengo would reject."""

from __future__ import annotations

import os
from dataclasses import replace

import av
import numpy as np
import pytest

from vidrec_helpers.video_checks import MARENGO_LIMITS, VideoCheckError, check_video, probe_video
from vidrec_standins.media import make_test_video


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """Small generated videos, made once for the module."""
    folder = tmp_path_factory.mktemp("videos")
    return {
        "good": make_test_video(folder / "good.mp4", seconds=5, width=480, height=360, audio=True),
        "portrait": make_test_video(
            folder / "portrait.mp4", seconds=4.2, width=360, height=640, fps=5
        ),
        "short": make_test_video(folder / "short.mp4", seconds=2, width=360, height=360),
        "small": make_test_video(folder / "small.mp4", seconds=5, width=320, height=240, fps=5),
        "wide": make_test_video(folder / "wide.mp4", seconds=5, width=1280, height=360, fps=5),
    }


def test_good_video_passes_with_its_properties(videos):
    info = check_video(videos["good"])
    assert info.width == 480 and info.height == 360 and info.codec == "h264"
    assert info.duration == pytest.approx(5.0, abs=0.1)
    assert info.has_audio and info.size_bytes == videos["good"].stat().st_size


def test_portrait_video_passes(videos):
    info = check_video(videos["portrait"])
    assert (info.width, info.height) == (360, 640) and not info.has_audio


def test_missing_path(tmp_path):
    with pytest.raises(VideoCheckError, match="nowhere.mp4 is missing: check the path"):
        check_video(tmp_path / "nowhere.mp4")


def test_directory_is_not_a_video(tmp_path):
    with pytest.raises(VideoCheckError, match="is a folder, not a video file"):
        check_video(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_named_pipe_is_refused_without_reading_it(tmp_path):
    pipe = tmp_path / "pipe.mp4"
    os.mkfifo(pipe)
    with pytest.raises(VideoCheckError, match="pipe.mp4 is a named pipe, not a video file"):
        check_video(pipe)


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(VideoCheckError, match=r"empty.mp4 is empty \(0 bytes\)"):
        check_video(empty)


def test_text_file_named_mp4(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are my notes, not a video\n" * 20)
    with pytest.raises(VideoCheckError, match="notes.mp4 is not a video FFmpeg can read"):
        probe_video(fake)


def test_audio_only_file(tmp_path):
    path = tmp_path / "song.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("aac", rate=44100, layout="mono")
        for start in range(0, 44100, 1024):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 44100, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with pytest.raises(VideoCheckError, match="song.mp4 has no video stream"):
        check_video(path)


def test_too_short(videos):
    with pytest.raises(VideoCheckError, match=r"short.mp4 lasts 2.0 s; Marengo needs 4 s to 4 h"):
        check_video(videos["short"])


def test_too_long_by_custom_limits(videos):
    with pytest.raises(VideoCheckError, match="lasts 5.0 s; Marengo needs 1 s to 0.001 h"):
        check_video(videos["good"], replace(MARENGO_LIMITS, min_duration=1, max_duration=3.6))


def test_resolution_too_small(videos):
    with pytest.raises(
        VideoCheckError, match="small.mp4 is 320x240; Marengo needs 360x360 to 5184x2160"
    ):
        check_video(videos["small"])


def test_aspect_ratio_too_wide(videos):
    with pytest.raises(
        VideoCheckError,
        match=r"wide.mp4 has an aspect ratio of 3.56:1; Marengo accepts 1:1 to 2.4:1",
    ):
        check_video(videos["wide"])


def test_too_large(videos):
    with pytest.raises(
        VideoCheckError, match=r"good.mp4 is \d+\.\d KB; Marengo accepts up to 1000 B"
    ):
        check_video(videos["good"], replace(MARENGO_LIMITS, max_bytes=1000))
