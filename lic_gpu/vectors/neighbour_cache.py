"""Top-k neighbours kept on disk between runs.

A re-run on the same vectors (another seed, emotion, cap or sweep job, the evaluation) then reads
the neighbours of words searched before instead of scanning the whole vocabulary for them again;
only new words are searched, still in one batched call.

One ``.npz`` per (vectors, dtype, device type, k) holds query rows with their neighbour rows and
cosines exactly as :meth:`~lic_gpu.vectors.store.EmbeddingStore.topk_ids` returned them, so a cached
answer is the searched answer. The vectors are named as the embedding cache names them (file path,
size, modification and change time, inode and a fingerprint of the first and last MiB; the packaged
GloVe also by its version): a changed file gets a new cache.

Nothing read is trusted: a file that cannot be read, has the wrong arrays, shapes or types, rows or
neighbour ids outside the vocabulary, or scores that are not cosines (NaN, beyond [-1, 1], or
``-inf`` beside a real id) is ignored with a warning and rewritten whole by the next search, as are
answers that the vocabulary's size rules out (fewer than ``k`` neighbours). Answers are also checked
before they are stored, so a search over broken vectors cannot poison the cache. Writes are atomic
and flushed to disk (:func:`lic_gpu.io.atomic_files.atomic_write_stream`); two runs writing at once may drop each
other's additions, never corrupt the file. An unwritable cache is skipped with a warning.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from lic_gpu.errors import LicGpuError
from lic_gpu.io.atomic_files import CACHE_ADVICE, atomic_write_stream, read_bounded, usable_folder

log = logging.getLogger(__name__)

# Bump when the search's answers (ordering, ties, scores) could change.
FORMAT_VERSION = 1
# Cached answers re-searched on first use: a planted file that passes every structural check
# still has to agree with the vectors on these (a few rows cost one pass over the vocabulary).
SPOT_CHECKS = 4


class NeighbourCache:
    """The top-``k`` neighbours of one store's rows searched so far, read from and written to ``path``.

    Attributes
    ----------
    added : int
        Query rows searched and added (over the object's life).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        k: int,
        n_words: int | None = None,
        search: Callable[[list[int]], tuple] | None = None,
    ):
        self.path = Path(path)
        self.k = int(k)
        # the vocabulary size: rows and ids must lie in it, and every answer has min(k, n - 1) ids
        self.n_words = n_words
        # ``search(rows) -> (scores, ids)``: re-searches a random sample of the answers read from disk
        self.search = search
        self.added = 0
        self._warned = False
        self._distrusted = False  # the file failed the spot check: neither read nor merged again
        self._checked = search is None
        self._from_disk: set[int] = set()
        self._answers: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # row -> (ids, scores)
        self._read()

    @classmethod
    def for_store(cls, store, k: int) -> "NeighbourCache | None":
        """The cache of ``store``'s vectors for ``k`` neighbours, or ``None`` when the store keeps
        none (``neighbour_cache=False``, or built in memory: no stable name to key a file on)."""
        identity, folder = getattr(store, "identity", None), getattr(store, "neighbour_cache_dir", None)
        if identity is None or folder is None:
            return None
        if not usable_folder(folder, "neighbour"):  # a link, or shared without trust_shared_cache
            return None
        key = f"{FORMAT_VERSION}|{identity}|{store.device.type}|k={int(k)}"
        name = hashlib.sha1(key.encode("utf-8")).hexdigest()[:20] + ".npz"
        return cls(
            Path(folder) / name,
            k,
            n_words=len(store),
            search=lambda rows: store.topk_ids(torch.tensor(rows, dtype=torch.long), int(k)),
        )

    def __len__(self) -> int:
        return len(self._answers)

    def lookup(self, rows) -> tuple[list[int], np.ndarray, np.ndarray]:
        """``(found_rows, ids (F, k), scores (F, k))`` for the rows the cache has, in the order asked."""
        rows = list(rows)
        if not self._checked and any(r in self._from_disk for r in rows):
            self._spot_check([r for r in rows if r in self._from_disk])
        found = [r for r in rows if r in self._answers]
        if not found:
            return [], np.empty((0, self.k), dtype=np.int64), np.empty((0, self.k), dtype=np.float32)
        return (found, np.stack([self._answers[r][0] for r in found]), np.stack([self._answers[r][1] for r in found]))

    def add(self, rows, ids, scores) -> None:
        """Remember a search's answers (``ids``/``scores`` of shape ``(len(rows), k)``) and write the
        file, merged with what is on disk now (another run may have added rows meanwhile)."""
        ids = np.asarray(torch.as_tensor(ids).cpu(), dtype=np.int64)
        scores = np.asarray(torch.as_tensor(scores).cpu(), dtype=np.float32)
        rows = [int(r) for r in torch.as_tensor(rows).tolist()]
        if ids.shape != (len(rows), self.k) or scores.shape != ids.shape:
            raise LicGpuError(f"neighbour cache: expected ({len(rows)}, {self.k}) answers; got {ids.shape}")
        problem = self._problem(np.asarray(rows, dtype=np.int64), ids, scores)
        if problem:
            # e.g. vectors holding NaN: such answers must not outlive the run that searched them
            log.warning("not caching these neighbours (%s)", problem)
            return
        self._read()
        new = [i for i, r in enumerate(rows) if r not in self._answers]
        if not new:
            return
        for i in new:
            self._answers[rows[i]] = (ids[i], scores[i])
        self.added += len(new)
        self._write()

    def _spot_check(self, candidates: list[int]) -> None:
        """Re-search a few random answers read from disk; any disagreement distrusts the whole file
        (a planted cache whose every array is well formed but whose neighbours are made up)."""
        self._checked = True
        assert self.search is not None  # _checked starts true without a search, so this is never called then
        rng = np.random.default_rng()  # unpredictable on purpose: a planted file cannot know which
        sample = sorted(rng.choice(candidates, size=min(SPOT_CHECKS, len(candidates)), replace=False).tolist())
        try:
            scores, ids = self.search(sample)
        except Exception as err:  # noqa: BLE001  the check is best effort; the real search reports
            log.warning("could not check the neighbour cache %s (%s); not using it", self.path, err)
            ok = False
        else:
            ids = np.asarray(torch.as_tensor(ids).cpu(), dtype=np.int64)
            scores = np.asarray(torch.as_tensor(scores).cpu(), dtype=np.float32)
            ok = all(
                np.array_equal(self._answers[r][0], ids[i])
                and np.allclose(self._answers[r][1], scores[i], atol=1e-3, equal_nan=False)
                for i, r in enumerate(sample)
            )
            if not ok:
                log.warning(
                    "ignoring the neighbour cache %s (its answers differ from a new search of the same "
                    "words); it is rebuilt by this run's search",
                    self.path,
                )
        if not ok:
            self._distrusted = True
            for r in self._from_disk:
                self._answers.pop(r, None)
            self._from_disk.clear()

    def _max_bytes(self) -> int:
        """The largest file this cache's answers can fill: every word once (rows, ids, scores)."""
        n = self.n_words if self.n_words is not None else 1 << 22
        return n * (8 + 12 * self.k) + (1 << 16)

    def _read(self) -> None:
        if self._distrusted or not os.path.lexists(self.path):
            return
        try:
            if os.path.islink(self.path):
                raise ValueError("a symbolic link, not the cache's own file (replaced by the next write)")
            # bounded before anything is inflated: a small compressed file must not become gigabytes
            raw = read_bounded(self.path, self._max_bytes())
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                if any(info.compress_type != zipfile.ZIP_STORED for info in archive.infolist()):
                    raise ValueError("compressed members (this cache writes none)")
            with np.load(io.BytesIO(raw), allow_pickle=False) as data:
                rows, ids, scores = data["rows"], data["ids"], data["scores"]
            problem = self._problem(rows, ids, scores)
        except Exception as err:  # noqa: BLE001  zip, npy and OS errors of every kind: never fatal
            problem = f"unreadable: {type(err).__name__}: {' '.join(str(err).split())[:200]}"
        if problem:
            if not self._warned:
                log.warning(
                    "ignoring the neighbour cache %s (%s); it is rebuilt by this run's search", self.path, problem
                )
                self._warned = True
            return
        for r, i, s in zip(rows.tolist(), ids, scores):
            if r not in self._answers:
                self._answers[r] = (i, s)
                self._from_disk.add(r)

    def _problem(self, rows: np.ndarray, ids: np.ndarray, scores: np.ndarray) -> str:
        """Why these arrays are not answers of this cache's search ('' when they are)."""
        if rows.ndim != 1 or ids.shape != (len(rows), self.k) or scores.shape != ids.shape:
            return f"inconsistent shapes {rows.shape}, {ids.shape}, {scores.shape} for k={self.k}"
        if rows.dtype.kind not in "iu" or ids.dtype.kind not in "iu" or scores.dtype.kind != "f":
            return f"wrong types {rows.dtype}, {ids.dtype}, {scores.dtype}"
        if not len(rows):
            return ""
        n = self.n_words if self.n_words is not None else np.iinfo(np.int64).max
        if rows.min() < 0 or rows.max() >= n or len(np.unique(rows)) != len(rows):
            return "query rows outside the vocabulary or repeated"
        real = ids >= 0
        if ids.min() < -1 or ids.max() >= n or (ids == rows[:, None]).any():
            return "neighbour ids outside the vocabulary"
        if (
            np.isnan(scores).any()
            or (scores[real] > 1.001).any()
            or (scores[real] < -1.001).any()
            or not np.isneginf(scores[~real]).all()
        ):
            return "scores that are not cosines"
        # the search pads with -1 only where the vocabulary has fewer than k other words
        expected = min(self.k, n - 1)
        if (real.sum(axis=1) != expected).any() or (real[:, 1:] & ~real[:, :-1]).any():
            return f"answers with fewer than {expected} neighbours"
        if (np.diff(np.where(real, scores, -np.inf), axis=1) > 1e-6).any():
            return "neighbours not in descending order"
        return ""

    def _write(self) -> None:
        rows = list(self._answers)
        try:
            atomic_write_stream(
                self.path,
                lambda fh: np.savez(  # flushed, then renamed
                    fh,
                    rows=np.array(rows, dtype=np.int64),
                    ids=np.stack([self._answers[r][0] for r in rows]),
                    scores=np.stack([self._answers[r][1] for r in rows]),
                ),
                advice=CACHE_ADVICE,
            )
        except (OSError, LicGpuError) as err:
            log.warning("could not write the neighbour cache %s (%s); continuing without it", self.path, err)
