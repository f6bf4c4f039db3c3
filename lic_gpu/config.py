"""Where the configs are, composing them from Python, and the main job's schema.

``conf/`` is the one place defaults live. A checkout reads it at the top of the repository; a wheel
ships the same files as package data in ``lic_gpu/conf`` (``pyproject.toml`` maps ``conf/`` there).
:func:`config_dir` finds whichever exists, and :func:`compose_config` composes from it, so the
command line, :func:`lic_gpu.api.augment_frame` and :class:`lic_gpu.api.LicResampler` share defaults.

Structured-config schema for the main job (Hydra's "schema" pattern):

Registered in Hydra's ConfigStore as ``augment_schema`` and named first in ``conf/augment.yaml``'s
defaults, so a mistyped value (``seed=abc``, ``verbose=maybe``) or an unknown top-level key fails at
composition with Hydra's message. The config groups (``data``, ``embeddings``, ``augment``, ``caps``)
differ per choice and are checked by the library's validators instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Sequence

from hydra.core.config_store import ConfigStore

from lic_gpu.errors import LicGpuError


@dataclass
class LicConfig:
    method: str = "seed"
    dtype: str = "float64"


@dataclass
class StopwordsConfig:
    source: str = "auto"
    extra: List[str] = field(default_factory=list)
    remove: List[str] = field(default_factory=list)


@dataclass
class ReportConfig:
    enabled: bool = True
    top_words: int = 10
    swap_samples: int = 20
    quality_sample: int = 500


@dataclass
class OutputConfig:
    format: str = "csv"


@dataclass
class AugmentApp:
    data: Any = None
    embeddings: Any = None
    augment: Any = None
    caps: Any = None
    emotion: Any = "arousal"
    device: str = "auto"
    seed: int = 0
    verbose: bool = False
    lic: LicConfig = field(default_factory=LicConfig)
    stopwords: StopwordsConfig = field(default_factory=StopwordsConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    report: ReportConfig = field(default_factory=ReportConfig)


def register() -> None:
    """Put the schema into Hydra's ConfigStore (idempotent)."""
    ConfigStore.instance().store(name="augment_schema", node=AugmentApp)


register()


def config_dir() -> Path:
    """The config folder: ``lic_gpu/conf`` in an installed wheel, else ``conf/`` of the checkout."""
    here = Path(__file__).resolve().parent
    for folder in (here / "conf", here.parent / "conf"):
        if (folder / "augment.yaml").is_file():
            return folder
    raise LicGpuError(f"no config folder: neither {here / 'conf'} (installed) nor {here.parent / 'conf'} "
                      "(checkout) holds augment.yaml; reinstall lic_gpu")


def compose_config(overrides: Sequence[str] = (), config_name: str = "augment"):
    """The composed config the command line would use with these overrides (Hydra's compose API).

    Unknown keys are a one-line :class:`~lic_gpu.errors.LicGpuError` with a suggestion, as on the
    command line. Works inside a running Hydra app too (its global state is put back afterwards).
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException

    from lic_gpu.config_check import check_overrides

    overrides = list(overrides)
    folder = config_dir()
    check_overrides(overrides, config_name, folder)
    gh = GlobalHydra.instance()
    running = gh.hydra if gh.is_initialized() else None
    gh.clear()
    try:
        with initialize_config_dir(version_base="1.3", config_dir=str(folder), job_name=config_name):
            return compose(config_name=config_name, overrides=overrides)
    except HydraException as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise LicGpuError(f"config: {first}") from None
    finally:
        if running is not None:  # initialize_config_dir put back a copy of the cleared instance: fetch it anew
            GlobalHydra.instance().clear()
            GlobalHydra.instance().initialize(running)
