"""The sample clips in data/videos/: playable, small, and described by the catalog as rendered.

The clips are rendered by ``scripts/make_sample_videos.py`` from the table in
``scripts/sample_clip_specs.py``; ``data/catalog/sample_clips.json`` describes them.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import av
import pytest

from vidrec_helpers.labels import INTENTS, MOODS
from vidrec_helpers.samples import sample_video_dir, sample_videos
from vidrec_helpers.video_checks import MARENGO_LIMITS, check_video

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "data" / "catalog" / "sample_clips.json"
MAX_BYTES = 300_000
VIDEOS = sample_videos()


def _catalog() -> list[dict]:
    return json.loads(CATALOG.read_text(encoding="utf-8"))


def _specs() -> dict[str, dict]:
    """The clip table the script renders, by file name."""
    spec = importlib.util.spec_from_file_location(
        "sample_clip_specs", ROOT / "scripts" / "sample_clip_specs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {f"{clip['name']}.mp4": clip for clip in module.CLIPS}


def _audio_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        return float(audio.duration * audio.time_base)


@pytest.mark.parametrize("path", VIDEOS, ids=[p.name for p in VIDEOS])
def test_video_file_meets_requirements(path: Path):
    info = check_video(path)  # Marengo's limits: duration, resolution, aspect ratio
    assert info.size_bytes < MAX_BYTES, f"{path.name} is {info.size_bytes} bytes"
    assert info.codec == "h264" and info.has_audio, f"{path.name}: {info}"
    assert _audio_seconds(path) >= info.duration - 0.1, f"{path.name}: audio ends early"


def test_catalog_and_files_match_one_to_one():
    names = Counter(entry["filename"] for entry in _catalog())
    assert [n for n, c in names.items() if c > 1] == []
    assert set(names) == {p.name for p in VIDEOS} == set(_specs())


@pytest.mark.parametrize("entry", _catalog(), ids=lambda e: e["id"])
def test_catalog_entry_matches_its_clip(entry: dict):
    assert re.fullmatch(r"clip-[a-z0-9-]+", entry["id"])
    assert entry["intent"] in INTENTS and entry["mood"] in MOODS
    assert 40 <= len(entry["description"].split()) <= 90
    real = check_video(sample_video_dir() / entry["filename"]).duration
    assert entry["duration"] == pytest.approx(real, abs=0.05)
    rendered = [scene["seconds"] for scene in _specs()[entry["filename"]]["scenes"]]
    described = [scene["end_sec"] - scene["start_sec"] for scene in entry["scenes"]]
    assert described == pytest.approx(rendered), "scene times differ from the rendered scenes"
    assert (
        entry["scenes"][0]["start_sec"] == 0 and entry["scenes"][-1]["end_sec"] == entry["duration"]
    )
    for scene in entry["scenes"]:
        assert 15 <= len(scene["description"].split()) <= 40
        # Marengo 3.0's default segmentation never makes a segment under its 4 s minimum
        assert scene["end_sec"] - scene["start_sec"] >= MARENGO_LIMITS.min_duration
