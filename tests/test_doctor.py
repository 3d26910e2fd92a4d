"""`vidrec doctor`: dependencies from the installed metadata, hints that match the setup."""

from __future__ import annotations

import importlib.metadata
import sys
import uuid

import pytest
from packaging.requirements import Requirement

from vidrec_cli import doctor
from vidrec_helpers import storage
from vidrec_helpers.config import Settings
from vidrec_standins.s3 import ensure_local_s3, local_client

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")


def settings(**fields: object) -> Settings:
    return Settings(_env_file=None, **fields)


def by_name(checks: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {check.name: check for check in checks}


def test_dependencies_are_the_ones_pyproject_declares():
    """No hand-kept list: doctor checks what the installed package's metadata requires."""
    project = tomllib.loads(open("pyproject.toml", encoding="utf-8").read())["project"]
    declared = project["dependencies"] + [
        text
        for extra in ("local", "analysis", "dev")
        for text in project["optional-dependencies"][extra]
    ]
    names = {Requirement(text).name for text in declared}
    checks = doctor.package_checks()
    assert {check.name.removeprefix("package ") for check in checks} == names
    optional = {c.name for c in checks if not c.required}
    assert {"package sentence-transformers", "package scikit-learn"} <= optional
    assert "package boto3" not in optional


def test_each_requirement_gets_its_fix(monkeypatch):
    boto3_version = importlib.metadata.version("boto3")
    requirements = [
        "boto3>=1.0",
        "boto3>=999",
        "no-such-distribution-vidrec>=1",
        'no-such-local-model-vidrec>=0.1; extra == "local"',
        'no-such-analysis-vidrec>=1; extra == "analysis"',
        'no-such-docs-tool-vidrec>=1; extra == "docs"',
        'no-such-old-python-backport>=1; python_version < "3.0"',
    ]
    monkeypatch.setattr(importlib.metadata, "requires", lambda name: requirements)

    lines = [check.line() for check in doctor.package_checks()]

    assert lines == [
        f"[OK]   package boto3: {boto3_version}",
        f"[FAIL] package boto3: {boto3_version} does not satisfy boto3>=999: "
        "run `pip install -U 'boto3>=999'`",
        "[FAIL] package no-such-distribution-vidrec: not installed: run `pip install -e .`",
        "[FAIL] package no-such-local-model-vidrec (optional): not installed: "
        'run `pip install -e ".[local]"`',
        "[FAIL] package no-such-analysis-vidrec (optional): not installed: "
        'run `pip install -e ".[analysis]"`',
    ]


def test_package_not_installed_says_how(monkeypatch):
    def missing(name: str) -> list[str]:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "requires", missing)
    (check,) = doctor.package_checks()
    assert not check.ok and "pip install -e ." in check.detail


def test_damaged_embedded_store_hint_names_qdrant_path(tmp_path, monkeypatch):
    monkeypatch.delenv("QDRANT_URL", raising=False)
    store = tmp_path / "store"
    store.mkdir()
    (store / "meta.json").write_text("{not json", encoding="utf-8")

    check = by_name(doctor.service_checks(settings(forced_mode="offline", qdrant_path=str(store))))
    qdrant = check["service Qdrant"]

    assert not qdrant.ok
    assert "QDRANT_PATH" in qdrant.detail and str(store) in qdrant.detail
    assert "QDRANT_URL" not in qdrant.detail


def test_server_hint_names_qdrant_url():
    unreachable = settings(forced_mode="offline", qdrant_url="http://127.0.0.1:9")
    qdrant = by_name(doctor.service_checks(unreachable))["service Qdrant"]
    assert not qdrant.ok
    assert "QDRANT_URL" in qdrant.detail and "QDRANT_PATH" not in qdrant.detail


def test_live_s3_check_uses_the_bucket_name_rules(monkeypatch):
    endpoint = ensure_local_s3()
    keys = {"aws_access_key_id": "vidrec-local", "aws_secret_access_key": "vidrec-local-secret"}
    live = {"forced_mode": "live", "aws_endpoint_url": endpoint, "qdrant_path": ":memory:", **keys}
    monkeypatch.delenv("S3_BUCKET", raising=False)

    unset = by_name(doctor.service_checks(settings(**live)))["service S3"]
    bucket = f"doctor-{uuid.uuid4().hex[:12]}"
    storage.ensure_bucket(local_client(endpoint), bucket)
    reachable = by_name(doctor.service_checks(settings(s3_bucket=bucket, **live)))["service S3"]

    assert not unset.ok and "S3_BUCKET is not set" in unset.detail
    assert reachable.ok and f"bucket {bucket} reachable" in reachable.detail
