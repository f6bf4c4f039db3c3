"""The augmenter's options as one typed, frozen object, validated once (one validator per option).

Defaults come only from ``conf/augment/<mode>.yaml``: an option left out is the YAML's value for the
mode, never a number written here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from lic_gpu.io.conf_files import FROM_CONFIG, augment_defaults, primary_default, with_defaults
from lic_gpu.errors import LicGpuError
from lic_gpu.validators import check_bool
from lic_gpu.fluency.wordnet import check_wordnet

MODES = ("seed", "diverse")

# the options of the augment group the augmenter itself reads (grammar, thesaurus and guard build objects)
OPTION_KEYS = (
    "sampling_strategy",
    "k",
    "max_swaps",
    "min_similarity",
    "max_per_source",
    "attempts_per_row",
    "protect",
    "reciprocal",
)


def check_mode(mode: str) -> str:
    """Validate ``augment.mode``."""
    if mode not in MODES:
        raise LicGpuError(f"augment.mode must be one of {list(MODES)}; got {mode!r}")
    return mode


def _positive_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and bool(value >= 1)


def check_positive_int(value: Any, name: str) -> int:
    """An integer >= 1 (``augment.k``, ``augment.max_swaps``, ``augment.attempts_per_row``)."""
    if not _positive_int(value):
        raise LicGpuError(f"{name} must be a positive integer; got {value!r}")
    return value


def check_min_similarity(value: Any) -> float:
    """``augment.min_similarity``: a cosine in [-1, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1.0 <= float(value) <= 1.0:
        raise LicGpuError(f"augment.min_similarity must be a number in [-1, 1]; got {value!r}")
    return float(value)


def check_min_fluency(value: Any, name: str = "augment.min_fluency") -> float | None:
    """``augment.min_fluency`` (or ``name``): a probability in [0, 1] or null (no row refused by its score)."""
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0
    ):
        raise LicGpuError(f"{name} must be a number in [0, 1] or null; got {value!r}")
    return None if value is None else float(value)


def check_max_per_source(value: Any) -> int | None:
    """``augment.max_per_source``: a positive integer or null (no limit)."""
    if value is not None and not _positive_int(value):
        raise LicGpuError(f"augment.max_per_source must be a positive integer or null; got {value!r}")
    return value


def check_max_rank_ratio(value: Any) -> float | None:
    """``augment.rare_words.max_rank_ratio``: a number >= 1 or null (no floor)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 1):
        raise LicGpuError(f"augment.rare_words.max_rank_ratio must be a number >= 1 or null; got {value!r}")
    return value


def check_free_rank(value: Any) -> int:
    """``augment.rare_words.free_rank``: an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LicGpuError(f"augment.rare_words.free_rank must be a non-negative integer; got {value!r}")
    return value


def check_options(
    k: Any = FROM_CONFIG,
    max_swaps: Any = FROM_CONFIG,
    min_similarity: Any = FROM_CONFIG,
    max_per_source: Any = FROM_CONFIG,
    attempts_per_row: Any = FROM_CONFIG,
) -> None:
    """Validate the numeric ``augment`` options given (one left out is the YAML's: nothing to check)."""
    checks = (
        ("k", k, check_positive_int),
        ("max_swaps", max_swaps, check_positive_int),
        ("min_similarity", min_similarity, None),
        ("max_per_source", max_per_source, None),
        ("attempts_per_row", attempts_per_row, check_positive_int),
    )
    for name, value, check in checks:
        if value is FROM_CONFIG:
            continue
        if check is not None:
            check(value, f"augment.{name}")
        elif name == "min_similarity":
            check_min_similarity(value)
        else:
            check_max_per_source(value)


@dataclass(frozen=True)
class RareWords:
    """The rare-word floor: a replacement ranked beyond ``max(free_rank, max_rank_ratio x rank of the
    old word)`` is refused (``max_rank_ratio=None``: no floor)."""

    max_rank_ratio: float | None
    free_rank: int

    def limit(self, row: int) -> float | None:
        """The highest rank (1-based) a replacement of the word on vocabulary row ``row`` may have."""
        if self.max_rank_ratio is None:
            return None
        return max(self.free_rank, self.max_rank_ratio * (row + 1))


@dataclass(frozen=True)
class AugmentSettings:
    """Every option :class:`lic_gpu.augment.LicAugmenter` reads, checked (see ``conf/augment/*.yaml``)."""

    mode: str
    sampling_strategy: Any
    k: int
    max_swaps: int
    min_similarity: float
    max_per_source: int | None
    attempts_per_row: int
    protect: bool
    reciprocal: bool
    rare_words: RareWords
    thesaurus: Any  # the option's value (moby, a file, null); the object is built by the augmenter
    seed: int
    min_fluency: float | None = None
    # the WordNet relation check (lic_gpu.fluency.wordnet), diverse mode only: true, "related" or false
    wordnet: bool | str = False
    encoder: bool = False  # re-score the new rows with the encoder stage (lic_gpu.augment.scored.rescore_with_encoder)
    encoder_min_fluency: float | None = None  # the encoder stage drops rows whose re-score is below it (None: none)

    @classmethod
    def from_options(cls, options: Mapping[str, Any], seed: Any = FROM_CONFIG) -> "AugmentSettings":
        """Check an ``augment`` mapping over the YAML defaults of its mode (``options["mode"]``, else
        the command line's); ``seed`` left out is the command line's ``seed``."""
        mode = options.get("mode")
        merged = with_defaults(augment_defaults(None if mode is None else check_mode(mode)), options)
        rare = merged["rare_words"]
        check_options(
            merged["k"],
            merged["max_swaps"],
            merged["min_similarity"],
            merged["max_per_source"],
            merged["attempts_per_row"],
        )
        protect = check_bool(merged["protect"], "augment.protect")
        rare_words = RareWords(check_max_rank_ratio(rare["max_rank_ratio"]), check_free_rank(rare["free_rank"]))
        reciprocal = check_bool(merged["reciprocal"], "augment.reciprocal")
        return cls(
            mode=check_mode(merged["mode"]),
            sampling_strategy=merged["sampling_strategy"],
            k=merged["k"],
            max_swaps=merged["max_swaps"],
            min_similarity=float(merged["min_similarity"]),
            max_per_source=merged["max_per_source"],
            attempts_per_row=merged["attempts_per_row"],
            protect=protect,
            reciprocal=reciprocal,
            rare_words=rare_words,
            thesaurus=merged.get("thesaurus"),
            seed=int(primary_default("augment", "seed") if seed is FROM_CONFIG else seed),
            min_fluency=check_min_fluency(merged.get("min_fluency")),
            wordnet=check_wordnet(merged["wordnet"]),
            encoder=check_bool(merged["encoder"], "augment.encoder"),
            encoder_min_fluency=check_min_fluency(merged["encoder_min_fluency"], "augment.encoder_min_fluency"),
        )

    def as_options(self) -> dict[str, Any]:
        """The settings in the ``augment`` group's shape (``seed`` left out: it is not in the group)."""
        out = {
            k: getattr(self, k)
            for k in ("mode", "thesaurus", "wordnet", "min_fluency", "encoder", "encoder_min_fluency") + OPTION_KEYS
        }
        out["rare_words"] = {"max_rank_ratio": self.rare_words.max_rank_ratio, "free_rank": self.rare_words.free_rank}
        return out

    @property
    def per_source_limit(self) -> float:
        """``max_per_source`` as a number (no limit: infinity)."""
        return self.max_per_source or math.inf
