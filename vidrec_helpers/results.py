"""Result cards: one recommended video with its moment, score and a confidence that means something."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from qdrant_client import models

from .query_input import model_key
from .samples import SAMPLE_MODEL

#: Score thresholds per model and strategy, from `evaluate.calibrate_confidence` on the
#: labelled sample (top 20 results of each preset; `similar`: of each video).
CONFIDENCE_THRESHOLDS: dict[str, dict[str, dict[str, float | None]]] = {
    SAMPLE_MODEL: {
        "baseline": {"high": None, "medium": None},
        "weighted": {"high": None, "medium": 0.487},
        "contrast_video": {"high": 1.752, "medium": 0.994},
        "similar": {"high": 0.917, "medium": 0.777},
    },
}
#: What the levels mean, in one line for a result list.
CONFIDENCE_NOTE = (
    "confidence: high = at least 80 % of labelled results scoring this high matched intent and "
    "mood, medium = at least 50 %, low = fewer; uncalibrated = no labelled data for this model"
)


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
    #: What the results' confidence levels mean, for whoever shows them.
    confidence_note: str = CONFIDENCE_NOTE

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


def result_card(
    hits: list[models.ScoredPoint], score: float, model: str | None, how: str
) -> Result:
    """A result card from a video's hits (best first): the best clip is its moment, else the
    whole video."""
    payload = hits[0].payload or {}
    duration = payload.get("duration")
    clip = next((hit.payload for hit in hits if (hit.payload or {}).get("scope") == "clip"), {})
    start = clip.get("start_sec", 0.0)
    end = clip.get("end_sec", duration if duration is not None else payload.get("end_sec", 0.0))
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


def group_by_video(points: Sequence[models.ScoredPoint]) -> dict[str, list[models.ScoredPoint]]:
    """Hits per video_id, best video first, each video's hits best first (as Qdrant's groups)."""
    groups: dict[str, list[models.ScoredPoint]] = {}
    for point in sorted(points, key=lambda point: point.score, reverse=True):
        groups.setdefault(str((point.payload or {}).get("video_id")), []).append(point)
    return groups
