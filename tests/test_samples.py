"""The sample catalog and its vectors: rules, the checks of the shipped files, reproducibility.

The loader trusts a shipped parquet file whose checksum matches (vidrec_standins.shipped): this
is where its contents are validated, and where a wrong file fails.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from vidrec_helpers import samples
from vidrec_helpers.labels import INTENTS, MOODS, all_phrases
from vidrec_helpers.samples import (
    SAMPLE_DIMENSION,
    SAMPLE_MODEL,
    SampleDataError,
    load_catalog,
    sample_videos,
    video_text,
)
from vidrec_standins.shipped import (
    checksum_path,
    embeddings_path,
    label_vectors_path,
    load_sample_embeddings,
    preset_names,
    query_text,
    query_vector,
    read_checked,
    write_checksum,
)

BANNED = (
    "sci-fi scifi science fiction cartoon cartoons kid kids family families adventure adventures "
    "adventurous fantasy fantasies fantastical comedy comedies comedic action musical musicals "
    "magical magic magically"
).split()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def frame():
    return load_sample_embeddings()


def test_catalog_size_and_balance(catalog):
    assert len(catalog) >= 180
    pairs = Counter((e["intent"], e["mood"]) for e in catalog)
    assert set(pairs) == {(i, m) for i in INTENTS for m in MOODS}, "every intent x mood is covered"
    assert min(pairs.values()) >= 5


def test_descriptions_do_not_name_their_labels(catalog):
    offenders = []
    for entry in catalog:
        texts = [entry["title"], entry["description"], *(s["description"] for s in entry["scenes"])]
        found = {w for text in texts for w in words(text)} & set(BANNED)
        if found:
            offenders.append((entry["id"], sorted(found)))
    assert offenders == []


def test_no_two_descriptions_from_one_template(catalog):
    openings = Counter(tuple(words(e["description"])[:3]) for e in catalog)
    assert [o for o, n in openings.items() if n > 1] == []
    shingles = {}
    for entry in catalog:
        tokens = words(entry["description"])
        shingles[entry["id"]] = {tuple(tokens[i : i + 6]) for i in range(len(tokens) - 5)}
    shared = [(a, b) for a, b in combinations(shingles, 2) if shingles[a] & shingles[b]]
    assert shared == [], f"descriptions share 6-word runs: {shared[:5]}"


#: The fields of a catalog entry (each is described in data/README.md).
ENTRY_FIELDS = ("id", "title", "description", "duration", "intent", "mood", "scenes", "filename")


def entry_problems(entry: dict) -> list[str]:
    """What is wrong with one catalog entry: the checks the loader leaves to this test."""
    missing = [name for name in ENTRY_FIELDS if name not in entry]
    if missing:
        return [f"missing {', '.join(missing)}"]
    found = []
    if entry["intent"] not in INTENTS or entry["mood"] not in MOODS:
        found.append(f"unknown labels {entry['intent']!r}, {entry['mood']!r}")
    duration = float(entry["duration"])
    if not duration > 0:
        found.append("a non-positive duration")
    if not 2 <= len(entry["scenes"]) <= 4:
        found.append(f"{len(entry['scenes'])} scenes; 2 to 4 are expected")
    previous_end = 0.0
    for number, scene in enumerate(entry["scenes"], 1):
        start, end = float(scene["start_sec"]), float(scene["end_sec"])
        if start < previous_end or end <= start or end > duration + 1e-6:
            found.append(f"scene {number} runs {start}-{end} s (out of order or past the end)")
        if not str(scene.get("description", "")).strip():
            found.append(f"scene {number} has no description")
        previous_end = end
    return found


def test_catalog_entries_are_valid(catalog):
    assert {e["id"]: entry_problems(e) for e in catalog if entry_problems(e)} == {}
    for entry in catalog:
        assert len(words(entry["description"])) >= 30
        assert entry["scenes"][0]["start_sec"] == 0


def with_scenes(*spans: tuple[float, float], description: str = "a scene") -> list[dict]:
    return [{"start_sec": a, "end_sec": b, "description": description} for a, b in spans]


ENTRY_DAMAGE = {
    "a missing field": lambda e: {k: v for k, v in e.items() if k != "title"},
    "an unknown intent": lambda e: {**e, "intent": "horror"},
    "an unknown mood": lambda e: {**e, "mood": "grim"},
    "a non-positive duration": lambda e: {**e, "duration": 0},
    "one scene": lambda e: {**e, "scenes": with_scenes((0, 4))},
    "five scenes": lambda e: {**e, "scenes": with_scenes(*((n, n + 1) for n in range(5)))},
    "overlapping scenes": lambda e: {**e, "scenes": with_scenes((0, 4), (3, 5))},
    "a scene past the end": lambda e: {**e, "duration": 6, "scenes": with_scenes((0, 4), (4, 7))},
    "an empty scene": lambda e: {**e, "scenes": with_scenes((0, 1), (1, 2), description=" ")},
}


@pytest.mark.parametrize("damage", ENTRY_DAMAGE)
def test_wrong_catalog_entries_fail_the_check(catalog, damage):
    assert entry_problems(ENTRY_DAMAGE[damage](dict(catalog[0])))


@pytest.fixture
def catalog_dir(tmp_path, monkeypatch):
    """An empty data/catalog/ of its own, read afresh by load_catalog."""
    monkeypatch.setattr(samples, "data_dir", lambda: tmp_path)
    samples._load_catalog.cache_clear()
    yield tmp_path / "catalog"
    samples._load_catalog.cache_clear()


def test_catalog_load_errors_name_the_problem(catalog_dir):
    with pytest.raises(SampleDataError, match="no catalog files.*git checkout"):
        load_catalog()
    catalog_dir.mkdir()
    (catalog_dir / "a.json").write_text('[{"id": "x"}]', encoding="utf-8")
    (catalog_dir / "b.json").write_text('[{"id": "x"}]', encoding="utf-8")
    with pytest.raises(SampleDataError, match="b.json: duplicate catalog id 'x'"):
        load_catalog()
    (catalog_dir / "b.json").write_text('[{"id": "y"},', encoding="utf-8")
    with pytest.raises(SampleDataError, match="b.json is not valid JSON"):
        load_catalog()


#: Columns of data/sample_embeddings.parquet, in order (each is described in data/README.md).
COLUMNS = (
    "kind key video_id title intent mood scope start_sec end_sec duration filename text model vector"
).split()


def problems(frame: pd.DataFrame, catalog: list[dict]) -> list[str]:
    """What is wrong with a sample-vector frame: every check the loader leaves to the checksum."""
    if list(frame.columns) != COLUMNS:
        return [f"columns {list(frame.columns)}, expected {COLUMNS}"]
    found = []
    if set(frame["kind"]) - {"video", "clip", "query"} or set(frame["model"]) != {SAMPLE_MODEL}:
        found.append(f"kinds {set(frame['kind'])}, models {set(frame['model'])}")
    if frame["key"].duplicated().any():
        found.append(f"duplicate keys {frame['key'][frame['key'].duplicated()].tolist()[:3]}")
    labels = set(frame["intent"].dropna()) - set(INTENTS) | set(frame["mood"].dropna()) - set(MOODS)
    if labels:
        found.append(f"unknown labels {sorted(labels)}")
    if {len(vector) for vector in frame["vector"]} != {SAMPLE_DIMENSION}:
        found.append(f"vector dimensions {sorted({len(v) for v in frame['vector']})}")
    else:
        norms = np.linalg.norm(np.stack(frame["vector"].to_list()), axis=1)
        if not np.isfinite(norms).all() or not np.allclose(norms, 1.0, atol=1e-3):
            found.append("vectors holding NaN or infinity, or not of unit length")
    queries = frame[frame["kind"] == "query"]
    presets = {name: query_text(name) for name in preset_names()}
    if dict(zip(queries["key"], queries["text"], strict=True)) != presets:
        found.append("query rows are not shipped.preset_names() with their query_text")
    expected = {}
    for entry in catalog:
        spans = [(video_text(entry), 0.0, float(entry["duration"]))]
        spans += [(s["description"], s["start_sec"], s["end_sec"]) for s in entry["scenes"]]
        for number, (text, start, end) in enumerate(spans):
            key = f"{entry['id']}#clip{number}" if number else entry["id"]
            scope = "clip" if number else "video"
            expected[key] = (entry["id"], scope, text, entry["intent"], entry["mood"], start, end)
    rows = frame[frame["kind"] != "query"]
    got = {
        r.key: (r.video_id, r.scope, r.text, r.intent, r.mood, r.start_sec, r.end_sec)
        for r in rows.itertuples()
    }
    differ = sorted(key for key in got.keys() | expected if got.get(key) != expected.get(key))
    if differ or (rows["kind"] != rows["scope"]).any():
        found.append(f"video/clip rows differ from the catalog: {differ[:3]}")
    return found


def test_shipped_vectors_are_valid(frame, catalog):
    assert problems(frame, catalog) == []
    assert (frame["kind"] == "video").sum() == len(catalog) >= 180
    assert len(set(frame.loc[frame["kind"] == "query", "key"])) == 6 + 5 + 30


def with_vector(frame: pd.DataFrame, row: int, change) -> pd.DataFrame:
    vectors = list(frame["vector"])
    vectors[row] = change(vectors[row].copy())
    return frame.assign(vector=vectors)


def nan_at_7(vector: np.ndarray) -> np.ndarray:
    vector[7] = np.nan
    return vector


DAMAGE = {
    "a missing column": lambda f: f.drop(columns=["mood"]),
    "a wrong dimension": lambda f: with_vector(f, 0, lambda v: np.ones(128) / np.sqrt(128)),
    "a NaN": lambda f: with_vector(f, 3, nan_at_7),
    "a vector not of unit length": lambda f: with_vector(f, 5, lambda v: 2 * v),
    "an unknown label": lambda f: f.assign(intent=["horror", *f["intent"][1:]]),
    "a duplicate key": lambda f: f.assign(key=[f["key"][1], *f["key"][1:]]),
    "a query text that is not its label's": lambda f: f.assign(
        text=f["text"].where(f["key"] != "intent:kids", "stories for grown-ups")
    ),
    "a scene missing": lambda f: f[f["key"] != f"{f['video_id'][0]}#clip1"],
    "a scene's timing changed": lambda f: f.assign(end_sec=f["end_sec"] + 0.5),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_wrong_shipped_vectors_fail_the_check(frame, catalog, damage):
    assert problems(DAMAGE[damage](frame.copy()), catalog)


def test_shipped_label_vectors_hold_every_phrasing():
    labels = read_checked(label_vectors_path(), "build_label_vectors.py")
    assert list(labels["text"]) == all_phrases() and set(labels["model"]) == {SAMPLE_MODEL}
    matrix = np.stack(labels["vector"].to_list())
    assert matrix.shape == (len(all_phrases()), SAMPLE_DIMENSION)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-3)


def test_query_vector_lookup():
    vector = query_vector("preset:kids|musical")
    assert vector.shape == (SAMPLE_DIMENSION,)
    with pytest.raises(Exception, match="unknown mood 'grumpy'"):
        query_vector("preset:kids|grumpy")


def test_sample_videos_have_catalog_entries(catalog):
    by_file = {e["filename"]: e for e in catalog if e["filename"]}
    names = {p.name for p in sample_videos()}
    assert 6 <= len(names) <= 10
    assert names == set(by_file)


# --- on load, the checksum: each kind of damage gets an error naming it --------------------


def test_corrupt_file_is_reported(tmp_path):
    target = tmp_path / "sample_embeddings.parquet"
    shutil.copy(embeddings_path(), target)
    shutil.copy(checksum_path(embeddings_path()), checksum_path(target))
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(SampleDataError, match="corrupt.*build_sample_data"):
        load_sample_embeddings(target)


def test_missing_checksum_is_reported(tmp_path):
    target = tmp_path / "sample_embeddings.parquet"
    shutil.copy(embeddings_path(), target)
    with pytest.raises(SampleDataError, match="checksum"):
        load_sample_embeddings(target)


def test_unreadable_file_is_reported(tmp_path):
    target = tmp_path / "sample_embeddings.parquet"
    target.write_bytes(b"not a parquet file at all")
    write_checksum(target)
    with pytest.raises(SampleDataError, match="cannot be read"):
        load_sample_embeddings(target)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_named_pipe_is_reported_not_read(tmp_path):
    pipe = tmp_path / "vectors.parquet"
    os.mkfifo(pipe)
    with pytest.raises(SampleDataError, match="not a regular file"):
        load_sample_embeddings(pipe)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(SampleDataError, match="not found"):
        load_sample_embeddings(tmp_path / "nope.parquet")


# --- the shipped vectors are what the model gives -----------------------------------------


@pytest.mark.local_model
def test_recomputed_vectors_match_shipped(frame, catalog):
    pytest.importorskip("sentence_transformers", reason="needs the 'local' extra")
    from vidrec_standins.local_text import LocalTextEmbedder

    by_id = {e["id"]: e for e in catalog}
    rng = np.random.default_rng(7)
    videos = frame[frame["kind"] == "video"].iloc[rng.choice(len(catalog), 8, replace=False)]
    clips = frame[frame["kind"] == "clip"].sample(6, random_state=3)
    queries = frame[frame["kind"] == "query"].sample(6, random_state=5)
    texts, expected = [], []
    for row in videos.itertuples():
        texts.append(video_text(by_id[row.video_id]))
        expected.append(row.vector)
    for row in clips.itertuples():
        number = int(row.key.rsplit("#clip", 1)[1])
        texts.append(by_id[row.video_id]["scenes"][number - 1]["description"])
        expected.append(row.vector)
    for row in queries.itertuples():
        assert row.text
        texts.append(row.text)
        expected.append(row.vector)
    fresh = LocalTextEmbedder().embed_texts(texts)
    similarity = np.sum(fresh * np.stack(expected), axis=1)
    assert similarity.min() > 0.9999, similarity
