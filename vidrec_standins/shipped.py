"""The vectors shipped in data/ that stand in for Marengo offline (all-MiniLM-L6-v2, 384-d).

`data/sample_embeddings.parquet` holds every catalog video and scene and every preset query;
`data/label_vectors.parquet` every label phrasing. The scripts in scripts/ build them and write
a SHA-256 sidecar beside each; tests/test_samples.py validates the shipped files (columns,
dimension, unit length, labels, texts). So on load the checksum suffices: a file that was
changed or damaged is refused with an error that says how to restore it.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from vidrec_helpers.config import VidrecError
from vidrec_helpers.labels import INTENTS, MOODS, PHRASES, baseline_query, check_label
from vidrec_helpers.records import file_sha256
from vidrec_helpers.samples import SampleDataError, data_dir


def embeddings_path() -> Path:
    """The sample vectors (`data/sample_embeddings.parquet`, built by build_sample_data.py)."""
    return data_dir() / "sample_embeddings.parquet"


def label_vectors_path() -> Path:
    """The label phrasings' vectors (`data/label_vectors.parquet`, build_label_vectors.py)."""
    return data_dir() / "label_vectors.parquet"


def checksum_path(path: Path) -> Path:
    """The sidecar file holding the SHA-256 of `path`."""
    return path.with_name(path.name + ".sha256")


def write_checksum(path: Path) -> None:
    """Write the sidecar of a freshly built file (what `read_checked` compares with)."""
    checksum_path(path).write_text(f"{file_sha256(path)}  {path.name}\n", encoding="utf-8")


def read_checked(path: Path, script: str) -> pd.DataFrame:
    """A shipped parquet file, read only if its SHA-256 matches its sidecar (`script` built it)."""
    hint = f"restore it with `git checkout -- data/` or rebuild it with `python scripts/{script}`"
    sidecar = checksum_path(path)
    if not path.is_file():  # a folder or a named pipe is refused too: reading one may never end
        raise SampleDataError(f"{path} not found (or not a regular file): {hint}")
    if not sidecar.is_file():
        raise SampleDataError(f"{sidecar.name} (the checksum of {path.name}) is missing: {hint}")
    data = path.read_bytes()  # read once: hashed, then parsed
    if sidecar.read_text(encoding="utf-8").split()[:1] != [hashlib.sha256(data).hexdigest()]:
        raise SampleDataError(f"{path.name} is corrupt or was changed (checksum mismatch): {hint}")
    try:
        return pd.read_parquet(io.BytesIO(data))
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise SampleDataError(
            f"{path.name} cannot be read ({type(error).__name__}): {hint}"
        ) from None


@lru_cache(maxsize=4)
def _sample_frame(path: str) -> pd.DataFrame:
    frame = read_checked(Path(path), "build_sample_data.py")
    return frame.assign(vector=list(np.stack(frame["vector"].to_list()).astype(np.float32)))


def load_sample_embeddings(path: str | Path | None = None) -> pd.DataFrame:
    """The sample vectors, one row per video, scene and preset query (see data/README.md)."""
    return _sample_frame(str(path or embeddings_path())).copy()


@lru_cache(maxsize=1)
def shipped_vectors() -> dict[str, np.ndarray]:
    """Text -> vector of every preset query and label phrasing shipped in data/."""
    labels = read_checked(label_vectors_path(), "build_label_vectors.py")
    frame = _sample_frame(str(embeddings_path()))
    queries = frame[frame["kind"] == "query"]
    texts, vectors = [*labels["text"], *queries["text"]], [*labels["vector"], *queries["vector"]]
    return {text: np.asarray(v, np.float32) for text, v in zip(texts, vectors, strict=True)}


def preset_names() -> list[str]:
    """Names of every precomputed query: intent:X, mood:Y and preset:X|Y."""
    names = [f"intent:{i}" for i in INTENTS] + [f"mood:{m}" for m in MOODS]
    names += [f"preset:{i}|{m}" for i in INTENTS for m in MOODS]
    return names


def query_text(name: str) -> str:
    """The text embedded for a precomputed query name (see `preset_names`)."""
    kind, _, value = name.partition(":")
    if kind in ("intent", "mood"):
        return PHRASES[kind][check_label(kind, value)][0]
    if kind == "preset":
        intent, _, mood = value.partition("|")
        return baseline_query(intent, mood)
    raise VidrecError(f"unknown query name {name!r}: expected intent:X, mood:Y or preset:X|Y")


def query_vector(name: str) -> np.ndarray:
    """The shipped vector of a preset query: `intent:X`, `mood:Y` or `preset:X|Y`."""
    return shipped_vectors()[query_text(name)]
