"""How a result looks: the recommender's HTML pieces, and the poster of a video as a data URI.

The HTML comes from templates/cards.html.j2, autoescaped. Posters are `data/posters/<id>.jpg`
(written by `scripts/make_posters.py`) inlined as `data:` URIs, so notebooks and Voilà need no
file server; a video with no poster file gets an SVG placeholder with its title and labels.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from .labels import INTENTS, MOODS
from .samples import data_dir
from .search import CONFIDENCE_NOTE, Result

if TYPE_CHECKING:
    from .widgets import RecommenderState


def clock(seconds: float) -> str:
    """Seconds as m:ss (e.g. 75 -> 1:15)."""
    whole = max(0, int(round(seconds)))
    return f"{whole // 60}:{whole % 60:02d}"


def is_whole_video(result: Result) -> bool:
    """True when the result's moment is the whole video (no clip matched better)."""
    duration = result.duration if result.duration is not None else result.end_time
    return result.start_time <= 0 and result.end_time >= duration - 0.05


#: The HTML pieces (templates/cards.html.j2), autoescaped by Jinja2: no hand-written escaping.
TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader(__package__), autoescape=True, trim_blocks=True
).get_template("cards.html.j2")


def card_html(result: Result, poster_uri: str) -> str:
    """The text part of a result card: media, title, labels, score, confidence and moment."""
    what = "whole video" if is_whole_video(result) else "best moment"
    moment = f"{clock(result.start_time)}–{clock(result.end_time)}"
    return str(TEMPLATES.module.card(result, poster_uri, what, moment))


def feedback_html(state: RecommenderState) -> str:
    """The liked and disliked videos, by title."""
    liked, disliked = (
        [state.titles.get(i, i) for i in ids] for ids in (state.liked, state.disliked)
    )
    return str(TEMPLATES.module.feedback(liked, disliked))


def status_html(status: Mapping[str, Any], state: RecommenderState) -> str:
    """The status line: mode, model, collection size, query time, and any message."""
    took = ""
    if state.took_ms is not None:
        how = "similar videos" if state.strategy == "similar" else f"strategy {state.strategy}"
        took = f"{len(state.results)} results in {state.took_ms:.0f} ms ({how})"
    mode, model = status.get("mode", "?"), status.get("model", "?")
    points = int(status.get("points", 0))
    note = CONFIDENCE_NOTE if state.results else ""  # what high / medium / low mean
    return str(TEMPLATES.module.status(mode, model, points, took, state.message, note))


def query_hint_html(state: RecommenderState) -> str:
    """What the chosen labels mean: the descriptions that are embedded for the query."""
    labels = [
        (state.intent, INTENTS.get(state.intent or "")),
        (state.mood, MOODS.get(state.mood or "")),
    ]
    return str(TEMPLATES.module.hint([(name, meaning) for name, meaning in labels if name]))


# ----- posters ---------------------------------------------------------------------------------

#: Video ids that can name a file: letters, digits, dot, dash and underscore.
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


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
    svg = str(TEMPLATES.module.placeholder(title, labels))
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def poster_data_uri(
    video_id: str, title: str = "", intent: str | None = None, mood: str | None = None
) -> str:
    """The poster of `video_id` as a data URI; a placeholder with its title when it has no file."""
    path = poster_path(video_id)
    if path is not None:
        return file_uri(str(path))
    return _placeholder_uri(title or video_id, " · ".join(x for x in (intent, mood) if x))
