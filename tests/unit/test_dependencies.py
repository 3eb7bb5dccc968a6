"""What is installed is what is locked: uv.lock for the project, the layer's requirements made from it, and
the one moto release that local/ is written against."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from local import MOTO_VERSION, moto_mismatch
from tests.conftest import ROOT

UV = ROOT / ".venv-tools" / "bin" / "uv"
LAYER_REQUIREMENTS = ROOT / "layers" / "shared" / "requirements.txt"


def _uv() -> str:
    found = str(UV) if UV.exists() else shutil.which("uv")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("uv is missing: `make install` bootstraps it into .venv-tools")
        pytest.skip("run `make install` for uv (.venv-tools)")
    return found


def _run_uv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_uv(), *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_the_installed_moto_is_the_one_local_is_written_against() -> None:
    assert version("moto") == MOTO_VERSION, moto_mismatch()
    assert moto_mismatch() is None


def test_uv_lock_holds_the_moto_local_is_written_against() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    (moto,) = (package for package in lock["package"] if package["name"] == "moto")
    assert moto["version"] == MOTO_VERSION


def test_the_local_stack_refuses_to_start_with_another_moto(tmp_path: Path) -> None:
    # A moto 9.9.9 found first on the path: the stack must stop before it imports any of moto.
    dist_info = tmp_path / "moto-9.9.9.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: moto\nVersion: 9.9.9\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "local"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1
    assert f"written against moto {MOTO_VERSION}, but moto 9.9.9 is installed" in run.stderr
    imported = {line.rpartition("|")[2].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "local" in imported
    assert not {name for name in imported if name == "moto" or name.startswith("moto.")}


def test_uv_lock_is_current_with_pyproject() -> None:
    run = _run_uv("lock", "--check", "--offline", "--python", sys.executable)
    assert run.returncode == 0, f"uv.lock does not match pyproject.toml: run `make lock`.\n{run.stderr}"


def test_the_layer_requirements_are_the_lock_exported() -> None:
    """sam build installs layers/shared/requirements.txt into the layer: exactly the runtime part of uv.lock."""
    run = _run_uv("export", "--frozen", "--no-dev", "--no-emit-project", "--no-header")
    assert run.returncode == 0, run.stderr
    lines = LAYER_REQUIREMENTS.read_text().splitlines(keepends=True)
    header = 0
    while lines[header].startswith("#"):
        header += 1
    assert "".join(lines[header:]) == run.stdout, "layers/shared/requirements.txt is not uv.lock's: run `make lock`"
    # The clients load botocore data trimmed from one botocore release (`make botocore-data`): the layer's.
    trimmed_from = (ROOT / "layers" / "shared" / "lead_events" / "botocore_data" / "botocore-version").read_text()
    assert f"\nbotocore=={trimmed_from.strip()} " in run.stdout
