"""Evaluation of the query strategies and calibration of the confidence levels on the sample."""

from __future__ import annotations

import numpy as np
import pytest
from qdrant_client import QdrantClient, models
from sklearn.metrics import ndcg_score

from vidrec_helpers import evaluate as evaluate_module
from vidrec_helpers.config import VidrecError
from vidrec_helpers.evaluate import (
    FUSIONS,
    SPLIT_SEED,
    TUNABLE,
    Judge,
    best,
    calibrate_confidence,
    evaluate,
    folds,
    format_report,
    grade,
    ndcg_at_k,
    precision_at_k,
    thresholds_from,
    video_labels,
)
from vidrec_helpers.index import ensure_collection
from vidrec_helpers.queries import DEFAULTS, TUNING, default_strategy
from vidrec_helpers.query_input import STRATEGIES
from vidrec_helpers.results import CONFIDENCE_THRESHOLDS
from vidrec_helpers.samples import SAMPLE_DIMENSION, SAMPLE_MODEL
from vidrec_helpers.search import SIMILAR_STRATEGY
from vidrec_helpers.server_settings import SEARCH_EF


@pytest.fixture(scope="module")
def report(sample, encoder):
    client, name = sample
    return evaluate(client, name, encoder, k=5, include_similar=True)


@pytest.fixture(scope="module")
def judge(sample, encoder):
    client, name = sample
    return Judge(client, name, encoder, video_labels(client, name))


@pytest.fixture(scope="module")
def held_out(judge):
    """Held-out scores per preset of two strategies (what the report averages)."""
    return {name: judge.cross_validate(name)["held_out"] for name in ("baseline", "weighted")}


def test_report_shape(report, held_out):
    assert report["k"] == 5 and report["split_seed"] == SPLIT_SEED
    assert report["default"] == default_strategy(SAMPLE_MODEL)
    assert report["model"] == SAMPLE_MODEL
    assert report["queries"] == 30
    assert set(report["strategies"]) == set(STRATEGIES)
    assert set(report["comparisons"]) == set(FUSIONS)
    rows = [*report["strategies"].values(), *report["comparisons"].values(), report["similar"]]
    for scores in rows:
        assert 0.0 <= scores["precision_at_k"] <= 1.0
        assert 0.0 < scores["ndcg_at_k"] <= 1.0
    for rows in held_out.values():
        assert len(rows) == 30 and "kids|musical" in rows
    assert report["similar"]["videos"] == 188


def test_report_as_a_table(report):
    table = format_report(report)
    assert "precision@5" in table and "<- default" in table and "not this" in table
    assert len(table.splitlines()) == len(STRATEGIES) + len(FUSIONS) + 4
    assert "dbsf (comparison)" in table


def test_folds_split_the_presets_in_two_fixed_halves(report, held_out):
    first, second = report["folds"]
    assert len(first) == len(second) == 15
    assert sorted(first + second) == sorted(held_out["baseline"])
    assert folds(first + second, SPLIT_SEED) == folds(first + second, SPLIT_SEED)
    assert folds(first + second, SPLIT_SEED + 1) != folds(first + second, SPLIT_SEED)


def test_scores_are_held_out(judge, report, held_out):
    """Each half is scored with the settings tuned on the other half."""
    first, second = report["folds"]
    tuned_on_first = report["strategies"]["weighted"]["fold_settings"][0]
    found = dict(judge.preset_results("weighted", tuned_on_first))
    for preset in second:
        intent, mood = preset.split("|")
        grades = [grade(judge.labels[r.video_id], intent, mood) for r in found[intent, mood]]
        ndcg = ndcg_at_k(grades, [grade(label, intent, mood) for label in judge.labels.values()], 5)
        assert held_out["weighted"][preset]["ndcg_at_k"] == pytest.approx(ndcg, abs=1e-4)


def test_default_is_the_held_out_best(report):
    strategies = report["strategies"]
    assert report["best"] == list(strategies)[best(list(strategies.values()))]
    assert DEFAULTS[SAMPLE_MODEL] == report["best"] == report["default"]


def test_shipped_settings_are_the_tuned_ones(report):
    assert set(TUNING[SAMPLE_MODEL]) == set(TUNABLE) - set(FUSIONS)
    for name in TUNING[SAMPLE_MODEL]:
        assert TUNING[SAMPLE_MODEL][name] == report["strategies"][name]["tuned"], name


def test_fused_comparisons_lose_to_the_default(report):
    """Why `fusion` and `dbsf` are comparison rows, not strategies `search` offers."""
    default = report["strategies"][report["default"]]
    for name, scores in report["comparisons"].items():
        assert scores["ndcg_at_k"] < default["ndcg_at_k"], name
        assert scores["precision_at_k"] < default["precision_at_k"], name
        assert scores["tuned"]["prefetch"] in TUNABLE[name]["prefetch"]


@pytest.mark.filterwarnings("ignore:Local mode performs exact")  # it ignores search_params
def test_fused_prefetches_use_the_planned_beam_and_reach_the_fetch(judge, monkeypatch):
    """On a Qdrant server each prefetch gets `hnsw_ef=SEARCH_EF`; no prefetch is shallower than
    the points fetched (a fused list cannot be longer than its prefetches)."""
    calls = []
    original = judge.client.query_points
    monkeypatch.setattr(
        judge.client, "query_points", lambda *a, **k: calls.append(k) or original(*a, **k)
    )
    found = judge.fused("dbsf", "kids", "musical", {"prefetch": 10})
    assert len(found) == judge.k and all(p.params is None for p in calls[-1]["prefetch"])
    assert [p.limit for p in calls[-1]["prefetch"]] == [calls[-1]["limit"]] * 2
    monkeypatch.setattr(evaluate_module, "is_embedded", lambda client: False)
    judge.fused("fusion", "kids", "musical", {"prefetch": 400})
    assert [p.limit for p in calls[-1]["prefetch"]] == [400, 400]
    assert all(p.params.hnsw_ef == SEARCH_EF for p in calls[-1]["prefetch"])
    assert calls[-1]["query"].fusion == models.Fusion.RRF


def test_default_meets_the_target_on_held_out_presets(report):
    scores = report["strategies"][report["default"]]
    assert scores["precision_at_k"] >= 0.6
    assert scores["zero_full_match"] == 0
    baseline = report["strategies"]["baseline"]
    assert scores["ndcg_at_k"] > baseline["ndcg_at_k"]


def test_not_this_feedback_helps_similar(report):
    not_this = report["similar"]["not_this"]
    assert not_this["videos"] > 100
    assert not_this["precision_after"] > not_this["precision_before"]


@pytest.mark.parametrize("strategy", ["baseline", "weighted"])
def test_overall_is_the_mean_of_the_presets(report, held_out, strategy):
    rows = held_out[strategy].values()
    mean = np.mean([row["precision_at_k"] for row in rows])
    assert report["strategies"][strategy]["precision_at_k"] == pytest.approx(mean, abs=1e-4)
    zero = sum(row["precision_at_k"] == 0 for row in rows)
    assert report["strategies"][strategy]["zero_full_match"] == zero


def test_best_breaks_ties_by_precision_then_order():
    tied = {"precision_at_k": 0.5, "ndcg_at_k": 0.7}
    assert best([tied, tied]) == 0
    assert best([tied, {**tied, "ndcg_at_k": 0.8}]) == 1
    assert best([tied, {**tied, "precision_at_k": 0.6}, {**tied, "precision_at_k": 0.6}]) == 1


def test_grades():
    assert grade(("kids", "musical"), "kids", "musical") == 2
    assert grade(("kids", "comedy"), "kids", "musical") == 1
    assert grade(("family", "musical"), "kids", "musical") == 1
    assert grade(("family", "comedy"), "kids", "musical") == 0


def test_precision_counts_full_matches_and_missing_results():
    assert precision_at_k([2, 1, 2, 0, 2], 5) == pytest.approx(0.6)
    assert precision_at_k([2, 2], 5) == pytest.approx(0.4)


def test_ndcg_agrees_with_scikit_learn():
    all_grades = [2, 2, 1, 1, 1, 0, 0, 0, 2, 0]
    ranking = [3, 0, 5, 8, 1]  # indices of the retrieved items, best first
    grades = [all_grades[i] for i in ranking]
    scores = np.zeros(len(all_grades))
    scores[ranking] = np.arange(len(ranking), 0, -1)
    expected = ndcg_score([all_grades], [scores], k=5)
    assert ndcg_at_k(grades, all_grades, 5) == pytest.approx(expected)
    assert ndcg_at_k([2, 2, 2, 1, 1], all_grades, 5) == pytest.approx(1.0)


def test_thresholds_from_hits():
    hits = [(0.9 - i * 0.01, i < 12) for i in range(20)] + [
        (0.5 - i * 0.01, i % 2 == 0) for i in range(20)
    ]
    levels = thresholds_from(hits)  # high: 80 %, medium: 50 %, at least 10 hits
    assert levels["high"] == pytest.approx(0.9 - 14 * 0.01)  # 12 of the top 15 = 80 %
    assert levels["medium"] == pytest.approx(0.5 - 19 * 0.01)  # all 40: 22 relevant = 55 %
    assert thresholds_from([(0.9, False)] * 30) == {"high": None, "medium": None}


def test_confidence_constants_match_a_fresh_calibration(sample, encoder):
    client, name = sample
    fresh = calibrate_confidence(client, name, encoder)
    stored = CONFIDENCE_THRESHOLDS[SAMPLE_MODEL]
    assert set(fresh) == set(stored) == {*STRATEGIES, SIMILAR_STRATEGY}
    assert stored[SIMILAR_STRATEGY]["medium"] is not None  # not always "low"
    for strategy, levels in fresh.items():
        for level, value in levels.items():
            if value is None or stored[strategy][level] is None:
                assert value == stored[strategy][level], (strategy, level, value)
            else:
                assert value == pytest.approx(stored[strategy][level], abs=1e-3), (strategy, level)


def test_evaluation_needs_labelled_videos(encoder):
    client = QdrantClient(location=":memory:")
    ensure_collection(client, "unlabelled", SAMPLE_MODEL, SAMPLE_DIMENSION)
    payload = {"video_id": "v1", "scope": "video", "intent": None, "mood": None, "duration": 5.0}
    vector = np.ones(SAMPLE_DIMENSION) / np.sqrt(SAMPLE_DIMENSION)
    client.upsert("unlabelled", [models.PointStruct(id=1, vector=vector.tolist(), payload=payload)])
    with pytest.raises(VidrecError, match="labelled"):
        evaluate(client, "unlabelled", encoder)
