"""Poster frames for result cards: `data/posters/<video_id>.jpg` (written by
`scripts/make_posters.py`) embedded as `data:` URIs, so notebooks and Voilà need no file
server; a video with no poster file gets an SVG placeholder with its title and labels.
"""

from __future__ import annotations

import base64
import html
import re
from functools import lru_cache
from pathlib import Path

from .samples import data_dir

#: Video ids that can name a file: letters, digits, dot, dash and underscore.
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
#: The placeholder card (SVG; the text is escaped): the labels on top, the title below.
PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180">'
    '<rect width="320" height="180" fill="#262c3c"/><g font-family="sans-serif">'
    '<text x="12" y="26" fill="#c8d0e0" font-size="12">{labels}</text>'
    '<text x="12" y="150" fill="#ffffff" font-size="19">{title}</text></g></svg>'
)


def poster_dir() -> Path:
    """Where the poster JPEGs live (`data/posters/`)."""
    return data_dir() / "posters"


def poster_path(video_id: str, directory: Path | None = None) -> Path | None:
    """The poster file of `video_id`, or None when there is none (or the id is not a file name)."""
    if not SAFE_ID.match(video_id or ""):
        return None
    path = (directory or poster_dir()) / f"{video_id}.jpg"
    return path if path.is_file() else None


@lru_cache(maxsize=512)
def file_uri(path: str) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


@lru_cache(maxsize=256)
def _placeholder_uri(title: str, labels: str) -> str:
    """A dark SVG card with the labels and the title: for videos that have no poster file."""
    svg = PLACEHOLDER.format(labels=html.escape(labels.upper()), title=html.escape(title[:32]))
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def poster_data_uri(
    video_id: str, title: str = "", intent: str | None = None, mood: str | None = None
) -> str:
    """The poster of `video_id` as a data URI; a placeholder with its title when it has no file."""
    path = poster_path(video_id)
    if path is not None:
        return file_uri(str(path))
    return _placeholder_uri(title or video_id, " · ".join(x for x in (intent, mood) if x))
