"""The configs' structured schemas (Hydra's "schema" pattern) and the resolvers the YAML uses.

Registered in Hydra's ConfigStore when this module is imported; imports nothing of lic_gpu, so every
other config module can import it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf


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
    max_panels: int = 12
    subject_column: Optional[str] = "auto"
    max_table_rows: int = 50


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


def run_id() -> str:
    """This process's id and 4 random hex digits: ``${lic_gpu.run_id:}`` in ``hydra.run.dir`` keeps
    two runs started in the same second (on one machine or several) out of each other's folder."""
    global _RUN_ID
    if _RUN_ID is None:
        _RUN_ID = f"{os.getpid()}-{os.urandom(2).hex()}"
    return _RUN_ID


_RUN_ID: str | None = None


def register() -> None:
    """Put the schema into Hydra's ConfigStore and the resolvers ``lic_gpu.run_id`` and
    ``lic_gpu.safe_name`` into OmegaConf (idempotent)."""
    ConfigStore.instance().store(name="augment_schema", node=AugmentApp)
    if not OmegaConf.has_resolver("lic_gpu.run_id"):
        OmegaConf.register_new_resolver("lic_gpu.run_id", run_id, use_cache=True)
    if not OmegaConf.has_resolver("lic_gpu.safe_name"):
        # a sweep job's folder is named after its overrides (emotion=../x): a safe name, never a path
        OmegaConf.register_new_resolver("lic_gpu.safe_name", _safe_name)


def _safe_name(value: Any) -> str:
    from lic_gpu.file_names import safe_file_name

    return safe_file_name(value)


register()
