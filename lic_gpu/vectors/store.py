"""Word vectors on one device, normalised once, with the one batched top-k neighbour search.

``EmbeddingStore.load`` reads the vectors (:mod:`lic_gpu.vectors.files`: the packaged GloVe 6B-50d or
a user's file, L2-normalised once) and keeps the matrix as a tensor on the chosen device;
``topk_ids`` finds the nearest neighbours of all queries in one exact, chunked search
(:mod:`lic_gpu.vectors.topk`) whose running best stays on the device.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from lic_gpu.vectors import topk
from lic_gpu.device import DeviceChoice, as_device
from lic_gpu.errors import LicGpuError
from lic_gpu.validators import check_bool
from lic_gpu.io.atomic_files import trust
from lic_gpu.vectors.files import (
    PACKAGED_GLOVE,
    check_format,
    check_limit,
    check_not_degenerate,
    default_cache_dir,
    normalise_rows_,
    read_vectors,
)
from lic_gpu.vectors.word_index import word_rows
from lic_gpu.vectors.names import resolve_source

log = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def check_dtype(value: str | torch.dtype) -> torch.dtype:
    """Validate ``dtype``: one of ``float32``, ``float16``, ``bfloat16`` (or the torch dtype)."""
    if isinstance(value, torch.dtype) and value in DTYPES.values():
        return value
    if isinstance(value, str) and value in DTYPES:
        return DTYPES[value]
    raise LicGpuError(f"dtype must be one of {sorted(DTYPES)}; got {value!r}")


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
            raise LicGpuError(f"{source}: {len(words)} words but a vector matrix of shape {tuple(vectors.shape)}")
        self.words = words
        self.vectors = vectors
        self.source = source
        self.lowercase_fallback = bool(lowercase_fallback)
        self.allow_tf32 = bool(allow_tf32)
        self._index: dict[str, int] | None = None
        # what the search had to give up (e.g. the GPU after repeated out-of-memory), for summaries
        self.search_notes: list[str] = []
        # A stable name of the vectors (file + size + mtime, or the package version) and where
        # searched neighbours are kept between runs; set by ``load``, see lic_gpu.vectors.neighbour_cache.
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
        trust_shared_cache: bool = False,
        allow_pickle: bool = False,
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
            Keep searched neighbours on disk for later runs (:mod:`lic_gpu.vectors.neighbour_cache`):
            ``True`` in ``neighbours/`` of :func:`default_cache_dir`, a path there, ``False`` never.
        trust_shared_cache : bool
            Use cache folders that another user owns or every user may write into
            (:func:`lic_gpu.io.atomic_files.usable_folder`); by default they are skipped with a warning.
        allow_pickle : bool
            Read a gensim ``.kv``/``.model`` pickle (``format="gensim_kv"`` only). Unpickling runs any
            code the file holds, so this is off and ``format="auto"`` never picks a pickle.

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
        check_bool(trust_shared_cache, "embeddings.trust_shared_cache")
        if trust_shared_cache:
            for folder in (
                default_cache_dir(),
                default_cache_dir() / "neighbours",
                *([cache_dir] if isinstance(cache_dir, (str, os.PathLike)) else []),
                *([neighbour_cache] if isinstance(neighbour_cache, (str, os.PathLike)) else []),
            ):
                trust(Path(folder).expanduser())
        source = resolve_source(source)  # gensim-data names, lic_gpu.vectors.names
        words, array, desc, identity = read_vectors(source, fmt, limit, cache_dir, allow_pickle)
        check_not_degenerate(array, str(source))
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
        normalise_rows_(matrix, source)
        check_not_degenerate(matrix, source)
        dev = as_device(device)
        torch_dtype = check_dtype(dtype)
        return cls(
            list(words),
            _to_device(matrix, dev, torch_dtype),
            source,
            lowercase_fallback=lowercase_fallback,
            allow_tf32=allow_tf32,
        )

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
            self._index = word_rows(self.words)
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
        scores, ids = self.topk_ids(
            query_ids, k, chunk_size=chunk_size, progress=progress, query_chunk_size=query_chunk_size
        )
        return NeighbourTable(found, query_ids, ids, scores, missing, self.words)

    def topk_ids(
        self,
        query_ids: torch.Tensor | Sequence[int] | np.ndarray,
        k: int,
        chunk_size: int | None = None,
        progress: bool | None = None,
        query_chunk_size: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact top-k cosine neighbours of the rows ``query_ids``, each query's own row excluded
        (:func:`lic_gpu.vectors.topk.topk_ids` on this store's vectors; what it gives up goes to
        :attr:`search_notes`).

        Returns
        -------
        scores : FloatTensor (Q, k), CPU float32
            Cosines, descending; ties ordered by lower row index.
        ids : LongTensor (Q, k), CPU
            Neighbour rows; ``-1`` (score ``-inf``) when fewer than k other rows exist.
        """
        from lic_gpu.vectors.memory_budget import check_neighbour_table

        if isinstance(k, int) and not isinstance(k, bool) and k > 0:  # topk_ids validates k itself
            check_neighbour_table(len(torch.as_tensor(query_ids).reshape(-1)), k, len(self))
        return topk.topk_ids(
            self.vectors,
            query_ids,
            k,
            chunk_size=chunk_size,
            progress=progress,
            query_chunk_size=query_chunk_size,
            allow_tf32=self.allow_tf32,
            notes=self.search_notes,
        )


def _to_device(matrix: np.ndarray, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    # from_numpy shares memory (a memory-mapped cache stays mapped); .to copies only when needed.
    return torch.from_numpy(matrix).to(device=device, dtype=dtype)
