"""What a cache folder must be before lic_gpu reads from it or writes into it, and bounded cache reads.

Caches may live in shared places (``$LIC_GPU_CACHE=/tmp/...``). A folder that another user owns or
that every user may write into could hold planted files or symbolic links that lead a write
elsewhere, so such a folder is not used (one warning) unless the user opts in
(``embeddings.trust_shared_cache=true``). A folder that is itself a symbolic link is never used.
Group-writable folders are accepted: the group is the owner's own choice.
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

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
        advice = (f"set {TRUST_KEY}=true if you trust it" if "user" in problem
                  else "remove the link or point the cache elsewhere ($LIC_GPU_CACHE, embeddings.cache_dir)")
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
