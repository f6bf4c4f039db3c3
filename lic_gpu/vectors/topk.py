"""The exact, chunked top-k cosine search over a matrix of unit rows, on its device.

One batched search for all queries: per vocabulary chunk ``q @ E_chunk.T``, a cheap block-max
pre-filter keeps the candidates that can still make a query's top k (the running threshold stays
on the device), and the final ranking uses float64 dot products of the selected rows, ties broken by
the lower row index. Chunks only *select candidates* (with a safety margin covering the matmul's
rounding), so any chunking, device or out-of-memory retry gives the same answer.
"""

from __future__ import annotations

import logging
import math
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from lic_gpu.errors import LicGpuError
from lic_gpu.threads import one_cpu_thread

log = logging.getLogger(__name__)

# CPU budget for one score block (queries x vocabulary chunk): 1024 queries x ~32k rows in float32.
# The matmul is near peak well below this; bigger blocks only push the block-max pass out of cache.
CPU_CHUNK_BYTES = 256 << 20
# Share of free GPU memory one score block may use: the block, its block-max and candidate lists
# must fit next to what the caller holds.
CUDA_FREE_FRACTION = 0.4
DEFAULT_QUERY_CHUNK = {"cpu": 1024, "cuda": 16384}
# Columns grouped for the candidate pre-filter: one strided max over 32 columns is ~10x cheaper
# than comparing (and nonzero-ing) every score, and only blocks that can hold a winner are opened.
FILTER_BLOCK = 32
# Rows sampled (evenly over the vocabulary) to seed each query's threshold.
SEED_COLUMNS = 8192
# Cosines lie in [-1, 1]; a finite floor below that keeps -inf (own row, padding) out of every cut.
_SCORE_FLOOR = -2.0
_RESCORE_BYTES = 64 << 20
# Multiply-adds below which a chunk's matmul is not worth waking a second thread for.
_PARALLEL_MIN_WORK = 1 << 22
_PROGRESS_MIN_WORK = 5e10  # queries x rows x dim above which a bar is worth showing (~1 s on CPU)


def topk_ids(
    vectors: torch.Tensor,
    query_ids: torch.Tensor | Sequence[int] | np.ndarray,
    k: int,
    chunk_size: int | None = None,
    progress: bool | None = None,
    query_chunk_size: int | None = None,
    allow_tf32: bool = False,
    notes: list[str] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact top-k cosine neighbours of the rows ``query_ids`` of ``vectors``, each query's own row excluded.

    Parameters
    ----------
    vectors : Tensor (n, dim)
        Unit rows (zero rows stay zero) on the device the search runs on.
    query_ids : LongTensor (Q,)
        Rows to search for; all must be in ``[0, len(vectors))``.
    k : int
        Neighbours per query.
    chunk_size : int, optional
        Vocabulary rows per matmul chunk; default from free memory (CUDA) or 256 MB (CPU).
    progress : bool, optional
        Show a tqdm bar; default only when the search is long.
    query_chunk_size : int, optional
        Queries per block; default 1024 on CPU, 16384 on CUDA (capped by memory).
    allow_tf32 : bool
        Let CUDA float32 matmuls use TF32 (the re-ranking in float64 keeps the answer exact).
    notes : list, optional
        Receives a line when the search had to give something up (the GPU, after repeated
        out-of-memory errors: the remaining queries are searched on a CPU copy).

    Notes
    -----
    On CPU the bookkeeping between matmuls briefly runs with ``torch.set_num_threads(1)``
    (restored afterwards), which other threads of the process would see for that moment.

    Returns
    -------
    scores : FloatTensor (Q, k), CPU float32
        Cosines, descending; ties ordered by lower row index.
    ids : LongTensor (Q, k), CPU
        Neighbour rows; ``-1`` (score ``-inf``) when fewer than k other rows exist.
    """
    queries = _check_query_ids(query_ids, len(vectors))
    k = _check_positive_int(k, "k")
    n_queries, n = len(queries), len(vectors)
    device, dim = vectors.device, int(vectors.shape[1])
    if n_queries == 0:
        return torch.empty(0, k, dtype=torch.float32), torch.empty(0, k, dtype=torch.long)
    query_block, chunk = _plan_chunks(vectors, n_queries, chunk_size, query_chunk_size)
    show = progress if progress is not None else n_queries * n * dim >= _PROGRESS_MIN_WORK
    bar = tqdm(
        total=n_queries * n, disable=not show, unit="pair", unit_scale=True, desc="top-k neighbours", leave=False
    )
    score_parts: list[torch.Tensor] = []
    id_parts: list[torch.Tensor] = []
    start = 0
    with bar, _matmul_precision(device, allow_tf32):
        while start < n_queries:
            stop = min(n_queries, start + query_block)
            block = queries[start:stop].to(device)
            try:
                scores, ids = search_block(vectors, block, k, chunk, bar.update, allow_tf32)
                out_of_memory = False
            except torch.OutOfMemoryError:
                out_of_memory = True
            if out_of_memory:
                # Outside the except clause, so the failed block's tensors are already freed.
                try:
                    query_block, chunk = _shrink_after_oom(query_block, chunk, device)
                except LicGpuError:
                    if not _cpu_copy_possible(device):
                        raise
                    scores, ids = _finish_on_cpu(vectors, queries[start:], k, notes)
                    score_parts = [p.to(torch.float32).cpu() for p in score_parts] + [scores]
                    id_parts = [p.cpu() for p in id_parts] + [ids]
                    break
                bar.n = start * n
                bar.refresh()
                continue
            score_parts.append(scores)
            id_parts.append(ids)
            start = stop
    # One transfer to the host for the whole search.
    scores = torch.cat(score_parts).to(torch.float32).cpu()
    ids = torch.cat(id_parts).cpu()
    return scores, ids


def _cpu_copy_possible(device: torch.device) -> bool:
    """Whether a search that runs out of memory here can go on with a CPU copy of the vectors."""
    return device.type != "cpu"


def _finish_on_cpu(
    vectors: torch.Tensor, queries: torch.Tensor, k: int, notes: list[str] | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Last resort after repeated out-of-memory on the GPU: search the rest on a CPU copy."""
    note = (
        f"top-k search ran out of memory on {vectors.device} even with the smallest chunks; "
        f"searched the remaining {len(queries)} queries on the CPU"
    )
    log.warning(note)
    if notes is not None:
        notes.append(note)
    return topk_ids(vectors.detach().to("cpu", torch.float32), queries.cpu(), k, progress=False)


def _check_query_ids(query_ids, n: int) -> torch.Tensor:
    ids = torch.as_tensor(query_ids)
    if ids.ndim != 1 or (ids.numel() and ids.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8)):
        raise LicGpuError(
            f"query_ids must be a 1-D integer tensor of rows; got shape {tuple(ids.shape)}, dtype {ids.dtype}"
        )
    ids = ids.to(device="cpu", dtype=torch.long)
    if ids.numel():
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high >= n:
            bad = low if low < 0 else high
            raise LicGpuError(
                f"query_ids must be rows in [0, {n}); got {bad} "
                "(drop missing words, marked -1 by lookup, before searching)"
            )
    return ids


def _plan_chunks(
    vectors: torch.Tensor, n_queries: int, chunk_size: int | None, query_chunk_size: int | None
) -> tuple[int, int]:
    n, device = len(vectors), vectors.device
    if query_chunk_size is not None:
        query_block = _check_positive_int(query_chunk_size, "query_chunk_size")
    else:
        query_block = DEFAULT_QUERY_CHUNK["cuda" if device.type == "cuda" else "cpu"]
    query_block = min(query_block, n_queries)
    if chunk_size is not None:
        return query_block, min(_check_positive_int(chunk_size, "chunk_size"), n)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        budget = int(free * CUDA_FREE_FRACTION)
    else:
        budget = CPU_CHUNK_BYTES
    # Score block plus the padded copy of the last chunk and the block maxima.
    per_score = vectors.element_size() * 2 + 4 / FILTER_BLOCK
    chunk = int(budget / (per_score * query_block))
    if chunk < 4 * FILTER_BLOCK:
        # Very little memory: give columns priority over queries so the filter still works.
        chunk = 4 * FILTER_BLOCK
        query_block = max(1, min(query_block, int(budget / (per_score * chunk))))
    chunk = max(FILTER_BLOCK, chunk - chunk % FILTER_BLOCK)
    return query_block, min(chunk, n)


def search_block(
    vectors: torch.Tensor,
    queries: torch.Tensor,
    k: int,
    chunk: int,
    advance: Callable[[int], object],
    allow_tf32: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact top-k for one block of queries (on the device): candidates by chunk, then re-rank."""
    device, dim = vectors.device, int(vectors.shape[1])
    n, n_q = len(vectors), len(queries)
    margin = _selection_margin(vectors.dtype, dim, allow_tf32 and device.type == "cuda")
    query_vecs = vectors[queries]
    # The threshold is a lower bound of each query's k-th best score so far (in matmul
    # precision); candidates within ``margin`` below it are kept so rounding cannot drop a winner.
    threshold = torch.full((n_q,), _SCORE_FLOOR, dtype=torch.float32, device=device)
    # A zero query scores exactly 0 against every row: its answer is the first k other rows,
    # filled below instead of dragging the whole vocabulary through the candidate pool.
    zero_query = ~query_vecs.ne(0).any(dim=1)
    threshold.masked_fill_(zero_query, math.inf)
    seed, sampled = _seed_threshold(query_vecs, queries, vectors, k)
    threshold = torch.maximum(threshold, seed)
    pool_scores = torch.empty(n_q, 0, dtype=torch.float32, device=device)
    pool_ids = torch.empty(n_q, 0, dtype=torch.long, device=device)
    buffer = torch.empty(n_q * min(chunk, n), dtype=vectors.dtype, device=device)
    c0 = 0
    while c0 < n:
        # Chunks no wider than the rows already seen (sample included) let about k
        # candidates per query through each; so they grow geometrically up to ``chunk``.
        width = min(chunk, n - c0)
        grown = max(sampled + c0, 8 * FILTER_BLOCK)
        if grown < width:
            width = grown - grown % FILTER_BLOCK
        c1 = c0 + width
        scores = buffer[: n_q * width].view(n_q, width)
        # The two passes over the whole score block run on all threads (unless tiny) ...
        with one_cpu_thread(device, enabled=n_q * width * dim < _PARALLEL_MIN_WORK):
            torch.mm(query_vecs, vectors[c0:c1].T, out=scores)
            scores, block_max = _block_maxima(scores)
        # ... the bookkeeping on small tensors on one: on a busy CPU every multi-threaded
        # op waits for a descheduled OpenMP thread (measured ~16 ms per op on 2 shared cores).
        with one_cpu_thread(device):
            rows, cols, vals = _candidates(scores, block_max, threshold - margin)
            cols += c0
            own = cols == queries[rows]
            if bool(own.any()):
                rows, cols, vals = rows[~own], cols[~own], vals[~own]
            new_scores, new_ids = _pack_rows(rows, vals, cols, n_q)
            pool_scores = torch.cat([pool_scores, new_scores], dim=1)
            pool_ids = torch.cat([pool_ids, new_ids], dim=1)
            if pool_scores.shape[1] >= k:
                kth = pool_scores.topk(k, dim=1).values[:, -1]
                threshold = torch.maximum(threshold, kth)
            keep_rows, keep_pos = (pool_scores >= (threshold - margin)[:, None]).nonzero(as_tuple=True)
            pool_scores, pool_ids = _pack_rows(
                keep_rows, pool_scores[keep_rows, keep_pos], pool_ids[keep_rows, keep_pos], n_q
            )
        advance(n_q * width)
        c0 = c1
    del buffer, scores
    with one_cpu_thread(device):
        exact = _exact_scores(query_vecs, vectors, pool_ids)
        top_scores, top_ids = _rank(exact, pool_ids, k, n)
        if bool(zero_query.any()):
            top_scores, top_ids = _fill_zero_queries(top_scores, top_ids, queries, zero_query, k, n)
    return top_scores, top_ids


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1:
        return int(value)
    raise LicGpuError(f"{name} must be a positive integer; got {value!r}")


def _selection_margin(dtype: torch.dtype, dim: int, tf32: bool) -> float:
    """Twice a bound on one matmul score's error against the float64 re-ranking.

    Float32 accumulation of ``dim`` products of unit vectors errs by at most ``dim * 2**-24``;
    TF32 inputs and half-precision outputs add their rounding (|cosine| <= 1), taken here with
    a factor 2 to 4 to spare: a wider margin only lets a few more candidates through.
    """
    accumulate = dim * 2.0**-24
    # A global "medium" float32 precision may let backends compute in bfloat16, "high" in TF32.
    precision = torch.get_float32_matmul_precision()
    if dtype == torch.bfloat16 or (dtype == torch.float32 and precision == "medium"):
        unit = 2.0**-6
    elif dtype == torch.float16 or tf32 or precision == "high":
        unit = 2.0**-9
    else:
        unit = 2.0**-23
    return 2.0 * (unit + accumulate)


@contextmanager
def _matmul_precision(device: torch.device, allow_tf32: bool) -> Iterator[None]:
    """Set CUDA's TF32 switch for the search and restore the caller's settings afterwards.

    Half-precision reduced-precision (split-K) reductions are switched off too, so a half score
    errs only by its output rounding, which the selection margin covers.
    """
    if device.type != "cuda":
        yield
        return
    matmul = torch.backends.cuda.matmul
    names = ("allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction")
    previous = {name: getattr(matmul, name) for name in names}
    matmul.allow_tf32 = allow_tf32
    matmul.allow_fp16_reduced_precision_reduction = False
    matmul.allow_bf16_reduced_precision_reduction = False
    try:
        yield
    finally:
        for name, value in previous.items():
            setattr(matmul, name, value)


def _shrink_after_oom(query_block: int, chunk: int, device: torch.device) -> tuple[int, int]:
    """Halve the vocabulary chunk (then the query block) after an out-of-memory error."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
    if chunk > 4 * FILTER_BLOCK:
        log.warning("top-k search ran out of memory; retrying with chunk_size=%d", chunk // 2)
        return query_block, chunk // 2
    if query_block > 1:
        log.warning("top-k search ran out of memory; retrying with query_chunk_size=%d", query_block // 2)
        return query_block // 2, chunk
    raise LicGpuError(
        f"top-k search ran out of memory on {device} even with chunk_size={chunk} and one query; "
        "free device memory or use dtype='float16'"
    )


def _seed_threshold(
    query_vecs: torch.Tensor, queries: torch.Tensor, vectors: torch.Tensor, k: int
) -> tuple[torch.Tensor, int]:
    """Each query's k-th best score over an evenly spread sample of rows, and the sample size.

    The k-th best of any subset of rows is a lower bound of the final k-th best.
    The sample spans the whole (frequency-ordered) vocabulary, so about ``k * chunk / SEED_COLUMNS``
    scores per query pass it in the first chunk whatever the query; a sample taken from the first
    rows alone (frequent function words) lets thousands through for rare words.
    """
    n = vectors.shape[0]
    floor = torch.full((len(queries),), _SCORE_FLOOR, dtype=torch.float32, device=query_vecs.device)
    sample = torch.arange(0, n, max(1, n // SEED_COLUMNS), device=query_vecs.device)
    if len(sample) <= k:  # the own row may be in the sample: need k others
        return floor, 0
    seed = query_vecs @ vectors[sample].T
    seed.masked_fill_(sample[None, :] == queries[:, None], float("-inf"))
    return torch.maximum(floor, seed.topk(k, dim=1).values[:, -1].float()), len(sample)


def _block_maxima(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Pad the columns to a multiple of FILTER_BLOCK and take strided block maxima.

    Block j holds columns ``j + i * stride`` (i < FILTER_BLOCK): one cheap max over the score
    block decides which blocks can hold a candidate, instead of a compare + nonzero per score.
    Returns ``(scores, None)`` for narrow chunks, which are filtered score by score.
    """
    n_q, width = scores.shape
    if width < 4 * FILTER_BLOCK:
        return scores, None
    pad = (-width) % FILTER_BLOCK
    if pad:
        scores = F.pad(scores, (0, pad), value=float("-inf"))
    stride = scores.shape[1] // FILTER_BLOCK
    return scores, scores.view(n_q, FILTER_BLOCK, stride).amax(dim=1)


def _candidates(
    scores: torch.Tensor, block_max: torch.Tensor | None, cut: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(row, column, score) of every score >= its row's cut, sorted by row (columns chunk-local)."""
    if block_max is None:
        rows, cols = (scores.float() >= cut[:, None]).nonzero(as_tuple=True)
        return rows, cols, scores[rows, cols].float()
    padded, stride = scores.shape[1], block_max.shape[1]
    hits = (block_max >= cut[:, None]).flatten().nonzero().flatten()
    hit_rows = hits // stride
    # Flat positions and one 1-D gather: 2-D advanced indexing costs several times more on CPU.
    offsets = torch.arange(FILTER_BLOCK, device=scores.device) * stride
    flat = (hits + hit_rows * (padded - stride))[:, None] + offsets
    vals = scores.view(-1).index_select(0, flat.flatten()).view(flat.shape).float()
    keep_hit, keep_slot = (vals >= cut[hit_rows][:, None]).nonzero(as_tuple=True)
    rows = hit_rows[keep_hit]
    cols = flat[keep_hit, keep_slot] - rows * padded
    return rows, cols, vals[keep_hit, keep_slot]


def _pack_rows(
    rows: torch.Tensor, vals: torch.Tensor, ids: torch.Tensor, n_rows: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pack row-sorted (row, value, id) triples into (n_rows, width) tensors padded with -inf / -1."""
    device = vals.device
    counts = torch.bincount(rows, minlength=n_rows)
    width = int(counts.max()) if rows.numel() else 0
    out_vals = torch.full((n_rows, width), float("-inf"), dtype=torch.float32, device=device)
    out_ids = torch.full((n_rows, width), -1, dtype=torch.long, device=device)
    if width:
        starts = counts.cumsum(0) - counts
        pos = torch.arange(rows.numel(), device=device) - starts[rows]
        out_vals[rows, pos] = vals
        out_ids[rows, pos] = ids
    return out_vals, out_ids


def _exact_scores(query_vecs: torch.Tensor, vectors: torch.Tensor, pool_ids: torch.Tensor) -> torch.Tensor:
    """Float64 dot products of each query with its candidates (-inf for padding)."""
    n_q, width = pool_ids.shape
    out = torch.full((n_q, width), float("-inf"), dtype=torch.float64, device=pool_ids.device)
    if width == 0:
        return out
    step = max(1, _RESCORE_BYTES // (8 * width * query_vecs.shape[1]))
    for s in range(0, n_q, step):
        ids = pool_ids[s : s + step]
        rows = vectors[ids.clamp(min=0)].double()
        dots = torch.einsum("qd,qpd->qp", query_vecs[s : s + step].double(), rows)
        out[s : s + step] = torch.where(ids >= 0, dots, float("-inf"))
    return out


def _rank(scores: torch.Tensor, ids: torch.Tensor, k: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top k per row by (score descending, row ascending); pads with -inf / -1 to width k."""
    # Sort by row first, then a stable sort by score keeps lower rows first among equal scores.
    keyed = torch.where(ids >= 0, ids, n)
    keyed, order = keyed.sort(dim=1)
    scores = scores.gather(1, order)
    scores, order = scores.sort(dim=1, descending=True, stable=True)
    ids = keyed.gather(1, order)[:, :k]
    scores = scores[:, :k]
    if scores.shape[1] < k:
        fill = k - scores.shape[1]
        scores = F.pad(scores, (0, fill), value=float("-inf"))
        ids = F.pad(ids, (0, fill), value=n)
    ids = torch.where(torch.isfinite(scores), ids, -1)
    return scores, ids


def _fill_zero_queries(scores, ids, queries, zero_query, k, n):
    """Zero query vectors tie at 0 with every row: the answer is the k lowest other rows."""
    first = torch.arange(min(n, k + 1), device=ids.device)
    rows = zero_query.nonzero().flatten()
    for r in rows.tolist():
        others = first[first != queries[r]][:k]
        ids[r] = -1
        scores[r] = float("-inf")
        ids[r, : len(others)] = others
        scores[r, : len(others)] = 0.0
    return scores, ids
