"""How good are the recommendations? Held-out precision@k and nDCG@k of every query strategy.

The judge is the labels: a result is fully relevant (grade 2) to an intent x mood preset when
the video has both that intent and that mood, partly relevant (grade 1) when it has one of
them, and not relevant (grade 0) otherwise. precision@k counts grade 2; nDCG@k uses the grades
(linear gain, log2 discount, as scikit-learn's `ndcg_score`).

Protocol: 2-fold cross-validation over the presets. They are shuffled with a fixed seed
(`SPLIT_SEED`) and halved; each strategy's settings (`TUNABLE`) are tuned on one half
(best mean nDCG@k) and scored on the other, then the halves swap, so every preset is scored
by settings that never saw it. The strategy with the best held-out nDCG@k is the model's
default (`queries.DEFAULTS`). The same labels calibrate the confidence levels of `results.py`.

Beside the strategies, the report holds comparison rows (`FUSIONS`): one `Prefetch` per label
merged by Qdrant's `FusionQuery` (notebook 04 builds them by hand). They are held out the same
way, and they lose to `weighted` and `contrast_video`, so `search` does not offer them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from .config import VidrecError
from .index import is_embedded
from .labels import INTENTS, MOODS
from .queries import QueryEncoder, default_strategy, part_vectors
from .query_input import STRATEGIES
from .results import Result, result_card
from .search import (
    FETCH_FACTOR,
    SIMILAR_STRATEGY,
    grouped_hits,
    search,
    searchable_collection,
    similar,
)
from .server_settings import search_params

#: Seed of the preset split (numpy's default_rng); fixed so the numbers can be re-run.
SPLIT_SEED = 12
_WEIGHTS = (0.45, 0.5, 0.55)
#: Comparison rows, not strategies: how Qdrant merges the label prefetches.
FUSIONS = {"fusion": models.Fusion.RRF, "dbsf": models.Fusion.DBSF}
_DEPTHS = (50, 100, 200, 400)
#: Settings each row tunes, and the values `cross_validate` tries (strategies: `queries.TUNING`;
#: `prefetch` is the depth of each fused prefetch).
TUNABLE: dict[str, dict[str, tuple[float, ...]]] = {
    "weighted": {"mood_weight": _WEIGHTS},
    "fusion": {"prefetch": _DEPTHS},
    "dbsf": {"prefetch": _DEPTHS},
    "contrast_video": {"mood_weight": _WEIGHTS, "temperature": (0.25, 0.5, 1.0)},
}
#: Confidence levels: the share of hits above a score that must be relevant.
LEVELS = {"high": 0.8, "medium": 0.5}
#: Fewest hits above a score to set a threshold there.
MIN_SUPPORT = 10
Labels = dict[str, tuple[str | None, str | None]]
Scores = dict[str, float]


def video_labels(client: QdrantClient, collection: str) -> Labels:
    """video_id -> (intent, mood) of every video-level point in the collection."""
    _, _, count = searchable_collection(client, collection)
    scope = models.FieldCondition(key="scope", match=models.MatchValue(value="video"))
    videos, fields = models.Filter(must=[scope]), ["video_id", "intent", "mood"]
    points, _ = client.scroll(collection, videos, limit=count, with_payload=fields)
    labels = {
        p.payload["video_id"]: (p.payload.get("intent"), p.payload.get("mood")) for p in points
    }
    if not any(intent and mood for intent, mood in labels.values()):
        raise VidrecError(
            f"collection {collection!r} has no videos labelled with an intent and a mood: "
            "evaluation needs labelled videos (the offline sample has them)"
        )
    return labels


def grade(label: tuple[str | None, str | None], intent: str, mood: str) -> int:
    """2 when intent and mood both match, 1 when one matches, 0 when none does."""
    return int(label[0] == intent) + int(label[1] == mood)


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


def best(candidates: Sequence[Mapping[str, float]]) -> int:
    """Index of the best mean scores: nDCG@k, then precision@k, then the first (the simpler)."""
    return max(
        range(len(candidates)),
        key=lambda i: (candidates[i]["ndcg_at_k"], candidates[i]["precision_at_k"], -i),
    )


@dataclass
class Judge:
    """Queries a labelled collection and grades the results by the labels (top k of each)."""

    client: QdrantClient
    collection: str
    encoder: QueryEncoder
    labels: Labels
    k: int = 5

    def scores(self, results: Sequence[Result], label: tuple[str, str], skip: str = "") -> Scores:
        """precision@k and nDCG@k of results for `label` (not counting the video `skip`)."""
        labels = {video: other for video, other in self.labels.items() if video != skip}
        grades = [grade(labels.get(r.video_id, (None, None)), *label) for r in results]
        all_grades = [grade(other, *label) for other in labels.values()]
        return {
            "precision_at_k": precision_at_k(grades, self.k),
            "ndcg_at_k": ndcg_at_k(grades, all_grades, self.k),
        }

    def preset_results(
        self, strategy: str, settings: Mapping[str, float] | None = None
    ) -> Iterator[tuple[tuple[str, str], list[Result]]]:
        """Each preset (intent, mood) with its results by one strategy (or comparison row) with
        given settings."""
        for intent, mood in presets(self.labels):
            if strategy in FUSIONS:
                yield (intent, mood), self.fused(strategy, intent, mood, settings or {})
                continue
            found = search(
                self.client, self.collection, self.encoder, intent=intent, mood=mood,
                top_k=self.k, strategy=strategy, settings=settings,
            )  # fmt: skip
            yield (intent, mood), found.results

    def fused(
        self, fusion: str, intent: str, mood: str, settings: Mapping[str, float]
    ) -> list[Result]:
        """The top k videos of one `Prefetch` per label (`prefetch` deep), merged by `fusion`."""
        params = None if is_embedded(self.client) else search_params()
        depth = max(int(settings.get("prefetch", 100)), self.k * FETCH_FACTOR)  # >= the fetch
        vectors = part_vectors(self.encoder, {"intent": intent, "mood": mood}).values()
        prefetch = [models.Prefetch(query=v.tolist(), limit=depth, params=params) for v in vectors]
        query = {"prefetch": prefetch, "query": models.FusionQuery(fusion=FUSIONS[fusion])}
        groups = grouped_hits(self.client, self.collection, self.k, None, query)
        model = self.encoder.model
        return [result_card(hits, hits[0].score, model, fusion) for hits in groups.values()]

    def similar(self, video_id: str, disliked: Sequence[str] = ()) -> list[Result]:
        """`similar([video_id], disliked)`."""
        found = similar(
            self.client, self.collection, [video_id], disliked, self.k, encoder=self.encoder
        )
        return found.results

    def cross_validate(self, strategy: str) -> dict[str, Any]:
        """Held-out scores of one strategy: tuned on each half of the presets, scored on the other.

        Returns {"held_out": {preset: scores}, "fold_settings": [settings per fold], "tuned":
        the settings best on all presets (what `queries.TUNING` ships)}.
        """
        tunable = TUNABLE.get(strategy, {})
        grid = [dict(zip(tunable, v, strict=True)) for v in itertools.product(*tunable.values())]
        runs = []  # per settings: preset "intent|mood" -> scores
        for settings in grid:
            found = self.preset_results(strategy, settings)
            runs.append({f"{i}|{m}": self.scores(results, (i, m)) for (i, m), results in found})

        def tuned_on(names: Sequence[str]) -> int:
            """Index of the settings with the best mean scores over the presets `names`."""
            means = [
                {m: np.mean([run[n][m] for n in names]) for m in run[names[0]]} for run in runs
            ]
            return best([{m: round(float(v), 9) for m, v in mean.items()} for mean in means])

        first, second = folds(list(runs[0]))
        held_out = {name: runs[tuned_on(first)][name] for name in second}
        held_out |= {name: runs[tuned_on(second)][name] for name in first}
        fold_settings = [grid[tuned_on(first)], grid[tuned_on(second)]]
        return {
            "held_out": held_out,
            "fold_settings": fold_settings,
            "tuned": grid[tuned_on(list(runs[0]))],
        }

    def evaluate_similar(self) -> dict[str, Any]:
        """`similar([video])` judged by the video's own intent and mood (leave-one-out), and
        "not this": for every video whose top k holds a wrong video, the first wrong one is
        marked as disliked and the query re-run; precision@k before and after, over those videos.
        """
        rows, before, after = {}, [], []
        for video_id, label in self.labels.items():
            if not all(label):
                continue
            found = self.similar(video_id)
            rows[video_id] = self.scores(found, label, skip=video_id)
            wrong = [r.video_id for r in found if self.labels.get(r.video_id) != label]
            if wrong:
                before.append(rows[video_id]["precision_at_k"])
                again = self.similar(video_id, wrong[:1])
                after.append(self.scores(again, label, skip=video_id)["precision_at_k"])
        not_this = {"videos": len(before), "precision_before": round(float(np.mean(before)), 4)}
        not_this["precision_after"] = round(float(np.mean(after)), 4)
        return {**summary(rows), "videos": len(rows), "not_this": not_this}


def evaluate(
    client: QdrantClient,
    collection: str,
    encoder: QueryEncoder,
    k: int = 5,
    include_similar: bool = False,
) -> dict[str, Any]:
    """Held-out precision@k and nDCG@k of every strategy over the presets (`vidrec evaluate --json`).

    Shape: {"k", "protocol", "split_seed", "folds", "default", "best", "model", "collection",
    "queries", "strategies": {name: {"precision_at_k", "ndcg_at_k", "zero_full_match",
    "tuned", "fold_settings"}}, "comparisons": {name: the same}}, plus "similar"
    (`Judge.evaluate_similar`, when `include_similar`). "best" is the strategy to make the
    default for this model (`queries.DEFAULTS`); comparison rows (`FUSIONS`) are not candidates.
    """
    judge = Judge(client, collection, encoder, video_labels(client, collection), k)
    overall, comparisons = {}, {}
    for name in [*STRATEGIES, *FUSIONS]:
        run = judge.cross_validate(name)
        rows = comparisons if name in FUSIONS else overall
        rows[name] = {**summary(run.pop("held_out")), **run}
    report: dict[str, Any] = {
        "k": k,
        "protocol": "2-fold cross-validation over the presets: tuned on one half, scored on the other",
        "split_seed": SPLIT_SEED,
        "folds": list(folds([f"{i}|{m}" for i, m in presets(judge.labels)])),
        "default": default_strategy(encoder.model),
        "best": list(overall)[best(list(overall.values()))],
        "model": encoder.model,
        "collection": collection,
        "queries": len(presets(judge.labels)),
        "strategies": overall,
        "comparisons": comparisons,
    }
    if include_similar:
        report["similar"] = judge.evaluate_similar()
    return report


def thresholds_from(hits: Iterable[tuple[float, bool]]) -> dict[str, float | None]:
    """Score thresholds per level: the lowest score above which LEVELS[level] of hits are relevant.

    `hits` are (score, fully relevant) pairs. A level no score reaches with at least
    MIN_SUPPORT hits above it is None (that confidence is never given).
    """
    ranked = sorted(hits, key=lambda hit: hit[0], reverse=True)
    levels: dict[str, float | None] = {"high": None, "medium": None}
    relevant = 0
    for count, (score, is_relevant) in enumerate(ranked, 1):
        relevant += int(is_relevant)
        if count < MIN_SUPPORT:
            continue
        for name, target in LEVELS.items():
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
    judge = Judge(client, collection, encoder, video_labels(client, collection), depth)
    thresholds = {}
    for name in STRATEGIES:
        found = judge.preset_results(name)
        hits = [(r.score, judge.labels.get(r.video_id) == label) for label, rs in found for r in rs]
        thresholds[name] = thresholds_from(hits)
    hits = [
        (r.score, judge.labels.get(r.video_id) == label)
        for video_id, label in judge.labels.items()
        if all(label)
        for r in judge.similar(video_id)
    ]
    thresholds[SIMILAR_STRATEGY] = thresholds_from(hits)
    return thresholds


def format_report(report: Mapping[str, Any]) -> str:
    """The evaluation as a small text table (one row per strategy, the default marked)."""
    k = report["k"]
    lines = [f"{'strategy':<20}{f'precision@{k}':>14}{f'nDCG@{k}':>10}{'zero-match':>12}"]
    rows = dict(report["strategies"])
    rows |= {f"{name} (comparison)": scores for name, scores in report["comparisons"].items()}
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
