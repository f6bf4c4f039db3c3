"""The rating lean of words, learned from class x word counts: pure tensor maths, no I/O.

Used by :class:`lic_gpu.augment.guard.RatingLeanGuard`; see :mod:`lic_gpu.augment.guard` for what a lean means.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from lic_gpu.errors import LicGpuError
from lic_gpu.io.atomic_files import CACHE_ADVICE, atomic_write_stream, read_bounded, usable_folder

log = logging.getLogger(__name__)

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


# ----------------------------------------------------------- fallback leans on disk (issue 23)
# The lean guard's fallback leans kept on disk between runs (issue 23: warm runs).
#
# :func:`~lic_gpu.augment.lean.neighbour_leans` of the ~10 k replacement words against a corpus's
# words is the warm run's slowest search (one matmul and top-k per query). Its answer for a word
# depends on the batch it was computed in (the matmul's rounding), so the cache stores the answer
# of one whole call: the file is named by a hash of everything the call reads (the query and corpus
# vectors, the corpus leans, ``k``, the similarity floor), and a re-run with the same inputs reads
# back exactly what it would have computed.
#
# Nothing read is trusted: a file of the wrong size, type or with values that are not finite is
# ignored with a warning and rewritten; a few of its rows are recomputed on their own and must agree
# (to rounding) before the file is used, so a planted file with the right shape is caught too.
# Writes are atomic (:func:`lic_gpu.io.atomic_files.atomic_write_stream`); an unwritable folder is
# skipped with a warning. The files sit next to the neighbour cache's (``leans-<hash>.npy``).

# Bump when neighbour_leans' answers could change (its maths, ordering, dtype).
FORMAT_VERSION = 1
# Rows recomputed on their own before a file is used (batch rounding aside, they must agree).
SPOT_CHECKS = 4
SPOT_TOLERANCE = 1e-5
# Below this many queries the search is too cheap to be worth a file.
MIN_QUERIES = 256


def lean_cache_key(
    query: torch.Tensor, corpus_vectors: torch.Tensor, corpus_leans: torch.Tensor, k: int, min_similarity: float
) -> str:
    """A hash of everything :func:`neighbour_leans` reads (and of torch's version: its kernels round)."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"v{FORMAT_VERSION} torch {torch.__version__} k={int(k)} min={float(min_similarity)!r}".encode())
    for t in (query, corpus_vectors, corpus_leans):
        a = t.detach().cpu().contiguous()
        h.update(f"|{a.dtype} {tuple(a.shape)}|".encode())
        # numpy has no bfloat16: its bits, read as int16, are the same bytes
        h.update((a.view(torch.int16) if a.dtype == torch.bfloat16 else a).numpy().tobytes())
    return h.hexdigest()


def cached_neighbour_leans(
    folder: str | os.PathLike | None,
    query: torch.Tensor,
    corpus_vectors: torch.Tensor,
    corpus_leans: torch.Tensor,
    k: int,
    min_similarity: float,
    compute: Callable[[torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """``compute(query)`` (float64, one value per query row), read from ``folder`` when a run before
    computed it from the same inputs, else computed and stored there. ``folder`` None: no cache."""
    n = int(query.shape[0])
    if folder is None or n < MIN_QUERIES or not usable_folder(folder, "lean"):
        return compute(query)
    path = Path(folder) / f"leans-{lean_cache_key(query, corpus_vectors, corpus_leans, k, min_similarity)}.npy"
    found = _read(path, n)
    if found is not None and _agrees(found, query, compute):
        return found
    out = compute(query)
    values = out.detach().cpu().numpy()
    if values.shape == (n,) and values.dtype == np.float64 and np.isfinite(values).all():
        try:
            atomic_write_stream(path, lambda fh: np.save(fh, values, allow_pickle=False), advice=CACHE_ADVICE)
        except (OSError, LicGpuError) as err:
            log.warning("could not write the lean cache %s (%s); continuing without it", path, err)
    return out


def _read(path: Path, n: int) -> torch.Tensor | None:
    if not os.path.lexists(path):
        return None
    try:
        if os.path.islink(path):
            raise ValueError("a symbolic link, not the cache's own file (replaced by the next write)")
        values = np.load(io.BytesIO(read_bounded(path, n * 8 + 4096)), allow_pickle=False)
        if values.shape != (n,) or values.dtype != np.float64:
            raise ValueError(f"{values.dtype} {values.shape}, not float64 ({n},)")
        if not np.isfinite(values).all():
            raise ValueError("values that are not finite")
    except Exception as err:  # noqa: BLE001  npy and OS errors of every kind: never fatal
        log.warning("ignoring the lean cache %s (%s: %s); this run recomputes it", path, type(err).__name__, err)
        return None
    return torch.from_numpy(values)


def _agrees(found: torch.Tensor, query: torch.Tensor, compute: Callable[[torch.Tensor], torch.Tensor]) -> bool:
    """A few rows, spread over the file, recomputed on their own agree with it (to the batch's rounding)."""
    rows = torch.linspace(0, len(found) - 1, SPOT_CHECKS).round().long().unique()
    fresh = compute(query[rows.to(query.device)]).detach().cpu().to(torch.float64)
    if torch.allclose(fresh, found[rows], rtol=SPOT_TOLERANCE, atol=SPOT_TOLERANCE):
        return True
    log.warning("ignoring a lean cache file whose values disagree with the vectors; this run recomputes it")
    return False
