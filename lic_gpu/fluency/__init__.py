"""What a swap may replace, and with which form: protected tokens, parts of speech, inflection.

A new row is only worth training on when it reads as a sentence. Word vectors put a word's
neighbours in any part of speech and form (``job -> getting``, ``laughed -> smile``), put names,
numbers and negations next to ordinary words, and reach deep into rare vocabulary. This module holds
the rules that keep a swap grammatical; the sampler applies them (:mod:`lic_gpu.augment`).

* **Protected tokens** (:func:`protected_reason`) are never replaced and never used as replacements:
  negations and polarity shifters, pronouns, numbers and number words, times and dates, URLs,
  e-mail addresses, @mentions, #hashtags, and anything that is not a plain word (punctuation).
* **Part of speech and form** (:class:`Grammar`): each source sentence is tagged in context (spaCy,
  when an English model is installed); only nouns, verbs, adjectives and adverbs are swapped
  (Penn tags ``NN NNS VB* JJ* RB*``), and a neighbour is used only in the form the old token had in
  its sentence: as it is when it can be that form, else re-inflected from its lemma
  (``laughed -> smiled``, not ``smile``; lemminflect), else refused. A singular noun without a
  determiner (``back to town``) is not swapped (:func:`bare_singular_noun`). Without a tagger, the
  form is taken from lemminflect alone, context-free (weaker; see :class:`LexiconTagger`).
* **a / an** before a replaced word is made to agree with it (:func:`indefinite_article`), and so is
  a possessive after it (``women's -> girls'``, :func:`possessive_marker`).

Modules: :mod:`~lic_gpu.fluency.protected`, :mod:`~lic_gpu.fluency.forms` (lemminflect),
:mod:`~lic_gpu.fluency.thesaurus`, :mod:`~lic_gpu.fluency.taggers` (spaCy, the tag cache) and
:mod:`~lic_gpu.fluency.grammar`; the names below are what the rest of lic_gpu uses.
"""

from lic_gpu.fluency.forms import POS_NAMES, Inflector
from lic_gpu.fluency.grammar import (
    Grammar,
    bare_singular_noun,
    build_grammar,
    check_fluency_options,
    indefinite_article,
    possessive_marker,
)
from lic_gpu.fluency.protected import PROTECTED_CLASSES, protected_reason
from lic_gpu.fluency.taggers import CachedTagger, LexiconTagger, SpacyTagger, TagCache, load_tagger, quality_tagger
from lic_gpu.fluency.thesaurus import THESAURI, Thesaurus, load_thesaurus

__all__ = [
    "POS_NAMES",
    "PROTECTED_CLASSES",
    "THESAURI",
    "CachedTagger",
    "Grammar",
    "Inflector",
    "LexiconTagger",
    "SpacyTagger",
    "TagCache",
    "Thesaurus",
    "bare_singular_noun",
    "build_grammar",
    "check_fluency_options",
    "indefinite_article",
    "load_tagger",
    "load_thesaurus",
    "possessive_marker",
    "protected_reason",
    "quality_tagger",
]
