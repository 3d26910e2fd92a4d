"""Write data/posters/<video_id>.jpg for every catalog entry (clip frames and drawn posters).

Run after changing the catalog or the sample clips: `python scripts/make_posters.py`.
"""

from __future__ import annotations

import sys
import time

from vidrec_helpers.config import VidrecError
from vidrec_helpers.posters import BUDGET_BYTES, make_posters, poster_dir


def main() -> int:
    """Make every poster and print how many, how big and how long it took."""
    started = time.perf_counter()
    try:
        paths = make_posters()
    except VidrecError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sizes = [path.stat().st_size for path in paths]
    print(
        f"{len(paths)} posters in {poster_dir()}: {sum(sizes) / 1e6:.2f} MB "
        f"(budget {BUDGET_BYTES / 1e6:.0f} MB), largest {max(sizes) / 1e3:.1f} KB, "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
