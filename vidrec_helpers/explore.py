"""Small helpers the notebooks lean on: credentials, tables of results, and a look at the vectors.

Notebooks 00-05 use the first half (ask for a missing key, upload sources, show results as a
table); notebook 06 uses the second half: a 2-D map of the collection, clusters and their
purity, and the closest pairs of videos (the seed tutorial's "trend analysis", made concrete).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import SecretStr
from qdrant_client import QdrantClient, models

from .config import Settings, VidrecError, get_settings, project_root, reload_settings
from .pipeline import ingest
from .records import VideoSource
from .search import SearchResponse
from .session import Session, open_session
from .storage import (
    UploadFailure,
    UploadResult,
    ensure_bucket,
    playable_url,
    s3_client,
    upload_many,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# ----- credentials ---------------------------------------------------------------------------

#: The keys live mode needs (environment variable -> settings field), in the order asked.
LIVE_KEYS = {"TWELVELABS_API_KEY": "twelvelabs_api_key"}


def live_requested(environment: Mapping[str, str] | None = None) -> bool:
    """True when the learner asked for live mode explicitly (`VIDREC_MODE=live`)."""
    environment = os.environ if environment is None else environment
    return environment.get("VIDREC_MODE", "").strip().lower() == "live"


def ask_for_missing_keys(
    settings: Settings | None = None,
    prompt: Callable[[str], str] = getpass.getpass,
) -> Settings:
    """Settings with every live key present: from .env or the environment, else a hidden prompt.

    Only prompts when live mode was asked for (`VIDREC_MODE=live`) and a key is missing;
    offline never prompts. A typed key goes to this process's environment (so the package's
    own settings see it too), never to a file or a cell, and is masked in every message.
    """
    settings = settings or get_settings()
    if settings.mode != "live" or not live_requested():
        return settings
    missing = {name: field for name, field in LIVE_KEYS.items() if not getattr(settings, field)}
    updates = {}
    for name, field in missing.items():
        try:
            value = prompt(f"{name} (input hidden, press Enter to cancel): ").strip()
        except Exception as error:  # no stdin (nbconvert, nbval): say what to do instead
            raise VidrecError(
                f"VIDREC_MODE=live but {name} is not set and this kernel cannot prompt: "
                "add it to .env, or run offline with VIDREC_MODE=offline"
            ) from error
        if not value:
            raise VidrecError(
                f"no {name} given: add it to .env, or run offline with VIDREC_MODE=offline"
            )
        os.environ[name] = value
        updates[field] = SecretStr(value)
    if updates:
        reload_settings()  # registers the new key for masking
    return settings.model_copy(update=updates)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as a notebook should print it: relative to the repository when inside it."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(project_root().resolve()).as_posix()
    except ValueError:
        return resolved.name


# ----- uploading sources ---------------------------------------------------------------------


def upload_sources(
    sources: Sequence[VideoSource],
    settings: Settings | None = None,
    client: Any = None,
    expires: int = 3600,
) -> list[UploadResult | UploadFailure]:
    """Upload the sources that have a file; give each its S3 key and a presigned URL.

    TwelveLabs fetches videos by URL, so in live mode a source must be uploaded before it
    is embedded. Sources without a file (catalog-only entries) are left as they are.
    """
    settings = settings or get_settings()
    client = client or s3_client(settings)
    with_files = [source for source in sources if source.path is not None]
    ensure_bucket(client, settings.s3_bucket, settings.aws_region)
    outcomes = upload_many(client, settings.s3_bucket, [source.path for source in with_files])
    for source, outcome in zip(with_files, outcomes, strict=True):
        if isinstance(outcome, UploadResult):
            source.s3_key = outcome.key
            source.url = playable_url(client, settings.s3_bucket, outcome.key, expires=expires)
    return outcomes


# ----- a session with something in it ------------------------------------------------------


def ready_session(settings: Settings | None = None) -> Session:
    """A search session whose collection holds videos, in either mode.

    Offline, `open_session` fills an empty collection from the shipped sample vectors. Live,
    an empty collection is filled by `ingest` with the sample clips: uploaded once, embedded
    by Marengo once (then read from the embedding cache), upserted.
    """
    settings = settings or get_settings()
    session = open_session(settings)
    if session.point_count() == 0:
        ingest(settings=settings, client=session.client, embedder=session.embedder, progress=False)
    return session


# ----- results as tables ---------------------------------------------------------------------


def clock(seconds: float) -> str:
    """Seconds as m:ss (75 -> 1:15)."""
    whole = max(0, int(round(seconds)))
    return f"{whole // 60}:{whole % 60:02d}"


def results_table(response: SearchResponse) -> pd.DataFrame:
    """One row per recommended video: labels, score, confidence and the moment to play."""
    rows = [
        {
            "video_id": result.video_id,
            "title": result.title,
            "intent": result.intent,
            "mood": result.mood,
            "score": round(result.score, 3),
            "confidence": result.confidence,
            "duration": clock(result.duration) if result.duration is not None else "",
            "best moment": f"{clock(result.start_time)}-{clock(result.end_time)}",
        }
        for result in response.results
    ]
    columns = ["video_id", "title", "intent", "mood", "score", "confidence", "duration"]
    columns.append("best moment")
    table = pd.DataFrame(rows, columns=columns)
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    return table


def label_share(response: SearchResponse, intent: str | None, mood: str | None) -> str:
    """How many results carry the asked intent and mood, as a sentence."""
    results = response.results
    both = sum(1 for r in results if r.intent == intent and r.mood == mood)
    return f"{both} of {len(results)} results are labelled {intent} + {mood}"


# ----- the collection as a table -------------------------------------------------------------


def collection_frame(
    client: QdrantClient, collection: str, scope: str | None = "video", batch: int = 256
) -> pd.DataFrame:
    """Every point of `collection` (of one scope, or all with None): payload columns + vector."""
    flt = None
    if scope:
        flt = models.Filter(
            must=[models.FieldCondition(key="scope", match=models.MatchValue(value=scope))]
        )
    rows, offset = [], None
    while True:
        points, offset = client.scroll(
            collection,
            scroll_filter=flt,
            limit=batch,
            offset=offset,
            with_payload=True,
            with_vectors=True,
        )
        for point in points:
            payload = dict(point.payload or {})
            payload["vector"] = np.asarray(point.vector, dtype=np.float32)
            rows.append(payload)
        if offset is None:
            break
    if not rows:
        raise VidrecError(
            f"collection {collection!r} has no {scope or ''} points: ingest the samples first "
            "(open_session() does it offline)"
        )
    frame = pd.DataFrame(rows)
    order = ["video_id", "start_sec"] if "start_sec" in frame else ["video_id"]
    return frame.sort_values(order).reset_index(drop=True)


def vectors_of(frame: pd.DataFrame) -> np.ndarray:
    """The `vector` column as one float32 matrix, rows scaled to unit length."""
    matrix = np.stack(frame["vector"].to_list()).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


# ----- maps, clusters, near-duplicates -------------------------------------------------------


def project_2d(vectors: np.ndarray, method: str = "pca", random_state: int = 0) -> np.ndarray:
    """Vectors squeezed to 2-D for a picture: PCA (linear) or t-SNE (keeps neighbours close)."""
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=random_state).fit_transform(vectors)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(30.0, max(2.0, (len(vectors) - 1) / 3))
        tsne = TSNE(
            n_components=2,
            metric="cosine",
            init="pca",
            perplexity=perplexity,
            random_state=random_state,
        )
        return tsne.fit_transform(vectors)
    raise VidrecError(f"unknown projection {method!r}: use 'pca' or 'tsne'")


def explained_variance(vectors: np.ndarray, components: int = 2) -> list[float]:
    """Share of the variance each of the first principal components keeps."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=components, random_state=0).fit(vectors)
    return [round(float(share), 3) for share in pca.explained_variance_ratio_]


def plot_map(
    frame: pd.DataFrame,
    coordinates: np.ndarray,
    by: Sequence[str] = ("intent", "mood"),
    title: str = "",
) -> Figure:
    """One scatter plot per label column, each point a video coloured by its label."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(by), figsize=(6 * len(by), 5), squeeze=False)
    for axis, column in zip(axes[0], by, strict=True):
        labels = frame[column].fillna("none")
        palette = plt.get_cmap("tab10")
        for number, label in enumerate(sorted(labels.unique())):
            mask = (labels == label).to_numpy()
            axis.scatter(
                coordinates[mask, 0],
                coordinates[mask, 1],
                s=22,
                alpha=0.85,
                color=palette(number % 10),
                label=label,
            )
        axis.set_title(f"coloured by {column}")
        axis.set_xticks([])
        axis.set_yticks([])
        axis.legend(fontsize=8, loc="best", frameon=True)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def cluster(vectors: np.ndarray, clusters: int, random_state: int = 0) -> np.ndarray:
    """KMeans cluster number of each vector (unit vectors: Euclidean ~ cosine)."""
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=clusters, n_init=10, random_state=random_state)
    return model.fit_predict(vectors)


def cluster_table(frame: pd.DataFrame, assignments: Iterable[int], column: str) -> pd.DataFrame:
    """Cluster x label counts, with each cluster's main label and its share (purity)."""
    table = pd.crosstab(pd.Series(list(assignments), name="cluster"), frame[column].to_numpy())
    table.columns.name = column
    counts = table.to_numpy()
    table["main " + column] = table.columns[counts.argmax(axis=1)]
    table["purity"] = (counts.max(axis=1) / counts.sum(axis=1)).round(2)
    return table


def purity(frame: pd.DataFrame, assignments: Iterable[int], column: str) -> float:
    """Share of videos whose label is their cluster's most common one (1.0: pure clusters)."""
    table = pd.crosstab(pd.Series(list(assignments), name="cluster"), frame[column].to_numpy())
    return round(float(table.to_numpy().max(axis=1).sum() / table.to_numpy().sum()), 3)


def near_duplicates(frame: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The `top` most similar pairs of different videos (cosine similarity), best first."""
    vectors = vectors_of(frame)
    similarity = vectors @ vectors.T
    first, second = np.triu_indices(len(frame), k=1)
    ids = frame["video_id"].to_numpy()
    different = ids[first] != ids[second]
    first, second = first[different], second[different]
    scores = similarity[first, second]
    best = np.argsort(-scores, kind="stable")[:top]
    rows = []
    for index in best:
        a, b = frame.iloc[first[index]], frame.iloc[second[index]]
        rows.append(
            {
                "cosine": round(float(scores[index]), 3),
                "video_a": a["title"],
                "video_b": b["title"],
                "labels_a": f"{a['intent']} / {a['mood']}",
                "labels_b": f"{b['intent']} / {b['mood']}",
                "same_labels": (a["intent"], a["mood"]) == (b["intent"], b["mood"]),
            }
        )
    table = pd.DataFrame(rows)
    table.index = pd.RangeIndex(1, len(table) + 1, name="pair")
    return table
