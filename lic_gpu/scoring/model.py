"""The learned swap score: a logistic regression on :data:`~lic_gpu.scoring.features.FEATURES`, Platt-calibrated.

The fitted numbers live in ``lic_gpu/resources/swap_score.json`` (written by ``benchmarks/score_fit.py``;
plain numbers, no pickle). It holds three models: ``full``; ``no_lm``, the fallback fitted without the
language-model features for when pocketsphinx is not installed; and ``full_encoder``, ``full`` plus the
all-MiniLM-L6-v2 encoder's features (:mod:`~lic_gpu.scoring.encoder`), an optional, slower second stage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Sequence

import numpy as np
import pandas as pd

MODEL_FILE = "swap_score.json"


@dataclass(frozen=True)
class LinearScore:
    """Standardise, impute the training mean (0 after standardising), a linear logit, then Platt's sigmoid."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    platt_slope: float
    platt_intercept: float

    def logit(self, frame: pd.DataFrame) -> np.ndarray:
        """The uncalibrated log-odds for each row of ``frame`` (it must have every feature column)."""
        x = (frame[list(self.features)].to_numpy(dtype=np.float64) - self.mean) / self.scale
        return np.nan_to_num(x, nan=0.0) @ self.coef + self.intercept

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability that a careful reader calls the row fluent and rating-keeping."""
        z = self.platt_slope * self.logit(frame) + self.platt_intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "platt": {"slope": self.platt_slope, "intercept": self.platt_intercept},
        }

    @classmethod
    def from_dict(cls, d: dict) -> "LinearScore":
        return cls(
            tuple(d["features"]),
            np.asarray(d["mean"], float),
            np.asarray(d["scale"], float),
            np.asarray(d["coef"], float),
            float(d["intercept"]),
            float(d["platt"]["slope"]),
            float(d["platt"]["intercept"]),
        )


@lru_cache(maxsize=1)
def load_models() -> dict[str, LinearScore]:
    """The packaged models by name (``full``, ``no_lm``, ``full_encoder``)."""
    text = resources.files("lic_gpu").joinpath(f"resources/{MODEL_FILE}").read_text(encoding="utf-8")
    return {name: LinearScore.from_dict(d) for name, d in json.loads(text)["models"].items()}


def score_frame(frame: pd.DataFrame) -> np.ndarray:
    """Calibrated probabilities for rows of :func:`~lic_gpu.scoring.features.pair_features`; NaN: no swap."""
    models = load_models()
    has_lm = bool(frame["lm"].iloc[0])
    if has_lm and "full_encoder" in models and all(name in frame for name in models["full_encoder"].features):
        model = models["full_encoder"]
    else:
        model = models["full"] if has_lm else models["no_lm"]
    out = model.probability(frame)
    out[frame["old"].to_numpy() == ""] = np.nan
    return out


def score_swaps(
    sources: Sequence[str], news: Sequence[str], encoder: bool | None = None, device: str = "cpu"
) -> np.ndarray:
    """How likely a careful reader calls each new sentence fluent and rating-keeping (0-1, calibrated).

    Parameters
    ----------
    sources, news : original sentences and their rewritten versions, pairwise (any pairs, not only
        the project's); the swapped words are found by aligning the tokens.
    encoder : add the all-MiniLM-L6-v2 encoder's features (the ``full_encoder`` model: better held-out
        AUC, about 6-25 ms more per pair on a CPU; its packages are lic_gpu dependencies; without them one
        warning and the plain score). None (the default): the YAML's ``augment.encoder`` of the default mode
        (``true``), so the score is the one a default run writes in its ``fluency`` column; False: the plain
        score the sampler ranks candidates with (~0.1 ms a pair once warm).
    device : where the encoder runs (``"cpu"``, ``"cuda"``); the rest of the score is on the CPU.

    Returns
    -------
    float array, one value per pair; NaN where no swapped word is found (identical sentences, or
    changes that only insert or delete words). Without pocketsphinx, one warning, and the fallback
    model without language-model features is used (weaker: see ``benchmarks/results/scoring.md``).
    """
    if encoder is None:
        from lic_gpu.io.conf_files import augment_defaults

        encoder = bool(augment_defaults()["encoder"])
    scores = score_pairs(sources, news, encoder, device)
    missing = int(np.isnan(scores).sum())
    if missing:
        import warnings

        from lic_gpu.errors import LicGpuWarning

        warnings.warn(
            f"score_swaps: {missing} of {len(scores)} pairs have no swapped word (identical sentences, or changes "
            "that only insert or delete words): their score is NaN",
            LicGpuWarning,
            stacklevel=2,
        )
    return scores


def score_pairs(sources: Sequence[str], news: Sequence[str], encoder: bool = False, device: str = "cpu") -> np.ndarray:
    """:func:`score_swaps` without its warning about pairs with no swapped word (the runs' own rows: seed mode
    leaves a row whose swap the aligner cannot find as NaN, and says so in its own way)."""
    from lic_gpu.scoring.features import pair_features

    sources, news = list(sources), list(news)
    if not sources:
        return np.zeros(0)
    return score_frame(pair_features(sources, news, encoder=encoder, device=str(device)))
