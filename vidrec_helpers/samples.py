"""The sample catalog (titles, labels, scenes) and the sample videos, used in both modes.

The catalog is shipped data: tests/test_samples.py checks its entries (fields, labels, scene
timing), so on load only a missing folder, invalid JSON or a duplicate id gets an error. Its
vectors (from all-MiniLM-L6-v2, standing in for Marengo offline) are loaded by
`vidrec_standins.shipped`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from .config import VidrecError, project_root

#: The text model behind the sample vectors (a stand-in for Marengo, see data/README.md).
SAMPLE_MODEL = "all-MiniLM-L6-v2"
SAMPLE_DIMENSION = 384


class SampleDataError(VidrecError):
    """The shipped sample data is missing, corrupt or inconsistent."""


def data_dir() -> Path:
    """The repository's `data/` folder."""
    return project_root() / "data"


def sample_video_dir() -> Path:
    """Where the sample mp4 clips live (`data/videos/`)."""
    return data_dir() / "videos"


_RESTORE_HINT = "restore it with `git checkout -- data/catalog`"


@lru_cache(maxsize=1)
def _load_catalog() -> tuple[dict, ...]:
    files = sorted(p for p in (data_dir() / "catalog").glob("*.json") if p.is_file())
    if not files:
        raise SampleDataError(f"no catalog files in {data_dir() / 'catalog'}: {_RESTORE_HINT}")
    entries: dict[str, dict] = {}
    for file in files:
        try:
            items = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise SampleDataError(
                f"{file.name} is not valid JSON ({error}): {_RESTORE_HINT}"
            ) from None
        for entry in items:
            if entry["id"] in entries:
                raise SampleDataError(f"{file.name}: duplicate catalog id {entry['id']!r}")
            entries[entry["id"]] = entry
    return tuple(entries[key] for key in sorted(entries))


def load_catalog() -> list[dict]:
    """Every catalog entry, sorted by id."""
    return [dict(entry) for entry in _load_catalog()]


def video_text(entry: dict) -> str:
    """The text embedded for a whole video: its title and description."""
    return f"{entry['title']}. {entry['description']}"


def sample_videos() -> list[Path]:
    """The sample mp4 clips shipped in `data/videos/`, sorted by name."""
    return sorted(sample_video_dir().glob("*.mp4"))
