"""The recommender UI: pick an intent and a mood, get video cards that play the best moment.

The same widgets run in a notebook and as a web page (`vidrec app` serves
`app/recommender.ipynb` with Voilà). The state and every decision live in `cards`;
`RecommenderUI` only wires widgets to those pure functions. No control uses an icon font:
the page loads nothing from the internet.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .cards import (
    ANY,
    DEFAULT_TOP_K,
    DURATION_CHOICES,
    KEYWORDS_OFF,
    MAX_RESULTS,
    TEMPLATES,
    RecommenderState,
    apply_more_like_this,
    apply_not_this,
    apply_query,
    apply_reset,
    card_html,
    feedback_html,
    query_hint_html,
    run_query,
    status_html,
)
from .config import VidrecError
from .labels import INTENTS, MOODS
from .posters import poster_data_uri
from .search import Result

if TYPE_CHECKING:
    from .session import Session

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
        controls = {
            "intent": self.intent,
            "mood": self.mood,
            "keywords": self.keywords,
            "top_k": self.top_k,
            "max_duration": self.max_duration,
            "exact_labels": self.exact,
        }
        for name, control in controls.items():
            control.observe(lambda change, name=name: self._change(name, change["new"]), "value")

    def _change(self, name: str, value: Any) -> None:
        """What every control does: change one field of the state."""
        self.apply(lambda state: apply_query(state, **{name: value}))

    def _layout(self) -> widgets.VBox:
        header = widgets.HTML(
            f"<style>{STYLE}</style><h2>Find a video by intent and mood</h2>"
            '<p class="vidrec-sub">Semantic search over video embeddings: choose what kind of '
            "video and how it should feel; each card plays its best matching moment.</p>"
        )
        controls = widgets.Box(
            [self.intent, self.mood, self.keywords, self.top_k, self.max_duration, self.exact]
        ).add_class("vidrec-controls")
        feedback = widgets.Box([self.feedback, self.reset_button]).add_class("vidrec-feedback-row")
        parts = [header, controls, self.keywords_note, self.hint, feedback, self.status, self.grid]
        return widgets.VBox(parts).add_class("vidrec-app")

    def apply(self, handler: Any, *values: Any) -> None:
        """Apply one pure handler, run the resulting query, redraw."""
        changed = handler(self.state, *values)
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
        more.on_click(
            lambda _, video_id=result.video_id: self.apply(apply_more_like_this, video_id)
        )
        less.on_click(lambda _, video_id=result.video_id: self.apply(apply_not_this, video_id))
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


def error_widget(error: Exception) -> widgets.HTML:
    """The message shown instead of the UI when no session can be opened."""
    return widgets.HTML(str(TEMPLATES.module.error(str(error))))


def recommender(session: Session | None = None) -> widgets.Widget:
    """The recommender UI for a session (opened with `open_session()` when none is given)."""
    if session is None:
        from .session import open_session

        try:
            session = open_session()
        except VidrecError as error:
            return error_widget(error)
    return RecommenderUI(session).widget
