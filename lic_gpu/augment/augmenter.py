"""The augmenter: the options checked once, the parts built once, and the generator of the mode.

imbalanced-learn's ``fit_resample`` shape: :meth:`LicAugmenter.fit_resample` validates and returns a
new :class:`AugmentResult`; the inputs are never changed. Neighbours of every candidate word come from
one batched ``topk_ids`` call; generation is then table look-ups on the CPU.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Mapping, Sequence

import numpy as np

from lic_gpu.augment.checks import CandidateFilter
from lic_gpu.augment.diverse import DiverseGenerator
from lic_gpu.augment.neighbours import candidate_words, plausible_replacements, slot_words
from lic_gpu.augment.parts import SwapParts
from lic_gpu.augment.positions import Position
from lic_gpu.augment.results import AugmentResult, ClassReport, originals_keys
from lic_gpu.augment.scored import SlotScorer, rescore_with_encoder, with_fluency
from lic_gpu.augment.seed import SeedGenerator
from lic_gpu.augment.settings import OPTION_KEYS, AugmentSettings
from lic_gpu.io.conf_files import FROM_CONFIG, FromConfig, augment_defaults
from lic_gpu.fluency import build_grammar, load_thesaurus
from lic_gpu.augment.guard import SwapGuard, build_guards
from lic_gpu.lic import LicResult
from lic_gpu.augment.strategy import check_sampling_strategy
from lic_gpu.text import Tokenised


def _setting(name: str, doc: str) -> property:
    return property(lambda self: getattr(self.settings, name), doc=doc)


class LicAugmenter:
    """LIC-guided word-swap oversampler.

    Every option left out takes the command line's default: the value in ``conf/augment/<mode>.yaml``
    (the YAML is the one place defaults live), so ``LicAugmenter(store, stopwords)`` augments as
    ``lic-augment`` does, guards, grammar and thesaurus included. The options are checked once into
    :attr:`settings` (:class:`lic_gpu.augment.AugmentSettings`).

    Parameters
    ----------
    store : EmbeddingStore
        Word vectors on their device (see :mod:`lic_gpu.vectors.store`).
    stopwords : frozenset of str
        Tokens whose lowercase form is here are never replaced.
    mode : "seed" | "diverse" (default: the command line's, ``augment: diverse`` in ``conf/augment.yaml``)
        ``seed``: the notebook's rule (:class:`lic_gpu.augment.SeedGenerator`). ``diverse``: up to
        ``max_swaps`` swaps, replacements drawn from the filtered top-``k`` neighbours in the form the
        position needs, no duplicate sentences (:class:`lic_gpu.augment.DiverseGenerator`).
    sampling_strategy : str | float | dict | callable, see :func:`lic_gpu.augment.strategy.check_sampling_strategy`
    k : neighbours fetched per candidate word
    max_swaps : most tokens replaced in one new sentence (diverse)
    min_similarity : a replacement's cosine must be at least this (diverse)
    max_per_source : most new rows made from one source sentence (diverse; None = no limit)
    attempts_per_row : attempt budget = this x rows requested (the notebook used 10)
    guards : :class:`lic_gpu.augment.guard.SwapGuard` objects refusing swaps that would change the rating
        (diverse). Guards given here are the caller's to prepare (``guard.prepare(emotion, lic)``);
        the default ones (``augment.guard``) are built here and prepared by :meth:`fit_resample`.
    grammar : :class:`lic_gpu.fluency.Grammar`, an ``augment.grammar`` mapping, or None
        Parts of speech and inflection (diverse); ``None`` accepts any form (not recommended).
    thesaurus : :class:`lic_gpu.fluency.Thesaurus`, ``"moby"``, a file, or None
        A replacement must be listed as related to the old word (diverse); ``None``: no check.
    wordnet : True: a replacement must share a sense with the old word in WordNet 3.0, or sit one step from
        one, and in a noun's slot be no narrower noun nor a sibling (diverse;
        :class:`lic_gpu.fluency.wordnet.WordNet`, on the packaged WordNet 3.0 tables); ``"related"``: any
        related pair, nouns too; False: no check.
    reciprocal : the old word must also be among the replacement's top-``k`` neighbours (diverse).
        Words that are near everything (hubs) are then no longer everyone's replacement.
    protect : never replace, or replace with, protected tokens (negations, pronouns, numbers, times,
        URLs, e-mails, @mentions, #hashtags, punctuation; :func:`lic_gpu.fluency.protected_reason`), both modes
    max_rank_ratio, free_rank : the rare-word floor (diverse). Vector files list words by frequency,
        so a word's row is its frequency rank; a replacement ranked beyond
        ``max(free_rank, max_rank_ratio x rank of the old word)`` is refused. ``None`` switches it off.
    seed : int, the one source of randomness (default: the command line's ``seed``)
    min_fluency : the learned swap score (:mod:`lic_gpu.augment.scored`) a new row must reach (diverse;
        None: none refused). Diverse mode also ranks each slot's replacements by it and, with a
        threshold, lets every swappable word be a slot (LIC still weights them).
    encoder : re-score the new rows with the swap score's encoder stage on the vectors' device (diverse;
        :func:`lic_gpu.augment.scored.rescore_with_encoder`)
    encoder_min_fluency : the encoder stage drops rows whose re-score is below it (None: none dropped)
    """

    OPTION_KEYS = OPTION_KEYS

    def __init__(
        self,
        store,
        stopwords: frozenset[str],
        mode: str | FromConfig = FROM_CONFIG,
        sampling_strategy: Any = FROM_CONFIG,
        k: int | FromConfig = FROM_CONFIG,
        max_swaps: int | FromConfig = FROM_CONFIG,
        min_similarity: float | FromConfig = FROM_CONFIG,
        max_per_source: int | None | FromConfig = FROM_CONFIG,
        attempts_per_row: int | FromConfig = FROM_CONFIG,
        guards: Sequence[SwapGuard] | FromConfig = FROM_CONFIG,
        grammar=FROM_CONFIG,
        thesaurus=FROM_CONFIG,
        wordnet: bool | str | FromConfig = FROM_CONFIG,
        reciprocal: bool | FromConfig = FROM_CONFIG,
        protect: bool | FromConfig = FROM_CONFIG,
        max_rank_ratio: float | None | FromConfig = FROM_CONFIG,
        free_rank: int | FromConfig = FROM_CONFIG,
        seed: int | FromConfig = FROM_CONFIG,
        progress: bool | None = None,
        min_fluency: float | None | FromConfig = FROM_CONFIG,
        encoder: bool | FromConfig = FROM_CONFIG,
        encoder_min_fluency: float | None | FromConfig = FROM_CONFIG,
    ):
        given = {
            "mode": mode,
            "sampling_strategy": sampling_strategy,
            "k": k,
            "max_swaps": max_swaps,
            "min_similarity": min_similarity,
            "max_per_source": max_per_source,
            "attempts_per_row": attempts_per_row,
            "reciprocal": reciprocal,
            "wordnet": wordnet,
            "protect": protect,
            "min_fluency": min_fluency,
            "encoder": encoder,
            "encoder_min_fluency": encoder_min_fluency,
            "rare_words": {"max_rank_ratio": max_rank_ratio, "free_rank": free_rank},
        }
        given["rare_words"] = {n: v for n, v in given["rare_words"].items() if v is not FROM_CONFIG}
        settings = AugmentSettings.from_options({n: v for n, v in given.items() if v is not FROM_CONFIG}, seed)
        self._setup(settings, store, stopwords, guards, grammar, thesaurus, progress)

    def _setup(
        self,
        settings: AugmentSettings,
        store,
        stopwords: frozenset[str],
        guards,
        grammar,
        thesaurus,
        progress: bool | None,
    ) -> None:
        self.settings = settings
        # the default guards, grammar and thesaurus are the command line's, built as the pipeline builds them
        conf = augment_defaults(settings.mode)
        self._own_guards = guards is FROM_CONFIG
        self.guards = list(build_guards(conf, store=store, stopwords=stopwords)[0] if self._own_guards else guards)
        if grammar is FROM_CONFIG or isinstance(grammar, Mapping):
            grammar = build_grammar(conf if grammar is FROM_CONFIG else {**conf, "grammar": grammar})[0]
        if thesaurus is FROM_CONFIG:
            thesaurus = settings.thesaurus if settings.mode == "diverse" else None
        if thesaurus is None or isinstance(thesaurus, (str, os.PathLike)):
            thesaurus = load_thesaurus(
                str(thesaurus) if isinstance(thesaurus, os.PathLike) else thesaurus,
                grammar.inflector if grammar else None,
            )
        self.parts = SwapParts(store, stopwords, settings, grammar, thesaurus, progress)
        self.progress = progress

    @classmethod
    def from_options(
        cls,
        options: Mapping[str, Any],
        store,
        stopwords: frozenset[str],
        guards: Sequence = (),
        grammar=None,
        thesaurus=None,
        seed: int | FromConfig = FROM_CONFIG,
        progress: bool | None = None,
        **overrides,
    ) -> "LicAugmenter":
        """Build from the ``augment`` config group as a plain mapping, over the YAML defaults of its
        mode (keys it leaves out are the command line's; ``guard``, ``grammar`` and ``thesaurus`` are
        the objects given here, built by the caller; ``overrides`` win over ``options``)."""
        settings = AugmentSettings.from_options(options, seed)
        return cls.from_settings(
            settings,
            store,
            stopwords,
            guards=guards,
            grammar=grammar,
            thesaurus=thesaurus,
            progress=progress,
            **overrides,
        )

    @classmethod
    def from_settings(
        cls,
        settings: AugmentSettings,
        store,
        stopwords: frozenset[str],
        guards: Sequence = (),
        grammar=None,
        thesaurus=None,
        progress: bool | None = None,
        **overrides,
    ) -> "LicAugmenter":
        """Build from checked :class:`AugmentSettings` (``overrides``: options that win over them)."""
        if overrides:  # options that win over the settings: checked with them, once more
            settings = AugmentSettings.from_options(settings.as_options() | overrides, settings.seed)
        augmenter = cls.__new__(cls)
        augmenter._setup(settings, store, stopwords, list(guards), grammar, thesaurus, progress)
        return augmenter

    # -- the options and parts, read-only

    mode = _setting("mode", "``seed`` or ``diverse``")
    sampling_strategy = _setting("sampling_strategy", "the class targets")
    k = _setting("k", "neighbours fetched per candidate word")
    max_swaps = _setting("max_swaps", "most swaps in one new row")
    min_similarity = _setting("min_similarity", "the lowest cosine of a replacement")
    max_per_source = _setting("max_per_source", "most new rows from one source (None: no limit)")
    attempts_per_row = _setting("attempts_per_row", "attempt budget per requested row")
    protect = _setting("protect", "protected tokens are never swapped")
    reciprocal = _setting("reciprocal", "the reciprocity check is on")
    wordnet = _setting("wordnet", "the WordNet relation check: True, 'related' or False (diverse)")
    seed = _setting("seed", "the one source of randomness")

    @property
    def max_rank_ratio(self) -> float | None:
        return self.settings.rare_words.max_rank_ratio

    @property
    def free_rank(self) -> int:
        return self.settings.rare_words.free_rank

    @property
    def store(self):
        return self.parts.store

    @property
    def stopwords(self) -> frozenset[str]:
        return self.parts.stopwords

    @property
    def grammar(self):
        return self.parts.grammar

    @property
    def thesaurus(self):
        return self.parts.thesaurus

    @property
    def junk(self):
        return self.parts.junk

    @property
    def neighbour_cache(self):
        return self.parts.tables.cache

    @property
    def neighbour_rows_searched(self) -> int:
        return self.parts.tables.rows_searched

    @property
    def neighbour_rows_from_cache(self) -> int:
        return self.parts.tables.rows_from_cache

    # -- the public parts the evaluation's ablation builds on

    def is_source_word(self, core: str) -> bool:
        """Whether ``core`` may ever be replaced (see :meth:`SwapParts.is_source_word`)."""
        return self.parts.is_source_word(core)

    def neighbour_table(self, rows) -> dict[int, list[tuple[str, float]]]:
        """Vocabulary row -> its top-``k`` ``[(neighbour, cosine), ...]``, all new rows in one search."""
        return self.parts.tables.table(rows)

    def tag_sources(self, rows: Mapping[int, Sequence[str]]) -> dict[int, Any]:
        """Row id -> Penn tags of its tokens (empty without a grammar)."""
        return self.parts.tag_sources(rows)

    def candidate_filter(self, guards: Sequence | None = None) -> CandidateFilter:
        """The chain of candidate checks, with ``guards`` (default: this augmenter's) last."""
        return self.parts.candidate_filter(self.guards if guards is None else guards)

    def swap_options(self, cls, core: str, slot, table, refusals: Counter) -> list[tuple[str, float]]:
        """Acceptable replacements of ``core`` in ``cls``, in the form ``slot`` asks for, best first
        (:mod:`lic_gpu.augment.checks` lists the checks and their refusal reasons)."""
        return self.parts.swap_options(cls, core, slot, table, refusals, self.candidate_filter())

    def candidate_positions(
        self,
        cls,
        tokens,
        tags,
        table,
        refusals: Counter,
        cache: dict,
        lic: LicResult | None = None,
        skipped: Counter | None = None,
    ) -> list[Position]:
        """The positions of ``tokens`` a swap may take in class ``cls``, each with its replacements
        (see :meth:`SwapParts.candidate_positions`)."""
        return self.parts.candidate_positions(
            cls, tokens, tags, table, refusals, cache, self.candidate_filter(), lic=lic, skipped=skipped
        )

    # -- the job

    def fit_resample(
        self,
        word_dict: Mapping[Any, Sequence[tuple[Sequence[str], int]]],
        lic: LicResult,
        tokenised: Mapping[int, Tokenised] | Sequence[Tokenised] | None = None,
        avoid: set[str] | None = None,
        emotion: str = "emotion",
        guards: Sequence[SwapGuard] | None = None,
    ) -> AugmentResult:
        """Generate rows for every class that needs them.

        Parameters
        ----------
        word_dict : class -> [(tokens, row_id), ...]
        lic : LIC of the same word dict
        tokenised : row_id -> Tokenised, to rebuild sentences with their original spacing
            (default: tokens joined by one space, as the notebook did)
        avoid : :func:`dedup_key` of sentences no new row may equal (diverse). Default: every
            sentence of ``tokenised`` (or of ``word_dict``). A given set is extended with the new
            rows, so one set passed to several calls keeps all of their rows distinct.
        emotion : the name the default guards (built here, not given) record their statistics under
        guards : the guards of this call (default: this augmenter's)

        Returns
        -------
        AugmentResult (the inputs are not changed)
        """
        guards = self.guards if guards is None else list(guards)
        sizes = {c: len(v) for c, v in word_dict.items()}
        requested = check_sampling_strategy(self.settings.sampling_strategy, sizes)
        if self._own_guards:
            for guard in guards:
                guard.prepare(emotion, lic)
        reports = {c: ClassReport(before=sizes[c], requested=requested[c]) for c in word_dict}
        result = AugmentResult(rows=[], classes=reports)
        tags: dict[int, Any] = {}
        if self.settings.mode == "diverse" and self.parts.grammar is not None:
            table, tags = self._table_and_tags(word_dict, lic, requested, guards, result)
        else:
            t0 = time.perf_counter()
            table = self._candidate_table(word_dict, lic, requested, result)
            result.timings_s["neighbours"] = time.perf_counter() - t0
        existing: set[str] = set()  # the keys diverse rows must not repeat (seed mode does not look)
        if self.settings.mode == "diverse":
            tags = self._prefetch(word_dict, lic, requested, table, guards, result, tags)
            existing = originals_keys(word_dict, tokenised) if avoid is None else avoid
            generator = DiverseGenerator(self.parts, self.candidate_filter(guards), SlotScorer())
        t0 = time.perf_counter()
        for ci, (cls, samples) in enumerate(word_dict.items()):
            if requested[cls] <= 0:
                continue
            rng = np.random.default_rng([self.settings.seed, ci])
            if self.settings.mode == "seed":
                rows = SeedGenerator(self.parts).generate(
                    cls, samples, requested[cls], lic, table, rng, reports[cls], tokenised
                )
            else:
                rows = generator.generate(
                    cls, samples, requested[cls], lic, table, rng, reports[cls], tokenised, result, tags, existing
                )
            reports[cls].generated = len(rows)
            result.rows.extend(rows)
        result.timings_s["generate"] = time.perf_counter() - t0
        device = self.parts.store.device
        if self.settings.mode == "seed" and result.rows:
            t0 = time.perf_counter()
            result.rows = with_fluency(result.rows, word_dict, tokenised, self.settings.encoder, device)
            result.timings_s["fluency"] = time.perf_counter() - t0
        elif self.settings.encoder:
            t0 = time.perf_counter()
            rescore_with_encoder(result, word_dict, tokenised, self.settings.encoder_min_fluency, device)
            result.timings_s["encoder"] = time.perf_counter() - t0
        return result

    @property
    def _any_lic(self) -> bool:
        """Whether every swappable word is a slot (diverse mode with a min_fluency: the score guards them)."""
        return self.settings.mode == "diverse" and self.settings.min_fluency is not None

    def _candidate_table(self, word_dict, lic: LicResult, requested, result: AugmentResult):
        """Vocabulary row -> [(neighbour, cosine), ...] for every candidate word, from one search."""
        parts = self.parts
        candidates = candidate_words(
            word_dict, lic, requested, parts.stopwords, parts.core_of, parts.is_source_word, any_lic=self._any_lic
        )
        ids = {w: parts.lookup(w) for w in sorted(candidates)}
        found = sorted({i for i in ids.values() if i is not None})
        result.n_candidate_words = len(candidates)
        result.n_candidate_words_in_vocab = sum(i is not None for i in ids.values())
        result.n_candidate_rows = len(found)
        searched, cached = parts.tables.rows_searched, parts.tables.rows_from_cache
        table = parts.tables.table(found)
        result.neighbours_searched = parts.tables.rows_searched - searched
        result.neighbours_from_cache = parts.tables.rows_from_cache - cached
        return table

    def _table_and_tags(self, word_dict, lic: LicResult, requested, guards, result: AugmentResult):
        """The candidate table (and the guards' look-ups of its words) and the sources' tags, at the
        same time: the searches run in a worker thread (torch's matmuls release the GIL) while this
        thread tags the sources (spaCy keeps to this thread). Neither needs the other; on a cold run
        each takes seconds. Returns the table and the tags.

        ``timings_s`` keeps each one's own seconds (``neighbours``, ``guard_prefetch``, ``tag``) and,
        as ``overlap``, the seconds they ran side by side (so the stages still add up to the wall clock).
        """
        rows = {row: tokens for cls, samples in word_dict.items() if requested[cls] > 0 for tokens, row in samples}

        def search():
            t = time.perf_counter()
            table = self._candidate_table(word_dict, lic, requested, result)
            seconds = time.perf_counter() - t
            self._prefetch_guards(table, guards, result)  # pure torch: safe beside the tagger
            return table, seconds + result.timings_s["guard_prefetch"]

        t0 = time.perf_counter()
        pool = ThreadPoolExecutor(1, thread_name_prefix="lic-gpu-search")
        try:
            future = pool.submit(search)
            tags = self.parts.tag_sources(rows)
            tag_s = time.perf_counter() - t0
            table, search_s = future.result()
        finally:
            # on an error here (or Ctrl-C) the search is not waited for: the process is on its way out
            pool.shutdown(wait=False, cancel_futures=True)
        both = time.perf_counter() - t0
        result.timings_s["neighbours"] = search_s - result.timings_s["guard_prefetch"]
        result.timings_s["tag"] = tag_s
        result.timings_s["overlap"] = max(search_s + tag_s - both, 0.0)
        return table, tags

    @staticmethod
    def _prefetch_guards(table, guards, result: AugmentResult) -> None:
        """The guards' look-ups of every neighbour in ``table``: one batched search instead of one per new word."""
        t0 = time.perf_counter()
        words = {w for nbrs in table.values() for w, _ in nbrs}
        for guard in guards:
            guard.prefetch(words)
        result.timings_s["guard_prefetch"] = time.perf_counter() - t0

    def _prefetch(
        self, word_dict, lic: LicResult, requested, table, guards, result: AugmentResult, tags: dict[int, Any]
    ) -> dict[int, Any]:
        """Diverse mode's look-ups ahead, each one batched: the guards' words, the sources' tags (unless
        given), the plausible replacements' parts of speech and their own neighbours. Returns the tags."""
        parts, settings = self.parts, self.settings
        if "guard_prefetch" not in result.timings_s:
            self._prefetch_guards(table, guards, result)
        cheap = [parts.cheap_check()]
        if parts.grammar is not None:
            t0 = time.perf_counter()
            if not tags:
                tags = parts.tag_sources(
                    {row: tokens for cls, samples in word_dict.items() if requested[cls] > 0 for tokens, row in samples}
                )
            only = slot_words(word_dict, requested, lic, tags, parts.grammar, parts.is_source_word, self._any_lic)
            plausible = plausible_replacements(table, parts.store.words, cheap, only)
            parts.grammar.prefetch(plausible)
            result.timings_s["tag"] = result.timings_s.get("tag", 0.0) + time.perf_counter() - t0
        else:
            plausible = plausible_replacements(table, parts.store.words, cheap) if settings.reciprocal else set()
        if settings.reciprocal:
            t0 = time.perf_counter()
            parts.tables.add_reverse(plausible)
            result.timings_s["reverse_neighbours"] = time.perf_counter() - t0
        return tags
