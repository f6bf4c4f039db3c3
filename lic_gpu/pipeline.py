"""The main job, from a composed config to the files in the run folder.

``run_augment(cfg)`` is the only function that reads a ``DictConfig``; it turns it into plain
arguments for the library functions. Nothing is written until everything has been computed, and
every file is written atomically.
"""
from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

import lic_gpu.config  # noqa: F401  (registers the config schema with Hydra)
from lic_gpu.data import (Corpus, SourceRows, build_word_dict, check_label_kind, class_labels, load_csv, load_demo,
                          load_emobank, load_seed_csv, source_rows)
from lic_gpu.device import DeviceChoice, resolve_device
from lic_gpu.entry import exit_after_single_run, main_guarded  # noqa: F401  (the entry scripts' names)
from lic_gpu.errors import LicGpuError
from lic_gpu.gc_pause import paused_gc
from lic_gpu.guard import RatingLeanGuard, build_guards
from lic_gpu.lic import LIC_DTYPES, LicResult, check_lic_method, compute_lic
from lic_gpu.fluency import build_grammar, load_thesaurus, quality_tagger
from lic_gpu.quality import check_quality_sample
from lic_gpu.quality import measure as measure_quality
from lic_gpu.sampler import AugmentResult, LicAugmenter, originals_keys
from lic_gpu.text import check_tokeniser, load_stopwords, resolve_tokenizer
from lic_gpu.timing import StageTimer

log = logging.getLogger(__name__)

PROVENANCE_COLUMNS = ("is_augmented", "row_id", "source_row", "augmented_for", "swaps")
# ``augmented_for`` of an original row: not empty, so CSV readers that infer a column's type from its
# first rows (pyarrow, Hugging Face ``datasets``) see a text column from the start.
ORIGINAL_MARK = "-"
# A new row's last id column: the source's id + this + its row_id (text ids), see new_row_ids.
NEW_ID_SUFFIX = "_aug"

DATA_KINDS = ("demo", "seed_csv", "csv", "emobank")
# Inputs of at least this many rows get progress output (a bar while tokenising; the stages log)
_PROGRESS_ROWS = 100_000


# ---------------------------------------------------------------- small pieces

def load_corpus(kind: str, **options: Any) -> Corpus:
    """Dispatch on ``data.kind`` to the loaders in :mod:`lic_gpu.data`."""
    if kind not in DATA_KINDS:
        raise LicGpuError(f"data.kind must be one of {list(DATA_KINDS)}; got {kind!r}")
    if kind == "demo":
        return load_demo()
    if kind == "emobank":
        return load_emobank(options["path"], encoding=options.get("encoding", "utf-8"), sep=options.get("sep"))
    if kind == "seed_csv":
        return load_seed_csv(options["words_csv"], options["ratings_csv"],
                             id_columns=options.get("id_columns") or ("sub", "episode", "segment"),
                             text_column=options.get("text_column", "label"),
                             rating_columns=options.get("rating_columns"),
                             encoding=options.get("encoding", "utf-8"),
                             ratings_encoding=options.get("ratings_encoding"),
                             non_rating_columns=options.get("non_rating_columns") or (),
                             sep=options.get("sep"))
    return load_csv(options["path"], text_column=options.get("text_column", "text"),
                    rating_columns=options.get("rating_columns"), id_columns=options.get("id_columns") or (),
                    encoding=options.get("encoding", "utf-8"), rename=options.get("rename") or None,
                    non_rating_columns=options.get("non_rating_columns") or (), sep=options.get("sep"))


def as_emotion_list(emotion: str | Sequence[str]) -> list[str]:
    """``"arousal"`` or ``["arousal", "valence"]`` -> a list without repeats."""
    from lic_gpu.config import check_emotions

    return check_emotions(list(emotion) if isinstance(emotion, tuple) else emotion)


# ---------------------------------------------------------------- per emotion

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
    quality: dict = field(default_factory=dict)  # lic_gpu.quality.measure of the new rows


def augment_emotion(corpus: Corpus, tokenised, emotion: str, augmenter: LicAugmenter, device: torch.device,
                    binning: Any = "auto", lic_method: str = "seed", lic_dtype: torch.dtype = torch.float64,
                    timer: StageTimer | None = None, kind: str = "ordinal",
                    sources: np.ndarray | None = None, avoid: set[str] | None = None) -> EmotionRun:
    """Classes, LIC and new rows for one emotion (no I/O).

    ``kind``: ``ordinal`` ratings or ``categorical`` labels (the rating-lean guard, which needs
    ordered levels, is skipped for categories). ``sources``: a boolean mask of the rows that may be
    LIC input and sources (the training split); the other rows keep their class but take no part.
    ``avoid``: dedup keys no new row may equal (see :meth:`LicAugmenter.fit_resample`).
    """
    timer = timer or StageTimer()
    cl = class_labels(corpus.frame[emotion], emotion, binning, kind=kind)
    usable = cl.labels if sources is None else cl.labels.where(sources)
    n_held_out = int(cl.labels.notna().sum() - usable.notna().sum())
    word_dict = build_word_dict(tokenised, usable)
    if len(word_dict) < 2:
        only = next(iter(word_dict), None)
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
        hint = ("LIC's leave-one-class-out std needs at least 3 classes with words; use lic.method=log_odds"
                if len(word_dict) == 2 else "every class has the same word statistics")
        raise LicGpuError(f"emotion {emotion!r}: LIC is undefined for every word ({len(word_dict)} classes "
                          f"{sorted(word_dict)}): {hint}")
    notes = []
    all_guards = augmenter.guards
    if kind == "categorical" and any(isinstance(g, RatingLeanGuard) for g in all_guards):
        notes.append("rating-lean guard skipped: categorical labels have no order to lean along")
        log.info("%s: %s", emotion, notes[-1])
    active = [g for g in all_guards if kind == "ordinal" or not isinstance(g, RatingLeanGuard)]
    for guard in active:
        # new rows inherit every rating, so a guard may check the other rating columns too
        others = (other_rating_lics(corpus, tokenised, emotion, binning, device, lic_dtype, sources)
                  if guard.needs_other_ratings else None)
        guard.prepare(emotion, lic, others)
    sizes = {c: len(v) for c, v in word_dict.items()}
    log.info("%s: %d classes %s; searching neighbours and generating rows", emotion, len(sizes), sizes)
    augmenter.guards = active
    try:
        with timer(f"generate[{emotion}]"):
            result = augmenter.fit_resample(word_dict, lic, tokenised, avoid=avoid)
    finally:
        augmenter.guards = all_guards
    log.info("%s: %d new rows (%d candidate words: %d searched, %d from the neighbour cache)", emotion,
             len(result.rows), result.n_candidate_words, result.neighbours_searched, result.neighbours_from_cache)
    if result.n_candidate_words and not result.n_candidate_words_in_vocab:
        raise LicGpuError(
            f"emotion {emotion!r}: none of the {result.n_candidate_words} candidate words (positive LIC, "
            f"not stopwords) is in the word vectors' vocabulary ({augmenter.store.source}); check the "
            "vectors' language/casing or the tokenizer"
        )
    return EmotionRun(emotion, cl.labels, cl.binning, cl.n_missing, lic, result, kind=kind,
                      n_held_out=n_held_out, notes=notes)


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


def other_rating_lics(corpus: Corpus, tokenised, emotion: str, binning: Any, device: torch.device,
                      lic_dtype: torch.dtype, sources: np.ndarray | None = None) -> dict[str, LicResult]:
    """Class x word counts of every other rating column (only ``.counts/.classes/.vocab`` are used).

    Columns that cannot be binned the same way, or have fewer than two classes, are skipped.
    """
    out = {}
    for col in corpus.rating_columns:
        if col == emotion:
            continue
        try:
            labels = class_labels(corpus.frame[col], col, binning).labels
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


def assemble(corpus: Corpus, runs: Sequence[EmotionRun]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Originals once + every emotion's new rows, with provenance; and the class labels of each row.

    New rows copy every column of their source row (ratings are inherited) except the text; when
    the id columns identify the originals uniquely, the new rows' ids are unique too (:func:`new_row_ids`). Their ``row_id`` continues after the originals, in
    emotion order.
    """
    base = corpus.frame
    n = len(base)
    parts = [base.assign(is_augmented=False, row_id=np.arange(n), source_row=np.arange(n),
                         augmented_for=ORIGINAL_MARK, swaps="[]")]
    class_parts = [pd.DataFrame({r.emotion: r.labels.reset_index(drop=True) for r in runs}, index=pd.RangeIndex(n))]
    next_id = n
    # Ids that identify a row stay unique; ids that do not (a subject column alone) are copied.
    renumber = bool(corpus.id_columns) and not base.duplicated(list(corpus.id_columns)).any()
    for r in runs:
        rows = r.result.rows
        src = np.fromiter((row.source_row for row in rows), dtype=np.int64, count=len(rows))
        ids = np.arange(next_id, next_id + len(rows), dtype=np.int64)
        r.new_row_ids = ids
        next_id += len(rows)
        new = base.iloc[src].reset_index(drop=True)
        new[corpus.text_column] = [row.text for row in rows]
        if renumber and len(rows):
            last = corpus.id_columns[-1]
            new[last] = new_row_ids(base[last], src, ids)
        new = new.assign(is_augmented=True, row_id=ids, source_row=src, augmented_for=r.emotion,
                         swaps=[row.swaps_json() for row in rows])
        parts.append(new)
        cls = pd.DataFrame({e.emotion: e.labels.iloc[src].reset_index(drop=True) for e in runs},
                           index=pd.RangeIndex(len(rows)))
        if len(rows):
            cls[r.emotion] = pd.array([row.cls for row in rows], dtype=r.labels.dtype)
        class_parts.append(cls)
    frame = pd.concat(parts, ignore_index=True)
    classes = pd.concat(class_parts, ignore_index=True)
    for r in runs:  # concat of empty parts can lose the nullable dtype
        classes[r.emotion] = classes[r.emotion].astype(r.labels.dtype)
    for c in corpus.rating_columns:
        vals = frame[c]
        if vals.notna().any() and (vals.dropna() == np.floor(vals.dropna())).all():
            frame[c] = vals.astype("Int64")
    return frame, classes


def new_row_ids(originals: pd.Series, sources: np.ndarray, row_ids: np.ndarray) -> np.ndarray:
    """Unique values of an id column for new rows (the column's type is kept, so CSV readers that
    infer types from the first rows do not trip over later ones).

    Integer ids (``segment``): continue after the largest original, one per new row in ``row_id``
    order (``max + 1 + row_id - n_originals``). Other ids (EmoBank's ``id``): the source's id +
    ``_aug`` + ``row_id``, e.g. ``110CYL068_1036_1079_aug10062``.
    """
    n = len(originals)
    if pd.api.types.is_integer_dtype(originals.dtype) and originals.notna().all() and n:
        return pd.array(int(originals.max()) + 1 + (row_ids - n), dtype=originals.dtype)
    text = originals.astype(object).where(originals.notna(), "").map(str).str.strip()
    if n and text.str.fullmatch(r"[+-]?\d+").all():
        return np.array([str(v) for v in int(text.astype(np.int64).max()) + 1 + (row_ids - n)], dtype=object)
    return np.array([f"{s}{NEW_ID_SUFFIX}{i}" for s, i in zip(text.to_numpy(dtype=object)[sources], row_ids)],
                    dtype=object)


def emotion_rows(frame: pd.DataFrame, emotion: str) -> pd.Series:
    """Mask of the originals plus the new rows made for ``emotion``."""
    return (~frame["is_augmented"]) | (frame["augmented_for"] == emotion)


def emotion_frame(frame: pd.DataFrame, emotion: str) -> pd.DataFrame:
    """The originals plus the new rows made for ``emotion``."""
    return frame[emotion_rows(frame, emotion)].reset_index(drop=True)


# ---------------------------------------------------------------- the Hydra-facing entry

def run_augment(cfg, out_dir: str | Path | None = None) -> dict:
    """Run the main job for a composed config; returns the summary written to ``summary.json``.

    ``out_dir`` defaults to Hydra's run folder. Errors meant for the user are
    :class:`LicGpuError`; the entry script prints them as one line.
    """
    with paused_gc():
        return _run_augment(cfg, out_dir)


@dataclass
class RunSettings:
    """The plain arguments of a run, read once from a composed config (the only place that reads it)."""

    emotions: list[str]
    choice: DeviceChoice
    data: dict
    tokenizer: str
    tokenise: Any
    lic_method: str
    lic_dtype: torch.dtype
    stopwords: frozenset
    stopwords_origin: str
    augment: dict
    caps: dict
    embeddings: dict
    seed: int
    report: dict
    output_format: str
    label_kind: str
    split_column: Any
    augment_splits: Any
    inputs: dict = field(default_factory=dict)  # option -> input file it names (never written)
    config_yaml: str = ""


def settings_from_config(cfg, emotion: Any = None, data_in_memory: bool = False) -> RunSettings:
    """Validate a composed ``augment`` config and turn it into :class:`RunSettings`.

    ``emotion`` replaces ``cfg.emotion`` (the Python API names its label column itself);
    ``data_in_memory``: the data is a DataFrame, not the file ``data.path`` names.
    """
    from omegaconf import OmegaConf

    from lic_gpu.config import check_options, plain_config
    from lic_gpu.formats import check_output_format

    if emotion is not None:
        cfg = cfg.copy()
        OmegaConf.update(cfg, "emotion", emotion, force_add=True)
    # Every option and the input files' existence are checked before any work.
    plain = plain_config(cfg)
    opts = check_options(plain, data_in_memory=data_in_memory)
    data_cfg = dict(opts.data)
    tokenizer = resolve_tokenizer(data_cfg.get("tokenizer", "auto"), opts.augment.get("mode", "diverse"))
    stopwords, sw_origin = load_stopwords(opts.stopwords.get("source", "auto"), opts.stopwords["extra"],
                                          opts.stopwords["remove"])
    output_cfg = plain.get("output") or {}
    return RunSettings(
        emotions=opts.emotions, choice=resolve_device(opts.device), data=data_cfg, tokenizer=tokenizer,
        tokenise=check_tokeniser(tokenizer), lic_method=check_lic_method(opts.lic.get("method", "seed")),
        lic_dtype=LIC_DTYPES[opts.lic.get("dtype", "float64")], stopwords=stopwords, stopwords_origin=sw_origin,
        augment=dict(opts.augment), caps=dict(opts.caps) or {"kind": "none"}, embeddings=dict(opts.embeddings),
        seed=opts.seed, report=dict(opts.report),
        output_format=check_output_format(output_cfg.get("format", "csv")),
        label_kind=check_label_kind(data_cfg.get("label_kind", "auto")),
        split_column=data_cfg.get("split_column", "auto"), augment_splits=data_cfg.get("augment_splits", ["train"]),
        inputs=opts.inputs, config_yaml=OmegaConf.to_yaml(cfg))


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


def load_store(settings: RunSettings, timer: StageTimer) -> tuple[Any, DeviceChoice]:
    """The word vectors of ``settings.embeddings`` on the chosen device (cpu when they do not fit)."""
    from lic_gpu.embeddings import EmbeddingStore

    choice = settings.choice
    emb_cfg = settings.embeddings
    log.info("loading word vectors %s", emb_cfg.get("source"))
    with timer("load_vectors"):
        try:
            store = EmbeddingStore.load(device=choice.device, **emb_cfg)
        except torch.OutOfMemoryError:
            if choice.device.type == "cpu":
                raise
            reason = (f"the word vectors do not fit in {choice.device} memory; using cpu "
                      "(embeddings.dtype=float16 or embeddings.limit=N would keep them on the GPU)")
            log.warning(reason)
            choice = DeviceChoice(torch.device("cpu"), choice.requested, reason)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            store = EmbeddingStore.load(device=choice.device, **emb_cfg)
    log.info("vectors: %s (%d words, dim %d) on %s", store.source, len(store), store.dim, choice.device)
    return store, choice

def augment_corpus(corpus: Corpus, settings: RunSettings, timer: StageTimer | None = None,
                   store=None) -> CorpusRun:
    """Augment every emotion of ``settings`` on ``corpus`` and assemble the frames (no files).

    Shared by the command line, :func:`lic_gpu.api.augment_frame` and :class:`lic_gpu.api.LicResampler`.
    """
    timer = timer or StageTimer()
    kinds = corpus.require_emotions(settings.emotions, settings.label_kind)
    categorical = [e for e in (settings.caps.get("region") or {}) if kinds.get(e) == "categorical"]
    if settings.caps.get("kind", "none") != "none" and categorical:
        raise LicGpuError(f"caps.region names {categorical[0]!r}, whose labels are categorical; caps keep a "
                          "[lo, hi] range of ordinal rating levels: leave it out of caps.region or use caps=none")
    splits = source_rows(corpus.frame, settings.split_column, settings.augment_splits, corpus.source)
    if splits.column:
        log.info("split column %r: augmenting %s (%d of %d rows); the other rows pass through", splits.column,
                 list(splits.augment), int(splits.mask.sum()), len(corpus.frame))
    check_classes(corpus, settings.emotions, settings.data.get("binning", "auto"),
                  settings.augment.get("sampling_strategy", "auto"), kinds, splits.mask)
    with timer("load_data"):
        tokenised = tokenise_all(corpus.texts, settings.tokenise)
    choice = settings.choice
    if store is None:
        store, choice = load_store(settings, timer)
    aug_cfg = settings.augment
    guards, guard_info = build_guards(aug_cfg, store=store, stopwords=settings.stopwords)
    with timer("load_grammar"):
        grammar, grammar_info = build_grammar(aug_cfg)
        thesaurus = (load_thesaurus(aug_cfg.get("thesaurus"), grammar.inflector if grammar else None)
                     if aug_cfg.get("mode", "diverse") == "diverse" else None)
    guard_info = dict(guard_info, grammar=grammar_info, thesaurus=thesaurus.name if thesaurus else None)
    augmenter = LicAugmenter.from_options(aug_cfg, store, settings.stopwords, guards=guards, grammar=grammar,
                                          thesaurus=thesaurus, seed=settings.seed)
    avoid = originals_keys({}, tokenised)  # no new row equals an original or another new row, across emotions
    q_sample = check_quality_sample(settings.report.get("quality_sample", 500))
    q_tagger = quality_tagger(grammar, q_sample)
    corpus_words = {tok.lower() for t in tokenised for tok in t.tokens}
    runs = []
    for emo in settings.emotions:
        log.info("augmenting %s (%s labels)", emo, kinds[emo])
        run = augment_emotion(corpus, tokenised, emo, augmenter, choice.device,
                              binning=settings.data.get("binning", "auto"), lic_method=settings.lic_method,
                              lic_dtype=settings.lic_dtype, timer=timer, kind=kinds[emo], sources=splits.mask,
                              avoid=avoid)
        log.info("%s", fill_line(run))
        with timer(f"quality[{emo}]"):
            run.quality = measure_quality(run.result.rows, tokenised=tokenised, tokenise=settings.tokenise,
                                          tagger=q_tagger, rank_of=store.resolve, corpus_words=corpus_words,
                                          sample=q_sample, seed=settings.seed)
        runs.append(run)
    with timer("assemble"):
        log.info("assembling %d original and %d new rows", len(corpus.frame), sum(len(r.result.rows) for r in runs))
        frame, classes = assemble(corpus, runs)
    return CorpusRun(corpus, runs, frame, classes, store, choice, guard_info, kinds, splits)


def _run_augment(cfg, out_dir: str | Path | None) -> dict:
    from lic_gpu import outputs

    timer = StageTimer()
    t_start = time.perf_counter()
    settings = settings_from_config(cfg)
    if out_dir is None:
        from hydra.core.hydra_config import HydraConfig

        out_dir = HydraConfig.get().runtime.output_dir
    # before any work: no input is an output path, the folder is writable and holds no other run's files
    out_dir = outputs.prepare_run_folder(out_dir, settings.emotions, settings.inputs)
    log.info("lic_gpu: emotion %s, %s mode, device %s", ", ".join(settings.emotions),
             settings.augment.get("mode"), settings.choice.device)
    data_cfg = dict(settings.data)
    with timer("load_data"):
        corpus = load_corpus(data_cfg.pop("kind"), **data_cfg)
    log.info("read %d sentences from %s", len(corpus.frame), corpus.source)
    done = augment_corpus(corpus, settings, timer)
    log.info("writing outputs to %s", out_dir)
    return outputs.write_run(
        out_dir=out_dir, cfg_yaml=settings.config_yaml, corpus=corpus, runs=done.runs, frame=done.frame,
        classes=done.classes, emotions=settings.emotions, choice=done.choice, store=done.store,
        stopwords=settings.stopwords, stopwords_origin=settings.stopwords_origin, tokenizer=settings.tokenizer,
        aug_cfg=settings.augment, caps_cfg=settings.caps, seed=settings.seed, guard_info=done.guard_info,
        report_cfg=settings.report, timer=timer, t_start=t_start, output_format=settings.output_format,
        kinds=done.kinds, splits=done.splits, tokenise=settings.tokenise)


def check_classes(corpus: Corpus, emotions: Sequence[str], binning: Any, sampling_strategy: Any,
                  kinds: Mapping[str, str] | None = None, sources: np.ndarray | None = None) -> None:
    """Before any vectors are read: every emotion bins into at least two classes (among the rows that
    may be sources), and ``sampling_strategy`` fits those classes (the checks :func:`augment_emotion`
    would make later)."""
    from lic_gpu.strategy import check_sampling_strategy

    for emo in emotions:
        cl = class_labels(corpus.frame[emo], emo, binning, kind=(kinds or {}).get(emo, "ordinal"))
        labels = cl.labels if sources is None else cl.labels.where(sources)
        sizes = {c: int(n) for c, n in labels.dropna().value_counts().sort_index().items()}
        if len(sizes) < 2:
            where = "" if sources is None else " in the augmented split(s)"
            raise LicGpuError(
                f"emotion {emo!r} of {corpus.source} has only one class ({next(iter(sizes), None)!r}){where} "
                f"after binning ({cl.binning}); there is nothing to balance: choose another emotion or finer "
                "data.binning edges"
            )
        check_sampling_strategy(sampling_strategy, sizes)


def tokenise_all(texts: Sequence[str], tokenise) -> list:
    """Tokenise every sentence once (shared by all emotions), with a progress bar on large inputs."""
    from tqdm.auto import tqdm

    if len(texts) >= _PROGRESS_ROWS:
        log.info("tokenising %d sentences", len(texts))
    return [tokenise(t) for t in tqdm(texts, desc="tokenising", unit=" sentences", leave=False,
                                      disable=len(texts) < _PROGRESS_ROWS, mininterval=1.0)]
