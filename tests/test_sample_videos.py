"""The sample clips in data/videos/: playable, small, and described by the catalog as rendered.

The clips are rendered by ``scripts/make_sample_videos.py`` from the table in
``scripts/sample_clip_specs.py``; ``data/catalog/sample_clips.json`` describes them.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path

import av
import numpy as np
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


def _script():
    """scripts/make_sample_videos.py as a module (it imports the clip table beside it)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location(
            "make_sample_videos", ROOT / "scripts" / "make_sample_videos.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return module


SCRIPT = _script()


def _specs() -> dict[str, dict]:
    """The clip table the script renders, by file name."""
    return {f"{clip['name']}.mp4": clip for clip in SCRIPT.CLIPS}


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


def _blocks(image: np.ndarray) -> np.ndarray:
    """Mean colour of each 8x8 pixel block."""
    height, width, _ = image.shape
    return image.astype(np.float32).reshape(height // 8, 8, width // 8, 8, 3).mean(axis=(1, 3))


@pytest.mark.parametrize("path", VIDEOS, ids=[p.name for p in VIDEOS])
def test_shipped_clip_is_what_the_table_renders(path: Path):
    """The committed mp4 shows the frames the script draws now.

    H.264 is lossy and blurs sharp edges, so frames are compared as means of 8x8 pixel blocks:
    coding noise stays under ~30 per block, a shape moved by a few pixels or a changed colour
    gives far more.
    """
    wanted, start = {}, 0.0
    for scene in _specs()[path.name]["scenes"]:
        for t in (1.0, scene["seconds"] - 0.5):  # two instants of every scene
            wanted[round((start + t) * SCRIPT.FPS)] = (scene, t)
        start += scene["seconds"]
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                scene, t = wanted.pop(index)
                shipped, drawn = frame.to_ndarray(format="rgb24"), SCRIPT.picture(scene, t)
                difference = np.abs(_blocks(shipped) - _blocks(drawn)).max()
                assert difference < 40, f"{path.name}: frame {index} is not what the table draws"
    assert not wanted, f"{path.name} is shorter than its table"
