"""Structured-config schema for the main job (Hydra's "schema" pattern).

Registered in Hydra's ConfigStore as ``augment_schema`` and named first in ``conf/augment.yaml``'s
defaults, so a mistyped value (``seed=abc``, ``verbose=maybe``) or an unknown top-level key fails at
composition with Hydra's message. The config groups (``data``, ``embeddings``, ``augment``, ``caps``)
differ per choice and are checked by the library's validators instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List

from hydra.core.config_store import ConfigStore


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
