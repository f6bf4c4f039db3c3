"""The candidate checks: a chain of small named tests a (word, neighbour) pair must pass to be a swap.

Each :class:`CandidateCheck` returns its refusal reason, or ``None`` to let the pair on; the first
reason counts (``summary.json``'s ``filters.share_by_outcome``). The order is the chain's:

======================  =======================================================================
check                   refusal reason(s)
======================  =======================================================================
similarity              ``below_min_similarity``: cosine below ``augment.min_similarity``
junk                    ``not_a_word``, ``same_word``, ``stopword`` (:class:`JunkFilter`)
protected               ``protected``: negations, pronouns, numbers ... (``augment.protect``)
rare_word               ``rare_word``: beyond the rare-word floor (``augment.rare_words``)
thesaurus               ``not_in_thesaurus``: not listed as related (``augment.thesaurus``)
wordnet                 ``not_in_wordnet``: no shared or neighbouring sense in WordNet (``augment.wordnet``)
gender                  ``gender``: daughter -> brother would leave a "she" behind
kind                    ``kind``: a sibling body part, a person for an animal
antonym                 ``antonym``: lower -> higher earnings
same lemma              ``same_word``: one lemma in two forms the stem does not join (got -> gotten, laid -> lay)
reciprocal              ``not_reciprocal``: the old word is not among the new one's top-k
form (:class:`FormFit`) ``wrong_form``, ``same_form``, and the junk/protected reasons of the form
slot (:class:`SlotSense`) ``narrower_noun``: in a noun's slot, a narrower or sibling noun in WordNet;
                        ``not_synonym``, ``light_verb``: in a verb's or an adverb's slot, no shared verb (adverb)
                        synset; a light verb (make, take, get)
guards                  the guards' reasons (``rating_lean``, ``lexicon_flip``, ``affect_word``) on the fitted form
======================  =======================================================================
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

import lic_gpu.fluency.answer_store as answer_store
from lic_gpu.augment.settings import RareWords
from lic_gpu.fluency import protected_reason
from lic_gpu.fluency.porter import porter_stem
from lic_gpu.fluency.wordnet import load_wordnet

# A replacement must be one plain word: letters only. An inner hyphen or apostrophe (well-known,
# o'clock) would be split into several tokens when the new sentence is read again.
_PLAIN_WORD_RE = re.compile(r"^[^\W\d_]+$", re.UNICODE)
_NON_WORD_RE = re.compile(r"\W")


def match_case(template: str, word: str) -> str:
    """Give ``word`` the capitalisation of ``template`` (Title, UPPER or as the vectors have it)."""
    if len(template) > 1 and template.isupper():
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class JunkFilter:
    """Refuses replacements that are not a different plain word.

    Reasons: ``not_a_word`` (anything but letters: punctuation, numbers, dotted abbreviations, URLs,
    hyphenated words, phrase tokens with ``_``), ``same_word`` (only case, punctuation or inflection differ, by Porter stem), ``stopword``.
    """

    def __init__(self, stopwords: frozenset[str]):
        self.stopwords = stopwords

    def reason(self, old_core: str, new: str) -> str | None:
        if not _PLAIN_WORD_RE.match(new):
            return "not_a_word"
        low_new, low_old = new.lower(), old_core.lower()
        if low_new == low_old or _NON_WORD_RE.sub("", low_new) == _NON_WORD_RE.sub("", low_old):
            return "same_word"
        # A Porter stem never changes a word's first letter, so most pairs need no stemming.
        if low_new[:1] == low_old[:1] and porter_stem(low_new) == porter_stem(low_old):
            return "same_word"
        if low_new in self.stopwords:
            return "stopword"
        return None


@dataclass(frozen=True)
class Candidate:
    """One (word, neighbour) pair: the class, the old word (edge punctuation stripped), its
    vocabulary row, the neighbour and their cosine."""

    cls: Any
    old: str
    row: int
    new: str
    cosine: float


@dataclass(frozen=True)
class CandidateCheck:
    """A named test: ``test(candidate)`` is the refusal reason, or None when the pair may go on."""

    name: str
    test: Callable[[Candidate], str | None]

    def __call__(self, candidate: Candidate) -> str | None:
        return self.test(candidate)


def first_refusal(checks: Sequence[CandidateCheck], candidate: Candidate) -> str | None:
    """The reason of the first check that refuses ``candidate`` (None: all let it on)."""
    for check in checks:
        reason = check(candidate)
        if reason:
            return reason
    return None


def similarity_check(min_similarity: float) -> CandidateCheck:
    return CandidateCheck("similarity", lambda c: "below_min_similarity" if c.cosine < min_similarity else None)


def junk_check(junk: JunkFilter) -> CandidateCheck:
    return CandidateCheck("junk", lambda c: junk.reason(c.old, c.new))


def protected_check() -> CandidateCheck:
    return CandidateCheck("protected", lambda c: "protected" if protected_reason(c.new) else None)


def rare_word_check(index: dict[str, int], rare: RareWords) -> CandidateCheck:
    def test(c: Candidate) -> str | None:
        rank = index.get(c.new)
        limit = rare.limit(c.row)
        # limit is None only without max_rank_ratio, when this check is not built (cheap_checks)
        return "rare_word" if rank is not None and limit is not None and rank + 1 > limit else None

    return CandidateCheck("rare_word", test)


def thesaurus_check(thesaurus) -> CandidateCheck:
    return CandidateCheck("thesaurus", lambda c: None if thesaurus.substitute(c.old, c.new) else "not_in_thesaurus")


def wordnet_check(wordnet) -> CandidateCheck:
    return CandidateCheck("wordnet", lambda c: None if wordnet.substitute(c.old, c.new) else "not_in_wordnet")


def gender_check(inflector) -> CandidateCheck:
    return CandidateCheck("gender", lambda c: "gender" if inflector.gender(c.old) != inflector.gender(c.new) else None)


def kind_check(inflector) -> CandidateCheck:
    return CandidateCheck("kind", lambda c: "kind" if inflector.not_a_substitute(c.old, c.new) else None)


def antonym_check(inflector) -> CandidateCheck:
    return CandidateCheck("antonym", lambda c: "antonym" if inflector.opposite(c.old, c.new) else None)


def same_lemma_check(inflector) -> CandidateCheck:
    return CandidateCheck("same_lemma", lambda c: "same_word" if inflector.same_lemma(c.old, c.new) else None)


def reciprocal_check(tables, words: Sequence[str]) -> CandidateCheck:
    """``tables``: :class:`lic_gpu.augment.neighbours.NeighbourTables`; ``words``: the vocabulary."""
    return CandidateCheck(
        "reciprocal", lambda c: None if words[c.row] in tables.reverse_of(c.new) else "not_reciprocal"
    )


def guard_check(guard) -> CandidateCheck:
    """A swap guard (:class:`lic_gpu.augment.guard.SwapGuard`) as a check of the fitted form."""
    return CandidateCheck(type(guard).__name__, lambda c: guard(c.cls, c.old, c.new))


def wordnet_of(settings, thesaurus):
    """The WordNet of ``augment.wordnet`` (diverse mode; None when off), sharing the thesaurus's inflector."""
    return load_wordnet(
        settings.wordnet if settings.mode == "diverse" else False, getattr(thesaurus, "inflector", None)
    )


def cheap_checks(settings, junk: JunkFilter, index: dict[str, int], thesaurus, wordnet=None) -> list[CandidateCheck]:
    """The checks that need no part of speech nor a second search: similarity, junk, protected
    tokens, the rare-word floor, the thesaurus and WordNet (those switched on; ``wordnet``: the one
    :func:`wordnet_of` gives, looked up here when not given)."""
    checks = [similarity_check(settings.min_similarity), junk_check(junk)]
    if settings.protect:
        checks.append(protected_check())
    if settings.rare_words.max_rank_ratio is not None:
        checks.append(rare_word_check(index, settings.rare_words))
    if thesaurus is not None:
        checks.append(thesaurus_check(thesaurus))
    if wordnet is None:
        wordnet = wordnet_of(settings, thesaurus)
    if wordnet is not None:
        checks.append(wordnet_check(wordnet))
    return checks


# the word checks' refusal reasons ("" lets the pair on): the only answers a kept book may give
WORD_REASONS = frozenset(
    {"", "below_min_similarity", "not_a_word", "same_word", "stopword", "protected", "rare_word"}
    | {"not_in_thesaurus", "not_in_wordnet", "gender", "kind", "antonym", "not_reciprocal"}
)


def _kept_reason(raw: Any) -> str:
    if raw not in WORD_REASONS:
        raise ValueError(f"not a word check's reason: {raw!r}")
    return raw


def remembered(checks: Sequence[CandidateCheck], name: str = "cheap", context: str | None = None) -> CandidateCheck:
    """``checks`` as one check that answers each (word, row, neighbour) once: for checks that look at
    nothing else (the cheap ones), so the look-ahead (:func:`lic_gpu.augment.neighbours.plausible_replacements`)
    and the chain share their answers.

    ``context``: a text naming everything the answers depend on (:func:`lic_gpu.augment.parts.check_context`);
    given, the answers are also kept between runs in the tag cache (an answer book of that context,
    :func:`lic_gpu.fluency.answer_store.context_book`), so a warm run checks only pairs it has not seen.
    """
    checks = list(checks)
    answers: dict[tuple[str, int, str], str | None] = {}
    book = answer_store.context_book(f"{name} checks", context, _kept_reason) if context else None

    def test(c: Candidate) -> str | None:
        key = (c.old, c.row, c.new)
        try:
            return answers[key]
        except KeyError:
            pass
        if book is None:
            reason = answers[key] = first_refusal(checks, c)
            return reason
        kept_key = (c.old, str(c.row), c.new)
        kept = book.get(kept_key)
        if kept is None:
            kept = book.put(kept_key, first_refusal(checks, c) or "")
        reason = answers[key] = kept or None
        return reason

    return CandidateCheck(name, test)


def word_checks(
    settings,
    junk: JunkFilter,
    store,
    thesaurus,
    grammar,
    tables,
    cheap: CandidateCheck | None = None,
    context: str | None = None,
) -> list[CandidateCheck]:
    """Every check of the neighbour itself, in the chain's order (those switched on); ``cheap``: the
    cheap ones as one :func:`remembered` check (default: built here); ``context`` (the cheap ones'): the
    others' answers are also kept between runs, as one remembered check (the ``k`` neighbours the
    reciprocity check reads are added to the context)."""
    checks = [cheap] if cheap is not None else cheap_checks(settings, junk, store.index, thesaurus)
    rest = []
    if grammar is not None:
        inflector = grammar.inflector
        rest += [
            gender_check(inflector),
            kind_check(inflector),
            antonym_check(inflector),
            same_lemma_check(inflector),
        ]
    if settings.reciprocal:
        rest.append(reciprocal_check(tables, store.words))
    if context and rest:
        names = ",".join(check.name for check in rest)
        return checks + [remembered(rest, "word", f"{context}; {names}; k {settings.k}")]
    return checks + rest


class FormFit:
    """The neighbour in the form the slot needs (``grammar.fit``): ``wrong_form`` when none fits,
    the junk and protected reasons for a re-inflected form, ``same_form`` when two neighbours
    inflect to one word (the closer one is kept)."""

    def __init__(self, grammar, junk: JunkFilter, protect: bool):
        self.grammar, self.junk, self.protect = grammar, junk, protect

    def __call__(self, candidate: Candidate, slot, seen: set[str]) -> tuple[str, str | None]:
        form = self.grammar.fit(candidate.new, slot)
        if form is None:
            return candidate.new, "wrong_form"
        reason = None
        if form != candidate.new.lower():
            reason = self.junk.reason(candidate.old, form) or (
                "protected" if self.protect and protected_reason(form) else None
            )
        if reason is None and form.lower() in seen:
            reason = "same_form"
        return form, reason


# verbs that carry little meaning of their own (make a call, take a walk, get it done): WordNet puts each in
# dozens of synsets, so a "synonym" is rarely one in the sentence at hand
LIGHT_VERBS = frozenset({"be", "have", "do", "make", "get", "give", "take", "go", "come", "put", "set", "let", "keep"})


class SlotSense:
    """What WordNet must find between the old and the new word, by the slot's part of speech
    (``augment.wordnet: true``; every Penn tag the slot allows names it):

    - a noun's slot (``NN*``): ``narrower_noun`` for a replacement only narrower than the old word or a sibling
      of it (:meth:`lic_gpu.fluency.wordnet.WordNet.noun_substitute`): ``cars -> buses``,
      ``meeting -> conference`` say something the source did not;
    - a verb's or an adverb's slot (``VB*``, ``RB*``): ``not_synonym`` unless the two share a verb's (an
      adverb's) synset: ``shouted -> yelled``, ``primarily -> mainly`` pass, ``laughed -> smiled``, ``jumped ->
      climbed`` (siblings, a broader verb) do another thing (:meth:`lic_gpu.fluency.wordnet.WordNet.synonym`);
      ``light_verb`` for the verbs whose meaning is their object's (:data:`LIGHT_VERBS`: ``helped make it
      possible -> give``).
    """

    def __init__(self, wordnet):
        self.wordnet = wordnet

    def __call__(self, candidate: Candidate, slot) -> str | None:
        if not slot:
            return None
        if all(tag.startswith("NN") for tag in slot):
            return None if self.wordnet.noun_substitute(candidate.old, candidate.new) else "narrower_noun"
        verb = all(tag.startswith("VB") for tag in slot)
        if not verb and not all(tag.startswith("RB") for tag in slot):
            return None
        if verb and LIGHT_VERBS.intersection(self.wordnet.inflector.lemmas(candidate.old).get("VERB", ())):
            return "light_verb"
        return None if self.wordnet.synonym(candidate.old, candidate.new, "v" if verb else "r") else "not_synonym"


class CandidateFilter:
    """The whole chain: the word checks, the form the slot needs, the slot's sense check, then the guards on
    that form."""

    def __init__(
        self,
        checks: Sequence[CandidateCheck],
        form_fit: FormFit | None,
        guards: Sequence = (),
        slot_check: SlotSense | None = None,
    ):
        self.checks = list(checks)
        self.form_fit = form_fit
        self.slot_check = slot_check
        self.guard_checks = [guard_check(g) for g in guards]
        # (word, its row, neighbour) -> the word checks' reason: the same pair comes up in every
        # sentence, slot and class the word is in, and the word checks do not depend on those
        self._word_reasons: dict[tuple[str, int, str], str | None] = {}

    def options(self, cls, core: str, row: int, slot, table, refusals: Counter) -> list[tuple[str, float]]:
        """Acceptable replacements of ``core`` (vocabulary row ``row``) in ``cls``, in the form ``slot``
        asks for; every pair's outcome counted in ``refusals``. ``[(replacement, cosine), ...]``, best
        first, cased like ``core``."""
        choices: list[tuple[str, float]] = []
        seen: set[str] = set()
        for new, cos in table.get(row, []):
            candidate = Candidate(cls, core, row, new, cos)
            key = (core, row, new)
            try:
                reason = self._word_reasons[key]
            except KeyError:
                reason = self._word_reasons[key] = first_refusal(self.checks, candidate)
            form = new
            if reason is None and self.form_fit is not None and slot is not None:
                form, reason = self.form_fit(candidate, slot, seen)
            if reason is None and self.slot_check is not None:
                reason = self.slot_check(candidate, slot)
            if reason is None and self.guard_checks:
                reason = first_refusal(self.guard_checks, replace(candidate, new=form))
            if reason:
                refusals[reason] += 1
                continue
            seen.add(form.lower())
            choices.append((match_case(core, form), cos))
        refusals["accepted"] += len(choices)
        return choices
