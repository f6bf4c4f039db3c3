"""Answers of the word look-ups (lemminflect's lemmas and inflections, the Moby thesaurus's and WordNet's
relations) kept between runs in the tag cache, so a warm run loads neither lemminflect's tables nor the
thesaurus nor WordNet.

Each kind of look-up is an :class:`AnswerBook`: a name with the versions that give its answers (an
answer is used only by the same versions), the answers known in this process, and whether any were
found since it was last written. :func:`attach` reads every book from a
:class:`~lic_gpu.fluency.taggers.TagCache` (its ``answers`` table; the first cache attached in a process
is the one used); :func:`save` writes the books with new answers (the run calls it once its rows are
made). A book is JSON text: reading it runs no code, and an answer that does not decode is asked again.
"""

from __future__ import annotations

import json
from typing import Any, Callable

_SEP = "\x1f"
_BOOKS: list["AnswerBook"] = []
_STORE: list = []  # the attached TagCache (at most one per process)


class AnswerBook:
    """Answers of one kind, keyed by a tuple of strings; ``source()`` names what gave them.

    A book is stored as one JSON object (one parse for all its answers); a stored answer is decoded
    when it is first asked for.
    """

    def __init__(self, name: str, source: Callable[[], str], decode: Callable[[Any], Any]):
        self.name, self._source, self._decode = name, source, decode
        self.known: dict[tuple, Any] = {}
        self.stored: dict[str, Any] = {}  # read from the store, not decoded yet
        self.new: dict[tuple, Any] = {}
        _BOOKS.append(self)

    def source(self) -> str:
        return f"{self.name}: {self._source()}"

    def get(self, key: tuple) -> Any:
        out = self.known.get(key)
        if out is None and self.stored:
            raw = self.stored.pop(_SEP.join(key), None)
            if raw is not None:
                try:
                    out = self.known[key] = self._decode(raw)
                except (ValueError, TypeError, AttributeError):
                    out = None  # asked again
        return out

    def put(self, key: tuple, value: Any) -> Any:
        """Keep ``value`` (a JSON-able answer) for ``key``; returns it."""
        self.known[key] = value
        self.new[key] = value
        return value

    def load(self, text: str) -> None:
        try:
            stored = json.loads(text) if text else {}
        except ValueError:
            return
        if isinstance(stored, dict):
            self.stored = stored

    def dump(self) -> str:
        """Every answer known (stored and found), as the store keeps it."""
        return json.dumps({**self.stored, **{_SEP.join(k): v for k, v in self.known.items()}})


def attach(cache) -> None:
    """Read every book's stored answers from ``cache`` and keep new ones there; see the module docstring."""
    if _STORE or cache is None:
        return
    loaded = {book.name: cache.get_answers(book.source()) for book in _BOOKS}
    if any(text is None for text in loaded.values()):  # the cache is not usable
        return
    _STORE.append(cache)
    for book in _BOOKS:
        book.load(loaded[book.name])


def save() -> None:
    """Write the books that found new answers since the last call to the attached cache (if any)."""
    for book in _BOOKS:
        if book.new and _STORE:
            _STORE[0].put_answers(book.source(), book.dump())
        book.new.clear()


def version(package: str) -> str:
    from importlib import metadata

    try:
        return f"{package} {metadata.version(package)}"
    except metadata.PackageNotFoundError:
        return f"{package} ?"
