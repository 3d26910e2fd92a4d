"""The notebooks' helpers: the key prompt, result tables, and the look at the collection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from collection_fixtures import PresetOnlyEmbedder

from vidrec_helpers.config import Settings, VidrecError, project_root
from vidrec_helpers.explore import (
    ask_for_missing_keys,
    cluster,
    cluster_table,
    collection_frame,
    live_requested,
    near_duplicates,
    project_2d,
    purity,
    results_table,
    shown_path,
    vectors_of,
)
from vidrec_helpers.search import QueryEncoder, search


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


def test_shown_path_is_relative_inside_the_repository(tmp_path):
    assert shown_path(project_root() / "data" / "videos") == "data/videos"
    assert shown_path(tmp_path / "x.mp4") == "x.mp4"


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


def test_projections_are_two_dimensional_and_repeatable(videos):
    vectors = vectors_of(videos)[:60]
    assert project_2d(vectors, "pca").shape == (60, 2)
    first, second = project_2d(vectors, "tsne"), project_2d(vectors, "tsne")
    assert first.shape == (60, 2) and np.allclose(first, second)
    with pytest.raises(VidrecError, match="unknown projection"):
        project_2d(vectors, "umap")


def test_purity_and_cluster_table():
    frame = pd.DataFrame({"intent": ["a", "a", "b", "b", "b", "c"]})
    assignments = [0, 0, 1, 1, 0, 2]
    assert purity(frame, assignments, "intent") == pytest.approx(5 / 6, abs=1e-3)
    table = cluster_table(frame, assignments, "intent")
    assert list(table["main intent"]) == ["a", "b", "c"]
    assert list(table["purity"]) == [0.67, 1.0, 1.0]


def test_clusters_follow_the_labels_better_than_chance(videos):
    assignments = cluster(vectors_of(videos), clusters=6, random_state=0)
    chance = videos["intent"].value_counts(normalize=True).max()
    assert purity(videos, assignments, "intent") > 2 * chance


def test_near_duplicates_pairs_different_videos_best_first():
    vectors = [np.array(v, dtype=np.float32) for v in ([1, 0], [1, 0.1], [0, 1], [1, 0])]
    frame = pd.DataFrame(
        {
            "video_id": ["a", "b", "c", "a"],
            "title": ["A", "B", "C", "A clip"],
            "intent": ["x", "x", "y", "x"],
            "mood": ["m", "n", "m", "m"],
            "vector": vectors,
        }
    )
    table = near_duplicates(frame, top=2)
    assert list(zip(table["video_a"], table["video_b"], strict=True)) == [
        ("A", "B"),
        ("B", "A clip"),
    ]
    assert table["cosine"].is_monotonic_decreasing
    assert not table["same_labels"].any()
