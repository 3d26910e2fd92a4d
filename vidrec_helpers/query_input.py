"""What a query may contain: labels, texts, filters, sizes and ids, checked with clear errors."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from qdrant_client import models

from .config import VidrecError
from .labels import INTENTS, MOODS, check_label
from .samples import SAMPLE_MODEL

MAX_TOP_K = 100
DEFAULT_LIMIT = 10
#: Longest query text per model, in characters. all-MiniLM-L6-v2 reads 256 word pieces (about
#: 1,000 characters) and silently drops the rest; the TwelveLabs SDK documents 500 tokens for a
#: Marengo 3.0 text and 2,000 for Marengo 3.5 (at roughly 4 characters a token).
TEXT_LIMITS: dict[str, int] = {SAMPLE_MODEL: 1000, "marengo3.0": 2000, "marengo3.5": 8000}
DEFAULT_TEXT_LIMIT = 1000


class SearchError(VidrecError):
    """A search or recommendation could not run."""


class InvalidQueryError(SearchError):
    """The query itself is wrong (empty, unknown label, too long, bad top_k or filter)."""


class ModelMismatchError(SearchError):
    """The query model or dimension differs from the collection's."""


def model_key(model: str | None) -> str:
    """A model name without an organisation prefix, e.g. `sentence-transformers/all-MiniLM-L6-v2`."""
    return (model or "").rsplit("/", 1)[-1]


def text_limit(model: str) -> int:
    """The longest query text, in characters, the model reads in full."""
    return TEXT_LIMITS.get(model_key(model), DEFAULT_TEXT_LIMIT)


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
        if isinstance(value, Filters) or value is None:
            return value or cls()
        unknown = set(value) - {"intent", "mood", "min_duration", "max_duration"}
        if unknown:
            raise InvalidQueryError(
                f"unknown filter(s) {', '.join(sorted(unknown))}: "
                "use intent, mood, min_duration, max_duration"
            )
        return cls(**value)

    def validate(self) -> Filters:
        """Check labels and the duration range; return self."""
        for kind in ("intent", "mood"):
            if getattr(self, kind) is not None:
                checked_label(kind, getattr(self, kind))
        for name in ("min_duration", "max_duration"):
            value = getattr(self, name)
            finite = isinstance(value, (int, float)) and math.isfinite(value)
            if value is not None and (isinstance(value, bool) or not finite or value < 0):
                raise InvalidQueryError(f"{name} must be a number of seconds >= 0, got {value!r}")
        low, high = self.min_duration, self.max_duration
        if low is not None and high is not None and low > high:
            raise InvalidQueryError(f"min_duration ({low}) is larger than max_duration ({high})")
        return self

    def to_qdrant(self) -> models.Filter | None:
        """A `models.Filter` of these conditions; None when nothing is filtered."""
        must: list[models.Condition] = [
            models.FieldCondition(key=key, match=models.MatchValue(value=getattr(self, key)))
            for key in ("intent", "mood")
            if getattr(self, key) is not None
        ]
        if self.min_duration is not None or self.max_duration is not None:
            bounds = models.Range(gte=self.min_duration, lte=self.max_duration)
            must.append(models.FieldCondition(key="duration", range=bounds))
        return models.Filter(must=must) if must else None

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


def checked_label(kind: str, value: object) -> str:
    """`value` if it is a known intent (mood), else an InvalidQueryError listing them."""
    try:
        return check_label(kind, value)
    except VidrecError as error:
        raise InvalidQueryError(str(error)) from None


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


def query_parts(
    intent: str | None,
    mood: str | None,
    keywords: str | Sequence[str] | None,
    text: str | None,
    limit: int = DEFAULT_TEXT_LIMIT,
) -> dict[str, str]:
    """The validated parts of a query: {"intent": label, "mood": label, "keywords": ..., "text": ...}."""
    parts = {kind: checked_label(kind, v) for kind, v in (("intent", intent), ("mood", mood)) if v}
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


def check_top_k(top_k: object) -> int:
    """`top_k` if it is a whole number from 1 to MAX_TOP_K, else a clear error."""
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise InvalidQueryError(
            f"top_k must be a whole number from 1 to {MAX_TOP_K}, got {top_k!r}"
        )
    return top_k


def check_ids(name: str, ids: object) -> list[str]:
    if isinstance(ids, str) or not isinstance(ids, Sequence):
        raise InvalidQueryError(f"{name} must be a list of video ids, got {ids!r}")
    if not all(isinstance(item, str) and item.strip() for item in ids):
        raise InvalidQueryError(f"{name} must hold non-empty video id texts")
    return list(dict.fromkeys(item.strip() for item in ids))
