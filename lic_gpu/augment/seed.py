"""The notebook's rule (``augment.mode=seed``): one swap, the source's highest positive-LIC token not
used before, exact vocabulary look-up, top-1 neighbour, attempt budget ``attempts_per_row`` x missing."""

from __future__ import annotations

import logging

from lic_gpu.augment.parts import SwapParts
from lic_gpu.augment.results import ClassReport, NewRow, Swap, rebuild_text, row_bar
from lic_gpu.fluency import protected_reason
from lic_gpu.lic import LicResult

log = logging.getLogger(__name__)

# Source sentences drawn per numpy call.
_DRAW_BATCH = 4096


class SeedGenerator:
    """New rows for one class at a time by the notebook's rule, over the shared :class:`SwapParts`."""

    def __init__(self, parts: SwapParts):
        self.parts = parts

    def _ranked(self, cls, samples, lic: LicResult) -> list[list[tuple[int, str, float]]]:
        """Per sentence, its positive-LIC source words ``(pos, word, lic)``, highest LIC first."""
        ranked = []
        for tokens, _ in samples:
            lst = [(pos, w, lic.get(cls, w, 0.0)) for pos, w in enumerate(tokens) if self.parts.is_source_word(w)]
            lst.sort(key=lambda x: -x[2])
            ranked.append([x for x in lst if x[2] > 0])
        return ranked

    def _replacement(self, word: str, row, table):
        """The top-1 neighbour; with ``protect`` (the default) the first one that is neither a stopword
        nor a protected token. ``protect=false`` keeps the notebook's rule exactly (its top-1 may be
        a stopword: degenerate vectors then swap in "the")."""
        protect, stopwords = self.parts.settings.protect, self.parts.stopwords
        return next(
            (
                (n, c)
                for n, c in table.get(row, [])
                if n != word and not (protect and (n.lower() in stopwords or protected_reason(n)))
            ),
            None,
        )

    def generate(
        self, cls, samples, missing: int, lic: LicResult, table, rng, report: ClassReport, tokenised
    ) -> list[NewRow]:
        """Up to ``missing`` new rows of class ``cls`` from ``samples`` ([(tokens, row_id), ...])."""
        n_exist = len(samples)
        rows: list[NewRow] = []
        ranked = self._ranked(cls, samples, lic)
        row_of = {w: self.parts.lookup(w) for r in ranked for _, w, _ in r}
        report.sources_with_candidates = sum(any(row_of[w] is not None for _, w, _ in r) for r in ranked)
        replacement_of = {w: self._replacement(w, row, table) for w, row in row_of.items()}
        # Per sentence, the positions an attempt can take, in rank order. Each attempt takes the first
        # one not used before, so the used ones are always a prefix: a pointer replaces the scan.
        usable = [[(pos, word, score) for pos, word, score in r if replacement_of[word] is not None] for r in ranked]
        next_free = [0] * n_exist
        budget = missing * self.parts.settings.attempts_per_row
        attempts = 0
        # positions no attempt has taken yet: at 0 nothing more is possible, whatever the budget
        left = sum(len(u) for u in usable)
        draws: list[int] = []
        bar = row_bar(missing, cls, log)
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
            rows.append(
                NewRow(cls, row_id, rebuild_text(tokenised, row_id, new_tokens), (Swap(pos, word, new, cos, score),))
            )
        bar.close()
        report.attempts = attempts
        if len(rows) < missing:
            used = {(i, pos) for i, u in enumerate(usable) for pos, _, _ in u[: next_free[i]]}
            report.shortfall_reason = _shortfall(ranked, used, budget, report)
        return rows


def _shortfall(ranked, used, budget, report: ClassReport) -> str:
    free = sum(1 for i, r in enumerate(ranked) for pos, _, _ in r if (i, pos) not in used)
    if report.sources_with_candidates == 0:
        return "no sentence has a positive-LIC non-stopword token in the vectors' vocabulary"
    if report.attempts < budget:
        return (
            f"every usable positive-LIC position was used after {report.attempts} attempts "
            f"({free} positions left have no replacement in the vectors)"
        )
    return (
        f"attempt budget of {budget} used up (the notebook's 10 x missing); {free} unused positive-LIC positions left"
    )
