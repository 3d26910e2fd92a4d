#!/usr/bin/env python3
"""Render the vidrec sample clips: small, procedurally animated mp4 files.

Every clip is drawn frame by frame with Pillow/numpy, gets a synthesised
soundtrack, and is encoded with PyAV as H.264 (yuv420p) + AAC in an mp4 with
``+faststart`` so it plays straight away in a browser.  Everything is
deterministic (fixed seeds, no network).

After writing, each file is re-opened with PyAV and checked:

* video stream duration 5.0-8.0 s, audio stream present and >= 5.0 s and audible
* frame size >= 360x360 with an aspect ratio between 1:1 and 2.4:1
* H.264 / yuv420p video, AAC audio
* file size < 300 KB (300 000 bytes)

The script exits non-zero if any clip misses a requirement.

Usage::

    python scripts/make_sample_videos.py              # all clips -> data/videos/
    python scripts/make_sample_videos.py --only rocket_run --out /tmp/clips
"""

from __future__ import annotations

import argparse
import colorsys
import math
import os
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "data" / "videos"

W, H = 480, 360
FPS = 24
SR = 44100
AUDIO_BITRATE = 64_000
MAX_BYTES = 300_000          # hard limit ("under 300 KB")
TARGET_BYTES = 280_000       # aim a little below the limit
MIN_SECONDS, MAX_SECONDS = 5.0, 8.0
CRF_START, CRF_MAX = 30, 40

VIDEO_CODEC_CANDIDATES = ("libx264", "h264")
AUDIO_CODEC_CANDIDATES = ("aac",)

FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
)
_font_cache: dict[int, ImageFont.ImageFont] = {}


# --------------------------------------------------------------------------- #
# small maths / drawing helpers
# --------------------------------------------------------------------------- #
def clamp01(u: float) -> float:
    return 0.0 if u < 0 else 1.0 if u > 1 else u


def ease(u: float) -> float:
    u = clamp01(u)
    return u * u * (3 - 2 * u)


def lerp(a: float, b: float, u: float) -> float:
    return a + (b - a) * u


def mix(c1, c2, u: float) -> tuple[int, int, int]:
    u = clamp01(u)
    return tuple(int(round(a + (b - a) * u)) for a, b in zip(c1, c2, strict=False))


def seg_u(t: float, start: float, end: float) -> float:
    return clamp01((t - start) / (end - start))


def font(size: int) -> ImageFont.ImageFont:
    if size not in _font_cache:
        for p in FONT_PATHS:
            if os.path.exists(p):
                _font_cache[size] = ImageFont.truetype(p, size)
                break
        else:
            _font_cache[size] = ImageFont.load_default(size=size)
    return _font_cache[size]


def text_center(d: ImageDraw.ImageDraw, xy, text: str, size: int, fill, stroke=None):
    kw = {}
    if stroke is not None:
        kw = {"stroke_width": max(2, size // 16), "stroke_fill": stroke}
    d.text(xy, text, font=font(size), fill=fill, anchor="mm", **kw)


def vgradient(top, bottom, h: int = H, w: int = W) -> np.ndarray:
    u = np.linspace(0.0, 1.0, h)[:, None]
    top = np.asarray(top, np.float32)
    bottom = np.asarray(bottom, np.float32)
    col = top[None, :] * (1 - u) + bottom[None, :] * u
    return np.repeat(col[:, None, :], w, axis=1).round().astype(np.uint8)


def sparkle(d: ImageDraw.ImageDraw, x: float, y: float, r: float, fill) -> None:
    """Four-pointed twinkle star."""
    if r < 0.8:
        return
    k = 0.28 * r
    d.polygon(
        [(x, y - r), (x + k, y - k), (x + r, y), (x + k, y + k),
         (x, y + r), (x - k, y + k), (x - r, y), (x - k, y - k)],
        fill=fill,
    )


def paste_sprite(img: Image.Image, sprite: Image.Image, cx: float, cy: float,
                 angle: float = 0.0) -> None:
    """Paste an RGBA sprite centred on (cx, cy), rotated counter-clockwise by angle deg."""
    if angle:
        sprite = sprite.rotate(angle, resample=Image.BICUBIC, expand=True)
    img.paste(sprite, (int(round(cx - sprite.width / 2)), int(round(cy - sprite.height / 2))),
              sprite)


_kernels: dict[tuple[int, float], np.ndarray] = {}


def add_glow(buf: np.ndarray, x: float, y: float, color, strength: float,
             radius: int = 18, sigma: float = 6.0) -> None:
    """Additively blend a gaussian glow into a float32 HxWx3 buffer."""
    key = (radius, sigma)
    if key not in _kernels:
        g = np.arange(-radius, radius + 1, dtype=np.float32)
        kern = np.exp(-(g[:, None] ** 2 + g[None, :] ** 2) / (2 * sigma * sigma))
        _kernels[key] = kern
    kern = _kernels[key]
    xi, yi = int(round(x)), int(round(y))
    x0, y0 = xi - radius, yi - radius
    x1, y1 = x0 + kern.shape[1], y0 + kern.shape[0]
    bx0, by0 = max(0, x0), max(0, y0)
    bx1, by1 = min(buf.shape[1], x1), min(buf.shape[0], y1)
    if bx0 >= bx1 or by0 >= by1:
        return
    k = kern[by0 - y0:by1 - y0, bx0 - x0:bx1 - x0]
    buf[by0:by1, bx0:bx1] += k[:, :, None] * (np.asarray(color, np.float32) * strength)


def glow_image(img: Image.Image, glows) -> Image.Image:
    """Apply a list of (x, y, color, strength, radius, sigma) glows to a PIL image."""
    buf = np.asarray(img, dtype=np.float32).copy()
    for g in glows:
        add_glow(buf, *g)
    return Image.fromarray(np.clip(buf, 0, 255).astype(np.uint8))


# --------------------------------------------------------------------------- #
# audio synthesis helpers (mono float64 at SR)
# --------------------------------------------------------------------------- #
def n_frames(dur: float) -> int:
    """Video frames needed to cover dur seconds."""
    return math.ceil(dur * FPS - 1e-6)


def ns(dur: float) -> int:
    """Number of samples in dur seconds (the same rounding everywhere)."""
    return int(round(dur * SR))


def tsec(dur: float) -> np.ndarray:
    return np.arange(ns(dur)) / SR


def midi(m: float) -> float:
    return 440.0 * 2 ** ((m - 69) / 12)


def osc(freq, dur: float, partials=((1, 1.0),)) -> np.ndarray:
    """Additive oscillator; freq may be a scalar or a per-sample array."""
    n = int(round(dur * SR))
    f = np.broadcast_to(np.asarray(freq, np.float64), (n,))
    phase = 2 * np.pi * np.cumsum(f) / SR
    out = np.zeros(n)
    for k, a in partials:
        out += a * np.sin(k * phase)
    return out


def env(dur: float, attack: float = 0.005, tau: float | None = None,
        release: float = 0.01) -> np.ndarray:
    t = tsec(dur)
    e = np.minimum(1.0, t / attack) if attack > 0 else np.ones_like(t)
    if tau:
        e = e * np.exp(-t / tau)
    if release > 0:
        r = int(release * SR)
        if 0 < r < len(e):
            e[-r:] *= np.linspace(1, 0, r)
    return e


def band_noise(n: int, rng: np.random.Generator, lo: float, hi: float) -> np.ndarray:
    x = rng.standard_normal(n)
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(n, 1 / SR)
    spec[(f < lo) | (f > hi)] = 0
    y = np.fft.irfft(spec, n)
    rms = np.sqrt(np.mean(y * y)) or 1.0
    return y / rms


def xylo(m: float, dur: float = 0.7) -> np.ndarray:
    f, t = midi(m), tsec(dur)
    s = (np.sin(2 * np.pi * f * t) * np.exp(-t / 0.28)
         + 0.35 * np.sin(2 * np.pi * 3.93 * f * t) * np.exp(-t / 0.06)
         + 0.12 * np.sin(2 * np.pi * 9.54 * f * t) * np.exp(-t / 0.025))
    return s * env(dur, 0.002, None, 0.02)


def bell(m: float, dur: float = 1.4) -> np.ndarray:
    f, t = midi(m), tsec(dur)
    s = np.zeros_like(t)
    for ratio, amp, tau in ((1, 1.0, 0.9), (2.0, 0.45, 0.5), (2.76, 0.3, 0.35), (5.4, 0.15, 0.15)):
        s += amp * np.sin(2 * np.pi * f * ratio * t) * np.exp(-t / tau)
    return s * env(dur, 0.003, None, 0.05) * 0.6


def kick(dur: float = 0.35) -> np.ndarray:
    t = tsec(dur)
    f = 45 + 110 * np.exp(-t * 28)
    return osc(f, dur) * np.exp(-t / 0.11) * env(dur, 0.001, None, 0.02)


def tom(f0: float = 160, dur: float = 0.3) -> np.ndarray:
    t = tsec(dur)
    f = f0 * (1 + 0.45 * np.exp(-t * 30))
    return osc(f, dur, ((1, 1.0), (2, 0.15))) * np.exp(-t / 0.12) * env(dur, 0.001, None, 0.02)


def snare(rng, dur: float = 0.22) -> np.ndarray:
    t = tsec(dur)
    nz = band_noise(len(t), rng, 1200, 9000) * 0.35
    return (nz + 0.5 * np.sin(2 * np.pi * 190 * t)) * np.exp(-t / 0.06) * env(dur, 0.001)


def hihat(rng, dur: float = 0.08) -> np.ndarray:
    t = tsec(dur)
    return band_noise(len(t), rng, 6000, 16000) * 0.25 * np.exp(-t / 0.018) * env(dur, 0.0005)


class Track:
    def __init__(self, dur: float):
        self.buf = np.zeros(int(round(dur * SR)))
        self.t = np.arange(len(self.buf)) / SR

    def add(self, t0: float, sig: np.ndarray, gain: float = 1.0) -> None:
        i0 = int(round(t0 * SR))
        if i0 < 0:
            sig, i0 = sig[-i0:], 0
        n = min(len(sig), len(self.buf) - i0)
        if n > 0:
            self.buf[i0:i0 + n] += gain * sig[:n]

    def env_points(self, times, values) -> np.ndarray:
        return np.interp(self.t, times, values)

    def master(self, peak: float = 0.7) -> np.ndarray:
        y = self.buf.copy()
        m = np.max(np.abs(y)) or 1.0
        y *= peak / m
        f = int(0.015 * SR)
        y[:f] *= np.linspace(0, 1, f)
        y[-f:] *= np.linspace(1, 0, f)
        return y.astype(np.float32)


# --------------------------------------------------------------------------- #
# clips
# --------------------------------------------------------------------------- #
class Clip:
    name: str = ""
    duration: float = 6.0
    segments: tuple[tuple[float, float, str], ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.name}.mp4"

    def frame(self, t: float) -> Image.Image:  # pragma: no cover - abstract
        raise NotImplementedError

    def audio(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


# 1 ----------------------------------------------------------------------------
class RocketRun(Clip):
    """Countdown + launch, cruise past a ringed planet, landing on a moon."""

    name = "rocket_run"
    duration = 7.0
    segments = ((0.0, 2.5, "launch"), (2.5, 5.0, "cruise past planet"), (5.0, 7.0, "moon landing"))

    def __init__(self):
        rng = np.random.default_rng(101)
        self.stars = rng.uniform([0, 0], [W, H], size=(90, 2))
        self.star_b = rng.uniform(0.35, 1.0, 90)
        self.sky = vgradient((4, 6, 26), (28, 18, 66))
        self.smoke_dir = rng.uniform(-1, 1, 16)
        self.surface_x = np.arange(0, W + 8, 8)
        self.surface_y = 292 + 7 * np.sin(self.surface_x / 41.0) + 4 * np.sin(self.surface_x / 17.0 + 1)
        self.craters = [(60, 322, 38, 10), (170, 340, 30, 8), (360, 318, 44, 11), (430, 346, 26, 7)]

    @staticmethod
    def sprite(flame: float) -> Image.Image:
        s = Image.new("RGBA", (60, 200), (0, 0, 0, 0))
        d = ImageDraw.Draw(s)
        if flame > 1:
            d.polygon([(17, 112), (43, 112), (30, 112 + flame)], fill=(255, 130, 30, 255))
            d.polygon([(23, 112), (37, 112), (30, 112 + flame * 0.6)], fill=(255, 236, 120, 255))
        red = (215, 40, 50, 255)
        d.polygon([(15, 72), (0, 112), (15, 104)], fill=red)
        d.polygon([(45, 72), (60, 112), (45, 104)], fill=red)
        d.rounded_rectangle((14, 30, 46, 106), radius=8, fill=(236, 236, 242, 255))
        d.polygon([(30, 0), (13, 38), (47, 38)], fill=red)
        d.ellipse((21, 50, 39, 68), fill=(90, 170, 240, 255), outline=(110, 110, 130, 255), width=3)
        d.rectangle((21, 106, 39, 113), fill=(110, 110, 120, 255))
        return s

    def draw_stars(self, d, max_y=H, scroll=0.0):
        for (x, y), b in zip(self.stars, self.star_b, strict=False):
            if y > max_y:
                continue
            c = int(120 + 135 * b)
            if scroll:
                x = (x - scroll * b) % W
                d.line((x, y, x + 14 * b, y), fill=(c, c, c), width=1)
            else:
                d.ellipse((x - 1, y - 1, x + 1, y + 1), fill=(c, c, c))

    def frame(self, t: float) -> Image.Image:
        img = Image.fromarray(self.sky)
        d = ImageDraw.Draw(img)
        flick = 1 + 0.15 * math.sin(t * 47) + 0.08 * math.sin(t * 83)
        if t < 2.5:  # --- countdown and launch
            self.draw_stars(d, max_y=290)
            d.rectangle((0, 300, W, H), fill=(52, 52, 62))
            d.rectangle((196, 294, 284, 304), fill=(92, 92, 104))
            for x in (162, 178):
                d.line((x, 128, x, 300), fill=(150, 150, 160), width=3)
            for y in range(136, 300, 18):
                d.line((162, y, 178, y + 14), fill=(150, 150, 160), width=2)
                d.line((178, y, 162, y + 14), fill=(150, 150, 160), width=2)
            d.line((178, 180, 222, 180), fill=(150, 150, 160), width=3)
            if t < 0.9:
                text_center(d, (240, 70), str(3 - int(t / 0.3)), 72, (255, 230, 90), (60, 20, 0))
                off, flame = 0.0, 10 * flick
            else:
                tt = t - 0.9
                off, flame = 190 * tt * tt, (40 + 35 * min(1.0, tt)) * flick
            nozzle_y = 294 - off
            paste_sprite(img, self.sprite(flame), 240, nozzle_y - 12)
            if t > 0.6:
                for k, dx in enumerate(self.smoke_dir):
                    age = t - 0.6 - k * 0.07
                    if age <= 0:
                        continue
                    r = 10 + 22 * age
                    x = 240 + dx * (25 + 70 * age)
                    y = 292 - 10 * age - 6 * (k % 3)
                    g = int(205 - 40 * min(1.0, age))
                    d.ellipse((x - r, y - r * 0.8, x + r, y + r * 0.8), fill=(g, g, g + 6))
        elif t < 5.0:  # --- cruise past the ringed planet
            u = seg_u(t, 2.5, 5.0)
            self.draw_stars(d, scroll=280 * (t - 2.5))
            bx, by = 400 - 170 * u, 62
            d.ellipse((bx - 20, by - 20, bx + 20, by + 20), fill=(80, 150, 230))
            d.ellipse((bx - 10, by - 12, bx + 4, by - 2), fill=(130, 200, 250))
            cx, cy, r = 590 - 470 * u, 150, 62
            d.ellipse((cx - 112, cy - 20, cx + 112, cy + 20), outline=(200, 175, 130), width=5)
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(228, 170, 100))
            for dy in (-32, -8, 18, 40):
                half = math.sqrt(max(0.0, r * r - dy * dy)) - 3
                d.line((cx - half, cy + dy, cx + half, cy + dy), fill=(196, 132, 76), width=8)
            d.arc((cx - 112, cy - 20, cx + 112, cy + 20), 0, 180, fill=(240, 215, 165), width=5)
            rx = 140 + 120 * ease(u)
            ry = 262 + 14 * math.sin(2 * math.pi * 1.1 * (t - 2.5))
            paste_sprite(img, self.sprite(55 * flick), rx, ry, angle=-90 + 6 * math.sin(3 * t))
        else:  # --- descent and landing on a grey moon
            self.draw_stars(d)
            d.ellipse((64, 44, 116, 96), fill=(60, 120, 220))
            d.ellipse((74, 54, 96, 70), fill=(80, 170, 90))
            d.ellipse((92, 72, 108, 86), fill=(80, 170, 90))
            pts = list(zip(self.surface_x.tolist(), self.surface_y.tolist(), strict=False)) + [(W, H), (0, H)]
            d.polygon(pts, fill=(150, 150, 160))
            for x, y, w, h in self.craters:
                d.ellipse((x - w, y - h, x + w, y + h), fill=(118, 118, 130))
            ground = float(np.interp(250, self.surface_x, self.surface_y)) + 2
            u = seg_u(t, 5.0, 6.3)
            nozzle_y = lerp(-30, ground, 1 - (1 - u) ** 2)
            flame = (48 * (1 - u) + 8) * flick if u < 1 else 0
            paste_sprite(img, self.sprite(flame), 250, nozzle_y - 12)
            if t > 6.3:
                age = t - 6.3
                for k in range(6):
                    side = -1 if k % 2 else 1
                    r = 6 + 14 * age + 2 * k
                    x = 250 + side * (22 + 60 * age * (1 + 0.25 * k))
                    g = int(lerp(205, 160, min(1.0, age / 0.7)))
                    d.ellipse((x - r, ground - r * 0.7, x + r, ground + r * 0.3), fill=(g, g, g + 6))
        return img

    def audio(self) -> np.ndarray:
        rng = np.random.default_rng(102)
        tr = Track(self.duration)
        for bt in (0.0, 0.3, 0.6):
            tr.add(bt, osc(880, 0.12, ((1, 1.0), (2, 0.2))) * env(0.12, 0.004), 0.4)
        tr.add(0.9, osc(1320, 0.3, ((1, 1.0), (2, 0.2))) * env(0.3, 0.004, 0.15), 0.45)
        rumble = band_noise(len(tr.buf), rng, 25, 380)
        tr.buf += rumble * tr.env_points(
            [0, 0.9, 1.3, 2.2, 2.7, 5.0, 6.3, 6.35, 7.0],
            [0.05, 0.12, 0.55, 0.6, 0.14, 0.14, 0.1, 0.0, 0.0])
        seq = [45, 57, 52, 57, 60, 57, 52, 57]
        k = 0
        while 2.5 + k * 0.15 < 5.0:
            m = seq[k % len(seq)]
            tr.add(2.5 + k * 0.15, osc(midi(m), 0.16, [(n, 1 / n) for n in range(1, 7)])
                   * env(0.16, 0.004, 0.09), 0.28)
            k += 1
        whoosh = band_noise(len(tr.buf), rng, 400, 4000)
        tr.buf += 0.35 * whoosh * np.exp(-((tr.t - 3.7) / 0.45) ** 2)
        sw_t = tsec(1.3)
        tr.add(5.0, osc(900 * (220 / 900) ** (sw_t / 1.3), 1.3, ((1, 1.0), (3, 0.2)))
               * env(1.3, 0.1, None, 0.1), 0.14)
        tr.add(6.3, kick(0.5), 0.9)
        tr.add(6.3, band_noise(ns(0.35), rng, 60, 900) * env(0.35, 0.002, 0.09), 0.35)
        return tr.master()


# 2 ----------------------------------------------------------------------------
class BouncingBall(Clip):
    """Orange rubber ball with a face: bounces, hops across, splats flat, pops back."""

    name = "bouncing_ball_boing"
    duration = 6.0
    segments = ((0.0, 2.0, "bounce in place"), (2.0, 4.0, "hop across"), (4.0, 6.0, "splat and pop"))
    FLOOR = 300
    R = 40

    def __init__(self):
        bg = vgradient((255, 244, 205), (250, 226, 170))
        bg[self.FLOOR:] = vgradient((206, 150, 92), (170, 112, 64), h=H - self.FLOOR)
        bg[self.FLOOR:self.FLOOR + 4] = (120, 80, 45)
        self.bg = bg

    def state(self, t: float):
        """-> x, height above floor, sx, sy, face ('happy'|'wow'|'dizzy')."""
        if t < 2.0:
            T, hmax, x = 2 / 3, 150, 150.0
            p = (t % T) / T
        elif t < 4.0:
            T, hmax = 0.5, 95
            p = ((t - 2.0) % T) / T
            x = lerp(150, 350, (t - 2.0) / 2.0)
        else:
            x = 350.0
            if t < 4.6:  # big jump towards the centre
                p = (t - 4.0) / 0.6
                x = lerp(350, 240, p)
                h = 230 * 4 * p * (1 - p)
                v = abs(1 - 2 * p)
                return x, h, 1 - 0.12 * v, 1 + 0.18 * v, "wow"
            x = 240.0
            if t < 5.3:  # flattened like a pancake, dizzy
                k = ease((t - 4.6) / 0.08)
                return x, 0.0, lerp(1.0, 2.1, k), lerp(1.0, 0.32, k), "dizzy"
            if t < 5.6:  # spring back with a wobble
                q = t - 5.3
                wob = math.exp(-q * 9) * math.cos(q * 40)
                return x, 0.0, 1 + 1.1 * wob * 0.6, 1 - 0.68 * wob * 0.6, "happy"
            p = (t - 5.6) / 0.4  # little happy hop
            h = 60 * 4 * p * (1 - p)
            c = math.exp(-(min(p, 1 - p) / 0.08) ** 2)
            return x, h, 1 + 0.25 * c, 1 - 0.25 * c, "happy"
        h = hmax * 4 * p * (1 - p)
        c = math.exp(-(min(p, 1 - p) / 0.07) ** 2)
        v = abs(1 - 2 * p) * (1 - c)
        sx = (1 + 0.38 * c) / (1 + 0.12 * v)
        sy = (1 - 0.38 * c) * (1 + 0.16 * v)
        return x, h, sx, sy, "happy"

    def frame(self, t: float) -> Image.Image:
        img = Image.fromarray(self.bg)
        d = ImageDraw.Draw(img)
        # window on the wall for a sense of place
        d.rectangle((350, 60, 440, 150), fill=(170, 215, 250), outline=(150, 105, 70), width=6)
        d.line((395, 60, 395, 150), fill=(150, 105, 70), width=4)
        d.line((350, 105, 440, 105), fill=(150, 105, 70), width=4)
        x, h, sx, sy, face = self.state(t)
        R = self.R
        shadow_w = R * sx * (1.1 - min(0.6, h / 300))
        d.ellipse((x - shadow_w, self.FLOOR + 2, x + shadow_w, self.FLOOR + 12), fill=(140, 95, 55))
        rx, ry = R * sx, R * sy
        cy = self.FLOOR - h - ry
        d.ellipse((x - rx, cy - ry, x + rx, cy + ry), fill=(245, 110, 40), outline=(170, 60, 20), width=3)
        d.ellipse((x - rx * 0.6, cy - ry * 0.75, x - rx * 0.25, cy - ry * 0.4), fill=(255, 190, 140))
        ex, ey, er = rx * 0.35, cy - ry * 0.2, max(3.0, 9 * min(sx, sy) ** 0.5)
        for side in (-1, 1):
            exx = x + side * ex
            d.ellipse((exx - er, ey - er * sy, exx + er, ey + er * sy), fill="white")
            if face == "dizzy":
                d.line((exx - 4, ey - 3, exx + 4, ey + 3), fill="black", width=2)
                d.line((exx - 4, ey + 3, exx + 4, ey - 3), fill="black", width=2)
            else:
                look = 3 if 2.0 <= t < 4.0 else 0
                pr = er * (0.6 if face == "wow" else 0.5)
                d.ellipse((exx + look - pr, ey - pr * sy, exx + look + pr, ey + pr * sy), fill="black")
        my = cy + ry * 0.35
        if face == "wow" or face == "dizzy":
            mr = 7 * min(sx, sy) ** 0.3
            d.ellipse((x - mr, my - mr * sy, x + mr, my + mr * sy), fill=(120, 20, 20))
        else:
            d.arc((x - rx * 0.4, my - ry * 0.3, x + rx * 0.4, my + ry * 0.25), 10, 170,
                  fill=(110, 20, 20), width=4)
        if face == "dizzy":  # little stars circling above the flattened ball
            for k in range(3):
                a = 2 * math.pi * (k / 3 + 1.6 * (t - 4.6))
                sxp = x + 55 * math.cos(a)
                syp = cy - 30 + 10 * math.sin(a)
                sparkle(d, sxp, syp, 11, (255, 205, 30))
        return img

    @staticmethod
    def boing(f0: float, dur: float = 0.45) -> np.ndarray:
        t = tsec(dur)
        f = f0 * (1 + 0.7 * np.exp(-t * 14)) * (1 + 0.09 * np.sin(2 * np.pi * 16 * t) * np.exp(-t * 3))
        return osc(f, dur, ((1, 1.0), (2, 0.25), (3, 0.1))) * env(dur, 0.003, 0.16, 0.03)

    def audio(self) -> np.ndarray:
        rng = np.random.default_rng(202)
        tr = Track(self.duration)
        for k, bt in enumerate((0.0, 2 / 3, 4 / 3)):
            tr.add(bt, self.boing(190 + 10 * k), 0.9)
        for k, bt in enumerate((2.0, 2.5, 3.0, 3.5)):
            tr.add(bt, self.boing(240 + 45 * k, 0.35), 0.75)
        tr.add(4.0, self.boing(300, 0.3), 0.6)
        up = tsec(0.3)
        tr.add(4.0, osc(420 * (1100 / 420) ** (up / 0.3), 0.3, ((1, 1.0), (2, 0.1))) * env(0.3, 0.01), 0.35)
        tr.add(4.3, osc(1100 * (380 / 1100) ** (up / 0.3), 0.3, ((1, 1.0), (2, 0.1))) * env(0.3, 0.01), 0.35)
        tr.add(4.6, band_noise(ns(0.25), rng, 80, 1800) * env(0.25, 0.002, 0.07), 0.6)
        tr.add(4.6, kick(0.3), 0.6)
        for k in range(5):  # birdie tweets while dizzy
            tw = tsec(0.08)
            tr.add(4.72 + k * 0.12, osc(2300 + 500 * np.sin(np.pi * tw / 0.08), 0.08) * env(0.08, 0.005), 0.16)
        tr.add(5.3, self.boing(210, 0.5), 0.9)
        tr.add(5.3, osc(np.linspace(300, 1200, ns(0.06)), 0.06) * env(0.06, 0.002), 0.3)
        tr.add(5.93, self.boing(330, 0.3), 0.5)
        return tr.master()


# 3 ----------------------------------------------------------------------------
class CountingBalloons(Clip):
    """Red 1, yellow 2, blue 3 balloons float up, counted out on screen."""

    name = "counting_balloons"
    duration = 7.2
    segments = ((0.0, 2.4, "balloon one"), (2.4, 4.8, "balloon two"), (4.8, 7.2, "balloon three"))
    COLORS = ((230, 50, 60), (250, 200, 40), (60, 110, 230))
    XS = (130, 240, 350)

    def __init__(self):
        bg = vgradient((120, 190, 250), (200, 235, 255))
        self.bg = bg

    def frame(self, t: float) -> Image.Image:
        img = Image.fromarray(self.bg)
        d = ImageDraw.Draw(img)
        d.ellipse((20, 14, 80, 74), fill=(255, 225, 80))
        for cx0, cy, sp in ((60, 120, 9), (330, 70, 6)):
            cx = (cx0 + sp * t) % (W + 120) - 60
            for dx, dy, r in ((0, 0, 22), (22, -10, 26), (46, 0, 20), (22, 6, 22)):
                d.ellipse((cx + dx - r, cy + dy - r, cx + dx + r, cy + dy + r), fill="white")
        d.ellipse((-120, 290, 300, 470), fill=(100, 190, 90))
        d.ellipse((180, 300, 620, 480), fill=(80, 170, 80))
        shown = []
        for k in range(3):
            t0 = 2.4 * k
            if t < t0:
                continue
            shown.append(k)
            u = ease((t - t0) / 1.7)
            cy = lerp(440, 165, u) + 6 * math.sin(2 * math.pi * 0.7 * t + k * 2.1)
            cx = self.XS[k] + 5 * math.sin(2 * math.pi * 0.4 * t + k)
            rx, ry = 38, 48
            knot = cy + ry
            pts = [(cx + 6 * math.sin(j / 2.2 + t * 3 + k), knot + 8 + j * 9) for j in range(13)]
            d.line([(cx, knot + 6)] + pts, fill=(90, 90, 90), width=2)
            col = self.COLORS[k]
            d.polygon([(cx - 6, knot + 9), (cx + 6, knot + 9), (cx, knot - 2)], fill=col)
            d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=col, outline=mix(col, (0, 0, 0), 0.3), width=2)
            d.ellipse((cx - rx * 0.6, cy - ry * 0.7, cx - rx * 0.25, cy - ry * 0.25), fill=mix(col, (255, 255, 255), 0.6))
            text_center(d, (cx + 2, cy + 4), str(k + 1), 46, "white", mix(col, (0, 0, 0), 0.45))
        # running count at the top
        xs = {1: [240], 2: [205, 275], 3: [170, 240, 310]}[len(shown)]
        for k, x in zip(shown, xs, strict=False):
            pop = 1 + 0.25 * math.exp(-((t - 2.4 * k) / 0.25) ** 2 * 4) if t - 2.4 * k < 0.6 else 1
            text_center(d, (x, 44), str(k + 1), int(54 * pop), self.COLORS[k], (255, 255, 255))
        return img

    def audio(self) -> np.ndarray:
        tr = Track(self.duration)
        tunes = ([72, 76, 79, 76, 72, 76, 79, None],
                 [74, 77, 81, 77, 74, 77, 81, None],
                 [76, 79, 84, 79, 76, 79, 84, 84])
        basses = (48, 43, 48)
        for s, tune in enumerate(tunes):
            t0 = 2.4 * s
            tr.add(t0, xylo(basses[s] + 12, 1.0), 0.35)
            tr.add(t0 + 1.2, xylo(basses[s] + 19, 1.0), 0.3)
            for j, m in enumerate(tune):
                if m is not None:
                    tr.add(t0 + 0.3 * j, xylo(m, 0.7 if j < 7 else 0.5), 0.55)
            tr.add(t0 + 1.7, bell(88 + 2 * s, 0.6), 0.18)  # little "ding" when the balloon arrives
        return tr.master()


# 4 ----------------------------------------------------------------------------
class SunsetHome(Clip):
    """Three figures walk home at sunset, dusk falls, windows light up, sparkles."""

    name = "sunset_home_lullaby"
    duration = 7.5
    segments = ((0.0, 2.5, "walk home"), (2.5, 5.0, "sun sets"), (5.0, 7.5, "lights on"))
    GROUND = 276
    PEOPLE = ((-40, 172, 78, (50, 90, 170), False),   # start x, end x, height, colour, dress
              (-8, 205, 72, (190, 60, 80), True),
              (20, 236, 46, (70, 160, 80), False))

    def __init__(self):
        rng = np.random.default_rng(404)
        self.stars = rng.uniform([0, 0], [W, 200], size=(45, 2))
        self.star_ph = rng.uniform(0, 2 * np.pi, 45)
        self.sparks = rng.uniform([240, 90], [400, 200], size=(12, 2))
        self.spark_f = rng.uniform(0.6, 1.1, 12)
        self.spark_ph = rng.uniform(0, 1, 12)
        u = np.linspace(0.0, 1.0, H)[:, None]
        self._u = u

    @staticmethod
    def night(t: float) -> float:
        return ease((t - 2.5) / 2.7)

    def sky_colors(self, n: float):
        day_top, day_bot = (250, 120, 80), (255, 205, 110)
        dusk_top, dusk_bot = (70, 40, 110), (220, 110, 110)
        night_top, night_bot = (12, 16, 52), (52, 40, 100)
        if n < 0.5:
            k = n / 0.5
            return mix(day_top, dusk_top, k), mix(day_bot, dusk_bot, k)
        k = (n - 0.5) / 0.5
        return mix(dusk_top, night_top, k), mix(dusk_bot, night_bot, k)

    def draw_person(self, d, x, height, col, dress, phase, walking, dark):
        g = self.GROUND
        col = mix(col, (20, 20, 40), dark)
        skin = mix((240, 190, 150), (40, 30, 50), dark)
        hr = height * 0.12
        hip = g - height * 0.42
        sh = g - height + 2 * hr + 2
        sw = math.sin(phase) * walking
        for s in (-1, 1):
            d.line((x, hip, x + s * sw * height * 0.18, g), fill=mix((60, 50, 50), (15, 15, 25), dark), width=4)
        bw = height * 0.16
        if dress:
            d.polygon([(x - bw * 0.7, sh), (x + bw * 0.7, sh), (x + bw * 1.3, hip + 6), (x - bw * 1.3, hip + 6)], fill=col)
        else:
            d.rounded_rectangle((x - bw, sh, x + bw, hip + 2), radius=4, fill=col)
        d.line((x - bw, sh + 4, x - bw - 7, sh + height * 0.3), fill=col, width=4)
        d.line((x + bw, sh + 4, x + bw + 7, sh + height * 0.3), fill=col, width=4)
        d.ellipse((x - hr, sh - 2 * hr - 1, x + hr, sh - 1), fill=skin)
        return (x - bw - 7, sh + height * 0.3), (x + bw + 7, sh + height * 0.3)

    def frame(self, t: float) -> Image.Image:
        n = self.night(t)
        top, bot = self.sky_colors(n)
        sky = np.asarray(top, np.float32) * (1 - self._u) + np.asarray(bot, np.float32) * self._u
        arr = np.repeat(sky[:, None, :], W, axis=1).astype(np.uint8)
        img = Image.fromarray(arr)
        d = ImageDraw.Draw(img)
        if n > 0.45:
            k = (n - 0.45) / 0.55
            for (x, y), ph in zip(self.stars, self.star_ph, strict=False):
                b = k * (0.6 + 0.4 * math.sin(ph + t * 3))
                base = mix(top, bot, y / H)
                c = mix(base, (255, 255, 235), b)
                d.ellipse((x - 1.2, y - 1.2, x + 1.2, y + 1.2), fill=c)
        sun_y = lerp(150, 318, ease(t / 5.0))
        d.ellipse((110 - 36, sun_y - 36, 110 + 36, sun_y + 36), fill=(255, 150, 60))
        d.ellipse((-60, self.GROUND - 20, 540, self.GROUND + 140), fill=mix((70, 120, 60), (20, 35, 40), n))
        d.rectangle((0, self.GROUND + 20, W, H), fill=mix((70, 120, 60), (20, 35, 40), n))
        # house
        wall = mix((225, 180, 130), (70, 60, 80), n)
        roof = mix((175, 60, 50), (60, 30, 45), n)
        d.rectangle((338, 120, 356, 162), fill=roof)
        d.rectangle((262, 186, 398, self.GROUND), fill=wall)
        d.polygon([(250, 188), (330, 122), (410, 188)], fill=roof)
        lit_l = ease((t - 5.0) / 0.3)
        lit_r = ease((t - 5.4) / 0.3)
        lit_d = ease((t - 5.8) / 0.3)
        off = mix((80, 100, 130), (30, 35, 60), n)
        warm = (255, 210, 110)
        d.rectangle((274, 204, 304, 232), fill=mix(off, warm, lit_l))
        d.rectangle((356, 204, 386, 232), fill=mix(off, warm, lit_r))
        d.rectangle((316, 222, 344, self.GROUND), fill=mix(mix((120, 70, 40), (45, 30, 35), n), (250, 180, 90), lit_d))
        for wx in (274, 356):
            d.line((wx + 15, 204, wx + 15, 232), fill=mix((110, 80, 60), (40, 30, 40), n), width=3)
            d.line((wx, 218, wx + 30, 218), fill=mix((110, 80, 60), (40, 30, 40), n), width=3)
        # people
        walking = 1.0 - ease((t - 2.2) / 0.3)
        hands = []
        for i, (x0, x1, hgt, col, dress) in enumerate(self.PEOPLE):
            x = lerp(x0, x1, ease(t / 2.5) * 0.15 + 0.85 * clamp01(t / 2.5)) if t < 2.5 else x1
            hands.append(self.draw_person(d, x, hgt, col, dress, t * 9 + i * 1.3, walking, 0.6 * n))
        for a, b in ((0, 1), (1, 2)):
            d.line((hands[a][1], hands[b][0]), fill=mix((240, 190, 150), (40, 30, 50), 0.6 * n), width=3)
        glows = []
        if t > 5.0:
            glows += [(289, 218, (255, 190, 90), 0.5 * lit_l, 40, 16.0),
                      (371, 218, (255, 190, 90), 0.5 * lit_r, 40, 16.0),
                      (330, 250, (255, 170, 80), 0.45 * lit_d, 40, 18.0)]
            fade = ease((t - 5.2) / 0.5)
            for (sx, sy), f, ph in zip(self.sparks, self.spark_f, self.spark_ph, strict=False):
                y = sy - 25 * (t - 5.0)
                s = max(0.0, math.sin(2 * math.pi * (f * (t - 5.0) + ph))) ** 2
                if s * fade > 0.05:
                    sparkle(d, sx, y, 2 + 7 * s * fade, (255, 235, 150))
                    glows.append((sx, y, (255, 220, 120), 0.35 * s * fade, 12, 5.0))
        if glows:
            img = glow_image(img, glows)
        return img

    def sparkle_peaks(self):
        peaks = []
        for i, (f, ph) in enumerate(zip(self.spark_f, self.spark_ph, strict=False)):
            k = 0
            while True:
                tp = 5.0 + (0.25 - ph + k) / f
                k += 1
                if tp < 5.0:
                    continue
                if tp > self.duration - 0.3:
                    break
                if tp > 5.5:
                    peaks.append((tp, self.sparks[i][1] - 25 * (tp - 5.0)))
        return sorted(peaks)

    def audio(self) -> np.ndarray:
        tr = Track(self.duration)
        beat = 0.5
        melody = [(76, 1), (74, 1), (72, 1), (74, 1), (76, 1), (79, 1), (76, 2), (74, 1),
                  (72, 3), (67, 1), (72, 1), (76, 1)]
        tb = 0.0
        for m, b in melody:
            dur = b * beat + 0.6
            tr.add(tb, osc(midi(m), dur, ((1, 1.0), (2, 0.25), (3, 0.05)))
                   * env(dur, 0.05, 0.7, 0.2) * (1 + 0.05 * np.sin(2 * np.pi * 5 * tsec(dur))), 0.5)
            tb += b * beat
        chords = ([48, 52, 55], [43, 47, 50], [41, 45, 48], [48, 52, 55], [48, 52, 55])
        for i, ch in enumerate(chords):
            dur = 1.5 + 0.4
            for m in ch:
                tr.add(i * 1.5, osc(midi(m), dur, ((1, 1.0), (2, 0.1))) * env(dur, 0.35, None, 0.5), 0.12)
        for tp, y in self.sparkle_peaks():
            m = [84, 86, 88, 91, 93][int(clamp01((200 - y) / 130) * 4.99)]
            tr.add(tp, bell(m, 1.0), 0.12)
        return tr.master()


# 5 ----------------------------------------------------------------------------
class BoatToIsland(Clip):
    """Small sailboat on rolling waves, rough sea, then an island with a palm tree."""

    name = "boat_to_island"
    duration = 6.6
    segments = ((0.0, 2.2, "calm sailing"), (2.2, 4.4, "big waves"), (4.4, 6.6, "reach the island"))

    def __init__(self):
        self.sky = vgradient((110, 180, 240), (200, 230, 250))
        rng = np.random.default_rng(505)
        self.spray = rng.uniform(-1, 1, size=(14, 2))

    @staticmethod
    def amp(t: float) -> float:
        return 7 + 15 * ease((t - 2.0) / 0.6) - 16 * ease((t - 4.3) / 0.8)

    def wave_y(self, x, t, base=232.0):
        a = self.amp(t)
        return base + a * np.sin(x / 46.0 - t * 3.4) + 0.35 * a * np.sin(x / 21.0 - t * 5.1 + 1.3)

    @staticmethod
    def boat_sprite() -> Image.Image:
        s = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
        d = ImageDraw.Draw(s)
        d.line((50, 10, 50, 64), fill=(90, 60, 40, 255), width=4)
        d.polygon([(53, 12), (53, 60), (88, 60)], fill=(250, 250, 245, 255))
        d.polygon([(47, 18), (47, 60), (22, 60)], fill=(220, 60, 50, 255))
        d.polygon([(50, 4), (50, 12), (62, 8)], fill=(240, 200, 40, 255))
        d.polygon([(8, 62), (92, 62), (76, 82), (22, 82)], fill=(140, 80, 40, 255))
        d.line((14, 68, 86, 68), fill=(200, 150, 90, 255), width=3)
        return s

    def frame(self, t: float) -> Image.Image:
        img = Image.fromarray(self.sky)
        d = ImageDraw.Draw(img)
        d.ellipse((390, 24, 450, 84), fill=(255, 240, 150))
        for gx, gy, sp in ((100, 70, 22), (180, 50, 16)):
            x = (gx + sp * t) % (W + 40) - 20
            flap = 5 * math.sin(t * 9 + gx)
            d.line((x - 10, gy - flap, x, gy, x + 10, gy - flap), fill=(60, 60, 70), width=2)
        # island slides in during the last part
        iu = ease((t - 4.4) / 1.7)
        if iu > 0:
            ix = lerp(640, 410, iu)
            d.ellipse((ix - 120, 178, ix + 120, 262), fill=(235, 210, 140))
            d.ellipse((ix + 40, 196, ix + 70, 214), fill=(120, 120, 110))
            trunk = [(ix + 10 + 6 * math.sin(k / 3), 205 - k * 12) for k in range(10)]
            d.line(trunk, fill=(120, 80, 40), width=10, joint="curve")
            tx, ty = trunk[-1]
            sway = 5 * math.sin(t * 2)
            for ang in (-165, -125, -90, -55, -15, 195, 345):
                a = math.radians(ang)
                ex, ey = tx + 62 * math.cos(a) + sway, ty + 34 * math.sin(a) + 22
                d.polygon([(tx, ty), (ex, ey), ((tx + ex) / 2, (ty + ey) / 2 - 10)], fill=(40, 150, 60))
            d.ellipse((tx - 9, ty - 4, tx + 5, ty + 10), fill=(110, 70, 30))
        xs = np.arange(-4, W + 8, 4, dtype=np.float64)
        far = self.wave_y(xs, t * 0.8, 222) - 6
        d.polygon(list(zip(xs.tolist(), far.tolist(), strict=False)) + [(W, H), (0, H)], fill=(40, 110, 170))
        bx = 150 + 145 * ease((t - 4.4) / 1.7)
        ys = self.wave_y(xs, t)
        by = float(self.wave_y(np.array([bx]), t)[0])
        slope = float((self.wave_y(np.array([bx + 6]), t) - self.wave_y(np.array([bx - 6]), t))[0]) / 12
        bob = 2 * math.sin(t * 6)
        paste_sprite(img, self.boat_sprite(), bx, by - 26 + bob, angle=-math.degrees(math.atan(slope)))
        d.polygon(list(zip(xs.tolist(), (ys + 10).tolist(), strict=False)) + [(W, H), (0, H)], fill=(30, 90, 160))
        d.line(list(zip(xs.tolist(), (ys + 10).tolist(), strict=False)), fill=(200, 230, 250), width=3)
        near = self.wave_y(xs + 90, t * 1.1, 300) + 8
        d.polygon(list(zip(xs.tolist(), near.tolist(), strict=False)) + [(W, H), (0, H)], fill=(20, 70, 135))
        a = self.amp(t)
        if a > 14:  # spray around the bow in rough water
            k = (a - 14) / 8
            for j, (sx, sy) in enumerate(self.spray):
                ph = (t * 2.5 + j / len(self.spray)) % 1
                x = bx + 40 + sx * 30 + 30 * ph
                y = by - 5 - 40 * ph * (1 - ph) * 4 + sy * 6
                r = 3 * (1 - ph) * k + 1
                d.ellipse((x - r, y - r, x + r, y + r), fill=(240, 250, 255))
        return img

    def audio(self) -> np.ndarray:
        rng = np.random.default_rng(506)
        tr = Track(self.duration)
        waves = band_noise(len(tr.buf), rng, 80, 900)
        tr.buf += 0.08 * waves * (0.6 + 0.4 * np.sin(2 * np.pi * 0.55 * tr.t)) * tr.env_points(
            [0, 2.2, 2.6, 4.4, 5.2, 6.6], [0.8, 0.8, 1.6, 1.6, 0.7, 0.6])
        # part 1: steady march 120 bpm
        for i in range(9):
            bt = i * 0.25
            if bt >= 2.2:
                break
            if i % 2 == 0:
                tr.add(bt, kick(), 0.9)
            else:
                tr.add(bt, tom(170), 0.45)
        # part 2: faster tom pattern
        toms = (210, 170, 140, 170)
        i = 0
        while 2.2 + i * 0.125 < 4.4:
            bt = 2.2 + i * 0.125
            if i % 4 == 0:
                tr.add(bt, kick(), 0.95)
            tr.add(bt, tom(toms[i % 4], 0.2), 0.4 + 0.15 * (i % 2 == 0))
            i += 1
        # part 3: kick, snare roll, crash on arrival
        for j in range(6):
            bt = 4.4 + j * 0.25
            if bt < 5.8:
                tr.add(bt, kick(), 0.85 if j % 2 == 0 else 0.5)
        for j in range(12):
            tr.add(5.8 + j * 0.0333, snare(rng, 0.1), 0.2 + 0.03 * j)
        tr.add(6.2, band_noise(ns(0.4), rng, 3000, 15000) * env(0.4, 0.002, 0.15), 0.55)
        tr.add(6.2, kick(0.4), 1.0)
        return tr.master()


# 6 ----------------------------------------------------------------------------
class DragonCastle(Clip):
    """Castle under a full moon, a dragon silhouette crosses the moon, sparkles."""

    name = "dragon_castle_moon"
    duration = 7.0
    segments = ((0.0, 2.3, "castle and moon"), (2.3, 4.6, "dragon crosses moon"),
                (4.6, 7.0, "dragon circles towers"))
    MOON = (300, 95, 58)

    BODY = np.array([(-100, 6), (-70, 2), (-40, -3), (-15, -9), (12, -11), (26, -16), (38, -26),
                     (44, -34), (40, -44), (50, -34), (66, -28), (64, -21), (48, -20), (36, -11),
                     (24, 0), (8, 6), (4, 16), (-2, 7), (-20, 7), (-24, 15), (-30, 7),
                     (-60, 9), (-92, 14), (-108, 16), (-100, 10)], np.float64)

    def __init__(self):
        rng = np.random.default_rng(606)
        self.sky = vgradient((12, 16, 52), (48, 46, 105))
        self.stars = rng.uniform([0, 0], [W, 230], size=(60, 2))
        self.star_ph = rng.uniform(0, 2 * np.pi, 60)
        self.sparks = np.column_stack([rng.uniform(60, 420, 14), rng.uniform(120, 300, 14)])
        self.spark_f = rng.uniform(0.7, 1.3, 14)
        self.spark_ph = rng.uniform(0, 1, 14)
        bg = Image.fromarray(self.sky)
        mx, my, mr = self.MOON
        bg = glow_image(bg, [(mx, my, (200, 200, 170), 0.45, 110, 45.0)])
        d = ImageDraw.Draw(bg)
        d.ellipse((mx - mr, my - mr, mx + mr, my + mr), fill=(246, 240, 205))
        for cx, cy, r in ((-18, -14, 11), (16, 10, 14), (-10, 24, 7), (22, -24, 6)):
            d.ellipse((mx + cx - r, my + cy - r, mx + cx + r, my + cy + r), fill=(228, 222, 186))
        self.moon_bg = np.asarray(bg)
        castle = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        c = ImageDraw.Draw(castle)
        col = (18, 16, 32, 255)
        c.rectangle((140, 250, 360, H), fill=col)
        for x in range(140, 360, 20):
            c.rectangle((x, 240, x + 10, 250), fill=col)
        c.rectangle((205, 165, 295, H), fill=col)
        for x in range(205, 295, 18):
            c.rectangle((x, 153, x + 9, 165), fill=col)
        for x0, top, x1, peak in ((90, 205, 150, 140), (350, 195, 410, 128)):
            c.rectangle((x0, top, x1, H), fill=col)
            c.polygon([(x0 - 6, top), ((x0 + x1) / 2, peak), (x1 + 6, top)], fill=col)
        c.line((250, 153, 250, 112), fill=col, width=3)
        win = (250, 205, 100, 255)
        for x, y in ((112, 232), (372, 222), (226, 190), (262, 190), (242, 240), (170, 280), (318, 280)):
            c.rounded_rectangle((x, y, x + 10, y + 18), radius=4, fill=win)
        self.castle = castle

    def dragon_points(self, x, y, scale, facing, flap):
        a = math.sin(flap)
        wing = np.array([(12, -10), (0, -10 - 38 * a), (-8, -10 - 70 * a), (-18, -10 - 42 * a),
                         (-28, -10 - 54 * a), (-36, -10 - 28 * a), (-22, -6)], np.float64)
        wing[:, 1] = -10 + (wing[:, 1] + 10) * 1.35
        wing[:, 0] *= 1.3
        far = wing * [1, 0.85] + [8, -3]
        out = []
        for poly in (far, self.BODY, wing):
            p = poly * scale
            p[:, 0] *= facing
            p += [x, y]
            out.append([tuple(v) for v in p.tolist()])
        return out

    def dragon_state(self, t):
        if 2.3 <= t < 4.6:
            u = (t - 2.3) / 2.3
            return 560 - 700 * u, 112 + 12 * math.sin(t * 2.2), 1.25, -1
        if t >= 4.6:
            v = (t - 4.6) / 2.4
            th = math.pi + 2 * math.pi * 0.9 * v
            x = 250 + 175 * math.cos(th)
            y = 150 + 50 * math.sin(th)
            facing = 1 if -math.sin(th) >= 0 else -1
            return x, y, 0.62 + 0.12 * math.sin(th + math.pi), facing
        return None

    def frame(self, t: float) -> Image.Image:
        img = Image.fromarray(self.moon_bg)
        d = ImageDraw.Draw(img)
        for (x, y), ph in zip(self.stars, self.star_ph, strict=False):
            if (x - self.MOON[0]) ** 2 + (y - self.MOON[1]) ** 2 < (self.MOON[2] + 30) ** 2:
                continue
            b = 0.55 + 0.45 * math.sin(ph + t * 4)
            c = int(140 + 115 * b)
            d.ellipse((x - 1, y - 1, x + 1, y + 1), fill=(c, c, min(255, c + 10)))
        st = self.dragon_state(t)
        glows = []
        if st and t >= 4.6:  # golden trail behind the circling dragon
            for k in range(1, 18):
                tp = t - 0.06 * k
                if tp < 4.6:
                    break
                px, py, _, _ = self.dragon_state(tp)
                r = 7 * (1 - k / 18) * (0.6 + 0.4 * math.sin(tp * 20 + k))
                sparkle(d, px, py + 6, r, (255, 215, 100))
                if k % 3 == 0:
                    glows.append((px, py + 6, (255, 200, 90), 0.35 * (1 - k / 18), 12, 5.0))
        if st:
            x, y, sc, facing = st
            for poly in self.dragon_points(x, y, sc, facing, t * 2 * math.pi * 2.4):
                d.polygon(poly, fill=(5, 5, 12))
        img.paste(self.castle, (0, 0), self.castle)
        d = ImageDraw.Draw(img)
        wave = 5 * math.sin(t * 6)
        d.polygon([(251, 112), (251, 126), (275, 119 + wave * 0.4)], fill=(180, 40, 60))
        strength = 1.0 if t < 2.3 else 0.5
        for (sx, sy), f, ph in zip(self.sparks, self.spark_f, self.spark_ph, strict=False):
            s = max(0.0, math.sin(2 * math.pi * (f * t + ph))) ** 3 * strength
            if s > 0.05:
                sparkle(d, sx, sy, 2 + 8 * s, (255, 230, 140))
                glows.append((sx, sy, (255, 215, 120), 0.4 * s, 14, 5.0))
        if glows:
            img = glow_image(img, glows)
        return img

    def audio(self) -> np.ndarray:
        rng = np.random.default_rng(607)
        tr = Track(self.duration)
        drone = osc(midi(38), self.duration, ((1, 1.0), (2, 0.3))) + 0.7 * osc(midi(45), self.duration)
        tr.buf += 0.12 * drone * tr.env_points([0, 1.2, 6.3, 7.0], [0.3, 1, 1, 0.6])
        notes = [74, 78, 81, 83, 86, 88, 90, 93]
        for i, (f, ph) in enumerate(zip(self.spark_f, self.spark_ph, strict=False)):
            k = 0
            while True:
                tp = (0.25 - ph + k) / f
                k += 1
                if tp < 0:
                    continue
                if tp > self.duration - 0.5:
                    break
                gain = 0.16 if tp < 2.3 else 0.07
                y = self.sparks[i][1]
                tr.add(tp, bell(notes[int(clamp01((300 - y) / 180) * 7.99)], 1.2), gain)
        # wing beats: a soft whoosh on each downstroke
        for k in range(40):
            tp = 2.3 + (k + 0.25) / 2.4
            if tp > self.duration - 0.2:
                break
            g = 0.45 if tp < 4.6 else 0.22
            tr.add(tp, band_noise(ns(0.22), rng, 150, 1500) * env(0.22, 0.06, 0.07), g)
        # distant growl as the dragon crosses the moon
        gd = 0.9
        gt = tsec(gd)
        growl = osc(70 + 8 * np.sin(2 * np.pi * 3 * gt), gd, [(n, 1 / n) for n in range(1, 9)])
        growl *= (0.6 + 0.4 * np.abs(band_noise(len(gt), rng, 5, 40)) / 3) * env(gd, 0.15, None, 0.3)
        tr.add(2.9, growl, 0.22)
        for j, m in enumerate((81, 86, 90, 93, 98)):  # shimmer while circling
            tr.add(4.8 + j * 0.4, bell(m, 1.0), 0.1)
        return tr.master()


# 7 ----------------------------------------------------------------------------
class DancingNotes(Clip):
    """LED equaliser bars driven by the soundtrack, with hopping/spinning notes."""

    name = "dancing_notes_equalizer"
    duration = 6.0
    segments = ((0.0, 2.0, "equaliser"), (2.0, 4.0, "notes hop"), (4.0, 6.0, "notes dance"))
    NBARS = 16
    NOTE_COLORS = ((255, 110, 180), (90, 220, 255), (255, 225, 70))

    def __init__(self):
        self.bg = vgradient((28, 8, 48), (70, 22, 96))
        self._audio = self._make_audio()
        self._levels = self._analyse(self._audio)
        self.sprites = [self.note_sprite(c, beamed=(i == 1)) for i, c in enumerate(self.NOTE_COLORS)]

    @staticmethod
    def note_sprite(col, beamed=False) -> Image.Image:
        w = 80 if beamed else 56
        s = Image.new("RGBA", (w, 84), (0, 0, 0, 0))
        d = ImageDraw.Draw(s)
        c = col + (255,)
        heads = [(6, 52)] + ([(44, 46)] if beamed else [])
        for hx, hy in heads:
            d.ellipse((hx, hy, hx + 30, hy + 24), fill=c)
            d.rectangle((hx + 25, hy - 42, hx + 30, hy + 12), fill=c)
            d.ellipse((hx + 7, hy + 7, hx + 12, hy + 13), fill=(255, 255, 255, 255))
            d.ellipse((hx + 16, hy + 7, hx + 21, hy + 13), fill=(255, 255, 255, 255))
            d.ellipse((hx + 8, hy + 9, hx + 11, hy + 12), fill=(0, 0, 0, 255))
            d.ellipse((hx + 17, hy + 9, hx + 20, hy + 12), fill=(0, 0, 0, 255))
            d.arc((hx + 8, hy + 10, hx + 20, hy + 20), 20, 160, fill=(90, 0, 40, 255), width=2)
        if beamed:
            d.polygon([(31, 10), (74, 4), (74, 12), (31, 18)], fill=c)
        else:
            d.polygon([(31, 10), (50, 24), (46, 32), (31, 22)], fill=c)
        return s

    def _make_audio(self) -> np.ndarray:
        rng = np.random.default_rng(707)
        tr = Track(self.duration)
        for i in range(12):
            bt = i * 0.5
            tr.add(bt, kick(), 0.8)
            tr.add(bt + 0.25, hihat(rng), 0.5)
            if bt >= 2.0 and i % 2 == 1:
                tr.add(bt, snare(rng), 0.5)
        roots = [36] * 4 + [33] * 4 + [29] * 2 + [31] * 2
        for i, r in enumerate(roots):
            for j, m in enumerate((r, r + 12)):
                bt = i * 0.5 + j * 0.25
                tr.add(bt, osc(midi(m), 0.24, ((1, 1.0), (2, 0.45), (3, 0.2))) * env(0.24, 0.004, 0.15), 0.45)
        lead = [76, 72, 69, 72, 76, 79, 76, 74]
        high = [77, 81, 84, 81, 79, 83, 86, 91]
        sq = ((1, 1.0), (3, 0.33), (5, 0.2), (7, 0.14))
        for j, m in enumerate(lead):
            tr.add(2.0 + 0.25 * j, osc(midi(m), 0.23, sq) * env(0.23, 0.005, 0.18), 0.3)
        for j, m in enumerate(high):
            tr.add(4.0 + 0.25 * j, osc(midi(m), 0.23, sq) * env(0.23, 0.005, 0.18), 0.3)
            tr.add(4.0 + 0.25 * j, osc(midi(m - 4), 0.23, sq) * env(0.23, 0.005, 0.18), 0.16)
        return tr.master()

    def _analyse(self, y: np.ndarray) -> np.ndarray:
        nfr = n_frames(self.duration)
        win = 4096
        edges = np.geomspace(50, 9000, self.NBARS + 1)
        freqs = np.fft.rfftfreq(win, 1 / SR)
        bins = []
        for b in range(self.NBARS):
            sel = np.nonzero((freqs >= edges[b]) & (freqs < edges[b + 1]))[0]
            if len(sel) == 0:  # narrow low band: use the nearest FFT bin
                sel = np.array([np.argmin(np.abs(freqs - math.sqrt(edges[b] * edges[b + 1])))])
            bins.append(sel)
        hann = np.hanning(win)
        pad = np.concatenate([np.zeros(win), y, np.zeros(win)])
        levels = np.zeros((nfr, self.NBARS))
        for i in range(nfr):
            c = int(i / FPS * SR) + win
            seg = pad[c - win // 2:c + win // 2] * hann
            mag = np.abs(np.fft.rfft(seg))
            for b, sel in enumerate(bins):
                levels[i, b] = 20 * np.log10(mag[sel].mean() + 1e-6)
        top = np.percentile(levels, 97, axis=0)
        norm = np.clip((levels - (top - 38)) / 38, 0, 1)
        # a little release smoothing, like a real meter
        for i in range(1, nfr):
            norm[i] = np.maximum(norm[i], norm[i - 1] - 0.12)
        return norm

    def frame(self, t: float) -> Image.Image:
        img = Image.fromarray(self.bg)
        d = ImageDraw.Draw(img)
        i = min(len(self._levels) - 1, int(round(t * FPS)))
        lv = self._levels[i]
        bw, gap, x0, bottom, blocks = 22, 6, 16, 344, 13
        for b in range(self.NBARS):
            nb = int(round(lv[b] * blocks))
            x = x0 + b * (bw + gap)
            for k in range(blocks):
                y1 = bottom - k * 11
                if k < nb:
                    if t < 4.0:
                        u = k / (blocks - 1)
                        col = mix((60, 220, 90), (250, 220, 50), u * 2) if u < 0.5 else mix((250, 220, 50), (240, 60, 60), (u - 0.5) * 2)
                    else:
                        r, g, bb = colorsys.hsv_to_rgb((b / self.NBARS + t * 0.4) % 1, 0.75, 1)
                        col = (int(r * 255), int(g * 255), int(bb * 255))
                else:
                    col = (52, 26, 74)
                d.rectangle((x, y1 - 8, x + bw, y1), fill=col)
        if t >= 2.0:
            beat = 0.5
            for j, spr in enumerate(self.sprites):
                if t < 4.0:
                    x = -40 + 560 * (t - 2.0) / 2.0 - 95 * j
                    p = ((t - 2.0) % beat) / beat
                    y = 150 - 55 * 4 * p * (1 - p)
                    ang = 10 * math.sin(2 * math.pi * (t - 2.0) / beat)
                else:
                    a = 2 * math.pi * ((t - 4.0) / 2.0 + j / 3)
                    x = 240 + 150 * math.cos(a)
                    y = 110 + 45 * math.sin(a)
                    ang = 360 * ((t - 4.0) * 0.75 + j / 3) if j != 1 else 20 * math.sin(t * 8)
                paste_sprite(img, spr, x, y, angle=ang)
        return img

    def audio(self) -> np.ndarray:
        return self._audio


# 8 ----------------------------------------------------------------------------
class FireflyForest(Clip):
    """Dark forest; fireflies blink on, swirl in a spiral, then rise and fade."""

    name = "firefly_forest"
    duration = 7.0
    segments = ((0.0, 2.3, "first fireflies"), (2.3, 4.6, "swirl"), (4.6, 7.0, "rise and fade"))
    N = 36
    FIRST = 6

    def __init__(self):
        rng = np.random.default_rng(808)
        img = Image.fromarray(vgradient((4, 10, 22), (10, 26, 28)))
        d = ImageDraw.Draw(img)
        for x, w in zip(rng.uniform(0, W, 9), rng.uniform(10, 22, 9), strict=False):
            d.rectangle((x, 0, x + w, 300), fill=(18, 32, 36))
            d.line((x + w / 2, 120, x + w / 2 + 40 * rng.choice([-1, 1]), 80), fill=(18, 32, 36), width=4)
        for x, w in ((10, 44), (70, 26), (392, 34), (440, 48)):
            d.rectangle((x, 0, x + w, H), fill=(6, 12, 12))
            d.line((x + w / 2, 90, x + w / 2 + (50 if x < 240 else -50), 40), fill=(6, 12, 12), width=7)
        d.rectangle((0, 300, W, H), fill=(8, 20, 12))
        for x in range(0, W, 9):
            h = 8 + 10 * abs(math.sin(x * 0.37))
            d.polygon([(x, 302), (x + 4, 302 - h), (x + 8, 302)], fill=(12, 30, 16))
        self.bg = np.asarray(img, np.float32)
        self.home = rng.uniform([110, 90], [380, 270], size=(self.N, 2))
        self.home[: self.FIRST] = [(170, 180), (300, 140), (230, 230), (340, 230), (140, 120), (260, 100)]
        self.ph = rng.uniform(0, 2 * np.pi, size=(self.N, 3))
        self.rise = rng.uniform(0.7, 1.3, self.N)
        self.appear = np.array([0.25 + 0.35 * k for k in range(self.FIRST)]
                               + [2.3 + 0.025 * k for k in range(self.N - self.FIRST)])

    def pos(self, i: int, t: float):
        hx, hy = self.home[i]
        p = self.ph[i]
        dx = hx + 22 * math.sin(0.9 * t + p[0])
        dy = hy + 14 * math.sin(1.3 * t + p[1])
        if t < 2.3:
            return dx, dy
        ang = i * 0.55 + 1.3 * (t - 2.3)
        r = 14 + 3.8 * i + (12 * (t - 4.6) if t > 4.6 else 0)
        spx = 240 + r * math.cos(ang)
        spy = 185 + 0.55 * r * math.sin(ang)
        w = ease((t - 2.3) / 0.9)
        x, y = lerp(dx, spx, w), lerp(dy, spy, w)
        if t > 4.6:
            y -= 75 * self.rise[i] * (t - 4.6) ** 1.3
        return x, y

    def brightness(self, i: int, t: float) -> float:
        a = ease((t - self.appear[i]) / 0.25)
        if a <= 0:
            return 0.0
        pulse = 0.65 + 0.35 * math.sin(2 * math.pi * 0.8 * t + self.ph[i][2])
        fade = 1 - ease((t - 5.6) / 1.3)
        return a * pulse * fade

    def frame(self, t: float) -> Image.Image:
        buf = self.bg.copy()
        for i in range(self.N):
            b = self.brightness(i, t)
            if b <= 0.01:
                continue
            x, y = self.pos(i, t)
            add_glow(buf, x, y, (150, 230, 90), 0.55 * b, 22, 8.0)
            add_glow(buf, x, y, (255, 255, 200), 1.0 * b, 5, 1.6)
        return Image.fromarray(np.clip(buf, 0, 255).astype(np.uint8))

    def audio(self) -> np.ndarray:
        tr = Track(self.duration)
        chords = ([45, 48, 52], [41, 45, 48], [48, 52, 55], [43, 47, 50])
        for i, ch in enumerate(chords):
            dur = 1.75 + 0.6
            for m in ch:
                tr.add(i * 1.75, osc(midi(m), dur, ((1, 1.0), (2, 0.2))) * env(dur, 0.5, None, 0.6), 0.1)
        for g in np.arange(0.35, self.duration - 0.3, 0.9):  # crickets
            for k in range(3):
                tr.add(g + k * 0.06, osc(4300, 0.03) * env(0.03, 0.004), 0.05)
        first = (69, 72, 76, 74, 79, 81)
        for k in range(self.FIRST):
            tr.add(self.appear[k], bell(first[k], 1.2), 0.3)
        swirl = (57, 60, 64, 67, 69, 67, 64, 60)
        j = 0
        while 2.3 + 0.2 * j < 4.6:
            tr.add(2.3 + 0.2 * j, bell(swirl[j % 8] + 12, 0.8), 0.16)
            j += 1
        rise = (69, 72, 74, 76, 79, 81, 84, 86, 88)
        for j, m in enumerate(rise):
            tr.add(4.7 + 0.22 * j, bell(m, 1.0), 0.22 * (1 - j / 11))
        return tr.master()


CLIPS = (RocketRun, BouncingBall, CountingBalloons, SunsetHome, BoatToIsland,
         DragonCastle, DancingNotes, FireflyForest)


# --------------------------------------------------------------------------- #
# encoding + verification
# --------------------------------------------------------------------------- #
def pick_codec(candidates) -> str:
    for name in candidates:
        try:
            av.codec.Codec(name, "w")
            return name
        except Exception:  # noqa: BLE001 - PyAV raises different types per version
            continue
    raise SystemExit(f"none of the encoders {candidates} is available in this PyAV build")


def write_mp4(path: Path, frames: list[np.ndarray], audio: np.ndarray, crf: int,
              vcodec: str, acodec: str) -> None:
    tmp = path.with_name(f".{path.stem}.partial")
    with av.open(str(tmp), "w", format="mp4", container_options={"movflags": "+faststart"}) as out:
        vs = out.add_stream(vcodec, rate=FPS)
        vs.width, vs.height = W, H
        vs.pix_fmt = "yuv420p"
        vs.codec_context.gop_size = 2 * FPS
        vs.options = {"crf": str(crf), "preset": "slow", "profile": "main", "tune": "animation"}
        aus = out.add_stream(acodec, rate=SR)
        aus.layout = "mono"
        aus.bit_rate = AUDIO_BITRATE
        fsz = 1024
        pad = (-len(audio)) % fsz
        audio = np.concatenate([audio, np.zeros(pad, np.float32)]).astype(np.float32)
        a_pos = 0
        tb_v = Fraction(1, FPS)
        tb_a = Fraction(1, SR)
        for i, arr in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(arr, format="rgb24")
            vf.pts, vf.time_base = i, tb_v
            for pkt in vs.encode(vf):
                out.mux(pkt)
            while a_pos < len(audio) and a_pos / SR <= (i + 1) / FPS:
                af = av.AudioFrame.from_ndarray(audio[None, a_pos:a_pos + fsz], format="fltp", layout="mono")
                af.sample_rate, af.pts, af.time_base = SR, a_pos, tb_a
                for pkt in aus.encode(af):
                    out.mux(pkt)
                a_pos += fsz
        while a_pos < len(audio):
            af = av.AudioFrame.from_ndarray(audio[None, a_pos:a_pos + fsz], format="fltp", layout="mono")
            af.sample_rate, af.pts, af.time_base = SR, a_pos, tb_a
            for pkt in aus.encode(af):
                out.mux(pkt)
            a_pos += fsz
        for pkt in vs.encode(None):
            out.mux(pkt)
        for pkt in aus.encode(None):
            out.mux(pkt)
    os.replace(tmp, path)


def probe(path: Path) -> dict:
    """Re-open a written file and measure what a player will see."""
    info: dict = {"size": path.stat().st_size}
    with av.open(str(path)) as c:
        if not c.streams.video:
            info["error"] = "no video stream"
            return info
        vs = c.streams.video[0]
        info["vcodec"] = vs.codec_context.name
        info["pix_fmt"] = vs.codec_context.pix_fmt
        info["width"], info["height"] = vs.codec_context.width, vs.codec_context.height
        rate = float(vs.average_rate or FPS)
        info["fps"] = rate
        stream_dur = float(vs.duration * vs.time_base) if vs.duration else None
        info["has_audio"] = bool(c.streams.audio)
        if info["has_audio"]:
            aus = c.streams.audio[0]
            info["acodec"] = aus.codec_context.name
            info["a_stream_duration"] = float(aus.duration * aus.time_base) if aus.duration else None
        nvid, nsamp, peak, sq = 0, 0, 0.0, 0.0
        streams = [vs] + ([c.streams.audio[0]] if info["has_audio"] else [])
        for frame in c.decode(*streams):
            if isinstance(frame, av.VideoFrame):
                nvid += 1
            else:
                a = frame.to_ndarray().astype(np.float64)
                nsamp += frame.samples
                peak = max(peak, float(np.abs(a).max()))
                sq += float((a * a).sum())
                info["sample_rate"] = frame.sample_rate
        info["video_frames"] = nvid
        info["duration"] = min(d for d in (stream_dur, nvid / rate) if d is not None)
        if info["has_audio"]:
            info["audio_duration"] = nsamp / info.get("sample_rate", SR)
            info["audio_peak"] = peak
            info["audio_rms"] = math.sqrt(sq / max(1, nsamp))
    return info


def problems(info: dict) -> list[str]:
    if "error" in info:
        return [info["error"]]
    p = []
    if not MIN_SECONDS <= info["duration"] <= MAX_SECONDS:
        p.append(f"video duration {info['duration']:.2f}s outside {MIN_SECONDS}-{MAX_SECONDS}s")
    w, h = info["width"], info["height"]
    if w < 360 or h < 360:
        p.append(f"frame {w}x{h} smaller than 360x360")
    if not 1.0 <= max(w, h) / min(w, h) <= 2.4:
        p.append(f"aspect {w}x{h} outside 1:1..2.4:1")
    if info["vcodec"] != "h264" or info["pix_fmt"] != "yuv420p":
        p.append(f"video is {info['vcodec']}/{info['pix_fmt']}, want h264/yuv420p")
    if not info["has_audio"]:
        p.append("no audio stream")
    else:
        if info["acodec"] != "aac":
            p.append(f"audio codec {info['acodec']}, want aac")
        if info["audio_duration"] < MIN_SECONDS:
            p.append(f"audio only {info['audio_duration']:.2f}s")
        if info["audio_peak"] < 0.05 or info["audio_rms"] < 0.01:
            p.append(f"audio too quiet (peak {info['audio_peak']:.3f}, rms {info['audio_rms']:.4f})")
    if info["size"] >= MAX_BYTES:
        p.append(f"file is {info['size']} bytes (limit {MAX_BYTES})")
    return p


def render(clip: Clip) -> tuple[list[np.ndarray], np.ndarray]:
    n = n_frames(clip.duration)
    frames = []
    for i in range(n):
        im = clip.frame(i / FPS)
        if im.mode != "RGB":
            im = im.convert("RGB")
        frames.append(np.asarray(im, dtype=np.uint8))
    return frames, clip.audio()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    ap.add_argument("--only", action="append", default=[], help="render only this clip name (repeatable)")
    args = ap.parse_args(argv)

    vcodec = pick_codec(VIDEO_CODEC_CANDIDATES)
    acodec = pick_codec(AUDIO_CODEC_CANDIDATES)
    print(f"PyAV {av.__version__}: video encoder {vcodec!r}, audio encoder {acodec!r}")
    args.out.mkdir(parents=True, exist_ok=True)
    names = {c.name for c in CLIPS}
    unknown = set(args.only) - names
    if unknown:
        ap.error(f"unknown clip(s) {sorted(unknown)}; choose from {sorted(names)}")

    failed = 0
    for cls in CLIPS:
        if args.only and cls.name not in args.only:
            continue
        clip = cls()
        frames, audio = render(clip)
        path = args.out / clip.filename
        crf = CRF_START
        while True:
            write_mp4(path, frames, audio, crf, vcodec, acodec)
            size = path.stat().st_size
            if size <= TARGET_BYTES or crf >= CRF_MAX:
                break
            crf += 2
        info = probe(path)
        errs = problems(info)
        status = "OK " if not errs else "FAIL"
        print(f"{status} {clip.filename:30s} video {info.get('duration', 0):.2f}s "
              f"audio {'yes' if info.get('has_audio') else 'NO '} "
              f"{info.get('audio_duration', 0):.2f}s  {info.get('width')}x{info.get('height')} "
              f"@{info.get('fps', 0):.0f}fps  {info['size'] / 1000:.1f} kB  crf {crf}  "
              f"{info.get('vcodec')}/{info.get('pix_fmt')} + {info.get('acodec')}")
        for e in errs:
            print(f"     - {e}")
        failed += bool(errs)
    if failed:
        print(f"{failed} clip(s) failed the checks", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
