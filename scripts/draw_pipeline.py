"""Draw the tutorial's pipeline diagram to docs/pipeline.png (shown in notebook 00 and the README).

    python scripts/draw_pipeline.py

Boxes are the steps, each with the notebook that teaches it; arrows are the data walking one way.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "pipeline.png"

#: (label, detail, notebook, colour, x, y) of each step.
STEPS = [
    ("video files", "data/videos/*.mp4", "", "#e5e7eb", 0.0, 1.0),
    ("S3", "upload_file, HEAD,\npresigned URL", "01", "#fde68a", 1.0, 1.0),
    ("TwelveLabs Marengo", "Embed API v2 tasks:\nclip + asset vectors", "02", "#bfdbfe", 2.0, 1.0),
    ("Qdrant", "collection per model,\npoints + payload", "03", "#bbf7d0", 3.0, 1.0),
    (
        "search & recommend",
        "query_points, filters,\nRecommendQuery, fusion",
        "04",
        "#fbcfe8",
        3.0,
        0.0,
    ),
    ("widgets / Flask API", "intent + mood UI,\nPOST /search", "04, 05", "#ddd6fe", 2.0, 0.0),
    ("maps & clusters", "PCA, t-SNE, KMeans,\nnear-duplicates", "06", "#fed7aa", 1.0, 0.0),
]
ARROWS = [(0, 1, "upload"), (1, 2, "URL"), (2, 3, "vectors"), (3, 4, "query"), (4, 5, "results")]
ARROWS += [(3, 6, "scroll")]
WIDTH, HEIGHT = 0.8, 0.56


def box(axis: plt.Axes, label: str, detail: str, notebook: str, colour: str, x: float, y: float):
    """One rounded step box: title, detail and the notebook that teaches it."""
    axis.add_patch(
        FancyBboxPatch(
            (x - WIDTH / 2, y - HEIGHT / 2),
            WIDTH,
            HEIGHT,
            boxstyle="round,pad=0.02",
            facecolor=colour,
            edgecolor="#374151",
        )
    )
    axis.text(x, y + 0.13, label, ha="center", va="center", fontsize=11, weight="bold")
    axis.text(x, y - 0.05, detail, ha="center", va="center", fontsize=8.5)
    if notebook:
        axis.text(x, y - 0.22, f"notebook {notebook}", ha="center", fontsize=8, style="italic")


def arrow(axis: plt.Axes, start: tuple[float, float], end: tuple[float, float], label: str):
    """A labelled arrow between the edges of two boxes."""
    (x0, y0), (x1, y1) = start, end
    if y0 == y1:
        direction = 1 if x1 > x0 else -1
        a, b = (x0 + direction * WIDTH / 2, y0), (x1 - direction * WIDTH / 2, y1)
    else:
        a, b = (x0, y0 - HEIGHT / 2), (x1 + (WIDTH / 2 if x1 < x0 else 0), y1 + HEIGHT / 2)
    axis.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=14, color="#374151"))
    axis.text((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + 0.04, label, ha="center", fontsize=8)


def main() -> None:
    figure, axis = plt.subplots(figsize=(11, 4.2))
    for step in STEPS:
        box(axis, *step)
    for first, second, label in ARROWS:
        arrow(axis, STEPS[first][4:6], STEPS[second][4:6], label)
    axis.set_xlim(-0.5, 3.5)
    axis.set_ylim(-0.4, 1.4)
    axis.axis("off")
    axis.set_title("vidrec: videos -> S3 -> Marengo vectors -> Qdrant -> recommendations")
    figure.tight_layout()
    OUTPUT.parent.mkdir(exist_ok=True)
    figure.savefig(OUTPUT, dpi=110, metadata={"Software": None})
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
