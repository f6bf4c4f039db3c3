"""Does the augmentation help? A leakage-safe comparison on held-out original sentences.

For every emotion and seed: split the originals into train/test by group *before* anything is learned
(:func:`split_by_group`); build one training set per method from the train part only (LIC, the word
dict and the new rows see no test row; :func:`check_no_leakage` proves it for every training set);
fit each classifier on each training set; score it on the untouched test originals (:func:`score`).
Seeds give the folds of a stratified group K-fold, so test sets are disjoint. A study repeats this at
every point: a fraction of the train part (:func:`subsample_train`, nested subsets by group; the
learning curve) times a budget (the class targets). :func:`summarise` gives means with t-intervals and
paired comparisons (:func:`paired_comparison`), against no augmentation and against the best cheap
baseline at each point; :func:`write_outputs` writes ``metrics.json``, ``metrics.csv``,
``evaluation.md`` and the learning-curve figures.

Modules: :mod:`~lic_gpu.evaluation.settings` (what to run), :mod:`~lic_gpu.evaluation.split` (groups, the
split, the leakage check), :mod:`~lic_gpu.evaluation.methods` (training sets), :mod:`~lic_gpu.evaluation.classifiers`,
:mod:`~lic_gpu.evaluation.statistics`, :mod:`~lic_gpu.evaluation.experiment` (the loop),
:mod:`~lic_gpu.evaluation.report` (the files) and :mod:`~lic_gpu.evaluation.job` (``run_evaluate(cfg)``, the only
function that reads a ``DictConfig``).
"""

from lic_gpu.evaluation.classifiers import (
    CLASSIFIERS,
    REGRESSORS,
    MeanEmbedding,
    MeanEmbeddingMLP,
    TfidfLogReg,
    TfidfRidge,
)
from lic_gpu.evaluation.experiment import EvalResult, evaluate
from lic_gpu.evaluation.methods import (
    RandomPositionAugmenter,
    TrainingSet,
    class_targets,
    make_augmenter,
    oversample_rows,
    target_weights,
)
from lic_gpu.evaluation.report import write_outputs
from lic_gpu.evaluation.settings import METHODS, EvalSettings
from lic_gpu.evaluation.split import LeakageError, Split, check_no_leakage, row_groups, split_by_group, subsample_train
from lic_gpu.evaluation.statistics import (
    best_cheap,
    compare,
    paired_comparison,
    score,
    score_regression,
    summarise,
    t_interval,
    verdict,
)

__all__ = [
    "CLASSIFIERS",
    "METHODS",
    "REGRESSORS",
    "EvalResult",
    "EvalSettings",
    "LeakageError",
    "MeanEmbedding",
    "MeanEmbeddingMLP",
    "RandomPositionAugmenter",
    "Split",
    "TfidfLogReg",
    "TfidfRidge",
    "TrainingSet",
    "best_cheap",
    "check_no_leakage",
    "class_targets",
    "compare",
    "evaluate",
    "make_augmenter",
    "oversample_rows",
    "paired_comparison",
    "row_groups",
    "score",
    "score_regression",
    "split_by_group",
    "subsample_train",
    "summarise",
    "t_interval",
    "target_weights",
    "verdict",
    "write_outputs",
]
