"""The recommender: pick an intent and a mood, get video cards that play the best moment.

A `RecommenderState` holds everything the page shows; `apply_*` functions return a new state,
`plan_query` says which `Session` call to make and `run_query` makes it. `RecommenderUI` only
wires widgets to these pure functions, so every decision is tested without a browser. The same
widgets run in a notebook and as a web page (`vidrec app` serves `app/recommender.ipynb` with
Voilà). No control uses an icon font: the page loads nothing from the internet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .config import VidrecError
from .explore import (
    TEMPLATES,
    card_html,
    feedback_html,
    poster_data_uri,
    query_hint_html,
    status_html,
)
from .labels import INTENTS, MOODS
from .query_input import MAX_EXAMPLE_IDS
from .results import Result

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
    labels = {"intent": state.intent, "mood": state.mood} if state.exact_labels else {}
    filters = {"max_duration": state.max_duration, **labels}
    return {name: value for name, value in filters.items() if value is not None}


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
    if not (state.intent or state.mood or state.keywords):  # nothing to search for
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


# ----- the widgets -----------------------------------------------------------------------------

#: The page's style sheet (a file beside this module, inlined into the page).
STYLE = resources.files(__package__).joinpath("recommender.css").read_text(encoding="utf-8")


class RecommenderUI:
    """The widgets, wired to the pure handlers above. `.widget` is what a notebook displays."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.state = RecommenderState()
        self.free_text = bool(session.free_text_available())
        self._build_controls()
        self.hint = widgets.HTML().add_class("vidrec-hint")
        self.feedback = widgets.HTML().add_class("vidrec-feedback")
        self.reset_button = widgets.Button(
            description="Reset feedback", tooltip="Forget the liked and disliked videos"
        ).add_class("vidrec-reset")
        self.reset_button.on_click(lambda _: self.apply(apply_reset))
        self.status = widgets.HTML().add_class("vidrec-status")
        self.grid = widgets.GridBox().add_class("vidrec-results")
        self.cards: list[widgets.VBox] = []
        self.widget = self._layout()
        self.render()

    def _build_controls(self) -> None:
        self.intent = widgets.Dropdown(
            options=[("Any intent", ANY)] + [(name.capitalize(), name) for name in INTENTS],
            description="Intent",
            tooltip="What kind of video: the category",
        ).add_class("vidrec-intent")
        self.mood = widgets.ToggleButtons(
            options=[("Any", ANY)] + [(name.capitalize(), name) for name in MOODS],
            description="Mood",
            tooltip="How it should feel",
            tooltips=["Any mood"] + list(MOODS.values()),
            style={"description_width": "initial", "button_width": "auto"},
        ).add_class("vidrec-mood")
        self.keywords = widgets.Text(
            description="Keywords",
            placeholder="e.g. dragons, lullaby" if self.free_text else "needs a text model",
            tooltip="Extra words to search for; press Enter",
            continuous_update=False,
            disabled=not self.free_text,
        ).add_class("vidrec-keywords")
        note = "" if self.free_text else str(TEMPLATES.module.keywords_off())
        self.keywords_note = widgets.HTML(note).add_class("vidrec-keywords-note")
        self.top_k = widgets.IntSlider(
            value=DEFAULT_TOP_K,
            min=1,
            max=MAX_RESULTS,
            description="Results",
            tooltip="How many videos to show",
            continuous_update=False,
        ).add_class("vidrec-top-k")
        self.max_duration = widgets.Dropdown(
            options=DURATION_CHOICES,
            description="Length",
            tooltip="Longest video to show",
        ).add_class("vidrec-length")
        self.exact = widgets.Checkbox(
            description="Only this exact intent and mood",
            tooltip="Filter to videos labelled with the chosen intent and mood",
            indent=False,
        ).add_class("vidrec-exact")
        self.controls = {
            "intent": self.intent,
            "mood": self.mood,
            "keywords": self.keywords,
            "top_k": self.top_k,
            "max_duration": self.max_duration,
            "exact_labels": self.exact,
        }
        for name, control in self.controls.items():  # each changes one field of the state
            control.observe(
                lambda change, name=name: self.apply(apply_query, **{name: change["new"]}), "value"
            )

    def _layout(self) -> widgets.VBox:
        header = widgets.HTML(str(TEMPLATES.module.header(STYLE)))
        controls = widgets.Box(list(self.controls.values())).add_class("vidrec-controls")
        feedback = widgets.Box([self.feedback, self.reset_button]).add_class("vidrec-feedback-row")
        parts = [header, controls, self.keywords_note, self.hint, feedback, self.status, self.grid]
        return widgets.VBox(parts).add_class("vidrec-app")

    def apply(self, handler: Any, *values: Any, **changes: Any) -> None:
        """Apply one pure handler, run the resulting query, redraw."""
        changed = handler(self.state, *values, **changes)
        self.status.value = status_html(
            self._status(), replace(changed, took_ms=None, message="Searching…")
        )
        self.state = run_query(self.session, changed)
        self.render()

    def _status(self) -> dict[str, Any]:
        try:
            return self.session.status()
        except VidrecError as error:
            return {"mode": "?", "model": "?", "points": 0, "error": str(error)}

    def _card(self, result: Result) -> widgets.VBox:
        poster = poster_data_uri(result.video_id, result.title, result.intent, result.mood)
        body = widgets.HTML(card_html(result, poster)).add_class("vidrec-card-html")
        name = result.title or result.video_id
        more = widgets.Button(description="More like this", tooltip=f"More videos like {name}")
        less = widgets.Button(description="Not this", tooltip=f"Fewer videos like {name}")
        more.on_click(lambda _, video=result.video_id: self.apply(apply_more_like_this, video))
        less.on_click(lambda _, video=result.video_id: self.apply(apply_not_this, video))
        actions = widgets.HBox([more.add_class("vidrec-more"), less.add_class("vidrec-not")])
        card = widgets.VBox([body, actions.add_class("vidrec-actions")])
        return card.add_class("vidrec-card")

    def render(self) -> None:
        """Redraw everything from `self.state`."""
        for card in self.cards:
            _close_tree(card)
        self.cards = [self._card(result) for result in self.state.results]
        self.grid.children = self.cards
        # after the cards, so a page showing the new query text also shows its results
        self.hint.value = query_hint_html(self.state)
        self.feedback.value = feedback_html(self.state)
        self.reset_button.disabled = not (self.state.liked or self.state.disliked)
        self.status.value = status_html(self._status(), self.state)


def _close_tree(widget: widgets.Widget) -> None:
    """Close a widget, its children, layouts and styles (their front-end models are freed)."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if isinstance(part, widgets.Widget):
            part.close()
    widget.close()


def recommender(session: Session | None = None) -> widgets.Widget:
    """The recommender UI for a session (opened with `open_session()` when none is given)."""
    if session is None:
        from .session import open_session

        try:
            session = open_session()
        except VidrecError as error:
            return widgets.HTML(str(TEMPLATES.module.error(str(error))))  # why it cannot start
    return RecommenderUI(session).widget
