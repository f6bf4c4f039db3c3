"""What the entry scripts check on the command line before Hydra starts: ``--help`` for the job
(the groups a user chooses, one line each, instead of Hydra's stock page with its internal
``base_*`` schema names), a ``base_*`` schema chosen as a group option, and a SLURM launcher on a
machine without SLURM (one ``error:`` line and exit 2 instead of a traceback).

Imports nothing heavy: it runs before torch and Hydra are imported.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Iterable

from lic_gpu.io.conf_files import config_dir, load_yaml

# What each job does, and how it is called (the script and the installed command).
JOBS = {
    "augment": (
        "python scripts/augment.py | lic-augment",
        "Balance an emotion's rating classes with LIC-guided word swaps; writes a run folder "
        "(outputs/<date>/<time>-...) with the augmented CSVs, summary.json, figures and report.md.",
    ),
    "evaluate": (
        "python scripts/evaluate.py | lic-evaluate",
        "Does the augmentation help? Trains classifiers with and without it on leakage-safe splits "
        "and writes the metrics, tests and figures.",
    ),
}
# Hydra's own groups a user may choose; the rest of hydra/ is the project's plumbing.
USER_HYDRA_GROUPS = ("hydra/launcher",)
WIDTH = 110


def _first_comment(path: Path) -> str:
    """The first comment line of a YAML file, without ``#`` (its one-line description)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text.startswith("#"):
            text = text.lstrip("#").strip()
            if text.startswith("@package"):  # Hydra's directive, not a description
                continue
            return _first_clause(text)
        if text:
            break
    return ""


def _first_clause(text: str) -> str:
    """Up to the first ``: `` or ``. `` (the examples after it belong in the README)."""
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and ch in ".:" and i and text[i - 1].isalnum() and text[i + 1 : i + 2] in (" ", ""):
            return text[:i].strip()
    return text.strip()


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def group_choices(conf: Path) -> dict[str, list[str]]:
    """``{group: [option, ...]}`` of the YAML files under ``conf`` (never the ``base_*`` schemas,
    which Hydra's ConfigStore lists but which hold no values)."""
    out = {}
    for folder in sorted(p for p in conf.iterdir() if p.is_dir() and p.name != "hydra"):
        out[folder.name] = sorted(p.stem for p in folder.glob("*.yaml"))
    for group in USER_HYDRA_GROUPS:
        folder = conf / group
        if folder.is_dir():
            out[group] = sorted(p.stem for p in folder.glob("*.yaml"))
    return out


def _defaults(primary: dict) -> dict[str, str]:
    """``{group: default option}`` from a primary config's defaults list."""
    out: dict[str, str] = {}
    for entry in primary.get("defaults", []) or []:
        if isinstance(entry, dict) and len(entry) == 1:
            ((key, option),) = entry.items()
            group = str(key).split("@")[0].replace("override ", "").strip()
            if group != "hydra" and option is not None:
                out.setdefault(group, str(option))
    return out


def _top_level_options(primary_path: Path) -> list[tuple[str, str, str]]:
    """``(key, value, description)`` of the primary config's scalar top-level keys, the description
    being the first line of the comment above each."""
    out, comment = [], []
    for line in primary_path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            comment.append(line.lstrip("#").strip())
            continue
        m = re.match(r"^(\w+):\s*(\S.*)?$", line)
        if m and m.group(1) not in ("defaults", "hydra"):
            if m.group(2) is not None and not m.group(2).startswith("#"):
                out.append((m.group(1), m.group(2).strip(), comment[0] if comment else ""))
        if not line.startswith(" "):
            comment = []
    return out


def job_help(job: str, conf: Path | None = None) -> str:
    """The ``--help`` page of ``job`` (``augment`` or ``evaluate``)."""
    conf = Path(conf or config_dir())
    usage, what = JOBS[job]
    primary_path = conf / f"{job}.yaml"
    defaults = _defaults(load_yaml(primary_path))
    lines = [
        f"usage: {usage} [group=option ...] [key=value ...]",
        "",
        *textwrap.wrap(what, WIDTH),
        "",
        "Groups (choose one option of each with group=option; * = the default):",
    ]
    for group, options in group_choices(conf).items():
        if group not in defaults and group not in USER_HYDRA_GROUPS:
            continue
        for option in options:
            mark = "*" if defaults.get(group) == option else " "
            head = f"  {group}={option}"
            desc = _first_comment(conf / group / f"{option}.yaml")
            lines.append(_short(f"{head:<32}{mark} {desc}", WIDTH))
    lines += ["", "Common options (key=value; the value shown is the default):"]
    for key, value, desc in _top_level_options(primary_path):
        head = f"  {key}={_short(value, 28)}"
        lines.append(_short(f"{head:<33} {_first_clause(desc)}".rstrip(), WIDTH))
    frequent = _frequent_options(job, conf)
    if frequent:
        lines += ["", "Often set (key=value; the value shown is the default of the group named):"]
        lines += [_short(f"  {f'{key}={value}':<32}  {desc}", WIDTH) for key, value, desc in frequent]
    lines += [
        "",
        "Every key and its value:   --cfg job   (a group's keys: --cfg job data=csv)",
        "A sweep:                   -m emotion=arousal,valence",
        "Hydra's own flags:         --hydra-help",
        "Full tracebacks:           verbose=true",
    ]
    return "\n".join(lines) + "\n"


# Options a researcher sets most, beyond the top-level ones (trial 8: the text column, the output format and the
# encoder stage were only in --cfg job): (group file, key path, what it does); the values come from the YAML.
FREQUENT = {
    "augment": (
        ("data/csv.yaml", "data.path", "your table (with data=csv)"),
        ("data/csv.yaml", "data.text_column", "its text column"),
        ("data/csv.yaml", "data.sep", "its delimiter, quoted twice: \"data.sep=';'\""),
        ("augment.yaml", "output.format", "csv | parquet"),
        ("augment/diverse.yaml", "augment.encoder", "the encoder stage (false: more rows, fewer fluent)"),
        ("augment/diverse.yaml", "augment.sampling_strategy", "auto | a fraction | {class: rows}"),
        (
            "caps/rectangle.yaml",
            "caps.region",
            "caps=rectangle's box (null: the notebook's); 'caps.region={arousal:[3,7]}'",
        ),
        ("embeddings/file.yaml", "embeddings.source", "with embeddings=file: your vectors file"),
    ),
}


def _frequent_options(job: str, conf: Path) -> list[tuple[str, str, str]]:
    out = []
    for file, key, desc in FREQUENT.get(job, ()):
        node: object = load_yaml(conf / file) if (conf / file).is_file() else None
        parts = key.split(".")
        for part in parts[1:] if file != f"{job}.yaml" else parts:
            node = node.get(part) if isinstance(node, dict) else None
        value = "null" if node is None else str(node).lower() if isinstance(node, bool) else str(node)
        value = "PATH (required)" if value == "???" else value
        out.append((key, value, desc))
    return out


def _group_overrides(args: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(arg, group, value)`` of the ``group=value`` arguments (not ``group.key=value``)."""
    out = []
    for arg in args:
        m = re.match(r"^[+~]*([\w/]+)(@[\w.]+)?=(.*)$", arg)
        if m:
            out.append((arg, m.group(1), m.group(3)))
    return out


def check_job_command_line(job: str, argv: Iterable[str] | None = None, conf: Path | None = None) -> None:
    """Before Hydra: ``-h/--help`` prints :func:`job_help` and exits 0; a ``base_*`` schema chosen as a
    group option, or a SLURM launcher where SLURM or its Hydra plugin is missing, prints one
    ``error:`` line and exits 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    conf = Path(conf or config_dir())
    if "-h" in args or "--help" in args:
        print(job_help(job, conf), end="")
        sys.exit(0)
    message = command_line_problem(args, conf)
    if message:
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def command_line_problem(args: Iterable[str], conf: Path) -> str | None:
    """The one-line problem with a command line's group choices, or None."""
    choices = group_choices(conf)
    for arg, group, value in _group_overrides(args):
        if group not in choices:
            continue
        for option in value.split(","):
            option = option.strip()
            if option.startswith("base_"):
                shown = ", ".join(choices[group])
                real = option.removeprefix("base_")
                hint = f" (the config file is {group}={real})" if real in choices[group] else ""
                return (
                    f"{arg!r}: {option} is the schema of a {group} config, not a choice{hint}; "
                    f"{group} is one of: {shown}"
                )
        if group == "hydra/launcher":
            return slurm_problem(value, conf)
    return None


def slurm_problem(launcher: str, conf: Path) -> str | None:
    """Why a SLURM launcher cannot start here (its Hydra plugin or SLURM's ``sbatch``/``srun`` is
    missing), or None."""
    path = conf / "hydra" / "launcher" / f"{launcher}.yaml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if "slurm" not in launcher and "submitit_slurm" not in text:
        return None
    if importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None:
        return (
            f"hydra/launcher={launcher} needs Hydra's submitit launcher: pip install 'lic_gpu[slurm]' "
            "(hydra-submitit-launcher), on a machine with SLURM"
        )
    missing = [tool for tool in ("sbatch", "srun") if shutil.which(tool) is None]
    if missing:
        absent = "neither sbatch nor srun is" if len(missing) == 2 else f"{missing[0]} is not"
        return (
            f"hydra/launcher={launcher} needs SLURM, but {absent} on PATH: run it on "
            "the cluster's login node, or drop hydra/launcher= to run the sweep here"
        )
    return None
