"""The intents (categories) and moods of the original demo, as data (data/labels.json).

Each label has a few phrasings written from what the label means (never copied from the
catalog's texts). A label's query vector is the mean of its phrasings' vectors (a prompt
ensemble); the first phrasing is the label's description, shown in the UI and used by the
original single-string query.
"""

from __future__ import annotations

import json

from .config import VidrecError, project_root

LABELS_PATH = project_root() / "data" / "labels.json"
if not LABELS_PATH.is_file():
    raise VidrecError(
        f"{LABELS_PATH} is missing: vidrec reads the project's data/ folder, so run it from a "
        "clone of the repository (or restore the file with `git checkout -- data/labels.json`)"
    )

#: Phrasings per label kind ("intent", "mood") and label, the description first.
PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    kind: {name: tuple(texts) for name, texts in labels.items()}
    for kind, labels in json.loads(LABELS_PATH.read_text(encoding="utf-8")).items()
}
#: The six intents of the original demo and their descriptions.
INTENTS: dict[str, str] = {name: texts[0] for name, texts in PHRASES["intent"].items()}
#: The five moods of the original demo and their descriptions.
MOODS: dict[str, str] = {name: texts[0] for name, texts in PHRASES["mood"].items()}


def check_label(kind: str, value: object) -> str:
    """Return `value` if it is a known intent (or mood), else an error listing the valid ones."""
    valid = INTENTS if kind == "intent" else MOODS
    if value not in valid:
        raise VidrecError(f"unknown {kind} {value!r}: choose one of {', '.join(valid)}")
    return str(value)


def label_row(kind: str, name: str) -> int:
    """The row of a label in a matrix of every label (the intents, then the moods)."""
    rows = [(each, label) for each, labels in PHRASES.items() for label in labels]
    return rows.index((kind, check_label(kind, name)))


def baseline_query(intent: str, mood: str) -> str:
    """The original demo's single query string: Recommend: "<intent description>" videos "<mood>"."""
    return f'Recommend: "{INTENTS[check_label("intent", intent)]}" videos "{check_label("mood", mood)}"'


def all_phrases() -> list[str]:
    """Every phrasing of every label, in a fixed order (the texts of data/label_vectors.parquet)."""
    return [text for labels in PHRASES.values() for texts in labels.values() for text in texts]
