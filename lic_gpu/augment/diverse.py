"""The default (``augment.mode=diverse``): up to ``max_swaps`` swaps per new row, replacements drawn from
the filtered top-``k`` neighbours in the form the position needs, no duplicate sentences."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from lic_gpu.augment.checks import CandidateFilter
from lic_gpu.augment.parts import SwapParts
from lic_gpu.augment.positions import Position, all_variants, apply_swaps, count_variants
from lic_gpu.augment.results import AugmentResult, ClassReport, NewRow, dedup_key, rebuild_text, row_bar
from lic_gpu.lic import LicResult
from lic_gpu.augment.weighted_draw import WeightedDraw

log = logging.getLogger(__name__)

GUARD_REASONS = ("rating_lean", "lexicon_flip", "affect_word")


def guard_note(checked: Counter) -> str:
    """'; the guards refused N of M neighbours' when a guard took candidates away from this class."""
    refused = sum(checked[r] for r in GUARD_REASONS)
    if not refused:
        return ""
    total = sum(checked.values())
    parts = ", ".join(f"{r} {checked[r]}" for r in GUARD_REASONS if checked[r])
    return f"; the swap guards refused {refused} of {total} neighbours ({parts}; see augment.guard)"


def slot_weights(positions) -> list[float]:
    """Each slot's draw weight: its LIC; a slot without positive LIC (scored slots only) a tenth of the
    smallest positive one, so the class's own words are still drawn first."""
    positive = [p.lic for p in positions if p.lic > 0]
    floor = 0.1 * min(positive) if positive else 1.0
    return [p.lic if p.lic > 0 else floor for p in positions]


@dataclass
class _Draws:
    """One class's drawing state: the rows made, attempts, duplicates and which sources are spent."""

    rows: list[NewRow] = field(default_factory=list)
    attempts: int = 0
    duplicates: int = 0
    open_sources: list[int] = field(default_factory=list)
    spent: set[int] = field(default_factory=set)
    low_fluency: int = 0  # rows of several swaps refused by their own score
    source_tokens: dict = field(default_factory=dict)
    source_tags: dict = field(default_factory=dict)


class DiverseGenerator:
    """New rows for one class at a time, over the shared :class:`SwapParts` and a candidate filter."""

    def __init__(self, parts: SwapParts, candidates: CandidateFilter, scorer=None):
        self.parts = parts
        self.candidates = candidates
        # lic_gpu.augment.scored.SlotScorer: replacements ranked by the learned score (None: cosine order)
        self.scorer = scorer
        self.min_fluency = parts.settings.min_fluency if scorer is not None else None

    def sources(
        self, cls, samples, lic: LicResult, table, tags, result: AugmentResult, checked: Counter
    ) -> list[tuple[list[str], int, list[Position]]]:
        """The sentences with at least one position a swap may take, with those positions."""
        out = []
        cache: dict = {}
        for tokens, row_id in samples:
            positions = self.parts.candidate_positions(
                cls,
                tokens,
                tags.get(row_id),
                table,
                checked,
                cache,
                self.candidates,
                lic=lic,
                skipped=result.skipped_positions,
                any_lic=self.min_fluency is not None,
            )
            if positions:
                out.append((tokens, row_id, positions))
        if self.scorer is not None and out:
            ranked = self.scorer.rank_sources([(t, tags.get(r), p) for t, r, p in out], self.min_fluency)
            before = sum(len(c.choices) for _, _, p in out for c in p)
            out = [(t, r, p) for (t, r, _), p in zip(out, ranked) if p]
            checked["low_fluency"] += before - sum(len(c.choices) for _, _, p in out for c in p)
        return out

    def generate(
        self,
        cls,
        samples,
        missing: int,
        lic: LicResult,
        table,
        rng,
        report: ClassReport,
        tokenised,
        result: AugmentResult,
        tags,
        existing: set[str],
    ) -> list[NewRow]:
        """Up to ``missing`` new rows of class ``cls``; ``existing``: dedup keys no row may equal
        (extended with the new rows)."""
        checked: Counter = Counter()
        sources = self.sources(cls, samples, lic, table, tags, result, checked)
        report.sources_with_candidates = len(sources)
        result.refusals.update(checked)
        note = guard_note(checked)
        if not sources:
            report.shortfall_reason = (
                f"none of the {_count(len(samples), 'sentence')} has a swappable word (a token the filters "
                f"accept with an acceptable neighbour in the vectors){note}"
            )
            return []
        settings = self.parts.settings
        combos = [count_variants(p, settings.max_swaps) for _, _, p in sources]
        capacity = sum(min(c, settings.per_source_limit) for c in combos)
        state = _Draws(open_sources=list(range(len(sources))))
        state.source_tokens = {r: t for t, r, _ in sources}
        state.source_tags = {r: tags.get(r) for _, r, _ in sources}
        budget = missing * settings.attempts_per_row
        if capacity <= missing:
            # Every distinct swap is needed: list them all instead of drawing at random, which
            # would spend the whole attempt budget re-drawing duplicates.
            self._every_variant(cls, sources, rng, tokenised, existing, state)
        self._draw(cls, sources, combos, capacity <= budget, missing, budget, rng, tokenised, existing, state)
        report.attempts = state.attempts
        result.refusals["low_fluency_row"] += state.low_fluency
        if len(state.rows) < missing:
            report.shortfall_reason = self._shortfall(sources, len(samples), capacity, missing, budget, state, note)
        return state.rows

    def _keep(
        self, cls, row_id, new_tokens, swaps, key: str, tokenised, existing: set[str], state: _Draws, picks=()
    ) -> bool:
        """Add the row of ``new_tokens`` (dedup key ``key``); False when its sentence exists already."""
        if key in existing:
            state.duplicates += 1
            return False
        fluency = float("nan")
        if self.scorer is not None:
            scored = self._fluency(row_id, new_tokens, swaps, picks, state)
            if scored is None:
                return False
            fluency = scored
        existing.add(key)
        state.rows.append(NewRow(cls, row_id, rebuild_text(tokenised, row_id, new_tokens), swaps, fluency))
        return True

    def _fluency(self, row_id, new_tokens, swaps, picks, state: _Draws) -> float | None:
        """The row's score: its one swap's (scored with its slot), or the row's own with several swaps,
        which must reach min_fluency too (None: refused): two swaps that each read well may not together."""
        if len(picks) == 1:
            return picks[0][2]
        score = float(
            self.scorer.score_tokens([state.source_tokens[row_id]], [new_tokens], [state.source_tags.get(row_id)])[0]
        )
        if self.min_fluency is not None and not score >= self.min_fluency:
            state.low_fluency += 1
            return None
        return score

    def _every_variant(self, cls, sources, rng, tokenised, existing: set[str], state: _Draws) -> None:
        max_per_source = self.parts.settings.max_per_source
        for tokens, row_id, positions in sources:
            variants = list(all_variants(positions, self.parts.settings.max_swaps))
            taken = 0
            for vi in rng.permutation(len(variants)):
                if max_per_source and taken >= max_per_source:
                    break
                state.attempts += 1
                chosen, picks = variants[int(vi)]
                new_tokens, swaps = apply_swaps(tokens, chosen, picks)
                key = dedup_key(" ".join(new_tokens))
                taken += self._keep(cls, row_id, new_tokens, swaps, key, tokenised, existing, state, picks)
        state.open_sources = []

    def _draw(
        self,
        cls,
        sources,
        combos,
        track: bool,
        missing: int,
        budget: int,
        rng,
        tokenised,
        existing: set[str],
        state: _Draws,
    ) -> None:
        """Random draws: a source, LIC-weighted positions, a replacement each.

        Distinct sentences drawn per source are tracked (``track``: only when the budget could draw
        every swap at all): once every open source has given all its swaps, nothing more is possible
        and the loop stops (the draws, and so the rows, are unchanged).
        """
        max_swaps, max_per_source = self.parts.settings.max_swaps, self.parts.settings.max_per_source
        weights = [WeightedDraw(slot_weights(positions)) for _, _, positions in sources]
        used: Counter = Counter()  # (source, position) -> times taken: the next-best choice is taken next
        drawn: set[tuple[int, str]] = set()
        n_drawn = [0] * len(sources)
        made_from: Counter = Counter()
        bar = row_bar(missing, cls, log)
        open_sources, spent = state.open_sources, state.spent
        while len(state.rows) < missing and state.attempts < budget and len(spent) < len(open_sources):
            if not state.attempts & 4095:
                bar.update(len(state.rows) - bar.n)
            state.attempts += 1
            si = open_sources[int(rng.integers(len(open_sources)))]
            tokens, row_id, positions = sources[si]
            n_swaps = int(rng.integers(1, min(max_swaps, len(positions)) + 1))
            chosen = [positions[i] for i in sorted(int(i) for i in weights[si].draw(rng, n_swaps))]
            if self.scorer is not None:
                # the best-scored replacement first; drawn again, the slot gives its next-best
                picks = [p.choices[used[si, p.pos] % len(p.choices)] for p in chosen]
                for p in chosen:
                    used[si, p.pos] += 1
            else:
                picks = [p.choices[int(rng.integers(len(p.choices)))] for p in chosen]
            new_tokens, swaps = apply_swaps(tokens, chosen, picks)
            key = dedup_key(" ".join(new_tokens))
            if track and (si, key) not in drawn:
                drawn.add((si, key))
                n_drawn[si] += 1
                if n_drawn[si] >= combos[si]:
                    spent.add(si)
            if not self._keep(cls, row_id, new_tokens, swaps, key, tokenised, existing, state, picks):
                continue
            made_from[si] += 1
            if max_per_source and made_from[si] >= max_per_source:
                open_sources.remove(si)
                spent.discard(si)
        bar.close()

    def _shortfall(
        self, sources, n_samples: int, capacity: float, missing: int, budget: int, state: _Draws, note: str
    ) -> str:
        if capacity < missing:
            max_per_source = self.parts.settings.max_per_source
            cap_note = f" (augment.max_per_source={max_per_source})" if max_per_source else ""
            # a swap whose sentence exists already: an original, or a row made before (another emotion's too)
            seen = (
                f"; {_count(state.duplicates, 'attempt')} gave a sentence that exists already (an original or a row "
                "made before in this run)"
                if state.duplicates
                else ""
            )
            return (
                f"{len(sources)} of {_count(n_samples, 'sentence')} {'has' if len(sources) == 1 else 'have'} a "
                f"swappable word -> at most {_count(int(capacity), 'distinct new row')}{cap_note}; {missing} "
                f"requested{seen}{note}"
            )
        if state.open_sources and len(state.spent) == len(state.open_sources):
            return (
                f"every distinct swap of the {len(sources)} sentences with eligible words was drawn "
                f"({state.duplicates} attempts gave sentences that exist already){note}"
            )
        return (
            f"attempt budget of {budget} used up ({state.duplicates} attempts gave duplicates); "
            "raise augment.attempts_per_row or augment.k"
        )


def _count(n: int, noun: str) -> str:
    """``1 sentence``, ``4 sentences``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
