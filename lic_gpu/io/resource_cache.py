"""What a run loads and never changes (word vectors, the thesaurus, the spaCy tagger), kept in the
process for the next run that asks for the same thing.

``cross_validate`` fits a fresh :class:`lic_gpu.api.LicResampler` clone per fold; without this each
fold read the vectors, the thesaurus and the tagger again (15-42 s per fold). Each kind keeps only its
latest entry, so a process holds one set of vectors however many configurations it tries; with
``n_jobs`` each worker process has its own cache and loads each resource once.
:func:`clear_resource_cache` frees them (e.g. in a notebook, before loading other big vectors).

Only the Python API keeps them (:func:`reusing`, around its calls): a command-line run is one run per
process, and reads its files (and their on-disk caches) as it always did.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Hashable, TypeVar

T = TypeVar("T")

_LOADED: dict[str, tuple[Hashable, Any]] = {}
_LOCK = threading.Lock()
# How many times each kind was actually loaded in this process (a cache hit does not count).
LOADS: Counter = Counter()
_REUSE = contextvars.ContextVar("lic_gpu_reuse_resources", default=False)


@contextmanager
def reusing():
    """Within the block, :func:`cached` keeps what it loads for later runs (the Python API's calls)."""
    token = _REUSE.set(True)
    try:
        yield
    finally:
        _REUSE.reset(token)


def cached(kind: str, key: Hashable, load: Callable[[], T]) -> T:
    """The resource of ``kind`` for ``key``: the one loaded before when the key is the same, else
    ``load()`` (which replaces the kind's previous entry). A failed load caches nothing. Outside
    :func:`reusing`, just ``load()``."""
    if not _REUSE.get():
        value = load()
        LOADS[kind] += 1
        return value
    with _LOCK:
        held = _LOADED.get(kind)
        if held is not None and held[0] == key:
            return held[1]
    value = load()
    with _LOCK:
        _LOADED[kind] = (key, value)
        LOADS[kind] += 1
    return value


def clear_resource_cache() -> None:
    """Forget every loaded resource (the next run loads them again)."""
    with _LOCK:
        _LOADED.clear()


def file_key(value: Any) -> Any:
    """``value`` plus, when it names an existing file, the file's size and modification time: a file
    replaced between two runs is loaded again."""
    if isinstance(value, (str, os.PathLike)):
        try:
            st = Path(value).expanduser().stat()
        except (OSError, ValueError):
            return str(value)
        return (str(value), st.st_size, st.st_mtime_ns)
    return value


def frozen(value: Any) -> Hashable:
    """A hashable copy of a config value (dicts and lists inside included)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(frozen(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
