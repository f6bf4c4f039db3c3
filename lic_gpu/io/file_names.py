"""Names that come from the data (emotions, columns) turned into safe file names, and the check that
every path a run writes stays inside its run folder.

The rule (:func:`safe_file_name`), so a name from a user's CSV can never become a path:

- every character that is not a letter, a digit or one of ``- _ . = ,`` (path separators, spaces,
  control characters, ``:*?"<>|``, undecodable bytes ...) becomes ``_``;
- a leading ``.`` becomes ``_`` (no hidden files, no ``.`` or ``..``), and so does a trailing
  ``.`` (Windows drops it);
- an empty name becomes ``_``; a Windows device name (``CON``, ``NUL``, ``COM1`` ...) gets a
  trailing ``_``;
- a name longer than 80 characters is cut to 71 and ends in ``-`` plus 8 hex digits of its SHA-1.

:func:`safe_file_names` applies the rule to a run's names together and resolves collisions,
comparing case-insensitively (macOS and Windows file systems): names the rule leaves unchanged keep
their file name, the others, in order, get ``-2``, ``-3`` ... appended.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from pathlib import Path
from typing import Hashable, Iterable, TypeVar

from lic_gpu.errors import LicGpuError

MAX_NAME = 80
_Name = TypeVar("_Name", bound=Hashable)  # a run's names keep their type as keys (str emotions, int classes)
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)


def safe_file_name(name: object) -> str:
    """The file-name part for ``name`` under the module's rule (the result has no path separator)."""
    text = unicodedata.normalize("NFC", str(name))
    # letters and digits of any script are kept; surrogates (undecodable bytes) are not letters
    safe = "".join(ch if (ch.isalnum() or ch in "-_.=,") and not 0xD800 <= ord(ch) <= 0xDFFF else "_" for ch in text)
    if safe.startswith("."):
        safe = "_" + safe[1:]
    if safe.endswith("."):
        safe = safe[:-1] + "_"
    if not safe:
        safe = "_"
    stem, dot, rest = safe.partition(".")
    if stem.lower() in _WINDOWS_DEVICES:
        safe = f"{stem}_{dot}{rest}"
    if len(safe) > MAX_NAME:
        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        safe = f"{safe[: MAX_NAME - 9]}-{digest}"
    return safe


def safe_file_names(names: Iterable[_Name]) -> dict[_Name, str]:
    """``{name: file name}`` for a run's names, distinct even on a case-insensitive file system."""
    names = list(dict.fromkeys(names))
    base = {n: safe_file_name(n) for n in names}
    out: dict[_Name, str] = {}
    taken: set[str] = set()
    # names that are already safe keep exactly their name; the changed ones yield on a clash
    for n in sorted(names, key=lambda n: base[n] != str(n)):
        candidate, i = base[n], 1
        while candidate.casefold() in taken:
            i += 1
            candidate = f"{base[n]}-{i}"
        taken.add(candidate.casefold())
        out[n] = candidate
    return {n: out[n] for n in names}


def inside(root: str | os.PathLike, relative: str | os.PathLike) -> Path:
    """``root / relative``, refused unless it resolves (symbolic links followed) inside ``root``."""
    rel = Path(relative)
    path = Path(root) / rel
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if rel.is_absolute() or ".." in rel.parts or os.path.commonpath([real_root, real]) != real_root:
        raise LicGpuError(f"refusing to write {str(relative)!r}: it would land outside the run folder {root}")
    return path
