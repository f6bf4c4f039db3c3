"""Where the YAML configs are, and what their files hold (read without composing)."""
from __future__ import annotations

from pathlib import Path

from lic_gpu.errors import LicGpuError


def config_dir() -> Path:
    """The config folder: ``lic_gpu/conf`` in an installed wheel, else ``conf/`` of the checkout."""
    here = Path(__file__).resolve().parent
    for folder in (here / "conf", here.parent / "conf"):
        if (folder / "augment.yaml").is_file():
            return folder
    raise LicGpuError(f"no config folder: neither {here / 'conf'} (installed) nor {here.parent / 'conf'} "
                      "(checkout) holds augment.yaml; reinstall lic_gpu")


def load_yaml(path: Path) -> dict:
    """A YAML config file as plain containers, interpolations left as they are."""
    from omegaconf import OmegaConf

    node = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    return node if isinstance(node, dict) else {}


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
