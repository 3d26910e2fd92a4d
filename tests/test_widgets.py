"""The recommender UI without a browser: pure handlers, card HTML, and the widgets' wiring.

Everything runs on a real Session over an in-memory Qdrant filled from the sample parquet;
only "free text unavailable" uses a stub session, since this machine has the local model.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

import ipywidgets
import pytest

from vidrec_helpers.config import Settings, reload_settings
from vidrec_helpers.explore import (
    card_html,
    clock,
    feedback_html,
    is_whole_video,
    status_html,
)
from vidrec_helpers.query_input import MAX_EXAMPLE_IDS
from vidrec_helpers.results import Result, SearchResponse
from vidrec_helpers.session import Session, open_session
from vidrec_helpers.widgets import (
    START_HINT,
    RecommenderState,
    RecommenderUI,
    apply_more_like_this,
    apply_not_this,
    apply_query,
    apply_reset,
    filters_for,
    plan_query,
    recommender,
    run_query,
)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """A real offline session: in-memory Qdrant filled from data/sample_embeddings.parquet."""
    settings = Settings(
        _env_file=None,
        forced_mode="offline",
        qdrant_path=":memory:",
        cache_dir=str(tmp_path_factory.mktemp("cache")),
    )
    return open_session(settings)


class Recording:
    """The real session, with a note of every search and similar call (what was asked)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def search(self, **query: Any) -> SearchResponse:
        self.calls.append(("search", query))
        return self.session.search(**query)

    def similar(self, positive_ids, negative_ids=None, **options: Any) -> SearchResponse:
        self.calls.append(
            ("similar", {"positive_ids": positive_ids, "negative_ids": negative_ids, **options})
        )
        return self.session.similar(positive_ids, negative_ids, **options)

    def status(self) -> dict[str, Any]:
        return self.session.status()

    def free_text_available(self) -> bool:
        return self.session.free_text_available()


class NoFreeText(Recording):
    """An offline session on a machine without the local text model."""

    def free_text_available(self) -> bool:
        return False


def ids(state: RecommenderState) -> list[str]:
    """The video ids on the cards, in order."""
    return [result.video_id for result in state.results]


def searched(session, **changes) -> RecommenderState:
    return run_query(session, replace(RecommenderState(), **changes))


# ----- pure handlers ---------------------------------------------------------------------------


def test_nothing_chosen_plans_nothing_and_shows_the_hint(session):
    state = run_query(session, RecommenderState())
    assert plan_query(RecommenderState()) is None
    assert state.results == () and state.message == START_HINT


def test_choosing_an_intent_searches_for_it(session):
    state = apply_query(RecommenderState(), intent="kids")
    kind, arguments = plan_query(state)
    assert kind == "search"
    assert arguments["intent"] == "kids" and arguments["mood"] is None
    done = run_query(session, state)
    assert len(done.results) == done.top_k
    assert done.message == "" and done.took_ms is not None
    assert set(done.titles) == set(ids(done))


def test_changing_the_mood_changes_the_results(session):
    musical = run_query(
        session, apply_query(apply_query(RecommenderState(), intent="kids"), mood="musical")
    )
    action = run_query(session, apply_query(musical, mood="action"))
    assert action.mood == "action"
    assert ids(action) != ids(musical)


def test_keywords_are_a_part_of_the_query():
    kind, arguments = plan_query(apply_query(RecommenderState(), keywords="dragons"))
    assert kind == "search" and arguments["keywords"] == "dragons"
    assert plan_query(apply_query(RecommenderState(), intent="kids"))[1]["keywords"] is None


def test_any_mood_and_intent_mean_none():
    state = apply_query(apply_query(RecommenderState(), intent=""), mood="")
    assert state.intent is None and state.mood is None and plan_query(state) is None


def test_more_like_this_asks_similar_for_the_liked_video(session):
    spy = Recording(session)
    first = searched(spy, intent="fantasy", mood="magical")
    liked = first.results[0].video_id
    after = run_query(spy, apply_more_like_this(first, liked))
    assert spy.calls[-1][0] == "similar"
    assert spy.calls[-1][1]["positive_ids"] == [liked]
    assert spy.calls[-1][1]["negative_ids"] == []
    assert after.strategy == "similar"
    assert liked not in ids(after) and ids(after) != ids(first)
    assert after.liked == (liked,)


def test_not_this_after_a_like_pushes_away_from_it(session):
    spy = Recording(session)
    first = searched(spy, intent="sci-fi", mood="action")
    liked, disliked = first.results[0].video_id, first.results[1].video_id
    state = apply_not_this(apply_more_like_this(first, liked), disliked)
    after = run_query(spy, state)
    assert spy.calls[-1] == (
        "similar",
        {"positive_ids": [liked], "negative_ids": [disliked], "top_k": 8, "filters": {}},
    )
    assert disliked not in ids(after) and liked not in ids(after)


def test_not_this_alone_keeps_the_query_and_steers_away(session):
    spy = Recording(session)
    first = searched(spy, intent="cartoon", mood="comedy")
    rejected = first.results[0].video_id
    after = run_query(spy, apply_not_this(first, rejected))
    kind, arguments = spy.calls[-1]
    assert kind == "search" and arguments["top_k"] == first.top_k
    assert arguments["avoid"] == [rejected]
    assert (arguments["intent"], arguments["mood"]) == ("cartoon", "comedy")
    assert rejected not in ids(after)
    assert len(after.results) == first.top_k


def test_liking_a_disliked_video_moves_it_and_reset_forgets_both(session):
    first = searched(session, intent="family")
    video = first.results[0].video_id
    state = apply_more_like_this(apply_not_this(first, video), video)
    assert state.liked == (video,) and state.disliked == ()
    state = apply_not_this(state, video)
    assert state.liked == () and state.disliked == (video,)
    reset = run_query(session, apply_reset(apply_more_like_this(state, first.results[1].video_id)))
    assert reset.liked == () and reset.disliked == ()
    assert ids(reset) == ids(first)


def test_a_new_query_starts_over_but_top_k_and_filters_keep_the_feedback(session):
    state = apply_more_like_this(searched(session, intent="kids"), "kids-musical-3")
    assert apply_query(state, top_k=4).liked == ("kids-musical-3",)
    assert apply_query(state, max_duration=300).liked == ("kids-musical-3",)
    assert apply_query(state, mood="comedy").liked == ()
    assert apply_query(state, intent="family").liked == ()
    assert apply_query(state, keywords="dragons").liked == ()


def test_feedback_keeps_the_latest_examples_within_the_limit():
    state = RecommenderState()
    for number in range(MAX_EXAMPLE_IDS + 5):
        state = apply_more_like_this(state, f"video-{number}")
    assert len(state.liked) == MAX_EXAMPLE_IDS
    assert state.liked[-1] == f"video-{MAX_EXAMPLE_IDS + 4}"
    state = apply_not_this(state, "other")
    assert len(state.liked) + len(state.disliked) == MAX_EXAMPLE_IDS
    assert state.disliked == ("other",) and state.liked[-1] == f"video-{MAX_EXAMPLE_IDS + 4}"


def test_top_k_is_clamped_and_keywords_are_tidied():
    assert apply_query(RecommenderState(), top_k=0).top_k == 1
    assert apply_query(RecommenderState(), top_k=1000).top_k == 24
    assert (
        apply_query(RecommenderState(), keywords="  dragons \n castles ").keywords
        == "dragons castles"
    )


def test_exact_labels_and_length_filter_the_results(session):
    state = apply_query(
        apply_query(apply_query(RecommenderState(), intent="kids"), mood="musical"),
        exact_labels=True,
    )
    assert filters_for(state) == {"intent": "kids", "mood": "musical"}
    exact = run_query(session, state)
    assert exact.results and all((r.intent, r.mood) == ("kids", "musical") for r in exact.results)
    short = run_query(session, apply_query(apply_query(state, exact_labels=False), max_duration=10))
    assert filters_for(short) == {"max_duration": 10.0}
    assert short.results and all(r.duration <= 10 for r in short.results)
    assert apply_query(state, max_duration=0).max_duration is None


def test_an_error_becomes_the_message_and_the_page_stays_usable(session):
    state = apply_more_like_this(searched(session, intent="kids"), "no-such-video")
    after = run_query(session, state)
    assert after.results == ()
    assert "unknown video id" in after.message and "no-such-video" in after.message
    assert run_query(session, apply_reset(after)).results


def test_no_match_says_what_to_do(session):
    state = apply_query(
        apply_query(apply_query(RecommenderState(), intent="kids"), exact_labels=True),
        max_duration=1,
    )
    after = run_query(session, state)
    assert after.results == () and "loosen the filters" in after.message


# ----- HTML ------------------------------------------------------------------------------------


def result(**changes: Any) -> Result:
    base = Result(
        video_id="clip-x",
        filename="x.mp4",
        start_time=55.0,
        end_time=130.0,
        score=0.4567,
        confidence="medium",
        url="http://127.0.0.1:9000/bucket/x.mp4?X-Amz-Signature=a&X-Amz-Date=b",
        title='<script>alert("hi")</script> & Friends',
        intent="kids",
        mood="musical",
        scope="clip",
        duration=165.0,
    )
    return replace(base, **changes)


def test_card_escapes_the_title_and_plays_the_best_moment():
    text = card_html(result(), "data:image/jpeg;base64,AAAA")
    assert "<script>" not in text
    shown = re.search(r'<div class="vidrec-title">([^<]*)</div>', text).group(1)
    assert html.unescape(shown) == '<script>alert("hi")</script> & Friends'
    assert (
        'src="http://127.0.0.1:9000/bucket/x.mp4?X-Amz-Signature=a&amp;X-Amz-Date=b#t=55,130"'
        in text
    )
    assert 'preload="metadata"' in text and "controls" in text
    assert 'poster="data:image/jpeg;base64,AAAA"' in text
    assert 'aria-label="&lt;script&gt;' in text
    assert "score 0.457" in text and "confidence medium" in text and "best moment 0:55–2:10" in text


def test_a_card_without_a_url_shows_the_poster_with_alt_text():
    text = card_html(result(url=None, title="Moon & Stars"), "data:image/jpeg;base64,AAAA")
    assert (
        '<div class="vidrec-card-body"><img class="vidrec-media"' in text and "<video" not in text
    )
    assert 'alt="Poster of Moon &amp; Stars"' in text


def test_whole_video_moments_are_labelled_as_such():
    whole = result(start_time=0.0, end_time=165.0)
    assert is_whole_video(whole) and "whole video 0:00–2:45" in card_html(whole, "")
    assert not is_whole_video(result())
    assert clock(75) == "1:15" and clock(0) == "0:00"


def test_status_line_shows_mode_model_size_and_time():
    state = RecommenderState(took_ms=12.4, strategy="weighted", message="<b>oops</b>")
    text = status_html({"mode": "offline", "model": "all-MiniLM-L6-v2", "points": 758}, state)
    for part in (
        "offline",
        "all-MiniLM-L6-v2",
        "758 points",
        "12 ms",
        "weighted",
        'aria-live="polite"',
    ):
        assert part in text
    assert "&lt;b&gt;oops" in text


def test_feedback_lists_titles_escaped():
    state = RecommenderState(liked=("a",), disliked=("b",), titles={"a": "A & <B>"})
    text = feedback_html(state)
    assert "A &amp; &lt;B&gt;" in text and "b" in text
    assert "More like this" in feedback_html(RecommenderState())


# ----- widgets ---------------------------------------------------------------------------------


def cards(ui: RecommenderUI) -> list[ipywidgets.VBox]:
    return list(ui.grid.children)


def button(card: ipywidgets.VBox, css_class: str) -> ipywidgets.Button:
    return next(b for b in card.children[1].children if css_class in b._dom_classes)


def test_the_widgets_drive_the_same_handlers(session):
    ui = RecommenderUI(Recording(session))
    assert cards(ui) == [] and START_HINT in ui.status.value
    ui.intent.value = "kids"
    ui.mood.value = "musical"
    assert len(cards(ui)) == ui.top_k.value == 8
    first = cards(ui)[0]
    assert "vidrec-card" in first._dom_classes
    title = ui.state.results[0].title
    more = button(first, "vidrec-more")
    assert more.description == "More like this" and title in more.tooltip
    before = ids(ui.state)
    more.click()
    assert ui.state.liked == (before[0],)
    assert ids(ui.state) != before
    assert html.escape(title) in ui.feedback.value
    assert not ui.reset_button.disabled
    ui.reset_button.click()
    assert ui.state.liked == () and ui.reset_button.disabled
    assert ids(ui.state) == before


def test_not_this_button_and_controls(session):
    ui = RecommenderUI(session)
    ui.intent.value = "adventure"
    rejected = ui.state.results[0].video_id
    button(cards(ui)[0], "vidrec-not").click()
    assert ui.state.disliked == (rejected,) and rejected not in ids(ui.state)
    ui.top_k.value = 3
    assert len(cards(ui)) == 3
    ui.max_duration.value = 10
    assert all(r.duration <= 10 for r in ui.state.results)
    ui.exact.value = True
    assert all(r.intent == "adventure" for r in ui.state.results)


def test_every_control_is_labelled_with_a_tooltip(session):
    ui = RecommenderUI(session)
    for control in (ui.intent, ui.mood, ui.keywords, ui.top_k, ui.max_duration, ui.exact):
        assert control.description and control.tooltip
        assert not control.description_allow_html
    assert len(ui.mood.tooltips) == len(ui.mood.options)
    assert "vidrec-app" in ui.widget._dom_classes


def test_no_button_needs_an_icon_font(session):
    """Icons come from Font Awesome, which Voilà loads from a CDN: no icon, no request."""
    ui = RecommenderUI(session)
    ui.intent.value = "kids"
    buttons = [ui.reset_button] + [
        child for card in ui.cards for row in card.children[1:] for child in row.children
    ]
    assert len(buttons) == 1 + 2 * len(ui.cards) and ui.cards
    assert [button.icon for button in buttons if button.icon] == []


def test_keywords_follow_free_text_availability(session):
    ui = RecommenderUI(session)
    assert ui.keywords.disabled is (not session.free_text_available())


def test_keywords_are_disabled_with_an_explanation_without_a_text_model(session):
    ui = RecommenderUI(NoFreeText(session))
    assert ui.keywords.disabled
    note = ui.keywords_note.value
    assert '<code>pip install -e ".[local]"</code>' in note and "TWELVELABS_API_KEY" in note
    ui.mood.value = "magical"
    assert cards(ui), "intents and moods still work"


def test_recommender_returns_the_app_widget(session):
    widget = recommender(session)
    assert isinstance(widget, ipywidgets.VBox) and "vidrec-app" in widget._dom_classes


def test_recommender_explains_why_it_cannot_start(monkeypatch):
    monkeypatch.setenv("VIDREC_MODE", "live")
    reload_settings()
    widget = recommender()
    assert isinstance(widget, ipywidgets.HTML)
    assert "could not start" in widget.value and "TWELVELABS_API_KEY" in widget.value


def test_status_line_explains_the_confidence_levels_once_there_are_results():
    status = {"mode": "offline", "model": "all-MiniLM-L6-v2", "points": 750}
    assert "confidence: high" not in status_html(status, RecommenderState())
    with_results = RecommenderState(results=(result(),), took_ms=3.0)
    assert "confidence: high = at least 80 %" in status_html(status, with_results)
