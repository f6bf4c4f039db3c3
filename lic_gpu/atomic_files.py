"""Atomic file writes, the one home of them: a reader sees the old file or the whole new one, never half.

Every file lic_gpu writes (run outputs, figures, the vector and neighbour caches, the evaluation)
goes through :func:`atomic_path` (or :func:`atomic_write` on top of it).
"""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

import pandas as pd

from lic_gpu.errors import LicGpuError

_ELSEWHERE = "write elsewhere with hydra.run.dir=PATH"
# what a cache that cannot be written advises (the run folder is not where caches live)
CACHE_ADVICE = "point the cache elsewhere with $LIC_GPU_CACHE or embeddings.cache_dir"


def file_mode() -> int:
    """The mode a new file gets from the process's umask (``0o666 & ~umask``); ``mkstemp`` would
    leave 0600, which colleagues on a shared server cannot read."""
    try:  # Linux >= 4.7 shows it without changing it (os.umask would, briefly, for every thread)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def fsync_folder(folder: str | Path) -> None:
    """Flush a folder's entries (a rename) to disk; a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | Path, sync_folder: bool = True, advice: str = _ELSEWHERE) -> Iterator[Path]:
    """Yield a temp path in the same folder; on success it replaces ``path``, on any error it is removed.

    The temp file is flushed to disk (``fsync``) before the rename and given the umask's mode, so
    after a power cut ``path`` holds the old or the whole new content, never a truncated file. The
    temp file is created exclusively and renamed over ``path``, so a symbolic link at ``path`` is
    replaced, never written through. ``advice`` ends an error's line (caches do not advise moving
    the run folder: :data:`CACHE_ADVICE`).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except PermissionError:
        raise LicGpuError(f"output folder is not writable: {path.parent}; {advice}") from None
    except OSError as err:
        raise LicGpuError(f"cannot write into {path.parent}: {err.strerror or err}; {advice}") from None
    tmp_path = Path(tmp)
    try:  # from here on the temp file is removed whatever happens (SIGTERM included, lic_gpu.entry)
        os.close(fd)
        yield tmp_path
        fd = os.open(tmp_path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp_path, file_mode())
        os.replace(tmp_path, path)
        if sync_folder:
            fsync_folder(path.parent)
    except BaseException as err:
        tmp_path.unlink(missing_ok=True)
        if isinstance(err, OSError) and not isinstance(err, LicGpuError):
            raise LicGpuError(f"could not write {path}: {err.strerror or err} (nothing was left behind); "
                              f"free space or {advice}") from None
        raise


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temp file next to ``path``, then move it into place (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        write(tmp)
    return Path(path)


def atomic_write_stream(path: str | Path, write: Callable[[BinaryIO], Any], advice: str = _ELSEWHERE) -> Path:
    """Call ``write(fh)`` on a binary file handle of a temp file next to ``path`` (``np.save``,
    ``np.savez``), then move it into place."""
    with atomic_path(path, advice=advice) as tmp, open(tmp, "wb") as fh:
        write(fh)
    return Path(path)


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV without its index, atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8")
    return Path(path)


def write_json(obj: Any, path: str | Path) -> Path:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        # A file name that is not valid UTF-8 reaches Python as lone surrogates: written as JSON
        # escapes (\udce9), which read back as the same string, instead of failing the whole run.
        text = json.dumps(obj, indent=2, ensure_ascii=False, default=_json_default)
        tmp.write_bytes(text.encode("utf-8", "backslashreplace"))
    return Path(path)


def write_text(text: str, path: str | Path) -> Path:
    """Write a text file atomically (UTF-8; undecodable file-name bytes shown as ``\\udcXX``)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8", "backslashreplace"))
    return Path(path)


def _json_default(obj: Any):
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)
