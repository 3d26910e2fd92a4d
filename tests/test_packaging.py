"""pyproject.toml and environment.yml declare the same dependencies; the console command exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {
    "jupyterlab",
    "twelvelabs",
    "qdrant-client",
    "boto3",
    "pandas",
    "ipywidgets",
    "nbval",
    "pytest",
}


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(3).replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = data["project"]
    items = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        items += extra
    return dict(_split(item) for item in items)


def conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    found: dict[str, str] = {}
    for item in env["dependencies"]:
        if isinstance(item, dict):
            for pip_item in item["pip"]:
                if not pip_item.startswith("-e"):
                    found.update([_split(pip_item)])
        elif item not in ("pip",) and not item.startswith("python"):
            found.update([_split(item)])
    return found


def test_environment_yml_matches_pyproject():
    assert conda_requirements() == pyproject_requirements()


def test_required_packages_declared():
    assert REQUIRED <= set(pyproject_requirements())


def test_minimum_versions_of_the_key_sdks():
    requirements = pyproject_requirements()
    assert requirements["twelvelabs"] == ">=1.3"
    assert requirements["qdrant-client"] == ">=1.16"


def test_console_command_runs():
    result = subprocess.run(
        [sys.executable, "-m", "vidrec_helpers.cli", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "doctor" in result.stdout


def test_env_example_documents_every_setting():
    from vidrec_helpers.config import Settings

    example = (ROOT / ".env.example").read_text()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names = alias.choices if hasattr(alias, "choices") else [alias]
        if any(
            n in ("AWS_SESSION_TOKEN", "TWELVELABS_BASE_URL", "VIDREC_CACHE_DIR") for n in names
        ):
            continue  # advanced settings, documented in the README
        assert any(str(n) in example for n in names), f"{names} missing from .env.example"


def test_dotenv_is_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert ".env" in ignored
