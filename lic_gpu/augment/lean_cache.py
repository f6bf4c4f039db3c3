"""The lean guard's fallback leans kept on disk between runs (issue 23: warm runs).

:func:`~lic_gpu.augment.lean.neighbour_leans` of the ~10 k replacement words against a corpus's
words is the warm run's slowest search (one matmul and top-k per query). Its answer for a word
depends on the batch it was computed in (the matmul's rounding), so the cache stores the answer
of one whole call: the file is named by a hash of everything the call reads (the query and corpus
vectors, the corpus leans, ``k``, the similarity floor), and a re-run with the same inputs reads
back exactly what it would have computed.

Nothing read is trusted: a file of the wrong size, type or with values that are not finite is
ignored with a warning and rewritten; a few of its rows are recomputed on their own and must agree
(to rounding) before the file is used, so a planted file with the right shape is caught too.
Writes are atomic (:func:`lic_gpu.io.atomic_files.atomic_write_stream`); an unwritable folder is
skipped with a warning. The files sit next to the neighbour cache's (``leans-<hash>.npy``).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from lic_gpu.errors import LicGpuError
from lic_gpu.io.atomic_files import CACHE_ADVICE, atomic_write_stream, read_bounded, usable_folder

log = logging.getLogger(__name__)

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
        h.update(a.numpy().tobytes())
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
