"""The wheel as a user gets it: built from the repository, installed in a venv outside it.

ichigen is one import package; the top-level folders are its subpackages through symlinks, and
the dbt project travels inside it. So a wheel must install beside another distribution that
owns a top-level `app` without touching it, and an installed ichigen must run `oms` and parse
its own dbt project. The venv's dependencies are pinned by the same uv.lock as the checkout's
(exported as constraints), so uv's cache makes the install fast and nothing but the package
registry is asked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

# The other distribution's `app`, with a marker that ichigen's wheel could not carry.
_OTHER_APP = '"""Another distribution\'s top-level app package."""\n\nOWNER = "other-app"\n'
_OTHER_PYPROJECT = """\
[project]
name = "other-app"
version = "1.0"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["app"]
"""


@dataclass(frozen=True)
class Installed:
    """A venv outside the repository with another `app` and then ichigen's wheel installed."""

    wheel: Path
    python: Path
    bin_dir: Path
    package_dir: Path  # ichigen/ inside the venv's site-packages
    workdir: Path  # an empty directory outside the repository, the commands' cwd
    env: dict[str, str]


def _uv() -> list[str]:
    """uv as the Makefile runs it (a module of the machine's python3), or a uv on PATH."""
    for candidate in ([sys.executable, "-m", "uv"], ["python3", "-m", "uv"]):
        found = subprocess.run(
            [*candidate, "--version"], capture_output=True, text=True, check=False
        )
        if found.returncode == 0:
            return candidate
    on_path = shutil.which("uv")
    if on_path is None:
        pytest.skip("uv is not installed (neither `python3 -m uv` nor `uv` on PATH)")
    return [on_path]


def _run(
    command: list[str | Path], *, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


def _clean_env() -> dict[str, str]:
    """The caller's environment without anything that points back into the checkout's venv."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT"}
        and not key.startswith("ICHIGEN_")
    }
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    uv = _uv()
    root = tmp_path_factory.mktemp("packaging")
    assert not root.resolve().is_relative_to(REPO), "the venv must live outside the repository"
    env = _clean_env()

    dist = root / "dist"
    _run([*uv, "build", "--wheel", "--out-dir", dist, REPO], cwd=REPO, env=env)
    (wheel,) = dist.glob("ichigen-*.whl")

    other = root / "other-app"
    (other / "app").mkdir(parents=True)
    (other / "app" / "__init__.py").write_text(_OTHER_APP, "utf-8")
    (other / "pyproject.toml").write_text(_OTHER_PYPROJECT, "utf-8")
    _run([*uv, "build", "--wheel", "--out-dir", dist, other], cwd=root, env=env)
    (other_wheel,) = dist.glob("other_app-*.whl")

    constraints = root / "constraints.txt"
    _run(
        [
            *uv,
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--no-emit-project",
            "--output-file",
            constraints,
        ],
        cwd=REPO,
        env=env,
    )

    venv = root / "venv"
    _run([*uv, "venv", "--python", sys.executable, venv], cwd=root, env=env)
    python = venv / "bin" / "python"
    install: list[str | Path] = [*uv, "pip", "install", "--python", python]
    _run([*install, other_wheel], cwd=root, env=env)
    _run([*install, "--constraints", constraints, wheel], cwd=root, env=env)

    workdir = root / "work"
    workdir.mkdir()
    located = _run(
        [python, "-c", "import ichigen, pathlib; print(pathlib.Path(ichigen.__file__).parent)"],
        cwd=workdir,
        env=env,
    )
    package_dir = Path(located.stdout.strip())
    return Installed(
        wheel=wheel,
        python=python,
        bin_dir=venv / "bin",
        package_dir=package_dir,
        workdir=workdir,
        env=env,
    )


def test_the_wheel_installs_nothing_but_the_ichigen_package(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"ichigen"}
    for subpackage in ("app", "ingestion", "orchestration", "sandbox", "benchmarks"):
        assert f"ichigen/{subpackage}/__init__.py" in names


def test_the_wheel_carries_the_dbt_project_without_its_build_output(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
    assert "ichigen/dbt_project/dbt_project.yml" in names
    assert "ichigen/dbt_project/profiles.yml" in names
    assert any(name.startswith("ichigen/dbt_project/models/") for name in names)
    for generated in ("target/", "logs/", "dbt_packages/", ".user.yml"):
        leaked = [name for name in names if name.startswith(f"ichigen/dbt_project/{generated}")]
        assert leaked == [], f"the wheel carries dbt's {generated}: {leaked[:5]}"


def test_ichigen_is_imported_from_the_venv_not_the_checkout(installed: Installed) -> None:
    assert installed.package_dir.is_relative_to(installed.bin_dir.parent)
    assert not installed.package_dir.resolve().is_relative_to(REPO)


def test_another_distributions_app_package_still_imports_and_is_its_own(
    installed: Installed,
) -> None:
    script = (
        "import app, ichigen.app; "
        "print(app.OWNER); print(app.__file__); print(ichigen.app.__file__)"
    )
    result = _run([installed.python, "-c", script], cwd=installed.workdir, env=installed.env)
    owner, app_file, ichigen_app_file = result.stdout.split()
    assert owner == "other-app"
    assert Path(app_file).parent.parent == installed.package_dir.parent
    assert Path(ichigen_app_file).parent == installed.package_dir / "app"


def test_oms_help_runs_from_the_installed_wheel(installed: Installed) -> None:
    result = _run([installed.bin_dir / "oms", "--help"], cwd=installed.workdir, env=installed.env)
    for command in ("demo", "ingest", "build", "app", "sandbox"):
        assert command in result.stdout


def test_dbt_parses_the_installed_dbt_project(installed: Installed, tmp_path: Path) -> None:
    project = installed.package_dir / "dbt_project"
    env = {
        **installed.env,
        "ICHIGEN_DATA_DIR": str(tmp_path / "data"),
        "ICHIGEN_WAREHOUSE_PATH": str(tmp_path / "data" / "warehouse" / "ichigen.duckdb"),
    }
    (tmp_path / "data" / "warehouse").mkdir(parents=True)
    _run(
        [
            installed.bin_dir / "dbt",
            "parse",
            "--project-dir",
            project,
            "--profiles-dir",
            project,
            "--target-path",
            tmp_path / "target",
            "--log-path",
            tmp_path / "logs",
        ],
        cwd=installed.workdir,
        env=env,
    )
    assert (tmp_path / "target" / "manifest.json").is_file()
    assert not (project / "target").exists()
