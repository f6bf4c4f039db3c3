"""The WordNet check: a replacement must share a sense with the old word, or sit next to it, in WordNet.

Word vectors and the Moby thesaurus both relate words that are not substitutes in any sense a reader
would accept: ``thrilled -> happy`` (a weaker emotion: the rating moves), ``fraudulent -> questionable``,
``bread -> flour``, ``view -> notion``. Princeton WordNet 3.0 relates words through their senses; a pair
passes when some sense of one word (or of one of its lemmas) is

* ``synonym``: the same synset as a sense of the other (``sick -> ill``, ``sofa -> couch``);
* ``broader``: a direct hypernym of it, the new word's sense the old one's head (``puppy -> dog``,
  ``supermarket -> store``); for adjectives a similar-to link (WordNet's head-and-satellite clusters:
  ``huge -> big``, ``big -> huge``);
* ``narrower``: a direct hyponym of it (``meeting -> conference``, ``roads -> highways``);
* ``near``: one step by another link: also-see (adjectives), verb group;
* ``sister``: a co-hyponym, sharing a direct hypernym or a similar-to head (``city -> town``,
  ``huge -> massive``, ``laughed -> smiled``);
* ``derived``: a derivational, pertainym or attribute link (``sad -> sadness``).

The relation is directional (``relation("puppy", "dog")`` is ``broader``, the reverse ``narrower``): where a
pair has several, the first of :data:`RELATIONS` counts. The check (:meth:`WordNet.substitute`) lets every
related pair on; in a noun's slot :meth:`WordNet.noun_substitute` also refuses the ``narrower`` and
``sister`` ones (``augment.wordnet: true``; ``related`` leaves nouns as other words). A narrower or sibling
noun says something the source did not: ``cars -> buses``, ``lanes -> roads``, ``dinner -> lunch``,
``meeting -> conference``. On the blind-labelled rows the default kept (score >= 0.75, WordNet-related), the
strict readers called such noun swaps fluent and rating-keeping 52 % (narrower, 92 rows) and 60 % (sister, 222)
of the time, against 79 % for noun synonyms (170) and broader nouns (84) and 74-86 % for adjectives
(``benchmarks/wordnet_relations.py``); a fresh blind reading checks it.

Two steps are not taken: ``car -> vehicle`` (through ``motor_vehicle``) and ``ship -> freighter`` (through
``cargo_ship``) are unrelated here.

On the 5 079 blind-labelled single-swap rows of ``benchmarks/results/quality/`` the pairs WordNet does not relate
were fluent and rating-keeping 58.5 % of the time and label-changing 2.2 % (the related ones: 68-78 % and
0.5-1.1 %); among rows the swap score keeps (>= 0.75) on the readings it was not fitted on: 68.5 % / 5.1 %
against 81.7 % / 0.6 % (``benchmarks/wordnet_relations.py``).

The relations come from the WordNet 3.0 database (Princeton University; the WordNet licence, permissive: its
text is ``lic_gpu/resources/wordnet-3.0-LICENSE.txt``), read from its ``wndb`` data files
(:func:`read_wordnet`: one synset per line, its words and its pointers) and packaged as
``lic_gpu/resources/wordnet-3.0.npz`` (arrays only, read without pickle; 1.8 MB, loaded in ~0.02 s) by
``scripts/build_wordnet.py``. A warm run does not even load that: its answers are kept in the tag cache
(:mod:`lic_gpu.fluency.answer_store`).
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

import lic_gpu.fluency.answer_store as answer_store
from lic_gpu.errors import LicGpuError
from lic_gpu.fluency.forms import Inflector

log = logging.getLogger(__name__)

# the relations a pair (old, new) may have, closest first; RELATED pass the check, NARROWING not in a noun's slot
RELATIONS = ("synonym", "broader", "narrower", "near", "sister", "derived", "unrelated", "unknown")
RELATED = frozenset(RELATIONS[:6])
NARROWING = frozenset({"narrower", "sister"})
# what the answers kept between runs mean (a change of RELATIONS or of _find asks them again)
ANSWERS_VERSION = "relations 2 (directional)"
_FILES = (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r"))
# wndb(5WN) pointer symbols: one step away / the heads of a word's sense / derivational links
_NEAR = frozenset({"&", "^", "$", "@", "@i", "~", "~i"})
_HEADS = frozenset({"@", "@i", "&"})
_DERIVED = frozenset({"+", "\\", "="})
PACKAGED = "wordnet-3.0.npz"
PACKAGED_NAME = "wordnet-3.0"  # summary.json's guard.wordnet
# the arrays of the packaged file: "\n"-joined words (uint8), and four CSR tables (pointer, members) over synsets
_ARRAYS = (
    "words",
    "word_ptr",
    "word_synsets",
    "near_ptr",
    "near",
    "head_ptr",
    "heads",
    "derived_ptr",
    "derived",
    "pos_starts",
)
# synset ids are numbered in the sorted order of "<pos><offset>": adjectives, nouns, adverbs, verbs
_POS_ORDER = ("a", "n", "r", "v")


class WordNetTables:
    """WordNet's words and synset links as integer tables: word -> synsets, synset -> near / heads / derived."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays
        words = bytes(arrays["words"]).decode("utf-8").split("\n") if len(arrays["words"]) else []
        self.index = {w: i for i, w in enumerate(words)}
        self._tables = {
            "senses": (arrays["word_ptr"], arrays["word_synsets"]),
            "near": (arrays["near_ptr"], arrays["near"]),
            "heads": (arrays["head_ptr"], arrays["heads"]),
            "derived": (arrays["derived_ptr"], arrays["derived"]),
        }

    def _row(self, table: str, i: int) -> frozenset[int]:
        ptr, members = self._tables[table]
        return frozenset(members[ptr[i] : ptr[i + 1]].tolist())

    def senses(self, word: str) -> frozenset[int]:
        """The synsets of the lowercase ``word`` (empty when WordNet does not have it)."""
        i = self.index.get(word)
        return frozenset() if i is None else self._row("senses", i)

    def of_pos(self, synsets: frozenset[int], pos: str) -> frozenset[int]:
        """Those of ``synsets`` in part of speech ``pos`` (``a``, ``n``, ``r`` or ``v``)."""
        starts = self.arrays["pos_starts"]
        i = _POS_ORDER.index(pos)
        lo, hi = int(starts[i]), int(starts[i + 1])
        return frozenset(x for x in synsets if lo <= x < hi)

    def links(self, table: str, synsets: frozenset[int]) -> frozenset[int]:
        """The synsets ``table`` (``near``, ``heads`` or ``derived``) links any of ``synsets`` to."""
        out: set[int] = set()
        for s in synsets:
            out |= self._row(table, s)
        return frozenset(out)

    @classmethod
    def from_parsed(cls, senses: dict[str, set[str]], links: dict[str, tuple[set, set, set]]) -> "WordNetTables":
        """Tables from :func:`read_wordnet`'s dicts (synset ids numbered in sorted order)."""
        ids = sorted(links)
        number = {s: i for i, s in enumerate(ids)}
        words = sorted(senses)

        def csr(rows):
            lists = [sorted(number[s] for s in row if s in number) for row in rows]
            ptr = np.zeros(len(lists) + 1, dtype=np.int32)
            ptr[1:] = np.cumsum([len(x) for x in lists])
            return ptr, np.array([x for row in lists for x in row], dtype=np.int32)

        arrays = {"words": np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)}
        firsts = [next((i for i, s in enumerate(ids) if s[0] >= pos), len(ids)) for pos in _POS_ORDER]
        arrays["pos_starts"] = np.array([*firsts, len(ids)], dtype=np.int32)
        arrays["word_ptr"], arrays["word_synsets"] = csr(senses[w] for w in words)
        for name, ptr, k in (("near", "near_ptr", 0), ("heads", "head_ptr", 1), ("derived", "derived_ptr", 2)):
            arrays[ptr], arrays[name] = csr(links[s][k] for s in ids)
        return cls(arrays)

    def save(self, path: Path) -> None:
        arrays: dict[str, Any] = dict(self.arrays)  # numpy's stub types the keyword arguments as its flags
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path) -> "WordNetTables":
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {name: z[name] for name in _ARRAYS}
        except (OSError, ValueError, KeyError) as err:
            raise LicGpuError(f"WordNet tables {path}: not readable ({err}); reinstall lic_gpu") from None
        return cls(arrays)


def read_wordnet(root: Path) -> WordNetTables:
    """The tables of the WordNet database in ``root`` (its ``data.{noun,verb,adj,adv}`` files, the ``wndb``
    format; Unix or Windows line ends). Satellite adjectives (``s``) are adjectives; multiword lemmas
    (``ice_cream``) and the licence header's lines are left out."""
    senses: dict[str, set[str]] = {}
    links: dict[str, tuple[set, set, set]] = {}
    for name, pos in _FILES:
        path = Path(root) / f"data.{name}"
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
                    if any(len(p) != 4 for p in pointers):
                        raise IndexError
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
                links[sid] = (near, heads, derived)
                for word in words:
                    word = word.lower().partition("(")[0]  # adjectives carry a marker: galore(ip)
                    if "_" not in word:
                        senses.setdefault(word, set()).add(sid)
    return WordNetTables.from_parsed(senses, links)


def packaged_path():
    return resources.files("lic_gpu").joinpath(f"resources/{PACKAGED}")


@lru_cache(maxsize=1)
def packaged_version() -> str:
    """``wordnet-3.0.npz <first 12 hex of its SHA-256>``: the answers kept between runs are this file's."""
    try:
        digest = hashlib.sha256(packaged_path().read_bytes()).hexdigest()[:12]
    except OSError:
        digest = "?"
    return f"{PACKAGED} {digest}"


def _kept(value):
    if value not in RELATIONS:
        raise ValueError(f"not a WordNet relation: {value!r}")
    return value


WORDNET_ANSWERS = answer_store.AnswerBook(
    "wordnet relations",
    lambda: f"{packaged_version()}; {answer_store.version('lemminflect')}; {ANSWERS_VERSION}",
    _kept,
)


class WordNet:
    """How WordNet relates two words (:meth:`relation`), and whether one may replace the other.

    Parameters
    ----------
    root : a folder with WordNet's ``data.*`` files (another release, e.g. 3.1); ``None`` = the packaged 3.0 tables
    inflector : gives a word's lemmas (``thrilled -> thrill``); a pair is related when any form of one is
    """

    def __init__(self, root: str | Path | None = None, inflector: Inflector | None = None):
        self._root = None if root is None else Path(root)
        self.name = PACKAGED_NAME if root is None else str(root)
        # the packaged tables' answers are kept between runs; a user's folder is read as it is
        self._book = WORDNET_ANSWERS if root is None else None
        self._data: WordNetTables | None = None
        self.inflector = inflector or Inflector()
        self._relation: dict[tuple[str, ...], str] = {}

    @property
    def tables(self) -> WordNetTables:
        if self._data is None:  # read at the first question whose answer is not kept (a warm run: never)
            self._data = _tables(self._root)
        return self._data

    def senses(self, word: str) -> frozenset[int]:
        """The synsets of ``word`` (lowercase) and of its lemmas."""
        tables = self.tables
        out = set(tables.senses(word))
        for lemmas in self.inflector.lemmas(word).values():
            for lemma in lemmas:
                out |= tables.senses(lemma.lower())
        return frozenset(out)

    def _find(self, a: str, b: str) -> str:
        sa, sb = self.senses(a), self.senses(b)
        if not sa or not sb:
            return "unknown"
        if sa & sb:
            return "synonym"
        t = self.tables
        if t.links("heads", sa) & sb:
            return "broader"
        if t.links("heads", sb) & sa:
            return "narrower"
        if t.links("near", sa) & sb or t.links("near", sb) & sa:
            return "near"
        if t.links("heads", sa) & t.links("heads", sb):
            return "sister"
        if t.links("derived", sa) & sb or t.links("derived", sb) & sa:
            return "derived"
        return "unrelated"

    def relation(self, old: str, new: str) -> str:
        """One of :data:`RELATIONS`: how ``new`` stands to ``old`` (case is ignored)."""
        key = (old.lower(), new.lower())
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

    def synonym(self, old: str, new: str, pos: str) -> bool:
        """Whether the two words (or their lemmas) share a synset of part of speech ``pos`` (``v``: verb, ``r``:
        adverb; the check of a verb's or an adverb's slot): ``shouting -> yelling`` share a verb's,
        ``laughing -> joking`` only a noun's (a laugh, a joke)."""
        if self.relation(old, new) != "synonym":
            return False
        key = (f"S{pos}", old.lower(), new.lower())
        out = self._relation.get(key)
        if out is None:
            kept = self._book.get(key) if self._book is not None else None
            shared = self.senses(key[1]) & self.senses(key[2])
            out = kept or ("synonym" if self.tables.of_pos(shared, pos) else "unrelated")
            if self._book is not None and kept is None:
                self._book.put(key, out)
            self._relation[key] = out
        return out == "synonym"

    def noun_substitute(self, old: str, new: str) -> bool:
        """Whether ``new`` may replace ``old`` in a noun's slot: related, and not narrower nor a sibling."""
        relation = self.relation(old, new)
        return relation in RELATED and relation not in NARROWING


_TABLES: dict[Path | None, WordNetTables] = {}


def _tables(root: Path | None) -> WordNetTables:
    # the augmenter and the benchmarks may each hold a WordNet; the files cannot change while we run
    key = None if root is None else root.resolve()
    if key not in _TABLES:
        if root is None:
            with resources.as_file(packaged_path()) as path:
                _TABLES[key] = WordNetTables.load(path)
        else:
            _TABLES[key] = read_wordnet(root)
    return _TABLES[key]


def check_wordnet(value) -> bool | str:
    """``augment.wordnet``: true (the check, nouns not narrowed), ``related`` (any related pair) or false/null."""
    if value is None:
        return False
    if not (value is True or value is False or value == "related"):
        raise LicGpuError(f"augment.wordnet must be true, related or false; got {value!r}")
    return value


def noun_policy(value) -> str | None:
    """What ``augment.wordnet`` allows in a noun's slot: ``same_or_broader`` (true: no narrower noun, no
    sibling), ``related`` (any related pair, as for other words), or None (no check)."""
    value = check_wordnet(value)
    return None if value is False else "same_or_broader" if value is True else "related"


def verb_policy(value) -> str | None:
    """What ``augment.wordnet`` allows in a verb's or an adverb's slot: ``synonym`` (true: a shared verb or adverb
    synset, no light verb), ``related`` (any related pair), or None (no check)."""
    value = check_wordnet(value)
    return None if value is False else "synonym" if value is True else "related"


def load_wordnet(enabled, inflector: Inflector | None = None) -> WordNet | None:
    """The packaged WordNet 3.0 when ``augment.wordnet`` (:func:`check_wordnet`) asks for the check, else None."""
    if not check_wordnet(enabled):
        return None
    from lic_gpu.io.resource_cache import cached

    return cached("wordnet", "packaged", lambda: WordNet(None, inflector))
