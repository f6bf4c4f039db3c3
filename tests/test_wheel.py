"""The wheel installs the command and its configs: ``lic-augment`` runs from an empty folder (issue 14)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv

import pandas as pd
import pytest

from helpers import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv (seeing the system's torch, pandas ...) with only the built wheel installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # build from a copy: an in-tree build would leave build/ and *.egg-info behind
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("lic_gpu", "conf"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = dist.glob("lic_gpu-*.whl")
    env_dir = tmp / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    _see_this_interpreters_packages(bindir / "python")
    install = subprocess.run(
        [str(bindir / "python"), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return bindir


def _see_this_interpreters_packages(python) -> None:
    """Let the new venv import what the interpreter running the tests has (hydra, torch ...).

    ``system_site_packages`` reaches the *base* interpreter's packages only: run from a venv (or a
    conda env built on another Python), the test interpreter's own site-packages were missing and the
    wheel could not import hydra. Listed in a ``.pth`` after the venv's own site-packages, they come
    after the installed wheel; their ``.pth`` files are not processed, so an editable install of the
    checkout there cannot shadow the wheel.
    """
    import site

    own = subprocess.run(
        [str(python), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert own.returncode == 0, own.stderr
    paths = [*site.getsitepackages(), site.getusersitepackages()]
    lines = [p for p in dict.fromkeys(paths) if os.path.isdir(p)]
    with open(os.path.join(own.stdout.strip(), "_test_interpreter_site_packages.pth"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


def _env():
    # nothing of the checkout on the path: the venv's installed package must do it alone
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


@pytest.mark.slow
def test_installed_command_runs_from_an_empty_folder(installed, tmp_path):
    where = tmp_path / "empty"
    where.mkdir()
    run = subprocess.run(
        [str(installed / "lic-augment"), "device=cpu", "report.enabled=false", "emotion=category"],
        capture_output=True,
        text=True,
        cwd=where,
        env=_env(),
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    (out,) = where.glob("outputs/*/*")
    frame = pd.read_csv(out / "augmented_category.csv", keep_default_na=False)
    assert frame["is_augmented"].any() and (out / "summary.json").is_file() and (out / "augment.log").is_file()
    probe = subprocess.run(
        [str(installed / "python"), "-c", "import lic_gpu.app.config as c; print(c.config_dir())"],
        capture_output=True,
        text=True,
        cwd=where,
        env=_env(),
        timeout=120,
    )
    assert "site-packages" in probe.stdout and str(ROOT) not in probe.stdout, probe.stdout + probe.stderr
    bad = subprocess.run(
        [str(installed / "lic-augment"), "augment.maxswaps=3"],
        capture_output=True,
        text=True,
        cwd=where,
        env=_env(),
        timeout=120,
    )
    assert bad.returncode == 2 and "did you mean 'augment.max_swaps'" in bad.stderr, bad.stderr
