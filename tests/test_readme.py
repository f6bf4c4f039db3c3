"""The documentation is executable: every fenced ``bash``/``python`` block of README.md and docs/*.md
runs here and must exit 0 and write the files it says it writes (issue 20).

Blocks run in one scratch folder that holds the demo corpus under the names the examples use
(``my.csv``, ``my.parquet``, ``my.tsv``, ``words.csv``, ``ratings.csv``), so most lines run exactly as
written. An HTML comment right before a block adjusts the run (docs/glossary.md, *How the
documentation is tested*)::

    <!-- readme-test
    not-run: TEXT | REASON     a line (or ``&&`` part) holding TEXT is not run; listed in docs/not-run.md
    replace: OLD -> NEW         a data path ({shared}: the shared data folder)
    fast: TEXT | ARGS           ARGS appended by default; the line as written runs in a slow test
    prelude: PYTHON             run before a python block
    -->

``python tests/test_readme.py`` rewrites docs/not-run.md from the marks.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_RUN_FILE = ROOT / "docs" / "not-run.md"
TIMEOUT = 900
_CLI = {"lic-augment": "augment", "lic-evaluate": "evaluate"}


@dataclass
class Block:
    page: str
    line: int
    lang: str
    code: str
    not_run: list[tuple[str, str]] = field(default_factory=list)
    replace: list[tuple[str, str]] = field(default_factory=list)
    fast: list[tuple[str, str]] = field(default_factory=list)
    prelude: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def parse_blocks(path: Path) -> list[Block]:
    """The fenced bash/python blocks of ``path`` with the directives of the comment just before each."""
    lines = path.read_text(encoding="utf-8").split("\n")
    blocks, directives, i = [], None, 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == "<!-- readme-test":
            directives, i = [], i + 1
            while lines[i].strip() != "-->":
                directives.append(lines[i].strip())
                i += 1
            i += 1
            continue
        fence = re.match(r"^```(\w*)\s*$", line)
        if fence:
            start, body = i, []
            i += 1
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if fence[1] in ("bash", "python"):
                block = Block(str(path.relative_to(ROOT)), start + 1, fence[1], "\n".join(body))
                for d in directives or []:
                    kind, _, rest = d.partition(":")
                    rest = rest.strip()
                    if kind == "not-run":
                        text, _, reason = rest.partition("|")
                        block.not_run.append((text.strip(), reason.strip()))
                    elif kind == "replace":
                        old, _, new = rest.partition("->")
                        block.replace.append((old.strip(), new.strip()))
                    elif kind == "fast":
                        text, _, args = rest.partition("|")
                        block.fast.append((text.strip(), args.strip()))
                    elif kind == "prelude":
                        block.prelude.append(rest)
                    else:
                        raise AssertionError(f"{path.name}:{start + 1}: unknown readme-test directive {d!r}")
                blocks.append(block)
            directives = None
        elif line.strip():
            directives = None if not line.startswith("<!--") else directives
        i += 1
    return blocks


BLOCKS = [b for page in PAGES for b in parse_blocks(page)]


@dataclass
class Command:
    block: Block
    text: str  # the line (or && part) as written
    not_run: str | None  # the reason, when it is not run
    fast_args: str | None  # appended in the default run


def commands() -> list[Command]:
    out = []
    for block in (b for b in BLOCKS if b.lang == "bash"):
        for line in block.code.replace("\\\n", " ").split("\n"):
            line = line.split(" #")[0].strip()
            if not line or line.startswith("#"):
                continue
            for part in (p.strip() for p in line.split("&&")):
                reason = next((r for t, r in block.not_run if t in part), None)
                fast = None if reason else next((a for t, a in block.fast if t in part), None)
                out.append(Command(block, part, reason, fast))
    return out


COMMANDS = commands()


def not_run_table() -> str:
    rows = [f"| {c.block.page} | `{c.text}` | {c.not_run} |" for c in COMMANDS if c.not_run]
    rows += [
        f"| {b.page} (python) | the block | {r} |"
        for b in BLOCKS
        if b.lang == "python"
        for t, r in b.not_run
        if t == "*"
    ]
    return (
        "# Documented lines the tests do not run\n\n"
        "Written by `python tests/test_readme.py` from the `readme-test` marks; `tests/test_readme.py`\n"
        "fails when it is out of date. Every other fenced bash/python line of README.md and docs/ runs\n"
        "in the default test run.\n\n"
        "| where | line | why not |\n| --- | --- | --- |\n" + "\n".join(rows) + "\n"
    )


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A scratch folder holding the demo corpus under the names the documentation uses."""
    from lic_gpu.io.data import demo_paths

    words_path, ratings_path = demo_paths()
    where = tmp_path_factory.mktemp("readme")
    demo = pd.read_csv(words_path).merge(pd.read_csv(ratings_path))
    table = demo.rename(columns={"label": "sentence"})
    table.to_csv(where / "my.csv", index=False)
    # python-api.md: emotion="label" is a category column there
    table.rename(columns={"category": "label"}).to_parquet(where / "my.parquet")
    folds = (["train"] * 6 + ["extra"] * 2 + ["test"] * 2) * (len(demo) // 10 + 1)
    table.assign(fold=folds[: len(demo)]).to_csv(where / "my.tsv", sep="\t", index=False)
    pd.read_csv(words_path).to_csv(where / "words.csv", index=False, encoding="latin1", errors="replace")
    pd.read_csv(ratings_path).to_csv(where / "ratings.csv", index=False, encoding="latin1", errors="replace")
    return where


def _env():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("HYDRA_FULL_ERROR", None)
    return env


def _argv(text: str) -> list[str]:
    argv = shlex.split(text)
    if argv[0] in _CLI:  # this checkout's command: an installed one could be another copy of lic_gpu
        return [sys.executable, "-c", f"from lic_gpu.cli import {_CLI[argv[0]]}; {_CLI[argv[0]]}()", *argv[1:]]
    if argv[0] == "python":
        argv[0] = sys.executable
        if len(argv) > 1 and argv[1].startswith("scripts/"):
            argv[1] = str(ROOT / argv[1])
    return argv


def _summaries(where: Path) -> set[Path]:
    return (
        {p.parent for p in where.glob("*outputs*/**/summary.json")}
        | {p.parent for p in where.glob("multirun/**/summary.json")}
        | {p.parent for p in where.glob("**/metrics.json")}
    )


def _expected_files(argv: list[str]) -> tuple[int, list[list[str]]]:
    """How many run folders the command makes, and per folder the files it must hold (any order)."""
    opts = dict(a.split("=", 1) for a in argv if "=" in a and not a.startswith("-"))
    if "--help" in argv:  # a help page writes nothing
        return 0, []
    if any("evaluate" in a for a in argv[:3]):
        return 1, [["metrics.json", "metrics.csv", "evaluation.md"]]
    ext = "parquet" if opts.get("output.format") == "parquet" else "csv"
    value = opts.get("emotion", "arousal")
    if "-m" in argv and "," in value and not value.startswith("["):
        runs = [[v] for v in value.split(",")]
    else:
        runs = [[e.strip() for e in value.strip("[]").split(",")]]
    files = []
    for emotions in runs:
        need = ["summary.json", *(f"augmented_{e}.{ext}" for e in emotions), *(f"exports/{e}.{ext}" for e in emotions)]
        if opts.get("caps") == "rectangle":
            need.append(f"capped.{ext}")
        if opts.get("report.enabled") != "false":
            need.append("report.md")
        files.append(need)
    return len(runs), files


def run_command(text: str, where: Path) -> None:
    argv = _argv(text)
    before = _summaries(where)
    run = subprocess.run(argv, cwd=where, env=_env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert run.returncode == 0, f"{text}\n(ran {argv})\n{run.stderr[-3000:]}"
    n_runs, files = _expected_files(argv)
    new = sorted(_summaries(where) - before)
    assert len(new) == n_runs, f"{text}: expected {n_runs} new run folder(s), got {new}"
    for need in files:
        assert any(all((folder / f).is_file() for f in need) for folder in new), (
            f"{text}: no new run folder holds all of {need}: {[sorted(p.name for p in f.iterdir()) for f in new]}"
        )


def _substituted(command: Command, fast: bool) -> str:
    text = command.text
    for old, new in command.block.replace:
        text = text.replace(old, new.replace("{shared}", str(SHARED)))
    if fast and command.fast_args:
        text = f"{text} {command.fast_args}"
    return text


# --------------------------------------------------------------------------------------- tests
def test_the_documentation_has_blocks_and_the_marks_parse():
    assert any(c.text.startswith("python scripts/augment.py") and c.not_run is None for c in COMMANDS)
    assert {b.page for b in BLOCKS} >= {"README.md", "docs/python-api.md"}
    for c in COMMANDS:
        assert not (c.not_run and c.fast_args), c.text


def test_lines_not_run_are_listed():
    """The marked lines are listed (docs/not-run.md, and on the console), never silently skipped."""
    table = not_run_table()
    print("\n" + table)
    assert NOT_RUN_FILE.is_file() and NOT_RUN_FILE.read_text(encoding="utf-8") == table, (
        "docs/not-run.md is out of date: run python tests/test_readme.py"
    )


def test_the_test_command_is_the_ci_command():
    readme_test = next(c.block.code for c in COMMANDS if "python -m pytest" in c.text)
    assert readme_test.strip() in (ROOT / ".ci" / "run").read_text().splitlines()


RUNNABLE = [c for c in COMMANDS if c.not_run is None]


@pytest.mark.parametrize("command", RUNNABLE, ids=[f"{c.block.where}:{c.text[:60]}" for c in RUNNABLE])
def test_documented_command_runs(command, workspace):
    text = _substituted(command, fast=True)
    if "{shared}" in str(command.block.replace) and str(SHARED) in text and not SHARED.is_dir():
        pytest.skip(f"needs the shared data folder {SHARED}")  # listed by pytest -rs, like EmoBank's tests
    run_command(text, workspace)


HEAVY = [c for c in RUNNABLE if c.fast_args]


@pytest.mark.slow
@pytest.mark.parametrize("command", HEAVY, ids=[f"{c.block.where}:{c.text[:60]}" for c in HEAVY])
def test_documented_command_runs_as_written(command, workspace):
    text = _substituted(command, fast=False)
    if str(SHARED) in text and not SHARED.is_dir():
        pytest.skip(f"needs the shared data folder {SHARED}")
    run_command(text, workspace)


PYTHON = [b for b in BLOCKS if b.lang == "python"]


@pytest.mark.parametrize("block", PYTHON, ids=[b.where for b in PYTHON])
def test_documented_python_runs(block, workspace):
    code = "\n".join([*block.prelude, block.code])
    for old, new in block.replace:
        code = code.replace(old, new.replace("{shared}", str(SHARED)))
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=workspace, env=_env(), capture_output=True, text=True, timeout=TIMEOUT
    )
    assert run.returncode == 0, f"{block.where}\n{run.stderr[-3000:]}"


if __name__ == "__main__":
    NOT_RUN_FILE.write_text(not_run_table(), encoding="utf-8")
    print(NOT_RUN_FILE.read_text())
    print(json.dumps([f"{c.block.where}: {c.text}" for c in COMMANDS if c.not_run is None], indent=1))
