"""pyproject.toml and environment.yml install the same set; the layout the user asked for exists."""
from __future__ import annotations

import re
import tomllib

import yaml

from helpers import ROOT

# conda names that differ from PyPI names
CONDA_TO_PYPI = {"pytorch": "torch"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in ("test", "slurm"):
        wanted |= {_name(r) for r in project["optional-dependencies"][extra]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    have = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            have |= {_name(r) for r in dep["pip"] if not r.startswith("-e")}
        elif not dep.startswith(("python", "pip")) or dep.startswith("python-"):
            have.add(CONDA_TO_PYPI.get(_name(dep), _name(dep)))
    assert have == wanted


def test_layout():
    for path in ("conf", "lic_gpu", "scripts", "tests", "environment.yml", "README.md", ".ci/run"):
        assert (ROOT / path).exists(), path
