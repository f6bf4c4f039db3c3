"""What the augmenter returns: the swaps, the new rows, the per-class report and the whole result."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

# One encoder for every row's swaps column (``json.dumps(..., ensure_ascii=False)`` builds a new one per call).
_JSON = json.JSONEncoder(ensure_ascii=False)


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
        out = {
            "pos": self.pos,
            "old": self.old,
            "new": self.new,
            "cosine": round(self.cosine, 6),
            "lic": round(self.lic, 6),
        }
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
    fluency: float = float("nan")  # the learned score of the swap in its sentence (lic_gpu.scoring)

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
    refused: Counter = field(default_factory=Counter)  # made rows dropped afterwards, by stage (``encoder``)

    @property
    def fill_rate(self) -> float:
        return 1.0 if self.requested == 0 else self.generated / self.requested

    def as_dict(self) -> dict:
        out = {
            "before": self.before,
            "requested": self.requested,
            "generated": self.generated,
            "fill_rate": round(self.fill_rate, 4),
            "attempts": self.attempts,
            "sources_with_candidates": self.sources_with_candidates,
            "shortfall_reason": self.shortfall_reason,
        }
        if self.refused:  # only a stage that drops made rows (augment.encoder) adds it
            out["refused"] = dict(sorted(self.refused.items()))
        return out


@dataclass
class AugmentResult:
    """What :meth:`lic_gpu.augment.LicAugmenter.fit_resample` made."""

    rows: list[NewRow]
    classes: dict[Any, ClassReport]
    refusals: Counter = field(default_factory=Counter)
    skipped_positions: Counter = field(default_factory=Counter)  # source tokens never swapped, by reason
    n_candidate_words: int = 0
    n_candidate_words_in_vocab: int = 0
    neighbours_searched: int = 0  # candidate words whose neighbours this call searched for
    neighbours_from_cache: int = 0  # ... and those read from the on-disk neighbour cache
    n_candidate_rows: int = 0  # distinct vectors of the candidate words (two casings may share one)
    timings_s: dict[str, float] = field(default_factory=dict)


def dedup_key(text: str) -> str:
    """Two sentences are the same when they differ only in case and spacing."""
    return " ".join(text.casefold().split())


def originals_keys(word_dict, tokenised=None) -> set[str]:
    """:func:`dedup_key` of every original sentence: all of ``tokenised`` (every class, also rows
    without a rating), else every sentence of ``word_dict``."""
    if tokenised is not None:
        items = tokenised.values() if isinstance(tokenised, Mapping) else tokenised
        return {dedup_key(" ".join(t.tokens)) for t in items}
    return {dedup_key(" ".join(t)) for v in word_dict.values() for t, _ in v}


def rebuild_text(tokenised, row_id: int, tokens: Sequence[str]) -> str:
    """The sentence of ``tokens``, with row ``row_id``'s original spacing when ``tokenised`` is given."""
    if tokenised is None:
        return " ".join(tokens)
    return tokenised[row_id].detokenise(tokens)


def row_bar(missing: int, cls, log):
    """A progress bar over one class's new rows, shown (and logged) when the class asks for many."""
    from tqdm.auto import tqdm

    show = missing >= PROGRESS_ROWS
    if show:
        log.info("class %s: generating up to %d rows", cls, missing)
    return tqdm(total=missing, desc=f"class {cls}", unit=" rows", leave=False, disable=not show, mininterval=1.0)


# A class asked for at least this many rows shows a progress bar (updated every 4096 attempts).
PROGRESS_ROWS = 50_000
