"""Search and recommend: a composed query (queries.py) -> Qdrant -> one result per video."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from .label_stats import CollectionSample, LabelSpace, collection_sample, standardize
from .labels import PHRASES
from .queries import (  # noqa: F401  (re-exported: the names callers import from search)
    AVOID_WEIGHT,
    DEFAULT_LIMIT,
    STRATEGIES,
    Embedder,
    Filters,
    InvalidQueryError,
    ModelMismatchError,
    QueryEncoder,
    SearchError,
    build_query,
    check_strategy,
    default_strategy,
    label_matrix,
    model_key,
    part_vectors,
    part_weights,
    query_parts,
    tuning,
)
from .records import unit
from .samples import SAMPLE_MODEL

#: The sample model's default strategy (other models: `default_strategy(model)`).
DEFAULT = default_strategy(SAMPLE_MODEL)
#: Strategy name of `similar` (for confidence thresholds and responses).
SIMILAR_STRATEGY = "similar"
MAX_TOP_K = 100
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

#: Score thresholds per model and strategy, from `evaluate.calibrate_confidence` on the
#: labelled sample (top 20 results of each preset; `similar`: of each video).
CONFIDENCE_THRESHOLDS: dict[str, dict[str, dict[str, float | None]]] = {
    SAMPLE_MODEL: {
        "baseline": {"high": None, "medium": None},
        "weighted": {"high": None, "medium": 0.487},
        "fusion": {"high": None, "medium": None},
        "dbsf": {"high": None, "medium": 1.623},
        "zmin": {"high": None, "medium": 1.916},
        "contrast": {"high": 2.314, "medium": 1.328},
        "contrast_video": {"high": 1.751, "medium": 0.995},
        "similar": {"high": 0.917, "medium": 0.779},
    },
}
#: What the levels mean, in one line for a result list.
CONFIDENCE_NOTE = (
    "confidence: high = at least 80 % of labelled results scoring this high matched intent and "
    "mood, medium = at least 50 %, low = fewer; uncalibrated = no labelled data for this model"
)


class EmptyCollectionError(SearchError):
    """The collection is missing or holds no points: nothing was ingested yet."""


class UnknownVideoError(SearchError):
    """A video id given to `similar` is not in the collection."""


@dataclass
class Result:
    """One recommended video: the original API's fields plus title, labels and the matched scope."""

    video_id: str
    filename: str | None
    start_time: float
    end_time: float
    score: float
    confidence: str
    url: str | None
    title: str = ""
    intent: str | None = None
    mood: str | None = None
    scope: str = "video"
    duration: float | None = None
    #: Where the video is in S3, to sign a fresh `url` (a storage detail: not in `to_dict`).
    s3_key: str | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("s3_key")
        data["score"] = round(self.score, 4)
        return data


@dataclass
class SearchResponse:
    """Results of one search or `similar` call, with how they were found."""

    results: list[Result]
    strategy: str
    took_ms: float
    model: str | None = None
    collection: str = ""
    query: dict[str, Any] = field(default_factory=dict)
    filters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["results"] = [result.to_dict() for result in self.results]
        data["took_ms"] = round(self.took_ms, 2)
        return data


def register_thresholds(model: str, thresholds: Mapping[str, Mapping[str, float | None]]) -> None:
    """Use thresholds from `evaluate.calibrate_confidence` for `model` in this process."""
    CONFIDENCE_THRESHOLDS[model_key(model)] = {k: dict(v) for k, v in thresholds.items()}


def confidence_level(score: float, model: str | None, strategy: str) -> str:
    """`high`, `medium` or `low` from the model's calibrated thresholds, else `uncalibrated`."""
    levels = CONFIDENCE_THRESHOLDS.get(model_key(model), {}).get(strategy)
    if not levels:
        return "uncalibrated"
    for name in ("high", "medium"):
        threshold = levels.get(name)
        if threshold is not None and score >= threshold:
            return name
    return "low"


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


def check_model(encoder: QueryEncoder, stored_model: str | None, size: int) -> None:
    """Refuse to compare vectors of different models or sizes."""
    same_model = stored_model is None or model_key(stored_model) == model_key(encoder.model)
    if not same_model or size != encoder.dimension:
        raise ModelMismatchError(
            f"the collection holds {stored_model or 'unknown-model'} vectors of dimension {size}, "
            f"but queries are embedded with {encoder.model} (dimension {encoder.dimension}): "
            "search the collection of the same model (index.collection_name(model, dimension)), "
            "or re-run `vidrec ingest` with this model"
        )


def check_top_k(top_k: object) -> int:
    """`top_k` if it is a whole number from 1 to MAX_TOP_K, else a clear error."""
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise InvalidQueryError(
            f"top_k must be a whole number from 1 to {MAX_TOP_K}, got {top_k!r}"
        )
    return top_k


def _result(hits: list[models.ScoredPoint], score: float, model: str | None, how: str) -> Result:
    """A result card from a video's hits (best first): the best clip is its moment."""
    payload = hits[0].payload or {}
    duration = payload.get("duration")
    clips = [hit.payload for hit in hits if (hit.payload or {}).get("scope") == "clip"]
    start, end = (0.0, duration if duration is not None else payload.get("end_sec", 0.0))
    if clips:
        start, end = clips[0]["start_sec"], clips[0]["end_sec"]
    return Result(
        video_id=str(payload.get("video_id")),
        filename=payload.get("filename") or None,
        start_time=float(start),
        end_time=float(end),
        score=float(score),
        confidence=confidence_level(float(score), model, how),
        url=payload.get("url"),
        title=payload.get("title") or "",
        intent=payload.get("intent"),
        mood=payload.get("mood"),
        scope=payload.get("scope", "video"),
        duration=float(duration) if duration is not None else None,
        s3_key=payload.get("s3_key"),
    )


def _results(
    groups: Mapping[str, list[models.ScoredPoint]],
    model: str | None,
    how: str,
    scores: Mapping[str, float] | None = None,
) -> list[Result]:
    """Result cards in the order of `scores` (re-scored videos) or of the groups."""
    order = sorted(groups, key=lambda v: -scores[v]) if scores is not None else list(groups)
    best = scores or {video_id: hits[0].score for video_id, hits in groups.items()}
    return [_result(groups[video_id], best[video_id], model, how) for video_id in order]


def group_by_video(points: Sequence[models.ScoredPoint]) -> dict[str, list[models.ScoredPoint]]:
    """Hits per video_id, best video first, each video's hits best first (as Qdrant's groups)."""
    groups: dict[str, list[models.ScoredPoint]] = {}
    for point in sorted(points, key=lambda point: point.score, reverse=True):
        groups.setdefault(str((point.payload or {}).get("video_id")), []).append(point)
    return groups


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
    avoided = _check_ids("avoid", avoid) if avoid else []
    if len(avoided) > MAX_EXAMPLE_IDS:
        raise InvalidQueryError(f"give at most {MAX_EXAMPLE_IDS} video ids to avoid")
    avoid_vectors = video_vectors(client, collection, avoided)
    space = None
    if strategy in ("zmin", "contrast", "contrast_video"):
        sample = collection_sample(client, collection, points)
        space = sample.space(encoder.model, encoder.label_matrix())
    settings = {**tuning(encoder.model, strategy), **(settings or {})}
    query = build_query(encoder, parts, strategy, query_filter, avoid_vectors, space, settings)
    two_stage = strategy == "contrast_video"
    depth = max(top_k, CANDIDATES) if two_stage else top_k
    groups = grouped_hits(client, collection, depth, query_filter, query, exclude=set(avoided))
    scores = None
    if two_stage:
        vectors = part_vectors(encoder, parts, avoid_vectors)
        segments = video_segments(client, collection, list(groups), space.sample)
        scores = video_scores(space, parts, vectors, segments, settings, avoid_vectors)
        groups = {v: groups[v] for v in sorted(groups, key=lambda v: -scores[v])[:top_k]}
    return SearchResponse(
        results=_results(groups, encoder.model, strategy, scores),
        strategy=strategy,
        took_ms=(time.perf_counter() - started) * 1000,
        model=encoder.model,
        collection=collection,
        query=dict(parts),
        filters=chosen.to_dict(),
    )


def _check_ids(name: str, ids: object) -> list[str]:
    if isinstance(ids, str) or not isinstance(ids, Sequence):
        raise InvalidQueryError(f"{name} must be a list of video ids, got {ids!r}")
    if not all(isinstance(item, str) and item.strip() for item in ids):
        raise InvalidQueryError(f"{name} must hold non-empty video id texts")
    return list(dict.fromkeys(item.strip() for item in ids))


def video_point_ids(
    client: QdrantClient, collection: str, video_ids: Sequence[str]
) -> dict[str, str]:
    """The point id of each video's video-level point; an error naming any unknown video id."""
    if not video_ids:
        return {}
    flt = models.Filter(
        must=[
            models.FieldCondition(key="video_id", match=models.MatchAny(any=list(video_ids))),
            models.FieldCondition(key="scope", match=models.MatchValue(value="video")),
        ]
    )
    points, _ = client.scroll(
        collection, scroll_filter=flt, limit=len(video_ids) * 2, with_payload=["video_id"]
    )
    found = {point.payload["video_id"]: str(point.id) for point in points}
    missing = [video_id for video_id in video_ids if video_id not in found]
    if missing:
        raise UnknownVideoError(
            f"unknown video id(s) {', '.join(map(repr, missing))} in {collection!r}: use the "
            "video_id of a search result (`vidrec search --intent kids`) or a catalog id "
            "from data/catalog/*.json"
        )
    return found


def video_vectors(
    client: QdrantClient, collection: str, video_ids: Sequence[str]
) -> list[np.ndarray]:
    """The video-level vectors of `video_ids` (an error naming any unknown id)."""
    if not video_ids:
        return []
    points = video_point_ids(client, collection, video_ids)
    records = client.retrieve(collection, ids=list(points.values()), with_vectors=True)
    return [np.asarray(record.vector, dtype=np.float32) for record in records]


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
    vectors, `models.RecommendQuery` (average_vector) over the videos' own points.
    """
    started = time.perf_counter()
    liked = _check_ids("video_ids", positive_ids)
    disliked = _check_ids("not", negative_ids)
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
    scores = None
    if labels is None:
        points = video_point_ids(client, collection, liked + disliked)
        recommend = models.RecommendInput(
            positive=[points[video_id] for video_id in liked],
            negative=[points[video_id] for video_id in disliked] or None,
            strategy=models.RecommendStrategy.AVERAGE_VECTOR,
        )
        query = {"query": models.RecommendQuery(recommend=recommend)}
        groups = grouped_hits(client, collection, top_k, chosen.to_qdrant(), query, points)
    else:
        space = collection_sample(client, collection, count).space(stored_model, labels)
        examples = video_segments(client, collection, liked + disliked, space.sample)
        target = space.profile(np.stack([examples[v].mean(axis=0) for v in liked])).mean(axis=0)
        if disliked:
            means = np.stack([examples[v].mean(axis=0) for v in disliked])
            target -= NOT_WEIGHT * space.profile(means).mean(axis=0)
        # One vector whose cosine ranks candidates as target . z-profile does (both linear).
        query = {"query": unit((target / space.video_std) @ labels).tolist()}
        depth = max(top_k, CANDIDATES)
        given = set(liked + disliked)
        groups = grouped_hits(client, collection, depth, chosen.to_qdrant(), query, given)
        segments = video_segments(client, collection, list(groups), space.sample)
        means = np.stack([rows.mean(axis=0) for rows in segments.values()])
        found = space.profile(means) @ unit(target)
        scores = dict(zip(segments, found.tolist(), strict=True))
        groups = {v: groups[v] for v in sorted(groups, key=lambda v: -scores[v])[:top_k]}
    return SearchResponse(
        results=_results(groups, stored_model, SIMILAR_STRATEGY, scores),
        strategy=SIMILAR_STRATEGY,
        took_ms=(time.perf_counter() - started) * 1000,
        model=stored_model,
        collection=collection,
        query={"video_ids": liked, "not": disliked},
        filters=chosen.to_dict(),
    )
