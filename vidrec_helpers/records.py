"""Plain records passed between the steps: what a video is, and what its embedding is."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

Scope = Literal["video", "clip"]


class NotAFileError(OSError):
    """A path that is a folder, a named pipe, a socket or a device instead of a regular file."""


#: What a file that is not a regular file is, in words, by its type (`stat.S_IFMT`).
KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket"}
KINDS |= {stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def open_file(path: str | os.PathLike[str]) -> BinaryIO:
    """`path` opened for reading, or NotAFileError when it is missing or not a regular file.

    The file is opened without blocking and its type checked before any read: opening a named
    pipe the usual way waits for a writer forever, and a device may never end.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise NotAFileError(f"{path} is missing: check the path") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        kind = KINDS.get(stat.S_IFMT(mode), "special")
        raise NotAFileError(f"{path} is {kind}, not a video file: give a regular file")
    return open(descriptor, "rb")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, as hex: the content identity used by cache and index."""
    digest = hashlib.sha256()
    with open_file(path) as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def text_sha256(text: str) -> str:
    """The SHA-256 of a text, as hex (content identity of a catalog entry with no file)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class VideoSource:
    """One video to ingest: where its bytes are, its identity, and what a result card shows."""

    video_id: str
    content_hash: str
    path: Path | None = None
    url: str | None = None
    s3_key: str | None = None
    title: str = ""
    filename: str = ""
    intent: str | None = None
    mood: str | None = None
    duration: float | None = None


@dataclass(frozen=True)
class Segment:
    """One embedding of a video: the whole video (`scope="video"`) or a clip of it."""

    scope: Scope
    start_sec: float
    end_sec: float
    vector: np.ndarray


@dataclass
class VideoEmbedding:
    """All the embeddings of one video, from one model."""

    video_id: str
    content_hash: str
    model: str
    segments: list[Segment] = field(default_factory=list)

    @property
    def dimension(self) -> int:
        return int(self.segments[0].vector.shape[0]) if self.segments else 0

    @property
    def video_segment(self) -> Segment | None:
        return next((s for s in self.segments if s.scope == "video"), None)


def unit(vector: np.ndarray | list[float]) -> np.ndarray:
    """`vector` as float32 scaled to length 1 (cosine similarity then equals the dot product)."""
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("cannot normalise a zero or non-finite vector")
    return array / norm
