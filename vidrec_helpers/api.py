"""The Flask search API of the original tutorial, hardened: validated JSON in, JSON out.

Routes: `GET /api/health`, `GET /api/labels`, `POST /search` and `POST /similar` (also under
`/api/`). Bad input gets a 400 that says what is wrong; an unexpected failure gets a 500 with a
request id (the detail goes to the log, secrets masked), never the exception text.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import traceback
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, g, jsonify, request
from flask_cors import CORS
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from qdrant_client import QdrantClient
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from .config import SecretMaskingFilter, Settings, VidrecError, get_settings, mask_secrets
from .embeddings import EmbeddingError
from .index import collection_name, connect, count_points, is_embedded
from .labels import INTENTS, MOODS
from .search import (
    DEFAULT,
    MAX_EXAMPLE_IDS,
    MAX_TOP_K,
    STRATEGIES,
    EmptyCollectionError,
    InvalidQueryError,
    ModelMismatchError,
    QueryEncoder,
    UnknownVideoError,
)
from .session import Session, open_session

logger = logging.getLogger(__name__)
logger.addFilter(SecretMaskingFilter())

#: Largest request body (bytes): a search request is a few hundred bytes.
MAX_CONTENT_LENGTH = 16 * 1024
#: Longest query or keywords text accepted by the API (each model may allow less).
MAX_QUERY_CHARS = 2000
#: Browsers may call the API from pages on this machine only, unless told otherwise.
DEFAULT_CORS_ORIGINS: list[str | re.Pattern[str]] = [
    re.compile(r"^https?://(localhost|127\.0\.0\.1)(:\d+)?$")
]


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


class BadRequest(Exception):
    """A request body that is not what the route expects."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


def _problem(error: dict[str, Any], model: type[BaseModel]) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "body"
    if error["type"] == "extra_forbidden":
        fields = ", ".join(f.alias or name for name, f in model.model_fields.items())
        return f"unknown field {where!r}: the fields are {fields}"
    return f"{where}: {error['msg']}"


def parse_body(model: type[BaseModel]) -> Any:
    """The request's JSON body validated by `model`, or a BadRequest saying what is wrong."""
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        example = '{"intent": "kids", "mood": "musical", "top_k": 5}'
        if model is SimilarBody:
            example = '{"video_ids": ["kids-musical-1"], "top_k": 5}'
        raise BadRequest(f"the body must be a JSON object, e.g. {example}")
    try:
        return model.model_validate(body)
    except ValidationError as error:
        details = [_problem(item, model) for item in error.errors(include_url=False)]
        raise BadRequest("invalid request: " + "; ".join(details), details) from None


def _error(status: int, message: str, **extra: Any) -> tuple[Any, int]:
    return jsonify({"error": message, "request_id": g.get("request_id"), **extra}), status


def _status_of(error: VidrecError) -> int:
    if isinstance(error, InvalidQueryError):
        return 400
    if isinstance(error, UnknownVideoError):
        return 404
    if isinstance(error, ModelMismatchError):
        return 409
    if isinstance(error, EmptyCollectionError):
        return 503
    if isinstance(error, EmbeddingError):  # TwelveLabs refused or failed
        return 502
    return 422


def _register_errors(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def bad_request(error: BadRequest):
        return _error(400, error.message, details=error.details)

    @app.errorhandler(VidrecError)
    def vidrec_error(error: VidrecError):
        return _error(_status_of(error), str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        message = error.description or error.name
        if error.code == 413:
            message = f"the request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes"
        return _error(error.code or 500, message)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        logger.error(
            "request %s %s %s failed: %s",
            g.get("request_id"),
            request.method,
            request.path,
            mask_secrets(detail),
        )
        return _error(500, "internal error: the server log has the details under this request id")


def _search_arguments(body: SearchBody) -> dict[str, Any]:
    filters = body.filters.model_dump(exclude_none=True) if body.filters else None
    return {
        "intent": body.intent,
        "mood": body.mood,
        "keywords": body.keywords,
        "text": body.query,
        "top_k": body.top_k,
        "strategy": body.strategy,
        "filters": filters,
        "avoid": body.not_,
    }


def app_session(
    settings: Settings | None = None,
    *,
    client: QdrantClient | None = None,
    collection: str | None = None,
    encoder: QueryEncoder | Any | None = None,
) -> Session:
    """The Session the API searches through; anything not given comes from the settings.

    The API never ingests on its own: an empty collection answers 503 "run `vidrec ingest`".
    """
    settings = settings or get_settings()
    if client is None and collection is None and encoder is None:
        return open_session(settings, ingest_if_empty=False)
    if encoder is None:
        from .embeddings import make_embedder

        encoder = make_embedder(settings)
    if not isinstance(encoder, QueryEncoder):
        encoder = QueryEncoder(encoder)
    client = client or connect(settings)
    collection = collection or collection_name(encoder.model, encoder.dimension)
    return Session(settings, client, encoder.embedder, encoder, collection)


def create_app(
    settings: Settings | None = None,
    *,
    client: QdrantClient | None = None,
    collection: str | None = None,
    encoder: QueryEncoder | Any | None = None,
    session: Session | None = None,
    cors_origins: Sequence[str | re.Pattern[str]] | None = None,
    max_content_length: int = MAX_CONTENT_LENGTH,
) -> Flask:
    """The search API as a Flask app, searching through `session` (or one made by `app_session`).

    `encoder` may be a QueryEncoder or an embedder (wrapped in one). CORS allows
    `cors_origins` (default: http(s)://localhost and 127.0.0.1 on any port; never `*`).
    """
    session = session or app_session(
        settings, client=client, collection=collection, encoder=encoder
    )
    settings, client, collection = session.settings, session.client, session.collection
    encoder = session.encoder
    lock = threading.Lock() if is_embedded(client) else contextlib.nullcontext()

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = max_content_length
    app.json.sort_keys = False
    origins = list(cors_origins) if cors_origins is not None else DEFAULT_CORS_ORIGINS
    CORS(app, origins=origins, methods=["GET", "POST", "OPTIONS"], allow_headers=["Content-Type"])
    _register_errors(app)

    @app.before_request
    def assign_request_id():
        g.request_id = uuid.uuid4().hex[:12]

    @app.after_request
    def tag_response(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    @app.get("/api/health")
    def health():
        with lock:
            points = count_points(client, collection)
            videos = count_points(client, collection, scope="video") if points else 0
        return jsonify(
            {
                "status": "ok" if points else "empty: run `vidrec ingest` first",
                "mode": settings.mode,
                "model": encoder.model,
                "dimension": encoder.dimension,
                "collection": collection,
                "points": points,
                "videos": videos,
                "default_strategy": DEFAULT,
            }
        )

    @app.get("/api/labels")
    def labels():
        return jsonify(
            {
                "intents": INTENTS,
                "moods": MOODS,
                "strategies": STRATEGIES,
                "default_strategy": DEFAULT,
            }
        )

    @app.post("/search")
    @app.post("/api/search")
    def search_route():
        body = parse_body(SearchBody)
        with lock:
            response = session.search(**_search_arguments(body))
        return jsonify(response.to_dict())

    @app.post("/similar")
    @app.post("/api/similar")
    def similar_route():
        body = parse_body(SimilarBody)
        filters = body.filters.model_dump(exclude_none=True) if body.filters else None
        with lock:
            response = session.similar(body.video_ids, body.not_, top_k=body.top_k, filters=filters)
        return jsonify(response.to_dict())

    return app


def start_background_server(
    app: Flask, host: str = "127.0.0.1", port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Serve `app` from a thread (port 0: any free port); returns its URL and a stop function."""
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="vidrec-api", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    return f"http://{host}:{server.server_port}", stop


def serve(
    host: str = "127.0.0.1",
    port: int = 5000,
    settings: Settings | None = None,
    app: Flask | None = None,
) -> None:
    """Run the API until Ctrl+C (`vidrec serve`). It has no authentication: keep it on 127.0.0.1."""
    app = app or create_app(settings)
    if host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning("serving on %s: anyone who can reach this address can query the API", host)
    server = make_server(host, port, app, threaded=True)
    print(f"vidrec API on http://{host}:{server.server_port} (Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
