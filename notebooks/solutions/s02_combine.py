"""Notebook 02, exercise 1: one vector per segment from an Embed v2 task's `data`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def unit(vector: Any) -> np.ndarray:
    """`vector` as float32 of length 1."""
    array = np.asarray(vector, dtype=np.float32)
    return array / np.linalg.norm(array)


def combine_options(data: Iterable[Any]) -> dict[tuple[str, float, float], np.ndarray]:
    """{(scope, start_sec, end_sec): unit vector}: the fused vector, else the mean of the options."""
    groups: dict[tuple[str, float, float], dict[str, np.ndarray]] = {}
    for item in data:
        segment = (item.embedding_scope, item.start_sec, item.end_sec)
        groups.setdefault(segment, {})[item.embedding_option] = unit(item.embedding)
    return {
        segment: options["fused"]
        if "fused" in options
        else unit(np.mean(list(options.values()), axis=0))
        for segment, options in groups.items()
    }
