"""Packaging: pyproject.toml and environment.yml agree, the default install stays light, the build
is warning-free, a wheelhouse installs with no network, and the console command runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent


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


def test_console_command_runs():
    result = subprocess.run(
        [sys.executable, "-m", "vidrec_cli.cli", "--help"],
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


# ----- the light install, a clean build, and installs from a wheelhouse -------------------------

#: What a learner's `make lab` must not pull in: torch and the text model, a browser driver,
#: notebook 06's scipy/scikit-learn, and moto's all-services server extras.
HEAVY = {"torch", "sentence-transformers", "transformers", "playwright", "scikit-learn", "scipy"}
HEAVY |= {"cfn-lint", "sympy", "docker", "aws-xray-sdk"}


def _name(requirement: str) -> str:
    return re.split(r"[\s;\[<>=!~(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _closure(requirements: list[str]) -> set[str]:
    """Every distribution `requirements` pull in (extras they name included), from the
    installed metadata of this environment."""
    from importlib import metadata

    seen: set[str] = set()
    pending = [(_name(item), re.findall(r"\[([^\]]*)\]", item)) for item in requirements]
    while pending:
        name, extras = pending.pop()
        wanted = {extra.strip() for group in extras for extra in group.split(",")}
        if name in seen and not wanted:
            continue
        seen.add(name)
        try:
            declared = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for item in declared:
            marker = item.split(";", 1)[1] if ";" in item else ""
            needed = "extra ==" not in marker or any(f'"{extra}"' in marker for extra in wanted)
            if needed and "python_version" not in marker and "sys_platform" not in marker:
                pending.append((_name(item), re.findall(r"\[([^\]]*)\]", item.split(";")[0])))
    return seen


def test_the_default_install_has_no_torch_browser_driver_or_server_extras():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pulled_in = _closure(project["dependencies"])
    assert {"qdrant-client", "moto", "flask", "voila", "jupyterlab"} <= pulled_in
    assert pulled_in & HEAVY == set(), "the light install must stay light (see README sizes)"


def test_every_vidrec_command_runs_on_the_light_install():
    """`vidrec` (doctor, app, ...) comes with `make lab`: every distribution vidrec_cli imports,
    at the top or inside a command, is pulled in by the default dependencies."""
    import ast
    from importlib import metadata

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pulled_in = _closure(project["dependencies"])
    imported: set[str] = set()
    for path in (ROOT / "vidrec_cli").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"__future__"}
    third_party -= {"vidrec_helpers", "vidrec_standins", "vidrec_cli"}
    assert {"psutil", "jupyter_server", "packaging"} <= third_party, "the scan found the imports"
    providers = metadata.packages_distributions()
    for module in sorted(third_party):
        names = {_name(name) for name in providers.get(module, [module])}
        assert names & pulled_in, f"vidrec_cli imports {module}: not in the default install"


def test_the_full_and_test_installs_bring_the_text_model_and_the_browser_driver():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = extras["optional-dependencies"]
    assert {"sentence-transformers", "torch"} <= _closure(extras["local"])
    assert {"scikit-learn", "scipy"} <= _closure(extras["analysis"])
    assert {"playwright", "pytest", "nbval"} <= _closure(extras["dev"])


def test_the_build_prints_no_warning_and_ships_only_the_packages(tmp_path: Path):
    """A learner's first screen: building the project says nothing (no license or discovery
    warnings); the wheel holds the three packages, the SPDX license and the page's style sheet,
    and its `vidrec` script runs the command from the wheel's own `vidrec_cli`."""
    import zipfile

    result = subprocess.run(
        # build isolation, as for a learner: the backend is what build-system.requires asks for
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert _build_warnings(result.stdout + result.stderr) == []
    (wheel,) = tmp_path.glob("vidrec_helpers-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith("-info")}
    assert tops == {"vidrec_helpers", "vidrec_standins", "vidrec_cli"}
    assert {"vidrec_helpers/recommender.css", "vidrec_helpers/templates/cards.html.j2"} <= set(
        names
    )
    commands = {f"vidrec_cli/{name}.py" for name in ("__init__", "cli", "doctor", "webapp")}
    assert {name for name in names if name.startswith("vidrec_cli/")} == commands
    metadata_text = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA")))
    assert b"License-Expression: Apache-2.0" in metadata_text
    assert any(name.endswith("licenses/LICENSE") for name in names)

    # the wheel's console script, loaded as an installer would, from the unpacked wheel first,
    # run from a project folder (the packages read its data/, as the README's steps do)
    unpacked, project = tmp_path / "unpacked", tmp_path / "project"
    zipfile.ZipFile(wheel).extractall(unpacked)
    project.mkdir()
    (project / "data").symlink_to(ROOT / "data", target_is_directory=True)
    run_script = (
        "import sys, importlib.metadata as m, vidrec_cli.cli as c;"
        "(e,) = m.entry_points(group='console_scripts', name='vidrec');"
        "print(e.value, c.__file__);"
        "sys.exit(e.load()(['--help']))"
    )

    def run_from(folder: Path) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(unpacked)}
        command = [sys.executable, "-c", run_script]
        return subprocess.run(
            command, capture_output=True, text=True, check=False, cwd=folder, env=env
        )

    result = run_from(project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"vidrec_cli.cli:main {unpacked / 'vidrec_cli' / 'cli.py'}")
    assert "doctor" in result.stdout and "demo" in result.stdout

    # elsewhere, a clear error says where vidrec looks for its data
    result = run_from(tmp_path)
    assert result.returncode != 0
    assert "data/labels.json is missing" in result.stderr
    assert "run it from a clone of the repository" in result.stderr


def _build_warnings(output: str) -> list[str]:
    """The build's warning lines (pip's notes about this machine's extra index folders aside)."""
    return [
        line
        for line in output.splitlines()
        if "warning" in line.lower()
        and "is ignored: it is neither a file nor a directory" not in line
    ]


def test_a_wheelhouse_installs_with_no_network(tmp_path: Path):
    """`make wheelhouse` (online) then `make install WHEELHOUSE=...` (offline), for a tiny
    subset: the fresh environment gets pip, the package and the project's build backend from
    the folder alone."""
    wheelhouse, venv = tmp_path / "wheelhouse", tmp_path / "venv"
    make = ["make", "-C", str(ROOT), f"WHEELHOUSE={wheelhouse}"]
    here = Path(sys.prefix)
    built = subprocess.run(
        [*make, f"VENV={here}", "WHEELS_FOR=tenacity", "wheelhouse"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert {path.name.split("-")[0] for path in wheelhouse.glob("*.whl")} >= {
        "pip",
        "setuptools",
        "tenacity",
    }
    offline = {
        key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "VIRTUAL"))
    }
    offline |= {"PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": "http://127.0.0.1:9/nowhere"}
    installed = subprocess.run(
        [*make, f"VENV={venv}", f"PYTHON={sys.executable}", "LAB_REQUIREMENTS=tenacity", "install"],
        capture_output=True,
        text=True,
        check=False,
        env=offline,
    )
    assert installed.returncode == 0, installed.stderr
    python = venv / "bin" / "python"
    assert subprocess.run([python, "-c", "import tenacity"], check=False).returncode == 0
    backend = subprocess.run(
        [python, "-m", "pip", "wheel", "--no-deps", "--no-index", "--find-links", wheelhouse]
        + ["-w", tmp_path / "built", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        env=offline,
    )
    assert backend.returncode == 0, (
        f"the project's build backend came from elsewhere:\n{backend.stderr}"
    )
