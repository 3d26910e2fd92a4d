"""Query composition: checked query parts -> label and text vectors -> one Qdrant query.

The original demo embedded one string, `Recommend: "<intent description>" videos "<mood>"`
(the `baseline` strategy). The other strategies embed the parts separately (an intent and a
mood are each the mean of several phrasings, see labels.py) and combine them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .label_stats import LabelSpace
from .labels import INTENTS, PHRASES, all_phrases, baseline_query, label_row
from .query_input import ModelMismatchError, model_key, text_limit
from .records import unit
from .samples import SAMPLE_MODEL

if TYPE_CHECKING:
    from .embeddings import Embedder

#: Default strategy per model: the best cross-validated one on labelled data (`vidrec evaluate`).
DEFAULTS: dict[str, str] = {SAMPLE_MODEL: "contrast_video"}
#: Models never evaluated here (Marengo: no labelled Marengo vectors ship) use the simplest
#: composition until `vidrec evaluate --json` on a labelled collection names its "best".
UNEVALUATED_DEFAULT = "weighted"
#: Tuned settings per model and strategy (`evaluate.TUNABLE`, tuned on all presets):
#: `mood_weight` is the mood's share of intent + mood, `temperature` the softness of a label's
#: share among its kind (contrast_video).
TUNING: dict[str, dict[str, dict[str, float]]] = {
    SAMPLE_MODEL: {
        "weighted": {"mood_weight": 0.5},
        "contrast_video": {"mood_weight": 0.55, "temperature": 1.0},
    }
}
UNTUNED: dict[str, float] = {"mood_weight": 0.5, "temperature": 1.0}
#: How hard `search(avoid=...)` pushes the query away from the mean of the avoided videos.
AVOID_WEIGHT = 0.5


def default_strategy(model: str | None) -> str:
    """The model's default strategy (its cross-validated best, else `UNEVALUATED_DEFAULT`)."""
    return DEFAULTS.get(model_key(model), UNEVALUATED_DEFAULT)


def tuning(model: str | None, strategy: str) -> dict[str, float]:
    """The settings of `strategy` for `model` (tuned when measured, else `UNTUNED`)."""
    return {**UNTUNED, **TUNING.get(model_key(model), {}).get(strategy, {})}


def shipped_for(model: str | None) -> dict[str, np.ndarray]:
    """Text -> vector of the presets and label phrasings shipped in data/ (sample model only)."""
    if model_key(model) != SAMPLE_MODEL:
        return {}
    from vidrec_standins.shipped import shipped_vectors  # offline data, loaded when first needed

    return shipped_vectors()


#: Every label vector per model in this process (see QueryEncoder.label_matrix).
_LABEL_MATRICES: dict[str, np.ndarray] = {}


class QueryEncoder:
    """Turns query texts and labels into unit vectors, the same way in live and offline mode.

    A text shipped in data/ (a preset or a label phrasing) uses its shipped vector when the
    embedder is the sample model; anything else goes to `embedder.embed_text` (Marengo live,
    the local model offline). Results are remembered.
    """

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._embed = lru_cache(maxsize=512)(self._embed_text)

    @property
    def model(self) -> str:
        return self.embedder.model

    @property
    def dimension(self) -> int:
        return int(self.embedder.dimension)

    @property
    def max_text_chars(self) -> int:
        return text_limit(self.model)

    def encode(self, text: str) -> np.ndarray:
        """The unit query vector of `text`: shipped (sample model only), else embedded once."""
        shipped = shipped_for(self.model).get(text)
        return shipped if shipped is not None else self._embed(text)

    def _embed_text(self, text: str) -> np.ndarray:
        vector = np.asarray(self.embedder.embed_text(text), dtype=np.float32)
        if vector.shape != (self.dimension,):
            raise ModelMismatchError(
                f"{self.model} returned a query vector of dimension {vector.shape[-1]}, but "
                f"the collection holds vectors of dimension {self.dimension}: search the "
                "collection of the same model, or re-run `vidrec ingest` with this model"
            )
        return unit(vector)

    def label_vector(self, kind: str, name: str) -> np.ndarray:
        """The unit mean of a label's phrasing vectors (a prompt ensemble)."""
        return self.label_matrix()[label_row(kind, name)]

    def label_matrix(self) -> np.ndarray:
        """Every label vector, intents then moods: from memory, the disk cache, or embedded once.

        Live, the 44 phrasings cost 44 text embeddings the first time a model is used; the
        result is kept in the cache folder, so later sessions pay nothing.
        """
        key = model_key(self.model)
        if key not in _LABEL_MATRICES:
            path, shipped = label_cache_path(self.model), key == SAMPLE_MODEL
            if not shipped and path.exists():
                _LABEL_MATRICES[key] = np.load(path)["vectors"]
            else:
                _LABEL_MATRICES[key] = ensembles(self.encode)
                if not shipped:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    np.savez(path, vectors=_LABEL_MATRICES[key])
        return _LABEL_MATRICES[key]


def ensembles(encode: Callable[[str], np.ndarray]) -> np.ndarray:
    """Every label vector, intents then moods: the unit mean of its phrasings' vectors."""
    groups = [texts for labels in PHRASES.values() for texts in labels.values()]
    return np.stack([unit(np.mean([encode(text) for text in texts], axis=0)) for texts in groups])


def label_cache_path(model: str) -> Path:
    """Where a model's label vectors are kept (named by the model and the phrasings' hash)."""
    from .config import get_settings

    digest = hashlib.sha256("\n".join(all_phrases()).encode()).hexdigest()[:12]
    return Path(get_settings().cache_dir) / "label_vectors" / f"{model_key(model)}-{digest}.npz"


def check_model(encoder: QueryEncoder, stored_model: str | None, size: int) -> None:
    """Refuse to compare vectors of different models or sizes."""
    same_model = stored_model is None or model_key(stored_model) == model_key(encoder.model)
    if not same_model or size != encoder.dimension:
        raise ModelMismatchError(
            f"the collection holds {stored_model or 'unknown-model'} vectors of dimension {size}, "
            f"but queries are embedded with {encoder.model} (dimension {encoder.dimension}): "
            "search the collection of the same model (index.collection_name(model, dimension)), "
            "or re-run `vidrec ingest` with this model"
        )


def baseline_text(parts: Mapping[str, str]) -> str:
    """The original demo's single query string, extended with keywords and free text."""
    intent, mood = parts.get("intent"), parts.get("mood")
    pieces = []
    if intent and mood:
        pieces.append(baseline_query(intent, mood))
    elif intent:
        pieces.append(f'Recommend: "{INTENTS[intent]}" videos')
    elif mood:
        pieces.append(f'Recommend: videos "{mood}"')
    if parts.get("keywords"):
        pieces.append(f'"{parts["keywords"]}"')
    pieces.append(parts.get("text", ""))
    return " ".join(piece for piece in pieces if piece)


def label_matrix(model: str | None, encoder: QueryEncoder | None = None) -> np.ndarray | None:
    """Every label vector of `model` (an encoder's, else the shipped ones), or None."""
    if encoder is not None and model_key(encoder.model) == model_key(model):
        return encoder.label_matrix()
    shipped = shipped_for(model)
    return ensembles(shipped.__getitem__) if shipped else None


def part_vectors(
    encoder: QueryEncoder,
    parts: Mapping[str, str],
    avoid: Sequence[np.ndarray] = (),
    space: LabelSpace | None = None,
) -> dict[str, np.ndarray]:
    """A unit vector per part, each moved away from `avoid`; labels contrasted given a `space`."""
    push = AVOID_WEIGHT * np.mean(avoid, axis=0) if len(avoid) else 0.0
    vectors = {}
    for name, value in parts.items():
        if name in PHRASES:
            label = space.contrast(name, value) if space else encoder.label_vector(name, value)
            vectors[name] = label
        else:
            vectors[name] = encoder.encode(value)
    return {name: unit(vector - push) for name, vector in vectors.items()}


def part_weights(parts: Mapping[str, Any], settings: Mapping[str, float]) -> dict[str, float]:
    """Weight of each part: intent and mood share 2 by `mood_weight`, keywords and text 1."""
    shares = {"intent": 2 * (1 - settings["mood_weight"]), "mood": 2 * settings["mood_weight"]}
    return {name: shares.get(name, 1.0) for name in parts}


def build_query(
    encoder: QueryEncoder,
    parts: Mapping[str, str],
    strategy: str,
    settings: Mapping[str, float],
    avoid: Sequence[np.ndarray] = (),
    space: LabelSpace | None = None,
) -> dict[str, Any]:
    """The `query` argument of `query_points` for one strategy.

    `avoid` holds vectors of videos to steer away from: every part vector moves away from
    their mean. `contrast_video` needs the `space` of the collection (label_stats.LabelSpace);
    its vector finds candidates, which `search` re-scores.
    """
    if strategy == "baseline":
        (vector,) = part_vectors(encoder, {"text": baseline_text(parts)}, avoid).values()
        return {"query": vector.tolist()}
    vectors = part_vectors(encoder, parts, avoid, space)
    weights = part_weights(vectors, settings)
    return {"query": unit(sum(weights[n] * v for n, v in vectors.items())).tolist()}
