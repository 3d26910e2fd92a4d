"""Execute the tutorial notebooks offline, in place, and print how long each took.

    python scripts/run_notebooks.py                 # all of notebooks/0*.ipynb
    python scripts/run_notebooks.py 04 06           # only the notebooks starting with 04 or 06

Offline is forced (VIDREC_MODE=offline), whatever `.env` says: the committed outputs must come
from an offline run, so that `pytest --nbval` can compare them on any machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def chosen(prefixes: list[str]) -> list[Path]:
    """The notebooks to run: all `0*.ipynb`, or those whose name starts with a given prefix."""
    paths = sorted(NOTEBOOKS.glob("0*.ipynb"))
    if prefixes:
        paths = [path for path in paths if any(path.name.startswith(p) for p in prefixes)]
    if not paths:
        raise SystemExit(f"no notebook matches {prefixes}: see {NOTEBOOKS.relative_to(ROOT)}/")
    return paths


def execute(path: Path) -> float:
    """Run one notebook in place with nbconvert (as `make notebooks` does); return the seconds."""
    environment = {**os.environ, "VIDREC_MODE": "offline"}
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--inplace",
        str(path),
    ]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{path.name} failed: fix it, then run this script again")
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    total = 0.0
    for path in chosen(argv):
        seconds = execute(path)
        total += seconds
        print(f"{path.name:<34} {seconds:6.1f} s", flush=True)
    print(f"{'total':<34} {total:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
