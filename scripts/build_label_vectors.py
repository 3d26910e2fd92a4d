"""Rebuild data/label_vectors.parquet: one vector per label phrasing (data/labels.json).

The sample model (all-MiniLM-L6-v2, the `local` extra) embeds every phrasing, so offline
intent and mood queries need no text model at run time. Run: python scripts/build_label_vectors.py
"""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.parquet as pq

from vidrec_helpers.embeddings import LocalTextEmbedder
from vidrec_helpers.labels import all_phrases
from vidrec_helpers.queries import label_vectors_path
from vidrec_helpers.samples import SAMPLE_MODEL, checksum_path


def main() -> None:
    """Embed every phrasing and write the parquet plus its checksum sidecar."""
    texts = all_phrases()
    vectors = LocalTextEmbedder().embed_texts(texts)
    table = pa.table(
        {
            "text": texts,
            "model": [SAMPLE_MODEL] * len(texts),
            "vector": pa.array(list(vectors), type=pa.list_(pa.float32())),
        }
    )
    output = label_vectors_path()
    pq.write_table(table, output, compression="zstd")
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    checksum_path(output).write_text(f"{digest}  {output.name}\n", encoding="utf-8")
    print(f"wrote {output} ({len(texts)} phrasings)")


if __name__ == "__main__":
    main()
