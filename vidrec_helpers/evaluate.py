"""How good are the recommendations? precision@k and nDCG@k of every query strategy.

The judge is the labels: a result is fully relevant (grade 2) to an intent x mood preset when
the video has both that intent and that mood, partly relevant (grade 1) when it has one of
them, and not relevant (grade 0) otherwise. precision@k counts grade 2; nDCG@k uses the grades
(linear gain, log2 discount, as scikit-learn's `ndcg_score`). The same labels calibrate the
confidence levels of `search.py`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from qdrant_client import QdrantClient, models

from . import search as search_module
from .config import VidrecError
from .labels import INTENTS, MOODS
from .search import STRATEGIES, QueryEncoder, check_collection, search, similar

Labels = dict[str, tuple[str | None, str | None]]


def video_labels(client: QdrantClient, collection: str) -> Labels:
    """video_id -> (intent, mood) of every video-level point in the collection."""
    check_collection(client, collection)
    flt = models.Filter(
        must=[models.FieldCondition(key="scope", match=models.MatchValue(value="video"))]
    )
    labels: Labels = {}
    offset = None
    while True:
        points, offset = client.scroll(
            collection,
            scroll_filter=flt,
            limit=512,
            offset=offset,
            with_payload=["video_id", "intent", "mood"],
        )
        for point in points:
            payload = point.payload or {}
            labels[payload["video_id"]] = (payload.get("intent"), payload.get("mood"))
        if offset is None:
            break
    if not any(intent and mood for intent, mood in labels.values()):
        raise VidrecError(
            f"collection {collection!r} has no videos labelled with an intent and a mood: "
            "evaluation needs labelled videos (the offline sample has them)"
        )
    return labels


def grade(label: tuple[str | None, str | None], intent: str | None, mood: str | None) -> int:
    """2 when intent and mood both match, 1 when one matches, 0 when none does."""
    return int(intent is not None and label[0] == intent) + int(
        mood is not None and label[1] == mood
    )


def precision_at_k(grades: Sequence[int], k: int) -> float:
    """Share of the first k results that are fully relevant (missing results count as misses)."""
    return sum(1 for g in grades[:k] if g == 2) / k


def dcg(grades: Iterable[int]) -> float:
    """Discounted cumulative gain: sum of grade / log2(rank + 1)."""
    return sum(g / math.log2(rank + 2) for rank, g in enumerate(grades))


def ndcg_at_k(grades: Sequence[int], all_grades: Iterable[int], k: int) -> float:
    """DCG of the first k results over the DCG of the best possible k (from every video's grade)."""
    ideal = dcg(sorted(all_grades, reverse=True)[:k])
    return dcg(grades[:k]) / ideal if ideal else 0.0


def presets(labels: Labels) -> list[tuple[str, str]]:
    """The intent x mood pairs having at least one fully relevant video."""
    present = {label for label in labels.values()}
    return [(i, m) for i in INTENTS for m in MOODS if (i, m) in present]


def _scores(grades: Sequence[int], labels: Labels, intent: str, mood: str, k: int) -> dict:
    all_grades = [grade(label, intent, mood) for label in labels.values()]
    return {
        "precision_at_k": precision_at_k(grades, k),
        "ndcg_at_k": ndcg_at_k(grades, all_grades, k),
    }


def evaluate_strategy(
    client: QdrantClient,
    collection: str,
    encoder: QueryEncoder,
    strategy: str,
    k: int,
    labels: Labels,
) -> dict[str, dict[str, float]]:
    """Per preset ("intent|mood"): precision@k and nDCG@k of one strategy."""
    scores = {}
    for intent, mood in presets(labels):
        response = search(
            client, collection, encoder, intent=intent, mood=mood, top_k=k, strategy=strategy
        )
        grades = [
            grade(labels.get(r.video_id, (None, None)), intent, mood) for r in response.results
        ]
        scores[f"{intent}|{mood}"] = _scores(grades, labels, intent, mood, k)
    return scores


def evaluate_similar(
    client: QdrantClient, collection: str, k: int, labels: Labels
) -> dict[str, float]:
    """precision@k and nDCG@k of `similar([video])`, judged by the video's own intent and mood."""
    totals = []
    for video_id, (intent, mood) in labels.items():
        if not (intent and mood):
            continue
        results = similar(client, collection, [video_id], top_k=k).results
        grades = [grade(labels.get(r.video_id, (None, None)), intent, mood) for r in results]
        others = {key: value for key, value in labels.items() if key != video_id}
        totals.append(_scores(grades, others, intent, mood, k))
    return _mean(totals)


def _mean(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {"precision_at_k": 0.0, "ndcg_at_k": 0.0}
    return {name: round(sum(r[name] for r in rows) / len(rows), 4) for name in rows[0]}


def best_strategy(strategies: dict[str, dict[str, float]]) -> str:
    """The strategy with the highest nDCG@k; precision@k breaks ties, then the simpler strategy.

    (With no negative examples, `recommend_average` ranks exactly as `weighted` with equal
    weights: the average of unit vectors points the same way as their sum.)
    """
    order = list(STRATEGIES)

    def rank(name: str) -> tuple[float, float, int]:
        scores = strategies[name]
        position = order.index(name) if name in order else len(order)
        return (scores["ndcg_at_k"], scores["precision_at_k"], -position)

    return max(strategies, key=rank)


def evaluate(
    client: QdrantClient,
    collection: str,
    encoder: QueryEncoder,
    k: int = 5,
    strategies: Sequence[str] | None = None,
    details: bool = False,
    include_similar: bool = False,
) -> dict[str, Any]:
    """precision@k and nDCG@k of every strategy over the intent x mood presets (`vidrec evaluate --json`).

    Shape: {"k", "default", "best", "model", "collection", "queries",
    "strategies": {name: {"precision_at_k", "ndcg_at_k"}}}, plus "presets" (per preset, when
    `details`) and "similar" (the `similar` recommender, when `include_similar`).
    """
    search_module.check_top_k(k)
    labels = video_labels(client, collection)
    names = list(strategies or STRATEGIES)
    for name in names:
        search_module.check_strategy(name)
    per_preset = {
        name: evaluate_strategy(client, collection, encoder, name, k, labels) for name in names
    }
    overall = {name: _mean(list(per_preset[name].values())) for name in names}
    report: dict[str, Any] = {
        "k": k,
        "default": search_module.DEFAULT,
        "best": best_strategy(overall),
        "model": encoder.model,
        "collection": collection,
        "queries": len(presets(labels)),
        "strategies": overall,
    }
    if details:
        report["presets"] = {
            name: {preset: {m: round(v, 4) for m, v in row.items()} for preset, row in rows.items()}
            for name, rows in per_preset.items()
        }
    if include_similar:
        report["similar"] = evaluate_similar(client, collection, k, labels)
    return report


def thresholds_from(
    hits: Iterable[tuple[float, bool]],
    high: float = 0.8,
    medium: float = 0.5,
    min_support: int = 10,
) -> dict[str, float | None]:
    """Score thresholds: the lowest score above which >= `high` (`medium`) of hits are relevant.

    `hits` are (score, fully relevant) pairs. A level no score reaches with at least
    `min_support` hits above it is None (that confidence is never given).
    """
    ranked = sorted(hits, key=lambda hit: hit[0], reverse=True)
    levels: dict[str, float | None] = {"high": None, "medium": None}
    relevant = 0
    for count, (score, is_relevant) in enumerate(ranked, 1):
        relevant += int(is_relevant)
        if count < min_support:
            continue
        for name, target in (("high", high), ("medium", medium)):
            if relevant / count >= target:
                levels[name] = round(score, 3)
    return levels


def scored_hits(
    client: QdrantClient,
    collection: str,
    encoder: QueryEncoder,
    strategy: str,
    depth: int,
    labels: Labels,
) -> list[tuple[float, bool]]:
    """(score, fully relevant) of the top `depth` results of every preset, for one strategy."""
    hits = []
    for intent, mood in presets(labels):
        response = search(
            client, collection, encoder, intent=intent, mood=mood, top_k=depth, strategy=strategy
        )
        hits += [(r.score, labels.get(r.video_id) == (intent, mood)) for r in response.results]
    return hits


def similar_hits(
    client: QdrantClient, collection: str, depth: int, labels: Labels
) -> list[tuple[float, bool]]:
    """(score, same intent and mood) of the top `depth` `similar` results of every labelled video."""
    hits = []
    for video_id, label in labels.items():
        if all(label):
            results = similar(client, collection, [video_id], top_k=depth).results
            hits += [(r.score, labels.get(r.video_id) == label) for r in results]
    return hits


def calibrate_confidence(
    client: QdrantClient,
    collection: str,
    encoder: QueryEncoder,
    depth: int = 20,
    high: float = 0.8,
    medium: float = 0.5,
) -> dict[str, dict[str, float | None]]:
    """Confidence thresholds per strategy (and for `similar`) from a labelled collection.

    Run it on your own labelled Marengo collection and pass the result to
    `search.register_thresholds(model, thresholds)`; the sample's thresholds are the constants
    in `search.CONFIDENCE_THRESHOLDS`.
    """
    labels = video_labels(client, collection)
    thresholds = {
        name: thresholds_from(
            scored_hits(client, collection, encoder, name, depth, labels), high, medium
        )
        for name in STRATEGIES
    }
    hits = similar_hits(client, collection, depth, labels)
    thresholds[search_module.SIMILAR_STRATEGY] = thresholds_from(hits, high, medium)
    return thresholds


def format_report(report: dict[str, Any]) -> str:
    """The evaluation as a small text table (one row per strategy, the default marked)."""
    k = report["k"]
    lines = [f"{'strategy':<20}{f'precision@{k}':>14}{f'nDCG@{k}':>10}"]
    rows = dict(report["strategies"])
    if "similar" in report:
        rows["similar (by video)"] = report["similar"]
    for name, scores in rows.items():
        mark = "  <- default" if name == report["default"] else ""
        lines.append(
            f"{name:<20}{scores['precision_at_k']:>14.3f}{scores['ndcg_at_k']:>10.3f}{mark}"
        )
    lines.append(
        f"({report['queries']} intent x mood presets, {report['model']}, {report['collection']})"
    )
    return "\n".join(lines)
