"""The one mp4 writer: small generated H.264 videos for tests, benchmarks and the clip script."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def _video_frame(index: int, width: int, height: int, seed: int = 0) -> av.VideoFrame:
    """A moving colour gradient, so every frame differs a little (`seed` shifts the colours)."""
    index += seed * 7
    x = np.linspace(0, 255, width, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[..., 0] = (x + index * 8) % 256
    image[..., 1] = (y + index * 4) % 256
    image[..., 2] = (x[None, :] + y) / 2 % 256
    return av.VideoFrame.from_ndarray(image, format="rgb24")


def _write_audio(
    container: av.container.OutputContainer, stream: av.AudioStream, seconds: float
) -> None:
    """A quiet 440 Hz tone, encoded into `stream`."""
    rate = stream.rate
    size = 1024
    for start in range(0, int(seconds * rate), size):
        t = (np.arange(start, start + size) / rate).astype(np.float32)
        samples = (0.1 * np.sin(2 * np.pi * 440 * t)).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def make_test_video(
    path: str | os.PathLike[str],
    seconds: float = 5.0,
    width: int = 480,
    height: int = 360,
    fps: int = 10,
    audio: bool = False,
    seed: int = 0,
) -> Path:
    """Write a small H.264 mp4 of the given length and size with PyAV, for tests.

    Different `seed`s give different bytes (distinct videos for the cache and the index).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(target), mode="w") as container:
        stream = container.add_stream(
            "libx264" if "libx264" in av.codecs_available else "mpeg4", rate=fps
        )
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        audio_stream = container.add_stream("aac", rate=44100, layout="mono") if audio else None
        for index in range(int(round(seconds * fps))):
            frame = _video_frame(index, width, height, seed)
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if audio_stream is not None:
            _write_audio(container, audio_stream, seconds)
    return target
