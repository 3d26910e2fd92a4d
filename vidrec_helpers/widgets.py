"""The recommender UI: pick an intent and a mood, get video cards that play the best moment.

The same widgets run in a notebook and as a web page (`vidrec app` serves
`app/recommender.ipynb` with Voilà). The logic is plain data and functions: a
`RecommenderState` and `apply_*` functions that return a new state, `plan_query` that says
which `Session` call to make, and `run_query` that makes it. `RecommenderUI` only wires
widgets to them, so everything but the drawing is tested without a browser.
"""

from __future__ import annotations

import html
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import ipywidgets as widgets

from .config import Settings, VidrecError, get_settings, project_root
from .labels import INTENTS, MOODS
from .posters import poster_data_uri
from .search import MAX_EXAMPLE_IDS, Result, SearchResponse

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
    '(<code>pip install -e ".[local]"</code>); live, set <code>TWELVELABS_API_KEY</code>. '
    "Intents and moods work without it."
)
APP_NOTEBOOK = Path("app") / "recommender.ipynb"
DEFAULT_PORT = 8866


class SessionLike(Protocol):
    """What the UI needs from `session.Session`."""

    def search(self, **query: Any) -> SearchResponse: ...

    def similar(
        self, positive_ids: list[str], negative_ids: list[str] | None = None, **options: Any
    ) -> SearchResponse: ...

    def status(self) -> dict[str, Any]: ...

    def free_text_available(self) -> bool: ...


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

    def result_ids(self) -> list[str]:
        """The video ids on the cards, in order."""
        return [result.video_id for result in self.results]


def _new_query(state: RecommenderState, **changes: Any) -> RecommenderState:
    """A changed query starts over: the likes and dislikes belonged to the old one."""
    return replace(state, liked=(), disliked=(), **changes)


def apply_intent(state: RecommenderState, intent: str | None) -> RecommenderState:
    """Choose an intent (None or "" for any)."""
    return _new_query(state, intent=intent or None)


def apply_mood(state: RecommenderState, mood: str | None) -> RecommenderState:
    """Choose a mood (None or "" for any)."""
    return _new_query(state, mood=mood or None)


def apply_keywords(state: RecommenderState, keywords: str) -> RecommenderState:
    """Type keywords (embedded as their own part of the query)."""
    return _new_query(state, keywords=" ".join((keywords or "").split()))


def apply_top_k(state: RecommenderState, top_k: int) -> RecommenderState:
    """Show `top_k` results (the feedback is kept)."""
    return replace(state, top_k=max(1, min(MAX_RESULTS, int(top_k))))


def apply_max_duration(state: RecommenderState, seconds: float | None) -> RecommenderState:
    """Only videos up to `seconds` long (None or 0: any length)."""
    return replace(state, max_duration=float(seconds) if seconds else None)


def apply_exact_labels(state: RecommenderState, exact: bool) -> RecommenderState:
    """Only videos labelled with exactly the chosen intent and mood (a filter, not a ranking)."""
    return replace(state, exact_labels=bool(exact))


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
    arguments = {
        "intent": state.intent,
        "mood": state.mood,
        "keywords": state.keywords or None,
        "top_k": state.top_k,
        "filters": filters_for(state),
    }
    if state.disliked:
        arguments["avoid"] = list(state.disliked)
    return "search", arguments


def run_query(session: SessionLike, state: RecommenderState) -> RecommenderState:
    """Run the planned call; a VidrecError becomes the state's message (the page stays usable)."""
    plan = plan_query(state)
    if plan is None:
        return replace(state, results=(), took_ms=None, strategy=None, message=START_HINT)
    kind, arguments = plan
    try:
        response = (
            session.similar(**arguments) if kind == "similar" else session.search(**arguments)
        )
    except VidrecError as error:
        return replace(state, results=(), took_ms=None, strategy=None, message=str(error))
    rejected = set(state.disliked)
    results = tuple(result for result in response.results if result.video_id not in rejected)
    results = results[: state.top_k]
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


def media_fragment(start: float, end: float) -> str:
    """A media fragment (`#t=55,130`): the browser plays just the best moment."""
    return f"#t={start:g},{end:g}"


def is_whole_video(result: Result) -> bool:
    """True when the result's moment is the whole video (no clip matched better)."""
    duration = result.duration if result.duration is not None else result.end_time
    return result.start_time <= 0 and result.end_time >= duration - 0.05


def media_html(result: Result, poster_uri: str) -> str:
    """A <video> that starts at the best moment when the result has a URL, else the poster image."""
    title = html.escape(result.title or result.video_id)
    poster = html.escape(poster_uri, quote=True)
    if result.url:
        source = html.escape(
            result.url + media_fragment(result.start_time, result.end_time), quote=True
        )
        return (
            f'<video class="vidrec-media" controls preload="metadata" src="{source}" '
            f'poster="{poster}" aria-label="{title}" width="320" height="180"></video>'
        )
    return (
        f'<img class="vidrec-media" src="{poster}" alt="Poster of {title}" '
        'width="320" height="180">'
    )


def card_html(result: Result, poster_uri: str) -> str:
    """The text part of a result card: media, title, labels, score, confidence and moment."""
    title = html.escape(result.title or result.video_id)
    labels = "".join(
        f'<span class="vidrec-tag">{html.escape(label)}</span>'
        for label in (result.intent, result.mood)
        if label
    )
    moment = f"{clock(result.start_time)}–{clock(result.end_time)}"
    what = "whole video" if is_whole_video(result) else "best moment"
    return (
        f'<div class="vidrec-card-body">{media_html(result, poster_uri)}'
        f'<div class="vidrec-title">{title}</div>'
        f'<div class="vidrec-tags">{labels}</div>'
        f'<div class="vidrec-score">score {result.score:.3f} · confidence '
        f"{html.escape(result.confidence)} · {what} {moment}</div></div>"
    )


def feedback_html(state: RecommenderState) -> str:
    """The liked and disliked videos, by title."""

    def names(ids: tuple[str, ...]) -> str:
        return ", ".join(html.escape(state.titles.get(item, item)) for item in ids) or "none"

    if not state.liked and not state.disliked:
        return (
            '<span class="vidrec-feedback-empty">Use <b>More like this</b> and '
            "<b>Not this</b> on a card to steer the results.</span>"
        )
    return (
        f"<span><b>More like:</b> {names(state.liked)}</span> "
        f"<span><b>Not:</b> {names(state.disliked)}</span>"
    )


def status_html(status: Mapping[str, Any], state: RecommenderState) -> str:
    """The status line: mode, model, collection size, query time, and any message."""
    parts = [
        f"mode <b>{html.escape(str(status.get('mode', '?')))}</b>",
        f"model <b>{html.escape(str(status.get('model', '?')))}</b>",
        f"{int(status.get('points', 0)):,} points in the collection",
    ]
    if state.took_ms is not None:
        how = "similar videos" if state.strategy == "similar" else f"strategy {state.strategy}"
        parts.append(f"{len(state.results)} results in {state.took_ms:.0f} ms ({html.escape(how)})")
    line = " · ".join(parts)
    message = (
        f'<div class="vidrec-message">{html.escape(state.message)}</div>' if state.message else ""
    )
    return f'<div class="vidrec-status-line" role="status" aria-live="polite">{line}{message}</div>'


def query_hint_html(state: RecommenderState) -> str:
    """What the chosen labels mean: the descriptions that are embedded for the query."""
    parts = []
    if state.intent:
        parts.append(f"<b>{html.escape(state.intent)}</b>: {html.escape(INTENTS[state.intent])}")
    if state.mood:
        parts.append(f"<b>{html.escape(state.mood)}</b>: {html.escape(MOODS[state.mood])}")
    return " · ".join(parts)


STYLE = """
<style>
.vidrec-app { max-width: 1280px; margin: 0 auto; font-size: 14px; color: #1f2430; }
.vidrec-app .widget-html-content { line-height: 1.45; }
.vidrec-app h2 { margin: 4px 0 2px; font-size: 22px; }
.vidrec-app .vidrec-sub { margin: 0 0 8px; color: #4a5263; }
.vidrec-controls { gap: 8px 20px; align-items: center; }
.vidrec-controls .widget-toggle-buttons .widget-toggle-button { margin: 2px 4px 2px 0; }
.vidrec-hint, .vidrec-feedback, .vidrec-status, .vidrec-keywords-note { color: #3b4252; }
.vidrec-keywords-note { font-size: 13px; }
.vidrec-status-line { padding: 6px 10px; background: #eef2f7; border-radius: 6px; }
.vidrec-message { color: #8a3b00; margin-top: 2px; }
.vidrec-card { border: 1px solid #d5dbe5; border-radius: 10px; overflow: hidden;
  background: #fff; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.08); }
.vidrec-card .vidrec-media { display: block; width: 100%; height: auto; aspect-ratio: 16 / 9;
  object-fit: cover; background: #1f2430; }
.vidrec-card-body { line-height: 1.35; }
.vidrec-card .vidrec-title { font-weight: 600; font-size: 15px; margin: 8px 10px 4px; }
.vidrec-card .vidrec-tags { margin: 0 10px; }
.vidrec-card .vidrec-tag { display: inline-block; padding: 1px 8px; margin-right: 6px;
  border-radius: 10px; background: #e6ecf5; font-size: 12px; }
.vidrec-card .vidrec-score { margin: 6px 10px 2px; font-size: 12px; color: #4a5263; }
.vidrec-card .vidrec-actions { padding: 4px 8px 8px; gap: 8px; }
.vidrec-card .vidrec-actions button { flex: 1 1 0; }
</style>
"""


# ----- widgets ---------------------------------------------------------------------------------


def _title_case(label: str) -> str:
    return label[:1].upper() + label[1:]


class RecommenderUI:
    """The widgets, wired to the pure handlers above. `.widget` is what a notebook displays."""

    def __init__(self, session: SessionLike) -> None:
        self.session = session
        self.state = RecommenderState()
        self.free_text = bool(session.free_text_available())
        self._build_controls()
        self.hint = widgets.HTML().add_class("vidrec-hint")
        self.feedback = widgets.HTML().add_class("vidrec-feedback")
        self.reset_button = widgets.Button(
            description="Reset feedback",
            icon="undo",
            tooltip="Forget the liked and disliked videos",
            layout=widgets.Layout(width="auto"),
        ).add_class("vidrec-reset")
        self.reset_button.on_click(lambda _: self.apply(apply_reset))
        self.status = widgets.HTML().add_class("vidrec-status")
        self.grid = widgets.GridBox(
            layout=widgets.Layout(
                grid_template_columns="repeat(auto-fill, minmax(260px, 1fr))",
                grid_gap="16px",
                width="100%",
                margin="8px 0 0 0",
            )
        ).add_class("vidrec-results")
        self.cards: list[widgets.VBox] = []
        self.widget = self._layout()
        self.render()

    def _build_controls(self) -> None:
        wide = {"description_width": "initial"}
        self.intent = widgets.Dropdown(
            options=[("Any intent", ANY)] + [(_title_case(name), name) for name in INTENTS],
            value=ANY,
            description="Intent",
            tooltip="What kind of video: the category",
            style=wide,
            layout=widgets.Layout(width="220px"),
        ).add_class("vidrec-intent")
        self.mood = widgets.ToggleButtons(
            options=[("Any", ANY)] + [(_title_case(name), name) for name in MOODS],
            value=ANY,
            description="Mood",
            tooltip="How it should feel",
            tooltips=["Any mood"] + list(MOODS.values()),
            style={**wide, "button_width": "auto"},
            layout=widgets.Layout(width="auto", flex_flow="row wrap"),
        ).add_class("vidrec-mood")
        self.keywords = widgets.Text(
            description="Keywords",
            placeholder="e.g. dragons, lullaby" if self.free_text else "needs a text model",
            tooltip="Extra words to search for; press Enter",
            continuous_update=False,
            disabled=not self.free_text,
            style=wide,
            layout=widgets.Layout(width="100%", max_width="340px"),
        ).add_class("vidrec-keywords")
        self.keywords_note = widgets.HTML("" if self.free_text else KEYWORDS_OFF).add_class(
            "vidrec-keywords-note"
        )
        self.top_k = widgets.IntSlider(
            value=DEFAULT_TOP_K,
            min=1,
            max=MAX_RESULTS,
            description="Results",
            tooltip="How many videos to show",
            continuous_update=False,
            style=wide,
            layout=widgets.Layout(width="100%", max_width="300px"),
        ).add_class("vidrec-top-k")
        self.max_duration = widgets.Dropdown(
            options=DURATION_CHOICES,
            value=0,
            description="Length",
            tooltip="Longest video to show",
            style=wide,
            layout=widgets.Layout(width="200px"),
        ).add_class("vidrec-length")
        self.exact = widgets.Checkbox(
            value=False,
            description="Only this exact intent and mood",
            tooltip="Filter to videos labelled with the chosen intent and mood",
            indent=False,
            layout=widgets.Layout(width="auto"),
        ).add_class("vidrec-exact")
        self.intent.observe(lambda change: self.apply(apply_intent, change["new"]), "value")
        self.mood.observe(lambda change: self.apply(apply_mood, change["new"]), "value")
        self.keywords.observe(lambda change: self.apply(apply_keywords, change["new"]), "value")
        self.top_k.observe(lambda change: self.apply(apply_top_k, change["new"]), "value")
        self.max_duration.observe(
            lambda change: self.apply(apply_max_duration, change["new"]), "value"
        )
        self.exact.observe(lambda change: self.apply(apply_exact_labels, change["new"]), "value")

    def _layout(self) -> widgets.VBox:
        header = widgets.HTML(
            STYLE + "<h2>Find a video by intent and mood</h2>"
            '<p class="vidrec-sub">Semantic search over video embeddings: choose what kind of '
            "video and how it should feel; each card plays its best matching moment.</p>"
        )
        row = widgets.Layout(flex_flow="row wrap", align_items="center", width="100%")
        controls = widgets.Box(
            [self.intent, self.mood, self.keywords, self.top_k, self.max_duration, self.exact],
            layout=row,
        ).add_class("vidrec-controls")
        feedback = widgets.Box(
            [self.feedback, self.reset_button],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center", width="100%"),
        )
        parts = [header, controls, self.keywords_note, self.hint, feedback, self.status, self.grid]
        return widgets.VBox(
            parts, layout=widgets.Layout(width="100%", padding="4px 8px")
        ).add_class("vidrec-app")

    def apply(self, handler: Any, *values: Any) -> None:
        """Apply one pure handler, run the resulting query, redraw."""
        changed = handler(self.state, *values)
        self.status.value = status_html(
            self._status(), replace(changed, took_ms=None, message="Searching…")
        )
        self.state = run_query(self.session, changed)
        self.render()

    def more_like_this(self, video_id: str) -> None:
        """What a card's "More like this" button does."""
        self.apply(apply_more_like_this, video_id)

    def not_this(self, video_id: str) -> None:
        """What a card's "Not this" button does."""
        self.apply(apply_not_this, video_id)

    def _status(self) -> dict[str, Any]:
        try:
            return self.session.status()
        except VidrecError as error:
            return {"mode": "?", "model": "?", "points": 0, "error": str(error)}

    def _card(self, result: Result) -> widgets.VBox:
        poster = poster_data_uri(result.video_id, result.title, result.intent, result.mood)
        body = widgets.HTML(card_html(result, poster), layout=widgets.Layout(width="100%"))
        name = result.title or result.video_id
        more = widgets.Button(
            description="More like this",
            icon="thumbs-up",
            tooltip=f"More videos like {name}",
            layout=widgets.Layout(width="auto"),
        ).add_class("vidrec-more")
        less = widgets.Button(
            description="Not this",
            icon="thumbs-down",
            tooltip=f"Fewer videos like {name}",
            layout=widgets.Layout(width="auto"),
        ).add_class("vidrec-not")
        more.on_click(lambda _, video_id=result.video_id: self.more_like_this(video_id))
        less.on_click(lambda _, video_id=result.video_id: self.not_this(video_id))
        actions = widgets.HBox([more, less]).add_class("vidrec-actions")
        layout = widgets.Layout(width="100%", justify_content="space-between")
        card = widgets.VBox([body, actions], layout=layout)
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


def error_widget(error: Exception) -> widgets.HTML:
    """The message shown instead of the UI when no session can be opened."""
    return widgets.HTML(
        f'<div class="vidrec-error" role="alert"><b>The recommender could not start.</b> '
        f"{html.escape(str(error))}</div>"
    )


def recommender(session: SessionLike | None = None) -> widgets.Widget:
    """The recommender UI for a session (opened with `open_session()` when none is given)."""
    if session is None:
        from .session import open_session

        try:
            session = open_session()
        except VidrecError as error:
            return error_widget(error)
    return RecommenderUI(session).widget


# ----- the web app -----------------------------------------------------------------------------


def app_notebook() -> Path:
    """The notebook Voilà serves as the web app."""
    return project_root() / APP_NOTEBOOK


def voila_command(port: int = DEFAULT_PORT, open_browser: bool = True) -> list[str]:
    """The Voilà command line serving the app on 127.0.0.1 only (code cells hidden)."""
    command = [
        sys.executable,
        "-m",
        "voila",
        str(app_notebook()),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        "--preheat_kernel=True",
    ]
    if not open_browser:
        command.append("--no-browser")
    return command


def app_environment(
    settings: Settings | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The app's environment: offline with an embedded store, a private in-memory Qdrant.

    An embedded on-disk store is locked by one process (often a notebook kernel), and offline
    the app fills an empty in-memory collection from the samples in about two seconds.
    """
    environment = dict(os.environ if base is None else base)
    settings = settings or get_settings()
    if settings.mode == "offline" and not settings.qdrant_url:
        environment["QDRANT_PATH"] = ":memory:"
    return environment
