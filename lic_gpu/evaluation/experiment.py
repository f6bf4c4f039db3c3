"""The evaluation loop: for every emotion x seed, split by group; for every fraction of the train part
(the learning curve) and every budget, build every method's training set, fit every model and score
it on the untouched test originals of that seed."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from lic_gpu.classes import build_word_dict, class_labels
from lic_gpu.io.data import Corpus
from lic_gpu.errors import LicGpuError
from lic_gpu.evaluation.classifiers import REGRESSORS, MeanEmbedding, MeanEmbeddingMLP, TfidfLogReg, TfidfRidge
from lic_gpu.evaluation.methods import TrainingSet, originals_set, train_lic, training_sets
from lic_gpu.evaluation.settings import EvalSettings, budget_label, is_lic_method
from lic_gpu.evaluation.split import check_no_leakage, row_groups, split_by_group, subsample_train
from lic_gpu.evaluation.statistics import score, score_regression
from lic_gpu.augment.guard import RatingLeanGuard
from lic_gpu.augment import dedup_key
from lic_gpu.text import Tokenised
from lic_gpu.timing import StageTimer

log = logging.getLogger(__name__)


@dataclass
class EvalResult:
    """Per-seed scores (long form: emotion, seed, fraction, budget, classifier, method, metric, value ...)
    and what was done to get them."""

    records: pd.DataFrame
    splits: list[dict]
    augmentation: list[dict]
    leakage: list[dict]
    unavailable: dict[str, str]
    classes: dict[str, list[int]]
    timings_s: dict[str, float]
    groups: str


def evaluate(
    corpus: Corpus,
    tokenised: Sequence[Tokenised],
    settings: EvalSettings,
    store,
    stopwords: frozenset[str],
    device: torch.device,
    guards: Sequence = (),
    fluency: Mapping[str, Any] | None = None,
) -> EvalResult:
    """Split, subsample the train part, augment it, fit, score: every emotion x seed x fraction x budget
    x method x model.

    Parameters
    ----------
    corpus : the originals (``frame`` index = row id)
    tokenised : row id -> Tokenised
    settings : EvalSettings
    store : EmbeddingStore (neighbours for the LIC methods, vectors for the torch classifier)
    stopwords : never replaced
    device : where LIC and the torch classifier run
    guards : rating-consistency guards for ``lic_diverse_guard`` (the method is skipped without them)
    fluency : ``grammar`` and ``thesaurus`` for the diverse-mode methods, as the main job builds them

    Returns
    -------
    EvalResult
    """
    kinds = corpus.require_emotions(settings.emotions, settings.label_kind)
    timer = StageTimer()
    groups, group_desc = row_groups(corpus.frame, settings.group_column, settings.group_prefix_sep)
    if group_desc.startswith("row"):
        log.info("splits: one group per sentence (group.column=COLUMN keeps a speaker's or a document's rows together)")
    else:
        log.info(
            "splits: grouped by %s (%d groups; a group's rows are all train or all test)", group_desc, len(set(groups))
        )
    texts = corpus.texts
    methods = list(settings.methods)
    unavailable = {}
    if "lic_diverse_guard" in methods and not guards:
        unavailable["lic_diverse_guard"] = (
            "no rating-consistency guard is configured or available (lic_gpu.augment.guard.build_guards returned none)"
        )
        methods.remove("lic_diverse_guard")
    if "random_positions" in methods and "lic_diverse" not in methods:
        raise LicGpuError("methods: random_positions copies lic_diverse's swap budget; list lic_diverse too")
    featurise = MeanEmbedding(store) if "mean_embedding_mlp" in settings.classifiers else None
    largest = max(settings.fractions)
    records: list[dict] = []
    splits: list[dict] = []
    augmentation: list[dict] = []
    leakage: list[dict] = []
    class_sets: dict[str, list[int]] = {}
    for emotion in settings.emotions:
        labels = class_labels(
            corpus.frame[emotion], emotion, settings.binning, kind=kinds[emotion], source=corpus.source
        ).labels
        ordinal = kinds[emotion] == "ordinal"
        names = None
        if not pd.api.types.is_numeric_dtype(labels.dtype):
            # category names -> codes 1..K (sorted names); the names are recorded with each split
            names = {i + 1: n for i, n in enumerate(sorted(labels.dropna().unique()))}
            labels = labels.map({n: i for i, n in names.items()}).astype("Int64")
        if not ordinal:
            log.info(
                "%s: categorical labels; no MAE and no regression (the classes are not ordered), no rating-lean guard",
                emotion,
            )
        models = [*settings.classifiers, *(settings.regressors if ordinal else ())]
        emotion_guards = [g for g in guards if ordinal or not isinstance(g, RatingLeanGuard)]
        all_classes = sorted(int(c) for c in labels.dropna().unique())
        class_sets[emotion] = all_classes
        lab = labels.to_numpy(dtype=float, na_value=np.nan)
        ratings = pd.to_numeric(corpus.frame[emotion], errors="coerce").to_numpy(dtype=float) if ordinal else None
        for seed in settings.seeds:
            t0 = time.perf_counter()
            split = split_by_group(labels, groups, settings.test_size, seed)
            subsets = subsample_train(split.train, groups, lab, settings.fractions, seed)
            y_test = lab[split.test].astype(np.int64)
            test_texts = [texts[r] for r in split.test]
            test_keys = [dedup_key(t) for t in test_texts]
            # the thin levels: every class but the train part's largest (for Pearson r on their rows)
            majority = Counter(lab[split.train].astype(np.int64).tolist()).most_common(1)[0][0]
            thin = y_test != majority
            splits.append(_split_record(emotion, seed, split, subsets, groups, lab, y_test, kinds[emotion], names))
            timer.add("split", t0)
            for fraction in settings.fractions:
                t0 = time.perf_counter()
                train = subsets[fraction]
                train_labels = labels.copy()
                train_labels[~labels.index.isin(train)] = pd.NA
                word_dict = build_word_dict(tokenised, train_labels)
                y_train = lab[train].astype(np.int64)
                where = f"{emotion}/seed {seed}/fraction {fraction:g}"
                # LIC, the guard and every augmenter only ever see this word dict: it must hold train rows only.
                lic_rows = np.array([r for v in word_dict.values() for _, r in v], dtype=np.int64)
                check = check_no_leakage(lic_rows, split.test, groups, what=f"{where}/LIC word dict")
                leakage.append(
                    {
                        "emotion": emotion,
                        "seed": seed,
                        "fraction": fraction,
                        "budget": None,
                        "method": "(LIC word dict)",
                        **check,
                    }
                )
                lic = None
                if any(is_lic_method(m) for m in methods):
                    lic = train_lic(
                        word_dict, settings, device, f"emotion {emotion!r}, seed {seed}, fraction {fraction:g}"
                    )
                timer.add("split", t0)
                context = dict(
                    emotion=emotion,
                    seed=seed,
                    fraction=fraction,
                    groups=groups,
                    split=split,
                    test_texts=test_texts,
                    test_keys=test_keys,
                    y_test=y_test,
                    thin=thin,
                    ratings=ratings,
                    models=models,
                    classes=all_classes,
                    ordinal=ordinal,
                    n_train_originals=int(train.size),
                )
                none_scores = None
                if "none" in methods:  # the originals do not depend on the budget: fitted once, shown at each
                    none_set = originals_set("none", texts, train, y_train)
                    none_scores = _fit_and_score(
                        none_set, context, settings, featurise, timer, leakage, augmentation, budget=None
                    )
                for bi, budget in enumerate(settings.budgets):
                    label = budget_label(budget)
                    if none_scores is not None:
                        records += [dict(r, budget=label) for r in none_scores]
                    per_source = (
                        settings.per_source
                        if "lic_diverse" in methods and fraction == largest and bi == len(settings.budgets) - 1
                        else ()
                    )
                    sets = training_sets(
                        [m for m in methods if m != "none"],
                        settings,
                        word_dict,
                        train,
                        y_train,
                        texts,
                        tokenised,
                        emotion,
                        seed,
                        budget,
                        store,
                        stopwords,
                        emotion_guards,
                        timer,
                        fluency or {},
                        lic=lic,
                        per_source=per_source,
                    )
                    for ts in sets:
                        records += _fit_and_score(
                            ts, context, settings, featurise, timer, leakage, augmentation, budget=label
                        )
                log.info(
                    "%s seed %d fraction %g: %d train / %d test originals, %d budgets done",
                    emotion,
                    seed,
                    fraction,
                    train.size,
                    split.test.size,
                    len(settings.budgets),
                )
    return EvalResult(
        pd.DataFrame.from_records(records),
        splits,
        augmentation,
        leakage,
        unavailable,
        class_sets,
        timer.timings,
        group_desc,
    )


def _fit_and_score(
    ts: TrainingSet,
    ctx: dict,
    settings: EvalSettings,
    featurise,
    timer: StageTimer,
    leakage: list,
    augmentation: list,
    budget: str | None,
) -> list[dict]:
    """Check one training set for leakage, fit every model on it, score on the test part: its records
    (``budget`` None: the budget-free originals, labelled by the caller)."""
    emotion, seed, fraction, split = ctx["emotion"], ctx["seed"], ctx["fraction"], ctx["split"]
    where = f"{emotion}/seed {seed}/fraction {fraction:g}/budget {budget}/{ts.method}"
    check = check_no_leakage(ts.sources, split.test, ctx["groups"], what=where)
    seen = {dedup_key(t) for t in ts.texts}
    check["test_texts_also_in_train"] = sum(k in seen for k in ctx["test_keys"])
    point = {"emotion": emotion, "seed": seed, "fraction": fraction, "budget": budget, "method": ts.method}
    leakage.append({**point, **check})
    augmentation.append(
        {**point, "n_train": len(ts.texts), "n_added": ts.n_added, "n_new_text": ts.n_new_text, **ts.info}
    )
    out = []
    for name in ctx["models"]:
        t0 = time.perf_counter()
        model = _model(name, settings, featurise, seed)
        if name in REGRESSORS:
            model.fit(ts.texts, ctx["ratings"][ts.sources], ts.sample_weight)
            scores = score_regression(ctx["ratings"][split.test], model.predict(ctx["test_texts"]), ctx["thin"])
        else:
            model.fit(ts.texts, ts.labels, ts.sample_weight)
            scores = score(ctx["y_test"], model.predict(ctx["test_texts"]), ctx["classes"], ctx["ordinal"])
        timer.add(f"fit+predict[{name}]", t0)
        for metric, value in scores.items():
            out.append(
                {
                    **point,
                    "classifier": name,
                    "metric": metric,
                    "value": value,
                    "n_train": len(ts.texts),
                    "n_train_originals": ctx["n_train_originals"],
                    "n_test": int(split.test.size),
                }
            )
    return out


def _split_record(emotion, seed, split, subsets, groups, lab, y_test, kind, names) -> dict:
    y_train = lab[split.train].astype(np.int64)
    rec = {
        "emotion": emotion,
        "seed": seed,
        "fold": split.fold,
        "n_folds": split.n_folds,
        "stratified": split.stratified,
        "n_train": int(split.train.size),
        "n_test": int(split.test.size),
        "train_groups": len(set(groups[split.train].tolist())),
        "test_groups": len(set(groups[split.test].tolist())),
        "train_classes": _counts(y_train),
        "test_classes": _counts(y_test),
        "label_kind": kind,
        "fractions": {
            f"{f:g}": {
                "n_train": int(rows.size),
                "train_groups": len(set(groups[rows].tolist())),
                "train_classes": _counts(lab[rows].astype(np.int64)),
            }
            for f, rows in sorted(subsets.items())
        },
    }
    if names:
        rec["class_names"] = {str(k): v for k, v in names.items()}
    return rec


def _counts(values: np.ndarray) -> dict[str, int]:
    return {str(k): int(v) for k, v in sorted(Counter(values.tolist()).items())}


def _model(name: str, settings: EvalSettings, featurise: MeanEmbedding | None, seed: int):
    if name == "tfidf_logreg":
        return TfidfLogReg(seed=seed, **settings.tfidf)
    if name == "tfidf_ridge":
        tfidf = {k: settings.tfidf[k] for k in ("ngram_max", "min_df") if k in settings.tfidf}
        return TfidfRidge(seed=seed, **tfidf, **settings.ridge)
    assert featurise is not None  # evaluate makes it whenever mean_embedding_mlp is a classifier
    return MeanEmbeddingMLP(featurise, seed=seed, **settings.mlp)
