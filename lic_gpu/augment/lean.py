"""The rating lean of words, learned from class x word counts: pure tensor maths, no I/O.

Used by :class:`lic_gpu.augment.guard.RatingLeanGuard`; see :mod:`lic_gpu.augment.guard` for what a lean means.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch

# Bounds on the automatic prior strength: at least one pseudo-count, at most as many as a
# very frequent word has occurrences (beyond that every lean would be ~0).
ALPHA_BOUNDS = (1.0, 1000.0)


def merge_case(counts: torch.Tensor, vocab: Sequence[str]) -> tuple[torch.Tensor, list[str]]:
    """Sum the count columns of words that differ only by case; returns (counts, lowercase vocab)."""
    low = [w.lower() for w in vocab]
    index: dict[str, int] = {}
    cols = [index.setdefault(w, len(index)) for w in low]
    col = torch.tensor(cols, dtype=torch.long, device=counts.device)
    merged = torch.zeros(counts.shape[0], len(index), dtype=counts.dtype, device=counts.device)
    merged.index_add_(1, col, counts)
    return merged, list(index)


def class_levels(classes: Sequence[Any]) -> torch.Tensor:
    """Numeric level of each class (row order); the rank when a label is not a number."""
    try:
        return torch.tensor([float(c) for c in classes], dtype=torch.float64)
    except (TypeError, ValueError):
        return torch.arange(len(classes), dtype=torch.float64)


def word_leans(
    counts: torch.Tensor, levels: torch.Tensor, prior_strength: float | str = "auto", min_count_for_tau: int = 2
) -> tuple[torch.Tensor, dict[str, float]]:
    """Smoothed lean of every word toward high or low levels.

    Parameters
    ----------
    counts : (K, V) tensor, token counts per class and word
    levels : (K,) tensor, the numeric level of each class
    prior_strength : "auto" or a positive number, ``alpha`` (pseudo-counts toward the prior)
    min_count_for_tau : words seen fewer times are left out of the ``tau`` estimate

    Returns
    -------
    (V,) float64 tensor of leans in units of ``tau`` (0 for words never seen), and the fitted
    ``{"mu", "sigma", "tau", "alpha"}``.
    """
    c = counts.to(torch.float64)
    lev = levels.to(device=c.device, dtype=torch.float64)
    n = c.sum(dim=0)
    grand = n.sum()
    if grand <= 0:
        return torch.zeros_like(n), {"mu": math.nan, "sigma": 0.0, "tau": 0.0, "alpha": math.nan}
    prior = c.sum(dim=1) / grand
    mu = (prior * lev).sum()
    sigma2 = (prior * (lev - mu) ** 2).sum()
    seen = n > 0
    mean = torch.where(seen, (c * lev[:, None]).sum(dim=0) / n.clamp_min(1), mu)
    sel = n >= min_count_for_tau
    tau2_hat = (((mean - mu) ** 2)[sel].mean() - (sigma2 / n[sel]).mean()) if bool(sel.any()) else mu.new_tensor(0.0)
    if prior_strength == "auto":
        lo, hi = ALPHA_BOUNDS
        alpha = hi if float(tau2_hat) <= 0 else min(hi, max(lo, float(sigma2 / tau2_hat)))
    else:
        alpha = float(prior_strength)
    # tau consistent with the alpha used, so leans stay comparable when alpha is set by hand
    tau = math.sqrt(float(sigma2) / alpha) if sigma2 > 0 else 0.0
    post = (n * mean + alpha * mu) / (n + alpha)
    lean = (post - mu) / tau if tau > 0 else torch.zeros_like(post)
    return lean, {"mu": float(mu), "sigma": math.sqrt(float(sigma2)), "tau": tau, "alpha": alpha}


def neighbour_leans(
    query: torch.Tensor, corpus_vectors: torch.Tensor, corpus_leans: torch.Tensor, k: int, min_similarity: float
) -> torch.Tensor:
    """Similarity-weighted mean lean of each query's ``k`` nearest corpus words (0 with none near).

    ``query`` (Q, D) and ``corpus_vectors`` (N, D) are unit-normalised; one matmul, one topk.
    """
    if corpus_vectors.shape[0] == 0 or query.shape[0] == 0:
        return torch.zeros(query.shape[0], dtype=torch.float64)
    sims = query.to(corpus_vectors.dtype) @ corpus_vectors.T
    top, idx = torch.topk(sims, min(k, corpus_vectors.shape[0]), dim=1)
    top, idx = top.to(torch.float64).cpu(), idx.cpu()
    w = torch.where(top >= min_similarity, top, torch.zeros_like(top))
    total = w.sum(dim=1)
    mean = (w * corpus_leans[idx]).sum(dim=1) / total.clamp_min(1e-12)
    return torch.where(total > 0, mean, torch.zeros_like(mean))


def fit_lean_regression(
    x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, ridge: float = 0.01
) -> tuple[torch.Tensor, float]:
    """Weighted ridge regression ``y ~ x @ coef + bias`` in closed form (float64).

    ``x`` (N, D) word vectors, ``y`` (N,) targets, ``weight`` (N,) >= 0. The penalty on ``coef``
    (not the bias) is ``ridge`` times the mean diagonal of the weighted Gram matrix, so the same
    ``ridge`` means the same on any vector dimension or corpus size. Returns ``(coef, bias)``.
    """
    x = x.to(torch.float64).cpu()
    y, w = y.to(torch.float64).cpu(), weight.to(torch.float64).cpu()
    sw = w.sum()
    if x.shape[0] == 0 or sw <= 0:
        return torch.zeros(x.shape[1], dtype=torch.float64), 0.0
    xm = (w[:, None] * x).sum(dim=0) / sw  # weighted centring: the bias is not penalised
    ym = (w * y).sum() / sw
    xc, yc = x - xm, y - ym
    gram = xc.T @ (w[:, None] * xc)
    lam = float(ridge) * float(gram.diagonal().mean()) + 1e-12
    coef = torch.linalg.solve(gram + lam * torch.eye(x.shape[1], dtype=torch.float64), xc.T @ (w * yc))
    return coef, float(ym - xm @ coef)
