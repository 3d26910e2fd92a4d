"""Search and recommend: a checked query (query_input.py), composed (queries.py) -> Qdrant ->
one result per video (results.py)."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from .index import collection_model, is_embedded
from .label_stats import LabelSpace, collection_sample, standardize, video_means, video_segments
from .labels import PHRASES
from .queries import (
    AVOID_WEIGHT,
    QueryEncoder,
    build_query,
    check_model,
    default_strategy,
    label_matrix,
    part_vectors,
    part_weights,
    tuning,
)
from .query_input import DEFAULT_LIMIT, Filters, SearchError, SearchQuery, SimilarQuery
from .records import unit
from .results import SearchResponse, group_by_video, result_card
from .server_settings import search_params

#: Strategy name of `similar` (for confidence thresholds and responses).
SIMILAR_STRATEGY = "similar"
#: Points fetched per wanted video (a sample video has one video-level point and 2-4 clips).
FETCH_FACTOR = 5
#: Most points one query fetches while looking for enough distinct videos.
MAX_FETCH = 10_000
#: Candidate videos a two-stage query (`contrast_video`, `similar`) re-scores by all their clips.
CANDIDATES = 40
#: Weight of the mean of the parts beside their minimum in `contrast_video` (fixed, not tuned).
TIE_BREAK = 0.25
#: How much a "not this" video's label profile is subtracted in `similar`.
NOT_WEIGHT = 0.25


class EmptyCollectionError(SearchError):
    """The collection is missing or holds no points: nothing was ingested yet."""


def searchable_collection(client: QdrantClient, collection: str) -> tuple[str | None, int, int]:
    """The collection's (model, dimension, points); a clear error when it is missing or empty."""
    hint = "run `vidrec ingest` first (offline it indexes the sample vectors)"
    try:  # one request when all is well (a round trip per search on a server)
        model, size, points = collection_model(client, collection)
    except Exception:
        if client.collection_exists(collection):
            raise
        raise EmptyCollectionError(f"collection {collection!r} does not exist: {hint}") from None
    if not points:
        raise EmptyCollectionError(f"collection {collection!r} is empty: {hint}")
    return model, size or 0, points


def grouped_hits(
    client: QdrantClient,
    collection: str,
    top_k: int,
    query_filter: models.Filter | None,
    query: dict[str, Any],
    exclude: Collection[str] = (),
) -> dict[str, list[models.ScoredPoint]]:
    """The best `top_k` videos (except `exclude`) with their hits: over-fetch, group per video.

    `query` holds the `query` (and any `prefetch`) arguments of `query_points`. The fetch grows
    until `top_k` videos are found (in local mode this is much faster than `query_points_groups`
    or a `must_not` filter). On a server, the search uses the planned beam
    (`server_settings.SEARCH_EF`).
    """
    params = None if is_embedded(client) else search_params()
    limit = (top_k + len(exclude)) * FETCH_FACTOR
    while True:
        points = client.query_points(
            collection,
            limit=limit,
            query_filter=query_filter,
            search_params=params,
            with_payload=True,
            **query,
        ).points
        groups = {k: v for k, v in group_by_video(points).items() if k not in exclude}
        if len(groups) >= top_k or len(points) < limit or limit >= MAX_FETCH:
            return dict(list(groups.items())[:top_k])
        limit = min(limit * 4, MAX_FETCH)


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
    means = video_means(segments)
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


def respond(
    started: float,
    groups: Mapping[str, list[models.ScoredPoint]],
    scores: Mapping[str, float] | None,
    top_k: int,
    **about: Any,
) -> SearchResponse:
    """Result cards, best first (by `scores` when the videos were re-scored), and how they were
    found (`about`: strategy, model, collection, query, filters)."""
    order = list(groups) if scores is None else sorted(groups, key=lambda v: -scores[v])
    best = scores or {video_id: hits[0].score for video_id, hits in groups.items()}
    results = [
        result_card(groups[v], best[v], about["model"], about["strategy"]) for v in order[:top_k]
    ]
    took_ms = (time.perf_counter() - started) * 1000
    return SearchResponse(results=results, took_ms=took_ms, **about)


def search(
    client: QdrantClient,
    collection: str,
    encoder: QueryEncoder,
    *,
    settings: Mapping[str, float] | None = None,
    **query: Any,
) -> SearchResponse:
    """The `top_k` videos best matching an intent, a mood, keywords and/or a free text.

    `query` holds the fields of `SearchQuery`: intent, mood, keywords, text, top_k, filters,
    strategy and avoid. Video-level and clip-level points are searched together and grouped per
    video; each result points at its best matching clip (`start_time`/`end_time`), or the whole
    video. `avoid` lists video ids to steer away from ("not this"): they are never returned, and
    the query moves away from them. `settings` overrides the strategy's tuned settings.
    """
    started = time.perf_counter()
    checked = SearchQuery.check(query, max_chars=encoder.max_text_chars)
    strategy, parts = checked.strategy or default_strategy(encoder.model), checked.parts
    chosen = checked.filters or Filters()
    stored_model, size, points = searchable_collection(client, collection)
    check_model(encoder, stored_model, size)
    sample = collection_sample(client, collection, points)
    avoided = list(video_means(video_segments(client, collection, checked.avoid, sample)))
    two_stage = strategy == "contrast_video"  # contrasted labels: candidates, re-scored here
    space = sample.space(encoder.model, encoder.label_matrix()) if two_stage else None
    settings = {**tuning(encoder.model, strategy), **(settings or {})}
    flt = chosen.to_qdrant()
    request = build_query(encoder, parts, strategy, settings, avoided, space)
    depth = max(checked.top_k, CANDIDATES) if two_stage else checked.top_k
    groups = grouped_hits(client, collection, depth, flt, request, exclude=set(checked.avoid))
    scores = None
    if two_stage and groups:
        vectors = part_vectors(encoder, parts, avoided)
        segments = video_segments(client, collection, list(groups), sample)
        scores = video_scores(space, parts, vectors, segments, settings, avoided)
    return respond(
        started, groups, scores, checked.top_k, strategy=strategy, model=encoder.model,
        collection=collection, query=parts, filters=chosen.to_dict(),
    )  # fmt: skip


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
    query = SimilarQuery.check(
        {"positive_ids": positive_ids, "negative_ids": negative_ids, "top_k": top_k,
         "filters": filters}
    )  # fmt: skip
    liked, disliked = query.positive_ids, query.negative_ids
    chosen = query.filters or Filters()
    stored_model, _, count = searchable_collection(client, collection)
    labels = label_matrix(stored_model, encoder)
    sample = collection_sample(client, collection, count)
    examples = video_segments(client, collection, liked + disliked, sample)
    liked_means = video_means({v: examples[v] for v in liked})
    disliked_means = video_means({v: examples[v] for v in disliked})
    given, flt, scores, target = set(examples), chosen.to_qdrant(), None, None
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
        request = {"query": models.RecommendQuery(recommend=recommend)}
        groups = grouped_hits(client, collection, query.top_k, flt, request, given)
    else:
        # One vector whose cosine ranks candidates as target . z-profile does (both linear).
        request = {"query": unit((target / space.video_std) @ labels).tolist()}
        groups = grouped_hits(client, collection, max(query.top_k, CANDIDATES), flt, request, given)
        if groups:
            segments = video_segments(client, collection, list(groups), sample)
            found = space.profile(video_means(segments)) @ unit(target)
            scores = dict(zip(segments, found.tolist(), strict=True))
    return respond(
        started, groups, scores, query.top_k, strategy=SIMILAR_STRATEGY, model=stored_model,
        collection=collection, query={"video_ids": liked, "not": disliked},
        filters=chosen.to_dict(),
    )  # fmt: skip
