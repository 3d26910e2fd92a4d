"""Notebook 00, exercise 1: the estimated bill for embedding some minutes of video."""

from __future__ import annotations


def embedding_cost(minutes: float, rates: dict) -> float:
    """Dollars to embed `minutes` of video: the Embed video rate if published, else Marengo's."""
    if minutes < 0:
        raise ValueError(f"minutes must be 0 or more, not {minutes}")
    per_minute = rates.get("embed_video_per_minute")
    if per_minute is None:
        per_minute = rates["marengo_video_per_minute"]
    return minutes * per_minute
