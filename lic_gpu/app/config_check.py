"""Unknown config keys are an error with a suggestion, on the command line and from Python.

Hydra rejects ``augment.maxswaps=3`` without saying what was meant, and accepts ``+augment.maxswaps=3``
(its own hint) although nothing reads the key. :func:`check_overrides` knows every key of the chosen
config files and refuses the rest: ``unknown config key 'augment.maxswaps'; did you mean
'augment.max_swaps'?``. A few keys hold free-form mappings (``caps.region``, ``data.rename``, a
``sampling_strategy`` dict) and accept any key below them.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Any, Iterable, Sequence

from lic_gpu.io.conf_files import config_dir, load_yaml
from lic_gpu.errors import LicGpuError

# Nodes whose keys are the user's to choose (emotion names, column names, class labels).
OPEN_KEYS = frozenset(
    {
        "caps.region",
        "data.rename",
        "augment.sampling_strategy",
        "augment_seed.sampling_strategy",
        "sampling_strategy",
        "guard",
    }
)


def _paths(node: Any, prefix: str, out: dict[str, Any]) -> None:
    """Every node path of a YAML mapping (``a``, ``a.b`` ...) with its value."""
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if prefix == "" and key in ("defaults", "hydra"):
            continue
        path = f"{prefix}{key}"
        out[path] = value
        _paths(value, path + ".", out)


def _defaults(primary: dict) -> tuple[dict[str, tuple[str, str]], str | None]:
    """``{package: (group, option)}`` from a primary config's defaults list, and the schema it names."""
    packages, schema = {}, None
    for entry in primary.get("defaults", []) or []:
        if isinstance(entry, str):
            schema = entry if entry.endswith("_schema") else schema
            continue
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        ((key, option),) = entry.items()
        key = str(key).strip()
        if key.startswith(("override ", "hydra")) or option is None:
            continue
        key = key.removeprefix("optional ").strip()
        group, _, package = key.partition("@")
        packages[package or group] = (group, str(option))
    return packages, schema


def known_keys(config_name: str, conf: Path, choices: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Every key path of ``config_name`` with these group choices (``{package: [option, ...]}``)."""
    primary = load_yaml(conf / f"{config_name}.yaml")
    packages, schema = _defaults(primary)
    out: dict[str, Any] = {}
    _paths(primary, "", out)
    if schema:
        from dataclasses import fields

        from lic_gpu.app.schema import SCHEMAS

        node = next(n for group, name, n in SCHEMAS if group is None and name == schema)
        for f in fields(node):
            out.setdefault(f.name, None)
    for package, (group, option) in packages.items():
        out[package] = f"<config group {group}>"  # a node of fixed keys, not an open mapping
        for opt in (choices or {}).get(package, [option]):
            path = conf / group / f"{opt}.yaml"
            if path.is_file():  # its defaults list names the group's schema, not keys
                _paths({k: v for k, v in load_yaml(path).items() if k != "defaults"}, package + ".", out)
    return out


def _group_of(key: str, conf: Path, packages: dict[str, tuple[str, str]]) -> str | None:
    """The package a group override sets (``data=csv`` -> ``data``), or None for a key override."""
    if key in packages:
        return key
    groups = {g for g, _ in packages.values()}
    return key if key in groups and (conf / key).is_dir() else None


def check_overrides(overrides: Sequence[str], config_name: str, conf: Path) -> None:
    """Raise a one-line :class:`LicGpuError` for an override of a key the chosen configs do not have.

    Group choices (``data=csv``), Hydra's own settings (``hydra.*``, ``hydra/launcher=...``) and
    deletions (``~key``) are left to Hydra; so are overrides Hydra cannot parse.
    """
    if not overrides:
        return
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except Exception:  # Hydra reports its own syntax errors, with their position
        return
    packages, _ = _defaults(load_yaml(conf / f"{config_name}.yaml"))
    choices: dict[str, list[str]] = {}
    keys = []
    for o in parsed:
        key = o.key_or_group
        if o.is_hydra_override() or key.startswith("hydra") or o.is_delete():
            continue
        package = _group_of(key, conf, packages) if o.package is None else o.package
        if package is not None and "." not in key:
            try:
                options = list(o.sweep_string_iterator()) if o.is_sweep_override() else [str(o.value())]
            except Exception:  # a glob or range sweep of a group: Hydra resolves it
                return
            choices.setdefault(package, []).extend(options)
            continue
        keys.append((key, o.input_line or key, o.is_add() or o.is_force_add()))
    group_of_package = {p: g for p, (g, _) in packages.items()}
    if not keys or any(
        not (conf / group_of_package.get(p, p) / f"{opt}.yaml").is_file() for p, opts in choices.items() for opt in opts
    ):
        return  # nothing to check, or a group option that does not exist: Hydra names it
    known = known_keys(config_name, conf, choices)
    for key, line, adds in keys:
        if key in known or _under_open_node(key, known):
            if not adds:
                _check_not_under_null(key, line, known)
            continue
        raise LicGpuError(_unknown_message(key, line, known, config_name, conf, packages, choices))


def _check_not_under_null(key: str, line: str, known: dict[str, Any]) -> None:
    """``caps.region.arousal=[3,7]`` where ``caps.region`` is null: Hydra's "not in struct" said nothing useful."""
    parent = key.rsplit(".", 1)[0] if "." in key else ""
    if parent in OPEN_KEYS and parent in known and known[parent] is None:
        leaf, value = key.rsplit(".", 1)[1], line.partition("=")[2]
        default = " (the default region is caps.notebook_region)" if parent == "caps.region" else ""
        raise LicGpuError(
            f"{line!r}: {parent} is null{default}; give it whole, '{parent}={{{leaf}:{value}}}', "
            f"or add the one key with '+{line}'"
        )


def _under_open_node(key: str, known: dict[str, Any]) -> bool:
    parts = key.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in known:
            value = known[prefix]
            return prefix in OPEN_KEYS or value is None or value == {}
    return False


def _unknown_message(
    key: str,
    line: str,
    known: dict[str, Any],
    config_name: str,
    conf: Path,
    packages: dict[str, tuple[str, str]],
    choices: dict[str, list[str]],
) -> str:
    head = f"unknown config key {key!r} (in {line!r})"
    package = key.split(".", 1)[0]
    if package in packages and "." in key:
        group, default = packages[package]
        chosen = choices.get(package, [default])
        elsewhere = [
            p.stem
            for p in sorted((conf / group).glob("*.yaml"))
            if p.stem not in chosen and key in known_keys(config_name, conf, {package: [p.stem]})
        ]
        if elsewhere:
            return (
                f"{head}: it is an option of {group}={elsewhere[0]}, not of {group}={','.join(chosen)}; "
                f"add {group}={elsewhere[0]} or drop it"
            )
    parent = key.rsplit(".", 1)[0] if "." in key else ""
    siblings = [k for k in known if (k.rsplit(".", 1)[0] if "." in k else "") == parent]
    close = difflib.get_close_matches(key, siblings, n=1, cutoff=0.6) or difflib.get_close_matches(
        key, list(known), n=1, cutoff=0.75
    )
    if close:
        return f"{head}; did you mean {close[0]!r}?"
    shown = sorted(siblings)[:15]
    where = f"keys of {parent!r}" if parent else "top-level keys"
    return f"{head}; {where} are {shown}{' ...' if len(siblings) > 15 else ''}"


def check_command_line(config_name: str, argv: Iterable[str] | None = None, conf: Path | None = None) -> None:
    """Check the overrides on a command line before Hydra composes; on an unknown key print one line
    ``error: ...`` and exit with status 2 (Hydra's own message would give no suggestion)."""
    from hydra._internal.utils import get_args_parser

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        parsed, _ = get_args_parser().parse_known_args(args)
    except SystemExit:  # let Hydra print its usage message
        return
    if parsed.help or parsed.hydra_help or parsed.info or parsed.shell_completion:
        return
    name = parsed.config_name or config_name
    folder = Path(parsed.config_dir) if parsed.config_dir else (conf or config_dir())
    if not (folder / f"{name}.yaml").is_file():
        return
    try:
        check_overrides(parsed.overrides, name, folder)
    except LicGpuError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
