"""Notebook 04, exercise 1: which query strategy finds the most videos with both labels?"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from vidrec_helpers.query_input import STRATEGIES


def both_labels(results: Iterable[Any], intent: str, mood: str) -> int:
    """How many results carry the asked intent and mood."""
    return sum(1 for result in results if result.intent == intent and result.mood == mood)


def best_strategy(
    search: Callable[..., Any], intent: str, mood: str, top_k: int = 5
) -> tuple[str, int]:
    """(strategy, matches) with the most top-`top_k` results labelled intent + mood; first wins ties."""
    counts = {
        strategy: both_labels(
            search(intent=intent, mood=mood, strategy=strategy, top_k=top_k).results, intent, mood
        )
        for strategy in STRATEGIES
    }
    best = max(counts, key=lambda strategy: counts[strategy])
    return best, counts[best]
