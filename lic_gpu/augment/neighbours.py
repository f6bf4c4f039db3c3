"""The neighbour tables: every candidate word's top-``k`` (one batched search), the reverse table of
the replacements (for the reciprocity check) and the replacements worth looking up ahead."""

from __future__ import annotations

from typing import Callable, Iterable

import torch

from lic_gpu.lic import LicResult
from lic_gpu.vectors.neighbour_cache import NeighbourCache
from lic_gpu.text import split_edge_punctuation
from lic_gpu.vectors.memory_budget import check_neighbour_table

Table = dict[int, list[tuple[str, float]]]


class NeighbourTables:
    """Vocabulary row -> its top-``k`` ``[(neighbour, cosine), ...]``, kept across calls.

    Rows searched before (an earlier emotion of the same run) come from memory; rows searched by
    earlier runs on the same vectors come from the on-disk neighbour cache when the store keeps one.
    """

    def __init__(self, store, k: int, progress: bool | None = None):
        self.store = store
        self.k = k
        self.progress = progress
        self._neighbours: Table = {}
        self.reverse: dict[int, frozenset[str]] = {}  # row -> its top-k words (reciprocity)
        self.cache = NeighbourCache.for_store(store, min(k, len(store) - 1)) if len(store) > 1 else None
        self.rows_searched = self.rows_from_cache = 0

    def table(self, rows: Iterable[int]) -> Table:
        """Vocabulary row -> its top-``k`` ``[(neighbour, cosine), ...]``, all new rows in one search."""
        wanted = sorted(set(rows))
        k = min(self.k, len(self.store) - 1)
        if not wanted or k < 1:
            return {}
        todo = [q for q in wanted if q not in self._neighbours]
        # before the cache or the search fills memory: one line naming the size asked and what fits
        check_neighbour_table(len(todo), k, len(self.store), asked=self.k)
        cache = self.cache if self.cache is not None and self.cache.k == k else None
        if todo and cache is not None:
            found, nbr, scores = cache.lookup(todo)
            self._remember(found, nbr.tolist(), scores.tolist())
            self.rows_from_cache += len(found)
            todo = [q for q in todo if q not in self._neighbours]
        if todo:
            scores, nbr = self.store.topk_ids(torch.tensor(todo, dtype=torch.long), k, progress=self.progress)
            if cache is not None:
                cache.add(todo, nbr, scores)
            self._remember(todo, nbr.tolist(), scores.tolist())
        self.rows_searched += len(todo)
        return {q: self._neighbours[q] for q in wanted}

    def _remember(self, rows, ids, scores) -> None:
        words = self.store.words
        for q, row_ids, row_scores in zip(rows, ids, scores):
            self._neighbours[q] = [(words[j], s) for j, s in zip(row_ids, row_scores) if j >= 0]

    def add_reverse(self, words: Iterable[str]) -> None:
        """The top-``k`` of every replacement word, for the reciprocity check (one batched search;
        rows searched before come from the caches)."""
        rows = {self.store.resolve(w) for w in words} - {None} - set(self.reverse)
        for row, nbrs in self.table(rows).items():
            self.reverse[row] = frozenset(w for w, _ in nbrs)

    def reverse_of(self, word: str) -> frozenset[str]:
        """The top-``k`` words of ``word`` (searched now when it was not fetched ahead)."""
        row = self.store.index.get(word, -1)
        back = self.reverse.get(row)
        if back is None:  # not prefetched (a caller outside fit_resample): search it now
            self.add_reverse([word])
            back = self.reverse.get(row, frozenset())
        return back


def candidate_words(
    word_dict,
    lic: LicResult,
    requested,
    stopwords: frozenset[str],
    core_of: Callable[[str], str],
    is_source_word: Callable[[str], bool],
    any_lic: bool = False,
) -> set[str]:
    """The words whose neighbours are needed: positive-LIC source words of the classes that need rows
    (``any_lic``: every source word; the learned score then decides which slots read well)."""
    candidates: set[str] = set()
    for cls, samples in word_dict.items():
        if requested[cls] <= 0 or cls not in lic.class_index:
            continue
        row = lic.host_values[lic.class_index[cls]]
        positive = {w for w, j in lic.word_index.items() if row[j] > 0}
        for tokens, _ in samples:
            for tok in tokens:
                if (any_lic or tok in positive) and tok.lower() not in stopwords:
                    core = core_of(tok)
                    if is_source_word(core):
                        candidates.add(core)
    return candidates


def slot_words(word_dict, requested, lic: LicResult, tags, grammar, is_source_word, any_lic: bool = False) -> set[str]:
    """The candidate words that stand, somewhere, in a slot the grammar lets a swap take."""
    out: set[str] = set()
    for cls, samples in word_dict.items():
        if requested[cls] <= 0:
            continue
        for tokens, row in samples:
            row_tags = tags.get(row)
            for pos, tok in enumerate(tokens):
                core = split_edge_punctuation(tok)[1]
                if core.lower() in out or (not any_lic and lic.get(cls, tok, 0.0) <= 0) or not is_source_word(core):
                    continue
                if grammar.slot(core, row_tags[pos] if row_tags is not None else None) is not None:
                    out.add(core.lower())
    return out


def plausible_replacements(table: Table, words: list[str], cheap_checks, only: set[str] | None = None) -> set[str]:
    """Neighbours that pass the cheap checks (:func:`lic_gpu.augment.checks.cheap_checks`), for the
    candidate words in ``only`` (default: all): the words whose usual part of speech and own
    neighbours are worth looking up."""
    from lic_gpu.augment.checks import Candidate, first_refusal

    out = set()
    for row, nbrs in table.items():
        old = words[row]
        if only is not None and old not in only:
            continue
        for new, cos in nbrs:
            if first_refusal(cheap_checks, Candidate(None, old, row, new, cos)) is None:
                out.add(new)
    return out
