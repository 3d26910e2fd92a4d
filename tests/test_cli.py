"""The `vidrec` command, run in-process (and once as a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import use_live_servers

from vidrec_cli.cli import build_parser, cmd_app, main
from vidrec_cli.webapp import app_environment, voila_command
from vidrec_helpers.config import Settings, reload_settings
from vidrec_helpers.index import close_all
from vidrec_helpers.labels import INTENTS


@pytest.fixture
def disk_store(tmp_path, monkeypatch):
    """An on-disk embedded Qdrant, as `vidrec` uses by default (persists between commands)."""
    monkeypatch.setenv("QDRANT_PATH", str(tmp_path / "qdrant"))
    reload_settings()
    yield tmp_path / "qdrant"
    close_all()


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_search_before_ingest_says_run_ingest(disk_store, capsys):
    code, out, err = run(capsys, "search", "--intent", "kids", "--mood", "musical")
    assert code == 2
    assert "vidrec ingest" in err


def test_ingest_then_search_similar_evaluate(disk_store, capsys):
    code, out, _ = run(capsys, "ingest", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["videos"] >= 188 and report["failed"] == {}

    code, out, err = run(
        capsys, "search", "--intent", "kids", "--mood", "musical", "-k", "5", "--json"
    )
    assert code == 0, err
    results = json.loads(out)
    assert len(results) == 5
    for result in results:
        for field in (
            "video_id",
            "title",
            "intent",
            "mood",
            "score",
            "start_time",
            "end_time",
            "url",
        ):
            assert field in result
        assert isinstance(result["filename"], str), "as the API answers: never null"
    assert "" in {r["filename"] for r in results}, "catalog entries have no file name"
    assert sum(r["intent"] == "kids" or r["mood"] == "musical" for r in results) >= 3

    first, second = results[0]["video_id"], results[1]["video_id"]
    code, out, _ = run(capsys, "similar", first, "--not", second, "-k", "4", "--json")
    assert code == 0
    similar = json.loads(out)
    assert len(similar) == 4
    assert {first, second}.isdisjoint(r["video_id"] for r in similar)

    code, out, _ = run(capsys, "evaluate", "--json")
    assert code == 0
    evaluation = json.loads(out)
    assert evaluation["k"] == 5
    assert evaluation["default"] in evaluation["strategies"]
    assert {"baseline", "weighted"} <= set(evaluation["strategies"])
    for scores in evaluation["strategies"].values():
        assert 0 <= scores["precision_at_k"] <= 1 and 0 <= scores["ndcg_at_k"] <= 1
    assert "held out" in evaluation["protocol"] or "cross-validation" in evaluation["protocol"]
    assert 0 <= evaluation["similar"]["precision_at_k"] <= 1  # "more like this" beside them


def test_second_ingest_changes_nothing(disk_store, capsys):
    run(capsys, "ingest", "--json")
    code, out, _ = run(capsys, "ingest", "--json")
    report = json.loads(out)
    assert report["embedded"] == [] and report["uploaded"] == []
    assert report["points_in_collection"] == report["points_upserted"]


def test_bad_input_gets_a_clear_error(disk_store, capsys):
    run(capsys, "ingest", "--json")
    code, _, err = run(capsys, "similar", "no-such-video")
    assert code == 2 and "unknown video id" in err
    code, _, err = run(capsys, "search", "--intent", "kids", "-k", "0")
    assert code == 2 and "top_k" in err
    code, _, err = run(capsys, "search")
    assert code == 2
    with pytest.raises(SystemExit):
        main(["search", "--intent", "horror"])
    err = capsys.readouterr().err
    assert all(intent in err for intent in INTENTS), err


def test_doctor_offline_passes(capsys):
    code, out, _ = run(capsys, "doctor")
    assert code == 0
    assert "[FAIL]" not in out
    assert "sample data: 188 catalog entries" in out


def test_doctor_live_without_key_fails_with_the_fix(monkeypatch, capsys):
    monkeypatch.setenv("VIDREC_MODE", "live")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    reload_settings()
    code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert "[FAIL] service TwelveLabs: TWELVELABS_API_KEY is not set" in out
    assert "add it to .env" in out
    assert "[FAIL] service S3" in out


def test_doctor_live_against_local_servers_passes(monkeypatch, capsys):
    from vidrec_helpers.storage import ensure_bucket
    from vidrec_standins.s3 import LocalS3Server, local_client
    from vidrec_standins.twelvelabs import TwelveLabsStandIn as FakeTwelveLabs

    with FakeTwelveLabs() as fake, LocalS3Server() as s3:
        ensure_bucket(local_client(s3.endpoint_url), "doctor-bucket")
        use_live_servers(monkeypatch, fake, s3, "doctor-bucket")
        code, out, _ = run(capsys, "doctor")
    assert "[OK]   service TwelveLabs" in out, out
    assert "[OK]   service S3" in out, out
    assert "test-key-not-secret" not in out
    assert code == 0, out


def test_console_script_runs_demo():
    result = subprocess.run(
        [sys.executable, "-m", "vidrec_cli.cli", "demo", "-k", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "recommend: intent=kids, mood=musical" in result.stdout
    assert "more like" in result.stdout


def test_an_unreachable_qdrant_is_named_without_its_password(monkeypatch, capsys):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("QDRANT_URL", f"http://admin:hunter2secret@127.0.0.1:{port}")
    monkeypatch.setenv("QDRANT_TIMEOUT", "2")
    reload_settings()
    code, out, err = run(capsys, "search", "--intent", "kids")
    assert code == 2
    assert f"http://admin:****@127.0.0.1:{port}" in err and "is it running" in err
    assert "hunter2secret" not in out + err and "unexpected error" not in err


def test_serve_passes_its_network_flags(monkeypatch, capsys):
    from vidrec_cli import cli
    from vidrec_helpers import api

    seen = {}
    monkeypatch.setattr(cli, "_session", lambda: "session")
    monkeypatch.setattr(api, "serve", lambda host, port, **options: seen.update(options, host=host))
    arguments = ["serve", "--host", "10.0.0.5", "--allowed-host", "search.example.org"]
    assert main([*arguments, "--cors-origin", "https://app.example.org"]) == 0
    assert seen["allowed_hosts"] == ["10.0.0.5", "search.example.org"]
    assert seen["cors_origins"] == ["https://app.example.org"] and seen["session"] == "session"
    main(["serve", "--host", "0.0.0.0"])
    assert seen["allowed_hosts"] == ["0.0.0.0"] and seen["cors_origins"] is None


# ----- `vidrec app`: the Voilà command line and the app's environment ---------------------------


def test_voila_serves_the_app_notebook_on_localhost_only():
    command = voila_command(9123, open_browser=False, cull_after=40, max_kernels=3)
    assert command[1:3] == ["-m", "voila"]
    assert command[3].endswith("app/recommender.ipynb")
    assert "--port=9123" in command and "--Voila.ip=127.0.0.1" in command
    assert "--no-browser" in command and "--strip_sources=True" in command
    assert "--no-browser" not in voila_command(9123, open_browser=True)
    assert "--MappingKernelManager.cull_idle_timeout=40" in command
    assert "--MappingKernelManager.cull_interval=20" in command
    assert "--CappedKernelManager.max_kernels=3" in command


def test_the_app_gets_a_private_in_memory_store_offline(monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", "/mine")
    monkeypatch.delenv("QDRANT_PATH")
    offline = Settings(_env_file=None, forced_mode="offline", qdrant_path=".vidrec/qdrant")
    environment = app_environment(offline)
    assert environment["PATH"] == os.environ["PATH"] and environment["QDRANT_PATH"] == ":memory:"
    server = Settings(_env_file=None, forced_mode="offline", qdrant_url="http://localhost:6333")
    assert "QDRANT_PATH" not in app_environment(server)
    folders = environment["JUPYTER_PATH"].split(os.pathsep)
    assert folders[1] == "/mine", "a learner's own Jupyter path is kept"
    assert (Path(folders[0]) / "voila" / "templates" / "vidrec" / "index.html.j2").is_file()


def test_vidrec_app_options():
    argv = ["app", "--port", "9000", "--no-browser", "--cull-after", "5", "--max-kernels", "2"]
    args = build_parser().parse_args(argv)
    assert args.func is cmd_app and args.port == 9000 and args.no_browser
    assert args.cull_after == 5 and args.max_kernels == 2
