"""The Flask search API of the original tutorial, hardened: validated JSON in, JSON out.

`POST /search` answers exactly as the original tutorial's API did (a bare JSON array of results),
so its Next.js front end works unchanged. vidrec's richer answers (strategy, timing, filters)
live under `/api/v1/`: `search`, `similar`, `health`, `labels`. `GET /` lists the routes.
Bad input gets a 4xx that says what is wrong; an unexpected failure gets a 500 with a request id
(the detail goes to the log, secrets masked), never the exception text. POST bodies must be JSON
(415 otherwise: a page on another site cannot send one without a CORS preflight), and the `Host`
header must name this machine or an allowed host (a DNS-rebinding page cannot read results).
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask import Flask, g, jsonify, request
from flask_cors import CORS
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from vidrec_standins.background import BackgroundServer

from .config import VidrecError, mask_secrets
from .embeddings import EmbeddingError
from .index import is_embedded
from .labels import INTENTS, MOODS
from .queries import default_strategy
from .query_input import (
    STRATEGIES,
    Checked,
    InvalidQueryError,
    ModelMismatchError,
    SearchQuery,
    SimilarQuery,
    UnknownVideoError,
)
from .search import EmptyCollectionError
from .session import Session, open_session

logger = logging.getLogger(__name__)

#: Largest request body (bytes): a search request is a few hundred bytes.
MAX_CONTENT_LENGTH = 16 * 1024
#: Browsers may call the API from pages on this machine only, unless told otherwise.
DEFAULT_CORS_ORIGINS = [re.compile(r"^https?://(localhost|127\.0\.0\.1)(:\d+)?$")]
#: `Host` names always accepted: this machine. A deployed server adds its own (`--allowed-host`).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
#: Where vidrec's richer answers live.
API_PREFIX = "/api/v1"


class BadRequest(Exception):
    """A request body that is not what the route expects (`details`: one line per problem)."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message, self.details = message, list(details)


def parse_body(model: type[Checked], **options: Any) -> Any:
    """The request's JSON body checked by `model` (JSON names; `options`: `Checked.check`'s),
    or a BadRequest saying what is wrong."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # the json module gives up on `[[[...` thousands deep
        raise BadRequest("the JSON body is nested too deeply: send a flat JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest(f"the body must be a JSON object, e.g. {model.example}")
    try:
        return model.check(body, by_alias=True, **options)
    except InvalidQueryError as error:
        raise BadRequest(f"invalid request: {error}", error.details) from None


def _error(status: int, message: str, **extra: Any) -> tuple[Any, int]:
    return jsonify({"error": message, "request_id": g.get("request_id"), **extra}), status


#: The HTTP status of each kind of learner-facing error; any other VidrecError is a 422.
_STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (InvalidQueryError, 400),
    (UnknownVideoError, 404),
    (ModelMismatchError, 409),
    (EmptyCollectionError, 503),
    (EmbeddingError, 502),  # TwelveLabs refused or failed
)


def _register_errors(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def bad_request(error: BadRequest):
        return _error(400, error.message, details=error.details)

    @app.errorhandler(VidrecError)
    def vidrec_error(error: VidrecError):
        status = next((status for kind, status in _STATUSES if isinstance(error, kind)), 422)
        return _error(status, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        message = error.description or error.name
        if error.code == 413:
            message = f"the request body is larger than {MAX_CONTENT_LENGTH} bytes"
        return _error(error.code or 500, message)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        where = f"{request.method} {request.path}"
        logger.error("request %s %s failed: %s", g.get("request_id"), where, mask_secrets(detail))
        return _error(500, "internal error: the server log has the details under this request id")


def tutorial_results(response: Any) -> list[dict[str, Any]]:
    """The original tutorial's answer: a bare list of results, `filename` always a string."""
    return [{**result.to_dict(), "filename": result.filename or ""} for result in response.results]


def full_answer(response: Any) -> dict[str, Any]:
    """vidrec's answer: results (as in the tutorial's) with strategy, timing, query, filters."""
    return {**response.to_dict(), "results": tutorial_results(response)}


def host_name(header: str) -> str:
    """The name in a `Host` header: `example.com:5000` -> `example.com`, `[::1]:5000` -> `::1`."""
    name = header[1:].partition("]")[0] if header.startswith("[") else header.partition(":")[0]
    return name.lower()


def _check_request(allowed_hosts: frozenset[str]) -> tuple[Any, int] | None:
    """Refuse a foreign `Host` (400) and a POST body that is not JSON (415)."""
    header = request.headers.get("Host", "")
    # werkzeug's TRUSTED_HOSTS cannot express an IPv6 address such as [::1], hence this check.
    if host_name(header) not in allowed_hosts:
        return _error(
            400,
            f"Host {header[:100]!r} is not allowed: this server answers to "
            f"{', '.join(sorted(allowed_hosts))}; start it with `vidrec serve --allowed-host NAME` "
            "to accept the name a deployed front end uses",
        )
    if request.method == "POST" and not request.is_json:
        sent = f"got {request.mimetype or 'no Content-Type'}"
        return _error(415, f"send the body as JSON with Content-Type: application/json ({sent})")
    return None


def create_app(
    session: Session | None = None,
    *,
    cors_origins: Sequence[str | re.Pattern[str]] | None = None,
    allowed_hosts: Iterable[str] = (),
) -> Flask:
    """The search API as a Flask app, searching through `session` (default: `open_session`).

    CORS allows `cors_origins` (default: http(s)://localhost and 127.0.0.1 on any port; never
    `*`); `Host` may name this machine or one of `allowed_hosts`. The API never ingests: an
    empty collection answers 503.
    """
    session = session or open_session(ingest_if_empty=False)
    lock = threading.Lock() if is_embedded(session.client) else contextlib.nullcontext()
    hosts = frozenset(LOCAL_HOSTS) | {host_name(name) for name in allowed_hosts}

    app = Flask(__name__, static_folder=None)  # JSON only: no /static route
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.json.sort_keys = False
    origins = list(cors_origins) if cors_origins is not None else DEFAULT_CORS_ORIGINS
    CORS(app, origins=origins, methods=["GET", "POST", "OPTIONS"], allow_headers=["Content-Type"])
    _register_errors(app)

    @app.before_request
    def check_request():
        g.request_id = uuid.uuid4().hex[:12]
        return _check_request(hosts)

    @app.after_request
    def tag_response(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    _add_routes(app, session, lock)
    return app


def _add_routes(app: Flask, session: Session, lock: Any) -> None:
    """The tutorial's `/search`, vidrec's `/api/v1/...` routes, and the index at `/`."""

    @app.get("/")
    def index():
        routes = [
            f"{' '.join(sorted(rule.methods - {'HEAD', 'OPTIONS'}))} {rule.rule}"
            for rule in app.url_map.iter_rules()
        ]
        return jsonify({"name": "vidrec search API", "routes": sorted(routes)})

    @app.get(f"{API_PREFIX}/health")
    def health():
        with lock:
            status = session.status()
            videos = session.point_count(scope="video") if status["points"] else 0
        ready = "ok" if status["points"] else "empty: run `vidrec ingest` first"
        extra = {"dimension": session.encoder.dimension, "videos": videos}
        default = default_strategy(session.encoder.model)
        return jsonify({"status": ready, **status, **extra, "default_strategy": default})

    @app.get(f"{API_PREFIX}/labels")
    def labels():
        labels = {"intents": INTENTS, "moods": MOODS, "strategies": STRATEGIES}
        return jsonify({**labels, "default_strategy": default_strategy(session.encoder.model)})

    def run_search() -> Any:
        query = parse_body(SearchQuery, max_chars=session.encoder.max_text_chars)
        with lock:
            return session.search(**query.model_dump(exclude_none=True))

    @app.post("/search")
    def tutorial_search():
        return jsonify(tutorial_results(run_search()))

    @app.post(f"{API_PREFIX}/search")
    def search_route():
        return jsonify(full_answer(run_search()))

    @app.post(f"{API_PREFIX}/similar")
    def similar_route():
        query = parse_body(SimilarQuery).model_dump(exclude_none=True)
        with lock:
            return jsonify(full_answer(session.similar(**query)))


def start_background_server(app: Flask, port: int = 0) -> tuple[str, Callable[[], None]]:
    """Serve `app` on 127.0.0.1 from a thread (port 0: any free port); returns URL and stop."""
    server = BackgroundServer(app, port=port, name="vidrec-api")
    return server.start(), server.stop


def serve(
    host: str = "127.0.0.1", port: int = 5000, session: Session | None = None, **app_options: Any
) -> None:
    """Run the API until Ctrl+C (`vidrec serve`). It has no authentication: keep it on 127.0.0.1.

    What a first request would wait for (the text model, offline the local S3 server) is loaded
    before the server listens: the original front end gives up after 15 s. `app_options` go to
    `create_app` (cors_origins, allowed_hosts).
    """
    session = session or open_session(ingest_if_empty=False)
    app = create_app(session=session, **app_options)
    for ready in session.warm_up():
        print(f"ready: {ready}", file=sys.stderr, flush=True)
    if host not in LOCAL_HOSTS:
        logger.warning("serving on %s: anyone who can reach this address can query the API", host)
    server = make_server(host, port, app, threaded=True)
    print(f"vidrec API on http://{host}:{server.server_port} (Ctrl+C to stop)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.server_close()
