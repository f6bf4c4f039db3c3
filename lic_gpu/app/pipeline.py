"""Augmenting a corpus, without any file: classes, LIC and new rows per emotion, then the assembled frames.

:func:`augment_corpus` is shared by the command line (:mod:`lic_gpu.app.augment_job`),
:func:`lic_gpu.api.augment_frame` and :class:`lic_gpu.api.LicResampler`.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from lic_gpu.classes import build_word_dict, class_labels, plain_label, tokenise_all
from lic_gpu.io.data import Corpus
from lic_gpu.io.splits import SourceRows, source_rows
from lic_gpu.device import DeviceChoice
from lic_gpu.errors import LicGpuError
from lic_gpu.fluency import build_grammar, load_thesaurus, quality_tagger
from lic_gpu.fluency import answer_store
from lic_gpu.fluency.taggers import model_load_seconds
from lic_gpu.fluency.wordnet import PACKAGED_NAME as WORDNET_NAME, noun_policy, verb_policy
from lic_gpu.app.cross_emotion import note_rows_made_earlier
from lic_gpu.io.frames import assemble
from lic_gpu.augment.guard import RatingLeanGuard, build_guards
from lic_gpu.lic import LicResult, compute_lic
from lic_gpu.report.quality import check_quality_sample
from lic_gpu.report.quality import measure as measure_quality
from lic_gpu.app.run_setup import RunSettings, load_store, with_search_fallback
from lic_gpu.augment import AugmentResult, LicAugmenter, originals_keys
from lic_gpu.timing import StageTimer
from lic_gpu.app.data_notes import say_why_none, warn_names

log = logging.getLogger(__name__)


@dataclass
class EmotionRun:
    """What augmenting one emotion produced (before the frames are assembled)."""

    emotion: str
    labels: pd.Series
    binning: str
    n_missing: int
    lic: LicResult
    result: AugmentResult
    new_row_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    kind: str = "ordinal"
    n_held_out: int = 0  # rows with a class that were not sources (another split)
    notes: list[str] = field(default_factory=list)
    quality: dict = field(default_factory=dict)  # lic_gpu.report.quality.measure of the new rows


def _say_rounded(corpus: Corpus, emotion: str) -> None:
    """Fractional ratings are rounded half up: an INFO line; a WARNING naming the first when they are a few
    among whole numbers (trial 7: a typed 7.5 among 1-9 ratings rounded every rating, said only in INFO)."""
    values = pd.to_numeric(corpus.frame[emotion], errors="coerce")
    fractional = (values.notna() & (values != np.floor(values))).to_numpy()
    n, rated = int(fractional.sum()), int(values.notna().sum())
    if 10 * n >= rated:
        log.info("%s: fractional ratings rounded half up into classes (data.binning=auto)", emotion)
        return
    i = int(np.flatnonzero(fractional)[0])
    log.warning(
        "%s: %d of %d ratings %s fractional among whole numbers (the first: %s, %s); every rating is rounded "
        "half up into classes (data.binning=auto): fix a typo, or set data.binning=integer to refuse fractions",
        emotion,
        n,
        rated,
        "is" if n == 1 else "are",
        f"{values.iloc[i]:g}",
        corpus.rating_at(i),
    )


def _warn_gaps(emotion: str, cl, corpus: Corpus | None = None) -> None:
    """One warning when an ordinal emotion's lowest or highest level lies farther from the next one than the
    other levels span (1-7 and a stray 99): every level is a class, so a typo would be balanced like any other."""
    if cl.kind != "ordinal" or cl.binning == "edges":
        return
    levels = sorted(float(v) for v in cl.labels.dropna().unique())
    if len(levels) < 3:
        return
    counts = cl.labels.value_counts()
    for stray, rest in ((levels[-1], levels[:-1]), (levels[0], levels[1:])):
        if min(abs(stray - rest[0]), abs(stray - rest[-1])) > rest[-1] - rest[0]:
            log.warning(
                "%s: rating level %g lies far from the others (%g-%g); it is a class of its own (a typo? "
                "data.binning=[edges] refuses ratings outside a range)",
                emotion,
                stray,
                rest[0],
                rest[-1],
            )
        elif int(counts.get(stray, 0)) == 1 and all(int(counts.get(v, 0)) > 1 for v in rest):
            # 0 or 8 on a 1-7 scale: next to the others, so not far, but one row where every other level has more
            row = int(cl.labels.index[cl.labels == stray][0])
            log.warning(
                "%s: rating level %g, at the edge of the others (%g-%g), has a single row (row_id %d%s); it is a "
                "class of its own, augmented from that one sentence (a typo? data.binning=[edges] refuses "
                "ratings outside a range)",
                emotion,
                stray,
                rest[0],
                rest[-1],
                row,
                f", {corpus.rating_at(row)}" if corpus is not None else "",
            )


def augment_emotion(
    corpus: Corpus,
    tokenised,
    emotion: str,
    augmenter: LicAugmenter,
    device: torch.device,
    binning: Any = "auto",
    lic_method: str = "seed",
    lic_dtype: torch.dtype = torch.float64,
    timer: StageTimer | None = None,
    kind: str = "ordinal",
    sources: np.ndarray | None = None,
    avoid: set[str] | None = None,
    on_lic: Callable[[str, LicResult, Any], Any] | None = None,
) -> EmotionRun:
    """Classes, LIC and new rows for one emotion (no I/O).

    ``kind``: ``ordinal`` ratings or ``categorical`` labels (the rating-lean guard, which needs
    ordered levels, is skipped for categories). ``sources``: a boolean mask of the rows that may be
    LIC input and sources (the training split); the other rows keep their class but take no part.
    ``avoid``: dedup keys no new row may equal (see :meth:`LicAugmenter.fit_resample`).
    ``on_lic(emotion, lic, tokenised)`` is called as soon as the LIC is known, before the rows are made.
    """
    timer = timer or StageTimer()
    cl = class_labels(corpus.frame[emotion], emotion, binning, kind=kind, source=corpus.source)
    if cl.n_missing:
        log.warning(
            "%s: %d rows have no %s (the first: %s); they are kept as they are but take no part",
            emotion,
            cl.n_missing,
            "label" if cl.kind == "categorical" else "rating",
            corpus.rating_at(int(np.flatnonzero(cl.labels.isna().to_numpy())[0])),
        )
    warn_names(emotion, cl, corpus.frame[emotion])
    if cl.binning == "round_half_up" and binning == "auto":
        _say_rounded(corpus, emotion)
    _warn_gaps(emotion, cl, corpus)
    usable = cl.labels if sources is None else cl.labels.where(sources)
    n_held_out = int(cl.labels.notna().sum() - usable.notna().sum())
    word_dict = build_word_dict(tokenised, usable)
    if len(word_dict) < 2:
        only = plain_label(next(iter(word_dict), None))
        where = "" if sources is None else " in the augmented split(s)"
        raise LicGpuError(
            f"emotion {emotion!r} of {corpus.source} has only one class ({only!r}){where} after binning "
            f"({cl.binning}); there is nothing to balance: choose another emotion or finer data.binning edges"
        )
    with timer(f"lic[{emotion}]"), warnings.catch_warnings():
        # compute_lic warns that two classes leave LIC undefined; the error below says it, with the fix.
        warnings.filterwarnings("ignore", message="LIC is undefined with two classes")
        lic = compute_lic(word_dict, device=device, dtype=lic_dtype, method=lic_method)
    if lic.n_defined == 0:
        hint = (
            "LIC's leave-one-class-out std needs at least 3 classes with words; use lic.method=log_odds"
            if len(word_dict) == 2
            else "every class has the same word statistics"
        )
        raise LicGpuError(
            f"emotion {emotion!r}: LIC is undefined for every word ({len(word_dict)} classes "
            f"{sorted(word_dict)}): {hint}"
        )
    if on_lic is not None:
        on_lic(emotion, lic, tokenised)
    notes = []
    all_guards = augmenter.guards
    if kind == "categorical" and any(isinstance(g, RatingLeanGuard) for g in all_guards):
        notes.append("rating-lean guard skipped: categorical labels have no order to lean along")
        log.info("%s: %s", emotion, notes[-1])
    active = [g for g in all_guards if kind == "ordinal" or not isinstance(g, RatingLeanGuard)]
    for guard in active:
        # new rows inherit every rating, so a guard may check the other rating columns too
        others = (
            other_rating_lics(corpus, tokenised, emotion, binning, device, lic_dtype, sources)
            if guard.needs_other_ratings
            else None
        )
        guard.prepare(emotion, lic, others)
    sizes = {c: len(v) for c, v in word_dict.items()}
    log.info("%s: %d classes %s; searching neighbours and generating rows", emotion, len(sizes), sizes)
    with timer(f"generate[{emotion}]"):
        result = augmenter.fit_resample(word_dict, lic, tokenised, avoid=avoid, guards=active)
    # every distinct vector's neighbours were searched, read from the on-disk cache or found by an earlier
    # emotion of this run (kept in memory)
    earlier = result.n_candidate_rows - result.neighbours_searched - result.neighbours_from_cache
    log.info(
        "%s: %d new rows (%d candidate words, %d in the vectors, %d distinct vectors: %d searched, %d from the "
        "neighbour cache%s)",
        emotion,
        len(result.rows),
        result.n_candidate_words,
        result.n_candidate_words_in_vocab,
        result.n_candidate_rows,
        result.neighbours_searched,
        result.neighbours_from_cache,
        f", {earlier} found earlier in this run" if earlier > 0 else "",
    )
    if result.n_candidate_words and not result.n_candidate_words_in_vocab:
        raise LicGpuError(
            f"emotion {emotion!r}: none of the {result.n_candidate_words} candidate words (positive LIC, "
            f"not stopwords) is in the word vectors' vocabulary ({augmenter.store.source}); check the "
            "vectors' language/casing or the tokenizer"
        )
    if result.n_candidate_words and result.n_candidate_words_in_vocab < 0.5 * result.n_candidate_words:
        log.warning(
            "%s: only %d of the %d candidate words are in the word vectors' vocabulary (%s); check the vectors' "
            "language/casing or the tokenizer (the packaged GloVe has 99 %% of the demo's)",
            emotion,
            result.n_candidate_words_in_vocab,
            result.n_candidate_words,
            augmenter.store.source,
        )
    say_why_none(emotion, result, len(augmenter.store.words))
    return EmotionRun(
        emotion, cl.labels, cl.binning, cl.n_missing, lic, result, kind=kind, n_held_out=n_held_out, notes=notes
    )


def fill_line(run: EmotionRun) -> str:
    """One console line per emotion: generated/requested per class, so a low fill cannot pass unseen."""
    parts = []
    short = []
    for cls, rep in run.result.classes.items():
        if rep.requested <= 0:
            continue
        pct = 100 * rep.fill_rate
        parts.append(f"{cls}: {rep.generated}/{rep.requested} ({pct:.0f} %)")
        if rep.generated < rep.requested:
            short.append(f"class {cls}: {rep.shortfall_reason}")
    line = f"{run.emotion}: new rows per class (made/requested) " + (" · ".join(parts) or "none needed")
    return line + "".join(f"\n  {s}" for s in short)


def other_rating_lics(
    corpus: Corpus,
    tokenised,
    emotion: str,
    binning: Any,
    device: torch.device,
    lic_dtype: torch.dtype,
    sources: np.ndarray | None = None,
) -> dict[str, LicResult]:
    """Class x word counts of every other rating column (only ``.counts/.classes/.vocab`` are used).

    Columns that cannot be binned the same way, or have fewer than two classes, are skipped.
    """
    out = {}
    for col in corpus.rating_columns:
        if col == emotion:
            continue
        try:
            labels = class_labels(corpus.frame[col], col, binning, source=corpus.source).labels
            labels = labels if sources is None else labels.where(sources)
        except LicGpuError as err:
            log.info("guard: not checking %s (%s)", col, err)
            continue
        word_dict = build_word_dict(tokenised, labels)
        if len(word_dict) >= 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[col] = compute_lic(word_dict, device=device, dtype=lic_dtype)
    return out


@dataclass
class CorpusRun:
    """Everything one run computed for a corpus, before anything is written."""

    corpus: Corpus
    runs: list[EmotionRun]
    frame: pd.DataFrame
    classes: pd.DataFrame
    store: Any
    choice: DeviceChoice
    guard_info: dict
    kinds: dict[str, str]
    splits: SourceRows
    # every sentence of corpus.texts split once (the report's word counts reuse them)
    tokenised: list | None = None


def augment_corpus(
    corpus: Corpus, settings: RunSettings, timer: StageTimer | None = None, store=None, on_lic=None
) -> CorpusRun:
    """Augment every emotion of ``settings`` on ``corpus`` and assemble the frames (no files).
    ``on_lic``: see :func:`augment_emotion`.

    Shared by the command line, :func:`lic_gpu.api.augment_frame` and :class:`lic_gpu.api.LicResampler`.
    """
    timer = timer or StageTimer()
    kinds = corpus.require_emotions(settings.emotions, settings.label_kind)
    categorical = [e for e in (settings.caps.get("region") or {}) if kinds.get(e) == "categorical"]
    if settings.caps["kind"] != "none" and categorical:
        raise LicGpuError(
            f"caps.region names {categorical[0]!r}, whose labels are categorical; caps keep a "
            "[lo, hi] range of ordinal rating levels: leave it out of caps.region or use caps=none"
        )
    splits = source_rows(corpus.frame, settings.split_column, settings.augment_splits, corpus.source)
    if splits.column and splits.mask is not None:  # a split column comes with its mask
        log.info(
            "split column %r: augmenting %s (%d of %d rows); the other rows pass through",
            splits.column,
            list(splits.augment),
            int(splits.mask.sum()),
            len(corpus.frame),
        )
    check_classes(
        corpus, settings.emotions, settings.data["binning"], settings.augment["sampling_strategy"], kinds, splits.mask
    )
    with timer("load_data"):
        tokenised = tokenise_all(corpus.texts, settings.tokenise)
    choice = settings.choice
    if store is None:
        store, choice = load_store(settings.embeddings, settings.choice, timer)
    aug_cfg = settings.augment
    guards, guard_info = build_guards(aug_cfg, store=store, stopwords=settings.stopwords)
    with timer("load_grammar"):
        grammar, grammar_info = build_grammar(aug_cfg)
        diverse = aug_cfg["mode"] == "diverse"
        thesaurus = (
            load_thesaurus(aug_cfg.get("thesaurus"), grammar.inflector if grammar else None) if diverse else None
        )
        ignored = [
            f"augment.{k}={str(aug_cfg[k]).lower()}" for k in ("thesaurus", "wordnet", "encoder") if aug_cfg.get(k)
        ]
        if not diverse and ignored:
            # augment.mode=seed on the default group keeps diverse mode's other settings; augment=seed does not
            log.warning(
                "%s: seed mode (the notebook's rule) makes its rows without these (the encoder stage only re-scores "
                "them); for the notebook's rule with its own settings use augment=seed, for these checks augment=diverse",
                ", ".join(ignored),
            )
    augmenter = LicAugmenter.from_options(
        aug_cfg, store, settings.stopwords, guards=guards, grammar=grammar, thesaurus=thesaurus, seed=settings.seed
    )
    guard_info = dict(
        guard_info,
        grammar=grammar_info,
        thesaurus=thesaurus.name if thesaurus else None,
        # the augmenter's candidate checks load the tables (lic_gpu.augment.checks.cheap_checks)
        wordnet=WORDNET_NAME if diverse and augmenter.wordnet else None,
        wordnet_nouns=noun_policy(augmenter.wordnet) if diverse else None,
        wordnet_verbs=verb_policy(augmenter.wordnet) if diverse else None,
    )
    avoid = originals_keys({}, tokenised)  # no new row equals an original or another new row, across emotions
    q_sample = check_quality_sample(settings.report["quality_sample"])
    q_tagger = quality_tagger(grammar, q_sample)
    # word look-ups' answers kept in the tag cache (when there is one): a warm run loads neither
    # lemminflect's tables nor the thesaurus nor WordNet's tables
    answer_store.attach(getattr(grammar.tagger if grammar else q_tagger, "cache", None))
    corpus_words = {tok.lower() for t in tokenised for tok in t.tokens}
    runs: list[EmotionRun] = []
    for emo in settings.emotions:
        log.info("augmenting %s (%s labels)", emo, kinds[emo])
        run = augment_emotion(
            corpus,
            tokenised,
            emo,
            augmenter,
            choice.device,
            binning=settings.data["binning"],
            lic_method=settings.lic_method,
            lic_dtype=settings.lic_dtype,
            timer=timer,
            kind=kinds[emo],
            sources=splits.mask,
            avoid=avoid,
            on_lic=on_lic,
        )
        if augmenter.settings.mode == "diverse":  # seed mode, as the notebook, does not deduplicate
            note_rows_made_earlier(run, runs)  # the cross-emotion dedup, named where a class falls short
        log.info("%s", fill_line(run))
        with timer(f"quality[{emo}]"):
            run.quality = measure_quality(
                run.result.rows,
                tokenised=tokenised,
                tokenise=settings.tokenise,
                tagger=q_tagger,
                rank_of=store.resolve,
                corpus_words=corpus_words,
                sample=q_sample,
                seed=settings.seed,
            )
        runs.append(run)
    loaded = model_load_seconds(grammar.tagger if grammar else None, q_tagger)
    if loaded:  # inside the generate/quality stages: said apart, as the wall-clock benchmark reads it
        timer.timings["load_tagger"] = round(loaded, 4)
    choice = with_search_fallback(choice, store)
    answer_store.save()
    with timer("assemble"):
        log.info("assembling %d original and %d new rows", len(corpus.frame), sum(len(r.result.rows) for r in runs))
        frame, classes = assemble(corpus, runs)
    return CorpusRun(corpus, runs, frame, classes, store, choice, guard_info, kinds, splits, tokenised)


def check_classes(
    corpus: Corpus,
    emotions: Sequence[str],
    binning: Any,
    sampling_strategy: Any,
    kinds: Mapping[str, str] | None = None,
    sources: np.ndarray | None = None,
) -> None:
    """Before any vectors are read: every emotion bins into at least two classes (among the rows that
    may be sources), and ``sampling_strategy`` fits those classes (the checks :func:`augment_emotion`
    would make later)."""
    from lic_gpu.augment.strategy import check_sampling_strategy

    for emo in emotions:
        cl = class_labels(corpus.frame[emo], emo, binning, kind=(kinds or {}).get(emo, "ordinal"), source=corpus.source)
        labels = cl.labels if sources is None else cl.labels.where(sources)
        sizes = {c: int(n) for c, n in labels.dropna().value_counts().sort_index().items()}
        if len(sizes) < 2:
            where = "" if sources is None else " in the augmented split(s)"
            raise LicGpuError(
                f"emotion {emo!r} of {corpus.source} has only one class ({plain_label(next(iter(sizes), None))!r}){where} "
                f"after binning ({cl.binning}); there is nothing to balance: choose another emotion or finer "
                "data.binning edges"
            )
        check_sampling_strategy(sampling_strategy, sizes)
