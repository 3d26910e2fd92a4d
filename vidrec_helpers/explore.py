"""How the notebooks and the recommender show results, and what else the notebooks lean on.

Results as a table, as a PNG sheet of posters (it shows in every rendering of a notebook), as
HTML cards (templates/cards.html.j2, autoescaped) and with a player. Posters are
`data/posters/<id>.jpg` (written by `scripts/make_posters.py`) inlined as `data:` URIs, so
notebooks and Voilà need no file server; a video without one gets an SVG placeholder. Also: the
live-key prompt, and the collection read back as a table (notebook 06).
"""

from __future__ import annotations

import base64
import getpass
import os
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
import pandas as pd
from IPython.display import HTML
from PIL import Image, ImageDraw, ImageFont
from pydantic import SecretStr
from qdrant_client import QdrantClient, models

from .config import Settings, VidrecError, get_settings, reload_settings
from .labels import INTENTS, MOODS
from .results import CONFIDENCE_NOTE, Result, SearchResponse
from .samples import data_dir

if TYPE_CHECKING:
    from .widgets import RecommenderState

# ----- credentials ---------------------------------------------------------------------------


def live_requested(environment: Mapping[str, str] | None = None) -> bool:
    """True when the learner asked for live mode explicitly (`VIDREC_MODE=live`)."""
    environment = os.environ if environment is None else environment
    return environment.get("VIDREC_MODE", "").strip().lower() == "live"


def ask_for_missing_keys(
    settings: Settings | None = None,
    prompt: Callable[[str], str] = getpass.getpass,
) -> Settings:
    """Settings with every live key present: from .env or the environment, else a hidden prompt.

    Only prompts when live mode was asked for (`VIDREC_MODE=live`) and a key is missing;
    offline never prompts. A typed key goes to this process's environment (so the package's
    own settings see it too), never to a file or a cell, and is masked in every message.
    """
    settings = settings or get_settings()
    if settings.mode != "live" or not live_requested() or settings.twelvelabs_api_key:
        return settings
    name, fix = "TWELVELABS_API_KEY", "add it to .env, or run offline with VIDREC_MODE=offline"
    try:
        value = prompt(f"{name} (input hidden, press Enter to cancel): ").strip()
    except Exception as error:  # no stdin (nbconvert, nbval): say what to do instead
        raise VidrecError(
            f"VIDREC_MODE=live but {name} is not set and this kernel cannot prompt: {fix}"
        ) from error
    if not value:
        raise VidrecError(f"no {name} given: {fix}")
    os.environ[name] = value
    reload_settings()  # registers the new key for masking
    return settings.model_copy(update={"twelvelabs_api_key": SecretStr(value)})


# ----- results as tables ---------------------------------------------------------------------


def results_table(response: SearchResponse) -> pd.DataFrame:
    """One row per recommended video: labels, score, confidence and the moment to play."""
    rows = [
        {
            "video_id": result.video_id,
            "title": result.title,
            "intent": result.intent,
            "mood": result.mood,
            "score": round(result.score, 3),
            "confidence": result.confidence,
            "duration": clock(result.duration) if result.duration is not None else "",
            "best moment": f"{clock(result.start_time)}-{clock(result.end_time)}",
        }
        for result in response.results
    ]
    table = pd.DataFrame(rows, columns=list(rows[0]) if rows else None)
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    return table


def label_share(response: SearchResponse, intent: str | None, mood: str | None) -> str:
    """How many results carry the asked intent and mood, as a sentence."""
    results = response.results
    both = sum(1 for r in results if r.intent == intent and r.mood == mood)
    return f"{both} of {len(results)} results are labelled {intent} + {mood}"


# ----- posters -------------------------------------------------------------------------------

#: Video ids that can name a file: letters, digits, dot, dash and underscore.
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def poster_dir() -> Path:
    """Where the poster JPEGs live (`data/posters/`)."""
    return data_dir() / "posters"


def poster_path(video_id: str) -> Path | None:
    """The poster file of `video_id`, or None when there is none (or the id is not a file name)."""
    if not SAFE_ID.match(video_id or ""):
        return None
    path = poster_dir() / f"{video_id}.jpg"
    return path if path.is_file() else None


@lru_cache(maxsize=512)
def poster_data_uri(
    video_id: str, title: str = "", intent: str | None = None, mood: str | None = None
) -> str:
    """The poster of `video_id` as a data URI, else a dark SVG card with its labels and title."""
    path = poster_path(video_id)
    if path is not None:
        return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    labels = " · ".join(label for label in (intent, mood) if label)
    svg = str(TEMPLATES.module.placeholder(title or video_id, labels)).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


# ----- the recommender's HTML ----------------------------------------------------------------


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


# ----- pictures ------------------------------------------------------------------------------


def poster_cards(items: Sequence[tuple[str, str]], columns: int = 4, width: int = 220) -> Any:
    """One image of poster cards for (video_id, caption) pairs.

    A PNG rather than HTML: it shows in every rendering (GitHub, nbviewer, an HTML export).
    """
    height, gap, caption = width * 9 // 16, 10, 34
    rows = max(1, -(-len(items) // columns))
    size = (columns * (width + gap) + gap, rows * (height + caption + gap) + gap)
    sheet = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    for number, (video_id, text) in enumerate(items):
        x = gap + (number % columns) * (width + gap)
        y = gap + (number // columns) * (height + caption + gap)
        path = poster_path(video_id)
        if path is None:
            draw.rectangle((x, y, x + width, y + height), fill=(200, 200, 200))
        else:
            with Image.open(path) as poster:
                sheet.paste(poster.convert("RGB").resize((width, height)), (x, y))
        lines = textwrap.wrap(text, width=width // 7)[:2]
        draw.multiline_text((x, y + height + 3), "\n".join(lines), fill="black", font=font)
    return sheet


def result_cards(response: SearchResponse, columns: int = 5) -> Any:
    """Poster cards of a response's results, captioned with rank, title and score."""
    items = [
        (result.video_id, f"{rank}. {result.title} ({result.score:.2f})")
        for rank, result in enumerate(response.results, start=1)
    ]
    return poster_cards(items, columns=columns, width=180)


def player(url: str, video_id: str, start: float = 0.0, end: float | None = None) -> HTML:
    """A player that starts at the moment and shows the video's poster until it plays."""
    still = poster_data_uri(video_id) if poster_path(video_id) else ""  # no placeholder here
    moment = f"#t={start:g}" + (f",{end:g}" if end is not None else "")
    return HTML(str(TEMPLATES.module.player(url + moment, still)))


# ----- the collection as a table -------------------------------------------------------------


def collection_frame(
    client: QdrantClient, collection: str, scope: str | None = "video", batch: int = 256
) -> pd.DataFrame:
    """Every point of `collection` (of one scope, or all with None): payload columns + vector."""
    scoped = models.FieldCondition(key="scope", match=models.MatchValue(value=scope or ""))
    flt = models.Filter(must=[scoped]) if scope else None
    rows, offset = [], None
    while True:  # a page of `batch` points at a time, with their vectors
        page, offset = client.scroll(collection, flt, limit=batch, offset=offset, with_vectors=True)
        rows += [{**(p.payload or {}), "vector": np.asarray(p.vector, np.float32)} for p in page]
        if offset is None:
            break
    if not rows:
        raise VidrecError(
            f"collection {collection!r} has no {scope or ''} points: ingest the samples first "
            "(open_session() does it offline)"
        )
    frame = pd.DataFrame(rows)
    order = ["video_id", "start_sec"] if "start_sec" in frame else ["video_id"]
    return frame.sort_values(order).reset_index(drop=True)


def vectors_of(frame: pd.DataFrame) -> np.ndarray:
    """The `vector` column as one float32 matrix, rows scaled to unit length."""
    matrix = np.stack(frame["vector"].to_list()).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
