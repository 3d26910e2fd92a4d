"""The notebooks' helpers: the key prompt, result tables, poster cards, the player, the collection."""

from __future__ import annotations

import numpy as np
import pytest
from collection_fixtures import PresetOnlyEmbedder

from vidrec_helpers.config import Settings, VidrecError
from vidrec_helpers.explore import (
    ask_for_missing_keys,
    collection_frame,
    live_requested,
    player,
    poster_cards,
    result_cards,
    results_table,
    vectors_of,
)
from vidrec_helpers.queries import QueryEncoder
from vidrec_helpers.search import search


@pytest.fixture(scope="module")
def videos(sample):
    client, name = sample
    return collection_frame(client, name, scope="video")


def refuse(_: str) -> str:
    raise AssertionError("must not prompt")


# ----- the key prompt --------------------------------------------------------------------------


def test_live_requested_reads_vidrec_mode():
    assert live_requested({"VIDREC_MODE": " Live "})
    assert not live_requested({"VIDREC_MODE": "offline"})
    assert not live_requested({})


def test_offline_never_prompts():
    settings = Settings(VIDREC_MODE="offline", QDRANT_PATH=":memory:")
    assert ask_for_missing_keys(settings, prompt=refuse) is settings


def test_a_key_from_the_environment_is_not_asked_again(monkeypatch):
    monkeypatch.setenv("VIDREC_MODE", "live")
    settings = Settings(VIDREC_MODE="live", TWELVELABS_API_KEY="already-set-key")
    assert ask_for_missing_keys(settings, prompt=refuse) == settings


def test_live_asked_without_a_key_prompts_and_keeps_the_other_settings(monkeypatch):
    monkeypatch.setenv("VIDREC_MODE", "live")
    monkeypatch.setenv("TWELVELABS_API_KEY", "")
    settings = Settings(VIDREC_MODE="live", QDRANT_PATH=":memory:")
    asked = []
    updated = ask_for_missing_keys(
        settings, prompt=lambda text: asked.append(text) or " typed-key "
    )
    assert len(asked) == 1 and "TWELVELABS_API_KEY" in asked[0]
    assert updated.twelvelabs_api_key.get_secret_value() == "typed-key"
    assert updated.qdrant_path == ":memory:"
    assert "typed-key" not in repr(updated)


def test_an_empty_answer_or_no_stdin_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("VIDREC_MODE", "live")
    monkeypatch.setenv("TWELVELABS_API_KEY", "")
    settings = Settings(VIDREC_MODE="live")
    with pytest.raises(VidrecError, match="add it to .env"):
        ask_for_missing_keys(settings, prompt=lambda _: "")

    def no_stdin(_: str) -> str:
        raise RuntimeError("stdin not supported")

    with pytest.raises(VidrecError, match="cannot prompt"):
        ask_for_missing_keys(settings, prompt=no_stdin)


# ----- tables ----------------------------------------------------------------------------------


def test_results_table_has_one_ranked_row_per_result(sample):
    client, name = sample
    response = search(
        client, name, QueryEncoder(PresetOnlyEmbedder()), intent="kids", mood="musical", top_k=4
    )
    table = results_table(response)
    assert list(table.index) == [1, 2, 3, 4]
    assert list(table["video_id"]) == [r.video_id for r in response.results]
    assert table["score"].is_monotonic_decreasing
    assert all("-" in moment for moment in table["best moment"])


# ----- the collection --------------------------------------------------------------------------


def test_collection_frame_reads_every_video_point(videos):
    assert len(videos) == 188 and videos["video_id"].is_unique
    assert set(videos["scope"]) == {"video"}
    assert np.allclose(np.linalg.norm(vectors_of(videos), axis=1), 1.0)


def test_collection_frame_of_a_missing_scope_is_a_clear_error(sample):
    client, name = sample
    with pytest.raises(VidrecError, match="no nothing points|ingest"):
        collection_frame(client, name, scope="nothing")


# ----- pictures --------------------------------------------------------------------------------


def test_poster_cards_lay_out_a_grid_and_grey_out_missing_posters():
    items = [("clip-boat-island", "one"), ("clip-rocket-run", "two"), ("missing", "three")]
    sheet = poster_cards(items, columns=2, width=160)
    assert sheet.size == (2 * 170 + 10, 2 * (90 + 34 + 10) + 10)
    assert sheet.getpixel((10 + 80, 10 + 134 + 45)) == (200, 200, 200)  # third: no poster
    assert sheet.getpixel((10 + 80, 10 + 45)) != (255, 255, 255)  # a poster was pasted


def test_result_cards_have_one_card_per_result(sample):
    client, name = sample
    response = search(
        client, name, QueryEncoder(PresetOnlyEmbedder()), intent="kids", mood="musical", top_k=3
    )
    assert result_cards(response, columns=5).size[0] == 5 * (180 + 10) + 10
    assert result_cards(response, columns=3).size[1] == (101 + 34 + 10) + 10


def test_player_starts_at_the_moment_and_falls_back_to_the_poster():
    markup = player("http://127.0.0.1:9/v/a.mp4?x=1&y=2", "clip-boat-island", 2.5, 5).data
    assert 'src="http://127.0.0.1:9/v/a.mp4?x=1&amp;y=2#t=2.5,5"' in markup
    assert 'poster="data:image/jpeg;base64,' in markup and "Run it to play the clip." in markup
    assert 'poster=""' in player("http://h/v.mp4", "no-such-video").data
