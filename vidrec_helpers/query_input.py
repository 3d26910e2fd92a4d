"""What a query may hold, as pydantic models: the one definition `search`, `similar` and the API use.

Field names are `search`'s and `similar`'s parameter names; the API's JSON names (`query`, `not`,
`video_ids`) are their aliases. Unknown fields and wrong types are errors (strict: `"5"` is not a
number). A bad query raises InvalidQueryError, one line per problem in its `details`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from qdrant_client import models

from .config import VidrecError
from .labels import INTENTS, MOODS
from .samples import SAMPLE_MODEL

if TYPE_CHECKING:
    from typing_extensions import Self

MAX_TOP_K = 100
DEFAULT_LIMIT = 10
#: Most videos one query may name (`similar`: liked + disliked; `search`: avoided).
MAX_EXAMPLE_IDS = 20
#: Longest query text per model, in characters. all-MiniLM-L6-v2 reads 256 word pieces (about
#: 1,000 characters) and silently drops the rest; the TwelveLabs SDK documents 500 tokens for a
#: Marengo 3.0 text and 2,000 for Marengo 3.5 (at roughly 4 characters a token).
TEXT_LIMITS: dict[str, int] = {SAMPLE_MODEL: 1000, "marengo3.0": 2000, "marengo3.5": 8000}
DEFAULT_TEXT_LIMIT = 1000
#: Query strategies: name -> what it does. Every one accepts intent, mood, keywords and text.
STRATEGIES: dict[str, str] = {
    "baseline": 'the original demo: one string, Recommend: "<intent description>" videos "<mood>"',
    "weighted": "one vector: unit(w_intent*v_intent + w_mood*v_mood + v_keywords + v_text)",
    "contrast_video": "contrasted labels find candidates; each video is then scored by all its clips",
}


class SearchError(VidrecError):
    """A search or recommendation could not run."""


class InvalidQueryError(SearchError):
    """The query itself is wrong (empty, unknown label, too long, bad top_k or filter)."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.details = list(details) or [message]


class ModelMismatchError(SearchError):
    """The query model or dimension differs from the collection's."""


class UnknownVideoError(SearchError):
    """A video id given to `similar` (or to avoid) is not in the collection."""


def model_key(model: str | None) -> str:
    """A model name without an organisation prefix, e.g. `sentence-transformers/all-MiniLM-L6-v2`."""
    return (model or "").rsplit("/", 1)[-1]


def text_limit(model: str) -> int:
    """The longest query text, in characters, the model reads in full."""
    return TEXT_LIMITS.get(model_key(model), DEFAULT_TEXT_LIMIT)


Intent = Literal[tuple(INTENTS)]  # type: ignore[valid-type]
Mood = Literal[tuple(MOODS)]  # type: ignore[valid-type]
Strategy = Literal[tuple(STRATEGIES)]  # type: ignore[valid-type]
TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K)]
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
VideoId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: A list (or tuple) of video ids, stripped, duplicates dropped.
VideoIds = Annotated[
    list[VideoId],
    Field(strict=False, max_length=MAX_EXAMPLE_IDS),
    AfterValidator(lambda ids: list(dict.fromkeys(ids))),
]


class Checked(BaseModel):
    """Strict, no unknown fields; `check` turns a ValidationError into an InvalidQueryError."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_by_name=True)
    #: Shown when an API body is not a JSON object.
    example: ClassVar[str] = '{"intent": "kids", "mood": "musical", "top_k": 5}'

    @classmethod
    def check(
        cls, data: Mapping[str, Any], *, by_alias: bool = False, max_chars: int = DEFAULT_TEXT_LIMIT
    ) -> Self:
        """`data` validated (by the API's JSON names when `by_alias`), texts up to `max_chars`."""
        context = {"max_chars": max_chars}
        try:
            return cls.model_validate(
                data, by_alias=by_alias, by_name=not by_alias, context=context
            )
        except ValidationError as error:
            details = [_problem(item, cls, by_alias) for item in error.errors(include_url=False)]
            raise InvalidQueryError("; ".join(details), details) from None


def _problem(error: Mapping[str, Any], model: type[BaseModel], by_alias: bool) -> str:
    """One line for one validation error: where, then what is wrong."""
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        fields = (Filters if len(error["loc"]) > 1 else model).model_fields.items()
        names = ", ".join((f.alias if by_alias and f.alias else name) for name, f in fields)
        return f"unknown field {where!r}: the fields are {names}"
    message = error["msg"].removeprefix("Value error, ")  # a check's own message
    return f"{where}: {message}" if where else message


class Filters(Checked, frozen=True):
    """Conditions every result must meet: an intent, a mood, a duration range (seconds)."""

    intent: Intent | None = None
    mood: Mood | None = None
    min_duration: Seconds | None = None
    max_duration: Seconds | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Filters:
        low, high = self.min_duration, self.max_duration
        if low is not None and high is not None and low > high:
            raise ValueError(f"min_duration ({low}) is larger than max_duration ({high})")
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
        return self.model_dump(exclude_none=True)


class SearchQuery(Checked):
    """`{"query": "..."}` or `{"intent", "mood", "keywords", "top_k"}`, plus strategy, filters
    and `not` (video ids to steer away from)."""

    text: str | None = Field(default=None, alias="query")
    intent: Intent | None = None
    mood: Mood | None = None
    keywords: str | Annotated[list[str], Field(strict=False)] | None = None
    top_k: TopK = DEFAULT_LIMIT
    strategy: Strategy | None = None
    filters: Filters | None = None
    avoid: VideoIds = Field(default_factory=list, alias="not")

    @field_validator("keywords", "text")
    @classmethod
    def _clean(cls, value: str | list[str] | None, info: ValidationInfo) -> str | None:
        """Keywords joined by commas, white space collapsed, at most the model's characters."""
        if isinstance(value, list):
            value = ", ".join(item.strip() for item in value if item.strip())
        value = " ".join((value or "").split())
        limit = (info.context or {}).get("max_chars", DEFAULT_TEXT_LIMIT)
        if len(value) > limit:
            raise ValueError(
                f"{len(value)} characters; the model reads at most {limit}: shorten it"
            )
        return value or None

    @model_validator(mode="after")
    def _not_empty(self) -> SearchQuery:
        if not self.parts:
            raise ValueError(
                "empty query: give an intent, a mood, keywords or a text (e.g. intent='kids', "
                f"mood='musical'; intents: {', '.join(INTENTS)}; moods: {', '.join(MOODS)})"
            )
        return self

    @property
    def parts(self) -> dict[str, str]:
        """The parts given: {"intent": label, "mood": label, "keywords": ..., "text": ...}."""
        parts = {name: getattr(self, name) for name in ("intent", "mood", "keywords", "text")}
        return {name: value for name, value in parts.items() if value}


class SimilarQuery(Checked):
    """`{"video_ids": [...], "not": [...], "top_k": 10}`: more like these, not like those."""

    example: ClassVar[str] = '{"video_ids": ["kids-musical-1"], "top_k": 5}'
    positive_ids: VideoIds = Field(alias="video_ids", min_length=1)
    negative_ids: VideoIds = Field(default_factory=list, alias="not")
    top_k: TopK = DEFAULT_LIMIT
    filters: Filters | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SimilarQuery:
        both = ", ".join(sorted(set(self.positive_ids) & set(self.negative_ids)))
        if both:
            raise ValueError(f"video id(s) {both} are both liked and disliked")
        if len(self.positive_ids) + len(self.negative_ids) > MAX_EXAMPLE_IDS:
            raise ValueError(f"give at most {MAX_EXAMPLE_IDS} video ids in total")
        return self
