"""The sample catalog and its vectors: rules, schema validation, and reproducibility."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from vidrec_helpers.labels import INTENTS, MOODS, preset_names
from vidrec_helpers.records import file_sha256
from vidrec_helpers.samples import (
    SAMPLE_DIMENSION,
    SampleDataError,
    checksum_path,
    clip_text,
    embeddings_path,
    load_catalog,
    load_sample_embeddings,
    query_vector,
    sample_videos,
    validate_entry,
    video_text,
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


def test_entries_have_scenes_and_viewer_descriptions(catalog):
    for entry in catalog:
        assert 2 <= len(entry["scenes"]) <= 4
        assert len(words(entry["description"])) >= 30
        assert entry["scenes"][0]["start_sec"] == 0


def test_validate_entry_names_the_problem():
    good = load_catalog()[0]
    with pytest.raises(SampleDataError, match="unknown intent 'horror'"):
        validate_entry({**good, "intent": "horror"})
    with pytest.raises(SampleDataError, match="unknown mood"):
        validate_entry({**good, "mood": "grim"})
    with pytest.raises(SampleDataError, match="missing title"):
        validate_entry({k: v for k, v in good.items() if k != "title"})
    bad_scenes = [
        {"start_sec": 0, "end_sec": 10, "description": "a"},
        {"start_sec": 5, "end_sec": 9, "description": "b"},
    ]
    with pytest.raises(SampleDataError, match="scene 2"):
        validate_entry({**good, "scenes": bad_scenes})


def test_parquet_has_every_video_clip_and_query(frame, catalog):
    kinds = frame["kind"].value_counts()
    assert kinds["video"] == len(catalog) >= 180
    assert kinds["clip"] == sum(len(e["scenes"]) for e in catalog)
    queries = set(frame.loc[frame["kind"] == "query", "key"])
    assert queries == set(preset_names())
    assert len(queries) == 6 + 5 + 30


def test_vectors_are_unit_length(frame):
    matrix = np.stack(frame["vector"].to_list())
    assert matrix.shape[1] == SAMPLE_DIMENSION
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-4)


def test_query_vector_lookup():
    vector = query_vector("preset:kids|musical")
    assert vector.shape == (SAMPLE_DIMENSION,)
    with pytest.raises(Exception, match="known queries"):
        query_vector("preset:kids|grumpy")


def test_sample_videos_have_catalog_entries(catalog):
    by_file = {e["filename"]: e for e in catalog if e["filename"]}
    names = {p.name for p in sample_videos()}
    assert 6 <= len(names) <= 10
    assert names == set(by_file)


# --- validation on load: each kind of damage gets an error naming it --------------------


def _write(frame: pd.DataFrame, path) -> None:
    frame = frame.copy()
    if "vector" in frame:
        frame["vector"] = [[float(x) for x in v] for v in frame["vector"]]
    frame.to_parquet(path)
    checksum_path(path).write_text(file_sha256(path) + "\n")


def test_corrupt_file_is_reported(tmp_path):
    target = tmp_path / "sample_embeddings.parquet"
    shutil.copy(embeddings_path(), target)
    shutil.copy(checksum_path(embeddings_path()), checksum_path(target))
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(SampleDataError, match="corrupt"):
        load_sample_embeddings(target)


def test_missing_checksum_is_reported(tmp_path):
    target = tmp_path / "sample_embeddings.parquet"
    shutil.copy(embeddings_path(), target)
    with pytest.raises(SampleDataError, match="checksum"):
        load_sample_embeddings(target)


def test_unreadable_file_is_reported(tmp_path):
    target = tmp_path / "sample_embeddings.parquet"
    target.write_bytes(b"not a parquet file at all")
    checksum_path(target).write_text(file_sha256(target))
    with pytest.raises(SampleDataError, match="cannot be read"):
        load_sample_embeddings(target)


def test_missing_column_is_reported(frame, tmp_path):
    target = tmp_path / "e.parquet"
    _write(frame.drop(columns=["mood"]), target)
    with pytest.raises(SampleDataError, match="missing column.*mood"):
        load_sample_embeddings(target)


def test_wrong_dimension_is_reported(frame, tmp_path):
    broken = frame.copy()
    broken.at[0, "vector"] = np.ones(128, dtype=np.float32) / np.sqrt(128)
    target = tmp_path / "e.parquet"
    _write(broken, target)
    with pytest.raises(SampleDataError, match="dimension 128, expected 384"):
        load_sample_embeddings(target)


def test_nan_is_reported(frame, tmp_path):
    broken = frame.copy()
    vector = broken.at[3, "vector"].copy()
    vector[7] = np.nan
    broken.at[3, "vector"] = vector
    target = tmp_path / "e.parquet"
    _write(broken, target)
    with pytest.raises(SampleDataError, match="NaN"):
        load_sample_embeddings(target)


def test_unknown_label_is_reported(frame, tmp_path):
    broken = frame.copy()
    broken.loc[broken.index[0], "intent"] = "horror"
    target = tmp_path / "e.parquet"
    _write(broken, target)
    with pytest.raises(SampleDataError, match="unknown intent .horror.: choose one of"):
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
    from vidrec_helpers.embeddings import LocalTextEmbedder

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
        texts.append(clip_text(by_id[row.video_id], by_id[row.video_id]["scenes"][number - 1]))
        expected.append(row.vector)
    for row in queries.itertuples():
        assert row.text
        texts.append(row.text)
        expected.append(row.vector)
    fresh = LocalTextEmbedder().embed_texts(texts)
    similarity = np.sum(fresh * np.stack(expected), axis=1)
    assert similarity.min() > 0.9999, similarity
