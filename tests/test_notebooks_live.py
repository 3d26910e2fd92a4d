"""The same notebooks, run LIVE: the real twelvelabs SDK and boto3 against local servers.

A learner with keys runs exactly these cells against TwelveLabs and AWS; here the SDKs are
pointed at a fake Embed v2 server and the local S3 server, so the live path of every notebook
is executed end to end (only the network peers differ).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import live_environment
from nbclient import NotebookClient

from vidrec_standins.s3 import LocalS3Server
from vidrec_standins.twelvelabs import TwelveLabsStandIn as FakeTwelveLabs

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("0*.ipynb"))


@pytest.fixture(scope="module")
def live_env(tmp_path_factory):
    cache = tmp_path_factory.mktemp("live-cache")
    with (
        FakeTwelveLabs(processing_seconds=0.1) as fake,
        LocalS3Server() as s3,
    ):
        environment = live_environment(fake, s3, "vidrec-live-notebooks")
        yield fake, {**environment, "VIDREC_CACHE_DIR": str(cache)}


def _outputs_text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(str(output.get("text", "")))
            parts.append(str(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_live(path, live_env, monkeypatch):
    fake, environment = live_env
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError with the failing cell on any error
    text = _outputs_text(notebook)
    assert "vidrec mode=live" in text, "every notebook prints the mode it runs in"
    assert "marengo3.0" in text
    assert "test-key-not-secret" not in text, "the key must never reach an output"


def test_live_notebooks_paid_once_per_sample_clip(live_env):
    """Across all notebooks, each sample clip was embedded once: the cache did the rest."""
    fake, _ = live_env
    # 8 sample clips embedded once (the cache did the rest), plus the raw task of notebook 02
    assert fake.requests["create"] == 8 + 1, "run together with the notebook tests above"
