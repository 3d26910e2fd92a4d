"""Rebuild data/label_vectors.parquet: one vector per label phrasing (data/labels.json).

The sample model (all-MiniLM-L6-v2, the `local` extra) embeds every phrasing, so offline
intent and mood queries need no text model at run time. Run: python scripts/build_label_vectors.py
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from vidrec_helpers.labels import all_phrases
from vidrec_helpers.samples import SAMPLE_MODEL
from vidrec_standins.local_text import LocalTextEmbedder
from vidrec_standins.shipped import label_vectors_path, write_checksum


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
    write_checksum(output)
    print(f"wrote {output} ({len(texts)} phrasings)")


if __name__ == "__main__":
    main()
