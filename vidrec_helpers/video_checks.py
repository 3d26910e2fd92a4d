"""Check a video file against Marengo's input limits before paying to embed it.

TwelveLabs validates only basic metadata when a task is created; a bad file fails later, after
the upload and the wait. Probing it locally with PyAV (FFmpeg) costs milliseconds and gives one
clear message per bad file instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import VidrecError
from .records import NotAFileError, open_file

if TYPE_CHECKING:  # PyAV is imported on first use: it costs ~0.2 s, and most sessions never probe
    import av


@dataclass(frozen=True)
class VideoLimits:
    """What a model accepts for a video (seconds, pixels, bytes); the defaults are Marengo's.

    From the twelvelabs SDK's docstrings and the Marengo 3.x input requirements they link to:
    4 s to 4 h, 360x360 to 5184x2160 pixels (either way up), 1:1 to 2.4:1, up to 4 GB.
    """

    min_duration: float = 4.0
    max_duration: float = 4 * 3600.0
    min_side: int = 360
    max_long_side: int = 5184
    max_short_side: int = 2160
    max_aspect_ratio: float = 2.4
    max_bytes: int = 4 * 1024**3


MARENGO_LIMITS = VideoLimits()


@dataclass(frozen=True)
class VideoInfo:
    """What PyAV reads from a video file: enough to check it against the limits."""

    duration: float
    width: int
    height: int
    size_bytes: int
    has_audio: bool
    codec: str


class VideoCheckError(VidrecError):
    """A video file that TwelveLabs would reject, with the reason and what to do."""


def _human_size(size: float) -> str:
    """Bytes as a short text: 512 B, 97.8 KB, 4.0 GB."""
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _file_size(path: Path) -> int:
    """The size of `path` in bytes, or a clear error when it is not a readable, non-empty file."""
    try:
        with open_file(path) as handle:  # a named pipe or a device is refused, not read
            size = os.fstat(handle.fileno()).st_size
    except PermissionError:
        raise VideoCheckError(f"{path} cannot be read: check its permissions") from None
    except NotAFileError as error:
        raise VideoCheckError(str(error)) from None
    if size == 0:
        raise VideoCheckError(f"{path.name} is empty (0 bytes): copy or download it again")
    return size


def _stream_duration(container: av.container.InputContainer, stream: av.video.VideoStream) -> float:
    """The duration in seconds, from the container, else from the video stream, else 0."""
    import av

    if container.duration:
        return container.duration / av.time_base
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if stream.frames and stream.average_rate:
        return float(stream.frames / stream.average_rate)
    return 0.0


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Read duration, resolution, size, audio presence and codec of a video file with PyAV."""
    import av

    file = Path(path)
    size = _file_size(file)
    try:
        with av.open(str(file)) as container:
            video = next((s for s in container.streams if s.type == "video"), None)
            if video is None:
                raise VideoCheckError(
                    f"{file.name} has no video stream: give a video file, not audio only"
                )
            return VideoInfo(
                duration=_stream_duration(container, video),
                width=int(video.codec_context.width),
                height=int(video.codec_context.height),
                size_bytes=size,
                has_audio=any(s.type == "audio" for s in container.streams),
                codec=str(video.codec_context.name),
            )
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        raise VideoCheckError(
            f"{file.name} is not a video FFmpeg can read: check it is a real video file (e.g. .mp4)"
        ) from None


def check_video(path: str | os.PathLike[str], limits: VideoLimits = MARENGO_LIMITS) -> VideoInfo:
    """Probe a video and raise VideoCheckError (one clear message) if Marengo would reject it."""
    info, name = probe_video(path), Path(path).name
    if info.size_bytes > limits.max_bytes:
        raise VideoCheckError(
            f"{name} is {_human_size(info.size_bytes)}; Marengo accepts up to "
            f"{_human_size(limits.max_bytes)}: compress or split it"
        )
    if not limits.min_duration <= info.duration <= limits.max_duration:
        raise VideoCheckError(
            f"{name} lasts {info.duration:.1f} s; Marengo needs {limits.min_duration:g} s to "
            f"{limits.max_duration / 3600:g} h: trim it or pick another video"
        )
    short, long = sorted((info.width, info.height))  # either way up
    if short < limits.min_side or long > limits.max_long_side or short > limits.max_short_side:
        raise VideoCheckError(
            f"{name} is {info.width}x{info.height}; Marengo needs {limits.min_side}x{limits.min_side} "
            f"to {limits.max_long_side}x{limits.max_short_side} pixels: re-encode it at another size"
        )
    if long / max(1, short) > limits.max_aspect_ratio + 1e-9:
        raise VideoCheckError(
            f"{name} has an aspect ratio of {long / max(1, short):.2f}:1; Marengo accepts 1:1 to "
            f"{limits.max_aspect_ratio:g}:1 (landscape or portrait): crop or pad it"
        )
    return info
