"""The bodies the search API accepts, as pydantic models: unknown fields and wrong types are 400s."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .search import MAX_EXAMPLE_IDS, MAX_TOP_K

#: Longest query or keywords text accepted by the API (each model may allow less).
MAX_QUERY_CHARS = 2000


class FiltersBody(BaseModel):
    """Optional conditions every result must meet."""

    model_config = ConfigDict(extra="forbid", strict=True)

    intent: str | None = None
    mood: str | None = None
    min_duration: float | None = Field(default=None, ge=0)
    max_duration: float | None = Field(default=None, ge=0)


class SearchBody(BaseModel):
    """`{"query": "..."}` or `{"intent", "mood", "keywords", "top_k"}`, plus strategy, filters
    and `not` (video ids to steer away from)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    query: str | None = Field(default=None, max_length=MAX_QUERY_CHARS)
    intent: str | None = None
    mood: str | None = None
    keywords: str | list[str] | None = Field(default=None, max_length=MAX_QUERY_CHARS)
    top_k: int = Field(default=10, ge=1, le=MAX_TOP_K)
    strategy: str | None = None
    filters: FiltersBody | None = None
    not_: list[str] = Field(default_factory=list, alias="not", max_length=MAX_EXAMPLE_IDS)


class SimilarBody(BaseModel):
    """`{"video_ids": [...], "not": [...], "top_k": 10}`: more like these, not like those."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    video_ids: list[str] = Field(min_length=1, max_length=MAX_EXAMPLE_IDS)
    not_: list[str] = Field(default_factory=list, alias="not", max_length=MAX_EXAMPLE_IDS)
    top_k: int = Field(default=10, ge=1, le=MAX_TOP_K)
    filters: FiltersBody | None = None
