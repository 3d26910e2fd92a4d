"""The one mp4 writer: small H.264 + AAC files for the tests, the benchmarks and the sample clips."""

from __future__ import annotations

import os
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

#: Audio sample rate of every file written here (Hz).
SAMPLE_RATE = 44100
_AUDIO_CHUNK = 1024


def video_codec() -> str:
    """H.264 when this PyAV build can encode it (browsers play it), else MPEG-4 part 2."""
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def _mux_audio(
    container: av.container.OutputContainer, stream: av.AudioStream, samples: np.ndarray
) -> None:
    """Encode mono float samples (-1..1) into `stream`, in chunks of 1024."""
    for start in range(0, len(samples), _AUDIO_CHUNK):
        chunk = samples[start : start + _AUDIO_CHUNK].astype(np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
        frame.sample_rate, frame.pts = SAMPLE_RATE, start
        frame.time_base = Fraction(1, SAMPLE_RATE)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def write_mp4(
    path: str | os.PathLike[str],
    frames: Iterable[np.ndarray],
    size: tuple[int, int],
    fps: int,
    audio: np.ndarray | None = None,
    crf: int | None = None,
) -> Path:
    """Write RGB frames (height x width x 3, uint8) and optional mono audio as a streamable mp4.

    `crf` sets H.264's quality (higher is smaller); `+faststart` lets a browser play the file
    before it has downloaded all of it. The file appears under its name only once complete.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    codec = video_codec()
    options = {"movflags": "+faststart"}
    with av.open(str(partial), mode="w", format="mp4", container_options=options) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        if crf is not None and codec == "libx264":
            stream.options = {"crf": str(crf), "preset": "slow", "tune": "animation"}
        audio_stream = None
        if audio is not None:
            audio_stream = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
            audio_stream.bit_rate = 64_000
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if audio_stream is not None:
            _mux_audio(container, audio_stream, np.asarray(audio, dtype=np.float32))
    os.replace(partial, target)
    return target


def gradient_frame(index: int, width: int, height: int, seed: int = 0) -> np.ndarray:
    """A moving colour gradient, so every frame differs a little (`seed` shifts the colours)."""
    index += seed * 7
    x = np.linspace(0, 255, width, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[..., 0] = (x + index * 8) % 256
    image[..., 1] = (y + index * 4) % 256
    image[..., 2] = (x[None, :] + y) / 2 % 256
    return image


def tone(seconds: float, frequency: float = 440.0, volume: float = 0.1) -> np.ndarray:
    """A sine tone as mono float samples."""
    t = np.arange(int(seconds * SAMPLE_RATE), dtype=np.float32) / SAMPLE_RATE
    return (volume * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def make_test_video(
    path: str | os.PathLike[str],
    seconds: float = 5.0,
    width: int = 480,
    height: int = 360,
    fps: int = 10,
    audio: bool = False,
    seed: int = 0,
) -> Path:
    """Write a small mp4 of the given length and size (a 440 Hz tone if `audio`), for tests.

    Different `seed`s give different bytes (distinct videos for the cache and the index).
    """
    count = int(round(seconds * fps))
    frames = (gradient_frame(index, width, height, seed) for index in range(count))
    return write_mp4(path, frames, (width, height), fps, tone(seconds) if audio else None)
