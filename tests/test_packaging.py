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


def _package_imports() -> dict[str, set[str]]:
    """Every module of lic_gpu and the lic_gpu modules it imports, at the top or inside a function."""
    import ast

    files = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in (ROOT / "lic_gpu").rglob("*.py")
    }
    graph = {}
    for module, path in files.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lic_gpu"):
                deps.add(node.module)
                deps |= {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in files}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("lic_gpu")}
        graph[module] = {d for d in deps if d in files and d != module and d != "lic_gpu"}
    return graph


def test_no_import_cycle_in_the_package():
    """Not even through an import inside a function: each module sits on a layer of its own."""
    graph = _package_imports()
    done: set[str] = set()

    def visit(module, path):
        for dep in graph[module]:
            assert dep not in path, " -> ".join([*path[path.index(dep) :], dep])
            if dep not in done:
                visit(dep, [*path, dep])
        done.add(module)

    for module in graph:
        visit(module, [module])


def test_readme_layout_names_every_module():
    """The docs' layout section lists every module of the package, and no module that is gone."""
    text = (ROOT / "docs" / "how-it-works.md").read_text(encoding="utf-8")  # moved there from the README
    layout = text[text.index("## Project layout") :]
    end = layout.find("\n## ", 3)
    layout = layout if end < 0 else layout[:end]
    named = set(re.findall(r"\b([a-z_]+)\b", layout))
    modules = {p.stem for p in (ROOT / "lic_gpu").rglob("*.py") if p.stem != "__init__"}
    modules |= {p.parent.name for p in (ROOT / "lic_gpu").rglob("*/__init__.py")}
    assert modules <= named, sorted(modules - named)
