"""The sample catalog (titles, labels, scenes) and the sample videos, used in both modes.

The catalog is validated on load: a problem gets an error that names it. Its vectors (from
all-MiniLM-L6-v2, standing in for Marengo offline) are loaded by `vidrec_standins.shipped`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from .config import VidrecError, project_root
from .labels import check_intent, check_mood

#: The text model behind the sample vectors (a stand-in for Marengo, see data/README.md).
SAMPLE_MODEL = "all-MiniLM-L6-v2"
SAMPLE_DIMENSION = 384

ENTRY_FIELDS = ("id", "title", "description", "duration", "intent", "mood", "scenes", "filename")


class SampleDataError(VidrecError):
    """The shipped sample data is missing, corrupt or inconsistent."""


def data_dir() -> Path:
    """The repository's `data/` folder."""
    return project_root() / "data"


def sample_video_dir() -> Path:
    """Where the sample mp4 clips live (`data/videos/`)."""
    return data_dir() / "videos"


_RESTORE_HINT = "restore it with `git checkout -- data/catalog`"


def validate_entry(entry: dict, source: str = "catalog") -> dict:
    """Check one catalog entry's fields, labels and scene timing; return it unchanged."""
    where = f"{source}: entry {entry.get('id', '?')!r}"
    missing = [name for name in ENTRY_FIELDS if name not in entry]
    if missing:
        raise SampleDataError(f"{where} is missing {', '.join(missing)}")
    try:
        check_intent(entry["intent"])
        check_mood(entry["mood"])
    except VidrecError as error:
        raise SampleDataError(f"{where}: {error}") from None
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


def sample_videos() -> list[Path]:
    """The sample mp4 clips shipped in `data/videos/`, sorted by name."""
    return sorted(sample_video_dir().glob("*.mp4"))
