"""A local HTTP server that speaks TwelveLabs Embed API v2, for tests and benchmarks.

The real `twelvelabs` SDK talks to it unchanged: point the client's `base_url` (or the
`TWELVELABS_BASE_URL` variable) at `FakeTwelveLabs().base_url`. The shapes follow the SDK's
own models (twelvelabs/embed/v_2/ raw clients, twelvelabs/types/): tasks are created with
`POST /v1.3/embed-v2/tasks`, polled with `GET /v1.3/embed-v2/tasks/{id}`, and text is embedded
synchronously with `POST /v1.3/embed-v2`. Faults are injectable: slow tasks, failed tasks,
429 with Retry-After, 500s and malformed JSON, each counted so a test can assert on them.

    with FakeTwelveLabs(processing_seconds=0.2) as fake:
        client = TwelveLabs(api_key="any", base_url=fake.base_url)
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

import numpy as np
from flask import Flask, Response, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

API_PREFIX = "/v1.3"
MODELS = ("marengo3.0", "marengo3.5")
#: Text limits from twelvelabs/types/text_input_request.py (3.0) and multi_input_request.py (3.5).
TEXT_TOKEN_LIMITS = {"marengo3.0": 500, "marengo3.5": 2000}
#: Default embedding options per model (twelvelabs/types/async_video_input_request.py).
DEFAULT_OPTIONS = {
    "marengo3.0": ["visual", "audio", "transcription"],
    "marengo3.5": ["visual", "audio"],
}


@dataclass
class FakeBehaviour:
    """How the fake server behaves; change fields at any time, they are read per request."""

    processing_seconds: float = 0.0  # time from task creation to `ready`
    jitter_seconds: float = 0.0  # +/- uniform jitter on processing time, seeded by the URL
    dimension: int = 512  # Marengo 3.x vectors are 512-d
    clip_seconds: float = 6.0  # clip length when the request sets no fixed segmentation
    default_duration: float = 20.0  # video duration when the URL has no ?duration=
    fail_urls: tuple[str, ...] = ()  # a task whose URL contains one of these ends `failed`
    failure_message: str = "failed to fetch or materialize source media"
    reject_urls: tuple[str, ...] = ()  # creating a task for such a URL gets 400 (not playable)
    reject_message: str = (
        "The video could not be played: check that the URL points to a video file."
    )
    rate_limited_requests: int = 0  # the first N matching requests get 429
    retry_after: str | None = "1"  # the Retry-After header of a 429 (seconds)
    server_error_requests: int = 0  # the next N matching requests get 500
    malformed_requests: int = 0  # the next N matching requests get broken JSON
    fault_endpoints: frozenset[str] = frozenset({"create", "retrieve", "text"})
    api_key: str | None = None  # when set, any other x-api-key gets 401
    seed: str = "vidrec"


@dataclass
class FakeTask:
    """One embedding task the fake server is 'processing'."""

    id: str
    url: str
    model: str
    created: float
    ready_at: float
    created_at: str
    duration: float
    clip_seconds: float
    options: list[str]
    scopes: list[str]
    dimension: int
    fails: bool
    data: list[dict] | None = field(default=None, repr=False)


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request."""

    def log(self, type: str, message: str, *args: object) -> None:  # noqa: A002
        pass


def _error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "details": {}}}
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _now_text() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FakeTwelveLabs:
    """A threaded Embed v2 server on 127.0.0.1; use as a context manager, read `.base_url`."""

    def __init__(self, behaviour: FakeBehaviour | None = None, **changes: object) -> None:
        known = {f.name for f in fields(FakeBehaviour)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown FakeBehaviour field(s): {', '.join(sorted(unknown))}")
        self.behaviour = behaviour or FakeBehaviour()
        for name, value in changes.items():
            setattr(self.behaviour, name, value)
        self.requests: Counter[str] = Counter()  # per endpoint: create, retrieve, text, other
        self.faults: Counter[str] = Counter()  # served: rate_limited, server_error, malformed
        self.statuses: Counter[str] = Counter()  # task statuses served by retrieve
        self.created_urls: list[str] = []
        self.request_bodies: list[dict] = []
        self.tasks: dict[str, FakeTask] = {}
        self.peak_processing = 0  # most tasks processing at once (seen at task creation)
        self._served = Counter()  # faults consumed so far, per kind
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.app = self._make_app()

    # ----- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to pass as the SDK's `base_url` (includes the /v1.3 prefix)."""
        if self._server is None:
            raise RuntimeError(
                "FakeTwelveLabs is not running: use it as a context manager or call start()"
            )
        return f"http://127.0.0.1:{self._server.server_port}{API_PREFIX}"

    def start(self) -> FakeTwelveLabs:
        """Start serving on a free port in a background thread."""
        self._server = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-twelvelabs",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the server and release its port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> FakeTwelveLabs:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ----- helpers for tests ------------------------------------------------------------------

    def fail_next(self, kind: str, count: int) -> None:
        """Serve `count` more faults of `kind` ('rate_limited', 'server_error', 'malformed')."""
        attribute = {
            "rate_limited": "rate_limited_requests",
            "server_error": "server_error_requests",
            "malformed": "malformed_requests",
        }[kind]
        with self._lock:
            setattr(self.behaviour, attribute, getattr(self.behaviour, attribute) + count)

    def vector(self, *parts: object) -> np.ndarray:
        """The deterministic unit vector the server returns for `parts` (full dimension)."""
        text = "|".join(str(p) for p in (self.behaviour.seed, *parts))
        seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
        values = np.random.default_rng(seed).standard_normal(self.behaviour.dimension)
        return values / np.linalg.norm(values)

    # ----- the HTTP app -----------------------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask("fake_twelvelabs")
        app.add_url_rule(
            f"{API_PREFIX}/embed-v2/tasks", "create", self._create_task, methods=["POST"]
        )
        app.add_url_rule(
            f"{API_PREFIX}/embed-v2/tasks/<task_id>",
            "retrieve",
            self._retrieve_task,
            methods=["GET"],
        )
        app.add_url_rule(f"{API_PREFIX}/embed-v2", "text", self._embed_sync, methods=["POST"])
        app.register_error_handler(
            404, lambda _error: _error(404, "not_found", "No such endpoint.")
        )
        app.register_error_handler(
            405, lambda _error: _error(405, "method_not_allowed", "Method not allowed.")
        )
        app.before_request(self._gate)
        return app

    def _gate(self) -> Response | None:
        """Count the request, check the key, and serve an injected fault if one is due."""
        endpoint = request.endpoint or "other"
        with self._lock:
            self.requests[endpoint] += 1
        key = request.headers.get("x-api-key", "")
        expected = self.behaviour.api_key
        if not key or (expected is not None and key != expected):
            return _error(401, "api_key_invalid", "The API key you provided is not valid.")
        if endpoint in self.behaviour.fault_endpoints:
            return self._fault()
        return None

    def _fault(self) -> Response | None:
        """The next injected fault (429, then 500, then malformed JSON), or None."""
        behaviour = self.behaviour
        with self._lock:
            if self._served["rate_limited"] < behaviour.rate_limited_requests:
                kind = "rate_limited"
            elif self._served["server_error"] < behaviour.server_error_requests:
                kind = "server_error"
            elif self._served["malformed"] < behaviour.malformed_requests:
                kind = "malformed"
            else:
                return None
            self._served[kind] += 1
            self.faults[kind] += 1
        if kind == "rate_limited":
            headers = (
                {"Retry-After": behaviour.retry_after}
                if behaviour.retry_after is not None
                else None
            )
            return _error(
                429, "too_many_requests", "You have exceeded the rate limit. Retry later.", headers
            )
        if kind == "server_error":
            return _error(500, "internal_error", "An internal error occurred. Please try again.")
        return Response('{"_id": "broken", "status": ', status=200, mimetype="application/json")

    def _create_task(self) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, "parameter_invalid", "The request body is not valid JSON.")
        with self._lock:
            self.request_bodies.append(body)
        problem = self._check_task_request(body)
        if problem:
            return _error(400, "parameter_invalid", problem)
        task = self._new_task(body)
        with self._lock:
            self.tasks[task.id] = task
            self.created_urls.append(task.url)
            processing = sum(1 for t in self.tasks.values() if t.ready_at > task.created)
            self.peak_processing = max(self.peak_processing, processing)
        return _json({"_id": task.id, "status": "processing", "data": None}, status=202)

    def _check_task_request(self, body: dict) -> str | None:
        """Why a create request is invalid (as the real API would say), or None."""
        model = body.get("model_name")
        if body.get("input_type") != "video":
            return "This fake server embeds only video (input_type must be 'video')."
        if model not in MODELS:
            return f"The model_name parameter is invalid: {model!r}."
        video = body.get("video") or {}
        url = (video.get("media_source") or {}).get("url")
        if not url:
            return "The video.media_source.url parameter is required."
        if any(part in url for part in self.behaviour.reject_urls):
            return self.behaviour.reject_message
        if model == "marengo3.0" and body.get("embedding_dimension") is not None:
            return "The embedding_dimension parameter requires Marengo 3.5."
        if model == "marengo3.5" and "transcription" in (video.get("embedding_option") or []):
            return "The transcription embedding option requires Marengo 3.0."
        return None

    def _new_task(self, body: dict) -> FakeTask:
        behaviour = self.behaviour
        video = body["video"]
        url = video["media_source"]["url"]
        model = body["model_name"]
        query = parse_qs(urlparse(url).query)
        duration = float(query.get("duration", [behaviour.default_duration])[0])
        segmentation = video.get("segmentation") or {}
        fixed = segmentation.get("fixed") or (segmentation.get("temporal") or {}).get("fixed") or {}
        # uniform in +/- jitter, fixed per video: seeded by the URL's path (a presigned query changes)
        key = f"{behaviour.seed}|jitter|{urlparse(url).path}"
        seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
        jitter = float(np.random.default_rng(seed).uniform(-1.0, 1.0)) * behaviour.jitter_seconds
        now = time.monotonic()
        return FakeTask(
            id=uuid.uuid4().hex[:24],
            url=url,
            model=model,
            created=now,
            ready_at=now + max(0.0, behaviour.processing_seconds + jitter),
            created_at=_now_text(),
            duration=duration,
            clip_seconds=float(fixed.get("duration_sec", behaviour.clip_seconds)),
            options=list(video.get("embedding_option") or DEFAULT_OPTIONS[model]),
            scopes=list(video.get("embedding_scope") or ["clip", "asset"]),
            dimension=int(body.get("embedding_dimension") or behaviour.dimension),
            fails=any(part in url for part in behaviour.fail_urls),
        )

    def _segments(self, task: FakeTask) -> list[dict]:
        """The embedding data of a finished task: per scope, per segment, per option."""
        spans: list[tuple[str, float, float]] = []
        if "clip" in task.scopes:
            start = 0.0
            while start < task.duration - 1e-9:
                end = min(start + task.clip_seconds, task.duration)
                spans.append(("clip", round(start, 3), round(end, 3)))
                start = end
        if "asset" in task.scopes:
            spans.append(("asset", 0.0, task.duration))
        data = []
        for scope, start, end in spans:
            for option in task.options:
                vector = self.vector(task.url) + 0.6 * self.vector(task.url, scope, start, option)
                vector = vector[: task.dimension]
                data.append(
                    {
                        "embedding": [round(float(x), 7) for x in vector],
                        "embedding_option": option,
                        "embedding_scope": scope,
                        "start_sec": start,
                        "end_sec": end,
                    }
                )
        return data

    def _retrieve_task(self, task_id: str) -> Response:
        task = self.tasks.get(task_id)
        if task is None:
            return _error(
                404, "resource_not_exists", f"The embedding task {task_id} does not exist."
            )
        finished = time.monotonic() >= task.ready_at
        status = "processing" if not finished else ("failed" if task.fails else "ready")
        with self._lock:
            self.statuses[status] += 1
        body: dict = {
            "_id": task.id,
            "status": status,
            "created_at": task.created_at,
            "updated_at": _now_text(),
            "data": None,
            "metadata": {
                "input_type": "video",
                "input_url": task.url,
                "clip_length": int(task.clip_seconds),
                "embedding_scopes": task.scopes,
                "embedding_options": task.options,
                "duration": task.duration,
            },
        }
        if status == "ready":
            if task.data is None:
                task.data = self._segments(task)
            body["data"] = task.data
        elif status == "failed":
            body["error"] = {"message": self.behaviour.failure_message}
        return _json(body)

    def _embed_sync(self) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, "parameter_invalid", "The request body is not valid JSON.")
        with self._lock:
            self.request_bodies.append(body)
        model = body.get("model_name")
        if model not in MODELS:
            return _error(
                400, "parameter_invalid", f"The model_name parameter is invalid: {model!r}."
            )
        field_name = "text" if model == "marengo3.0" else "multi_input"
        if body.get("input_type") != field_name:
            return _error(
                400, "parameter_invalid", f"{model} embeds text with input_type '{field_name}'."
            )
        text = (body.get(field_name) or {}).get("input_text") or ""
        if not text.strip():
            return _error(400, "parameter_invalid", "The input_text parameter is required.")
        if len(text.split()) > TEXT_TOKEN_LIMITS[model]:
            return _error(400, "parameter_invalid", "Content exceeds the model's context window.")
        dimension = int(body.get("embedding_dimension") or self.behaviour.dimension)
        vector = self.vector("text", text)[:dimension]
        return _json({"data": [{"embedding": [round(float(x), 7) for x in vector]}]})
