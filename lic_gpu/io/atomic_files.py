"""Atomic file writes, the one home of them: a reader sees the old file or the whole new one, never half.

Every file lic_gpu writes (run outputs, figures, the vector and neighbour caches, the evaluation)
goes through :func:`atomic_path` (or :func:`atomic_write` on top of it).

Cache folders are checked before use (:func:`usable_folder`): caches may live in shared places
(``$LIC_GPU_CACHE=/tmp/...``), and a folder that another user owns or that every user may write
into could hold planted files or links that lead a write elsewhere, so such a folder is not used
(one warning) unless the user opts in (``embeddings.trust_shared_cache=true``); a folder that is
itself a symbolic link is never used. Group-writable folders are accepted: the group is the owner's
own choice. Cache files are read with :func:`read_bounded` (no links, regular files, bounded size).
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

import pandas as pd

from lic_gpu.errors import LicGpuError

log = logging.getLogger(__name__)

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
    try:  # from here on the temp file is removed whatever happens (SIGTERM included, lic_gpu.app.entry)
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
            raise LicGpuError(
                f"could not write {path}: {err.strerror or err} (nothing was left behind); free space or {advice}"
            ) from None
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


# ---------------------------------------------------------------- cache folders and cache reads

TRUST_KEY = "embeddings.trust_shared_cache"
_trusted: set[str] = set()  # folders the user opted in for (trust_shared_cache=true), this process
_warned: set[str] = set()


def trust(folder: str | os.PathLike) -> None:
    """Accept ``folder`` even when it is shared (``embeddings.trust_shared_cache=true``)."""
    _trusted.add(os.path.abspath(folder))


def folder_problem(folder: str | os.PathLike) -> str:
    """Why ``folder`` may not hold a cache ('' when it may, or when it does not exist yet)."""
    try:
        st = os.lstat(folder)
    except OSError:
        return ""  # missing or unreachable: the writer makes it or reports why it cannot
    if stat.S_ISLNK(st.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a folder"
    if os.path.abspath(folder) in _trusted:
        return ""
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return f"it belongs to another user (uid {st.st_uid})"
    if st.st_mode & stat.S_IWOTH:
        return "every user may write into it"
    return ""


def usable_folder(folder: str | os.PathLike, what: str) -> bool:
    """True when ``folder`` may hold the ``what`` cache (or does not exist yet: the writer makes it);
    else one warning (once per folder) and False: the run goes on without that cache."""
    folder = Path(folder)
    problem = folder_problem(folder)
    if not problem:
        return True
    key = os.path.abspath(folder)
    if key not in _warned:
        _warned.add(key)
        advice = (
            f"set {TRUST_KEY}=true if you trust it"
            if "user" in problem
            else "remove the link or point the cache elsewhere ($LIC_GPU_CACHE, embeddings.cache_dir)"
        )
        log.warning("not using the %s cache folder %s (%s); %s", what, folder, problem, advice)
    return False


def read_bounded(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, opened without following a symbolic link and refused
    (``OSError``/``ValueError``) beyond ``max_bytes``: a FIFO, a device or a planted giant cannot
    block or flood a run."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > max_bytes:
            raise ValueError(f"{st.st_size} bytes, more than the {max_bytes} expected")
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise ValueError(f"more than the {max_bytes} bytes expected")
        return data
    finally:
        os.close(fd)


def remove_link(path: str | os.PathLike) -> bool:
    """Remove ``path`` when it is a symbolic link (never what it points to); True if one was removed."""
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            os.unlink(path)
            return True
    except OSError:
        pass
    return False
