"""Where the YAML configs are, and what their files hold (read without composing): the defaults."""

from __future__ import annotations

import copy
import enum
import functools
from pathlib import Path
from typing import Any, Final, Mapping, TypeVar

from lic_gpu.errors import LicGpuError


def config_dir() -> Path:
    """The config folder: ``lic_gpu/conf`` in an installed wheel, else ``conf/`` of the checkout."""
    here = Path(__file__).resolve().parents[1]  # lic_gpu/ (this module is lic_gpu/io/conf_files.py)
    for folder in (here / "conf", here.parent / "conf"):
        if (folder / "augment.yaml").is_file():
            return folder
    raise LicGpuError(
        f"no config folder: neither {here / 'conf'} (installed) nor {here.parent / 'conf'} "
        "(checkout) holds augment.yaml; reinstall lic_gpu"
    )


def load_yaml(path: Path) -> dict:
    """A YAML config file as plain containers, interpolations left as they are.

    Read as ``OmegaConf.load`` reads it (its loader: YAML 1.2 floats, no timestamps, duplicate keys
    refused) but on libyaml's C parser and without building an OmegaConf tree first: a run reads
    ~20 config files this way, ~0.3 s with OmegaConf's pure-Python path (issue 23).
    """
    import yaml

    with open(path, encoding="utf-8") as fh:
        node = yaml.load(fh, Loader=_fast_loader())
    return node if isinstance(node, dict) else {}


@functools.lru_cache(maxsize=1)
def _fast_loader():
    """OmegaConf's YAML loader (``omegaconf._utils.get_yaml_loader``) on libyaml's parser when present."""
    import yaml
    from omegaconf._utils import get_yaml_loader

    base = get_yaml_loader()
    try:
        from yaml.cyaml import CParser as c_parser
    except ImportError:  # PyYAML built without libyaml: OmegaConf's own loader
        return base

    class _Loader(c_parser, base):  # the C parser under OmegaConf's constructor and resolvers
        def __init__(self, stream):
            c_parser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    return _Loader


def group_options(group: str, option: str | None = None) -> frozenset[str]:
    """The top-level keys of ``conf/<group>/<option>.yaml`` (of every option of the group when
    ``option`` is None): the YAML is the one list of options, so a key nothing reads is refused."""
    folder = config_dir() / group
    files = [folder / f"{option}.yaml"] if option else sorted(folder.glob("*.yaml"))
    keys: set[str] = set()
    for path in files:
        if path.is_file():
            keys |= {k for k in load_yaml(path) if k not in ("defaults", "hydra")}
    return frozenset(keys)


# ---------------------------------------------------------------- defaults, read from the YAML


class FromConfig(enum.Enum):
    """The default of a parameter whose value comes from ``conf/`` (the YAML is the one place
    defaults live; library signatures point at it instead of repeating a value).

    A one-member enum so that a type checker narrows ``value is FROM_CONFIG`` (parameters are typed
    ``int | FromConfig``)."""

    TOKEN = "from conf/"

    def __repr__(self) -> str:
        return "<from conf/>"


FROM_CONFIG: Final = FromConfig.TOKEN

_T = TypeVar("_T")


def given_or_default(value: _T | FromConfig, conf: Mapping[str, Any], name: str) -> _T:
    """``value``, or ``conf[name]`` (the YAML's, read only then) where the caller left it FROM_CONFIG."""
    return conf[name] if value is FROM_CONFIG else value


@functools.lru_cache(maxsize=None)
def _read(relative: str) -> dict:
    return load_yaml(config_dir() / relative)


def default_option(config_name: str, group: str) -> str:
    """The option a primary config's defaults list chooses for ``group`` (``augment: diverse``)."""
    for entry in _read(f"{config_name}.yaml").get("defaults") or []:
        if isinstance(entry, dict) and len(entry) == 1:
            ((key, option),) = entry.items()
            if str(key).strip() == group:
                return str(option)
    raise LicGpuError(f"conf/{config_name}.yaml chooses no option for the config group {group!r}")


def primary_default(config_name: str, key: str) -> Any:
    """A top-level value of ``conf/<config_name>.yaml`` (a copy)."""
    return copy.deepcopy(_read(f"{config_name}.yaml")[key])


def group_defaults(group: str, option: str) -> dict:
    """The values of ``conf/<group>/<option>.yaml`` (a copy; its defaults list left out)."""
    return {k: copy.deepcopy(v) for k, v in _read(f"{group}/{option}.yaml").items() if k != "defaults"}


def augment_defaults(mode: str | None = None) -> dict:
    """The ``augment`` group of ``mode`` (None: the command line's default mode), every option filled in.

    ``guard`` options the mode's file leaves out come from ``augment/diverse.yaml``, the one file that
    defines them all (``seed.yaml`` only switches the guards off).
    """
    values = group_defaults("augment", mode or default_option("augment", "augment"))
    if values.get("mode") != "diverse":
        values["guard"] = with_defaults(group_defaults("augment", "diverse")["guard"], values.get("guard") or {})
    return values


def with_defaults(defaults: Mapping[str, Any], values: Mapping[str, Any] | None) -> dict:
    """``values`` over ``defaults``: nested mappings merged key by key, anything else replaced."""
    out = copy.deepcopy(dict(defaults))
    for key, value in (values or {}).items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = with_defaults(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
