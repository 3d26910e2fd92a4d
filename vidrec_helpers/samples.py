"""The offline heart of the tutorial: the sample catalog, its vectors and the sample videos.

The vectors in `data/sample_embeddings.parquet` come from all-MiniLM-L6-v2 applied to the
catalog's descriptions. They stand in for Marengo so everything runs without an API key.
Everything here is validated on load: a problem gets an error that names it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .config import VidrecError, project_root
from .labels import check_intent, check_mood, preset_names
from .records import file_sha256

#: The text model behind the sample vectors (a stand-in for Marengo, see data/README.md).
SAMPLE_MODEL = "all-MiniLM-L6-v2"
SAMPLE_DIMENSION = 384

#: Columns of data/sample_embeddings.parquet, in order (each is described in data/README.md).
COLUMNS = (
    "kind key video_id title intent mood scope start_sec end_sec duration filename text model vector"
).split()
KINDS = {"video", "clip", "query"}
ENTRY_FIELDS = ("id", "title", "description", "duration", "intent", "mood", "scenes", "filename")


class SampleDataError(VidrecError):
    """The shipped sample data is missing, corrupt or inconsistent."""


def data_dir() -> Path:
    """The repository's `data/` folder."""
    return project_root() / "data"


def sample_video_dir() -> Path:
    """Where the sample mp4 clips live (`data/videos/`)."""
    return data_dir() / "videos"


def embeddings_path() -> Path:
    """The shipped vectors (`data/sample_embeddings.parquet`)."""
    return data_dir() / "sample_embeddings.parquet"


def checksum_path(path: Path) -> Path:
    """The sidecar file holding the SHA-256 of `path`."""
    return path.with_name(path.name + ".sha256")


_REBUILD_HINT = (
    "restore it with `git checkout -- data/` or rebuild it with "
    "`python scripts/build_sample_data.py`"
)


def validate_entry(entry: dict, source: str = "catalog") -> dict:
    """Check one catalog entry's fields, labels and scene timing; return it unchanged."""
    where = f"{source}: entry {entry.get('id', '?')!r}"
    missing = [name for name in ENTRY_FIELDS if name not in entry]
    if missing:
        raise SampleDataError(f"{where} is missing {', '.join(missing)}")
    _check_labels(where, [entry["intent"]], [entry["mood"]])
    duration = float(entry["duration"])
    if not duration > 0:
        raise SampleDataError(f"{where} has a non-positive duration")
    scenes = entry["scenes"]
    if not 2 <= len(scenes) <= 4:
        raise SampleDataError(f"{where} has {len(scenes)} scenes; 2 to 4 are expected")
    previous_end = 0.0
    for number, scene in enumerate(scenes, 1):
        start, end = float(scene["start_sec"]), float(scene["end_sec"])
        if start < previous_end or end <= start or end > duration + 1e-6:
            raise SampleDataError(
                f"{where} scene {number} runs {start}-{end} s: scenes must be in order, "
                f"not overlap, and end within the {duration} s duration"
            )
        if not str(scene.get("description", "")).strip():
            raise SampleDataError(f"{where} scene {number} has no description")
        previous_end = end
    return entry


def _check_labels(where: str, intents: Iterable[str], moods: Iterable[str]) -> None:
    """Every label is a known intent or mood, else an error naming where it is."""
    try:
        for intent in intents:
            check_intent(intent)
        for mood in moods:
            check_mood(mood)
    except VidrecError as error:
        raise SampleDataError(f"{where}: {error}") from None


@lru_cache(maxsize=1)
def _load_catalog() -> tuple[dict, ...]:
    files = sorted(p for p in (data_dir() / "catalog").glob("*.json") if p.is_file())
    if not files:
        raise SampleDataError(f"no catalog files in {data_dir() / 'catalog'}: {_REBUILD_HINT}")
    entries: dict[str, dict] = {}
    for file in files:
        try:
            items = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise SampleDataError(
                f"{file.name} is not valid JSON ({error}): {_REBUILD_HINT}"
            ) from None
        for entry in items:
            if validate_entry(entry, file.name)["id"] in entries:
                raise SampleDataError(f"{file.name}: duplicate catalog id {entry['id']!r}")
            entries[entry["id"]] = entry
    return tuple(entries[key] for key in sorted(entries))


def load_catalog() -> list[dict]:
    """Every catalog entry (validated), sorted by id."""
    return [dict(entry) for entry in _load_catalog()]


def video_text(entry: dict) -> str:
    """The text embedded for a whole video: its title and description."""
    return f"{entry['title']}. {entry['description']}"


def clip_text(entry: dict, scene: dict) -> str:
    """The text embedded for one scene of a video."""
    return str(scene["description"])


def _check_frame(frame: pd.DataFrame, where: str) -> np.ndarray:
    """Check columns, kinds, keys, labels and vectors (384-d, finite, unit); return the vectors."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise SampleDataError(f"{where} is missing column(s) {', '.join(missing)}: {_REBUILD_HINT}")
    if unknown_kinds := set(frame["kind"]) - KINDS:
        raise SampleDataError(f"{where} has unknown kind(s) {sorted(unknown_kinds)}")
    if not (repeated := frame["key"][frame["key"].duplicated()]).empty:
        raise SampleDataError(f"{where} has duplicate keys: {repeated.tolist()[:3]}")
    _check_labels(where, set(frame["intent"].dropna()), set(frame["mood"].dropna()))
    for key, vector in zip(frame["key"], frame["vector"], strict=True):
        if len(vector) != SAMPLE_DIMENSION:
            message = f"has dimension {len(vector)}, expected {SAMPLE_DIMENSION}"
            raise SampleDataError(f"{where}: vector of {key!r} {message}")
    vectors = np.stack(frame["vector"].to_list()).astype(np.float32)
    finite = np.isfinite(vectors).all(axis=1)
    unit = np.abs(np.linalg.norm(vectors, axis=1) - 1.0) <= 1e-3
    for bad, problem in ((~finite, "contains NaN or infinity"), (~unit, "is not unit length")):
        if bad.any():
            raise SampleDataError(f"{where}: vector of {frame['key'][bad].iloc[0]!r} {problem}")
    queries = set(frame.loc[frame["kind"] == "query", "key"])
    missing_queries = [name for name in preset_names() if name not in queries]
    if missing_queries:
        raise SampleDataError(f"{where} lacks query vectors for {', '.join(missing_queries[:5])}")
    return vectors


@lru_cache(maxsize=4)
def _load_embeddings(path: str) -> pd.DataFrame:
    file, sidecar = Path(path), checksum_path(Path(path))
    if not file.is_file():  # a folder or a named pipe is refused too: reading one may never end
        raise SampleDataError(f"{file} not found (or not a regular file): {_REBUILD_HINT}")
    if not sidecar.is_file():
        raise SampleDataError(
            f"{sidecar.name} (the checksum of {file.name}) is missing: {_REBUILD_HINT}"
        )
    if file_sha256(file) != sidecar.read_text(encoding="utf-8").split()[0]:
        raise SampleDataError(
            f"{file.name} is corrupt or was changed (checksum mismatch): {_REBUILD_HINT}"
        )
    try:
        frame = pd.read_parquet(file)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise SampleDataError(
            f"{file.name} cannot be read ({type(error).__name__}): {_REBUILD_HINT}"
        ) from None
    vectors = _check_frame(frame, file.name)
    return frame[COLUMNS].assign(vector=list(vectors))


def load_sample_embeddings(path: str | Path | None = None) -> pd.DataFrame:
    """The shipped vectors, validated (checksum, columns, dimension, NaN, unit length, labels)."""
    return _load_embeddings(str(path or embeddings_path())).copy()


def query_vector(name: str) -> np.ndarray:
    """A precomputed query vector: `intent:X`, `mood:Y` or `preset:X|Y`."""
    frame = _load_embeddings(str(embeddings_path()))
    match = frame.loc[(frame["kind"] == "query") & (frame["key"] == name), "vector"]
    if match.empty:
        raise VidrecError(
            f"no precomputed query {name!r}: known queries are {', '.join(preset_names())}"
        )
    return match.iloc[0]


def sample_videos() -> list[Path]:
    """The sample mp4 clips shipped in `data/videos/`, sorted by name."""
    return sorted(sample_video_dir().glob("*.mp4"))
