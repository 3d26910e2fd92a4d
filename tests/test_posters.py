"""Posters: one small valid JPEG per catalog entry; clip frames from the clip; drawn ones stable."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vidrec_helpers.explore import poster_data_uri, poster_path
from vidrec_helpers.samples import load_catalog, sample_video_dir

# the drawing lives with the build scripts, not in the package
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from make_posters import (  # noqa: E402
    BUDGET_BYTES,
    SIZE,
    PosterError,
    draw_poster,
    first_scene_middle,
    frame_poster,
    jpeg_bytes,
    make_posters,
    video_frame,
)

#: Largest single poster file (they are committed; the budget is for all 188 together).
FILE_LIMIT = 30_000


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float32)


def test_every_catalog_entry_has_a_small_valid_jpeg():
    total = 0
    for entry in load_catalog():
        path = poster_path(entry["id"])
        assert path is not None, f"no poster for {entry['id']}: run python scripts/make_posters.py"
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert image.format == "JPEG" and image.size == SIZE
        size = path.stat().st_size
        assert 1_000 < size < FILE_LIMIT, f"{path.name} is {size} bytes"
        total += size
    assert total < BUDGET_BYTES


def test_clip_posters_are_frames_of_their_clip():
    clips = [entry for entry in load_catalog() if entry["filename"]]
    assert clips
    for entry in clips:
        video = sample_video_dir() / entry["filename"]
        frame = frame_poster(video, first_scene_middle(entry))
        with Image.open(poster_path(entry["id"])) as stored:
            difference = np.abs(pixels(stored) - pixels(frame)).mean()
        drawn = draw_poster(entry["title"], entry["intent"], entry["mood"], entry["id"])
        assert difference < 6, f"{entry['id']}: the poster is not the clip's frame"
        assert np.abs(pixels(drawn) - pixels(frame)).mean() > 3 * difference


def test_a_frame_is_taken_at_the_asked_time():
    video = sample_video_dir() / "rocket_run.mp4"
    early, late = video_frame(video, 0.5), video_frame(video, 6.5)
    assert early.size == (480, 360)
    assert np.abs(pixels(early) - pixels(late)).mean() > 5
    past_the_end = video_frame(video, 60.0)
    assert past_the_end.size == early.size


def test_drawn_posters_are_deterministic_and_differ_per_video():
    first = jpeg_bytes(draw_poster("Moon Choir", "kids", "musical", "kids-musical-9"))
    again = jpeg_bytes(draw_poster("Moon Choir", "kids", "musical", "kids-musical-9"))
    other = jpeg_bytes(draw_poster("Moon Choir", "sci-fi", "action", "scifi-action-9"))
    assert first == again and first != other
    assert draw_poster("x" * 300).size == SIZE, "long titles are wrapped and cut"


def test_data_uri_embeds_the_file():
    uri = poster_data_uri("clip-rocket-run")
    assert uri.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == poster_path("clip-rocket-run").read_bytes()


def test_a_video_outside_the_catalog_gets_a_placeholder_with_its_escaped_title():
    uri = poster_data_uri("my-own-video", title="Tom & <Jerry>", intent="family", mood="comedy")
    assert uri.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")
    assert "Tom &amp; &lt;Jerry&gt;" in svg and "FAMILY · COMEDY" in svg and "<Jerry>" not in svg


@pytest.mark.parametrize("video_id", ["../../etc/passwd", "a/b", "", ".hidden", "x" * 300])
def test_ids_that_are_not_file_names_never_reach_the_disk(video_id):
    assert poster_path(video_id) is None
    assert poster_data_uri(video_id).startswith("data:image/svg+xml;base64,")


def test_make_posters_writes_frames_and_drawings(tmp_path: Path):
    catalog = load_catalog()
    entries = [
        next(e for e in catalog if e["filename"]),
        next(e for e in catalog if not e["filename"]),
    ]
    written = make_posters(entries, tmp_path)
    assert [path.name for path in written] == [f"{entry['id']}.jpg" for entry in entries]
    assert all(path.stat().st_size > 1_000 for path in written)


def test_a_missing_clip_says_how_to_restore_it(tmp_path: Path):
    entry = next(e for e in load_catalog() if e["filename"])
    with pytest.raises(PosterError, match="make_sample_videos"):
        make_posters([entry], tmp_path, video_dir=tmp_path)


def test_a_broken_clip_is_a_clear_error(tmp_path: Path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    with pytest.raises(PosterError, match="broken.mp4"):
        video_frame(broken, 1.0)


def test_an_id_that_cannot_be_a_file_name_is_refused(tmp_path: Path):
    entry = {**next(e for e in load_catalog() if not e["filename"]), "id": "../escape"}
    with pytest.raises(PosterError, match="cannot be a file name"):
        make_posters([entry], tmp_path)
