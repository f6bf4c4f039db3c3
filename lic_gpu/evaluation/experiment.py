"""The evaluation loop: for every emotion x seed, split, build every method's training set, fit every
classifier and score it on the untouched test originals."""
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
from lic_gpu.data import Corpus
from lic_gpu.errors import LicGpuError
from lic_gpu.evaluation.classifiers import MeanEmbedding, MeanEmbeddingMLP, TfidfLogReg
from lic_gpu.evaluation.methods import training_sets
from lic_gpu.evaluation.settings import EvalSettings
from lic_gpu.evaluation.split import check_no_leakage, row_groups, split_by_group
from lic_gpu.evaluation.statistics import score
from lic_gpu.guard import RatingLeanGuard
from lic_gpu.sampler import dedup_key
from lic_gpu.text import Tokenised
from lic_gpu.timing import StageTimer

log = logging.getLogger(__name__)


@dataclass
class EvalResult:
    """Per-seed scores (long form) and what was done to get them."""

    records: pd.DataFrame
    splits: list[dict]
    augmentation: list[dict]
    leakage: list[dict]
    unavailable: dict[str, str]
    classes: dict[str, list[int]]
    timings_s: dict[str, float]
    groups: str


def evaluate(corpus: Corpus, tokenised: Sequence[Tokenised], settings: EvalSettings, store,
             stopwords: frozenset[str], device: torch.device, guards: Sequence = (),
             fluency: Mapping[str, Any] | None = None) -> EvalResult:
    """Split, augment the train part, fit, score: every emotion x seed x method x classifier.

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
    texts = corpus.texts
    methods = list(settings.methods)
    unavailable = {}
    if "lic_diverse_guard" in methods and not guards:
        unavailable["lic_diverse_guard"] = ("no rating-consistency guard is configured or available "
                                            "(lic_gpu.guard.build_guards returned none)")
        methods.remove("lic_diverse_guard")
    if "random_positions" in methods and "lic_diverse" not in methods:
        raise LicGpuError("methods: random_positions copies lic_diverse's swap budget; list lic_diverse too")
    featurise = MeanEmbedding(store) if "mean_embedding_mlp" in settings.classifiers else None
    records, splits, augmentation, leakage, class_sets = [], [], [], [], {}
    for emotion in settings.emotions:
        labels = class_labels(corpus.frame[emotion], emotion, settings.binning, kind=kinds[emotion]).labels
        ordinal = kinds[emotion] == "ordinal"
        names = None
        if not pd.api.types.is_numeric_dtype(labels.dtype):
            # category names -> codes 1..K (sorted names); the names are recorded with each split
            names = {i + 1: n for i, n in enumerate(sorted(labels.dropna().unique()))}
            labels = labels.map({n: i for i, n in names.items()}).astype("Int64")
        if not ordinal:
            log.info("%s: categorical labels; no MAE (the classes are not ordered), no rating-lean guard", emotion)
        emotion_guards = [g for g in guards if ordinal or not isinstance(g, RatingLeanGuard)]
        all_classes = sorted(int(c) for c in labels.dropna().unique())
        class_sets[emotion] = all_classes
        lab = labels.to_numpy(dtype=float, na_value=np.nan)
        for seed in settings.seeds:
            t0 = time.perf_counter()
            split = split_by_group(labels, groups, settings.test_size, seed)
            train_labels = labels.copy()
            train_labels[~labels.index.isin(split.train)] = pd.NA
            word_dict = build_word_dict(tokenised, train_labels)
            y_train = lab[split.train].astype(np.int64)
            y_test = lab[split.test].astype(np.int64)
            splits.append({"emotion": emotion, "seed": seed, "fold": split.fold, "n_folds": split.n_folds,
                           "stratified": split.stratified, "n_train": int(split.train.size),
                           "n_test": int(split.test.size),
                           "train_groups": len(set(groups[split.train].tolist())),
                           "test_groups": len(set(groups[split.test].tolist())),
                           "train_classes": {str(k): int(v) for k, v in sorted(Counter(y_train.tolist()).items())},
                           "test_classes": {str(k): int(v) for k, v in sorted(Counter(y_test.tolist()).items())},
                           "label_kind": kinds[emotion],
                           **({"class_names": {str(k): v for k, v in names.items()}} if names else {})})
            # LIC, the guard and every augmenter only ever see this word dict: it must hold train rows only.
            lic_rows = np.array([r for v in word_dict.values() for _, r in v], dtype=np.int64)
            check = check_no_leakage(lic_rows, split.test, groups, what=f"{emotion}/seed {seed}/LIC word dict")
            leakage.append({"emotion": emotion, "seed": seed, "method": "(LIC word dict)", **check})
            timer.add("split", t0)
            sets = training_sets(methods, settings, word_dict, split, y_train, texts, tokenised, emotion, seed,
                                  store, stopwords, device, emotion_guards, timer, fluency or {})
            test_texts = [texts[r] for r in split.test]
            for ts in sets:
                check = check_no_leakage(ts.sources, split.test, groups, what=f"{emotion}/seed {seed}/{ts.method}")
                seen = {dedup_key(t) for t in ts.texts}
                check["test_texts_also_in_train"] = sum(dedup_key(t) in seen for t in test_texts)
                leakage.append({"emotion": emotion, "seed": seed, "method": ts.method, **check})
                augmentation.append({"emotion": emotion, "seed": seed, "method": ts.method,
                                     "n_train": len(ts.texts), "n_added": ts.n_added, **ts.info})
                for clf_name in settings.classifiers:
                    t0 = time.perf_counter()
                    clf = _classifier(clf_name, settings, featurise, seed)
                    clf.fit(ts.texts, ts.labels, ts.sample_weight)
                    pred = clf.predict(test_texts)
                    timer.add(f"fit+predict[{clf_name}]", t0)
                    for metric, value in score(y_test, pred, all_classes, ordinal).items():
                        records.append({"emotion": emotion, "seed": seed, "classifier": clf_name,
                                        "method": ts.method, "metric": metric, "value": value,
                                        "n_train": len(ts.texts), "n_train_originals": int(split.train.size),
                                        "n_test": int(split.test.size)})
            log.info("%s seed %d: %d train / %d test originals, %d methods done", emotion, seed,
                     split.train.size, split.test.size, len(sets))
    return EvalResult(pd.DataFrame.from_records(records), splits, augmentation, leakage, unavailable,
                      class_sets, timer.timings, group_desc)


def _classifier(name: str, settings: EvalSettings, featurise: MeanEmbedding | None, seed: int):
    if name == "tfidf_logreg":
        return TfidfLogReg(seed=seed, **settings.tfidf)
    return MeanEmbeddingMLP(featurise, seed=seed, **settings.mlp)
