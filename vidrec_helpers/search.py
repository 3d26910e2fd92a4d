"""Search and recommend: intent + mood + keywords -> query vector(s) -> Qdrant -> one result per video.

The original demo embedded one string, `Recommend: "<intent description>" videos "<mood>"`, and
searched with it. That is kept as the `baseline` strategy; the others embed the intent, the mood
and the keywords separately and combine them (see `STRATEGIES`). `evaluate.py` measures them on
the labelled sample and `DEFAULT` is the best one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
from qdrant_client import QdrantClient, models

from .config import VidrecError
from .labels import INTENTS, MOODS, baseline_query, preset_names, query_text
from .records import unit

#: The text model behind the shipped sample vectors (same value as samples.SAMPLE_MODEL).
SAMPLE_MODEL = "all-MiniLM-L6-v2"

#: Query strategies: name -> what it does. Every one accepts intent, mood, keywords and text.
STRATEGIES: dict[str, str] = {
    "baseline": 'the original demo: one string, Recommend: "<intent description>" videos "<mood>"',
    "weighted": "one vector: unit(w_intent*v_intent + w_mood*v_mood + w_keywords*v_keywords)",
    "recommend": "Qdrant RecommendQuery, best_score: a point scores its best match to any part",
    "recommend_average": "Qdrant RecommendQuery, average_vector: the mean of the part vectors",
    "fusion": "one Qdrant prefetch per part, merged by reciprocal rank fusion (RRF)",
}

#: The strategy with the best nDCG@5 on the labelled sample (tests/test_evaluate.py checks it).
DEFAULT = "weighted"

#: Weights of the `weighted` strategy (the parts are unit vectors, so equal weights = the mean).
WEIGHTS: dict[str, float] = {"intent": 1.0, "mood": 1.0, "keywords": 1.0, "text": 1.0}
#: How hard `search(avoid=...)` pushes the query away from the mean of the avoided videos.
AVOID_WEIGHT = 0.5

#: Strategy of `similar` (an average of the liked videos, pushed away from the disliked ones).
SIMILAR_STRATEGY = "similar"

MAX_TOP_K = 100
DEFAULT_LIMIT = 10
#: Points fetched per wanted video (a sample video has one video-level point and 2-4 clips).
FETCH_FACTOR = 5
#: Most points one query fetches while looking for enough distinct videos.
MAX_FETCH = 10_000
#: Most videos one `similar` call may name (liked + disliked).
MAX_EXAMPLE_IDS = 20

#: Longest query text per model, in characters. all-MiniLM-L6-v2 reads 256 word pieces (about
#: 1,000 characters) and silently drops the rest; the TwelveLabs SDK documents 500 tokens for a
#: Marengo 3.0 text and 2,000 for Marengo 3.5 (at roughly 4 characters a token).
TEXT_LIMITS: dict[str, int] = {SAMPLE_MODEL: 1000, "marengo3.0": 2000, "marengo3.5": 8000}
DEFAULT_TEXT_LIMIT = 1000

#: Score thresholds for confidence levels, per model and strategy (scores of different
#: strategies live on different scales), from `evaluate.calibrate_confidence` on the labelled
#: sample (the top 20 results of each intent x mood preset): `high` is the lowest score above
#: which at least 80 % of hits match both intent and mood, `medium` at least 50 %, each over at
#: least 10 hits; None means no score reaches it. On the sample no strategy reaches 80 %: the
#: stand-in text vectors separate intent x mood only weakly, so sample results are never "high".
#: Marengo has no entry: no labelled Marengo vectors ship with the tutorial, and the seed's fixed
#: 0.7 belonged to Marengo 2.7 (another model, another score scale), so Marengo results say
#: "uncalibrated" until you run `calibrate_confidence` on your own labelled collection and pass
#: its result to `register_thresholds`.
CONFIDENCE_THRESHOLDS: dict[str, dict[str, dict[str, float | None]]] = {
    SAMPLE_MODEL: {
        "baseline": {"high": None, "medium": None},
        "weighted": {"high": None, "medium": 0.475},
        "recommend": {"high": None, "medium": None},
        "recommend_average": {"high": None, "medium": 0.475},
        "fusion": {"high": None, "medium": 0.513},
        "similar": {"high": None, "medium": None},
    },
}


class SearchError(VidrecError):
    """A search or recommendation could not run."""


class InvalidQueryError(SearchError):
    """The query itself is wrong (empty, unknown label, too long, bad top_k or filter)."""


class EmptyCollectionError(SearchError):
    """The collection is missing or holds no points: nothing was ingested yet."""


class ModelMismatchError(SearchError):
    """The query model or dimension differs from the collection's."""


class UnknownVideoError(SearchError):
    """A video id given to `similar` is not in the collection."""


class Embedder(Protocol):
    """What search needs from an embedder (see embeddings.py)."""

    model: str
    dimension: int

    def embed_text(self, text: str) -> np.ndarray: ...


def model_key(model: str) -> str:
    """A model name without an organisation prefix, e.g. `sentence-transformers/all-MiniLM-L6-v2`."""
    return model.rsplit("/", 1)[-1]


def text_limit(model: str) -> int:
    """The longest query text, in characters, the model reads in full."""
    return TEXT_LIMITS.get(model_key(model), DEFAULT_TEXT_LIMIT)


def _preset_vectors() -> dict[str, np.ndarray]:
    from .samples import query_vector

    return {query_text(name): query_vector(name) for name in preset_names()}


class QueryEncoder:
    """Turns a query text into a unit vector, the same way in live and offline mode.

    A text that is exactly a preset (an intent or mood description, or a baseline query) uses
    the shipped vector when the embedder is the sample model; anything else goes to
    `embedder.embed_text` (Marengo live, the local model offline). Results are remembered.
    """

    def __init__(self, embedder: Embedder, cache_size: int = 512) -> None:
        self.embedder = embedder
        self.cache_size = cache_size
        self._cache: dict[str, np.ndarray] = {}
        self._presets: dict[str, np.ndarray] | None = None

    @property
    def model(self) -> str:
        return self.embedder.model

    @property
    def dimension(self) -> int:
        return int(self.embedder.dimension)

    @property
    def max_text_chars(self) -> int:
        return text_limit(self.model)

    def uses_presets(self) -> bool:
        """True when the shipped query vectors belong to this embedder's model."""
        return model_key(self.model) == SAMPLE_MODEL

    def preset(self, text: str) -> np.ndarray | None:
        """The shipped vector of a preset text, or None."""
        if not self.uses_presets():
            return None
        if self._presets is None:
            self._presets = _preset_vectors()
        return self._presets.get(text)

    def encode(self, text: str) -> np.ndarray:
        """The unit query vector of `text`."""
        vector = self.preset(text)
        if vector is not None:
            return vector
        if text not in self._cache:
            if len(self._cache) >= self.cache_size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[text] = unit(self.embedder.embed_text(text))
        return self._cache[text]


@dataclass(frozen=True)
class Filters:
    """Conditions every result must meet: an intent, a mood, a duration range (seconds)."""

    intent: str | None = None
    mood: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None

    @classmethod
    def from_value(cls, value: Filters | Mapping[str, Any] | None) -> Filters:
        """Filters from a Filters, a dict (unknown keys are an error) or None."""
        if value is None:
            return cls()
        if isinstance(value, Filters):
            return value
        unknown = set(value) - {"intent", "mood", "min_duration", "max_duration"}
        if unknown:
            raise InvalidQueryError(
                f"unknown filter(s) {', '.join(sorted(unknown))}: "
                "use intent, mood, min_duration, max_duration"
            )
        return cls(**value)

    def validate(self) -> Filters:
        """Check labels and the duration range; return self."""
        if self.intent is not None:
            _check_label("intent", self.intent, INTENTS)
        if self.mood is not None:
            _check_label("mood", self.mood, MOODS)
        for name in ("min_duration", "max_duration"):
            value = getattr(self, name)
            if value is not None and (not _is_number(value) or value < 0):
                raise InvalidQueryError(f"{name} must be a number of seconds >= 0, got {value!r}")
        low, high = self.min_duration, self.max_duration
        if low is not None and high is not None and low > high:
            raise InvalidQueryError(f"min_duration ({low}) is larger than max_duration ({high})")
        return self

    def conditions(self) -> list[models.Condition]:
        """The Qdrant conditions of these filters."""
        must: list[models.Condition] = []
        for key in ("intent", "mood"):
            value = getattr(self, key)
            if value is not None:
                must.append(models.FieldCondition(key=key, match=models.MatchValue(value=value)))
        if self.min_duration is not None or self.max_duration is not None:
            bounds = models.Range(gte=self.min_duration, lte=self.max_duration)
            must.append(models.FieldCondition(key="duration", range=bounds))
        return must

    def to_qdrant(self) -> models.Filter | None:
        """A `models.Filter` of these conditions; None when nothing is filtered."""
        must = self.conditions()
        return models.Filter(must=must) if must else None

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_label(kind: str, value: object, valid: Mapping[str, str]) -> str:
    if value not in valid:
        raise InvalidQueryError(f"unknown {kind} {value!r}: choose one of {', '.join(valid)}")
    return str(value)


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
        return {
            "results": [result.to_dict() for result in self.results],
            "strategy": self.strategy,
            "took_ms": round(self.took_ms, 2),
            "model": self.model,
            "collection": self.collection,
            "query": self.query,
            "filters": self.filters,
        }


def register_thresholds(model: str, thresholds: Mapping[str, Mapping[str, float | None]]) -> None:
    """Use thresholds from `evaluate.calibrate_confidence` for `model` in this process."""
    CONFIDENCE_THRESHOLDS[model_key(model)] = {k: dict(v) for k, v in thresholds.items()}


def confidence_level(score: float, model: str | None, strategy: str) -> str:
    """`high`, `medium` or `low` from the model's calibrated thresholds, else `uncalibrated`."""
    levels = CONFIDENCE_THRESHOLDS.get(model_key(model or ""), {}).get(strategy)
    if not levels:
        return "uncalibrated"
    for name in ("high", "medium"):
        threshold = levels.get(name)
        if threshold is not None and score >= threshold:
            return name
    return "low"


def check_collection(client: QdrantClient, collection: str) -> tuple[str | None, int]:
    """The collection's (model, dimension); a clear error when it is missing or empty."""
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
    return (info.config.metadata or {}).get("model"), int(size)


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


def _clean_text(name: str, value: str | Sequence[str] | None, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        if not all(isinstance(item, str) for item in value):
            raise InvalidQueryError(f"{name} must be a text or a list of texts")
        value = ", ".join(item.strip() for item in value if item.strip())
    value = " ".join(value.split())
    if len(value) > limit:
        raise InvalidQueryError(
            f"{name} is {len(value)} characters long; the model reads at most {limit}: shorten it"
        )
    return value or None


def check_top_k(top_k: object) -> int:
    """`top_k` if it is a whole number from 1 to MAX_TOP_K, else a clear error."""
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise InvalidQueryError(
            f"top_k must be a whole number from 1 to {MAX_TOP_K}, got {top_k!r}"
        )
    return top_k


def check_strategy(strategy: str) -> str:
    """`strategy` if known, else an error listing the strategies."""
    if strategy not in STRATEGIES:
        raise InvalidQueryError(
            f"unknown strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}"
        )
    return strategy


def query_parts(
    intent: str | None,
    mood: str | None,
    keywords: str | Sequence[str] | None,
    text: str | None,
    limit: int = DEFAULT_TEXT_LIMIT,
) -> dict[str, str]:
    """The validated parts of a query: {"intent": label, "mood": label, "keywords": ..., "text": ...}."""
    parts: dict[str, str] = {}
    if intent is not None:
        parts["intent"] = _check_label("intent", intent, INTENTS)
    if mood is not None:
        parts["mood"] = _check_label("mood", mood, MOODS)
    for name, value in (("keywords", keywords), ("text", text)):
        cleaned = _clean_text(name, value, limit)
        if cleaned:
            parts[name] = cleaned
    if not parts:
        raise InvalidQueryError(
            "empty query: give an intent, a mood, keywords or a text "
            f"(e.g. intent='kids', mood='musical'; intents: {', '.join(INTENTS)}; "
            f"moods: {', '.join(MOODS)})"
        )
    return parts


def baseline_text(parts: Mapping[str, str]) -> str:
    """The original demo's single query string, extended with keywords and free text."""
    intent, mood = parts.get("intent"), parts.get("mood")
    pieces = []
    if intent and mood:
        pieces.append(baseline_query(intent, mood))
    elif intent:
        pieces.append(f'Recommend: "{INTENTS[intent]}" videos')
    elif mood:
        pieces.append(f'Recommend: videos "{mood}"')
    if parts.get("keywords"):
        pieces.append(f'"{parts["keywords"]}"')
    if parts.get("text"):
        pieces.append(parts["text"])
    return " ".join(pieces)


def part_texts(parts: Mapping[str, str]) -> dict[str, str]:
    """The text embedded for each part: label descriptions for intent and mood."""
    texts = {}
    if "intent" in parts:
        texts["intent"] = INTENTS[parts["intent"]]
    if "mood" in parts:
        texts["mood"] = MOODS[parts["mood"]]
    for name in ("keywords", "text"):
        if name in parts:
            texts[name] = parts[name]
    return texts


def _checked(vector: np.ndarray, size: int, encoder: QueryEncoder) -> list[float]:
    if vector.shape != (size,):
        raise ModelMismatchError(
            f"{encoder.model} returned a query vector of dimension {vector.shape[-1]}, but the "
            f"collection holds vectors of dimension {size}: search the collection of the same "
            "model, or re-run `vidrec ingest` with this model"
        )
    return np.asarray(vector).tolist()  # Python floats, as a loop of float() gives, ~20x faster


def build_query(
    encoder: QueryEncoder,
    parts: Mapping[str, str],
    strategy: str,
    size: int,
    query_filter: models.Filter | None,
    avoid: Sequence[np.ndarray] = (),
) -> dict[str, Any]:
    """The `query` (and `prefetch`) arguments of `query_points` for one strategy.

    `avoid` holds vectors of videos to steer away from: single-vector strategies subtract
    `AVOID_WEIGHT` x their mean, `recommend*` pass them as negative examples, fusion ignores them.
    """
    push = AVOID_WEIGHT * np.mean(avoid, axis=0) if len(avoid) else 0.0
    if strategy == "baseline":
        vector = encoder.encode(baseline_text(parts))
        return {"query": _checked(unit(vector - push), size, encoder)}
    vectors = {name: encoder.encode(text) for name, text in part_texts(parts).items()}
    listed = [_checked(vector, size, encoder) for vector in vectors.values()]
    if strategy == "weighted":
        combined = sum(WEIGHTS[name] * vector for name, vector in vectors.items())
        return {"query": _checked(unit(combined - push), size, encoder)}
    if strategy in ("recommend", "recommend_average"):
        how = models.RecommendStrategy.BEST_SCORE
        if strategy == "recommend_average":
            how = models.RecommendStrategy.AVERAGE_VECTOR
        negative = [_checked(vector, size, encoder) for vector in avoid] or None
        recommend = models.RecommendInput(positive=listed, negative=negative, strategy=how)
        return {"query": models.RecommendQuery(recommend=recommend)}
    prefetch = [
        models.Prefetch(query=vector, filter=query_filter, limit=DEFAULT_LIMIT * FETCH_FACTOR)
        for vector in listed
    ]
    return {"prefetch": prefetch, "query": models.FusionQuery(fusion=models.Fusion.RRF)}


def _result(
    video_id: str, hits: list[models.ScoredPoint], model: str | None, strategy: str
) -> Result:
    best = hits[0]
    payload = best.payload or {}
    duration = payload.get("duration")
    clips = [hit for hit in hits if (hit.payload or {}).get("scope") == "clip"]
    if clips:
        start, end = clips[0].payload["start_sec"], clips[0].payload["end_sec"]
    else:
        start, end = 0.0, duration if duration is not None else payload.get("end_sec", 0.0)
    return Result(
        video_id=video_id,
        filename=payload.get("filename") or None,
        start_time=float(start),
        end_time=float(end),
        score=float(best.score),
        confidence=confidence_level(float(best.score), model, strategy),
        url=payload.get("url"),
        title=payload.get("title") or "",
        intent=payload.get("intent"),
        mood=payload.get("mood"),
        scope=payload.get("scope", "video"),
        duration=float(duration) if duration is not None else None,
        s3_key=payload.get("s3_key"),
    )


def group_by_video(points: Sequence[models.ScoredPoint]) -> dict[str, list[models.ScoredPoint]]:
    """Hits per video_id, best video first, each video's hits best first (as Qdrant's groups)."""
    groups: dict[str, list[models.ScoredPoint]] = {}
    for point in sorted(points, key=lambda point: point.score, reverse=True):
        groups.setdefault(str((point.payload or {}).get("video_id")), []).append(point)
    return groups


def _with_limit(query: dict[str, Any], limit: int) -> dict[str, Any]:
    if "prefetch" not in query:
        return query
    prefetch = [item.model_copy(update={"limit": limit}) for item in query["prefetch"]]
    return {**query, "prefetch": prefetch}


def grouped_hits(
    client: QdrantClient,
    collection: str,
    top_k: int,
    query_filter: models.Filter | None,
    query: dict[str, Any],
    exclude: Collection[str] = (),
) -> dict[str, list[models.ScoredPoint]]:
    """The best `top_k` videos (except `exclude`) with their hits: over-fetch, group per video.

    `query_points_groups(group_by="video_id")` gives the same groups and works in local mode
    with every strategy, but local mode reads the payload of every point for it (~150 ms a query
    on the 758 sample points); over-fetching reads only the hits. A video with many matching
    clips can crowd the others out, so the fetch grows until `top_k` videos are found.
    Excluded videos are dropped here rather than by a `must_not` filter, which local mode
    evaluates point by point in Python (~30 ms on the sample).
    """
    limit = (top_k + len(exclude)) * FETCH_FACTOR
    while True:
        points = client.query_points(
            collection,
            limit=limit,
            query_filter=query_filter,
            with_payload=True,
            **_with_limit(query, limit),
        ).points
        groups = {k: v for k, v in group_by_video(points).items() if k not in exclude}
        if len(groups) >= top_k or len(points) < limit or limit >= MAX_FETCH:
            return dict(list(groups.items())[:top_k])
        limit = min(limit * 4, MAX_FETCH)


def _results(
    groups: dict[str, list[models.ScoredPoint]], model: str | None, strategy: str
) -> list[Result]:
    return [_result(video_id, hits, model, strategy) for video_id, hits in groups.items()]


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
) -> SearchResponse:
    """The `top_k` videos best matching an intent, a mood, keywords and/or a free text.

    Video-level and clip-level points are searched together and grouped per video; each result
    points at its best matching clip (`start_time`/`end_time`), or the whole video. `avoid`
    lists video ids to steer away from ("not this"): they are never returned, and the query
    moves away from them.
    """
    started = time.perf_counter()
    strategy = check_strategy(strategy or DEFAULT)
    top_k = check_top_k(top_k)
    parts = query_parts(intent, mood, keywords, text, encoder.max_text_chars)
    chosen = Filters.from_value(filters).validate()
    stored_model, size = check_collection(client, collection)
    check_model(encoder, stored_model, size)
    query_filter = chosen.to_qdrant()
    avoided = _check_ids("avoid", avoid) if avoid else []
    if len(avoided) > MAX_EXAMPLE_IDS:
        raise InvalidQueryError(f"give at most {MAX_EXAMPLE_IDS} video ids to avoid")
    avoid_vectors = video_vectors(client, collection, avoided)
    query = build_query(encoder, parts, strategy, size, query_filter, avoid_vectors)
    groups = grouped_hits(client, collection, top_k, query_filter, query, exclude=set(avoided))
    return SearchResponse(
        results=_results(groups, encoder.model, strategy),
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
) -> SearchResponse:
    """More videos like `positive_ids` and unlike `negative_ids` (the inputs are never returned).

    Uses the videos' own video-level vectors through `models.RecommendQuery` (average_vector:
    the mean of the liked videos, pushed away from the disliked ones), so no text is embedded.
    """
    started = time.perf_counter()
    liked = _check_ids("video_ids", positive_ids)
    disliked = _check_ids("not", negative_ids)
    if not liked:
        raise InvalidQueryError("give at least one video id to find similar videos")
    both = set(liked) & set(disliked)
    if both:
        raise InvalidQueryError(
            f"video id(s) {', '.join(sorted(both))} are both liked and disliked"
        )
    if len(liked) + len(disliked) > MAX_EXAMPLE_IDS:
        raise InvalidQueryError(f"give at most {MAX_EXAMPLE_IDS} video ids in total")
    top_k = check_top_k(top_k)
    chosen = Filters.from_value(filters).validate()
    stored_model, _ = check_collection(client, collection)
    points = video_point_ids(client, collection, liked + disliked)
    recommend = models.RecommendInput(
        positive=[points[video_id] for video_id in liked],
        negative=[points[video_id] for video_id in disliked] or None,
        strategy=models.RecommendStrategy.AVERAGE_VECTOR,
    )
    query = {"query": models.RecommendQuery(recommend=recommend)}
    groups = grouped_hits(client, collection, top_k, chosen.to_qdrant(), query, exclude=points)
    return SearchResponse(
        results=_results(groups, stored_model, SIMILAR_STRATEGY),
        strategy=SIMILAR_STRATEGY,
        took_ms=(time.perf_counter() - started) * 1000,
        model=stored_model,
        collection=collection,
        query={"video_ids": liked, "not": disliked},
        filters=chosen.to_dict(),
    )
