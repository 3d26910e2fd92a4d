"""Notebook 06, exercise 1: close pairs of different videos that share both labels."""

from __future__ import annotations

import numpy as np
import pandas as pd


def same_label_pairs(videos: pd.DataFrame, vectors: np.ndarray, threshold: float) -> pd.DataFrame:
    """Pairs with cosine >= threshold and the same intent and mood, best first (unit vectors)."""
    similarity = vectors @ vectors.T
    first, second = np.triu_indices(len(videos), k=1)
    labels = (videos["intent"] + " / " + videos["mood"]).to_numpy()
    ids = videos["video_id"].to_numpy()
    keep = (similarity[first, second] >= threshold) & (labels[first] == labels[second])
    keep &= ids[first] != ids[second]
    first, second = first[keep], second[keep]
    order = np.argsort(-similarity[first, second], kind="stable")
    first, second = first[order], second[order]
    titles = videos["title"].to_numpy()
    return pd.DataFrame(
        {
            "cosine": similarity[first, second].round(3),
            "video_a": titles[first],
            "video_b": titles[second],
            "labels": labels[first],
        }
    )
