"""Search and `similar` on the sample collection (qdrant-client local mode, built once per module)."""

from __future__ import annotations

import numpy as np
import pytest
from collection_fixtures import FixedEmbedder, fill_sample_collection, sample_segments
from qdrant_client import QdrantClient, models

from vidrec_helpers.config import VidrecError
from vidrec_helpers.index import ensure_collection
from vidrec_helpers.labels import INTENTS, MOODS, all_phrases, baseline_query
from vidrec_helpers.queries import QueryEncoder
from vidrec_helpers.query_input import (
    STRATEGIES,
    Filters,
    InvalidQueryError,
    ModelMismatchError,
    UnknownVideoError,
)
from vidrec_helpers.results import (
    CONFIDENCE_NOTE,
    CONFIDENCE_THRESHOLDS,
    confidence_level,
    group_by_video,
    register_thresholds,
    result_card,
)
from vidrec_helpers.samples import SAMPLE_DIMENSION, SAMPLE_MODEL, load_catalog
from vidrec_helpers.search import EmptyCollectionError, search, similar
from vidrec_standins.shipped import query_vector

CATALOG = {entry["id"]: entry for entry in load_catalog()}


class RecordingEmbedder:
    """An embedder of a given model that records every text it embeds."""

    def __init__(self, model: str = SAMPLE_MODEL, dimension: int = SAMPLE_DIMENSION) -> None:
        self.model = model
        self.dimension = dimension
        self.texts: list[str] = []

    def embed_text(self, text: str) -> np.ndarray:
        self.texts.append(text)
        return query_vector("intent:kids")


def run(sample, encoder, **kwargs):
    client, name = sample
    return search(client, name, encoder, **kwargs)


def scene_bounds(video_id: str) -> set[tuple[float, float]]:
    return {(float(s["start_sec"]), float(s["end_sec"])) for s in CATALOG[video_id]["scenes"]}


# ----- results --------------------------------------------------------------------------------


def test_kids_musical_finds_kids_musical_videos(sample, encoder):
    results = run(sample, encoder, intent="kids", mood="musical", top_k=5).results
    assert len(results) == 5
    assert all(r.intent == "kids" or r.mood == "musical" for r in results)
    assert sum((r.intent, r.mood) == ("kids", "musical") for r in results) >= 2


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_every_strategy_returns_one_result_per_video(sample, encoder, strategy):
    response = run(sample, encoder, intent="adventure", mood="action", top_k=8, strategy=strategy)
    ids = [r.video_id for r in response.results]
    assert len(ids) == 8 and len(set(ids)) == 8
    scores = [r.score for r in response.results]
    assert scores == sorted(scores, reverse=True)
    assert response.strategy == strategy and response.model == SAMPLE_MODEL
    assert response.query == {"intent": "adventure", "mood": "action"}


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_moments_are_a_matched_clip_or_the_whole_video(sample, encoder, strategy):
    results = run(
        sample, encoder, intent="cartoon", mood="comedy", top_k=20, strategy=strategy
    ).results
    for result in results:
        assert 0 <= result.start_time < result.end_time <= result.duration
        whole = (0.0, result.duration)
        moment = (result.start_time, result.end_time)
        assert moment in scene_bounds(result.video_id) | {whole}
        if result.scope == "clip":
            assert moment in scene_bounds(result.video_id)
    assert any(r.scope == "clip" for r in results)


def _point(video_id: str, scope: str, score: float, start: float, end: float) -> models.ScoredPoint:
    payload = {
        "video_id": video_id,
        "scope": scope,
        "start_sec": start,
        "end_sec": end,
        "duration": 60.0,
        "s3_key": f"videos/{video_id}.mp4",
        "filename": "",
    }
    return models.ScoredPoint(
        id=abs(hash((video_id, start, end))), version=0, score=score, payload=payload
    )


def test_grouping_keeps_the_best_clip_moment():
    hits = [
        _point("a", "video", 0.9, 0.0, 60.0),
        _point("b", "clip", 0.8, 10.0, 20.0),
        _point("a", "clip", 0.7, 30.0, 40.0),
        _point("a", "clip", 0.6, 40.0, 50.0),
        _point("c", "video", 0.5, 0.0, 60.0),
    ]
    groups = group_by_video(list(reversed(hits)))
    assert list(groups) == ["a", "b", "c"]
    a, b, c = (
        result_card(hits, hits[0].score, SAMPLE_MODEL, "weighted") for hits in groups.values()
    )
    assert (a.scope, a.score, a.start_time, a.end_time) == ("video", 0.9, 30.0, 40.0)
    assert (b.scope, b.start_time, b.end_time) == ("clip", 10.0, 20.0)
    assert (c.scope, c.start_time, c.end_time) == ("video", 0.0, 60.0)
    assert a.s3_key == "videos/a.mp4" and "s3_key" not in a.to_dict()
    assert a.filename is None


def test_result_carries_the_original_api_fields(sample, encoder):
    result = run(sample, encoder, intent="sci-fi", mood="action", top_k=1).results[0]
    data = result.to_dict()
    for name in ("video_id", "filename", "start_time", "end_time", "score", "confidence", "url"):
        assert name in data
    assert data["title"] == CATALOG[result.video_id]["title"]
    assert data["confidence"] in {"high", "medium", "low"}


def test_the_original_single_string_is_the_baseline(sample, encoder):
    response = run(sample, encoder, intent="kids", mood="musical", top_k=3, strategy="baseline")
    client, name = sample
    direct = client.query_points(name, query=query_vector("preset:kids|musical").tolist(), limit=1)
    assert response.results[0].score == pytest.approx(direct.points[0].score)


# ----- filters --------------------------------------------------------------------------------


def test_intent_and_mood_filters(sample, encoder):
    results = run(
        sample, encoder, intent="kids", mood="musical", top_k=10, filters={"intent": "family"}
    ).results
    assert results and all(r.intent == "family" for r in results)
    results = run(sample, encoder, intent="kids", top_k=10, filters=Filters(mood="action")).results
    assert results and all(r.mood == "action" for r in results)


def test_duration_filter_bounds(sample, encoder):
    filters = {"min_duration": 100, "max_duration": 200}
    results = run(
        sample, encoder, intent="fantasy", mood="magical", top_k=15, filters=filters
    ).results
    assert len(results) == 15
    assert all(100 <= r.duration <= 200 for r in results)


def test_filters_become_a_qdrant_filter():
    flt = Filters(intent="kids", min_duration=10).to_qdrant()
    assert isinstance(flt, models.Filter)
    assert [c.key for c in flt.must] == ["intent", "duration"]
    assert flt.must[1].range == models.Range(gte=10)
    assert Filters().to_qdrant() is None


# ----- the query encoder ------------------------------------------------------------------------


def test_preset_texts_use_the_shipped_vectors_with_the_sample_model():
    embedder = RecordingEmbedder()
    encoder = QueryEncoder(embedder)
    vector = encoder.encode(baseline_query("kids", "musical"))
    assert np.allclose(vector, query_vector("preset:kids|musical"))
    encoder.encode(INTENTS["family"])
    encoder.encode(MOODS["action"])
    assert embedder.texts == []
    encoder.encode("puppies playing ukulele")
    encoder.encode("puppies playing ukulele")
    assert embedder.texts == ["puppies playing ukulele"]


def test_other_models_embed_every_text():
    embedder = RecordingEmbedder(model="marengo3.0", dimension=SAMPLE_DIMENSION)
    QueryEncoder(embedder).encode(INTENTS["kids"])
    assert embedder.texts == [INTENTS["kids"]]


def test_free_text_without_a_text_model_says_what_to_do(sample, encoder):
    with pytest.raises(VidrecError, match="local model"):
        run(sample, encoder, text="a puppy counting socks")


@pytest.mark.local_model
def test_free_text_with_the_local_model(sample):
    from vidrec_standins.local_text import LocalTextEmbedder

    embedder = LocalTextEmbedder()
    assert np.dot(embedder.embed_text(INTENTS["kids"]), query_vector("intent:kids")) > 0.999
    encoder = QueryEncoder(embedder)
    response = run(sample, encoder, text="a yellow puppy counts his missing socks", top_k=3)
    assert response.results[0].video_id == "kids-comedy-1"
    response = run(sample, encoder, intent="kids", keywords=["puppy", "socks"], top_k=3)
    assert "kids-comedy-1" in [r.video_id for r in response.results]


# ----- bad input ------------------------------------------------------------------------------


def test_empty_query_is_refused(sample, encoder):
    with pytest.raises(InvalidQueryError, match="empty query"):
        run(sample, encoder)
    with pytest.raises(InvalidQueryError, match="empty query"):
        run(sample, encoder, keywords="   ", text="")


def test_unknown_labels_list_the_valid_ones(sample, encoder):
    with pytest.raises(
        InvalidQueryError, match="^intent: Input should be 'sci-fi', 'cartoon', 'kids'"
    ):
        run(sample, encoder, intent="horror")
    with pytest.raises(
        InvalidQueryError, match="^mood: Input should be 'comedy', 'fantasy', 'action'"
    ):
        run(sample, encoder, mood="sad")
    with pytest.raises(InvalidQueryError, match="^filters.intent: Input should be 'sci-fi'"):
        run(sample, encoder, intent="kids", filters={"intent": "horror"})


def test_unknown_strategy_lists_the_strategies(sample, encoder):
    with pytest.raises(InvalidQueryError, match="strategy: Input should be 'baseline', 'weighted'"):
        run(sample, encoder, intent="kids", strategy="magic")


def test_too_long_text_names_the_limit(sample, encoder):
    with pytest.raises(InvalidQueryError, match="1001 characters.*at most 1000"):
        run(sample, encoder, text="a" * 1001)
    marengo = QueryEncoder(RecordingEmbedder(model="marengo3.0"))
    assert marengo.max_text_chars == 2000


@pytest.mark.parametrize(
    ("top_k", "message"),
    [
        (0, "greater than or equal to 1"),
        (101, "less than or equal to 100"),
        (-1, "greater than or equal to 1"),
        *[(value, "a valid integer") for value in ("5", 2.5, True, None)],
    ],
)
def test_top_k_out_of_range(sample, encoder, top_k, message):
    with pytest.raises(InvalidQueryError, match=f"^top_k: Input should be {message}$"):
        run(sample, encoder, intent="kids", top_k=top_k)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"colour": "red"}, "unknown field 'filters.colour': the fields are intent, mood, min"),
        ({"min_duration": 300, "max_duration": 100}, r"\(300.0\) is larger than max_duration"),
        ({"min_duration": -5}, "filters.min_duration: Input should be greater than or equal to 0"),
        ({"max_duration": "long"}, "filters.max_duration: Input should be a valid number"),
        ({"max_duration": float("inf")}, "filters.max_duration: Input should be a finite number"),
        ({"mood": "sad"}, "filters.mood: Input should be 'comedy'"),
    ],
)
def test_bad_filters(sample, encoder, filters, message):
    with pytest.raises(InvalidQueryError, match=message):
        run(sample, encoder, intent="kids", filters=filters)


def test_missing_and_empty_collections_say_ingest_first(encoder):
    client = QdrantClient(location=":memory:")
    with pytest.raises(EmptyCollectionError, match="does not exist: run `vidrec ingest` first"):
        search(client, "nothing", encoder, intent="kids")
    ensure_collection(client, "empty", SAMPLE_MODEL, SAMPLE_DIMENSION)
    with pytest.raises(EmptyCollectionError, match="is empty: run `vidrec ingest` first"):
        search(client, "empty", encoder, intent="kids")
    with pytest.raises(EmptyCollectionError, match="vidrec ingest"):
        similar(client, "empty", ["kids-comedy-1"])


def test_another_model_or_dimension_is_refused(sample):
    client, name = sample
    marengo = QueryEncoder(FixedEmbedder("marengo3.0", 512))
    message = "all-MiniLM-L6-v2 vectors of dimension 384.*marengo3.0 \\(dimension 512\\)"
    with pytest.raises(ModelMismatchError, match=message):
        search(client, name, marengo, text="robots")
    other = QueryEncoder(FixedEmbedder("other-model", SAMPLE_DIMENSION))
    with pytest.raises(ModelMismatchError, match="other-model"):
        search(client, name, other, text="robots")


def test_a_query_vector_of_the_wrong_size_is_refused(sample):
    client, name = sample

    class Liar(FixedEmbedder):
        def embed_text(self, text: str) -> np.ndarray:
            return np.ones(512, dtype=np.float32) / np.sqrt(512)

    encoder = QueryEncoder(Liar(SAMPLE_MODEL, SAMPLE_DIMENSION))
    with pytest.raises(ModelMismatchError, match="dimension 512.*dimension 384"):
        search(client, name, encoder, text="robots")


# ----- similar --------------------------------------------------------------------------------


def test_similar_excludes_its_inputs(sample):
    client, name = sample
    liked = ["kids-musical-1", "kids-musical-2"]
    response = similar(client, name, liked, top_k=10)
    ids = [r.video_id for r in response.results]
    assert len(ids) == 10 and len(set(ids)) == 10
    assert not set(ids) & set(liked)
    assert response.strategy == "similar"
    assert all(r.confidence in {"high", "medium", "low"} for r in response.results)


def test_negative_examples_shift_the_results(sample):
    client, name = sample
    plain = [r.video_id for r in similar(client, name, ["kids-musical-1"], top_k=10).results]
    unlike = similar(client, name, ["kids-musical-1"], negative_ids=[plain[0]], top_k=10).results
    shifted = [r.video_id for r in unlike]
    assert plain[0] not in shifted
    assert shifted != plain[1:]


def test_similar_with_filters(sample):
    client, name = sample
    results = similar(client, name, ["scifi-action-1"], top_k=5, filters={"mood": "comedy"}).results
    assert results and all(r.mood == "comedy" for r in results)


def test_similar_bad_input(sample):
    client, name = sample
    with pytest.raises(UnknownVideoError, match="'no-such-video'.*vidrec search"):
        similar(client, name, ["kids-musical-1", "no-such-video"])
    with pytest.raises(UnknownVideoError, match="'ghost'"):
        similar(client, name, ["kids-musical-1"], negative_ids=["ghost"])
    with pytest.raises(InvalidQueryError, match="positive_ids: List should have at least 1 item"):
        similar(client, name, [])
    with pytest.raises(InvalidQueryError, match="positive_ids: Input should be a valid list"):
        similar(client, name, "kids-musical-1")
    with pytest.raises(InvalidQueryError, match="positive_ids.0: String should have at least 1"):
        similar(client, name, ["  "])
    with pytest.raises(InvalidQueryError, match="give at most 20 video ids in total"):
        similar(client, name, [f"v{i}" for i in range(15)], [f"w{i}" for i in range(6)])
    with pytest.raises(InvalidQueryError, match="both liked and disliked"):
        similar(client, name, ["kids-musical-1"], negative_ids=["kids-musical-1"])
    with pytest.raises(InvalidQueryError, match="top_k"):
        similar(client, name, ["kids-musical-1"], top_k=0)


# ----- confidence -----------------------------------------------------------------------------


def test_marengo_confidence_is_uncalibrated():
    assert confidence_level(0.99, "marengo3.0", "weighted") == "uncalibrated"
    assert confidence_level(0.99, SAMPLE_MODEL, "no-such-strategy") == "uncalibrated"


def test_confidence_levels_follow_the_thresholds(monkeypatch):
    monkeypatch.setitem(CONFIDENCE_THRESHOLDS, "marengo3.5", {})
    register_thresholds("marengo3.5", {"weighted": {"high": 0.5, "medium": 0.3}})
    assert confidence_level(0.6, "marengo3.5", "weighted") == "high"
    assert confidence_level(0.4, "marengo3.5", "weighted") == "medium"
    assert confidence_level(0.1, "marengo3.5", "weighted") == "low"
    register_thresholds("marengo3.5", {"weighted": {"high": None, "medium": 0.3}})
    assert confidence_level(0.99, "marengo3.5", "weighted") == "medium"


def test_avoid_drops_the_videos_and_moves_the_query_away(sample, encoder):
    client, name = sample
    plain = search(client, name, encoder, intent="cartoon", mood="comedy", top_k=12)
    rejected = plain.results[0].video_id
    avoided = search(
        client, name, encoder, intent="cartoon", mood="comedy", top_k=10, avoid=[rejected]
    )
    assert rejected not in [r.video_id for r in avoided.results]
    assert len(avoided.results) == 10
    means = {v: rows.mean(axis=0) for v, rows in sample_segments().items()}
    away = means[rejected]

    def closeness(video_ids):
        return float(np.mean([means[v] @ away for v in video_ids]))

    merely_dropped = [r.video_id for r in plain.results if r.video_id != rejected][:10]
    assert closeness([r.video_id for r in avoided.results]) < closeness(merely_dropped)


def test_avoid_with_an_unknown_id_is_a_clear_error(sample, encoder):
    client, name = sample
    with pytest.raises(UnknownVideoError, match="nope"):
        search(client, name, encoder, intent="kids", avoid=["nope"])


# ----- query composition ----------------------------------------------------------------------


def test_label_vectors_are_embedded_once_per_model(monkeypatch):
    from vidrec_helpers import queries

    monkeypatch.setattr(queries, "_LABEL_MATRICES", {})
    embedder = RecordingEmbedder(model="marengo-test")
    vector = QueryEncoder(embedder).label_vector("mood", "musical")
    assert sorted(embedder.texts) == sorted(all_phrases())
    assert np.allclose(QueryEncoder(embedder).label_vector("mood", "musical"), vector)
    monkeypatch.setattr(queries, "_LABEL_MATRICES", {})  # a new process: read from the disk cache
    assert np.allclose(QueryEncoder(embedder).label_vector("mood", "musical"), vector)
    assert len(embedder.texts) == len(all_phrases())


def test_shipped_label_vectors_need_no_text_model():
    embedder = RecordingEmbedder()
    QueryEncoder(embedder).label_matrix()
    assert embedder.texts == []


def test_collection_statistics_are_read_once(encoder, monkeypatch):
    client, name = fill_sample_collection()
    scrolls = []
    original = client.scroll
    monkeypatch.setattr(client, "scroll", lambda *a, **k: scrolls.append(k) or original(*a, **k))
    for mood in ("musical", "action", "comedy"):
        search(client, name, encoder, intent="kids", mood=mood, strategy="contrast_video")
    similar(client, name, ["kids-musical-1"])
    assert len(scrolls) == 1


def test_a_corrupted_label_vector_file_is_refused(tmp_path, monkeypatch):
    from vidrec_standins import shipped

    path = tmp_path / "label_vectors.parquet"
    path.write_bytes(shipped.label_vectors_path().read_bytes() + b"x")
    shipped.checksum_path(path).write_text(
        shipped.checksum_path(shipped.label_vectors_path()).read_text()
    )
    monkeypatch.setattr(shipped, "label_vectors_path", lambda: path)
    shipped.shipped_vectors.cache_clear()
    try:
        with pytest.raises(VidrecError, match="checksum.*build_label_vectors"):
            QueryEncoder(RecordingEmbedder()).encode(INTENTS["kids"])
    finally:
        shipped.shipped_vectors.cache_clear()


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_filters_that_match_nothing_return_nothing(sample, encoder, strategy):
    nothing = {"min_duration": 10_000}
    found = run(sample, encoder, intent="kids", mood="action", filters=nothing, strategy=strategy)
    assert found.results == []


def test_similar_with_filters_that_match_nothing(sample):
    client, name = sample
    assert similar(client, name, ["kids-musical-1"], filters={"min_duration": 10_000}).results == []


def test_similar_results_are_not_always_low(sample):
    client, name = sample
    levels = {r.confidence for r in similar(client, name, ["scifi-action-1"], top_k=10).results}
    assert levels & {"high", "medium"}
    assert similar(client, name, ["scifi-action-1"]).to_dict()["confidence_note"] == CONFIDENCE_NOTE


@pytest.mark.local_model
def test_free_text_ranks_as_a_plain_vector_search(sample):
    """The label composition leaves free text alone: every strategy ranks it by best cosine."""
    from vidrec_standins.local_text import LocalTextEmbedder

    encoder = QueryEncoder(LocalTextEmbedder())
    text = "a dragon guarding a castle at night"
    plain = [
        r.video_id for r in run(sample, encoder, text=text, top_k=8, strategy="weighted").results
    ]
    ranked = run(sample, encoder, text=text, top_k=8, strategy="contrast_video").results
    assert [r.video_id for r in ranked] == plain


def test_video_segments_are_read_from_qdrant_when_the_sample_is_partial(sample):
    """A collection larger than the sample: a candidate's clips come from a filtered scroll."""
    from vidrec_helpers.label_stats import CollectionSample, collection_sample, video_segments

    client, name = sample
    whole = collection_sample(client, name, client.count(name).count)
    partial = CollectionSample(whole.points[:10], {}, complete=False)
    ids = ["kids-musical-1", "clip-dancing-notes"]
    read = video_segments(client, name, ids, partial)
    for video_id in ids:
        expected = sorted(map(tuple, np.round(whole.segments[video_id], 5)))
        assert sorted(map(tuple, np.round(read[video_id], 5))) == expected
    with pytest.raises(UnknownVideoError, match="'ghost'"):
        video_segments(client, name, ["ghost"], partial)


def test_a_search_without_avoid_reads_no_segments_from_a_partial_sample(sample, monkeypatch):
    """With nothing to avoid, no scroll runs (an empty MatchAny scans every point)."""
    from vidrec_helpers import search as search_module
    from vidrec_helpers.label_stats import CollectionSample

    client, name = sample
    monkeypatch.setattr(
        search_module,
        "collection_sample",
        lambda *a: CollectionSample(np.zeros((2, 384), np.float32), {}, complete=False),
    )
    scrolls = []
    original = client.scroll
    monkeypatch.setattr(client, "scroll", lambda *a, **k: scrolls.append(k) or original(*a, **k))
    encoder = QueryEncoder(RecordingEmbedder())
    search(client, name, encoder, text="a dragon", strategy="weighted")
    assert scrolls == []


@pytest.mark.parametrize("strategy", ["weighted", "contrast_video"])
def test_a_one_video_collection_still_answers(encoder, strategy):
    client, name = fill_sample_collection()
    others = [
        p.id
        for p in client.scroll(name, limit=1000)[0]
        if p.payload["video_id"] != "kids-musical-1"
    ]
    client.delete(name, points_selector=models.PointIdsList(points=others))
    response = search(client, name, encoder, intent="kids", mood="musical", strategy=strategy)
    assert [r.video_id for r in response.results] == ["kids-musical-1"]
    assert np.isfinite(response.results[0].score)
    assert [r.video_id for r in similar(client, name, ["kids-musical-1"]).results] == []


@pytest.mark.local_model
def test_shipped_label_vectors_are_the_local_models():
    """data/label_vectors.parquet is what scripts/build_label_vectors.py makes from labels.json."""
    from vidrec_standins.local_text import LocalTextEmbedder
    from vidrec_standins.shipped import shipped_vectors

    texts = all_phrases()
    fresh = LocalTextEmbedder().embed_texts(texts)
    shipped = np.stack([shipped_vectors()[text] for text in texts])
    assert np.min(np.sum(fresh * shipped, axis=1)) > 0.999


@pytest.mark.filterwarnings("ignore:Local mode performs exact")  # it ignores search_params
@pytest.mark.parametrize("strategy", ["weighted", "contrast_video"])
def test_a_server_searches_with_the_planned_beam(sample, encoder, monkeypatch, strategy):
    """On a Qdrant server every vector search gets `hnsw_ef=SEARCH_EF`; local mode gets none."""
    from vidrec_helpers import search as search_module
    from vidrec_helpers.server_settings import SEARCH_EF

    client, name = sample
    calls = []
    original = client.query_points
    monkeypatch.setattr(
        client, "query_points", lambda *a, **k: calls.append(k) or original(*a, **k)
    )
    run(sample, encoder, intent="kids", mood="musical", top_k=3, strategy=strategy)
    assert calls[-1]["search_params"] is None
    monkeypatch.setattr(search_module, "is_embedded", lambda client: False)
    run(sample, encoder, intent="kids", mood="musical", top_k=3, strategy=strategy)
    assert calls[-1]["search_params"].hnsw_ef == SEARCH_EF
