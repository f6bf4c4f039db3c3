"""Top-k neighbours kept on disk between runs.

A re-run on the same vectors (another seed, emotion, cap or sweep job, the evaluation) then reads
the neighbours of words searched before instead of scanning the whole vocabulary for them again;
only new words are searched, still in one batched call.

One ``.npz`` per (vectors, dtype, device type, k) holds query rows with their neighbour rows and
cosines exactly as :meth:`~lic_gpu.embeddings.EmbeddingStore.topk_ids` returned them, so a cached
answer is the searched answer. The vectors are named by file path, size and modification time (the
packaged GloVe by its version), as the embedding cache does: a changed file gets a new cache.
Writes are atomic (a temporary file, then a rename); two runs writing at once may drop each other's
additions, never corrupt the file. An unreadable or unwritable cache is skipped with a warning.
"""
from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np
import torch

from lic_gpu.errors import LicGpuError
from lic_gpu.export import atomic_path

log = logging.getLogger(__name__)

# Bump when the search's answers (ordering, ties, scores) could change.
FORMAT_VERSION = 1


class NeighbourCache:
    """The top-``k`` neighbours of one store's rows searched so far, read from and written to ``path``.

    Attributes
    ----------
    added : int
        Query rows searched and added (over the object's life).
    """

    def __init__(self, path: str | os.PathLike, k: int):
        self.path = Path(path)
        self.k = int(k)
        self.added = 0
        self._answers: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # row -> (ids, scores)
        self._read()

    @classmethod
    def for_store(cls, store, k: int) -> "NeighbourCache | None":
        """The cache of ``store``'s vectors for ``k`` neighbours, or ``None`` when the store keeps
        none (``neighbour_cache=False``, or built in memory: no stable name to key a file on)."""
        identity, folder = getattr(store, "identity", None), getattr(store, "neighbour_cache_dir", None)
        if identity is None or folder is None:
            return None
        key = f"{FORMAT_VERSION}|{identity}|{store.device.type}|k={int(k)}"
        name = hashlib.sha1(key.encode("utf-8")).hexdigest()[:20] + ".npz"
        return cls(Path(folder) / name, k)

    def __len__(self) -> int:
        return len(self._answers)

    def lookup(self, rows) -> tuple[list[int], np.ndarray, np.ndarray]:
        """``(found_rows, ids (F, k), scores (F, k))`` for the rows the cache has, in the order asked."""
        found = [r for r in rows if r in self._answers]
        if not found:
            return [], np.empty((0, self.k), dtype=np.int64), np.empty((0, self.k), dtype=np.float32)
        return (found, np.stack([self._answers[r][0] for r in found]),
                np.stack([self._answers[r][1] for r in found]))

    def add(self, rows, ids, scores) -> None:
        """Remember a search's answers (``ids``/``scores`` of shape ``(len(rows), k)``) and write the
        file, merged with what is on disk now (another run may have added rows meanwhile)."""
        ids = np.asarray(torch.as_tensor(ids).cpu(), dtype=np.int64)
        scores = np.asarray(torch.as_tensor(scores).cpu(), dtype=np.float32)
        rows = [int(r) for r in torch.as_tensor(rows).tolist()]
        if ids.shape != (len(rows), self.k) or scores.shape != ids.shape:
            raise LicGpuError(f"neighbour cache: expected ({len(rows)}, {self.k}) answers; got {ids.shape}")
        self._read()
        new = [i for i, r in enumerate(rows) if r not in self._answers]
        if not new:
            return
        for i in new:
            self._answers[rows[i]] = (ids[i], scores[i])
        self.added += len(new)
        self._write()

    def _read(self) -> None:
        if not self.path.exists():
            return
        try:
            with np.load(self.path, allow_pickle=False) as data:
                rows, ids, scores = data["rows"], data["ids"], data["scores"]
        except (OSError, ValueError, KeyError) as err:
            log.warning("ignoring unreadable neighbour cache %s (%s)", self.path, err)
            return
        if rows.ndim != 1 or ids.shape != (len(rows), self.k) or scores.shape != ids.shape:
            log.warning("ignoring inconsistent neighbour cache %s", self.path)
            return
        for r, i, s in zip(rows.tolist(), ids, scores):
            self._answers.setdefault(r, (i, s))

    def _write(self) -> None:
        rows = list(self._answers)
        try:
            with atomic_path(self.path) as tmp, open(tmp, "wb") as fh:
                np.savez(fh, rows=np.array(rows, dtype=np.int64),
                         ids=np.stack([self._answers[r][0] for r in rows]),
                         scores=np.stack([self._answers[r][1] for r in rows]))
        except (OSError, LicGpuError) as err:
            log.warning("could not write the neighbour cache %s (%s); continuing without it", self.path, err)
