"""The wheel carries everything the code reads at run time: build it, install it into a
fresh virtual environment, and ask it a question from a folder outside the repository.

The fresh environment reuses this environment's site-packages for the dependencies (a path
line, so the editable install of the repository is not activated), which keeps the test to
seconds instead of a torch download."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8")
                         )["tool"]["setuptools"]["packages"]
pytestmark = pytest.mark.slow


def run(command: list[str], **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **kw)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"  # a copy, so the build leaves no build/ or egg-info in the repo
    for package in PACKAGES:
        shutil.copytree(REPO / package, source / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(work / "dist"), str(source)])
    built, = (work / "dist").glob("policybot-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A virtual environment with only the wheel of this checkout installed in it."""
    env = tmp_path_factory.mktemp("installed") / "env"
    run([sys.executable, "-m", "venv", "--without-pip", str(env)])
    python = env / "bin" / "python"
    env_site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
                        ).stdout.strip())
    (env_site / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)])
    return env


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("POLICYBOT_", "SLACK_", "Microsoft", "PYTHON"))}
    return {**env, **extra}


def test_the_wheel_carries_every_data_file_of_the_packages(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    data = {p.relative_to(REPO).as_posix() for package in PACKAGES
            for p in (REPO / package).rglob("*")
            if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts}
    assert data, "no data files found: the test would check nothing"
    assert data - names == set()


def test_the_installed_wheel_is_imported_not_the_checkout(installed, tmp_path):
    imports = "; ".join(f"import {p}; print({p}.__file__)" for p in PACKAGES)
    out = run([str(installed / "bin" / "python"), "-c", imports], cwd=tmp_path,
              env=clean_env()).stdout.split()
    assert len(out) == len(PACKAGES)
    assert all(Path(f).is_relative_to(installed) for f in out), out


def test_the_installed_wheel_answers_a_question(installed, tmp_path):
    result = run([str(installed / "bin" / "policybot"), "ask", "--json",
                  "can I friend a parent?"], cwd=tmp_path,
                 env=clean_env(HF_HUB_OFFLINE="1"))
    answer = json.loads(result.stdout)
    assert answer["status"] == "answered", answer
    assert answer["citations"][0]["bulletin"] == "BUL-5688.0", answer
    assert not (REPO / "build").exists()
