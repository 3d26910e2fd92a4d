"""Plain records passed between the steps: what a video is, and what its embedding is."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

Scope = Literal["video", "clip"]


def file_sha256(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """The SHA-256 of a file's bytes, as hex: the content identity used by cache and index."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
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

    @property
    def clip_segments(self) -> list[Segment]:
        return [s for s in self.segments if s.scope == "clip"]


def unit(vector: np.ndarray | list[float]) -> np.ndarray:
    """`vector` as float32 scaled to length 1 (cosine similarity then equals the dot product)."""
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("cannot normalise a zero or non-finite vector")
    return array / norm
