"""Cold start: import time, fresh interpreter and fresh Jupyter kernel to the first recommendation.

Every measurement starts a new process, as a learner's first cell does. "First
recommendation" = `open_session(Settings(qdrant_path=":memory:", forced_mode="offline"))`
(which indexes the sample catalog) + `session.search(intent="kids", mood="musical")`. URLs are
signed when first read, so the first playable URL (local S3 server started, sample clips
uploaded, one URL signed) is measured after it, apart. Run 1 is reported apart (the operating
system's file cache may still be cold). Wall time and the child's CPU time are both reported:
on a shared machine CPU time is the steadier of the two.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench_common import ROOT, Recorder, arguments, isolate, median

isolate()

TARGET_SECONDS = 3.0

FIRST_RECOMMENDATION = """
import json, time
started = time.perf_counter()
from vidrec_helpers.config import Settings
from vidrec_helpers.session import open_session
imported = time.perf_counter()
session = open_session(Settings(qdrant_path=":memory:", forced_mode="offline", cache_dir={cache!r}))
opened = time.perf_counter()
response = session.search(intent="kids", mood="musical")
searched = time.perf_counter()
assert response.results, "no recommendation"
print("RESULT " + json.dumps({{"import": imported - started, "open_session": opened - imported,
    "search": searched - opened, "in_process": searched - started,
    "cpu_at_result": time.process_time(), "top": response.results[0].video_id}}), flush=True)
"""

#: Then, in the same process: the first playable URL (starts the local S3 server, uploads).
FIRST_URL = """
started = time.perf_counter()
playable = [result for result in response.results if result.url]
print("PLAYABLE " + json.dumps({"first_url": time.perf_counter() - started,
    "results_with_url": len(playable)}), flush=True)
"""

IMPORT = """
import time
started = time.perf_counter()
import {module}
print("RESULT %.6f" % (time.perf_counter() - started), flush=True)
"""


def run_python(code: str) -> dict[str, Any]:
    """Run `code` in a fresh interpreter: wall time until it prints RESULT, its CPU time, the line."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=errors, text=True, cwd=ROOT
        )
        assert process.stdout is not None
        line = next((text for text in process.stdout if text.startswith("RESULT")), "")
        wall = time.perf_counter() - started
        rest = [text for text in process.stdout if text.startswith("PLAYABLE")]
        cpu = None
        if hasattr(os, "wait4"):  # POSIX: the child's own CPU time
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
        else:
            process.wait()
        process.stdout.close()
        if not line or process.returncode:
            errors.seek(0)
            raise RuntimeError(f"the child failed ({process.returncode}):\n{errors.read()[-3000:]}")
    playable = json.loads(rest[0][len("PLAYABLE ") :]) if rest else {}
    return {"wall": wall, "cpu": cpu, "output": line[len("RESULT ") :].strip(), **playable}


def import_times(module: str, repeats: int) -> dict[str, Any]:
    runs = [run_python(IMPORT.format(module=module)) for _ in range(repeats)]
    return {
        "import_seconds": median([float(run["output"]) for run in runs]),
        "process_wall": median([run["wall"] for run in runs]),
        "process_cpu": median([run["cpu"] for run in runs if run["cpu"] is not None] or [0.0]),
    }


def first_recommendations(repeats: int, cache: str) -> list[dict[str, Any]]:
    runs = []
    for _ in range(repeats):
        run = run_python(FIRST_RECOMMENDATION.format(cache=cache) + FIRST_URL)
        run.update(json.loads(run.pop("output")))
        runs.append(run)
    return runs


def kernel_first_recommendation(cache: str) -> dict[str, float]:
    """A fresh Jupyter kernel (jupyter_client): time to ready, then to the first recommendation."""
    from jupyter_client.manager import KernelManager

    code = FIRST_RECOMMENDATION.format(cache=cache)
    manager = KernelManager(kernel_name="python3")
    started = time.perf_counter()
    manager.start_kernel(cwd=str(ROOT))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        ready = time.perf_counter() - started
        reply = client.execute_interactive(code, timeout=120, output_hook=lambda message: None)
        done = time.perf_counter() - started
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"the kernel failed: {reply['content'].get('evalue')}")
        client.execute_interactive(FIRST_URL, timeout=120, output_hook=lambda message: None)
        first_url = time.perf_counter() - started - done
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return {
        "kernel_ready": ready,
        "first_recommendation": done,
        "after_ready": done - ready,
        "first_url": first_url,
    }


def serve_first_free_text(folder: str) -> dict[str, float] | None:
    """`vidrec serve` from a fresh process: seconds until it listens (text model loaded first),
    then the first free-text `POST /search` as the original front end sends it (15 s timeout)."""
    import socket
    import urllib.request

    from vidrec_standins.local_text import local_model_available

    if not local_model_available():
        return None
    env = dict(os.environ, QDRANT_PATH=f"{folder}/qdrant", VIDREC_CACHE_DIR=f"{folder}/cache")
    env["VIDREC_MODE"] = "offline"
    command = [sys.executable, "-m", "vidrec_cli.cli"]
    subprocess.run(
        [*command, "ingest", "--json"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    server = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        next(line for line in server.stdout if line.startswith("vidrec API on"))
        listening = time.perf_counter() - started
        body = json.dumps({"query": "a robot exploring a distant planet"}).encode()
        headers = {"Content-Type": "application/json", "Origin": "http://localhost:3000"}
        request = urllib.request.Request(f"http://127.0.0.1:{port}/search", body, headers)
        asked = time.perf_counter()
        with urllib.request.urlopen(request, timeout=15) as answer:
            results = json.load(answer)
        first = time.perf_counter() - asked
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"listening": listening, "first_free_text": first, "results": len(results)}


def largest_imports(module: str, count: int = 8) -> list[list[Any]]:
    """The packages that cost most when importing `module` (python -X importtime, one run)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    totals: dict[str, int] = {}
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| *(\S+)", line)
        if match:  # a package's first import holds all of its own imports
            name = match.group(2).split(".")[0]
            totals[name] = max(totals.get(name, 0), int(match.group(1)))
    ranked = sorted(
        (item for item in totals.items() if item[0] not in ("vidrec_helpers", "site")),
        key=lambda item: -item[1],
    )
    return [[name, round(micro / 1e6, 3)] for name, micro in ranked[:count]]


def main() -> None:
    args = arguments("cold_start", __doc__.splitlines()[0])
    recorder = Recorder("cold_start", "4. Cold start", args)
    repeats = 1 if args.quick else 3
    fresh_runs = 2 if args.quick else 3
    kernels = 1 if args.quick else 2
    recorder.params(import_repeats=repeats, fresh_interpreter_runs=fresh_runs, kernels=kernels)

    interpreter = import_times("sys", repeats)
    modules = {
        name: import_times(name, repeats)
        for name in ("vidrec_helpers", "vidrec_helpers.session", "qdrant_client")
    }
    with tempfile.TemporaryDirectory(prefix="vidrec-bench-cache-") as cache:
        fresh = first_recommendations(fresh_runs, cache)
        kernel_runs = [kernel_first_recommendation(cache) for _ in range(kernels)]
        served = None if args.quick else serve_first_free_text(cache)
    report(recorder, interpreter, modules, fresh, kernel_runs)
    if served:
        recorder.metrics(serve=served)
        recorder.target(
            "`vidrec serve` -> first free-text POST /search (the original front end waits 15 s)",
            served["first_free_text"],
            15.0,
            "s",
            note=f"the server listens {served['listening']:.1f} s after start (text model loaded)",
        )
    recorder.table(
        "Largest imports under vidrec_helpers.session (s, python -X importtime, one run)",
        ["package", "seconds"],
        largest_imports("vidrec_helpers.session"),
    )
    recorder.write()


def report(
    recorder: Recorder,
    interpreter: dict[str, Any],
    modules: dict[str, dict[str, Any]],
    fresh: list[dict[str, Any]],
    kernel_runs: list[dict[str, float]],
) -> None:
    rows = [
        [
            "python -c pass (interpreter start)",
            None,
            round(interpreter["process_wall"], 3),
            round(interpreter["process_cpu"], 3),
        ]
    ]
    for name, numbers in modules.items():
        rows.append(
            [
                f"import {name}",
                round(numbers["import_seconds"], 3),
                round(numbers["process_wall"], 3),
                round(numbers["process_cpu"], 3),
            ]
        )
    recorder.table(
        "Import time (median of fresh interpreters)",
        ["what", "import s", "process wall s", "process CPU s"],
        rows,
    )
    cold, warm = fresh[0], fresh[1:]
    warm_wall = median([run["wall"] for run in warm]) if warm else None
    phase_rows = []
    for label, runs in (("first run", [cold]), ("later runs (median)", warm)):
        if runs:
            phase_rows.append(
                [label]
                + [
                    round(median([run[key] for run in runs]), 3)
                    for key in (
                        "wall",
                        "cpu_at_result",
                        "import",
                        "open_session",
                        "search",
                        "first_url",
                    )
                ]
            )
    recorder.table(
        "Fresh interpreter to the first recommendation (offline)",
        ["run", "wall s", "CPU s", "imports s", "open_session s", "search s", "then 1st URL s"],
        phase_rows,
    )
    kernel_ready = median([run["kernel_ready"] for run in kernel_runs])
    kernel_total = median([run["first_recommendation"] for run in kernel_runs])
    kernel_after = median([run["after_ready"] for run in kernel_runs])
    kernel_url = median([run["first_url"] for run in kernel_runs])
    recorder.table(
        "Fresh Jupyter kernel to the first recommendation (offline)",
        ["kernel ready s", "then first recommendation s", "total s", "then 1st URL s"],
        [
            [
                round(kernel_ready, 3),
                round(kernel_after, 3),
                round(kernel_total, 3),
                round(kernel_url, 3),
            ]
        ],
    )
    recorder.metrics(
        interpreter=interpreter,
        imports=modules,
        fresh_interpreter_runs=fresh,
        kernel_runs=kernel_runs,
    )
    recorder.target(
        "fresh interpreter -> first recommendation",
        warm_wall,
        TARGET_SECONDS,
        "s",
        note=f"first run: {cold['wall']:.2f} s; CPU time to the result "
        f"{median([r['cpu_at_result'] for r in warm] or [0]):.2f} s",
    )
    recorder.target(
        "fresh Jupyter kernel -> first recommendation, after the kernel is ready",
        kernel_after,
        TARGET_SECONDS,
        "s",
        note=f"kernel start itself: {kernel_ready:.2f} s (ipykernel)",
    )
    if hasattr(os, "getloadavg"):  # wall times stretch with other work on the machine
        load = os.getloadavg()[0]
        recorder.metrics(load_average=load)
        recorder.note(f"Load average at the end of the run: {load:.1f} on {os.cpu_count()} CPUs.")
    floor = modules["qdrant_client"]["import_seconds"]
    recorder.note(
        f"Importing qdrant-client alone takes {floor:.2f} s here (it builds its pydantic models "
        "at import): a floor no vidrec change can lower."
    )


if __name__ == "__main__":
    main()
