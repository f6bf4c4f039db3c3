"""Answers of the word look-ups (lemminflect's lemmas and inflections, the Moby thesaurus's relations)
kept between runs in the tag cache, so a warm run loads neither lemminflect's tables nor the thesaurus.

Each kind of look-up is an :class:`AnswerBook`: a name with the versions that give its answers (an
answer is used only by the same versions), the answers known in this process, and those found since
they were last written. :func:`attach` reads every book's stored answers from a
:class:`~lic_gpu.fluency.taggers.TagCache` (its ``lexicon`` table; the first cache attached in a process
is the one used); :func:`save` writes the new ones (the run calls it once its rows are made). Answers
are JSON text: reading them runs no code, and one that does not parse is asked again.
"""

from __future__ import annotations

import json
from typing import Any, Callable

_SEP = "\x1f"
_BOOKS: list["AnswerBook"] = []
_STORE: list = []  # the attached TagCache (at most one per process)


class AnswerBook:
    """Answers of one kind, keyed by a tuple of strings; ``source()`` names what gave them."""

    def __init__(self, name: str, source: Callable[[], str], decode: Callable[[Any], Any]):
        self.name, self._source, self._decode = name, source, decode
        self.known: dict[tuple, Any] = {}
        self.new: dict[tuple, Any] = {}
        _BOOKS.append(self)

    def source(self) -> str:
        return f"{self.name}: {self._source()}"

    def get(self, key: tuple) -> Any:
        return self.known.get(key)

    def put(self, key: tuple, value: Any) -> Any:
        """Keep ``value`` (a JSON-able answer) for ``key``; returns it."""
        self.known[key] = value
        self.new[key] = value
        return value

    def load(self, stored: dict[str, str]) -> None:
        for key, text in stored.items():
            try:
                value = self._decode(json.loads(text))
            except (ValueError, TypeError, AttributeError):
                continue  # asked again when needed
            self.known.setdefault(tuple(key.split(_SEP)), value)

    def take_new(self) -> list[tuple[str, str]]:
        out = [(_SEP.join(k), json.dumps(v)) for k, v in self.new.items()]
        self.new.clear()
        return out


def attach(cache) -> None:
    """Read every book's stored answers from ``cache`` and keep new ones there; see the module docstring."""
    if _STORE or cache is None:
        return
    loaded = {book.name: cache.get_lexicon(book.source()) for book in _BOOKS}
    if any(stored is None for stored in loaded.values()):  # the cache is not usable
        return
    _STORE.append(cache)
    for book in _BOOKS:
        book.load(loaded[book.name])


def save() -> None:
    """Write the answers found since the last call to the attached cache (if any)."""
    for book in _BOOKS:
        items = book.take_new()
        if items and _STORE:
            _STORE[0].put_lexicon(book.source(), items)


def version(package: str) -> str:
    from importlib import metadata

    try:
        return f"{package} {metadata.version(package)}"
    except metadata.PackageNotFoundError:
        return f"{package} ?"
