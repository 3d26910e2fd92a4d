"""What a query may hold, as pydantic models: the one definition of the limits the API accepts.

The limits come from `search` (MAX_TOP_K, MAX_EXAMPLE_IDS, the longest text a model reads, the
strategies) and the labels from `labels`. Field names are `search`'s and `similar`'s parameter
names; the API's JSON names (`query`, `not`, `video_ids`) are their aliases. Unknown fields and
wrong types are errors (strict: `"5"` is not a number).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .labels import INTENTS, MOODS
from .query_input import TEXT_LIMITS
from .search import DEFAULT_LIMIT, MAX_EXAMPLE_IDS, MAX_TOP_K, STRATEGIES

Intent = Literal[tuple(INTENTS)]  # type: ignore[valid-type]
Mood = Literal[tuple(MOODS)]  # type: ignore[valid-type]
Strategy = Literal[tuple(STRATEGIES)]  # type: ignore[valid-type]
#: Longest query or keywords text of any model (a model may read less: `search` checks it).
MAX_QUERY_CHARS = max(TEXT_LIMITS.values())


class Query(BaseModel):
    """Strict, no unknown fields; `example` is shown when a body is not a JSON object."""

    model_config = ConfigDict(extra="forbid", strict=True)
    example: ClassVar[str] = '{"intent": "kids", "mood": "musical", "top_k": 5}'


class FiltersBody(Query):
    """Optional conditions every result must meet."""

    intent: Intent | None = None
    mood: Mood | None = None
    min_duration: float | None = Field(default=None, ge=0)
    max_duration: float | None = Field(default=None, ge=0)


class SearchBody(Query):
    """`{"query": "..."}` or `{"intent", "mood", "keywords", "top_k"}`, plus strategy, filters
    and `not` (video ids to steer away from)."""

    text: str | None = Field(default=None, alias="query", max_length=MAX_QUERY_CHARS)
    intent: Intent | None = None
    mood: Mood | None = None
    keywords: str | list[str] | None = Field(default=None, max_length=MAX_QUERY_CHARS)
    top_k: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_TOP_K)
    strategy: Strategy | None = None
    filters: FiltersBody | None = None
    avoid: list[str] = Field(default_factory=list, alias="not", max_length=MAX_EXAMPLE_IDS)


class SimilarBody(Query):
    """`{"video_ids": [...], "not": [...], "top_k": 10}`: more like these, not like those."""

    example: ClassVar[str] = '{"video_ids": ["kids-musical-1"], "top_k": 5}'
    positive_ids: list[str] = Field(alias="video_ids", min_length=1, max_length=MAX_EXAMPLE_IDS)
    negative_ids: list[str] = Field(default_factory=list, alias="not", max_length=MAX_EXAMPLE_IDS)
    top_k: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_TOP_K)
    filters: FiltersBody | None = None
