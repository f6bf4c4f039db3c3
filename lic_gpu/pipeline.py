"""The main job, from a composed config to the files in the run folder.

``run_augment(cfg)`` is the only function that reads a ``DictConfig``; it turns it into plain
arguments for the library functions. Nothing is written until everything has been computed, and
every file is written atomically.
"""
from __future__ import annotations

import logging
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd
import torch

import lic_gpu.config  # noqa: F401  (registers the config schema with Hydra)
from lic_gpu.data import Corpus, build_word_dict, class_labels, load_csv, load_demo, load_emobank, load_seed_csv
from lic_gpu.device import DeviceChoice, resolve_device
from lic_gpu.entry import exit_after_single_run, main_guarded  # noqa: F401  (the entry scripts' names)
from lic_gpu.errors import LicGpuError
from lic_gpu.gc_pause import paused_gc
from lic_gpu.guard import build_guards
from lic_gpu.lic import LIC_DTYPES, LicResult, check_lic_method, compute_lic
from lic_gpu.sampler import AugmentResult, LicAugmenter, check_sampling_strategy
from lic_gpu.text import check_tokeniser, load_stopwords

log = logging.getLogger(__name__)

PROVENANCE_COLUMNS = ("is_augmented", "row_id", "source_row", "augmented_for", "swaps")
DATA_KINDS = ("demo", "seed_csv", "csv", "emobank")
# Inputs of at least this many rows get progress output (a bar while tokenising; the stages log)
_PROGRESS_ROWS = 100_000


# ---------------------------------------------------------------- small pieces

class StageTimer:
    """Seconds per named stage, for ``summary.json``."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - t0, 4)


def load_corpus(kind: str, **options: Any) -> Corpus:
    """Dispatch on ``data.kind`` to the loaders in :mod:`lic_gpu.data`."""
    if kind not in DATA_KINDS:
        raise LicGpuError(f"data.kind must be one of {list(DATA_KINDS)}; got {kind!r}")
    if kind == "demo":
        return load_demo()
    if kind == "emobank":
        return load_emobank(options["path"], encoding=options.get("encoding", "utf-8"))
    if kind == "seed_csv":
        return load_seed_csv(options["words_csv"], options["ratings_csv"],
                             id_columns=options.get("id_columns") or ("sub", "episode", "segment"),
                             text_column=options.get("text_column", "label"),
                             rating_columns=options.get("rating_columns"),
                             encoding=options.get("encoding", "utf-8"),
                             ratings_encoding=options.get("ratings_encoding"),
                             non_rating_columns=options.get("non_rating_columns") or ())
    return load_csv(options["path"], text_column=options.get("text_column", "text"),
                    rating_columns=options.get("rating_columns"), id_columns=options.get("id_columns") or (),
                    encoding=options.get("encoding", "utf-8"), rename=options.get("rename") or None,
                    non_rating_columns=options.get("non_rating_columns") or ())


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


def augment_emotion(corpus: Corpus, tokenised, emotion: str, augmenter: LicAugmenter, device: torch.device,
                    binning: Any = "auto", lic_method: str = "seed", lic_dtype: torch.dtype = torch.float64,
                    timer: StageTimer | None = None) -> EmotionRun:
    """Classes, LIC and new rows for one emotion (no I/O)."""
    timer = timer or StageTimer()
    log.info("augmenting %s: classes and LIC", emotion)
    cl = class_labels(corpus.frame[emotion], emotion, binning)
    word_dict = build_word_dict(tokenised, cl.labels)
    if len(word_dict) < 2:
        only = next(iter(word_dict), None)
        raise LicGpuError(
            f"emotion {emotion!r} of {corpus.source} has only one class ({only!r}) after binning "
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
    for guard in augmenter.guards:
        if getattr(guard, "scope", None) == "all" and hasattr(guard, "prepare_ratings"):
            # new rows inherit every rating, so the guard checks the other rating columns too
            guard.prepare_ratings(emotion, lic, other_rating_lics(corpus, tokenised, emotion, binning,
                                                                  device, lic_dtype))
        elif hasattr(guard, "prepare"):
            guard.prepare(emotion, lic)
    log.info("generating rows for %s", emotion)
    with timer(f"generate[{emotion}]"):
        result = augmenter.fit_resample(word_dict, lic, tokenised)
    if result.n_candidate_words and not result.n_candidate_words_in_vocab:
        raise LicGpuError(
            f"emotion {emotion!r}: none of the {result.n_candidate_words} candidate words (positive LIC, "
            f"not stopwords) is in the word vectors' vocabulary ({augmenter.store.source}); check the "
            "vectors' language/casing or the tokenizer"
        )
    return EmotionRun(emotion, cl.labels, cl.binning, cl.n_missing, lic, result)


def other_rating_lics(corpus: Corpus, tokenised, emotion: str, binning: Any, device: torch.device,
                      lic_dtype: torch.dtype) -> dict[str, LicResult]:
    """Class x word counts of every other rating column (only ``.counts/.classes/.vocab`` are used).

    Columns that cannot be binned the same way, or have fewer than two classes, are skipped.
    """
    out = {}
    for col in corpus.rating_columns:
        if col == emotion:
            continue
        try:
            labels = class_labels(corpus.frame[col], col, binning).labels
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

    New rows copy every column of their source row (ratings are inherited) except the text.
    Their ``row_id`` continues after the originals, in emotion order.
    """
    base = corpus.frame
    n = len(base)
    parts = [base.assign(is_augmented=False, row_id=np.arange(n), source_row=np.arange(n),
                         augmented_for="", swaps="[]")]
    class_parts = [pd.DataFrame({r.emotion: r.labels.to_numpy() for r in runs}, dtype="Int64")]
    next_id = n
    for r in runs:
        rows = r.result.rows
        src = np.fromiter((row.source_row for row in rows), dtype=np.int64, count=len(rows))
        ids = np.arange(next_id, next_id + len(rows), dtype=np.int64)
        r.new_row_ids = ids
        next_id += len(rows)
        new = base.iloc[src].reset_index(drop=True)
        new[corpus.text_column] = [row.text for row in rows]
        new = new.assign(is_augmented=True, row_id=ids, source_row=src, augmented_for=r.emotion,
                         swaps=[row.swaps_json() for row in rows])
        parts.append(new)
        cls = pd.DataFrame({e.emotion: e.labels.to_numpy()[src] if len(src) else [] for e in runs}, dtype="Int64")
        if len(rows):
            cls[r.emotion] = pd.array([row.cls for row in rows], dtype="Int64")
        class_parts.append(cls)
    frame = pd.concat(parts, ignore_index=True)
    classes = pd.concat(class_parts, ignore_index=True)
    for c in corpus.rating_columns:
        vals = frame[c]
        if vals.notna().any() and (vals.dropna() == np.floor(vals.dropna())).all():
            frame[c] = vals.astype("Int64")
    return frame, classes


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


def _run_augment(cfg, out_dir: str | Path | None) -> dict:
    from omegaconf import OmegaConf

    from lic_gpu import outputs
    from lic_gpu.config import check_options, plain_config

    timer = StageTimer()
    t_start = time.perf_counter()
    # Every option, the input files' existence and the run folder are checked before any work.
    opts = check_options(plain_config(cfg))
    if out_dir is None:
        from hydra.core.hydra_config import HydraConfig

        out_dir = HydraConfig.get().runtime.output_dir
    out_dir = outputs.prepare_run_folder(out_dir, opts.emotions, opts.inputs)
    emotions = opts.emotions
    choice: DeviceChoice = resolve_device(opts.device)
    data_cfg = dict(opts.data)
    tokenise = check_tokeniser(data_cfg.get("tokenizer", "words"))
    lic_method = check_lic_method(opts.lic.get("method", "seed"))
    lic_dtype = LIC_DTYPES[opts.lic.get("dtype", "float64")]
    stopwords, sw_origin = load_stopwords(opts.stopwords.get("source", "auto"), opts.stopwords["extra"],
                                          opts.stopwords["remove"])
    aug_cfg = dict(opts.augment)
    caps_cfg = dict(opts.caps) or {"kind": "none"}
    binning = data_cfg.get("binning", "auto")

    with timer("load_data"):
        log.info("reading the data (data=%s)", data_cfg["kind"])
        corpus = load_corpus(data_cfg.pop("kind"), **data_cfg)
        log.info("read %d sentences from %s", len(corpus.frame), corpus.source)
        corpus.require_emotions(emotions)
        check_classes(corpus, emotions, binning, aug_cfg.get("sampling_strategy", "auto"))
        tokenised = tokenise_all(corpus.texts, tokenise)

    from lic_gpu.embeddings import EmbeddingStore

    emb_cfg = dict(opts.embeddings)
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

    guards, guard_info = build_guards(aug_cfg, store=store, stopwords=stopwords)
    augmenter = LicAugmenter.from_options(aug_cfg, store, stopwords, guards=guards, seed=opts.seed)
    runs = []
    for emo in emotions:
        runs.append(augment_emotion(corpus, tokenised, emo, augmenter, choice.device,
                                    binning=binning, lic_method=lic_method, lic_dtype=lic_dtype, timer=timer))
    with timer("assemble"):
        log.info("assembling %d original and %d new rows", len(corpus.frame), sum(len(r.result.rows) for r in runs))
        frame, classes = assemble(corpus, runs)

    summary = outputs.write_run(
        out_dir=out_dir, cfg_yaml=OmegaConf.to_yaml(cfg), corpus=corpus, runs=runs, frame=frame,
        classes=classes, emotions=emotions, choice=choice, store=store, stopwords=stopwords, stopwords_origin=sw_origin,
        tokenizer=data_cfg.get("tokenizer", "words"), aug_cfg=aug_cfg, caps_cfg=caps_cfg, seed=opts.seed,
        guard_info=guard_info, report_cfg=opts.report, timer=timer, t_start=t_start)
    return summary


def check_classes(corpus: Corpus, emotions: Sequence[str], binning: Any, sampling_strategy: Any) -> None:
    """Before any vectors are read: every emotion bins into at least two classes, and
    ``sampling_strategy`` fits those classes (the checks :func:`augment_emotion` would make later)."""
    for emo in emotions:
        labels = class_labels(corpus.frame[emo], emo, binning)
        sizes = {int(c): int(n) for c, n in labels.labels.dropna().value_counts().sort_index().items()}
        if len(sizes) < 2:
            raise LicGpuError(
                f"emotion {emo!r} of {corpus.source} has only one class ({next(iter(sizes), None)!r}) after "
                f"binning ({labels.binning}); there is nothing to balance: choose another emotion or finer "
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
