"""Ingest = check → upload → embed (cache first) → upsert, with a progress bar and a report.

Every step is idempotent: the same bytes are not uploaded twice, a cached embedding is never
paid for again, and deterministic point ids make a re-run overwrite instead of duplicate.
A failed video is reported and the batch goes on; an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from qdrant_client import QdrantClient

from .config import Settings, VidrecError, get_settings, resolve_path
from .embed_cache import EmbeddingCache
from .embeddings import DEFAULT_CONCURRENCY, Embedder, embed_many, make_embedder
from .index import (
    collection_name,
    connect,
    count_points,
    ensure_collection,
    points_for,
    upsert_points,
)
from .records import NotAFileError, VideoSource, file_sha256, text_sha256
from .samples import load_catalog, sample_video_dir, video_text
from .storage import VIDEO_TYPES, printable, upload_sources
from .video_checks import check_video

#: Most files uploaded at once, whatever the embedding concurrency: uploads share one link, and
#: each large file goes in up to 4 parts of 8 MB at once (storage.TRANSFER_CONFIG).
UPLOAD_CONCURRENCY = 8


@dataclass
class IngestReport:
    """What one ingest run did, step by step."""

    mode: str
    model: str
    collection: str
    videos: int = 0
    uploaded: list[str] = field(default_factory=list)
    upload_skipped: list[str] = field(default_factory=list)
    embedded: list[str] = field(default_factory=list)
    from_cache: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # by file path (catalog id if no file)
    points_upserted: int = 0
    points_in_collection: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """A few lines for the CLI and the notebooks."""
        lines = [
            f"ingest ({self.mode}, {self.model}) into {self.collection!r}: {self.videos} videos",
            f"  uploaded: {len(self.uploaded)}, already in S3: {len(self.upload_skipped)}",
            f"  embedded: {len(self.embedded)}, from cache: {len(self.from_cache)}, failed: {len(self.failed)}",
            f"  points upserted: {self.points_upserted} (collection now holds {self.points_in_collection})",
        ]
        lines += [
            f"  FAILED {printable(where)}: {printable(reason)}"
            for where, reason in sorted(self.failed.items())
        ]
        return "\n".join(lines)


def failure_key(source: VideoSource) -> str:
    """Where a failure is reported: the file's path, so one bad copy never fails a good one."""
    return str(source.path) if source.path is not None else source.video_id


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and the video files inside any folder given (sorted)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in VIDEO_TYPES)
        else:
            found.append(path)
    return found


def sources_from_paths(paths: Iterable[str | Path]) -> tuple[list[VideoSource], dict[str, str]]:
    """Video sources for files and folders, and the failures of paths that cannot be read.

    A sample clip keeps its catalog id and labels; any other file gets the id
    `<name>-<first 8 hex of its hash>`, so two files with one name never collide.
    """
    samples = {s.content_hash: s for s in catalog_sources() if s.path is not None}
    sources: list[VideoSource] = []
    failed: dict[str, str] = {}
    for path in _expand(paths):
        try:
            content_hash = file_sha256(path)
        except NotAFileError as error:
            failed[str(path)] = str(error)
        except OSError as error:
            failed[str(path)] = f"cannot read {path}: {error.strerror or error}; check the path"
        else:
            slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "video"
            video_id, title = f"{slug}-{content_hash[:8]}", path.stem.replace("_", " ")
            own = VideoSource(video_id, content_hash, path, title=title, filename=path.name)
            sources.append(replace(samples.get(content_hash, own), path=path))
    return sources, failed


def catalog_sources() -> list[VideoSource]:
    """Every sample catalog entry: the real clips with their files, the others by description."""
    folder, sources = sample_video_dir(), []
    for entry in load_catalog():
        path = folder / entry["filename"] if entry["filename"] else None
        content_hash = file_sha256(path) if path else text_sha256(video_text(entry))
        sources.append(
            VideoSource(
                entry["id"],
                content_hash,
                path,
                title=entry["title"],
                filename=entry["filename"] or "",
                intent=entry["intent"],
                mood=entry["mood"],
                duration=float(entry["duration"]),
            )
        )
    return sources


def default_sources(settings: Settings) -> list[VideoSource]:
    """What `vidrec ingest` takes with no path: the whole catalog offline, the sample clips live."""
    if settings.mode == "offline":
        return catalog_sources()
    return [s for s in catalog_sources() if s.path is not None]


def _check_files(
    sources: list[VideoSource], report: IngestReport, mode: str = "live"
) -> list[VideoSource]:
    """Validate each file before paying for it, and note its duration; a bad file is reported.

    Each file is probed once, here (the embedder uses the duration). Offline nothing is paid for
    and the shipped clips are known good (tests/test_sample_videos.py), so they are not probed
    (probing loads PyAV, ~0.2 s of an offline start): their duration comes from the catalog.
    """
    good, shipped = [], sample_video_dir().resolve()
    for source in sources:
        if source.path is None or (mode == "offline" and source.path.parent.resolve() == shipped):
            good.append(source)
            continue
        try:
            info = check_video(source.path)
        except VidrecError as error:
            report.failed[failure_key(source)] = str(error)
            continue
        if source.duration is None:
            source.duration = round(info.duration, 3)
        good.append(source)
    return good


def _upload(
    sources: list[VideoSource], settings: Settings, report: IngestReport, concurrency: int
) -> list[VideoSource]:
    """Upload the files, fill in each source's S3 key (the embedder signs its URL right before
    its task); return the sources whose upload did not fail."""
    with_files = [s for s in sources if s.path is not None]
    if not with_files:
        return sources
    concurrency = min(concurrency, UPLOAD_CONCURRENCY)
    outcomes = upload_sources(with_files, settings, concurrency=concurrency)
    for source, outcome in zip(with_files, outcomes, strict=True):
        if not outcome.ok:
            report.failed[failure_key(source)] = outcome.error
        else:
            (report.uploaded if outcome.uploaded else report.upload_skipped).append(source.video_id)
    return [source for source in sources if failure_key(source) not in report.failed]


def ingest(
    paths: Sequence[str | Path] | None = None,
    *,
    settings: Settings | None = None,
    client: QdrantClient | None = None,
    embedder: Embedder | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: bool = True,
    use_cache: bool = True,
    upload: bool = True,
    poll_timeout: float | None = None,
) -> IngestReport:
    """Upload, embed and index videos (no paths: the samples); return what happened.

    `poll_timeout` (s): how long to wait for one TwelveLabs task (default: max(15 min, 3x the
    video's duration)); a task still running then is journaled and resumed by the next run.
    """
    started = time.monotonic()
    settings = settings or get_settings()
    embedder = embedder or make_embedder(settings, poll_timeout=poll_timeout)
    client = client or connect(settings)
    collection = collection_name(embedder.model, embedder.dimension)
    report = IngestReport(mode=settings.mode, model=embedder.model, collection=collection)

    if paths:
        sources, unreadable = sources_from_paths(paths)
        report.failed.update(unreadable)
        if not sources and not unreadable:
            raise VidrecError(
                f"no video files found in {', '.join(map(str, paths))}: give .mp4 files or folders"
            )
    else:
        sources = default_sources(settings)
    report.videos = len(sources) + len(report.failed)

    sources = _check_files(sources, report, settings.mode)
    if upload:
        sources = _upload(sources, settings, report, concurrency)
    # identical copies share a video id and give the same points: embed one of them
    by_id = {source.video_id: source for source in sources}
    cache = EmbeddingCache(resolve_path(settings.cache_dir)) if use_cache else None
    embedded = embed_many(
        embedder, by_id.values(), concurrency=concurrency, cache=cache, progress=progress
    )
    report.from_cache = sorted(embedded.from_cache)
    report.embedded = sorted(embedded.new)
    for video_id, reason in embedded.failed.items():
        report.failed[failure_key(by_id[video_id])] = reason

    ensure_collection(client, collection, embedder.model, embedder.dimension)
    points = (
        p for video_id, e in embedded.embedded.items() for p in points_for(by_id[video_id], e)
    )
    report.points_upserted = upsert_points(client, collection, points)
    report.points_in_collection = count_points(client, collection)
    report.seconds = time.monotonic() - started
    return report
