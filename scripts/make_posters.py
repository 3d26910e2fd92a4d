"""Write data/posters/<video_id>.jpg for every catalog entry (clip frames and drawn posters).

An entry with a real clip gets a frame of that clip (taken with PyAV at the middle of its
first scene); a catalog-only entry gets a drawn poster (Pillow: a gradient and a few shapes
chosen by its intent and mood, and its title). Result cards embed the files as `data:` URIs
(`vidrec_helpers.explore`). Run after changing the catalog or the sample clips:
`python scripts/make_posters.py`.
"""

from __future__ import annotations

import hashlib
import io
import random
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vidrec_helpers.config import VidrecError
from vidrec_helpers.explore import SAFE_ID, poster_dir
from vidrec_helpers.samples import load_catalog, sample_video_dir

#: Poster size in pixels (16:9, the card's media box) and JPEG quality.
SIZE = (320, 180)
QUALITY = 70
#: Every poster together must stay below this many bytes (they are committed to git).
BUDGET_BYTES = 5_000_000

#: Two gradient colours per mood (top-left, bottom-right).
MOOD_COLOURS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "comedy": ((255, 196, 61), (236, 94, 48)),
    "fantasy": ((118, 84, 196), (38, 44, 110)),
    "action": ((214, 48, 49), (45, 22, 60)),
    "musical": ((236, 72, 153), (67, 56, 202)),
    "magical": ((20, 120, 140), (22, 30, 72)),
}
_FALLBACK_COLOURS = ((90, 100, 120), (30, 34, 48))


class PosterError(VidrecError):
    """A poster could not be made from a video."""


def jpeg_bytes(image: Image.Image, quality: int = QUALITY) -> bytes:
    """`image` as a small progressive JPEG."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def cover(image: Image.Image, size: tuple[int, int] = SIZE) -> Image.Image:
    """`image` scaled to fill `size`, cropped in the centre (no black bars)."""
    width, height = size
    scale = max(width / image.width, height / image.height)
    scaled = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    left, top = (scaled.width - width) // 2, (scaled.height - height) // 2
    return scaled.crop((left, top, left + width, top + height))


def video_frame(path: Path, at_sec: float) -> Image.Image:
    """The first frame of the video at or after `at_sec` seconds (the last frame if it ends first)."""
    import av.error  # PyAV: imported here, so showing a poster never loads FFmpeg

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            container.seek(int(at_sec * av.time_base), any_frame=False)
            frame = None
            for frame in container.decode(stream):
                if frame.time is not None and frame.time >= at_sec:
                    break
    except (av.error.FFmpegError, OSError, IndexError) as error:
        raise PosterError(
            f"cannot read a frame of {path.name} ({type(error).__name__}): check the file "
            "plays, or re-render the samples with `python scripts/make_sample_videos.py`"
        ) from None
    if frame is None:
        raise PosterError(f"{path.name} has no video frames: check the file, or re-render it")
    return frame.to_image()


def frame_poster(path: Path, at_sec: float) -> Image.Image:
    """A poster-sized frame of a clip."""
    return cover(video_frame(path, at_sec))


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    """`colour` made lighter (factor > 1) or darker (< 1)."""
    return tuple(max(0, min(255, round(channel * factor))) for channel in colour)


def _gradient(size: tuple[int, int], start: tuple, end: tuple) -> Image.Image:
    """A diagonal gradient from `start` (top left) to `end` (bottom right)."""
    width, height = size
    ramp = (np.arange(width)[None, :] / width + np.arange(height)[:, None] / height) / 2
    colours = np.asarray(start) + ramp[..., None] * (np.asarray(end) - np.asarray(start))
    return Image.fromarray(colours.round().astype(np.uint8), "RGB")


def _shapes(draw: ImageDraw.ImageDraw, intent: str, rng: random.Random) -> None:
    """A few light shapes that hint at the intent (planets, balls, balloons, a house, ...)."""
    light, faint = (255, 255, 255, 95), (255, 255, 255, 45)
    if intent == "sci-fi":
        for _ in range(14):
            x, y = rng.randrange(320), rng.randrange(28, 115)
            draw.ellipse((x, y, x + 3, y + 3), fill=light)
        radius, x, y = rng.randrange(22, 48), rng.randrange(60, 270), rng.randrange(45, 80)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=light)
        tilt = rng.randrange(8, 16)
        draw.ellipse(
            (x - radius * 1.6, y - tilt, x + radius * 1.6, y + tilt), outline=light, width=3
        )
        small = rng.randrange(8, 16)
        x, y = rng.choice((x - 110, x + 110)) % 300 + 10, rng.randrange(35, 70)
        draw.ellipse((x - small, y - small, x + small, y + small), fill=faint)
    elif intent == "cartoon":
        for _ in range(rng.randrange(3, 6)):
            size, x, y = rng.randrange(24, 60), rng.randrange(0, 290), rng.randrange(25, 95)
            draw.ellipse((x, y, x + size, y + size), fill=rng.choice((light, faint)))
    elif intent == "kids":
        for _ in range(rng.randrange(3, 7)):
            x, y = rng.randrange(10, 290), rng.randrange(25, 60)
            draw.ellipse((x, y, x + 30, y + 38), fill=rng.choice((light, faint)))
            draw.line((x + 15, y + 38, x + 15 + rng.randrange(-8, 9), y + 85), fill=faint, width=2)
    elif intent == "family":
        left, width = rng.randrange(20, 200), rng.randrange(70, 110)
        roof = rng.randrange(35, 55)
        draw.rectangle((left, 118 - roof - 10, left + width, 118), fill=light)
        draw.polygon(
            [
                (left - 12, 108 - roof),
                (left + width // 2, 60 - roof),
                (left + width + 12, 108 - roof),
            ],
            fill=light,
        )
        draw.rectangle((left + width // 2 - 10, 88, left + width // 2 + 10, 118), fill=faint)
        sun = rng.randrange(14, 24)
        x = (left + width + 60) % 300
        draw.ellipse((x, 30, x + 2 * sun, 30 + 2 * sun), fill=faint)
    elif intent == "adventure":
        for _ in range(rng.randrange(2, 4)):
            peak, width = rng.randrange(0, 320), rng.randrange(90, 170)
            draw.polygon(
                [(peak - width, 118), (peak, rng.randrange(30, 70)), (peak + width, 118)],
                fill=rng.choice((light, faint)),
            )
        x = rng.randrange(20, 290)
        draw.ellipse((x, 22, x + 34, 56), fill=light)
    elif intent == "fantasy":
        left, towers = rng.randrange(10, 170), rng.randrange(2, 5)
        for index in range(towers):
            height = rng.randrange(40, 85)
            x = left + index * 34
            draw.rectangle((x, 118 - height, x + 26, 118), fill=light)
            draw.polygon(
                [(x - 4, 118 - height), (x + 13, 88 - height), (x + 30, 118 - height)], fill=light
            )
        for _ in range(8):
            x, y = rng.randrange(320), rng.randrange(32, 105)
            draw.regular_polygon((x, y, rng.randrange(3, 6)), 4, fill=light)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def draw_poster(title: str, intent: str = "", mood: str = "", seed_text: str = "") -> Image.Image:
    """A deterministic drawn poster: mood colours, intent shapes, the labels and the wrapped title."""
    rng = random.Random(_seed(seed_text or title))
    start, end = MOOD_COLOURS.get(mood, _FALLBACK_COLOURS)
    if rng.random() < 0.5:
        start, end = _shade(end, 1.25), _shade(start, 0.8)
    image = _gradient(SIZE, start, end).convert("RGBA")
    overlay = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    _shapes(draw, intent, rng)
    draw.rectangle((0, 118, SIZE[0], SIZE[1]), fill=(0, 0, 0, 110))
    image = Image.alpha_composite(image, overlay)
    draw = ImageDraw.Draw(image)
    labels = " · ".join(label.upper() for label in (intent, mood) if label)
    if labels:
        draw.text((12, 10), labels, font=_font(12), fill=(255, 255, 255, 230))
    lines = textwrap.wrap(title, width=30)[:2] or [""]
    for number, line in enumerate(lines):
        draw.text((12, 124 + number * 24), line, font=_font(19), fill=(255, 255, 255, 255))
    return image.convert("RGB")


def first_scene_middle(entry: dict) -> float:
    """The middle of an entry's first scene, in seconds (a representative, non-black frame)."""
    scene = entry["scenes"][0]
    return (float(scene["start_sec"]) + float(scene["end_sec"])) / 2


def make_poster(entry: dict, video_dir: Path | None = None) -> Image.Image:
    """The poster of one catalog entry: a frame of its clip, or a drawn one."""
    if entry.get("filename"):
        path = (video_dir or sample_video_dir()) / entry["filename"]
        if not path.is_file():
            raise PosterError(
                f"{entry['id']}: clip {path.name} not found in {path.parent}: restore it with "
                "`git checkout -- data/videos` or `python scripts/make_sample_videos.py`"
            )
        return frame_poster(path, first_scene_middle(entry))
    return draw_poster(entry["title"], entry["intent"], entry["mood"], entry["id"])


def make_posters(
    catalog: list[dict] | None = None,
    directory: Path | None = None,
    video_dir: Path | None = None,
) -> list[Path]:
    """Write `<id>.jpg` for every catalog entry; check the total stays within BUDGET_BYTES."""
    directory = directory or poster_dir()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in catalog if catalog is not None else load_catalog():
        if not SAFE_ID.match(entry["id"]):
            raise PosterError(f"catalog id {entry['id']!r} cannot be a file name: rename it")
        path = directory / f"{entry['id']}.jpg"
        path.write_bytes(jpeg_bytes(make_poster(entry, video_dir)))
        written.append(path)
    total = sum(path.stat().st_size for path in written)
    if total > BUDGET_BYTES:
        raise PosterError(
            f"the posters take {total / 1e6:.1f} MB, over the {BUDGET_BYTES / 1e6:.0f} MB budget: "
            "lower QUALITY in scripts/make_posters.py"
        )
    return written


def main() -> int:
    """Make every poster and print how many, how big and how long it took."""
    started = time.perf_counter()
    try:
        paths = make_posters()
    except VidrecError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sizes = [path.stat().st_size for path in paths]
    print(
        f"{len(paths)} posters in {poster_dir()}: {sum(sizes) / 1e6:.2f} MB "
        f"(budget {BUDGET_BYTES / 1e6:.0f} MB), largest {max(sizes) / 1e3:.1f} KB, "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
