"""What the embedding step keeps on disk, so nothing is paid for twice.

- `EmbeddingCache`: one .npz per video, keyed by content hash + model + options. Vectors are
  checked before they are cached and when they are read: a bad file is set aside as `*.bad`
  with a warning naming it (never deleted, never used), and that video is embedded again.
- `TaskJournal`, beside it: each created task's id, written as soon as `tasks.create` returns,
  so a timeout, Ctrl-C or crash resumes polling that task instead of paying for a new one.
  TwelveLabs keeps task results 7 days (`tasks.list`), so older entries are dropped.

Files are written to `<name>.<random>.tmp`, then renamed: two processes never see half a file.
A write takes milliseconds, so a `.tmp` older than a few minutes is a killed run's leftover.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import numpy as np

from .config import get_settings, resolve_path
from .embeddings import check_embedding, vector_problem
from .records import Segment, VideoEmbedding

logger = logging.getLogger(__name__)

#: How long TwelveLabs keeps a task's results.
TASK_RETENTION_SECONDS = 7 * 24 * 3600.0
#: A temporary file older than this is a killed run's leftover (a write takes milliseconds).
ORPHAN_SECONDS = 5 * 60.0


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same options always give the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def remove_orphans(directory: Path) -> None:
    """Delete the `.tmp` files older than ORPHAN_SECONDS: no running write takes that long."""
    for file in directory.glob("*.tmp") if directory.is_dir() else ():
        try:
            if time.time() - file.stat().st_mtime > ORPHAN_SECONDS:
                file.unlink(missing_ok=True)
        except FileNotFoundError:
            continue


def write_atomically(file: Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Write `file` through a temporary file in its folder, fsync, then os.replace."""
    file.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        dir=file.parent, prefix=f"{file.stem}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, file)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return file


class EmbeddingCache:
    """Embeddings on disk, one .npz per video (see the module docstring)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        """Files go to `directory`, by default `<VIDREC_CACHE_DIR>/embeddings`; the temporary
        files a killed run left there are removed."""
        default = Path(get_settings().cache_dir) / "embeddings"
        self.directory = resolve_path(directory if directory is not None else default)
        remove_orphans(self.directory)

    @staticmethod
    def key(content_hash: str, model: str, options: Mapping[str, Any] | None = None) -> str:
        """sha256 of content hash, model and canonical options."""
        text = "\n".join((content_hash, model, canonical_json(dict(options or {}))))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def path(self, content_hash: str, model: str, options: Mapping[str, Any] | None = None) -> Path:
        return self.directory / f"{self.key(content_hash, model, options)}.npz"

    def load(
        self,
        content_hash: str,
        model: str,
        options: Mapping[str, Any] | None = None,
        video_id: str | None = None,
        dimension: int | None = None,
    ) -> VideoEmbedding | None:
        """The cached embedding, or None when missing or bad (a bad file is set aside, warned about)."""
        file = self.path(content_hash, model, options)
        if not file.exists():
            return None
        try:
            embedding = _read_npz(file, content_hash, model, dimension)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            target = file.with_suffix(".bad")  # kept for inspection, never used again
            os.replace(file, target)
            message = "cache file %s is unusable (%s): set aside as %s; embedding that video again"
            logger.warning(message, file, error, target.name)
            return None
        return replace(embedding, video_id=video_id) if video_id else embedding

    def store(self, embedding: VideoEmbedding, options: Mapping[str, Any] | None = None) -> Path:
        """Check the vectors, then write one video's embedding atomically (temporary file, os.replace)."""
        check_embedding(embedding)
        meta = {"video_id": embedding.video_id, "content_hash": embedding.content_hash,
                "model": embedding.model, "options": dict(options or {})}  # fmt: skip
        segments = embedding.segments
        return write_atomically(
            self.path(embedding.content_hash, embedding.model, options),
            lambda handle: np.savez(
                handle,
                vectors=np.stack([s.vector for s in segments]).astype(np.float32),
                starts=np.array([s.start_sec for s in segments], dtype=np.float64),
                ends=np.array([s.end_sec for s in segments], dtype=np.float64),
                scopes=np.array([s.scope for s in segments]),
                meta=np.array(canonical_json(meta)),
            ),
        )


def _read_npz(file: Path, content_hash: str, model: str, dimension: int | None) -> VideoEmbedding:
    """Read and validate one cache file; raise ValueError/KeyError/... when it is not right."""
    with np.load(file, allow_pickle=False) as archive:
        meta = json.loads(str(archive["meta"]))
        vectors = archive["vectors"].astype(np.float32)
        starts, ends, scopes = archive["starts"], archive["ends"], archive["scopes"]
    if meta.get("content_hash") != content_hash or meta.get("model") != model:
        raise ValueError("it belongs to another video or model")
    if (problem := vector_problem(vectors, dimension)) or set(map(str, scopes)) - {"video", "clip"}:
        raise ValueError(f"it holds {problem or 'an unknown scope'}")
    segments = [  # arrays of different lengths: ValueError from zip
        Segment(str(scope), float(start), float(end), vector)
        for scope, start, end, vector in zip(scopes, starts, ends, vectors, strict=True)
    ]
    return VideoEmbedding(meta["video_id"], content_hash, model, segments)


class TaskJournal:
    """Created tasks by cache key (`<cache dir>/tasks/<key>.json`), safe for several processes.

    Opening it drops the entries older than the retention and the temporary files a killed
    run left."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = resolve_path(directory)
        for file in self.directory.glob("*.json") if self.directory.is_dir() else ():
            self.find(file.stem)
        remove_orphans(self.directory)

    def record(self, key: str, task_id: str, video_id: str, created: float) -> None:
        """Store a task (created at `created`, epoch s) atomically, as soon as it exists."""
        entry = {"task_id": task_id, "video_id": video_id, "created": created}
        text = json.dumps(entry).encode("utf-8")
        write_atomically(self.directory / f"{key}.json", lambda handle: handle.write(text))

    def find(self, key: str) -> str | None:
        """The task id for `key` if younger than the API's retention (older ones are dropped)."""
        file = self.directory / f"{key}.json"
        try:
            entry = json.loads(file.read_text(encoding="utf-8"))
            task_id, created = str(entry["task_id"]), float(entry["created"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning("task journal entry %s is unreadable (%s); ignoring it", file, error)
            return None
        if time.time() - created > TASK_RETENTION_SECONDS:
            self.forget(key)
            return None
        return task_id

    def forget(self, key: str) -> None:
        """Drop an entry (its task is cached, failed or expired)."""
        (self.directory / f"{key}.json").unlink(missing_ok=True)
