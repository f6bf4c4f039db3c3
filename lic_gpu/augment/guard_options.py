"""The swap guards' options, each with its one validator (``augment.guard`` in the YAML);
:func:`lic_gpu.augment.guard.build_guards` builds the guards from them."""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from lic_gpu.errors import LicGpuError

_GUARD_KEYS = ("enabled", "corpus", "lexicon")
_CORPUS_KEYS = (
    "enabled",
    "margin",
    "prior_strength",
    "model",
    "ridge",
    "emotions",
    "neighbours",
    "min_neighbour_similarity",
)
_LEXICON_KEYS = ("enabled", "dead_zone", "path", "keep_affect")


def _section(cfg: Any, name: str, keys: Sequence[str]) -> dict:
    if cfg is None:
        return {}
    if isinstance(cfg, bool):  # "guard: false" / "corpus: true" shorthand
        return {"enabled": cfg}
    if not isinstance(cfg, Mapping):
        raise LicGpuError(f"{name} must be a mapping of options {list(keys)}; got {cfg!r}")
    unknown = sorted(set(cfg) - set(keys))
    if unknown:
        raise LicGpuError(f"{name} has no option {unknown[0]!r}; options are {list(keys)}")
    return dict(cfg)


def _check_number(value: Any, name: str, lo: float, hi: float = math.inf, lo_open: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)
    if ok:
        ok = (value > lo if lo_open else value >= lo) and value <= hi
    if not ok:
        bound = f"> {lo}" if lo_open else (f"in [{lo}, {hi}]" if hi != math.inf else f">= {lo}")
        raise LicGpuError(f"{name} must be a number {bound}; got {value!r}")
    return float(value)


def check_margin(value: Any) -> float:
    """``augment.guard.corpus.margin``: a lean difference, > 0."""
    return _check_number(value, "augment.guard.corpus.margin", 0.0, lo_open=True)


def check_prior_strength(value: Any) -> float | str:
    """``augment.guard.corpus.prior_strength``: ``auto`` or pseudo-counts > 0."""
    if value == "auto":
        return value
    if isinstance(value, str):
        raise LicGpuError(f"augment.guard.corpus.prior_strength must be 'auto' or a number > 0; got {value!r}")
    return _check_number(value, "augment.guard.corpus.prior_strength", 0.0, lo_open=True)


def check_neighbours(value: Any) -> int:
    """``augment.guard.corpus.neighbours``: a positive integer."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise LicGpuError(f"augment.guard.corpus.neighbours must be a positive integer; got {value!r}")
    return value


def check_min_neighbour_similarity(value: Any) -> float:
    """``augment.guard.corpus.min_neighbour_similarity``: a cosine in [-1, 1]."""
    return _check_number(value, "augment.guard.corpus.min_neighbour_similarity", -1.0, 1.0)


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise LicGpuError(f"{name} must be one of {list(choices)}; got {value!r}")
    return value


def check_ridge(value: Any) -> float:
    """``augment.guard.corpus.ridge``: ridge penalty >= 0, relative to the weighted Gram's mean diagonal."""
    return _check_number(value, "augment.guard.corpus.ridge", 0.0)


def check_dead_zone(value: Any) -> float:
    """``augment.guard.lexicon.dead_zone``: valence magnitude >= 0 treated as neutral."""
    return _check_number(value, "augment.guard.lexicon.dead_zone", 0.0)


def check_keep_affect(value: Any) -> float | None:
    """``augment.guard.lexicon.keep_affect``: null, or a valence magnitude > 0 at or above which a word is never
    replaced."""
    if value is None:
        return None
    return _check_number(value, "augment.guard.lexicon.keep_affect", 0.0, lo_open=True)
