"""Answers of the word look-ups (lemminflect's lemmas and inflections, the Moby thesaurus's and WordNet's
relations) kept between runs in the tag cache, so a warm run loads neither lemminflect's tables nor the
thesaurus nor WordNet.

Each kind of look-up is an :class:`AnswerBook`: a name with the versions that give its answers (an
answer is used only by the same versions), the answers known in this process, and whether any were
found since it was last written. :func:`attach` reads every book from a
:class:`~lic_gpu.fluency.taggers.TagCache` (its ``answers`` table; the first cache attached in a process
is the one used); :func:`save` writes the books with new answers (the run calls it once its rows are
made). A book is JSON text: reading it runs no code, and an answer that does not decode is asked again.

A book whose answers hold only for one run's settings (the candidate checks' answers, which depend on the
vectors and the augment options) is a :func:`context_book`: one per settings, each stored apart, read at its
first look-up, so a run reads only the answers of its own settings.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Sequence

_SEP = "\x1f"
_BOOKS: list["AnswerBook"] = []
_STORE: list = []  # the attached TagCache (at most one per process)


class AnswerBook:
    """Answers of one kind, keyed by a tuple of strings; ``source()`` names what gave them.

    A book is stored as one JSON object (one parse for all its answers); a stored answer is decoded
    when it is first asked for.
    """

    def __init__(self, name: str, source: Callable[[], str], decode: Callable[[Any], Any], limit: int | None = None):
        self.name, self._source, self._decode = name, source, decode
        self.limit = limit  # more answers than this: only this process's are written (None: no limit)
        self.known: dict[tuple, Any] = {}
        self.stored: dict[str, Any] = {}  # read from the store, not decoded yet
        self.new: dict[tuple, Any] = {}
        self.read = False  # whether the attached store's answers were read (attach, or the first look-up)
        _BOOKS.append(self)

    def source(self) -> str:
        return f"{self.name}: {self._source()}"

    def get(self, key: tuple) -> Any:
        if not self.read and _STORE:  # made after attach (a context book)
            self.read_from(_STORE[0])
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

    def read_from(self, cache) -> None:
        self.read = True
        self.load(cache.get_answers(self.source()) or "")

    def load(self, text: str) -> None:
        try:
            stored = json.loads(text) if text else {}
        except ValueError:
            return
        if isinstance(stored, dict):
            self.stored = stored

    def dump(self) -> str:
        """Every answer known (stored and found), as the store keeps it; over ``limit``, only the answers
        this process asked for (a book that grew past it starts again from them)."""
        known = {_SEP.join(k): v for k, v in self.known.items()}
        if self.limit is not None and len(self.stored) + len(known) > self.limit:
            return json.dumps(known)
        return json.dumps({**self.stored, **known})


def attach(cache) -> None:
    """Read every book's stored answers from ``cache`` and keep new ones there; see the module docstring."""
    if _STORE or cache is None:
        return
    loaded = [cache.get_answers(book.source()) for book in _BOOKS]
    if any(text is None for text in loaded):  # the cache is not usable
        return
    _STORE.append(cache)
    for book, text in zip(_BOOKS, loaded):
        book.load(text)
        book.read = True


def save() -> None:
    """Write the books that found new answers since the last call to the attached cache (if any)."""
    for book in _BOOKS:
        if book.new and _STORE:
            if not book.read:  # never looked up since attach: keep what the store holds
                book.read_from(_STORE[0])
            _STORE[0].put_answers(book.source(), book.dump())
        book.new.clear()


_CONTEXT_BOOKS: dict[str, AnswerBook] = {}
# A context book holds the answers of every corpus run under its settings; past this many (~8 MB of
# JSON, ~0.1 s to read) it keeps only the last run's, so it never slows a run down by growing.
CONTEXT_BOOK_LIMIT = 150_000


def context_book(name: str, context: str, decode: Callable[[Any], Any]) -> AnswerBook:
    """The book of ``name`` for one ``context`` (a text naming everything its answers depend on, stored as
    the book's source): one object per context in a process, read from the attached cache at its first
    look-up."""
    source = f"{name}: {context}"
    book = _CONTEXT_BOOKS.get(source)
    if book is None:
        book = _CONTEXT_BOOKS[source] = AnswerBook(name, lambda: context, decode, CONTEXT_BOOK_LIMIT)
    return book


def code_digest(packages: Sequence[str], files: Sequence[tuple[str, str]] = ()) -> str:
    """16 hex digits of SHA-256 over the ``.py`` files of ``packages`` and the named ``(package, path)`` files
    (name and bytes of each): part of a book's source, so answers given by other code are never reused."""
    import hashlib
    from importlib import resources

    digest = hashlib.sha256()
    for package in packages:
        for path in sorted(resources.files(package).iterdir(), key=lambda p: p.name):
            if path.name.endswith(".py"):
                digest.update(path.name.encode() + path.read_bytes())
    for package, name in files:
        digest.update(name.encode() + resources.files(package).joinpath(name).read_bytes())
    return digest.hexdigest()[:16]


def version(package: str) -> str:
    from importlib import metadata

    try:
        return f"{package} {metadata.version(package)}"
    except metadata.PackageNotFoundError:
        return f"{package} ?"
