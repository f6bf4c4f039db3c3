"""The package's layers (docs/architecture.md): a module imports only from its own layer or lower ones.

Every import is counted, also those inside functions, so a lazy import cannot hide a dependency that
runs back up the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lic_gpu"

# lowest first; a module's layer is that of the longest prefix that names it
LAYERS: list[tuple[str, ...]] = [
    ("errors", "threads", "timing", "gc_pause", "validators"),  # no lic_gpu imports but errors
    ("device", "text", "lic", "caps"),  # pure maths and text
    ("io", "vectors", "classes"),  # files in and out; word vectors and search
    ("fluency", "scoring"),  # what a swap may replace, and how well it fits
    ("augment",),  # making rows: checks, generators, guards
    ("report",),  # quality measures, summary, figures, report.md
    ("app",),  # configs, settings and the main job
    ("evaluation",),  # the study, built on the job's parts
    ("api", "cli", "__init__"),  # the faces users call
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


def layer_of(module: str) -> int:
    """``lic_gpu.vectors.store`` -> the rank of ``vectors``."""
    parts = module.split(".")[1:] or ["__init__"]
    return RANK[parts[0]]


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imported(module: str, path: Path) -> set[str]:
    """Every lic_gpu module ``module`` imports (absolute and relative, at any depth)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("lic_gpu")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.startswith("lic_gpu"):
                found.add(base)
                found |= {f"{base}.{a.name}" for a in node.names}
    known = modules()
    return {m for m in found if m in known}


def test_every_module_has_a_layer():
    for module in modules():
        assert layer_of(module) >= 0, module


def test_no_import_runs_up_a_layer():
    known = modules()
    wrong = []
    for module, path in known.items():
        own = layer_of(module)
        for dep in imported(module, path):
            if dep == "lic_gpu" or dep.startswith(module + "."):
                continue
            if layer_of(dep) > own:
                wrong.append(f"{module} (layer {own}) imports {dep} (layer {layer_of(dep)})")
    assert not wrong, "\n".join(sorted(wrong))


def test_few_modules_left_flat():
    flat = [p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"]
    assert len(flat) <= 12, sorted(flat)


@pytest.mark.parametrize("limit", [500])
def test_no_module_over_the_size_limit(limit):
    big = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text("utf-8").splitlines())) > limit
    }
    assert not big, big
