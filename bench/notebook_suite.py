"""The whole offline notebook suite under nbval, timed: `pytest --nbval notebooks/` (what CI runs).

Measures only when the tutorial's notebooks (`notebooks/0*.ipynb`) exist; otherwise it records
that nothing was measured. `--quick` lists the notebooks without running them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from bench_common import ROOT, Recorder, arguments, isolate

isolate()

TARGET_SECONDS = 60.0


def main() -> None:
    args = arguments("notebooks", __doc__.splitlines()[0])
    recorder = Recorder("notebooks", "4b. Offline notebook suite (nbval)", args)
    notebooks = sorted((ROOT / "notebooks").glob("0*.ipynb"))
    recorder.params(notebooks=[path.name for path in notebooks], cpus=os.cpu_count())
    if not notebooks or args.quick:
        why = "no notebooks/0*.ipynb yet" if not notebooks else "not run in quick mode"
        recorder.target("whole offline notebook suite", None, TARGET_SECONDS, "s", note=why)
        recorder.note(f"Not measured: {why}.")
        recorder.write()
        return
    command = [sys.executable, "-m", "pytest", "--nbval", "-q", "-p", "no:cacheprovider"]
    sanitize = ROOT / "notebooks" / "sanitize.cfg"
    if sanitize.exists():
        command += ["--sanitize-with", str(sanitize)]
    command.append(str(ROOT / "notebooks"))
    environment = {**os.environ, "VIDREC_MODE": "offline"}
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment)
    seconds = time.perf_counter() - started
    tail = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    counts = {
        word: int(number) for number, word in re.findall(r"(\d+) (passed|failed|error)", tail)
    }
    recorder.metrics(seconds=seconds, exit_code=result.returncode, outcome=tail, cells=counts)
    recorder.table(
        "nbval run",
        ["notebooks", "cells passed", "cells failed", "wall s"],
        [
            [
                len(notebooks),
                counts.get("passed", 0),
                counts.get("failed", 0) + counts.get("error", 0),
                round(seconds, 1),
            ]
        ],
    )
    note = f"{len(notebooks)} notebooks, pytest exit {result.returncode}: {tail}"
    recorder.target("whole offline notebook suite", seconds, TARGET_SECONDS, "s", note=note)
    if result.returncode:
        recorder.note(f"nbval failed (exit {result.returncode}); the time is still the suite's.")
    recorder.write()


if __name__ == "__main__":
    main()
