"""Search and recommend: a composed query (queries.py) -> Qdrant -> one result per video."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from .label_stats import CollectionSample, LabelSpace, collection_sample, standardize
from .labels import PHRASES

# Re-exported below (__all__): the names the API, CLI, widgets and notebooks import from here.
from .queries import (
    AVOID_WEIGHT,
    STRATEGIES,
    QueryEncoder,
    build_query,
    check_model,
    check_strategy,
    default_strategy,
    label_matrix,
    part_vectors,
    part_weights,
    tuning,
)
from .query_input import (
    DEFAULT_LIMIT,
    MAX_TOP_K,
    Filters,
    InvalidQueryError,
    ModelMismatchError,
    SearchError,
    check_ids,
    check_top_k,
    query_parts,
)
from .records import unit
from .results import (
    CONFIDENCE_NOTE,
    CONFIDENCE_THRESHOLDS,
    Result,
    SearchResponse,
    confidence_level,
    group_by_video,
    ranked_results,
    register_thresholds,
)
from .samples import SAMPLE_MODEL

__all__ = [
    "CONFIDENCE_NOTE", "CONFIDENCE_THRESHOLDS", "DEFAULT", "MAX_EXAMPLE_IDS", "MAX_TOP_K",
    "STRATEGIES", "EmptyCollectionError", "Filters", "InvalidQueryError", "ModelMismatchError",
    "QueryEncoder", "Result", "SearchError", "SearchResponse", "UnknownVideoError",
    "check_strategy", "check_top_k", "confidence_level", "group_by_video", "register_thresholds",
    "search", "similar",
]  # fmt: skip

#: The sample model's default strategy (other models: `default_strategy(model)`).
DEFAULT = default_strategy(SAMPLE_MODEL)
#: Strategy name of `similar` (for confidence thresholds and responses).
SIMILAR_STRATEGY = "similar"
#: Points fetched per wanted video (a sample video has one video-level point and 2-4 clips).
FETCH_FACTOR = 5
#: Most points one query fetches while looking for enough distinct videos.
MAX_FETCH = 10_000
#: Most videos one `similar` call may name (liked + disliked).
MAX_EXAMPLE_IDS = 20
#: Candidate videos a two-stage query (`contrast_video`, `similar`) re-scores by all their clips.
CANDIDATES = 40
#: Weight of the mean of the parts beside their minimum in `contrast_video` (fixed, not tuned).
TIE_BREAK = 0.25
#: How much a "not this" video's label profile is subtracted in `similar`.
NOT_WEIGHT = 0.25


class EmptyCollectionError(SearchError):
    """The collection is missing or holds no points: nothing was ingested yet."""


class UnknownVideoError(SearchError):
    """A video id given to `similar` is not in the collection."""


def check_collection(client: QdrantClient, collection: str) -> tuple[str | None, int, int]:
    """The collection's (model, dimension, points); a clear error when it is missing or empty."""
    hint = "run `vidrec ingest` first (offline it indexes the sample vectors)"
    try:  # one request when all is well (a round trip per search on a server)
        info = client.get_collection(collection)
    except Exception:
        if client.collection_exists(collection):
            raise
        raise EmptyCollectionError(f"collection {collection!r} does not exist: {hint}") from None
    points = info.points_count
    if points is None:
        points = client.count(collection, exact=True).count
    if not points:
        raise EmptyCollectionError(f"collection {collection!r} is empty: {hint}")
    params = info.config.params.vectors
    size = params.size if isinstance(params, models.VectorParams) else 0
    return (info.config.metadata or {}).get("model"), int(size), int(points)


def grouped_hits(
    client: QdrantClient,
    collection: str,
    top_k: int,
    query_filter: models.Filter | None,
    query: dict[str, Any],
    exclude: Collection[str] = (),
) -> dict[str, list[models.ScoredPoint]]:
    """The best `top_k` videos (except `exclude`) with their hits: over-fetch, group per video.

    `query_points_groups(group_by="video_id")` gives the same groups, but local mode reads the
    payload of every point for it (~150 ms a query on the 758 sample points); over-fetching
    reads only the hits, growing until `top_k` videos are found. Excluded videos are dropped
    here: local mode evaluates a `must_not` filter point by point in Python (~30 ms).
    """
    limit = (top_k + len(exclude)) * FETCH_FACTOR
    while True:
        deeper = [
            p.model_copy(update={"limit": max(p.limit, limit)}) for p in query.get("prefetch", [])
        ]
        points = client.query_points(
            collection,
            limit=limit,
            query_filter=query_filter,
            with_payload=True,
            **{**query, **({"prefetch": deeper} if deeper else {})},
        ).points
        groups = {k: v for k, v in group_by_video(points).items() if k not in exclude}
        if len(groups) >= top_k or len(points) < limit or limit >= MAX_FETCH:
            return dict(list(groups.items())[:top_k])
        limit = min(limit * 4, MAX_FETCH)


def video_segments(
    client: QdrantClient, collection: str, video_ids: Sequence[str], sample: CollectionSample
) -> dict[str, np.ndarray]:
    """Every stored vector (video-level and clips) of each of `video_ids`, one row per segment."""
    segments: dict[str, Any] = {video_id: [] for video_id in video_ids}
    if not video_ids:  # an empty MatchAny would still scan the whole collection
        return {}
    if sample.complete:  # the whole collection is in the sample: no request
        segments.update({v: sample.segments[v] for v in video_ids if v in sample.segments})
    else:
        flt = models.Filter(
            must=[models.FieldCondition(key="video_id", match=models.MatchAny(any=list(video_ids)))]
        )
        offset = None
        while True:
            records, offset = client.scroll(
                collection,
                flt,
                limit=512,
                offset=offset,
                with_payload=["video_id"],
                with_vectors=True,
            )
            for record in records:
                segments[record.payload["video_id"]].append(record.vector)
            if offset is None:
                break
    missing = [video_id for video_id, rows in segments.items() if not len(rows)]
    if missing:
        raise UnknownVideoError(
            f"unknown video id(s) {', '.join(map(repr, missing))} in {collection!r}: use the "
            "video_id of a search result (`vidrec search --intent kids`) or a catalog id "
            "from data/catalog/*.json"
        )
    return {video_id: np.asarray(rows, dtype=np.float32) for video_id, rows in segments.items()}


def video_scores(
    space: LabelSpace,
    parts: Mapping[str, str],
    vectors: Mapping[str, np.ndarray],
    segments: Mapping[str, np.ndarray],
    settings: Mapping[str, float],
    avoid: Sequence[np.ndarray] = (),
) -> dict[str, float]:
    """Per candidate video, the lowest weighted z-score over the query's parts.

    A label describes the whole video: it scores the log of its softmax share among the labels
    of its kind, over the mean of all the video's segments. Keywords and free text name a
    moment: they score the best segment. The lowest part decides (every part must match), and
    TIE_BREAK x the mean of the parts orders videos that pass them all (a label's share
    saturates: many videos are clearly "kids"). Avoided videos pull the score down.
    """
    means = np.asarray([rows.mean(axis=0) for rows in segments.values()])
    weights = part_weights(vectors, settings)
    scores = []
    for name, vector in vectors.items():
        if name in PHRASES:
            label, temperature = parts[name], settings["temperature"]
            raw = space.share(name, label, means, temperature)
            reference = space.share(name, label, space.sample.videos, temperature)
        else:
            raw = np.asarray([(rows @ vector).max() for rows in segments.values()])
            reference = space.sample.points @ vector
        scores.append(weights[name] * standardize(raw, reference))
    total = np.min(scores, axis=0) + TIE_BREAK * np.mean(scores, axis=0)
    if len(avoid):
        away = unit(np.mean(avoid, axis=0))
        total -= AVOID_WEIGHT * standardize(means @ away, space.sample.videos @ away)
    return dict(zip(segments, total.tolist(), strict=True))


def search(
    client: QdrantClient,
    collection: str,
    encoder: QueryEncoder,
    *,
    intent: str | None = None,
    mood: str | None = None,
    keywords: str | Sequence[str] | None = None,
    text: str | None = None,
    top_k: int = DEFAULT_LIMIT,
    filters: Filters | Mapping[str, Any] | None = None,
    strategy: str | None = None,
    avoid: Sequence[str] = (),
    settings: Mapping[str, float] | None = None,
) -> SearchResponse:
    """The `top_k` videos best matching an intent, a mood, keywords and/or a free text.

    Video-level and clip-level points are searched together and grouped per video; each result
    points at its best matching clip (`start_time`/`end_time`), or the whole video. `avoid`
    lists video ids to steer away from ("not this"): they are never returned, and the query
    moves away from them. `settings` overrides the strategy's tuned settings (evaluation).
    """
    started = time.perf_counter()
    strategy = check_strategy(strategy or default_strategy(encoder.model))
    top_k = check_top_k(top_k)
    parts = query_parts(intent, mood, keywords, text, encoder.max_text_chars)
    chosen = Filters.from_value(filters).validate()
    stored_model, size, points = check_collection(client, collection)
    check_model(encoder, stored_model, size)
    query_filter = chosen.to_qdrant()
    avoided = check_ids("avoid", avoid) if avoid else []
    if len(avoided) > MAX_EXAMPLE_IDS:
        raise InvalidQueryError(f"give at most {MAX_EXAMPLE_IDS} video ids to avoid")
    sample = collection_sample(client, collection, points)
    avoid_vectors = [
        rows.mean(axis=0) for rows in video_segments(client, collection, avoided, sample).values()
    ]
    space = None
    if strategy in ("zmin", "contrast", "contrast_video"):
        space = sample.space(encoder.model, encoder.label_matrix())
    settings = {**tuning(encoder.model, strategy), **(settings or {})}
    query = build_query(encoder, parts, strategy, query_filter, avoid_vectors, space, settings)
    two_stage = strategy == "contrast_video"
    depth = max(top_k, CANDIDATES) if two_stage else top_k
    groups = grouped_hits(client, collection, depth, query_filter, query, exclude=set(avoided))
    scores = None
    if two_stage and groups:
        vectors = part_vectors(encoder, parts, avoid_vectors)
        segments = video_segments(client, collection, list(groups), space.sample)
        scores = video_scores(space, parts, vectors, segments, settings, avoid_vectors)
        groups = {v: groups[v] for v in sorted(groups, key=lambda v: -scores[v])[:top_k]}
    return SearchResponse(
        results=ranked_results(groups, encoder.model, strategy, scores),
        strategy=strategy,
        took_ms=(time.perf_counter() - started) * 1000,
        model=encoder.model,
        collection=collection,
        query=dict(parts),
        filters=chosen.to_dict(),
    )


def similar(
    client: QdrantClient,
    collection: str,
    positive_ids: Sequence[str],
    negative_ids: Sequence[str] = (),
    top_k: int = DEFAULT_LIMIT,
    filters: Filters | Mapping[str, Any] | None = None,
    encoder: QueryEncoder | None = None,
) -> SearchResponse:
    """More videos like `positive_ids` and unlike `negative_ids` (the inputs are never returned).

    With the collection model's label vectors at hand (the sample model's ship in data/, other
    models' come from `encoder`), a video is compared by its label profile: Qdrant fetches
    candidates with one vector query, then candidates are ranked by the cosine of their
    profile with the liked videos' minus NOT_WEIGHT x the disliked videos'. Without label
    vectors, `models.RecommendQuery` (average_vector) of the videos' mean vectors.
    """
    started = time.perf_counter()
    liked = check_ids("video_ids", positive_ids)
    disliked = check_ids("not", negative_ids)
    if not liked:
        raise InvalidQueryError("give at least one video id to find similar videos")
    if set(liked) & set(disliked):
        both = ", ".join(sorted(set(liked) & set(disliked)))
        raise InvalidQueryError(f"video id(s) {both} are both liked and disliked")
    if len(liked) + len(disliked) > MAX_EXAMPLE_IDS:
        raise InvalidQueryError(f"give at most {MAX_EXAMPLE_IDS} video ids in total")
    top_k = check_top_k(top_k)
    chosen = Filters.from_value(filters).validate()
    stored_model, _, count = check_collection(client, collection)
    labels = label_matrix(stored_model, encoder)
    sample = collection_sample(client, collection, count)
    examples = video_segments(client, collection, liked + disliked, sample)
    liked_means = np.stack([examples[v].mean(axis=0) for v in liked])
    disliked_means = np.asarray([examples[v].mean(axis=0) for v in disliked])
    given, flt, scores = set(liked + disliked), chosen.to_qdrant(), None
    target = None
    if labels is not None:
        space = sample.space(stored_model, labels)
        target = space.profile(liked_means).mean(axis=0)
        if disliked:
            target -= NOT_WEIGHT * space.profile(disliked_means).mean(axis=0)
    if target is None or not target.any():  # no label vectors, or a one-video collection
        recommend = models.RecommendInput(
            positive=liked_means.tolist(),
            negative=disliked_means.tolist() or None,
            strategy=models.RecommendStrategy.AVERAGE_VECTOR,
        )
        query = {"query": models.RecommendQuery(recommend=recommend)}
        groups = grouped_hits(client, collection, top_k, flt, query, given)
    else:
        # One vector whose cosine ranks candidates as target . z-profile does (both linear).
        query = {"query": unit((target / space.video_std) @ labels).tolist()}
        groups = grouped_hits(client, collection, max(top_k, CANDIDATES), flt, query, given)
        if groups:
            segments = video_segments(client, collection, list(groups), sample)
            means = np.stack([rows.mean(axis=0) for rows in segments.values()])
            found = space.profile(means) @ unit(target)
            scores = dict(zip(segments, found.tolist(), strict=True))
            groups = {v: groups[v] for v in sorted(groups, key=lambda v: -scores[v])[:top_k]}
    return SearchResponse(
        results=ranked_results(groups, stored_model, SIMILAR_STRATEGY, scores),
        strategy=SIMILAR_STRATEGY,
        took_ms=(time.perf_counter() - started) * 1000,
        model=stored_model,
        collection=collection,
        query={"video_ids": liked, "not": disliked},
        filters=chosen.to_dict(),
    )
