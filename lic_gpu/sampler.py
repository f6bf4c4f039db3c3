"""Make new, label-consistent sentences for the classes that need rows.

imbalanced-learn's ``fit_resample`` shape: :meth:`LicAugmenter.fit_resample` validates and returns a
new :class:`AugmentResult`; the inputs are never changed. Neighbours of every candidate word come from
one batched ``topk_ids`` call; generation is then table look-ups on the CPU.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from lic_gpu.conf_files import FROM_CONFIG, augment_defaults, primary_default, with_defaults
from lic_gpu.errors import LicGpuError
from lic_gpu.fluency import (bare_singular_noun, build_grammar, indefinite_article, load_thesaurus,
                             protected_reason)
from lic_gpu.guard import SwapGuard, build_guards
from lic_gpu.lic import LicResult
from lic_gpu.neighbour_cache import NeighbourCache
from lic_gpu.porter import porter_stem
from lic_gpu.strategy import check_sampling_strategy  # noqa: F401  (re-exported)
from lic_gpu.text import Tokenised, split_edge_punctuation
from lic_gpu.weighted_draw import WeightedDraw

log = logging.getLogger(__name__)

MODES = ("seed", "diverse")

# Source sentences drawn per numpy call in seed mode.
_DRAW_BATCH = 4096
# A class asked for at least this many rows shows a progress bar (updated every 4096 attempts).
_PROGRESS_ROWS = 50_000

# One encoder for every row's swaps column (``json.dumps(..., ensure_ascii=False)`` builds a new one per call).
_JSON = json.JSONEncoder(ensure_ascii=False)

# A replacement must be one plain word: letters only. An inner hyphen or apostrophe (well-known,
# o'clock) would be split into several tokens when the new sentence is read again.
_PLAIN_WORD_RE = re.compile(r"^[^\W\d_]+$", re.UNICODE)
_NON_WORD_RE = re.compile(r"\W")


# ---------------------------------------------------------------- validation

def check_mode(mode: str) -> str:
    """Validate ``augment.mode``."""
    if mode not in MODES:
        raise LicGpuError(f"augment.mode must be one of {list(MODES)}; got {mode!r}")
    return mode


def _positive_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1


def check_options(k: Any = 10, max_swaps: Any = 2, min_similarity: Any = 0.5, max_per_source: Any = None,
                  attempts_per_row: Any = 10) -> None:
    """Validate the ``augment`` options of :class:`LicAugmenter` (also before any work is done)."""
    if not _positive_int(k):
        raise LicGpuError(f"augment.k must be a positive integer; got {k!r}")
    if not _positive_int(max_swaps):
        raise LicGpuError(f"augment.max_swaps must be a positive integer; got {max_swaps!r}")
    if (isinstance(min_similarity, bool) or not isinstance(min_similarity, (int, float))
            or not -1.0 <= float(min_similarity) <= 1.0):
        raise LicGpuError(f"augment.min_similarity must be a number in [-1, 1]; got {min_similarity!r}")
    if max_per_source is not None and not _positive_int(max_per_source):
        raise LicGpuError(f"augment.max_per_source must be a positive integer or null; got {max_per_source!r}")
    if not _positive_int(attempts_per_row):
        raise LicGpuError(f"augment.attempts_per_row must be a positive integer; got {attempts_per_row!r}")


# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class Swap:
    """One replaced token: position in the token list, old and new token, cosine, LIC of the old word."""

    pos: int
    old: str
    new: str
    cosine: float
    lic: float
    kind: str = "swap"  # or "agreement": an article made to agree with a swapped word (a -> an)

    def as_dict(self) -> dict:
        out = {"pos": self.pos, "old": self.old, "new": self.new,
               "cosine": round(self.cosine, 6), "lic": round(self.lic, 6)}
        if self.kind != "swap":
            out["kind"] = self.kind
        return out


@dataclass(frozen=True)
class NewRow:
    """A generated sentence, its class, the row it was made from and the swaps that made it."""

    cls: Any
    source_row: int
    text: str
    swaps: tuple[Swap, ...]

    def swaps_json(self) -> str:
        return _JSON.encode([s.as_dict() for s in self.swaps])


@dataclass
class ClassReport:
    """Per class: sentences before, rows requested and generated, attempts, and why it fell short."""

    before: int
    requested: int
    generated: int = 0
    attempts: int = 0
    sources_with_candidates: int = 0
    shortfall_reason: str = ""

    @property
    def fill_rate(self) -> float:
        return 1.0 if self.requested == 0 else self.generated / self.requested

    def as_dict(self) -> dict:
        return {"before": self.before, "requested": self.requested, "generated": self.generated,
                "fill_rate": round(self.fill_rate, 4), "attempts": self.attempts,
                "sources_with_candidates": self.sources_with_candidates,
                "shortfall_reason": self.shortfall_reason}


@dataclass
class AugmentResult:
    """What :meth:`LicAugmenter.fit_resample` made."""

    rows: list[NewRow]
    classes: dict[Any, ClassReport]
    refusals: Counter = field(default_factory=Counter)
    skipped_positions: Counter = field(default_factory=Counter)  # source tokens never swapped, by reason
    n_candidate_words: int = 0
    n_candidate_words_in_vocab: int = 0
    neighbours_searched: int = 0  # candidate words whose neighbours this call searched for
    neighbours_from_cache: int = 0  # ... and those read from the on-disk neighbour cache
    timings_s: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- the filters

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


# ---------------------------------------------------------------- the augmenter

@dataclass
class _Position:
    pos: int
    pre: str
    core: str
    post: str
    lic: float
    choices: list[tuple[str, float]]  # (replacement in the form this position needs, cosine), best first


class LicAugmenter:
    """LIC-guided word-swap oversampler.

    Every option left out takes the command line's default: the value in ``conf/augment/<mode>.yaml``
    (the YAML is the one place defaults live), so ``LicAugmenter(store, stopwords)`` augments as
    ``lic-augment`` does, guards, grammar and thesaurus included.

    Parameters
    ----------
    store : EmbeddingStore
        Word vectors on their device (see :mod:`lic_gpu.embeddings`).
    stopwords : frozenset of str
        Tokens whose lowercase form is here are never replaced.
    mode : "seed" | "diverse" (default: the command line's, ``augment: diverse`` in ``conf/augment.yaml``)
        ``seed``: the notebook's rule (one swap: the source's highest positive-LIC token not used
        before, exact vocabulary look-up, top-1 neighbour). ``diverse``: up to ``max_swaps`` swaps,
        replacements drawn from the filtered top-``k`` neighbours in the form the position needs,
        no duplicate sentences.
    sampling_strategy : str | float | dict | callable, see :func:`lic_gpu.strategy.check_sampling_strategy`
    k : neighbours fetched per candidate word
    max_swaps : most tokens replaced in one new sentence (diverse)
    min_similarity : a replacement's cosine must be at least this (diverse)
    max_per_source : most new rows made from one source sentence (diverse; None = no limit)
    attempts_per_row : attempt budget = this x rows requested (the notebook used 10)
    guards : :class:`lic_gpu.guard.SwapGuard` objects refusing swaps that would change the rating
        (diverse). Guards given here are the caller's to prepare (``guard.prepare(emotion, lic)``);
        the default ones (``augment.guard``) are built here and prepared by :meth:`fit_resample`.
    grammar : :class:`lic_gpu.fluency.Grammar`, an ``augment.grammar`` mapping, or None
        Parts of speech and inflection (diverse); ``None`` accepts any form (not recommended).
    thesaurus : :class:`lic_gpu.fluency.Thesaurus`, ``"moby"``, a file, or None
        A replacement must be listed as related to the old word (diverse); ``None``: no check.
    reciprocal : the old word must also be among the replacement's top-``k`` neighbours (diverse).
        Words that are near everything (hubs) are then no longer everyone's replacement.
    protect : never replace, or replace with, protected tokens (negations, pronouns, numbers, times,
        URLs, e-mails, @mentions, #hashtags, punctuation; :func:`lic_gpu.fluency.protected_reason`), both modes
    max_rank_ratio, free_rank : the rare-word floor (diverse). Vector files list words by frequency,
        so a word's row is its frequency rank; a replacement ranked beyond
        ``max(free_rank, max_rank_ratio x rank of the old word)`` is refused. ``None`` switches it off.
    seed : int, the one source of randomness (default: the command line's ``seed``)
    """

    def __init__(self, store, stopwords: frozenset[str], mode: str = FROM_CONFIG, sampling_strategy: Any = FROM_CONFIG,
                 k: int = FROM_CONFIG, max_swaps: int = FROM_CONFIG, min_similarity: float = FROM_CONFIG,
                 max_per_source: int | None = FROM_CONFIG, attempts_per_row: int = FROM_CONFIG,
                 guards: Sequence[SwapGuard] = FROM_CONFIG, grammar=FROM_CONFIG, thesaurus=FROM_CONFIG,
                 reciprocal: bool = FROM_CONFIG, protect: bool = FROM_CONFIG,
                 max_rank_ratio: float | None = FROM_CONFIG, free_rank: int = FROM_CONFIG,
                 seed: int = FROM_CONFIG, progress: bool | None = None):
        conf = augment_defaults(None if mode is FROM_CONFIG else check_mode(mode))
        rare = conf["rare_words"]

        def given(value, default):
            return default if value is FROM_CONFIG else value

        mode = conf["mode"]
        sampling_strategy = given(sampling_strategy, conf["sampling_strategy"])
        k, max_swaps = given(k, conf["k"]), given(max_swaps, conf["max_swaps"])
        min_similarity = given(min_similarity, conf["min_similarity"])
        max_per_source = given(max_per_source, conf["max_per_source"])
        attempts_per_row = given(attempts_per_row, conf["attempts_per_row"])
        reciprocal, protect = given(reciprocal, conf["reciprocal"]), given(protect, conf["protect"])
        max_rank_ratio = given(max_rank_ratio, rare["max_rank_ratio"])
        free_rank = given(free_rank, rare["free_rank"])
        seed = given(seed, primary_default("augment", "seed"))
        self.store = store
        self.stopwords = stopwords
        self.mode = check_mode(mode)
        self.sampling_strategy = sampling_strategy
        check_options(k, max_swaps, min_similarity, max_per_source, attempts_per_row)
        if not isinstance(protect, bool):
            raise LicGpuError(f"augment.protect must be true or false; got {protect!r}")
        if max_rank_ratio is not None and (isinstance(max_rank_ratio, bool) or not isinstance(max_rank_ratio, (int, float))
                                           or not max_rank_ratio >= 1):
            raise LicGpuError(f"augment.rare_words.max_rank_ratio must be a number >= 1 or null; got {max_rank_ratio!r}")
        if isinstance(free_rank, bool) or not isinstance(free_rank, int) or free_rank < 0:
            raise LicGpuError(f"augment.rare_words.free_rank must be a non-negative integer; got {free_rank!r}")
        self.k, self.max_swaps, self.min_similarity = k, max_swaps, float(min_similarity)
        self.max_per_source, self.attempts_per_row = max_per_source, attempts_per_row
        # the default guards, grammar and thesaurus are the command line's, built as the pipeline builds them
        self._own_guards = guards is FROM_CONFIG
        self.guards = list(build_guards(conf, store=store, stopwords=stopwords)[0] if self._own_guards else guards)
        if grammar is FROM_CONFIG or isinstance(grammar, Mapping):
            grammar = build_grammar(conf if grammar is FROM_CONFIG else {**conf, "grammar": grammar})[0]
        self.grammar = grammar
        if thesaurus is FROM_CONFIG:
            thesaurus = conf["thesaurus"] if self.mode == "diverse" else None
        if thesaurus is None or isinstance(thesaurus, (str, os.PathLike)):
            thesaurus = load_thesaurus(str(thesaurus) if isinstance(thesaurus, os.PathLike) else thesaurus,
                                       grammar.inflector if grammar else None)
        self.thesaurus = thesaurus
        if not isinstance(reciprocal, bool):
            raise LicGpuError(f"augment.reciprocal must be true or false; got {reciprocal!r}")
        self.reciprocal = reciprocal
        self._reverse: dict[int, frozenset[str]] = {}
        self.protect = protect
        self.max_rank_ratio, self.free_rank = max_rank_ratio, free_rank
        self.seed = int(seed)
        self.progress = progress
        self.junk = JunkFilter(stopwords)
        self._neighbours: dict[int, list[tuple[str, float]]] = {}  # row -> top-k, shared across calls
        # rows searched by earlier runs on the same vectors, when the store keeps them on disk
        self.neighbour_cache = NeighbourCache.for_store(store, min(k, len(store) - 1)) if len(store) > 1 else None
        self.neighbour_rows_searched = self.neighbour_rows_from_cache = 0

    OPTION_KEYS = ("sampling_strategy", "k", "max_swaps", "min_similarity", "max_per_source", "attempts_per_row",
                   "protect", "reciprocal")

    @classmethod
    def from_options(cls, options: Mapping[str, Any], store, stopwords: frozenset[str], guards: Sequence = (),
                     grammar=None, thesaurus=None, seed: int = FROM_CONFIG, progress: bool | None = None,
                     **overrides) -> "LicAugmenter":
        """Build from the ``augment`` config group as a plain mapping, over the YAML defaults of its
        mode (keys it leaves out are the command line's; ``guard``, ``grammar`` and ``thesaurus`` are
        the objects given here, built by the caller; ``overrides`` win over ``options``)."""
        options = with_defaults(augment_defaults(options.get("mode")), options)
        kwargs = {k: options[k] for k in cls.OPTION_KEYS}
        kwargs["max_rank_ratio"] = options["rare_words"]["max_rank_ratio"]
        kwargs["free_rank"] = options["rare_words"]["free_rank"]
        kwargs |= overrides
        return cls(store, stopwords, mode=options["mode"], guards=list(guards), grammar=grammar,
                   thesaurus=thesaurus, seed=seed, progress=progress, **kwargs)

    # -- public

    def fit_resample(self, word_dict: Mapping[Any, Sequence[tuple[Sequence[str], int]]], lic: LicResult,
                     tokenised: Mapping[int, Tokenised] | Sequence[Tokenised] | None = None,
                     avoid: set[str] | None = None, emotion: str = "emotion") -> AugmentResult:
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

        Returns
        -------
        AugmentResult (the inputs are not changed)
        """
        sizes = {c: len(v) for c, v in word_dict.items()}
        requested = check_sampling_strategy(self.sampling_strategy, sizes)
        if self._own_guards:
            for guard in self.guards:
                guard.prepare(emotion, lic)
        reports = {c: ClassReport(before=sizes[c], requested=requested[c]) for c in word_dict}
        result = AugmentResult(rows=[], classes=reports)
        t0 = time.perf_counter()
        table = self._neighbour_table(word_dict, lic, requested, result)
        result.timings_s["neighbours"] = time.perf_counter() - t0
        tags: dict[int, Any] = {}
        if self.mode == "diverse":
            t0 = time.perf_counter()
            words = {w for nbrs in table.values() for w, _ in nbrs}
            for guard in self.guards:
                guard.prefetch(words)  # one batched search instead of one per new word
            result.timings_s["guard_prefetch"] = time.perf_counter() - t0
            if self.grammar is not None:
                t0 = time.perf_counter()
                tags = self.tag_sources({row: tokens for cls, samples in word_dict.items() if requested[cls] > 0
                                         for tokens, row in samples})
                plausible = self._plausible_replacements(table, self._slot_words(word_dict, requested, lic, tags))
                self.grammar.prefetch(plausible)
                result.timings_s["tag"] = time.perf_counter() - t0
            else:
                plausible = self._plausible_replacements(table) if self.reciprocal else set()
            if self.reciprocal:
                t0 = time.perf_counter()
                self._reverse_table(plausible)
                result.timings_s["reverse_neighbours"] = time.perf_counter() - t0
            if avoid is None:
                avoid = originals_keys(word_dict, tokenised)
        t0 = time.perf_counter()
        for ci, (cls, samples) in enumerate(word_dict.items()):
            if requested[cls] <= 0:
                continue
            rng = np.random.default_rng([self.seed, ci])
            if self.mode == "seed":
                rows = self._generate_seed(cls, samples, requested[cls], lic, table, rng, reports[cls], tokenised)
            else:
                rows = self._generate_diverse(cls, samples, requested[cls], lic, table, rng, reports[cls],
                                              tokenised, result, tags, avoid)
            reports[cls].generated = len(rows)
            result.rows.extend(rows)
        result.timings_s["generate"] = time.perf_counter() - t0
        return result

    # -- candidate words and the one neighbour search

    def _lookup(self, word: str) -> int | None:
        if self.mode == "seed":
            return self.store.index.get(word)  # gensim's look-up: the exact token only
        return self.store.resolve(word)

    def _core(self, token: str) -> tuple[str, str, str]:
        if self.mode == "seed":
            return "", token, ""
        return split_edge_punctuation(token)

    def is_source_word(self, core: str) -> bool:
        """Whether ``core`` (a token without its edge punctuation) may ever be replaced: not a
        stopword, and not protected (when ``protect``)."""
        return bool(core) and core.lower() not in self.stopwords and not (self.protect and protected_reason(core))

    def _neighbour_table(self, word_dict, lic: LicResult, requested, result: AugmentResult) -> dict[int, list[tuple[str, float]]]:
        """Vocabulary row -> [(neighbour, cosine), ...] for every candidate word, from one search."""
        candidates: set[str] = set()
        for cls, samples in word_dict.items():
            if requested[cls] <= 0 or cls not in lic.class_index:
                continue
            row = lic.host_values[lic.class_index[cls]]
            positive = {w for w, j in lic.word_index.items() if row[j] > 0}
            for tokens, _ in samples:
                for tok in tokens:
                    if tok in positive and tok.lower() not in self.stopwords:
                        core = self._core(tok)[1]
                        if self.is_source_word(core):
                            candidates.add(core)
        ids = {w: self._lookup(w) for w in sorted(candidates)}
        found = sorted({i for i in ids.values() if i is not None})
        result.n_candidate_words = len(candidates)
        result.n_candidate_words_in_vocab = sum(i is not None for i in ids.values())
        searched, cached = self.neighbour_rows_searched, self.neighbour_rows_from_cache
        table = self.neighbour_table(found)
        result.neighbours_searched = self.neighbour_rows_searched - searched
        result.neighbours_from_cache = self.neighbour_rows_from_cache - cached
        return table

    def neighbour_table(self, rows) -> dict[int, list[tuple[str, float]]]:
        """Vocabulary row -> its top-``k`` ``[(neighbour, cosine), ...]``, all new rows in one search.

        Rows searched before (an earlier emotion of the same run) come from a cache.
        """
        wanted = sorted(set(rows))
        k = min(self.k, len(self.store) - 1)
        if not wanted or k < 1:
            return {}
        todo = [q for q in wanted if q not in self._neighbours]
        from lic_gpu.memory_budget import check_neighbour_table

        check_neighbour_table(len(todo), k, len(self.store), asked=self.k)  # before the cache or the search fills memory
        cache = self.neighbour_cache if self.neighbour_cache is not None and self.neighbour_cache.k == k else None
        if todo and cache is not None:
            found, nbr, scores = cache.lookup(todo)
            self._remember(found, nbr.tolist(), scores.tolist())
            self.neighbour_rows_from_cache += len(found)
            todo = [q for q in todo if q not in self._neighbours]
        if todo:
            scores, nbr = self.store.topk_ids(torch.tensor(todo, dtype=torch.long), k, progress=self.progress)
            if cache is not None:
                cache.add(todo, nbr, scores)
            self._remember(todo, nbr.tolist(), scores.tolist())
        self.neighbour_rows_searched += len(todo)
        return {q: self._neighbours[q] for q in wanted}

    def _remember(self, rows, ids, scores) -> None:
        words = self.store.words
        for q, row_ids, row_scores in zip(rows, ids, scores):
            self._neighbours[q] = [(words[j], s) for j, s in zip(row_ids, row_scores) if j >= 0]

    def _reverse_table(self, words) -> None:
        """The top-``k`` of every replacement word, for the reciprocity check (one batched search;
        rows searched before come from the caches)."""
        rows = {self.store.resolve(w) for w in words} - {None} - set(self._reverse)
        for row, nbrs in self.neighbour_table(rows).items():
            self._reverse[row] = frozenset(w for w, _ in nbrs)

    def _slot_words(self, word_dict, requested, lic: LicResult, tags) -> set[str] | None:
        """The candidate words that stand, somewhere, in a slot the grammar lets a swap take."""
        if self.grammar is None:
            return None
        out = set()
        for cls, samples in word_dict.items():
            if requested[cls] <= 0:
                continue
            for tokens, row in samples:
                row_tags = tags.get(row)
                for pos, tok in enumerate(tokens):
                    core = split_edge_punctuation(tok)[1]
                    if core.lower() in out or lic.get(cls, tok, 0.0) <= 0 or not self.is_source_word(core):
                        continue
                    if self.grammar.slot(core, row_tags[pos] if row_tags is not None else None) is not None:
                        out.add(core.lower())
        return out

    def _plausible_replacements(self, table, only: set[str] | None = None) -> set[str]:
        """Neighbours that pass the cheap checks (similarity, a plain, unprotected word that is not a
        stopword, the rare-word floor, related in the thesaurus), for the candidate words in ``only``
        (default: all): the words whose usual part of speech and own neighbours are worth looking up."""
        words, index = self.store.words, self.store.index
        out = set()
        for row, nbrs in table.items():
            old = words[row]
            if only is not None and old not in only:
                continue
            limit = max(self.free_rank, self.max_rank_ratio * (row + 1)) if self.max_rank_ratio is not None else None
            for new, cos in nbrs:
                if cos < self.min_similarity or self.junk.reason(old, new) or (self.protect and protected_reason(new)):
                    continue
                if limit is not None and index.get(new, 0) + 1 > limit:
                    continue
                if self.thesaurus is None or self.thesaurus.substitute(old, new):
                    out.add(new)
        return out

    # -- the notebook's rule

    def _generate_seed(self, cls, samples, missing, lic: LicResult, table, rng, report: ClassReport, tokenised):
        n_exist = len(samples)
        rows: list[NewRow] = []
        ranked = []
        for tokens, _ in samples:
            lst = [(pos, w, lic.get(cls, w, 0.0)) for pos, w in enumerate(tokens) if self.is_source_word(w)]
            lst.sort(key=lambda x: -x[2])
            ranked.append([x for x in lst if x[2] > 0])
        row_of = {w: self._lookup(w) for r in ranked for _, w, _ in r}
        report.sources_with_candidates = sum(any(row_of[w] is not None for _, w, _ in r) for r in ranked)
        # the top-1 neighbour; with ``protect``, the first one that is a plain, unprotected word
        replacement_of = {w: next(((n, c) for n, c in table.get(row, [])
                                   if n != w and not (self.protect and protected_reason(n))), None)
                          for w, row in row_of.items()}
        # Per sentence, the positions an attempt can take, in rank order. Each attempt takes the first
        # one not used before, so the used ones are always a prefix: a pointer replaces the scan.
        usable = [[(pos, word, score) for pos, word, score in r if replacement_of[word] is not None] for r in ranked]
        next_free = [0] * n_exist
        budget = missing * self.attempts_per_row
        attempts = 0
        # positions no attempt has taken yet: at 0 nothing more is possible, whatever the budget
        left = sum(len(u) for u in usable)
        draws: list[int] = []
        bar = _row_bar(missing, cls)
        while len(rows) < missing and attempts < budget and left:
            if attempts == len(draws):
                bar.update(len(rows) - bar.n)
                # numpy gives the same integers drawn in a batch as one at a time (tested), so the
                # ~1.4 us per scalar call is paid once per batch.
                draws.extend(rng.integers(n_exist, size=min(budget - attempts, _DRAW_BATCH)).tolist())
            idx = draws[attempts]
            attempts += 1
            if next_free[idx] >= len(usable[idx]):
                continue
            pos, word, score = usable[idx][next_free[idx]]
            next_free[idx] += 1
            left -= 1
            new, cos = replacement_of[word]
            tokens, row_id = samples[idx]
            new_tokens = list(tokens)
            new_tokens[pos] = new
            rows.append(NewRow(cls, row_id, _rebuild(tokenised, row_id, new_tokens), (Swap(pos, word, new, cos, score),)))
        bar.close()
        report.attempts = attempts
        if len(rows) < missing:
            used = {(i, pos) for i, u in enumerate(usable) for pos, _, _ in u[: next_free[i]]}
            report.shortfall_reason = _seed_shortfall(ranked, used, budget, report)
        return rows

    # -- the default: several swaps, filtered neighbours in the right form, no duplicates

    def swap_options(self, cls, core: str, slot, table, refusals: Counter) -> list[tuple[str, float]]:
        """Acceptable replacements of ``core`` in ``cls``, in the form ``slot`` asks for.

        Every (word, neighbour) pair is checked once and its outcome counted in ``refusals``:
        similarity, junk (not a plain word, the same word inflected, a stopword), protected tokens,
        the rare-word floor, the thesaurus (``not_in_thesaurus``), a change of gender (``gender``), a
        sibling body part or a person for an animal (``kind``), an
        antonym (``antonym``),
        the grammar (no form of the neighbour fits ``slot``: ``wrong_form``), then the guards. Returns ``[(replacement, cosine), ...]``, best first, cased like ``core``.
        """
        vid = self.store.resolve(core) if core else None
        if vid is None:
            return []
        limit = None
        if self.max_rank_ratio is not None:
            limit = max(self.free_rank, self.max_rank_ratio * (vid + 1))
        index = self.store.index
        choices, seen = [], set()
        for new, cos in table.get(vid, []):
            if cos < self.min_similarity:
                refusals["below_min_similarity"] += 1
                continue
            reason = self.junk.reason(core, new)
            if reason is None and self.protect and protected_reason(new):
                reason = "protected"
            if reason is None and limit is not None:
                rank = index.get(new)
                if rank is not None and rank + 1 > limit:
                    reason = "rare_word"
            if reason is None and self.thesaurus is not None and not self.thesaurus.substitute(core, new):
                reason = "not_in_thesaurus"
            if reason is None and self.grammar is not None and \
                    self.grammar.inflector.gender(core) != self.grammar.inflector.gender(new):
                reason = "gender"  # daughter -> brother would leave a "she" behind
            if reason is None and self.grammar is not None and self.grammar.inflector.not_a_substitute(core, new):
                reason = "kind"  # heart -> stomach (pounding), baby -> pet (cried)
            if reason is None and self.grammar is not None and self.grammar.inflector.opposite(core, new):
                reason = "antonym"  # lower -> higher earnings: the opposite meaning
            if reason is None and self.reciprocal:
                back = self._reverse.get(index.get(new, -1))
                if back is None:  # not prefetched (a caller outside fit_resample): search it now
                    self._reverse_table([new])
                    back = self._reverse.get(index.get(new, -1), frozenset())
                if self.store.words[vid] not in back:
                    reason = "not_reciprocal"
            form = new
            if reason is None and self.grammar is not None and slot is not None:
                form = self.grammar.fit(new, slot)
                if form is None:
                    reason = "wrong_form"
                elif form != new.lower():
                    reason = self.junk.reason(core, form) or (
                        "protected" if self.protect and protected_reason(form) else None)
                if reason is None and form.lower() in seen:
                    reason = "same_form"  # two neighbours inflect to one word: keep the closer one
            if reason is None:
                for guard in self.guards:
                    reason = guard(cls, core, form)
                    if reason:
                        break
            if reason:
                refusals[reason] += 1
                continue
            seen.add(form.lower())
            choices.append((match_case(core, form), cos))
        refusals["accepted"] += len(choices)
        return choices

    def candidate_positions(self, cls, tokens, tags, table, refusals: Counter, cache: dict,
                            lic: LicResult | None = None, skipped: Counter | None = None) -> list[_Position]:
        """The positions of ``tokens`` a swap may take in class ``cls``, each with its replacements.

        One filter for every way of choosing positions: with ``lic``, only positive-LIC tokens
        (diverse mode); without, any token (the evaluation's random-position ablation). A token is
        skipped when it is a stopword, protected, part of a hyphenated compound, or (with a grammar)
        not of a swappable part of speech in its sentence, or a noun next to another noun
        (``country music``, ``smoke alarm``); a replacement already in the sentence is left out for it (``tags``: its Penn tags, or ``None``); reasons go to ``skipped``.
        ``cache`` keeps each (word, form) pair's replacements across sentences of the class.
        """
        out = []
        for pos, tok in enumerate(tokens):
            score = lic.get(cls, tok, 0.0) if lic is not None else 0.0
            if (lic is not None and score <= 0) or tok.lower() in self.stopwords:
                continue
            pre, core, post = split_edge_punctuation(tok)
            if not core:
                continue
            if self.protect and protected_reason(core):
                if skipped is not None:
                    skipped["protected"] += 1
                continue
            if "-" in (tokens[pos - 1] if pos else "", tokens[pos + 1] if pos + 1 < len(tokens) else ""):
                # part of a hyphenated compound (first-rate, same-day): its parts are not free words
                if skipped is not None:
                    skipped["compound"] += 1
                continue
            slot = None
            if self.grammar is not None:
                slot = self.grammar.slot(core, tags[pos] if tags is not None else None)
                if slot is None:
                    if skipped is not None:
                        skipped["part_of_speech"] += 1
                    continue
                if tags is not None and tags[pos].startswith("NN") and (
                        (pos + 1 < len(tokens) and tags[pos + 1].startswith("NN"))
                        or (pos > 0 and tags[pos - 1].startswith("NN"))):
                    # a noun next to another (country music, smoke alarm): a fixed term, whose parts
                    # have no substitutes of their own
                    if skipped is not None:
                        skipped["compound"] += 1
                    continue
                if tags is not None and not self.grammar.bare_nouns and bare_singular_noun(tags, pos):
                    # back to town -> back to village: a bare mass use, its neighbours need an article
                    if skipped is not None:
                        skipped["bare_noun"] += 1
                    continue
            key = (core, slot)
            choices = cache.get(key)
            if choices is None:
                choices = cache[key] = self.swap_options(cls, core, slot, table, refusals)
            if choices:
                # a word already in the sentence would repeat it (women and women)
                here = {t.lower() for t in tokens}
                choices = [c for c in choices if c[0].lower() not in here]
            if choices:
                out.append(_Position(pos, pre, core, post, score, choices))
        return out

    def tag_sources(self, rows: Mapping[int, Sequence[str]]) -> dict[int, Any]:
        """Row id -> Penn tags of its tokens (empty without a grammar; see :meth:`Grammar.tag_rows`)."""
        return self.grammar.tag_rows(dict(rows)) if self.grammar is not None else {}

    def _variant(self, tokens, positions: Sequence[_Position], picks) -> tuple[list[str], tuple[Swap, ...]]:
        """The new tokens and swaps for ``picks[i]`` = (replacement, cosine) at ``positions[i]``,
        with ``a``/``an`` before a replaced word made to agree with it."""
        new_tokens = list(tokens)
        swaps = []
        for p, (new, cos) in zip(positions, picks):
            new_tokens[p.pos] = p.pre + new + p.post
            swaps.append(Swap(p.pos, tokens[p.pos], new_tokens[p.pos], cos, p.lic))
            if p.pos > 0 and not p.pre and tokens[p.pos - 1].lower() in ("a", "an"):
                art = indefinite_article(new, tokens[p.pos - 1])
                if art != tokens[p.pos - 1]:
                    new_tokens[p.pos - 1] = art
                    swaps.append(Swap(p.pos - 1, tokens[p.pos - 1], art, 1.0, 0.0, kind="agreement"))
        return new_tokens, tuple(sorted(swaps, key=lambda s: s.pos))

    def _generate_diverse(self, cls, samples, missing, lic: LicResult, table, rng, report: ClassReport,
                          tokenised, result: AugmentResult, tags, existing: set[str]):
        sources = []
        cache: dict = {}
        checked: Counter = Counter()
        for tokens, row_id in samples:
            positions = self.candidate_positions(cls, tokens, tags.get(row_id), table, checked, cache, lic=lic,
                                                 skipped=result.skipped_positions)
            if positions:
                sources.append((tokens, row_id, positions))
        report.sources_with_candidates = len(sources)
        result.refusals.update(checked)
        guard_note = _guard_note(checked)
        rows: list[NewRow] = []
        if not sources:
            report.shortfall_reason = (
                f"none of the {len(samples)} sentences has a positive-LIC, non-stopword token with an "
                f"acceptable neighbour in the vectors{guard_note}")
            return rows
        combos = [_combinations(p, self.max_swaps) for _, _, p in sources]
        capacity = sum(min(c, self.max_per_source or math.inf) for c in combos)
        made_from = Counter()
        open_sources = list(range(len(sources)))
        weights = [WeightedDraw([p.lic for p in positions]) for _, _, positions in sources]
        budget = missing * self.attempts_per_row
        attempts = duplicates = 0
        if capacity <= missing:
            # Every distinct swap is needed: list them all instead of drawing at random, which
            # would spend the whole attempt budget re-drawing duplicates.
            for tokens, row_id, positions in sources:
                variants = list(_all_variants(positions, self.max_swaps))
                taken = 0
                for vi in rng.permutation(len(variants)):
                    if self.max_per_source and taken >= self.max_per_source:
                        break
                    attempts += 1
                    chosen, picks = variants[int(vi)]
                    new_tokens, swaps = self._variant(tokens, chosen, picks)
                    key = dedup_key(" ".join(new_tokens))
                    if key in existing:
                        duplicates += 1
                        continue
                    existing.add(key)
                    taken += 1
                    rows.append(NewRow(cls, row_id, _rebuild(tokenised, row_id, new_tokens), swaps))
            open_sources = []
        # Distinct sentences drawn per source: once every open source has given all its swaps,
        # nothing more is possible and the loop stops (the draws, and so the rows, are unchanged).
        # Tracked only when the budget could draw every swap at all (else it cannot happen).
        track = capacity <= budget
        drawn: set[tuple[int, str]] = set()
        n_drawn = [0] * len(sources)
        spent: set[int] = set()
        bar = _row_bar(missing, cls)
        while len(rows) < missing and attempts < budget and len(spent) < len(open_sources):
            if not attempts & 4095:
                bar.update(len(rows) - bar.n)
            attempts += 1
            si = open_sources[int(rng.integers(len(open_sources)))]
            tokens, row_id, positions = sources[si]
            n_swaps = int(rng.integers(1, min(self.max_swaps, len(positions)) + 1))
            chosen = [positions[i] for i in sorted(int(i) for i in weights[si].draw(rng, n_swaps))]
            picks = [p.choices[int(rng.integers(len(p.choices)))] for p in chosen]
            new_tokens, swaps = self._variant(tokens, chosen, picks)
            key = dedup_key(" ".join(new_tokens))
            if track and (si, key) not in drawn:
                drawn.add((si, key))
                n_drawn[si] += 1
                if n_drawn[si] >= combos[si]:
                    spent.add(si)
            if key in existing:
                duplicates += 1
                continue
            existing.add(key)
            rows.append(NewRow(cls, row_id, _rebuild(tokenised, row_id, new_tokens), swaps))
            made_from[si] += 1
            if self.max_per_source and made_from[si] >= self.max_per_source:
                open_sources.remove(si)
                spent.discard(si)
        bar.close()
        report.attempts = attempts
        if len(rows) < missing:
            if capacity < missing:
                cap_note = f" (augment.max_per_source={self.max_per_source})" if self.max_per_source else ""
                report.shortfall_reason = (
                    f"{len(sources)} of {len(samples)} sentences have a swappable word -> at most "
                    f"{int(capacity)} distinct new rows{cap_note}; {missing} requested{guard_note}")
            elif open_sources and len(spent) == len(open_sources):
                report.shortfall_reason = (
                    f"every distinct swap of the {len(sources)} sentences with eligible words was drawn "
                    f"({duplicates} attempts gave sentences that exist already){guard_note}")
            else:
                report.shortfall_reason = (
                    f"attempt budget of {budget} used up ({duplicates} attempts gave duplicates); "
                    "raise augment.attempts_per_row or augment.k")
        return rows


def _row_bar(missing: int, cls):
    """A progress bar over one class's new rows, shown (and logged) when the class asks for many."""
    from tqdm.auto import tqdm

    show = missing >= _PROGRESS_ROWS
    if show:
        log.info("class %s: generating up to %d rows", cls, missing)
    return tqdm(total=missing, desc=f"class {cls}", unit=" rows", leave=False, disable=not show, mininterval=1.0)


GUARD_REASONS = ("rating_lean", "lexicon_flip")


def _guard_note(checked: Counter) -> str:
    """'; the guards refused N of M neighbours' when a guard took candidates away from this class."""
    refused = sum(checked[r] for r in GUARD_REASONS)
    if not refused:
        return ""
    total = sum(checked.values())
    parts = ", ".join(f"{r} {checked[r]}" for r in GUARD_REASONS if checked[r])
    return f"; the swap guards refused {refused} of {total} neighbours ({parts}; see augment.guard)"


def _all_variants(positions: list[_Position], max_swaps: int):
    """Every swap set one source gives with 1..max_swaps swaps: ``(positions, picks)``."""
    from itertools import combinations, product

    for n in range(1, min(max_swaps, len(positions)) + 1):
        for chosen in combinations(positions, n):
            for picks in product(*(p.choices for p in chosen)):
                yield chosen, picks


def _combinations(positions: list[_Position], max_swaps: int) -> float:
    """Distinct sentences one source can give with 1..max_swaps swaps (elementary symmetric sums)."""
    e = [1.0] + [0.0] * max_swaps
    for p in positions:
        n = len(p.choices)
        for j in range(max_swaps, 0, -1):
            e[j] += e[j - 1] * n
    return sum(e[1:])


def _seed_shortfall(ranked, used, budget, report: ClassReport) -> str:
    free = sum(1 for i, r in enumerate(ranked) for pos, _, _ in r if (i, pos) not in used)
    if report.sources_with_candidates == 0:
        return "no sentence has a positive-LIC non-stopword token in the vectors' vocabulary"
    if report.attempts < budget:
        return (f"every usable positive-LIC position was used after {report.attempts} attempts "
                f"({free} positions left have no replacement in the vectors)")
    return (f"attempt budget of {budget} used up (the notebook's 10 x missing); "
            f"{free} unused positive-LIC positions left")


def originals_keys(word_dict, tokenised=None) -> set[str]:
    """:func:`dedup_key` of every original sentence: all of ``tokenised`` (every class, also rows
    without a rating), else every sentence of ``word_dict``."""
    if tokenised is not None:
        items = tokenised.values() if isinstance(tokenised, Mapping) else tokenised
        return {dedup_key(" ".join(t.tokens)) for t in items}
    return {dedup_key(" ".join(t)) for v in word_dict.values() for t, _ in v}


def dedup_key(text: str) -> str:
    """Two sentences are the same when they differ only in case and spacing."""
    return " ".join(text.casefold().split())


def _rebuild(tokenised, row_id: int, tokens: Sequence[str]) -> str:
    if tokenised is None:
        return " ".join(tokens)
    return tokenised[row_id].detokenise(tokens)
