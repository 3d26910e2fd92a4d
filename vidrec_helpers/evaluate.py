"""How good are the recommendations? Held-out precision@k and nDCG@k of every query strategy.

The judge is the labels: a result is fully relevant (grade 2) to an intent x mood preset when
the video has both that intent and that mood, partly relevant (grade 1) when it has one of
them, and not relevant (grade 0) otherwise. precision@k counts grade 2; nDCG@k uses the grades
(linear gain, log2 discount, as scikit-learn's `ndcg_score`).

Protocol: 2-fold cross-validation over the presets. They are shuffled with a fixed seed
(`SPLIT_SEED`) and halved; each strategy's settings (`TUNABLE`) are tuned on one half
(best mean nDCG@k) and scored on the other, then the halves swap, so every preset is scored
by settings that never saw it. The strategy with the best held-out nDCG@k is the model's
default (`queries.DEFAULTS`). The same labels calibrate the confidence levels of `search.py`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from .config import VidrecError
from .labels import INTENTS, MOODS
from .queries import QueryEncoder, default_strategy
from .query_input import STRATEGIES
from .search import SIMILAR_STRATEGY, Result, check_collection, search, similar

#: Seed of the preset split (numpy's default_rng); fixed so the numbers can be re-run.
SPLIT_SEED = 12
_WEIGHTS = (0.45, 0.5, 0.55)
#: Settings each strategy tunes, and the values `cross_validate` tries (`queries.TUNING`).
TUNABLE: dict[str, dict[str, tuple[float, ...]]] = {
    "weighted": {"mood_weight": _WEIGHTS},
    "fusion": {"prefetch": (50, 100, 200, 400)},
    "dbsf": {"prefetch": (50, 100, 200, 400)},
    "contrast_video": {"mood_weight": _WEIGHTS, "temperature": (0.25, 0.5, 1.0)},
}
Labels = dict[str, tuple[str | None, str | None]]
Scores = dict[str, float]


def video_labels(client: QdrantClient, collection: str) -> Labels:
    """video_id -> (intent, mood) of every video-level point in the collection."""
    _, _, count = check_collection(client, collection)
    scope = models.FieldCondition(key="scope", match=models.MatchValue(value="video"))
    fields = ["video_id", "intent", "mood"]
    points, _ = client.scroll(
        collection, models.Filter(must=[scope]), limit=count, with_payload=fields
    )
    labels: Labels = {}
    for point in points:
        payload = point.payload or {}
        labels[payload["video_id"]] = (payload.get("intent"), payload.get("mood"))
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
    present = set(labels.values())
    return [(i, m) for i in INTENTS for m in MOODS if (i, m) in present]


def _scores(results: Sequence[Result], labels: Labels, label: tuple[str, str], k: int) -> Scores:
    grades = [grade(labels.get(r.video_id, (None, None)), *label) for r in results]
    all_grades = [grade(other, *label) for other in labels.values()]
    return {
        "precision_at_k": precision_at_k(grades, k),
        "ndcg_at_k": ndcg_at_k(grades, all_grades, k),
    }


def preset_results(
    client: QdrantClient,
    collection: str,
    encoder: QueryEncoder,
    strategy: str,
    k: int,
    labels: Labels,
    settings: Mapping[str, float] | None = None,
) -> Iterator[tuple[tuple[str, str], list[Result]]]:
    """Each preset (intent, mood) with the top k results of one strategy with given settings."""
    for intent, mood in presets(labels):
        found = search(
            client, collection, encoder, intent=intent, mood=mood, top_k=k,
            strategy=strategy, settings=settings,
        )  # fmt: skip
        yield (intent, mood), found.results


def summary(rows: Mapping[str, Scores]) -> dict[str, float]:
    """Mean precision@k and nDCG@k, and how many rows have no full match in their top k."""
    values = list(rows.values())
    means = {m: round(float(np.mean([r[m] for r in values])), 4) for m in values[0]}
    return {**means, "zero_full_match": sum(r["precision_at_k"] == 0 for r in values)}


def folds(names: Sequence[str], seed: int = SPLIT_SEED) -> tuple[list[str], list[str]]:
    """The two halves of `names` after a shuffle with `seed` (each half keeps the given order)."""
    order = np.random.default_rng(seed).permutation(len(names))
    half = len(names) // 2
    return [names[i] for i in sorted(order[:half])], [names[i] for i in sorted(order[half:])]


def settings_grid(strategy: str) -> list[dict[str, float]]:
    """Every combination of the strategy's tunable settings ([{}] when it has none)."""
    grid = TUNABLE.get(strategy, {})
    return [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]


def best(candidates: Sequence[Mapping[str, float]]) -> int:
    """Index of the best mean scores: nDCG@k, then precision@k, then the first (the simpler)."""
    return max(
        range(len(candidates)),
        key=lambda i: (candidates[i]["ndcg_at_k"], candidates[i]["precision_at_k"], -i),
    )


def _best_run(runs: Sequence[Mapping[str, Scores]], names: Sequence[str]) -> int:
    """Index of the run with the best mean scores over the presets `names`."""
    means = [
        {m: round(float(np.mean([run[n][m] for n in names])), 9) for m in run[names[0]]}
        for run in runs
    ]
    return best(means)


def cross_validate(
    client: QdrantClient,
    collection: str,
    encoder: QueryEncoder,
    strategy: str,
    k: int,
    labels: Labels,
) -> dict[str, Any]:
    """Held-out scores of one strategy: tuned on each half of the presets, scored on the other.

    Returns {"held_out": {preset: scores}, "fold_settings": [settings per fold], "tuned":
    the settings best on all presets (what `queries.TUNING` ships)}.
    """
    grid = settings_grid(strategy) or [None]
    runs = []  # per settings: preset "intent|mood" -> scores
    for settings in grid:
        found = preset_results(client, collection, encoder, strategy, k, labels, settings)
        runs.append({f"{i}|{m}": _scores(results, labels, (i, m), k) for (i, m), results in found})
    first, second = folds(list(runs[0]))
    held_out: dict[str, Scores] = {}
    chosen = []
    for tune, test in ((first, second), (second, first)):
        index = _best_run(runs, tune)
        chosen.append(grid[index] or {})
        held_out.update({name: runs[index][name] for name in test})
    tuned = grid[_best_run(runs, list(runs[0]))] or {}
    return {"held_out": held_out, "fold_settings": chosen, "tuned": tuned}


def evaluate_similar(
    client: QdrantClient,
    collection: str,
    k: int,
    labels: Labels,
    encoder: QueryEncoder | None = None,
) -> dict[str, Any]:
    """`similar([video])` judged by the video's own intent and mood (leave-one-out), and "not this".

    "not this": for every video whose top k holds a wrong video, the first wrong one is marked
    as disliked and the query re-run; precision@k before and after, over those videos.
    """
    rows, before, after = {}, [], []
    for video_id, label in labels.items():
        if not all(label):
            continue
        others = {key: value for key, value in labels.items() if key != video_id}
        found = similar(client, collection, [video_id], top_k=k, encoder=encoder).results
        rows[video_id] = _scores(found, others, label, k)
        wrong = [r.video_id for r in found if labels.get(r.video_id) != label]
        if wrong:
            again = similar(client, collection, [video_id], wrong[:1], top_k=k, encoder=encoder)
            before.append(rows[video_id]["precision_at_k"])
            after.append(_scores(again.results, others, label, k)["precision_at_k"])
    not_this = {"videos": len(before), "precision_before": round(float(np.mean(before)), 4)}
    not_this["precision_after"] = round(float(np.mean(after)), 4)
    return {**summary(rows), "videos": len(rows), "not_this": not_this}


def evaluate(
    client: QdrantClient,
    collection: str,
    encoder: QueryEncoder,
    k: int = 5,
    details: bool = False,
    include_similar: bool = False,
) -> dict[str, Any]:
    """Held-out precision@k and nDCG@k of every strategy over the presets (`vidrec evaluate --json`).

    Shape: {"k", "protocol", "split_seed", "folds", "default", "best", "model", "collection",
    "queries", "strategies": {name: {"precision_at_k", "ndcg_at_k", "zero_full_match",
    "tuned", "fold_settings"}}}, plus "presets" (held-out scores per preset, when `details`)
    and "similar" (`evaluate_similar`, when `include_similar`). "best" is the strategy to
    make the default for this model (`queries.DEFAULTS`).
    """
    labels = video_labels(client, collection)
    held_out, overall = {}, {}
    for name in STRATEGIES:
        run = cross_validate(client, collection, encoder, name, k, labels)
        held_out[name] = run.pop("held_out")
        overall[name] = {**summary(held_out[name]), **run}
    report: dict[str, Any] = {
        "k": k,
        "protocol": "2-fold cross-validation over the presets: tuned on one half, scored on the other",
        "split_seed": SPLIT_SEED,
        "folds": list(folds([f"{i}|{m}" for i, m in presets(labels)])),
        "default": default_strategy(encoder.model),
        "best": list(overall)[best(list(overall.values()))],
        "model": encoder.model,
        "collection": collection,
        "queries": len(presets(labels)),
        "strategies": overall,
    }
    if details:
        report["presets"] = {
            name: {p: {m: round(v, 4) for m, v in row.items()} for p, row in rows.items()}
            for name, rows in held_out.items()
        }
    if include_similar:
        report["similar"] = evaluate_similar(client, collection, k, labels, encoder)
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


def calibrate_confidence(
    client: QdrantClient, collection: str, encoder: QueryEncoder, depth: int = 20
) -> dict[str, dict[str, float | None]]:
    """Confidence thresholds per strategy (and for `similar`) from a labelled collection.

    Hits are the top `depth` results of every preset (of every video for `similar`). Run it on
    your own labelled Marengo collection (`vidrec evaluate --calibrate`) and pass the result to
    `results.register_thresholds(model, thresholds)`; the sample's are in
    `results.CONFIDENCE_THRESHOLDS`.
    """
    labels = video_labels(client, collection)
    thresholds = {}
    for name in STRATEGIES:
        hits = [
            (r.score, labels.get(r.video_id) == label)
            for label, found in preset_results(client, collection, encoder, name, depth, labels)
            for r in found
        ]
        thresholds[name] = thresholds_from(hits)
    hits = []
    for video_id, label in labels.items():
        if all(label):
            found = similar(client, collection, [video_id], top_k=depth, encoder=encoder)
            hits += [(r.score, labels.get(r.video_id) == label) for r in found.results]
    thresholds[SIMILAR_STRATEGY] = thresholds_from(hits)
    return thresholds


def format_report(report: Mapping[str, Any]) -> str:
    """The evaluation as a small text table (one row per strategy, the default marked)."""
    k = report["k"]
    lines = [f"{'strategy':<20}{f'precision@{k}':>14}{f'nDCG@{k}':>10}{'zero-match':>12}"]
    rows = dict(report["strategies"])
    if "similar" in report:
        rows["similar (by video)"] = report["similar"]
    for name, scores in rows.items():
        mark = "  <- default" if name == report["default"] else ""
        lines.append(
            f"{name:<20}{scores['precision_at_k']:>14.3f}{scores['ndcg_at_k']:>10.3f}"
            f"{scores['zero_full_match']:>12}{mark}"
        )
    if "similar" in report:
        nt = report["similar"]["not_this"]
        lines.append(
            f"similar + 'not this' on the first wrong result ({nt['videos']} videos): "
            f"precision@{k} {nt['precision_before']:.3f} -> {nt['precision_after']:.3f}"
        )
    lines.append(
        f"(held out: {report['protocol']}, seed {report['split_seed']}; {report['queries']} "
        f"intent x mood presets, {report['model']}, {report['collection']}; zero-match = "
        "presets (videos for similar) with no full match in the top k)"
    )
    return "\n".join(lines)
