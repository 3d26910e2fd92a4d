"""`vidrec doctor`: one line per dependency, credential and service, each FAIL with its fix."""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Callable
from dataclasses import dataclass

from packaging.requirements import Requirement

from .config import Settings, mask_secrets


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


def package_checks(extras: tuple[str, ...] = ("local", "dev")) -> list[Check]:
    """Each dependency the installed package declares (pyproject.toml's), extras optional."""
    try:
        declared = importlib.metadata.requires("vidrec-helpers") or []
    except importlib.metadata.PackageNotFoundError:
        fix = "not installed: run `pip install -e .` in the project folder"
        return [Check("package vidrec-helpers", False, fix)]
    checks = []
    for requirement in map(Requirement, declared):
        marker = requirement.marker
        if marker is None or marker.evaluate({"extra": ""}):
            checks.append(check_requirement(requirement))
            continue
        extra = next((extra for extra in extras if marker.evaluate({"extra": extra})), None)
        if extra is not None:  # else another extra, or another platform's requirement
            checks.append(check_requirement(requirement, extra))
    return checks


def check_requirement(requirement: Requirement, extra: str | None = None) -> Check:
    """Is this requirement installed at a version it accepts? Extras are optional."""
    name, required = f"package {requirement.name}", extra is None
    install = "pip install -e ." if required else f'pip install -e ".[{extra}]"'
    try:
        version = importlib.metadata.version(requirement.name)
    except importlib.metadata.PackageNotFoundError:
        return Check(name, False, f"not installed: run `{install}`", required)
    if not requirement.specifier.contains(version, prereleases=True):
        wanted = f"{requirement.name}{requirement.specifier}"
        detail = f"{version} does not satisfy {wanted}: run `pip install -U '{wanted}'`"
        return Check(name, False, detail, required)
    return Check(name, True, version, required)


def _guard(name: str, probe: Callable[[], str], fix: str) -> Check:
    """Run a probe; any exception becomes a FAIL line with the fix (doctor reports them all)."""
    try:
        return Check(name, True, probe())
    except Exception as error:  # noqa: BLE001 - every failure is reported, none stops doctor
        return Check(name, False, f"{type(error).__name__}: {error} -> {fix}")


def _sample_data() -> str:
    from .samples import load_catalog, load_sample_embeddings, sample_videos

    counts = load_sample_embeddings()["kind"].value_counts().to_dict()
    return (
        f"{len(load_catalog())} catalog entries, {counts.get('video', 0)} video / "
        f"{counts.get('clip', 0)} clip / {counts.get('query', 0)} query vectors, "
        f"{len(sample_videos())} sample clips"
    )


def run_checks(settings: Settings) -> list[Check]:
    """Every check for the chosen mode."""
    version = f"{sys.version.split()[0]} (need >= 3.10)"
    checks = [Check("python", sys.version_info >= (3, 10), version)]
    checks += [Check("mode", True, settings.summary()), *package_checks()]
    checks.append(_guard("sample data", _sample_data, "git checkout -- data/"))
    if settings.mode == "live":
        fix = "not set: add it to .env, or run offline with VIDREC_MODE=offline"
        has_key = settings.twelvelabs_api_key is not None
        checks.append(Check("credential TWELVELABS_API_KEY", has_key, "set" if has_key else fix))
    return checks + service_checks(settings)


def qdrant_fix(settings: Settings) -> str:
    """What to do when Qdrant fails: about the server when one is set, else the embedded store."""
    if settings.qdrant_url:
        return "check QDRANT_URL / QDRANT_API_KEY, or unset QDRANT_URL to use embedded Qdrant"
    return (
        f"the embedded store at {settings.qdrant_path} (QDRANT_PATH) is damaged or open in "
        "another process: close that process (a notebook kernel, `vidrec serve`), or move the "
        "folder aside, or set QDRANT_PATH to another folder"
    )


def service_checks(settings: Settings) -> list[Check]:
    """Reach each service the mode uses: S3 (or the local S3 server), Qdrant, TwelveLabs."""
    from .index import connect

    def qdrant() -> str:
        names = [c.name for c in connect(settings).get_collections().collections]
        where = settings.qdrant_url or f"embedded at {settings.qdrant_path}"
        return f"{where}, collections: {', '.join(names) or 'none yet (run vidrec ingest)'}"

    def s3() -> str:
        from .storage import bucket_name, ensure_bucket, s3_client

        client = s3_client(settings)
        if settings.mode == "offline":
            client.list_buckets()
            return f"local S3 server at {client.meta.endpoint_url}"
        bucket = bucket_name(settings)
        ensure_bucket(client, bucket, settings.aws_region, create=False)
        return f"bucket {bucket} reachable at {client.meta.endpoint_url}"

    s3_fix = "check AWS credentials, S3_BUCKET and AWS_ENDPOINT_URL in .env"
    checks = [_guard("service S3", s3, s3_fix)]
    checks.append(_guard("service Qdrant", qdrant, qdrant_fix(settings)))
    if settings.mode == "live" and settings.twelvelabs_api_key:

        def twelvelabs() -> str:
            from .embeddings import TwelveLabsEmbedder

            vector = TwelveLabsEmbedder(settings).embed_text("doctor check")
            return f"text embedding ok ({vector.shape[0]}-d, {settings.marengo_model})"

        fix = "check TWELVELABS_API_KEY and your network"
        checks.append(_guard("service TwelveLabs", twelvelabs, fix))
    return checks


def doctor(settings: Settings, echo: Callable[[str], None] = print) -> int:
    """Print every check; return 1 when a required one failed, else 0."""
    checks = run_checks(settings)
    for check in checks:
        echo(check.line())
    failed = sum(check.required and not check.ok for check in checks)
    echo(f"{len(checks) - failed} of {len(checks)} checks passed; {failed} required failed")
    return 1 if failed else 0
