"""The grammar check: only some parts of speech are swapped, in the form the old word had (:class:`Grammar`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable, Sequence

from lic_gpu.errors import LicGpuError
from lic_gpu.validators import check_bool
from lic_gpu.fluency.forms import POS_NAMES, SWAPPABLE_TAGS, Inflector
from lic_gpu.fluency.taggers import TAGGERS, CachedTagger, LexiconTagger, TagCache, load_tagger, use_shared_tag_cache

log = logging.getLogger(__name__)


class Grammar:
    """Tags source sentences and turns a neighbour into the form its position needs.

    Parameters
    ----------
    tagger : SpacyTagger | LexiconTagger
    pos : parts of speech that may be swapped (subset of NOUN, VERB, ADJ, ADV)
    inflect : re-inflect a neighbour of the right part of speech but the wrong form
    cache : TagCache or None (tags of sentences and words kept between runs)
    bare_nouns : also swap singular nouns without a determiner (see :func:`bare_singular_noun`)
    """

    def __init__(
        self,
        tagger,
        pos: Sequence[str] = POS_NAMES,
        inflect: bool = True,
        cache: TagCache | None = None,
        bare_nouns: bool = False,
    ):
        bad = sorted(set(pos) - set(POS_NAMES))
        if bad or not pos:
            raise LicGpuError(f"augment.grammar.pos must be a non-empty subset of {list(POS_NAMES)}; got {list(pos)!r}")
        self.tagger = tagger if isinstance(tagger, LexiconTagger) else CachedTagger(tagger, cache)
        self.pos = frozenset(pos)
        self.inflect = bool(inflect)
        self.bare_nouns = bool(bare_nouns)
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
                word_tags = tags[i]
                assert word_tags is not None  # in context (checked above) every row is tagged
                self._usual[w] = SWAPPABLE_TAGS.get(word_tags[0])

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


# Penn tags that may stand between a noun and its determiner (the big heavy bar, a first-rate job)
_INSIDE_NOUN_PHRASE = frozenset({"JJ", "JJR", "JJS", "NN", "NNS", "NNP", "VBN", "VBG", "RB", "HYPH", "CC", ","})
# what makes a singular noun determined: articles and other determiners, possessives, numbers
_DETERMINERS = frozenset({"DT", "PRP$", "POS", "CD", "WDT", "WP$", "PDT"})


def bare_singular_noun(tags: Sequence[str], pos: int) -> bool:
    """Whether token ``pos`` is a singular common noun (``NN``) with no determiner, possessive or
    number in its noun phrase: ``help with cooking``, ``back to town``, ``after dinner``.

    Such a noun is used as a mass or institutional noun; its vector neighbours are mostly count nouns,
    which need an article there (``help with kitchen``, ``back to village``, ``after meal``). In six
    blind readings of 150 new rows, 28-66 % of these swaps were fluent against 47-76 % of the others
    (``benchmarks/filter_ideas.py``), so they are not swapped unless ``augment.grammar.bare_nouns``.
    """
    if tags[pos] != "NN":
        return False
    j = pos - 1
    while j >= 0 and tags[j] in _INSIDE_NOUN_PHRASE:
        j -= 1
    return j < 0 or tags[j] not in _DETERMINERS


_POSSESSIVE_S = {"'s": "'", "\u2019s": "\u2019", "'S": "'", "\u2019S": "\u2019"}


def possessive_marker(word: str, marker: str) -> str:
    """The possessive ending ``word`` takes, written like ``marker`` (``'s``): a bare apostrophe after a
    plural that ends in s (``women's -> girls'``, not ``girls's``), ``marker`` otherwise."""
    if marker not in _POSSESSIVE_S or not word.lower().endswith("s"):
        return marker
    forms = _inflector().forms(word)
    if ("NOUN", "NNS") in forms and ("NOUN", "NN") not in forms:
        return _POSSESSIVE_S[marker]
    return marker


_INFLECTOR: list[Inflector] = []


def _inflector() -> Inflector:
    if not _INFLECTOR:
        _INFLECTOR.append(Inflector())
    return _INFLECTOR[0]


def indefinite_article(word: str, template: str = "a") -> str:
    """``a`` or ``an`` for ``word`` (by its first sound, with the common exceptions), cased like ``template``."""
    low = word.lower()
    vowel = low[:1] in "aeiou"
    if low.startswith(
        ("uni", "use", "usu", "uti", "eu", "ewe", "one", "once", "ubiq", "ufo", "uku", "ura", "uri", "uro")
    ):
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
    from lic_gpu.io.conf_files import augment_defaults, default_option, with_defaults

    # the quality measure's and the swap score's taggers follow the same switch (also without a grammar)
    use_shared_tag_cache(bool((aug_cfg.get("grammar") or {}).get("tag_cache", True)))
    mode = aug_cfg.get("mode") or default_option("augment", "augment")
    if mode != "diverse":
        return None, {"enabled": False}
    # options left out are the YAML's (conf/augment/diverse.yaml)
    section = with_defaults(augment_defaults(mode)["grammar"], aug_cfg.get("grammar") or {})
    if not section["enabled"]:
        return None, {"enabled": False}
    enabled = section["enabled"]
    check_bool(enabled, "augment.grammar.enabled")
    inflect = section["inflect"]
    check_bool(inflect, "augment.grammar.inflect")
    pos = section["pos"]
    if isinstance(pos, str) or not isinstance(pos, (list, tuple)):
        raise LicGpuError(f"augment.grammar.pos must be a list such as [NOUN, VERB, ADJ, ADV]; got {pos!r}")
    tagger = load_tagger(section["tagger"], section["spacy_model"])
    use_cache = section["tag_cache"]
    cache = None
    if use_cache and not isinstance(tagger, LexiconTagger):
        if cache_dir is None:
            from lic_gpu.vectors.files import default_cache_dir

            cache_dir = default_cache_dir()
        cache = TagCache(Path(cache_dir) / "tags.sqlite")
    bare = section["bare_nouns"]
    check_bool(bare, "augment.grammar.bare_nouns")
    grammar = Grammar(tagger, pos=[str(p).upper() for p in pos], inflect=inflect, cache=cache, bare_nouns=bare)
    return grammar, {
        "enabled": True,
        "tagger": tagger.name,
        "pos": sorted(grammar.pos),
        "inflect": inflect,
        "bare_nouns": bare,
        "tag_cache": str(cache.path) if cache and cache.path else None,
    }


def check_fluency_options(aug_cfg: dict) -> None:
    """Validate ``augment.thesaurus`` and ``grammar`` without loading anything (the command line
    checks the whole config before any work; ``protect``, ``reciprocal`` and ``rare_words`` are
    :class:`lic_gpu.augment.AugmentSettings`'s)."""
    thesaurus = aug_cfg.get("thesaurus")
    if thesaurus not in (None, False, "moby", "none", "null") and not (
        isinstance(thesaurus, str) and Path(thesaurus).expanduser().is_file()
    ):
        raise LicGpuError(f"augment.thesaurus must be moby, null or a thesaurus file; got {thesaurus!r}")
    section = aug_cfg.get("grammar") or {}
    for key in ("enabled", "inflect", "tag_cache", "bare_nouns"):
        if key in section:
            check_bool(section[key], f"augment.grammar.{key}")
    if section.get("tagger", "auto") not in TAGGERS:
        raise LicGpuError(f"augment.grammar.tagger must be one of {list(TAGGERS)}; got {section.get('tagger')!r}")
    pos = section.get("pos", list(POS_NAMES))
    if (
        isinstance(pos, str)
        or not isinstance(pos, (list, tuple))
        or not pos
        or not {str(p).upper() for p in pos} <= set(POS_NAMES)
    ):
        raise LicGpuError(f"augment.grammar.pos must be a non-empty subset of {list(POS_NAMES)}; got {pos!r}")
