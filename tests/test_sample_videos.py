"""Checks for the procedurally generated sample clips in data/videos/.

The clips are made by ``scripts/make_sample_videos.py``; their metadata lives in
``data/catalog/sample_clips.json``.  Every mp4 must be a real, browser-playable
file (>= 5 s, >= 360x360, with an audio track, < 300 KB) and must have exactly
one catalog entry, and every catalog entry must point at an existing file.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import av
import pytest

ROOT = Path(__file__).resolve().parents[1]
VIDEO_DIR = ROOT / "data" / "videos"
CATALOG = ROOT / "data" / "catalog" / "sample_clips.json"

MIN_SECONDS = 5.0
MIN_SIDE = 360
MAX_BYTES = 300_000

VIDEOS = sorted(VIDEO_DIR.glob("*.mp4"))

INTENTS = {"sci-fi", "cartoon", "kids", "family", "adventure", "fantasy"}
MOODS = {"comedy", "fantasy", "action", "musical", "magical"}
BANNED_WORDS = set(
    "sci-fi scifi science fiction cartoon cartoons kid kids family families adventure "
    "adventures adventurous fantasy fantasies fantastical comedy comedies comedic action "
    "musical musicals magical magic magically".split()
)


def _catalog() -> list[dict]:
    return json.loads(CATALOG.read_text(encoding="utf-8"))


def _stream_seconds(stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


def _probe(path: Path) -> dict:
    with av.open(str(path)) as container:
        assert container.streams.video, f"{path.name}: no video stream"
        video = container.streams.video[0]
        info = {
            "width": video.codec_context.width,
            "height": video.codec_context.height,
            "vcodec": video.codec_context.name,
            "has_audio": bool(container.streams.audio),
            "video_seconds": _stream_seconds(video),
            "audio_seconds": None,
        }
        if info["has_audio"]:
            audio = container.streams.audio[0]
            info["acodec"] = audio.codec_context.name
            info["audio_seconds"] = _stream_seconds(audio)
        if info["video_seconds"] is None:  # fall back to counting decoded frames
            frames = sum(1 for _ in container.decode(video=0))
            info["video_seconds"] = frames / float(video.average_rate)
    return info


def test_there_are_sample_videos():
    assert VIDEOS, f"no mp4 files in {VIDEO_DIR}; run scripts/make_sample_videos.py"


@pytest.mark.parametrize("path", VIDEOS, ids=[p.name for p in VIDEOS])
def test_video_file_meets_requirements(path: Path):
    size = path.stat().st_size
    assert size < MAX_BYTES, f"{path.name} is {size} bytes (limit {MAX_BYTES})"
    info = _probe(path)
    assert info["video_seconds"] >= MIN_SECONDS, f"{path.name}: only {info['video_seconds']:.2f}s"
    assert info["width"] >= MIN_SIDE and info["height"] >= MIN_SIDE, (
        f"{path.name}: {info['width']}x{info['height']} is below {MIN_SIDE}x{MIN_SIDE}"
    )
    assert info["has_audio"], f"{path.name}: no audio stream"
    if info["audio_seconds"] is not None:
        assert info["audio_seconds"] >= MIN_SECONDS, (
            f"{path.name}: audio only {info['audio_seconds']:.2f}s"
        )
    assert info["vcodec"] == "h264"
    assert info["acodec"] == "aac"


def test_catalog_and_files_match_one_to_one():
    names_in_catalog = Counter(entry["filename"] for entry in _catalog())
    duplicates = sorted(n for n, c in names_in_catalog.items() if c > 1)
    assert not duplicates, f"files listed more than once in the catalog: {duplicates}"
    on_disk = {p.name for p in VIDEOS}
    assert not on_disk - set(names_in_catalog), (
        f"videos without a catalog entry: {sorted(on_disk - set(names_in_catalog))}"
    )
    assert not set(names_in_catalog) - on_disk, (
        f"catalog entries without a video file: {sorted(set(names_in_catalog) - on_disk)}"
    )


def _banned(text: str) -> list[str]:
    low = text.lower()
    words = set(re.findall(r"[a-z0-9]+", low)) | set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", low))
    return sorted(words & BANNED_WORDS)


@pytest.mark.parametrize(
    "entry", _catalog() if CATALOG.exists() else [], ids=lambda e: e.get("id", "?")
)
def test_catalog_entry_schema(entry: dict):
    assert re.fullmatch(r"clip-[a-z0-9-]+", entry["id"])
    assert entry["intent"] in INTENTS
    assert entry["mood"] in MOODS
    assert "/" not in entry["filename"] and entry["filename"].endswith(".mp4")
    assert 40 <= len(entry["description"].split()) <= 90
    real = _probe(VIDEO_DIR / entry["filename"])["video_seconds"]
    assert abs(entry["duration"] - round(real, 1)) < 0.051
    scenes = entry["scenes"]
    assert 2 <= len(scenes) <= 3
    assert scenes[0]["start_sec"] == 0
    for scene in scenes:
        assert scene["start_sec"] < scene["end_sec"]
        assert 15 <= len(scene["description"].split()) <= 40
    for a, b in zip(scenes, scenes[1:], strict=False):
        assert b["start_sec"] >= a["end_sec"]
    assert scenes[-1]["end_sec"] <= entry["duration"]
    for text in [entry["title"], entry["description"]] + [s["description"] for s in scenes]:
        assert not _banned(text), f"{entry['id']}: banned words {_banned(text)} in {text!r}"


def test_catalog_ids_unique():
    ids = [e["id"] for e in _catalog()]
    assert len(ids) == len(set(ids))
