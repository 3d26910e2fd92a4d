"""`vidrec doctor`: one line per dependency, credential and service, each FAIL with its fix."""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from collections.abc import Callable
from dataclasses import dataclass

from .config import Settings, mask_secrets


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True

    def line(self) -> str:
        mark = "[OK]  " if self.ok else "[FAIL]"
        optional = "" if self.required else " (optional)"
        return mask_secrets(f"{mark} {self.name}{optional}: {self.detail}")


#: (distribution, import name, minimum version, required, what it is for)
PACKAGES = [
    ("twelvelabs", "twelvelabs", "1.3", True, "Marengo embeddings (Embed API v2)"),
    ("qdrant-client", "qdrant_client", "1.16", True, "vector store"),
    ("boto3", "boto3", "1.36", True, "S3 uploads"),
    ("pandas", "pandas", "2.0", True, "sample data"),
    ("pyarrow", "pyarrow", "14", True, "parquet"),
    ("ipywidgets", "ipywidgets", "8.1", True, "interactive controls"),
    ("jupyterlab", "jupyterlab", "4.0", True, "notebooks"),
    ("flask", "flask", "3.0", True, "search API"),
    ("av", "av", "12", True, "video checks"),
    ("moto", "moto", "5.0", True, "local S3 server (offline mode)"),
    ("nbval", "nbval", "0.11", False, "notebook tests (dev extra)"),
    ("pytest", "pytest", "8.0", False, "tests (dev extra)"),
    (
        "sentence-transformers",
        "sentence_transformers",
        "3.0",
        False,
        "offline free-text search (local extra)",
    ),
]


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def check_package(
    distribution: str, module: str, minimum: str, required: bool, purpose: str
) -> Check:
    """Is the package installed, at least at `minimum`?"""
    name = f"package {distribution}"
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        extra = "" if required else ' (pip install -e ".[dev,local]")'
        return Check(
            name,
            False,
            f"not installed, needed for {purpose}: run `pip install -e .`{extra}",
            required,
        )
    if _version_tuple(version) < _version_tuple(minimum):
        return Check(
            name,
            False,
            f"{version} is too old (need >= {minimum}): pip install -U {distribution}",
            required,
        )
    return Check(name, True, f"{version} ({purpose})", required)


def _guard(name: str, required: bool, probe: Callable[[], str], fix: str) -> Check:
    try:
        return Check(name, True, probe(), required)
    except Exception as error:  # doctor reports every failure instead of stopping at the first
        return Check(name, False, f"{type(error).__name__}: {error} -> {fix}", required)


def _sample_data() -> str:
    from .samples import load_catalog, load_sample_embeddings, sample_videos

    frame = load_sample_embeddings()
    counts = frame["kind"].value_counts().to_dict()
    return (
        f"{len(load_catalog())} catalog entries, {counts.get('video', 0)} video / "
        f"{counts.get('clip', 0)} clip / {counts.get('query', 0)} query vectors, "
        f"{len(sample_videos())} sample clips"
    )


def run_checks(settings: Settings) -> list[Check]:
    """Every check for the chosen mode."""
    live = settings.mode == "live"
    checks = [
        Check(
            "python",
            sys.version_info >= (3, 10),
            f"{sys.version.split()[0]} (need >= 3.10)",
        ),
        Check("mode", True, settings.summary()),
    ]
    checks += [check_package(*spec) for spec in PACKAGES]
    checks.append(_guard("sample data", True, _sample_data, "git checkout -- data/"))
    if live:
        checks.append(
            Check(
                "credential TWELVELABS_API_KEY",
                settings.twelvelabs_api_key is not None,
                "set"
                if settings.twelvelabs_api_key
                else "not set: add it to .env, or run offline with VIDREC_MODE=offline",
            )
        )
        has_aws = bool(settings.aws_access_key_id and settings.aws_secret_access_key)
        checks.append(
            Check(
                "credential AWS",
                has_aws or bool(settings.aws_endpoint_url),
                "set"
                if has_aws
                else "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY not set: add them to .env "
                "(or rely on an AWS profile; this check then reports FAIL but uploads may still work)",
                required=False,
            )
        )
    checks.extend(service_checks(settings))
    return checks


def service_checks(settings: Settings) -> list[Check]:
    """Reach each service the mode uses: S3 (or the local S3 server), Qdrant, TwelveLabs."""
    from .index import connect

    def qdrant() -> str:
        client = connect(settings)
        names = [c.name for c in client.get_collections().collections]
        where = settings.qdrant_url or f"embedded at {settings.qdrant_path}"
        return f"{where}, collections: {', '.join(names) or 'none yet (run vidrec ingest)'}"

    def s3() -> str:
        from .storage import s3_client

        client = s3_client(settings)
        endpoint = client.meta.endpoint_url
        if settings.mode == "live":
            client.head_bucket(Bucket=settings.s3_bucket)
            return f"bucket {settings.s3_bucket} reachable at {endpoint}"
        client.list_buckets()
        return f"local S3 server at {endpoint}"

    checks = [
        _guard(
            "service S3", True, s3, "check AWS credentials, S3_BUCKET and AWS_ENDPOINT_URL in .env"
        ),
        _guard(
            "service Qdrant",
            True,
            qdrant,
            "check QDRANT_URL / QDRANT_API_KEY, or unset QDRANT_URL to use embedded Qdrant",
        ),
    ]
    if settings.mode == "live" and settings.twelvelabs_api_key:

        def twelvelabs() -> str:
            from .embeddings import TwelveLabsEmbedder

            vector = TwelveLabsEmbedder(settings).embed_text("doctor check")
            return f"text embedding ok ({vector.shape[0]}-d, {settings.marengo_model})"

        checks.append(
            _guard(
                "service TwelveLabs", True, twelvelabs, "check TWELVELABS_API_KEY and your network"
            )
        )
    return checks


def doctor(settings: Settings, echo: Callable[[str], None] = print) -> int:
    """Print every check; return 1 when a required one failed, else 0."""
    checks = run_checks(settings)
    for check in checks:
        echo(check.line())
    failed = [c for c in checks if c.required and not c.ok]
    echo(
        f"{len(checks) - len(failed)} of {len(checks)} checks passed; {len(failed)} required failed"
    )
    return 1 if failed else 0
