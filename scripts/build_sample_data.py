"""Rebuild data/sample_embeddings.parquet from the catalog, deterministically.

Every catalog entry gets a video-level vector (title + description) and a clip-level vector
per scene; every intent, mood and intent x mood preset gets a query vector. The model is
all-MiniLM-L6-v2 (needs the `local` extra). Run: python scripts/build_sample_data.py
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vidrec_helpers.samples import SAMPLE_DIMENSION, SAMPLE_MODEL, load_catalog, video_text
from vidrec_standins.local_text import LocalTextEmbedder
from vidrec_standins.shipped import (
    checksum_path,
    embeddings_path,
    preset_names,
    query_text,
    write_checksum,
)


def catalog_rows() -> list[dict]:
    """One row per video and per scene, vectors still missing."""
    rows = []
    for entry in load_catalog():
        common = {
            "video_id": entry["id"],
            "title": entry["title"],
            "intent": entry["intent"],
            "mood": entry["mood"],
            "duration": float(entry["duration"]),
            "filename": entry["filename"],
            "model": SAMPLE_MODEL,
        }
        rows.append(
            {
                **common,
                "kind": "video",
                "key": entry["id"],
                "scope": "video",
                "start_sec": 0.0,
                "end_sec": float(entry["duration"]),
                "text": video_text(entry),
            }
        )
        for number, scene in enumerate(entry["scenes"], 1):
            rows.append(
                {
                    **common,
                    "kind": "clip",
                    "key": f"{entry['id']}#clip{number}",
                    "scope": "clip",
                    "start_sec": float(scene["start_sec"]),
                    "end_sec": float(scene["end_sec"]),
                    "text": scene["description"],
                }
            )
    return rows


def query_rows() -> list[dict]:
    """One row per precomputed query (intents, moods, intent x mood presets)."""
    rows = []
    for name in preset_names():
        kind, _, value = name.partition(":")
        intent, mood = None, None
        if kind == "intent":
            intent = value
        elif kind == "mood":
            mood = value
        else:
            intent, _, mood = value.partition("|")
        rows.append(
            {
                "kind": "query",
                "key": name,
                "video_id": None,
                "title": None,
                "intent": intent,
                "mood": mood,
                "scope": None,
                "start_sec": None,
                "end_sec": None,
                "duration": None,
                "filename": None,
                "text": query_text(name),
                "model": SAMPLE_MODEL,
            }
        )
    return rows


SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("key", pa.string()),
        ("video_id", pa.string()),
        ("title", pa.string()),
        ("intent", pa.string()),
        ("mood", pa.string()),
        ("scope", pa.string()),
        ("start_sec", pa.float64()),
        ("end_sec", pa.float64()),
        ("duration", pa.float64()),
        ("filename", pa.string()),
        ("text", pa.string()),
        ("model", pa.string()),
        ("vector", pa.list_(pa.float32(), SAMPLE_DIMENSION)),
    ]
)


def build(output: Path) -> pd.DataFrame:
    """Embed every text and write the parquet plus its checksum sidecar."""
    rows = catalog_rows() + query_rows()
    vectors = LocalTextEmbedder().embed_texts([row["text"] for row in rows])
    for row, vector in zip(rows, vectors, strict=True):
        row["vector"] = [float(x) for x in vector]
    frame = pd.DataFrame(rows, columns=SCHEMA.names)
    table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
    table = table.replace_schema_metadata(
        {"model": SAMPLE_MODEL, "dimension": str(SAMPLE_DIMENSION)}
    )
    pq.write_table(table, output, compression="zstd")
    write_checksum(output)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=embeddings_path())
    args = parser.parse_args()
    frame = build(args.output)
    counts = frame["kind"].value_counts().to_dict()
    print(f"wrote {args.output} ({counts}); checksum in {checksum_path(args.output).name}")


if __name__ == "__main__":
    main()
