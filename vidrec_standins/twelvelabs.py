"""A local Embed API v2 server: what offline mode and the tests talk to instead of TwelveLabs.

The real `twelvelabs` SDK talks to it unchanged: `TwelveLabs(api_key=..., base_url=standin.base_url)`.
Shapes follow the SDK's models (twelvelabs/embed/v_2/, twelvelabs/types/): `POST /v1.3/embed-v2/tasks`
answers 202, `GET /v1.3/embed-v2/tasks/{id}` polls, `GET /v1.3/embed-v2/tasks` lists, and
`POST /v1.3/embed-v2` embeds text synchronously. Two profiles:

- `strict` (the tests): the published rules. At create it fetches the media URL (unreachable:
  400), probes it with PyAV and enforces Marengo's limits, checks the segmentation shape per
  model, limits text conservatively, counts requests and video seconds per window (429 with
  `X-Ratelimit-*` headers and no `Retry-After`), and answers partial metadata while processing.
  Faults are injectable: latency, 5xx (also after the task was accepted), failed and slow tasks.
- `offline` (offline mode): answers the sample clips (known by file name in the URL, else by the
  hash of the fetched bytes) with the vectors shipped in data/sample_embeddings.parquet under the
  sample model's own name, and text with the preset query vectors or the local text model.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import numpy as np
from flask import Flask, Response, request

from vidrec_helpers.samples import SAMPLE_MODEL
from vidrec_standins.background import BackgroundServer

API_PREFIX = "/v1.3"
MODELS = ("marengo3.0", "marengo3.5")
#: Text limits in tokens (twelvelabs/types/text_input_request.py and multi_input_request.py).
TEXT_TOKEN_LIMITS = {"marengo3.0": 500, "marengo3.5": 2000}


def text_token_bound(text: str) -> int:
    """An upper bound on a text's token count, whatever the tokenizer: UTF-8 bytes + 2.

    The stand-in refuses a text above this bound. TwelveLabs does not publish Marengo's
    tokenizer; byte-level tokenizers (BPE, SentencePiece with byte fallback) never make a token
    shorter than one byte, so bytes plus the two special tokens is never below the real count:
    the stand-in may refuse a text the API would take (English averages ~4 bytes a token), never
    accept one it would refuse.
    """
    return len(text.encode("utf-8")) + 2


#: Default embedding options per model (twelvelabs/types/async_video_input_request.py).
DEFAULT_OPTIONS = {
    "marengo3.0": ["visual", "audio", "transcription"],
    "marengo3.5": ["visual", "audio"],
}
#: Default dynamic segmentation minimum per model (same docstring): 4 s for 3.0, 2 s for 3.5.
DEFAULT_MIN_SEGMENT = {"marengo3.0": 4, "marengo3.5": 2, SAMPLE_MODEL: 4}
EMBEDDING_OPTIONS = {"visual", "audio", "transcription"}
EMBEDDING_TYPES = {"separate_embedding", "fused_embedding"}


@dataclass
class StandInBehaviour:
    """How the stand-in behaves; fields may change at any time, they are read per request."""

    profile: str = "strict"  # "strict" (published rules) or "offline" (the sample clips)
    processing_seconds: float = 0.0  # time from task creation to `ready`
    jitter_seconds: float = 0.0  # +/- uniform jitter on processing time, fixed per URL path
    latency_seconds: float = 0.0  # added to every response
    dimension: int = 512  # Marengo 3.x vectors are 512-d
    fetch_media: bool = True  # False: trust `?duration=` in the URL (client-mechanics tests)
    default_duration: float = 20.0  # duration when not fetching and the URL has no ?duration=
    fail_urls: tuple[str, ...] = ()  # a task whose URL contains one of these ends `failed`
    failure_message: str = "failed to fetch or materialize source media"
    reject_urls: tuple[str, ...] = ()  # creating a task for such a URL gets 400 (not playable)
    reject_message: str = (
        "The video could not be played: check that the URL points to a video file."
    )
    rate_limited_requests: int = 0  # the next N matching requests get 429
    retry_after: str | None = None  # Retry-After of injected 429s (the API may send none)
    server_error_requests: int = 0  # the next N matching requests get 500
    accepted_then_error: int = 0  # the next N creates make the task, then answer 500
    malformed_requests: int = 0  # the next N matching requests get broken JSON
    fault_endpoints: frozenset[str] = frozenset({"create", "retrieve", "text"})
    api_key: str | None = None  # when set, any other x-api-key gets 401
    requests_per_window: int | None = None  # POSTs (create + text) per request window
    window_seconds: float = (
        60.0  # request window (RPM: one minute); windows start at epoch multiples
    )
    video_seconds_per_window: float | None = None  # seconds of video per duration window
    video_window_seconds: float = 3600.0  # duration window (DPH: one hour)
    seed: str = "vidrec"


@dataclass
class StandInTask:
    """One embedding task being 'processed'."""

    id: str
    url: str
    model: str
    created: float
    ready_at: float
    created_at: str
    duration: float
    segment_seconds: float
    options: list[str]
    scopes: list[str]
    fused: bool
    separate: bool
    dimension: int
    fails: bool
    sample_id: str | None = None
    data: list[dict] | None = field(default=None, repr=False)


class StandInRefusal(Exception):
    """A request the real API would refuse: status, code and message of its error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "details": {}}}
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def _now_text() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Window:
    """Fixed windows aligned on multiples of `seconds` since the epoch, as X-Ratelimit-Reset reads."""

    def __init__(self) -> None:
        self.start = 0.0
        self.used = 0.0

    def headroom(
        self, limit: float, seconds: float, amount: float, now: float
    ) -> tuple[bool, float]:
        """(fits, reset epoch) after rolling to the current window; counts `amount` when it fits."""
        start = math.floor(now / seconds) * seconds
        if start != self.start:
            self.start, self.used = start, 0.0
        fits = self.used + amount <= limit
        if fits:
            self.used += amount
        return fits, start + seconds


class TwelveLabsStandIn:
    """A threaded Embed v2 server on 127.0.0.1; use as a context manager, read `.base_url`."""

    def __init__(self, behaviour: StandInBehaviour | None = None, **changes: object) -> None:
        unknown = set(changes) - {f.name for f in fields(StandInBehaviour)}
        if unknown:
            raise TypeError(f"unknown StandInBehaviour field(s): {', '.join(sorted(unknown))}")
        self.behaviour = behaviour or StandInBehaviour()
        for name, value in changes.items():
            setattr(self.behaviour, name, value)
        self.requests: Counter[str] = Counter()  # per endpoint: create, retrieve, list, text
        self.faults: Counter[str] = Counter()  # served: rate_limited, server_error, malformed...
        self.statuses: Counter[str] = Counter()  # task statuses served by retrieve
        self.created_urls: list[str] = []
        self.create_times: deque[float] = deque()  # epoch time of each accepted create
        self.request_bodies: list[dict] = []
        self.tasks: dict[str, StandInTask] = {}
        self.peak_processing = 0  # most tasks processing at once (seen at task creation)
        self._requests_window, self._video_window = _Window(), _Window()
        self._lock = threading.Lock()
        self._samples: dict | None = None
        self.server = BackgroundServer(self._make_app(), name="twelvelabs-standin")

    @property
    def base_url(self) -> str:
        """What to pass as the SDK's `base_url` (includes the /v1.3 prefix)."""
        return f"{self.server.url}{API_PREFIX}"

    def start(self) -> TwelveLabsStandIn:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> TwelveLabsStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def vector(self, *parts: object) -> np.ndarray:
        """The deterministic unit vector served for `parts` (full dimension)."""
        text = "|".join(str(p) for p in (self.behaviour.seed, *parts))
        seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
        values = np.random.default_rng(seed).standard_normal(self.behaviour.dimension)
        return values / np.linalg.norm(values)

    # ----- the HTTP app -----------------------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask("twelvelabs_standin")
        tasks = f"{API_PREFIX}/embed-v2/tasks"
        app.add_url_rule(tasks, "create", self._create_task, methods=["POST"])
        app.add_url_rule(tasks, "list", self._list_tasks, methods=["GET"])
        app.add_url_rule(f"{tasks}/<task_id>", "retrieve", self._retrieve_task, methods=["GET"])
        app.add_url_rule(f"{API_PREFIX}/embed-v2", "text", self._embed_text, methods=["POST"])
        app.register_error_handler(404, lambda _: _error(404, "not_found", "No such endpoint."))
        app.register_error_handler(405, lambda _: _error(405, "method_not_allowed", "Not allowed."))
        app.register_error_handler(StandInRefusal, lambda e: _error(e.status, e.code, e.message))
        app.before_request(self._gate)
        return app

    def _gate(self) -> Response | None:
        """Count the request, add latency, check the key, serve an injected fault if one is due."""
        endpoint = request.endpoint or "other"
        with self._lock:
            self.requests[endpoint] += 1
        if self.behaviour.latency_seconds:
            time.sleep(self.behaviour.latency_seconds)
        key = request.headers.get("x-api-key", "")
        if not key or (self.behaviour.api_key is not None and key != self.behaviour.api_key):
            return _error(401, "api_key_invalid", "The API key you provided is not valid.")
        if endpoint in self.behaviour.fault_endpoints:
            return self._fault()
        return None

    def _take(self, kind: str, budget: int) -> bool:
        with self._lock:
            if self.faults[kind] >= budget:
                return False
            self.faults[kind] += 1
            return True

    def _fault(self) -> Response | None:
        """The next injected fault (429, then 500, then malformed JSON), or None."""
        behaviour = self.behaviour
        if self._take("rate_limited", behaviour.rate_limited_requests):
            headers = {"Retry-After": behaviour.retry_after} if behaviour.retry_after else None
            return _error(429, "too_many_requests", "You have exceeded the rate limit.", headers)
        if self._take("server_error", behaviour.server_error_requests):
            return _error(500, "internal_error", "An internal error occurred. Please try again.")
        if self._take("malformed", behaviour.malformed_requests):
            return Response('{"_id": "broken", "status": ', status=200, mimetype="application/json")
        return None

    def _ratelimit(
        self, window: _Window, limit: float | None, seconds: float, amount: float, what: str
    ) -> dict:
        """X-Ratelimit-* headers for one window; raises a 429 (no Retry-After) when over it."""
        if limit is None:
            return {}
        with self._lock:
            fits, reset = window.headroom(limit, seconds, amount, time.time())
            used = window.used
        headers = {
            "X-Ratelimit-Limit": f"{limit:g}",
            "X-Ratelimit-Remaining": f"{max(0.0, limit - used):g}",
            "X-Ratelimit-Used": f"{used:g}",
            "X-Ratelimit-Reset": f"{reset:.0f}",
        }
        if not fits:
            with self._lock:
                self.faults["rate_window"] += 1
            message = f"You have exceeded the {what} limit of your plan. Retry later."
            raise _RateLimited(_error(429, "too_many_requests", message, headers))
        return headers

    def _request_window(self) -> dict:
        behaviour = self.behaviour
        return self._ratelimit(
            self._requests_window,
            behaviour.requests_per_window,
            behaviour.window_seconds,
            1,
            "request",
        )

    # ----- tasks ------------------------------------------------------------------------------

    def _create_task(self) -> Response:
        try:
            headers = self._request_window()
            body = self._body()
            task = self._new_task(body)
            headers |= self._ratelimit(
                self._video_window,
                self.behaviour.video_seconds_per_window,
                self.behaviour.video_window_seconds,
                task.duration,
                "video duration",
            )
        except _RateLimited as limited:
            return limited.response
        with self._lock:
            self.tasks[task.id] = task
            self.created_urls.append(task.url)
            self.create_times.append(time.time())
            processing = sum(1 for t in self.tasks.values() if t.ready_at > task.created)
            self.peak_processing = max(self.peak_processing, processing)
        if self._take("accepted_then_error", self.behaviour.accepted_then_error):
            return _error(500, "internal_error", "An internal error occurred. Please try again.")
        body = {"_id": task.id, "status": "processing", "data": None}
        return Response(json.dumps(body), status=202, mimetype="application/json", headers=headers)

    def _body(self) -> dict:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise StandInRefusal(400, "parameter_invalid", "The request body is not valid JSON.")
        with self._lock:
            self.request_bodies.append(body)
        return body

    def _check_model(self, model: object) -> str:
        offline = self.behaviour.profile == "offline"
        allowed = (SAMPLE_MODEL,) if offline else MODELS
        if model not in allowed:
            hint = f" The offline stand-in answers only {SAMPLE_MODEL}." if offline else ""
            raise StandInRefusal(
                400, "parameter_invalid", f"The model_name parameter is invalid: {model!r}.{hint}"
            )
        return str(model)

    def _new_task(self, body: dict) -> StandInTask:
        """Validate a create request as the API does, fetch and probe its media, make the task."""
        if body.get("input_type") != "video":
            raise StandInRefusal(
                400, "parameter_invalid", "This stand-in embeds only video (input_type 'video')."
            )
        model = self._check_model(body.get("model_name"))
        video = body.get("video") or {}
        url = (video.get("media_source") or {}).get("url")
        if not url:
            raise StandInRefusal(
                400, "parameter_invalid", "The video.media_source.url parameter is required."
            )
        if any(part in url for part in self.behaviour.reject_urls):
            raise StandInRefusal(400, "media_not_playable", self.behaviour.reject_message)
        options = _check_options(model, video, body)
        segment_seconds = _check_segmentation(model, video.get("segmentation"))
        kinds = _check_embedding_type(model, video, options)
        duration, sample_id = self._media(url)
        return StandInTask(
            id=uuid.uuid4().hex[:24],
            url=url,
            model=model,
            created=(now := time.monotonic()),
            ready_at=now + self._processing_time(url),
            created_at=_now_text(),
            duration=duration,
            segment_seconds=segment_seconds,
            options=options,
            scopes=list(video.get("embedding_scope") or ["clip", "asset"]),
            fused="fused_embedding" in kinds,
            separate="separate_embedding" in kinds,
            dimension=int(body.get("embedding_dimension") or self.behaviour.dimension),
            fails=any(part in url for part in self.behaviour.fail_urls),
            sample_id=sample_id,
        )

    def _processing_time(self, url: str) -> float:
        """Processing time, jittered by a seed from the URL's path (a presigned query changes)."""
        behaviour = self.behaviour
        key = f"{behaviour.seed}|jitter|{urlparse(url).path}"
        seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
        jitter = float(np.random.default_rng(seed).uniform(-1.0, 1.0)) * behaviour.jitter_seconds
        return max(0.0, behaviour.processing_seconds + jitter)

    def _media(self, url: str) -> tuple[float, str | None]:
        """The video's duration (and sample id offline), fetching and probing it when asked to."""
        if self.behaviour.profile == "offline":
            return self._sample_for(url)
        if not self.behaviour.fetch_media:
            query = parse_qs(urlparse(url).query)
            return float(query.get("duration", [self.behaviour.default_duration])[0]), None
        with tempfile.TemporaryDirectory(prefix="standin-") as folder:
            return _fetch_and_check(url, Path(folder)).duration, None

    def _list_tasks(self) -> Response:
        """Tasks newest first, one page of `page_limit` (at most 50), as `tasks.list` pages them."""
        page = max(1, int(request.args.get("page", 1)))
        limit = min(50, max(1, int(request.args.get("page_limit", 10))))
        with self._lock:
            tasks = sorted(self.tasks.values(), key=lambda t: t.created, reverse=True)
        chosen = tasks[(page - 1) * limit : page * limit]
        data = [
            {
                "_id": task.id,
                "model_name": task.model,
                "status": self._status(task),
                "created_at": task.created_at,
                "video_embedding": {"metadata": {"input_url": task.url, "duration": task.duration}},
            }
            for task in chosen
        ]
        total_pages = max(1, math.ceil(len(tasks) / limit))
        info = {
            "limit_per_page": limit,
            "page": page,
            "total_page": total_pages,
            "total_results": len(tasks),
        }
        return Response(json.dumps({"data": data, "page_info": info}), mimetype="application/json")

    def _status(self, task: StandInTask) -> str:
        if time.monotonic() < task.ready_at:
            return "processing"
        return "failed" if task.fails else "ready"

    def _retrieve_task(self, task_id: str) -> Response:
        task = self.tasks.get(task_id)
        if task is None:
            return _error(
                404, "resource_not_exists", f"The embedding task {task_id} does not exist."
            )
        status = self._status(task)
        with self._lock:
            self.statuses[status] += 1
        metadata = {  # partial while processing: no clip length yet
            "input_type": "video",
            "input_url": task.url,
            "embedding_scopes": task.scopes,
            "embedding_options": task.options,
            "duration": task.duration,
        }
        body: dict = {
            "_id": task.id,
            "status": status,
            "created_at": task.created_at,
            "updated_at": _now_text(),
            "data": None,
            "metadata": metadata,
        }
        if status == "ready":
            metadata["clip_length"] = int(task.segment_seconds)
            if task.data is None:
                task.data = self._task_data(task)
            body["data"] = task.data
        elif status == "failed":
            body["error"] = {"message": self.behaviour.failure_message}
        return Response(json.dumps(body), mimetype="application/json")

    def _spans(self, task: StandInTask) -> list[tuple[str, float, float]]:
        spans: list[tuple[str, float, float]] = []
        if "clip" in task.scopes:
            start = 0.0
            while start < task.duration - 1e-9:
                end = min(start + task.segment_seconds, task.duration)
                spans.append(("clip", round(start, 3), round(end, 3)))
                start = end
        if "asset" in task.scopes:
            spans.append(("asset", 0.0, task.duration))
        return spans

    def _task_data(self, task: StandInTask) -> list[dict]:
        """Per segment: one vector per option (separate) and/or one `fused` vector."""
        if task.sample_id is not None:
            return self._sample_data(task)
        data = []
        for scope, start, end in self._spans(task):
            kinds = (task.options if task.separate else []) + (["fused"] if task.fused else [])
            for option in kinds:
                vector = self.vector(task.url) + 0.6 * self.vector(task.url, scope, start, option)
                data.append(_item(vector[: task.dimension], option, scope, start, end))
        return data

    # ----- the offline profile: sample clips and text ----------------------------------------

    def _sample_index(self) -> dict:
        """Sample clips by file name and by content hash, and their shipped segments (once)."""
        with self._lock:
            if self._samples is None:
                from vidrec_helpers import samples
                from vidrec_helpers.records import file_sha256
                from vidrec_standins.shipped import load_sample_embeddings

                frame = load_sample_embeddings()
                folder = samples.sample_video_dir()
                clips = [e for e in samples.load_catalog() if e.get("filename")]
                self._samples = {
                    "by_name": {e["filename"]: e for e in clips},
                    "by_hash": {file_sha256(folder / e["filename"]): e for e in clips},
                    "frame": frame,
                }
            return self._samples

    def _sample_for(self, url: str) -> tuple[float, str]:
        """A sample clip from its file name in the URL (storage keys end with it), else its bytes."""
        index = self._sample_index()
        entry = index["by_name"].get(unquote(urlparse(url).path).rsplit("/", 1)[-1])
        if entry is None:
            with tempfile.TemporaryDirectory(prefix="standin-") as folder:
                from vidrec_helpers.records import file_sha256

                entry = index["by_hash"].get(file_sha256(_download(url, Path(folder))))
        if entry is None:
            raise StandInRefusal(
                400,
                "parameter_invalid",
                "The offline stand-in knows only the 8 sample clips; use live mode to embed other videos.",
            )
        return float(entry["duration"]), entry["id"]

    def _sample_data(self, task: StandInTask) -> list[dict]:
        """The shipped segments of a sample clip: 'video' rows as `asset`, each under every option."""
        frame = self._sample_index()["frame"]
        rows = frame[(frame["video_id"] == task.sample_id) & frame["kind"].isin(["video", "clip"])]
        data = []
        for kind, start, end, vector in zip(
            rows["kind"], rows["start_sec"], rows["end_sec"], rows["vector"], strict=True
        ):
            scope = "asset" if kind == "video" else "clip"
            if scope in task.scopes:
                for option in task.options:  # one sample vector per segment serves every option
                    data.append(_item(np.asarray(vector), option, scope, float(start), float(end)))
        return data

    def _embed_text(self) -> Response:
        try:
            headers = self._request_window()
        except _RateLimited as limited:
            return limited.response
        body = self._body()
        model = self._check_model(body.get("model_name"))
        field_name = "multi_input" if model == "marengo3.5" else "text"
        if body.get("input_type") != field_name:
            raise StandInRefusal(
                400, "parameter_invalid", f"{model} embeds text with input_type '{field_name}'."
            )
        text = (body.get(field_name) or {}).get("input_text") or ""
        if not text.strip():
            raise StandInRefusal(400, "parameter_invalid", "The input_text parameter is required.")
        if model == SAMPLE_MODEL:
            vector = self._sample_text(text)
        else:
            if text_token_bound(text) > TEXT_TOKEN_LIMITS[model]:
                raise StandInRefusal(
                    400, "parameter_invalid", "Content exceeds the model's context window."
                )
            dimension = int(body.get("embedding_dimension") or self.behaviour.dimension)
            vector = self.vector("text", text)[:dimension]
        payload = json.dumps({"data": [{"embedding": [round(float(x), 7) for x in vector]}]})
        return Response(payload, mimetype="application/json", headers=headers)

    def _sample_text(self, text: str) -> np.ndarray:
        """A preset query's shipped vector, else the local text model, else a clear 400."""
        frame = self._sample_index()["frame"]
        queries = frame[
            (frame["kind"] == "query") & ((frame["key"] == text) | (frame["text"] == text))
        ]
        if not queries.empty:
            return np.asarray(queries["vector"].iloc[0])
        from vidrec_helpers.config import VidrecError
        from vidrec_standins import local_text

        if not local_text.local_model_available():
            raise StandInRefusal(
                400,
                "model_unavailable",
                f"Free text offline needs the local text model: {local_text.LOCAL_HINT}.",
            )
        try:
            return local_text.LocalTextEmbedder().embed_text(text)
        except VidrecError as error:  # e.g. longer than the model reads
            raise StandInRefusal(400, "parameter_invalid", str(error)) from None


class _RateLimited(Exception):
    """Carries a ready 429 response out of the window checks."""

    def __init__(self, response: Response) -> None:
        super().__init__("rate limited")
        self.response = response


def _item(vector: np.ndarray, option: str, scope: str, start: float, end: float) -> dict:
    return {
        "embedding": [round(float(x), 7) for x in vector],
        "embedding_option": option,
        "embedding_scope": scope,
        "start_sec": start,
        "end_sec": end,
    }


def _refuse(message: str) -> StandInRefusal:
    return StandInRefusal(400, "parameter_invalid", message)


def _check_options(model: str, video: dict, body: dict) -> list[str]:
    """The embedding options, checked against the model as the API does."""
    options = list(video.get("embedding_option") or DEFAULT_OPTIONS.get(model, ["visual"]))
    unknown = set(options) - EMBEDDING_OPTIONS
    if unknown:
        raise _refuse(f"The embedding_option parameter has invalid value(s): {sorted(unknown)}.")
    if model == "marengo3.5" and "transcription" in options:
        raise _refuse("The transcription embedding option requires Marengo 3.0.")
    if model != "marengo3.5" and body.get("embedding_dimension") is not None:
        raise _refuse("The embedding_dimension parameter requires Marengo 3.5.")
    return options


def _check_embedding_type(model: str, video: dict, options: list[str]) -> set[str]:
    kinds = set(video.get("embedding_type") or ["separate_embedding"])
    if kinds - EMBEDDING_TYPES:
        raise _refuse(
            f"The embedding_type parameter has invalid value(s): {sorted(kinds - EMBEDDING_TYPES)}."
        )
    if video.get("embedding_type") and len(options) < 2:
        raise _refuse("The embedding_type parameter needs at least two embedding_option values.")
    if (
        "fused_embedding" in kinds
        and model == "marengo3.5"
        and not video.get("time_based_metadata")
    ):
        raise _refuse("With Marengo 3.5, fused_embedding requires the time_based_metadata field.")
    return kinds


def _check_range(value: object, low: int, high: int, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _refuse(
            f"The {name} parameter must be an integer from {low} to {high}, got {value!r}."
        )
    return value


def _check_segmentation(model: str, segmentation: object) -> float:
    """Segment length (s) from the request: Marengo 3.0 takes the strategy object directly,
    3.5 wraps it in `temporal`; fixed is 2-10 s, dynamic's minimum 2-5 s (default 4 s for 3.0)."""
    if segmentation is None:
        return float(DEFAULT_MIN_SEGMENT.get(model, 4))
    if not isinstance(segmentation, dict):
        raise _refuse("The segmentation parameter must be an object.")
    wrapped = "temporal" in segmentation
    if (model == "marengo3.5") != wrapped:
        shape = (
            "{'temporal': {...}}"
            if model == "marengo3.5"
            else "{'strategy': ..., ...} (no 'temporal')"
        )
        raise _refuse(f"The segmentation structure does not match {model}: use {shape}.")
    inner = segmentation["temporal"] if wrapped else segmentation
    strategy = inner.get("strategy") if isinstance(inner, dict) else None
    if strategy == "fixed":
        return float(
            _check_range(
                (inner.get("fixed") or {}).get("duration_sec"), 2, 10, "fixed.duration_sec"
            )
        )
    if strategy == "dynamic":
        return float(
            _check_range(
                (inner.get("dynamic") or {}).get("min_duration_sec"),
                2,
                5,
                "dynamic.min_duration_sec",
            )
        )
    raise _refuse(f"The segmentation strategy must be 'fixed' or 'dynamic', got {strategy!r}.")


def _download(url: str, folder: Path) -> Path:
    """Fetch the media as TwelveLabs would at task creation; 400 when it cannot be played."""
    import httpx

    from vidrec_helpers.video_checks import MARENGO_LIMITS

    target = folder / (Path(unquote(urlparse(url).path)).name or "media")
    try:
        with httpx.stream("GET", url, timeout=30.0, follow_redirects=True) as response:
            if response.status_code != 200:
                raise _refuse(
                    f"The video URL could not be fetched (HTTP {response.status_code}): it must be publicly reachable and not expired."
                )
            if int(response.headers.get("content-length") or 0) > MARENGO_LIMITS.max_bytes:
                raise _refuse("The video is larger than 4 GB.")
            with target.open("wb") as handle:
                for chunk in response.iter_bytes(1 << 20):
                    handle.write(chunk)
    except httpx.HTTPError as error:
        raise _refuse(
            f"The video URL could not be fetched ({type(error).__name__}): it must be publicly reachable."
        ) from None
    return target


def _fetch_and_check(url: str, folder: Path):  # noqa: ANN202 - VideoInfo, imported lazily
    """Download, probe and check the media against Marengo's limits (one 400 per broken rule)."""
    from vidrec_helpers.video_checks import VideoCheckError, check_video

    try:
        return check_video(_download(url, folder))
    except VideoCheckError as error:
        raise _refuse(f"The video does not meet the requirements: {error}") from None


# ----- the offline service ------------------------------------------------------------------

_OFFLINE: TwelveLabsStandIn | None = None
_OFFLINE_LOCK = threading.Lock()


def ensure_offline_standin() -> str:
    """Start (once per process) the offline-profile stand-in; return its SDK base URL."""
    global _OFFLINE
    with _OFFLINE_LOCK:
        if _OFFLINE is None:
            _OFFLINE = TwelveLabsStandIn(profile="offline").start()
        return _OFFLINE.base_url
