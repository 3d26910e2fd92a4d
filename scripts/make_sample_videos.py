#!/usr/bin/env python3
"""Render the sample clips in data/videos/ from a table of specs: shapes, motions and tones.

Each clip is two scenes of at least 4 s (Marengo 3.0's default minimum segment length, so the
catalog's scene times are ones its dynamic segmentation could produce), drawn with Pillow,
scored with a few synthesised voices, written by `vidrec_standins.media.write_mp4` and checked
with `vidrec_helpers.video_checks.check_video`. Same table, same frames and samples.

    python scripts/make_sample_videos.py                # all clips -> data/videos/
    python scripts/make_sample_videos.py --only rocket_run --out /tmp/clips
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from sample_clip_specs import CLIPS, DARK  # the table beside this script

from vidrec_helpers.video_checks import VideoCheckError, check_video
from vidrec_standins.media import SAMPLE_RATE, write_mp4

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, FPS = 480, 360, 24
MAX_BYTES = 250_000  # tests/test_sample_videos.py allows 300 KB; stay well under it
CRFS = (30, 33, 36)  # H.264 quality levels tried in turn until the file is small enough
MIN_SCENE = 4.0
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def interpolate(keys: tuple, t: float) -> tuple[float, ...]:
    """Values at time `t` from keyframes ((t, a, b), ...), linear in between; a bare (a, b) holds."""
    if not isinstance(keys[0], tuple):
        return tuple(float(v) for v in keys)
    times = [key[0] for key in keys]
    return tuple(
        float(np.interp(t, times, [key[i] for key in keys])) for i in range(1, len(keys[0]))
    )


def shown(item: dict, t: float) -> bool:
    """True while the item is on screen (its `show` window and its `every` blink)."""
    start, end = item.get("show", (0, 99))
    if not start <= t < end:
        return False
    if "every" in item:
        return (t / item["every"] + item.get("phase", 0)) % 1 < 0.5
    return True


def where(item: dict, t: float) -> tuple[float, float]:
    """An item's position: its path plus its bounce, bob or orbit."""
    x, y = interpolate(item["path"], t)
    if "bounce" in item:
        height, period = item["bounce"]
        y -= height * abs(np.sin(np.pi * t / period))
    if "bob" in item:
        amplitude, period = item["bob"]
        y += amplitude * np.sin(2 * np.pi * t / period)
    if "orbit" in item:
        rx, ry, period, *phase = item["orbit"]
        angle = 2 * np.pi * (t / period + (phase[0] if phase else 0))
        x, y = x + rx * np.cos(angle), y + ry * np.sin(angle)
    return x, y


def draw_sprite(
    draw: ImageDraw.ImageDraw, parts: list, x: float, y: float, scale: float = 1
) -> None:
    """Draw a sprite's parts around (x, y)."""
    for shape, colour, (dx, dy), (w, h), *text in parts:
        cx, cy, w, h = x + dx * scale, y + dy * scale, w * scale, h * scale
        box = [cx - w / 2, cy - abs(h) / 2, cx + w / 2, cy + abs(h) / 2]
        if shape == "ellipse":
            draw.ellipse(box, fill=colour)
        elif shape == "rect":
            draw.rectangle(box, fill=colour)
        elif shape == "tri":  # points up, or down when the height is negative
            draw.polygon(
                [(cx, cy - h / 2), (cx + w / 2, cy + h / 2), (cx - w / 2, cy + h / 2)], fill=colour
            )
        else:
            font = (
                ImageFont.truetype(FONT, int(w))
                if Path(FONT).exists()
                else ImageFont.load_default(int(w))
            )
            draw.text(
                (cx, cy),
                text[0],
                font=font,
                fill=colour,
                anchor="mm",
                stroke_width=2,
                stroke_fill=DARK,
            )


def draw_swarm(draw: ImageDraw.ImageDraw, item: dict, t: float) -> None:
    """Glowing dots turning on a spiral around the item's position (fireflies, sparkles, smoke)."""
    x, y = where(item, t)
    count, size = item["swarm"], item["size"]
    brightness = 1.0
    if "fade" in item:
        start, end = item["fade"]
        brightness = 1 - float(np.clip((t - start) / (end - start), 0, 0.9))
    dots = []
    for k in range(count):
        angle = 2 * np.pi * (t / item["period"] + k / count) + k
        radius = item["radius"] * (0.3 + 0.7 * ((k * 0.618) % 1))
        dots.append((x + radius * np.cos(angle), y + 0.6 * radius * np.sin(angle)))
    layers = [(1.8, 0.4), (0.5, 1.0)] if item.get("glow", True) else [(0.5, 1.0)]
    for spread, strength in layers:  # a dim halo under every dot first, then the bright cores
        colour = tuple(int(c * brightness * strength) for c in item["colour"])
        for px, py in dots:
            r = size * spread
            draw.ellipse([px - r, py - r, px + r, py + r], fill=colour)


def draw_item(draw: ImageDraw.ImageDraw, item: dict, t: float) -> None:
    """Draw one item of a scene at time `t`."""
    if not shown(item, t):
        return
    if "sprite" in item:
        draw_sprite(draw, item["sprite"], *where(item, t), item.get("scale", 1))
    elif "swarm" in item:
        draw_swarm(draw, item, t)
    elif "stars" in item:  # twinkling points at fixed random places
        rng = np.random.default_rng(item.get("seed", 1))
        x0, y0, x1, y1 = item.get("area", (0, 0, WIDTH, HEIGHT * 0.7))
        for k in range(item["stars"]):
            px, py = rng.uniform(x0, x1), rng.uniform(y0, y1)
            radius = 1 + 1.5 * (0.5 + 0.5 * np.sin(3 * t + k * 1.7))
            draw.ellipse([px - radius, py - radius, px + radius, py + radius], fill=item["colour"])
    elif "waves" in item:  # a band of water whose surface rolls
        amplitude = (
            interpolate(item["amp"], t)[0] if isinstance(item["amp"], tuple) else item["amp"]
        )
        xs = np.arange(0, WIDTH + 8, 8)
        ys = item["base"] + amplitude * np.sin(xs / 40 + 3 * t)
        draw.polygon([*zip(xs, ys, strict=True), (WIDTH, HEIGHT), (0, HEIGHT)], fill=item["waves"])
    elif "bars" in item:  # an equaliser: stacked blocks green, yellow, red (or rainbow later)
        width = WIDTH / item["bars"]
        for k in range(item["bars"]):
            level = int(
                3 + 7 * abs(np.sin(2 * np.pi * t * 1.5 + k * 0.7) * np.sin(np.pi * t * 2 + k))
            )
            for block in range(level):
                if t >= item.get("rainbow", 99):
                    hue = (k / item["bars"] + t / 2) % 1
                    colour = tuple(
                        int(255 * (0.5 + 0.5 * np.cos(2 * np.pi * (hue + s))))
                        for s in (0, 1 / 3, 2 / 3)
                    )
                else:
                    colour = (
                        (60, 220, 90)
                        if block < 5
                        else (240, 210, 40)
                        if block < 8
                        else (230, 50, 50)
                    )
                top = HEIGHT - 20 - (block + 1) * 18
                draw.rectangle([k * width + 4, top, (k + 1) * width - 4, top + 14], fill=colour)


def sky(scene: dict, t: float) -> Image.Image:
    """The scene's background: a vertical gradient whose colours move from start to end."""
    first, last = scene["sky"][0], scene["sky"][-1]
    u = t / scene["seconds"]
    top, bottom = (
        np.add(np.multiply(a, 1 - u), np.multiply(b, u)) for a, b in zip(first, last, strict=True)
    )
    rows = np.linspace(0, 1, HEIGHT)[:, None]
    column = np.asarray(top) * (1 - rows) + np.asarray(bottom) * rows
    return Image.fromarray(np.repeat(column[:, None, :], WIDTH, axis=1).astype(np.uint8))


def picture(scene: dict, t: float) -> np.ndarray:
    """One frame: the scene `t` seconds after it starts (RGB, height x width x 3)."""
    image = sky(scene, t)
    draw = ImageDraw.Draw(image)
    for item in scene["items"]:
        draw_item(draw, item, t)
    return np.asarray(image)


def frames(clip: dict):
    """Every frame of a clip, scene after scene."""
    for scene in clip["scenes"]:
        for index in range(round(scene["seconds"] * FPS)):
            yield picture(scene, index / FPS)


def voice(kind: str, pitch: float, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """One synthesised note: tones, struck bars and bells, drums and noises."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    frequency = 440.0 * 2 ** ((pitch - 69) / 12)
    fade = np.minimum(1, np.minimum(t / 0.005, (seconds - t) / 0.02))
    sweeps = {
        "boing": 1 + 0.6 * np.exp(-6 * t) * np.sin(2 * np.pi * 9 * t),
        "slide": 1 + np.sin(np.pi * t / seconds),
        "kick": 1 + 3 * np.exp(-25 * t),
        "tom": 1 + np.exp(-20 * t),
    }
    phase = 2 * np.pi * np.cumsum(frequency * sweeps.get(kind, 1)) / SAMPLE_RATE
    noise = rng.standard_normal(len(t))
    sounds = {
        "beep": np.sign(np.sin(phase)) * 0.5,
        "pad": np.sin(phase) + 0.3 * np.sin(2 * phase),
        "xylo": np.sin(phase) * np.exp(-7 * t),
        "pluck": np.sin(phase) * np.exp(-10 * t),
        "bell": (np.sin(phase) + 0.4 * np.sin(2.76 * phase)) * np.exp(-4 * t),
        "boing": np.sin(phase) * np.exp(-3 * t),
        "slide": np.sin(phase),
        "kick": np.sin(phase) * np.exp(-9 * t),
        "tom": np.sin(phase) * np.exp(-12 * t),
        "hat": np.diff(noise, prepend=0) * np.exp(-60 * t),
        "snare": noise * np.exp(-30 * t),
        "crash": np.diff(noise, prepend=0) * np.exp(-5 * t),
        "rumble": np.convolve(noise, np.ones(60) / 8, "same"),
        "whoosh": np.convolve(noise, np.ones(12) / 4, "same") * np.sin(np.pi * t / seconds),
    }
    if kind == "pad":
        fade = np.minimum(1, np.minimum(t / 0.3, (seconds - t) / 0.4))
    return sounds[kind] * fade


def soundtrack(clip: dict) -> np.ndarray:
    """The clip's notes mixed into one mono track, peak 0.8."""
    rng = np.random.default_rng(7)
    total = sum(scene["seconds"] for scene in clip["scenes"])
    track = np.zeros(int(total * SAMPLE_RATE) + SAMPLE_RATE)
    offset = 0.0
    for scene in clip["scenes"]:
        for start, kind, pitch, seconds, volume in scene["notes"]:
            sound = voice(kind, pitch, seconds, rng) * volume
            first = int((offset + start) * SAMPLE_RATE)
            track[first : first + len(sound)] += sound[: len(track) - first]
        offset += scene["seconds"]
    track = track[: int(total * SAMPLE_RATE)]
    return (0.8 * track / max(1e-9, float(np.abs(track).max()))).astype(np.float32)


def render(clip: dict, folder: Path) -> Path:
    """Write one clip, at the best quality that stays under MAX_BYTES, and check it."""
    short = [s["seconds"] for s in clip["scenes"] if s["seconds"] < MIN_SCENE]
    if short:
        raise SystemExit(f"{clip['name']}: scenes of {short} s are under Marengo's {MIN_SCENE} s")
    images, audio = list(frames(clip)), soundtrack(clip)
    path = folder / f"{clip['name']}.mp4"
    for crf in CRFS:
        write_mp4(path, images, (WIDTH, HEIGHT), FPS, audio, crf=crf)
        if path.stat().st_size <= MAX_BYTES:
            break
    info = check_video(path)
    if info.size_bytes > MAX_BYTES or not info.has_audio or info.codec != "h264":
        raise VideoCheckError(f"{path.name}: {info} misses the sample clip rules")
    print(f"{path.name:30s} {info.duration:5.1f} s  {info.size_bytes / 1000:6.1f} KB  crf {crf}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "videos", help="output folder")
    parser.add_argument("--only", action="append", default=[], help="render only this clip")
    args = parser.parse_args(argv)
    names = [clip["name"] for clip in CLIPS]
    unknown = sorted(set(args.only) - set(names))
    if unknown:
        parser.error(f"unknown clip(s) {unknown}; choose from {names}")
    for clip in CLIPS:
        if not args.only or clip["name"] in args.only:
            render(clip, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
