"""Tiny real videos for tests, rendered with PyAV (H.264 + AAC)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def make_video(
    path: Path, seconds: float = 5.0, size: tuple[int, int] = (480, 360), seed: int = 0
) -> Path:
    """Write a real mp4 of `seconds` with a moving colour block and a tone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    fps = 8
    rng = np.random.default_rng(seed)
    colour = rng.integers(40, 255, 3)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": "35", "preset": "ultrafast"}
        audio = container.add_stream("aac", rate=22050)
        audio.layout = "mono"
        for index in range(int(seconds * fps)):
            frame = np.zeros((height, width, 3), dtype=np.uint8)
            x = (index * 12) % max(1, width - 40)
            frame[height // 3 : height // 3 + 40, x : x + 40] = colour
            for packet in video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        samples_per_frame = 1024
        total = int(seconds * 22050)
        t = np.arange(total) / 22050
        tone = (0.2 * np.sin(2 * np.pi * (220 + 40 * seed) * t)).astype(np.float32)
        for start in range(0, total, samples_per_frame):
            chunk = tone[start : start + samples_per_frame]
            if len(chunk) < samples_per_frame:
                break
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = 22050
            frame.pts = start
            frame.time_base = Fraction(1, 22050)
            for packet in audio.encode(frame):
                container.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode(None):
                container.mux(packet)
    return path
