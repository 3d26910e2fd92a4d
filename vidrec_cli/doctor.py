"""`vidrec doctor`: one line per dependency, credential and service, each FAIL with its fix."""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Callable
from dataclasses import dataclass

from packaging.requirements import Requirement

from vidrec_helpers.config import Settings, VidrecError, mask_secrets


@dataclass
class Check:
    """One line of the report: what was checked, whether it passed, and the fix if not."""

    name: str
    ok: bool
    detail: str
    required: bool = True

    def line(self) -> str:
        mark = "[OK]  " if self.ok else "[FAIL]"
        optional = "" if self.required else " (optional)"
        return mask_secrets(f"{mark} {self.name}{optional}: {self.detail}")


def package_checks(extras: tuple[str, ...] = ("local", "analysis", "dev")) -> list[Check]:
    """Each dependency the installed package declares (pyproject.toml's), extras optional."""
    try:
        declared = importlib.metadata.requires("vidrec-helpers") or []
    except importlib.metadata.PackageNotFoundError:
        fix = "not installed: run `pip install -e .` in the project folder"
        return [Check("package vidrec-helpers", False, fix)]
    checks = []
    for requirement in map(Requirement, declared):
        marker = requirement.marker
        wanted = (e for e in ("", *extras) if marker is None or marker.evaluate({"extra": e}))
        extra = next(wanted, None)  # "" when always required; None for another extra or platform
        if extra is not None:
            checks.append(check_requirement(requirement, extra or None))
    return checks


def check_requirement(requirement: Requirement, extra: str | None = None) -> Check:
    """Is this requirement installed at a version it accepts? Extras are optional."""
    name, required = f"package {requirement.name}", extra is None
    install = "pip install -e ." if required else f'pip install -e ".[{extra}]"'
    try:
        version = importlib.metadata.version(requirement.name)
    except importlib.metadata.PackageNotFoundError:
        return Check(name, False, f"not installed: run `{install}`", required)
    ok = requirement.specifier.contains(version, prereleases=True)
    wanted = f"{requirement.name}{requirement.specifier}"
    fix = f"{version} does not satisfy {wanted}: run `pip install -U '{wanted}'`"
    return Check(name, ok, version if ok else fix, required)


def _guard(name: str, probe: Callable[[], str], fix: str) -> Check:
    """Run a probe; any exception becomes a FAIL line with the fix (doctor reports them all)."""
    try:
        return Check(name, True, probe())
    except VidrecError as error:  # its message already says what to do
        return Check(name, False, f"{error}; {fix}")
    except Exception as error:  # noqa: BLE001 - every failure is reported, none stops doctor
        return Check(name, False, f"{type(error).__name__}: {error} -> {fix}")


def _sample_data() -> str:
    from vidrec_helpers.samples import load_catalog, sample_videos
    from vidrec_standins.shipped import load_sample_embeddings

    vectors, clips = len(load_sample_embeddings()), len(sample_videos())
    return f"{len(load_catalog())} catalog entries, {vectors} vectors, {clips} sample clips"


def run_checks(settings: Settings) -> list[Check]:
    """Every check for the chosen mode."""
    checks = [Check("python", True, sys.version.split()[0])]
    checks += [Check("mode", True, settings.summary()), *package_checks()]
    checks.append(_guard("sample data", _sample_data, "git checkout -- data/"))
    return checks + service_checks(settings)


def _qdrant(settings: Settings) -> str:
    from vidrec_helpers.index import connect

    names = [c.name for c in connect(settings).get_collections().collections]
    where = settings.qdrant_url or f"embedded at {settings.qdrant_path}"
    return f"{where}, collections: {', '.join(names) or 'none yet (run vidrec ingest)'}"


def _s3(settings: Settings) -> str:
    from vidrec_helpers.storage import bucket_name, ensure_bucket, s3_client

    client, bucket = s3_client(settings), bucket_name(settings)
    # offline the bucket lives on this process's local server: making it costs nothing
    ensure_bucket(client, bucket, settings.aws_region, create=settings.mode == "offline")
    return f"bucket {bucket} reachable at {client.meta.endpoint_url}"


def _twelvelabs(settings: Settings) -> str:
    from vidrec_helpers.twelvelabs_embedder import TwelveLabsEmbedder

    vector = TwelveLabsEmbedder(settings).embed_text("doctor check")
    return f"text embedding ok ({vector.shape[0]}-d, {settings.marengo_model})"


def service_checks(settings: Settings) -> list[Check]:
    """Reach each service the mode uses: S3 (or the local S3 server), Qdrant, TwelveLabs."""
    s3_fix = "check AWS credentials, S3_BUCKET and AWS_ENDPOINT_URL in .env"
    checks = [_guard("service S3", lambda: _s3(settings), s3_fix)]
    store = f"QDRANT_PATH (now {settings.qdrant_path})"  # the embedded store's folder
    qdrant_fix = f"check {'QDRANT_URL / QDRANT_API_KEY' if settings.qdrant_url else store}"
    checks.append(_guard("service Qdrant", lambda: _qdrant(settings), qdrant_fix))
    if settings.mode == "live":  # without a key, the embedder's error says where to set it
        fix = "check TWELVELABS_API_KEY and your network"
        checks.append(_guard("service TwelveLabs", lambda: _twelvelabs(settings), fix))
    return checks
