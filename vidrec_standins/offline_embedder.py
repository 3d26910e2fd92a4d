"""What answers instead of TwelveLabs offline: the shipped sample vectors, and the stand-in.

Offline, the 8 sample clips can go through the same TwelveLabs code as live mode (the real SDK
against the local Embed v2 stand-in, model `all-MiniLM-L6-v2`); the 180 catalog-only entries
have no file and load from data/sample_embeddings.parquet as a pre-embedded library.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from vidrec_helpers.config import VidrecError
from vidrec_helpers.records import Segment, VideoEmbedding, VideoSource, unit
from vidrec_helpers.samples import SAMPLE_DIMENSION, SAMPLE_MODEL
from vidrec_standins import local_text

if TYPE_CHECKING:
    import pandas as pd


class SampleEmbedder:
    """Offline mode: the shipped sample vectors (data/sample_embeddings.parquet), free and instant.

    A video is found by its catalog id (the pipeline gives a sample file its id from its hash).
    With `sample_clips_via_sdk`, a sample clip with a URL goes through the real SDK to the offline
    stand-in, like live mode; so does free text (not a preset). The SDK and the stand-in start
    on first use, not before. `service`: that embedder, given (tests) instead of started.
    """

    model = SAMPLE_MODEL
    dimension = SAMPLE_DIMENSION

    def __init__(
        self,
        embeddings: pd.DataFrame | None = None,
        service: Any = None,
        *,
        sample_clips_via_sdk: bool = False,
        poll_timeout: float | None = None,
    ) -> None:
        self._frame, self._service = embeddings, service
        self._segments: dict[str, list[Segment]] | None = None
        self._lock, self._service_lock = threading.Lock(), threading.Lock()
        self.sample_clips_via_sdk, self.poll_timeout = sample_clips_via_sdk, poll_timeout
        self.options: dict[str, Any] = {"source": "samples"}

    def _load_frame(self) -> pd.DataFrame:
        """The sample frame (loaded once)."""
        with self._lock:
            if self._frame is None:
                from vidrec_standins.shipped import load_sample_embeddings

                self._frame = load_sample_embeddings()
            return self._frame

    def _segments_by_video(self) -> dict[str, list[Segment]]:
        """Each sample video's segments, built in one pass (then a dict lookup per video)."""
        frame = self._load_frame()
        with self._lock:
            if self._segments is None:
                rows = frame[frame["kind"].isin(["video", "clip"])]
                segments: dict[str, list[Segment]] = {}
                columns = [rows[name] for name in ("video_id", "scope", "start_sec", "end_sec")]
                for video_id, scope, start, end, vector in zip(
                    *columns, rows["vector"], strict=True
                ):
                    segment = Segment(str(scope), float(start), float(end), unit(vector))
                    segments.setdefault(video_id, []).append(segment)
                for items in segments.values():
                    items.sort(key=lambda s: (s.scope != "video", s.start_sec, s.end_sec))
                self._segments = segments
            return self._segments

    def waits_for(self, source: VideoSource) -> bool:
        """A clip sent to the stand-in waits (thread pool); a parquet entry is a lookup."""
        return (
            self.sample_clips_via_sdk
            and bool(source.url or source.s3_key)
            and (source.path is not None)
        )

    def embed_video(self, source: VideoSource) -> VideoEmbedding:
        """Through the stand-in for a clip that waits; else the shipped video and clip vectors."""
        if self.waits_for(source):
            return self.service().embed_video(source)
        segments = self._segments_by_video().get(source.video_id)
        if segments is None:
            raise VidrecError(
                f"{source.video_id}: offline mode can only embed the sample videos/catalog; "
                "set TWELVELABS_API_KEY to embed your own"
            )
        return VideoEmbedding(source.video_id, source.content_hash, self.model, list(segments))

    def forget_task(self, source: VideoSource) -> None:
        """Drop the journaled task of a clip sent to the stand-in, once it is cached."""
        if self._service is not None and self.waits_for(source):
            self._service.forget_task(source)

    def embed_text(self, text: str) -> np.ndarray:
        """A preset query by name or exact text; other text through the stand-in's local model."""
        frame = self._load_frame()
        queries = frame[frame["kind"] == "query"]
        match = queries[(queries["key"] == text) | (queries["text"] == text)]
        if not match.empty:
            return unit(match["vector"].iloc[0])
        if self._service is not None or local_text.local_model_available():
            return self.service().embed_text(text)
        names = list(queries["key"])
        shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        raise VidrecError(
            f"offline mode without a local text model can only use the preset queries ({shown}); "
            f"for free text, {local_text.LOCAL_HINT}"
        )

    def service(self) -> Any:
        """The TwelveLabs embedder pointed at the offline stand-in (started on first use)."""
        with self._service_lock:
            if self._service is None:
                self._service = _offline_service(self.poll_timeout)
            return self._service


def _offline_service(poll_timeout: float | None) -> Any:
    """The live-mode TwelveLabs embedder, through the real SDK, pointed at the offline stand-in."""
    from twelvelabs import TwelveLabs

    from vidrec_helpers.config import get_settings
    from vidrec_helpers.twelvelabs_embedder import PollPolicy, TwelveLabsEmbedder
    from vidrec_standins.twelvelabs import ensure_offline_standin

    client = TwelveLabs(api_key="offline-standin", base_url=ensure_offline_standin())
    poll = PollPolicy(initial=0.05, maximum=0.5, timeout=poll_timeout)
    return TwelveLabsEmbedder(
        get_settings(), model=SAMPLE_MODEL, client=client, poll=poll,
        allow_private_urls=True,  # the stand-in fetches from 127.0.0.1 on purpose
    )  # fmt: skip
