"""LocalTextEmbedder: all-MiniLM-L6-v2 on the CPU (needs the `local` extra)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from vidrec_helpers.config import VidrecError
from vidrec_standins.local_text import LocalTextEmbedder, local_model_available
from vidrec_standins.offline_embedder import SampleEmbedder

pytestmark = [
    pytest.mark.local_model,
    pytest.mark.skipif(
        importlib.util.find_spec("sentence_transformers") is None,
        reason='sentence-transformers is not installed (pip install -e ".[local]")',
    ),
]


@pytest.fixture(scope="module")
def model() -> LocalTextEmbedder:
    return LocalTextEmbedder()


def test_available_without_importing_torch():
    assert local_model_available()


def test_vectors_are_unit_float32_in_order(model):
    texts = [
        "a dog chases a ball in the park",
        "a spaceship lands on a red planet",
        "a dragon guards its gold",
    ]
    vectors = model.embed_texts(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(
        vectors[1], model.embed_text(texts[1]), atol=1e-5
    )  # batching does not change a vector


def test_vectors_are_deterministic(model):
    texts = ["kids counting apples", "a wizard's tower at night"]
    assert np.array_equal(model.embed_texts(texts), model.embed_texts(texts))


def test_similar_meanings_are_closer(model):
    dog, puppy, market = model.embed_texts(
        ["a dog playing fetch", "a puppy plays with a ball", "stock market report"]
    )
    assert float(dog @ puppy) > float(dog @ market) + 0.2


def test_too_long_text_is_refused(model):
    with pytest.raises(VidrecError, match="reads at most 256"):
        model.embed_text("word " * 300)
    assert model.count_tokens("hello world") == 4  # [CLS] hello world [SEP]


def test_empty_inputs(model):
    assert model.embed_texts([]).shape == (0, 384)
    with pytest.raises(VidrecError, match="empty"):
        model.embed_text("  ")


def test_sample_embedder_uses_it_for_free_text(model):
    frame = pd.DataFrame(
        [
            {
                "kind": "query",
                "key": "intent:kids",
                "video_id": None,
                "text": "kids",
                "vector": np.ones(384) / np.sqrt(384),
            }
        ]
    )
    embedder = SampleEmbedder(embeddings=frame)
    text = "a robot learning to paint"
    assert np.allclose(embedder.embed_text(text), model.embed_text(text), atol=1e-6)


def test_shipped_query_vectors_match_the_model(model):
    from vidrec_standins.shipped import query_text, query_vector

    for name in ("intent:kids", "mood:action", "preset:fantasy|magical"):
        assert np.allclose(query_vector(name), model.embed_text(query_text(name)), atol=1e-5), name
