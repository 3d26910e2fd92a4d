"""A collection's stored vectors per video, and label vectors seen through them: score statistics
read once, contrasts, profiles.

A cosine of 0.4 means little on its own: each label vector has its own typical score over a
collection. A sample of the collection's vectors, read once per collection (never per query),
gives every label its mean and spread, so scores become z-scores that can be compared and
combined. On top of them: a label's *contrast* (the label minus the other labels of its kind)
and a video's *profile* (its z-scores against every label).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from qdrant_client import QdrantClient, models

from .labels import PHRASES
from .query_input import UnknownVideoError
from .records import unit

#: Points read once per collection to estimate the score statistics of any vector.
SAMPLE_POINTS = 4096


@dataclass
class CollectionSample:
    """Vectors read once per collection, grouped per video.

    When `complete` (the collection fits in the sample), `segments` holds every vector of each
    video, and two-stage queries read a candidate's clips here instead of asking Qdrant.
    """

    points: np.ndarray
    segments: dict[str, np.ndarray]
    complete: bool
    #: The mean vector of each sampled video (its video-level and clip vectors), one per row.
    videos: np.ndarray = field(init=False, repr=False)
    #: The LabelSpace of each model seen through this sample, built on first use.
    spaces: dict[str, LabelSpace] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.videos = video_means(self.segments)

    def space(self, model: str | None, labels: np.ndarray) -> LabelSpace:
        """The label statistics of `model`'s label vectors over this sample (computed once)."""
        if str(model) not in self.spaces:
            self.spaces[str(model)] = LabelSpace(labels, self)
        return self.spaces[str(model)]


def video_means(segments: Mapping[str, np.ndarray]) -> np.ndarray:
    """The mean vector of each video's segments, one row per video."""
    return np.asarray([rows.mean(axis=0) for rows in segments.values()])


_SAMPLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def stored_segments(
    client: QdrantClient,
    collection: str,
    video_ids: Sequence[str] | None = None,
    limit: int | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The stored vectors (one per row), and them per video: every point of `video_ids`, or
    only the first `limit` points."""
    flt, records, offset = None, [], None
    if video_ids is not None:
        match = models.MatchAny(any=list(video_ids))
        flt = models.Filter(must=[models.FieldCondition(key="video_id", match=match)])
    while True:
        page, offset = client.scroll(collection, flt, limit=limit or 512, offset=offset,
                                     with_payload=["video_id"], with_vectors=True)  # fmt: skip
        records += page
        if offset is None or limit:
            break
    vectors = np.asarray([record.vector for record in records], dtype=np.float32)
    owners = np.asarray([str((record.payload or {}).get("video_id")) for record in records])
    return vectors, {owner: vectors[owners == owner] for owner in dict.fromkeys(owners)}


def video_segments(
    client: QdrantClient, collection: str, video_ids: Sequence[str], sample: CollectionSample
) -> dict[str, np.ndarray]:
    """Every stored vector (video-level and clips) of each of `video_ids`, one row per segment."""
    if not video_ids:  # an empty MatchAny would still scan the whole collection
        return {}
    found = sample.segments  # the whole collection is in a complete sample: no request
    if not sample.complete:
        found = stored_segments(client, collection, video_ids)[1]
    missing = [video_id for video_id in video_ids if video_id not in found]
    if missing:
        raise UnknownVideoError(
            f"unknown video id(s) {', '.join(map(repr, missing))} in {collection!r}: use the "
            "video_id of a search result (`vidrec search --intent kids`) or a catalog id "
            "from data/catalog/*.json"
        )
    return {video_id: found[video_id] for video_id in video_ids}


def collection_sample(client: QdrantClient, collection: str, points: int) -> CollectionSample:
    """Up to SAMPLE_POINTS vectors of the collection, read once (again when it grows)."""
    cache = _SAMPLES.setdefault(client, {})
    if (collection, points) not in cache:
        vectors, segments = stored_segments(client, collection, limit=SAMPLE_POINTS)
        cache[(collection, points)] = CollectionSample(vectors, segments, len(vectors) == points)
    return cache[(collection, points)]


def standardize(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`values` as z-scores of the distribution of `reference`."""
    return (values - reference.mean()) / (reference.std() or 1.0)


class LabelSpace:
    """Every label vector of one model (intents then moods), with its statistics in a collection."""

    def __init__(self, labels: np.ndarray, sample: CollectionSample) -> None:
        self.labels, self.sample = labels, sample
        video_scores = sample.videos @ labels.T
        self.video_mean = video_scores.mean(axis=0)
        # A one-video collection has no spread: leave its scores unscaled rather than divide by 0.
        self.point_std = np.fmax((sample.points @ labels.T).std(axis=0), 1e-6)
        self.video_std = np.fmax(video_scores.std(axis=0), 1e-6)

    @staticmethod
    def rows(kind: str) -> slice:
        """The rows of a label kind in `labels`."""
        start = 0 if kind == "intent" else len(PHRASES["intent"])
        return slice(start, start + len(PHRASES[kind]))

    def contrast(self, kind: str, name: str) -> np.ndarray:
        """The label minus the mean of the other labels of its kind, each over its spread.

        "musical" then means "more musical than comedy, action, ... are", which the shared
        tone of every cartoon description cannot fake.
        """
        scaled = self.labels[self.rows(kind)] / self.point_std[self.rows(kind), None]
        index = list(PHRASES[kind]).index(name)
        others = (scaled.sum(axis=0) - scaled[index]) / (len(scaled) - 1)
        return unit(scaled[index] - others)

    def z(self, means: np.ndarray) -> np.ndarray:
        """z-scores of videos (mean vectors, one per row) against every label."""
        return (means @ self.labels.T - self.video_mean) / self.video_std

    def share(self, kind: str, name: str, means: np.ndarray, temperature: float) -> np.ndarray:
        """Per video, the log of the label's softmax share among the labels of its kind."""
        scores = self.z(means)[:, self.rows(kind)] / temperature
        top = scores.max(axis=1, keepdims=True)
        total = np.log(np.exp(scores - top).sum(axis=1)) + top[:, 0]
        return scores[:, list(PHRASES[kind]).index(name)] - total

    def profile(self, means: np.ndarray) -> np.ndarray:
        """Unit label profiles of videos: how far above its mean each label scores, per row."""
        profiles = self.z(np.atleast_2d(means))
        return profiles / np.fmax(np.linalg.norm(profiles, axis=1, keepdims=True), 1e-12)
