"""Does the augmentation help? A leakage-safe comparison on held-out original sentences.

For every emotion and seed: split the originals into train/test by group *before* anything is learned
(:func:`split_by_group`); build one training set per method from the train part only (LIC, the word
dict and the new rows see no test row; :func:`check_no_leakage` proves it for every training set);
fit each classifier on each training set; score it on the untouched test originals (:func:`score`).
Seeds give the folds of a stratified group K-fold, so test sets are disjoint. :func:`summarise` gives
means with t-intervals and paired comparisons (:func:`paired_comparison`); :func:`write_outputs` writes
``metrics.json``, ``metrics.csv``, ``metrics.png`` and ``evaluation.md``.

``run_evaluate(cfg)`` is the only function that reads a ``DictConfig``.
"""
from __future__ import annotations

import logging
import math
import platform
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from lic_gpu.data import Corpus, build_word_dict, class_labels
from lic_gpu.errors import LicGpuError
from lic_gpu.guard import RatingLeanGuard
from lic_gpu.lic import LIC_DTYPES, LicResult, check_lic_method, compute_lic
from lic_gpu.sampler import (AugmentResult, ClassReport, LicAugmenter, NewRow, Swap, check_sampling_strategy,
                             dedup_key)
from lic_gpu.text import Tokenised, split_edge_punctuation, words_tokenise

log = logging.getLogger(__name__)

METHODS = ("none", "oversample", "class_weight", "lic_seed", "lic_diverse", "random_positions",
           "lic_diverse_guard")
METHOD_LABELS = {
    "none": "no augmentation",
    "oversample": "random oversampling",
    "class_weight": "class weights",
    "lic_seed": "LIC seed mode",
    "lic_diverse": "LIC diverse",
    "random_positions": "random positions (ablation)",
    "lic_diverse_guard": "LIC diverse + guard",
}
CLASSIFIERS = ("tfidf_logreg", "mean_embedding_mlp")
CLASSIFIER_LABELS = {"tfidf_logreg": "TF-IDF + logistic regression",
                     "mean_embedding_mlp": "mean word vector + MLP (torch)"}
CLASSIFIER_SHORT = {"tfidf_logreg": "TF-IDF + LR", "mean_embedding_mlp": "vector MLP"}
# Headline metrics; per-class recall is stored as recall_<class>.
METRICS = ("macro_f1", "balanced_accuracy", "mae")
LOWER_IS_BETTER = frozenset({"mae"})
DEFAULT_COMPARISONS = (("lic_diverse", "random_positions"), ("lic_diverse", "oversample"),
                       ("lic_diverse_guard", "lic_diverse"))
ALPHA = 0.05


# ---------------------------------------------------------------- settings

@dataclass
class EvalSettings:
    """Everything :func:`evaluate` needs besides the data, the vectors and the device.

    Attributes
    ----------
    emotions : rating columns to evaluate
    seeds : one split (fold ``seed % K`` of the group K-fold shuffled with ``seed // K``), one augmenter
        seed and one classifier seed each
    test_size : share of the groups held out; K = ``round(1 / test_size)`` folds
    group_column : "auto" (``sub`` when present, else one group per row) | "row" | a column name
    group_prefix_sep : keep the text before the first separator of the group value (EmoBank ``id``
        ``110CYL068_1036_1079`` -> document ``110CYL068``); ``None`` keeps the whole value
    binning : how ratings become classes, see :func:`lic_gpu.data.class_labels`
    label_kind : ``auto`` | ``ordinal`` | ``categorical`` (``data.label_kind``); categorical labels get no
        MAE (their classes are not ordered) and no rating-lean guard
    sampling_strategy : class targets shared by oversampling and every LIC method
    methods, classifiers : names from :data:`METHODS`, :data:`CLASSIFIERS`
    lic_method, lic_dtype : LIC statistic and its float type
    augment_seed, augment_diverse : LicAugmenter keyword arguments for ``mode=seed`` / ``mode=diverse``
    guard_cfg : ``augment`` mapping handed to :func:`lic_gpu.guard.build_guards` for the guarded method
    tfidf, mlp : classifier options (see :class:`TfidfLogReg`, :class:`MeanEmbeddingMLP`)
    comparisons : extra (method, baseline) pairs compared besides every method vs ``none``
    """

    emotions: list[str]
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    test_size: float = 0.2
    group_column: str = "auto"
    group_prefix_sep: str | None = None
    binning: Any = "auto"
    label_kind: str = "auto"
    sampling_strategy: Any = "auto"
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    classifiers: list[str] = field(default_factory=lambda: list(CLASSIFIERS))
    lic_method: str = "seed"
    lic_dtype: str = "float64"
    augment_seed: dict = field(default_factory=lambda: {"mode": "seed", "k": 10, "max_swaps": 1,
                                                        "min_similarity": -1.0})
    augment_diverse: dict = field(default_factory=lambda: {"mode": "diverse", "k": 20, "max_swaps": 2,
                                                           "min_similarity": 0.5})
    guard_cfg: dict | None = None
    tfidf: dict = field(default_factory=dict)
    mlp: dict = field(default_factory=dict)
    comparisons: list[tuple[str, str]] = field(default_factory=lambda: [list(p) for p in DEFAULT_COMPARISONS])

    def __post_init__(self) -> None:
        self.methods = check_names(self.methods, METHODS, "methods")
        self.classifiers = check_names(self.classifiers, CLASSIFIERS, "classifiers")
        self.seeds = check_seeds(self.seeds)
        self.test_size = check_test_size(self.test_size)
        check_lic_method(self.lic_method)
        if self.lic_dtype not in LIC_DTYPES:
            raise LicGpuError(f"lic.dtype must be one of {sorted(LIC_DTYPES)}; got {self.lic_dtype!r}")
        if not self.emotions:
            raise LicGpuError("emotion must name at least one rating column")
        pairs = []
        for pair in self.comparisons or ():
            if len(pair) != 2 or any(p not in METHODS for p in pair):
                raise LicGpuError(f"comparisons must be [method, baseline] pairs of {list(METHODS)}; got {pair!r}")
            pairs.append((str(pair[0]), str(pair[1])))
        self.comparisons = pairs


def check_names(values: Sequence[str] | str, allowed: Sequence[str], option: str) -> list[str]:
    """Validate a list option (``methods``, ``classifiers``): known names, no repeats, at least one."""
    items = [values] if isinstance(values, str) else list(values or ())
    unknown = [v for v in items if v not in allowed]
    if unknown or not items:
        raise LicGpuError(f"{option} must be a non-empty list of {list(allowed)}; got {values!r}")
    return list(dict.fromkeys(items))


def check_seeds(seeds: Sequence[int] | int) -> list[int]:
    """Validate ``seeds``: non-negative integers, no repeats."""
    items = [seeds] if isinstance(seeds, int) else list(seeds or ())
    if not items or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in items):
        raise LicGpuError(f"seeds must be a non-empty list of non-negative integers; got {seeds!r}")
    if len(set(items)) != len(items):
        raise LicGpuError(f"seeds must not repeat; got {seeds!r}")
    return items


def check_test_size(value: float) -> float:
    """Validate ``test_size``: a share in (0, 0.5]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < float(value) <= 0.5:
        raise LicGpuError(f"test_size must be a number in (0, 0.5]; got {value!r}")
    return float(value)


# ---------------------------------------------------------------- groups and the split

def row_groups(frame: pd.DataFrame, column: str = "auto", prefix_sep: str | None = None) -> tuple[np.ndarray, str]:
    """Group label of every row (rows of one group never straddle train and test).

    Parameters
    ----------
    frame : one row per sentence
    column : "auto" (``sub`` when present, else "row") | "row" (each sentence its own group) | a column
    prefix_sep : keep the part of the value before the first ``prefix_sep`` (``None``: the whole value)

    Returns
    -------
    (array of str, one per row; description such as ``"id before '_'"``)
    """
    if column == "auto":
        column = "sub" if "sub" in frame.columns else "row"
    if column == "row":
        return np.array([f"row{i}" for i in range(len(frame))], dtype=object), "row (one group per sentence)"
    if column not in frame.columns:
        raise LicGpuError(f"group.column {column!r} is not a column; columns are {list(frame.columns)} "
                          "(or use 'auto' / 'row')")
    values = frame[column].astype(str)
    desc = column
    if prefix_sep:
        values = values.str.split(prefix_sep, n=1).str[0]
        desc = f"{column} before the first {prefix_sep!r}"
    return values.to_numpy(dtype=object), desc


@dataclass(frozen=True)
class Split:
    """Row ids (``corpus.frame`` index) of the train and test originals of one seed."""

    train: np.ndarray
    test: np.ndarray
    seed: int
    fold: int
    n_folds: int
    stratified: bool


def split_by_group(labels: pd.Series, groups: np.ndarray, test_size: float, seed: int) -> Split:
    """Hold out whole groups, stratified by class where the groups allow it.

    Seed ``s`` takes fold ``s % K`` of a ``StratifiedGroupKFold(K, shuffle=True, random_state=s // K)``
    with ``K = round(1 / test_size)``; seeds ``0..K-1`` are therefore the K disjoint folds of one
    partition. Falls back to ``GroupKFold`` (shuffled) when stratification is impossible.

    Parameters
    ----------
    labels : class per row (nullable ints, NA rows take part in neither side)
    groups : group per row, aligned with ``labels``

    Returns
    -------
    Split
    """
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    test_size = check_test_size(test_size)
    lab = labels.to_numpy(dtype=float, na_value=np.nan)
    rows = np.flatnonzero(~np.isnan(lab))
    y, g = lab[rows].astype(np.int64), np.asarray(groups)[rows]
    n_groups = len(set(g.tolist()))
    if n_groups < 2:
        raise LicGpuError(f"the labelled rows form {n_groups} group(s); a group split needs at least 2 "
                          "(use group.column=row to split sentences)")
    k = min(max(2, round(1 / test_size)), n_groups)
    fold = seed % k
    stratified = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "least populated class has only n members"
            folds = list(StratifiedGroupKFold(k, shuffle=True, random_state=seed // k).split(rows, y, g))
    except ValueError:
        stratified = False
        folds = list(GroupKFold(k, shuffle=True, random_state=seed // k).split(rows, y, g))
    train_idx, test_idx = folds[fold]
    return Split(np.sort(rows[train_idx]), np.sort(rows[test_idx]), seed, fold, k, stratified)


class LeakageError(LicGpuError):
    """A test row reached a training set (itself, its group, or as the source of a new row)."""


def check_no_leakage(train_sources: np.ndarray, test_rows: np.ndarray, groups: np.ndarray,
                     what: str = "training set") -> dict[str, int]:
    """Prove that no test row is in a training set, neither itself nor as the source of a new row.

    Parameters
    ----------
    train_sources : for every row of the training set, the original row it is (originals) or was made
        from (augmented rows); duplicates allowed
    test_rows : row ids of the test originals
    groups : group of every original row (indexed by row id)

    Returns
    -------
    {"train_rows": ..., "distinct_sources": ..., "test_rows": ..., "shared_groups": 0}

    Raises
    ------
    LeakageError naming how many rows/groups leaked and a few of them.
    """
    train_sources = np.asarray(train_sources, dtype=np.int64)
    test_rows = np.asarray(test_rows, dtype=np.int64)
    sources = np.unique(train_sources)
    leaked = np.intersect1d(sources, test_rows)
    if leaked.size:
        raise LeakageError(f"{what}: {leaked.size} test row(s) are in training or are the source of a new "
                           f"training row, e.g. rows {leaked[:5].tolist()}")
    groups = np.asarray(groups, dtype=object)
    shared = sorted(set(groups[sources].tolist()) & set(groups[test_rows].tolist()))
    if shared:
        raise LeakageError(f"{what}: {len(shared)} group(s) have rows on both sides of the split, "
                           f"e.g. {shared[:5]}")
    return {"train_rows": int(train_sources.size), "distinct_sources": int(sources.size),
            "test_rows": int(test_rows.size), "shared_groups": 0}


# ---------------------------------------------------------------- training sets

@dataclass
class TrainingSet:
    """Texts and classes to fit on, with the original row behind each, and optional sample weights."""

    method: str
    texts: list[str]
    labels: np.ndarray
    sources: np.ndarray
    sample_weight: np.ndarray | None = None
    n_added: int = 0
    info: dict = field(default_factory=dict)


def originals_set(method: str, corpus_texts: Sequence[str], rows: np.ndarray, labels: np.ndarray) -> TrainingSet:
    """The train originals as they are."""
    return TrainingSet(method, [corpus_texts[r] for r in rows], labels.copy(), rows.copy())


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """``n / (K * n_c)`` per row (scikit-learn's ``class_weight="balanced"``)."""
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    return (len(labels) / (len(classes) * counts))[inverse]


def with_new_rows(base: TrainingSet, method: str, new_rows: Sequence[NewRow], info: dict | None = None) -> TrainingSet:
    """``base`` plus generated rows (their class and source row kept)."""
    texts = base.texts + [r.text for r in new_rows]
    labels = np.concatenate([base.labels, np.array([r.cls for r in new_rows], dtype=np.int64)])
    sources = np.concatenate([base.sources, np.array([r.source_row for r in new_rows], dtype=np.int64)])
    return TrainingSet(method, texts, labels, sources, n_added=len(new_rows), info=info or {})


def oversample_rows(word_dict: Mapping[Any, Sequence[tuple[Sequence[str], int]]], corpus_texts: Sequence[str],
                    strategy: Any, rng: np.random.Generator) -> list[NewRow]:
    """Random oversampling: exact duplicates of train rows, drawn with replacement, up to the class targets."""
    missing = check_sampling_strategy(strategy, {c: len(v) for c, v in word_dict.items()})
    out = []
    for cls, samples in word_dict.items():
        if missing[cls] <= 0:
            continue
        rows = np.array([r for _, r in samples], dtype=np.int64)
        for r in rng.choice(rows, size=missing[cls], replace=True).tolist():
            out.append(NewRow(cls, int(r), corpus_texts[r], ()))
    return out


def augment_info(result: AugmentResult) -> dict:
    """Per class requested/generated and the swaps per new row, for ``metrics.json``."""
    swaps = Counter(len(r.swaps) for r in result.rows)
    return {"classes": {str(c): {"before": rep.before, "requested": rep.requested, "generated": rep.generated}
                        for c, rep in result.classes.items()},
            "swaps_per_row": {str(k): v for k, v in sorted(swaps.items())},
            "refusals": dict(result.refusals)}


class RandomPositionAugmenter(LicAugmenter):
    """The ablation "does LIC matter?": LIC diverse's swap budget, positions chosen at random.

    :meth:`match_budget` copies, row by row, a diverse-mode result: the same class, the same source
    sentence and the same number of swaps; only which tokens are swapped differs. A position is
    eligible when its token is not a stopword and its word (edge punctuation stripped) has at least one
    neighbour passing the same filters as diverse mode (``k``, ``min_similarity``, the junk filter,
    the guards); LIC is never looked at. The replacement is drawn uniformly among those neighbours, as
    diverse mode draws it. Every position LIC diverse can pick is eligible here too, so the budget can
    always be met; only a run of duplicate sentences (``attempts_per_row`` of them) can lose a row.
    """

    def match_budget(self, template: AugmentResult, word_dict: Mapping[Any, Sequence[tuple[Sequence[str], int]]],
                     tokenised: Sequence[Tokenised], lic: LicResult | None = None) -> AugmentResult:
        """Rows with ``template``'s class, source and swap count, swapped at random eligible positions.

        Parameters
        ----------
        template : a diverse-mode :class:`AugmentResult` of the same word dict
        word_dict : class -> [(tokens, row_id), ...] (for the duplicate check)
        tokenised : row_id -> Tokenised
        lic : only to record the LIC of the replaced words in the swaps (0 without it)

        Returns
        -------
        AugmentResult (inputs unchanged)
        """
        t0 = time.perf_counter()
        requested = Counter(r.cls for r in template.rows)
        reports = {c: ClassReport(before=len(v), requested=requested.get(c, 0)) for c, v in word_dict.items()}
        result = AugmentResult(rows=[], classes=reports)
        sources = sorted({r.source_row for r in template.rows})
        words = {split_edge_punctuation(tok)[1] for row in sources for tok in tokenised[row].tokens
                 if tok.lower() not in self.stopwords}
        words = {w for w in words if self.is_source_word(w)}
        table = self.neighbour_table(r for r in map(self.store.resolve, words) if r is not None)
        tags = self.tag_sources({row: tokenised[row].tokens for row in sources})
        result.timings_s["neighbours"] = time.perf_counter() - t0
        rng = np.random.default_rng([self.seed, 7919])
        existing = {dedup_key(" ".join(t.tokens)) for t in tokenised}
        positions: dict[tuple[Any, int], list] = {}
        choices: dict[Any, dict] = {}
        for trow in template.rows:
            cls, src, n_swaps = trow.cls, trow.source_row, sum(s.kind == "swap" for s in trow.swaps)
            key = (cls, src)
            if key not in positions:
                positions[key] = self.candidate_positions(cls, tokenised[src].tokens, tags.get(src), table,
                                                          result.refusals, choices.setdefault(cls, {}))
            eligible = positions[key]
            n_swaps = min(n_swaps, len(eligible))
            if n_swaps == 0:
                continue
            tokens = tokenised[src].tokens
            for _ in range(self.attempts_per_row):
                reports[cls].attempts += 1
                picked = sorted(int(i) for i in rng.choice(len(eligible), size=n_swaps, replace=False))
                chosen = [eligible[i] for i in picked]
                picks = [p.choices[int(rng.integers(len(p.choices)))] for p in chosen]
                new_tokens, swaps = self._variant(tokens, chosen, picks)
                if lic is not None:
                    swaps = tuple(Swap(s.pos, s.old, s.new, s.cosine, lic.get(cls, tokens[s.pos], 0.0), s.kind)
                                  for s in swaps)
                dedup = dedup_key(" ".join(new_tokens))
                if dedup in existing:
                    continue
                existing.add(dedup)
                result.rows.append(NewRow(cls, src, tokenised[src].detokenise(new_tokens), swaps))
                reports[cls].generated += 1
                break
        for cls, rep in reports.items():
            if rep.generated < rep.requested:
                rep.shortfall_reason = f"{rep.requested - rep.generated} row(s) gave only duplicate sentences"
        result.timings_s["generate"] = time.perf_counter() - t0 - result.timings_s["neighbours"]
        return result


def make_augmenter(options: Mapping[str, Any], store, stopwords: frozenset[str], strategy: Any, seed: int,
                   guards: Sequence = (), cls=LicAugmenter, grammar=None, thesaurus=None) -> LicAugmenter:
    """A LicAugmenter (or the ablation) from an ``augment`` mapping; ``strategy`` overrides its targets."""
    return cls.from_options(options, store, stopwords, guards=guards, grammar=grammar, thesaurus=thesaurus,
                            seed=seed, progress=False,
                            sampling_strategy=strategy)


# ---------------------------------------------------------------- classifiers

class TfidfLogReg:
    """TF-IDF (word 1..``ngram_max``-grams, sublinear tf) + multinomial logistic regression."""

    name = "tfidf_logreg"

    def __init__(self, ngram_max: int = 2, min_df: int = 2, C: float = 1.0, max_iter: int = 1000, seed: int = 0):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vectoriser = TfidfVectorizer(ngram_range=(1, int(ngram_max)), min_df=int(min_df), sublinear_tf=True)
        self.model = LogisticRegression(C=float(C), max_iter=int(max_iter), random_state=seed)

    def fit(self, texts: Sequence[str], labels: np.ndarray, sample_weight: np.ndarray | None = None) -> "TfidfLogReg":
        x = self.vectoriser.fit_transform(texts)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lbfgs "did not converge" on a few-epoch budget is not an error
            self.model.fit(x, labels, sample_weight=sample_weight)
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.predict(self.vectoriser.transform(texts))


class MeanEmbedding:
    """Sentence -> mean of its words' unit vectors (words the vectors lack are skipped), on the store's device.

    Results are cached by text: the originals are featurised once per run, not once per method.
    """

    def __init__(self, store):
        self.store = store
        self._cache: dict[str, torch.Tensor] = {}

    def __call__(self, texts: Sequence[str]) -> torch.Tensor:
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            ids, offsets = [], []
            for text in todo:
                offsets.append(len(ids))
                for tok in words_tokenise(text).tokens:
                    if any(ch.isalnum() for ch in tok):
                        row = self.store.resolve(tok)
                        if row is not None:
                            ids.append(row)
            vecs = self.store.vectors
            ids_t = torch.tensor(ids, dtype=torch.long, device=vecs.device)
            off_t = torch.tensor(offsets, dtype=torch.long, device=vecs.device)
            # An empty bag (no known word) gives a zero row.
            feats = torch.nn.functional.embedding_bag(ids_t, vecs.float(), off_t, mode="mean")
            for text, row in zip(todo, feats):
                self._cache[text] = row
        return torch.stack([self._cache[t] for t in texts]) if texts else torch.empty(0, self.store.dim)


class MeanEmbeddingMLP:
    """A small torch classifier over mean word vectors: standardise -> Linear/ReLU (``hidden``) -> Linear.

    ``hidden=0`` gives a linear model. Trained with Adam on the features' device for ``epochs`` epochs,
    weighted cross-entropy when sample weights are given; the initial weights and the batch order come
    from ``seed`` only, so a run is repeatable.
    """

    name = "mean_embedding_mlp"

    def __init__(self, featurise: MeanEmbedding, hidden: int = 64, epochs: int = 20, batch_size: int = 128,
                 lr: float = 5e-3, weight_decay: float = 1e-4, seed: int = 0):
        if int(epochs) < 1 or int(batch_size) < 1 or int(hidden) < 0:
            raise LicGpuError(f"mlp: epochs and batch_size must be >= 1 and hidden >= 0; got "
                              f"epochs={epochs!r}, batch_size={batch_size!r}, hidden={hidden!r}")
        self.featurise = featurise
        self.hidden, self.epochs, self.batch_size = int(hidden), int(epochs), int(batch_size)
        self.lr, self.weight_decay, self.seed = float(lr), float(weight_decay), int(seed)

    def fit(self, texts: Sequence[str], labels: np.ndarray, sample_weight: np.ndarray | None = None) -> "MeanEmbeddingMLP":
        x = self.featurise(texts)
        device = x.device
        self.classes_, y = np.unique(labels, return_inverse=True)
        self.mean_ = x.mean(dim=0)
        self.std_ = x.std(dim=0).clamp_min(1e-6) if len(x) > 1 else torch.ones_like(self.mean_)
        x = (x - self.mean_) / self.std_
        y_t = torch.as_tensor(y, dtype=torch.long, device=device)
        w = torch.as_tensor(sample_weight if sample_weight is not None else np.ones(len(y)),
                            dtype=torch.float32, device=device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            dim, n_out = x.shape[1], len(self.classes_)
            layers = ([torch.nn.Linear(dim, self.hidden), torch.nn.ReLU(), torch.nn.Linear(self.hidden, n_out)]
                      if self.hidden else [torch.nn.Linear(dim, n_out)])
            self.model_ = torch.nn.Sequential(*layers)
        self.model_.to(device)
        opt = torch.optim.Adam(self.model_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        gen = torch.Generator().manual_seed(self.seed)
        n = len(y)
        self.model_.train()
        for _ in range(self.epochs):
            order = torch.randperm(n, generator=gen).to(device)
            for start in range(0, n, self.batch_size):
                idx = order[start:start + self.batch_size]
                loss = torch.nn.functional.cross_entropy(self.model_(x[idx]), y_t[idx], reduction="none")
                loss = (loss * w[idx]).sum() / w[idx].sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        x = (self.featurise(texts) - self.mean_) / self.std_
        self.model_.eval()
        with torch.no_grad():
            idx = self.model_(x).argmax(dim=1).cpu().numpy()
        return self.classes_[idx]


# ---------------------------------------------------------------- metrics and statistics

def score(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[int], ordinal: bool = True) -> dict[str, float]:
    """Macro-F1 and balanced accuracy over the classes present in ``y_true``, MAE over the ordinal
    levels (not for categorical labels: ``ordinal=False``), and ``recall_<c>`` for every class in
    ``classes`` (NaN when the test part has none of it)."""
    from sklearn.metrics import f1_score

    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    present = np.unique(y_true)
    out = {"macro_f1": float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0))}
    recalls = {int(c): float(np.mean(y_pred[y_true == c] == c)) for c in present}
    out["balanced_accuracy"] = float(np.mean(list(recalls.values())))
    if ordinal:
        out["mae"] = float(np.mean(np.abs(y_pred - y_true)))
    for c in classes:
        out[f"recall_{int(c)}"] = recalls.get(int(c), float("nan"))
    return out


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and the two-sided Student-t confidence interval; NaNs dropped; (mean, nan, nan) below n=2."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(x.mean())
    if x.size < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def paired_comparison(values: Sequence[float], baseline: Sequence[float], test_train_ratio: float | None = None,
                      confidence: float = 0.95) -> dict[str, float]:
    """Paired difference ``values - baseline`` over seeds.

    Returns
    -------
    {"n", "mean_diff", "ci_low", "ci_high", "p_ttest", "p_wilcoxon", "p_corrected"}
        ``p_ttest``: paired t-test; ``p_wilcoxon``: Wilcoxon signed-rank (exact; with 5 seeds it cannot go
        below 0.0625); ``p_corrected``: Nadeau & Bengio's corrected resampled t-test, which widens the
        variance by ``n_test / n_train`` because the seeds' training sets overlap (NaN without the ratio).
    """
    from scipy import stats

    a, b = np.asarray(values, dtype=float), np.asarray(baseline, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values need equal lengths; got {a.shape} and {b.shape}")
    d = a - b
    d = d[~np.isnan(d)]
    mean, low, high = t_interval(d, confidence)
    out = {"n": int(d.size), "mean_diff": mean, "ci_low": low, "ci_high": high,
           "p_ttest": float("nan"), "p_wilcoxon": float("nan"), "p_corrected": float("nan")}
    if d.size < 2:
        return out
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        same = 1.0 if mean == 0.0 else 0.0
        out.update(p_ttest=same, p_corrected=same if test_train_ratio is not None else float("nan"))
    else:
        out["p_ttest"] = float(stats.ttest_rel(a[~np.isnan(a - b)], b[~np.isnan(a - b)]).pvalue)
        if test_train_ratio is not None:
            t = mean / (sd * math.sqrt(1.0 / d.size + float(test_train_ratio)))
            out["p_corrected"] = float(2 * stats.t.sf(abs(t), d.size - 1))
    if np.any(d != 0):
        out["p_wilcoxon"] = float(stats.wilcoxon(d).pvalue)
    else:
        out["p_wilcoxon"] = 1.0
    return out


def verdict(metric: str, comparison: Mapping[str, float], alpha: float = ALPHA) -> str:
    """``better`` / ``worse`` (corrected p below ``alpha``, by the metric's direction) or ``no clear difference``."""
    p = comparison.get("p_corrected")
    if p is None or math.isnan(p):
        p = comparison.get("p_ttest", float("nan"))
    if p is None or math.isnan(p) or p >= alpha or comparison["mean_diff"] == 0:
        return "no clear difference"
    up = comparison["mean_diff"] > 0
    return "better" if up != (metric in LOWER_IS_BETTER) else "worse"


# ---------------------------------------------------------------- the evaluation loop

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


def _add_time(timings: dict[str, float], name: str, t0: float) -> None:
    timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - t0, 4)


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
    timings: dict[str, float] = {}
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
            _add_time(timings, "split", t0)
            sets = _training_sets(methods, settings, word_dict, split, y_train, texts, tokenised, emotion, seed,
                                  store, stopwords, device, emotion_guards, timings, fluency or {})
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
                    _add_time(timings, f"fit+predict[{clf_name}]", t0)
                    for metric, value in score(y_test, pred, all_classes, ordinal).items():
                        records.append({"emotion": emotion, "seed": seed, "classifier": clf_name,
                                        "method": ts.method, "metric": metric, "value": value,
                                        "n_train": len(ts.texts), "n_train_originals": int(split.train.size),
                                        "n_test": int(split.test.size)})
            log.info("%s seed %d: %d train / %d test originals, %d methods done", emotion, seed,
                     split.train.size, split.test.size, len(sets))
    return EvalResult(pd.DataFrame.from_records(records), splits, augmentation, leakage, unavailable,
                      class_sets, timings, group_desc)


def _classifier(name: str, settings: EvalSettings, featurise: MeanEmbedding | None, seed: int):
    if name == "tfidf_logreg":
        return TfidfLogReg(seed=seed, **settings.tfidf)
    return MeanEmbeddingMLP(featurise, seed=seed, **settings.mlp)


def _training_sets(methods, settings: EvalSettings, word_dict, split: Split, y_train, texts, tokenised, emotion,
                   seed, store, stopwords, device, guards, timings, fluency) -> list[TrainingSet]:
    base = originals_set("none", texts, split.train, y_train)
    lic = None
    if any(m.startswith("lic_") or m == "random_positions" for m in methods):
        t0 = time.perf_counter()
        lic = compute_lic(word_dict, device=device, dtype=LIC_DTYPES[settings.lic_dtype], method=settings.lic_method)
        _add_time(timings, "lic", t0)
        if lic.n_defined == 0:
            raise LicGpuError(f"emotion {emotion!r}, seed {seed}: LIC is undefined for every word of the train part "
                              f"({len(word_dict)} classes); with two classes use lic.method=log_odds")
    out, diverse = [], None
    for method in methods:
        t0 = time.perf_counter()
        if method == "none":
            ts = base
        elif method == "class_weight":
            ts = TrainingSet("class_weight", base.texts, base.labels, base.sources,
                             sample_weight=balanced_weights(base.labels))
        elif method == "oversample":
            rows = oversample_rows(word_dict, texts, settings.sampling_strategy, np.random.default_rng([seed, 1]))
            made = Counter(r.cls for r in rows)
            info = {"classes": {str(c): {"before": len(v), "requested": made.get(c, 0), "generated": made.get(c, 0)}
                                for c, v in word_dict.items()}}
            ts = with_new_rows(base, method, rows, info)
        elif method == "lic_seed":
            aug = make_augmenter(settings.augment_seed, store, stopwords, settings.sampling_strategy, seed)
            res = aug.fit_resample(word_dict, lic, tokenised)
            ts = with_new_rows(base, method, res.rows, augment_info(res))
        elif method in ("lic_diverse", "lic_diverse_guard"):
            use = list(guards) if method == "lic_diverse_guard" else []
            for guard in use:
                guard.prepare(emotion, lic)  # train-only LIC: the guard learns nothing from the test part
            aug = make_augmenter(settings.augment_diverse, store, stopwords, settings.sampling_strategy, seed, use,
                                 **fluency)
            res = aug.fit_resample(word_dict, lic, tokenised)
            if method == "lic_diverse":
                diverse = res
            ts = with_new_rows(base, method, res.rows, augment_info(res))
        else:  # random_positions
            if diverse is None:
                aug = make_augmenter(settings.augment_diverse, store, stopwords, settings.sampling_strategy, seed,
                                     **fluency)
                diverse = aug.fit_resample(word_dict, lic, tokenised)
            abl = make_augmenter(settings.augment_diverse, store, stopwords, settings.sampling_strategy, seed,
                                 cls=RandomPositionAugmenter, **fluency)
            res = abl.match_budget(diverse, word_dict, tokenised, lic)
            ts = with_new_rows(base, method, res.rows, augment_info(res))
        _add_time(timings, f"train_set[{method}]", t0)
        out.append(ts)
    return out


# ---------------------------------------------------------------- summaries

def summarise(records: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean, sd and t-interval per emotion x classifier x method x metric (NaNs, e.g. absent classes, dropped)."""
    rows = []
    for (emo, clf, method, metric), grp in records.groupby(["emotion", "classifier", "method", "metric"],
                                                          sort=False):
        vals = grp["value"].to_numpy(dtype=float)
        mean, low, high = t_interval(vals, confidence)
        ok = vals[~np.isnan(vals)]
        rows.append({"emotion": emo, "classifier": clf, "method": method, "metric": metric, "mean": mean,
                     "sd": float(ok.std(ddof=1)) if ok.size > 1 else float("nan"), "ci_low": low,
                     "ci_high": high, "n": int(ok.size)})
    return pd.DataFrame(rows)


def compare(records: pd.DataFrame, pairs: Sequence[tuple[str, str]], confidence: float = 0.95) -> pd.DataFrame:
    """Paired comparisons (matched seeds) for every ``(method, baseline)`` pair, emotion, classifier, metric."""
    rows = []
    wide = records.pivot_table(index=["emotion", "classifier", "metric", "seed"], columns="method",
                               values="value", aggfunc="first", dropna=False)
    # n_test / n_train over the original rows, for the corrected t-test (the seeds' train parts overlap).
    per_seed = records.drop_duplicates(["emotion", "seed"])
    ratio = (per_seed["n_test"] / per_seed["n_train_originals"]).groupby(per_seed["emotion"]).mean()
    for (emo, clf, metric), grp in wide.groupby(level=["emotion", "classifier", "metric"], sort=False):
        for method, base in pairs:
            if method not in grp.columns or base not in grp.columns:
                continue
            res = paired_comparison(grp[method].to_numpy(float), grp[base].to_numpy(float),
                                    test_train_ratio=float(ratio.loc[emo]), confidence=confidence)
            rows.append({"emotion": emo, "classifier": clf, "metric": metric, "method": method, "baseline": base,
                         **res, "verdict": verdict(metric, res)})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    # Emotions as run, classifiers and pairs in their canonical order (pivot_table sorted them by name).
    emo_rank = {e: i for i, e in enumerate(dict.fromkeys(records["emotion"]))}
    clf_rank = {c: i for i, c in enumerate(CLASSIFIERS)}
    pair_rank = {p: i for i, p in enumerate(pairs)}
    key = pd.DataFrame({"e": out["emotion"].map(emo_rank), "c": out["classifier"].map(clf_rank),
                        "p": [pair_rank[(m, b)] for m, b in zip(out["method"], out["baseline"])]})
    return out.loc[key.sort_values(["e", "c", "p"], kind="stable").index].reset_index(drop=True)


def comparison_pairs(methods: Sequence[str], extra: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every method against ``none``, then the extra pairs whose two methods were run."""
    pairs = [(m, "none") for m in methods if m != "none"] if "none" in methods else []
    pairs += [p for p in extra if p[0] in methods and p[1] in methods and p not in pairs]
    return pairs


# ---------------------------------------------------------------- outputs

def results_table(summary: pd.DataFrame, comparisons: pd.DataFrame) -> pd.DataFrame:
    """``metrics.csv``: the summary, with the comparison against ``none`` joined on."""
    vs_none = comparisons[comparisons["baseline"] == "none"].drop(columns="baseline")
    vs_none = vs_none.rename(columns={c: f"vs_none_{c}" for c in vs_none.columns
                                      if c not in ("emotion", "classifier", "metric", "method")})
    table = summary.merge(vs_none, on=["emotion", "classifier", "method", "metric"], how="left")
    order = {m: i for i, m in enumerate(METHODS)}
    metric_rank = {m: i for i, m in enumerate(METRICS)}
    table["_m"] = table["method"].map(order)
    table["_k"] = table["metric"].map(lambda m: metric_rank.get(m, len(METRICS)))
    table = table.sort_values(["emotion", "classifier", "_k", "metric", "_m"], kind="stable")
    return table.drop(columns=["_m", "_k"]).reset_index(drop=True)


def plot_metrics(summary: pd.DataFrame, path: Path, metrics: Sequence[str] = METRICS) -> Path:
    """One panel per (emotion, classifier) x metric: methods with their mean and 95 % CI; dashed line = none."""
    from lic_gpu.figures import pyplot, save_figure

    plt = pyplot()
    panels = summary[["emotion", "classifier"]].drop_duplicates().itertuples(index=False)
    panels = list(panels)
    methods = [m for m in METHODS if m in set(summary["method"])]
    fig, axes = plt.subplots(len(panels), len(metrics), figsize=(4.6 * len(metrics), 0.42 * len(methods) * len(panels) + 1.6 * len(panels)),
                             squeeze=False)
    colours = plt.get_cmap("tab10")
    for r, (emo, clf) in enumerate(panels):
        for c, metric in enumerate(metrics):
            ax = axes[r][c]
            sub = summary[(summary["emotion"] == emo) & (summary["classifier"] == clf) & (summary["metric"] == metric)]
            sub = sub.set_index("method").reindex(methods)
            y = np.arange(len(methods))[::-1]
            for i, m in enumerate(methods):
                mean, low, high = sub.loc[m, ["mean", "ci_low", "ci_high"]].astype(float)
                err = None if math.isnan(low) else [[mean - low], [high - mean]]
                ax.errorbar(mean, y[i], xerr=err, fmt="o", color=colours(i), capsize=4, markersize=6)
            if "none" in sub.index and not math.isnan(float(sub.loc["none", "mean"])):
                ax.axvline(float(sub.loc["none", "mean"]), color="grey", linestyle="--", linewidth=1)
            ax.set_yticks(y)
            ax.set_yticklabels([METHOD_LABELS[m] for m in methods] if c == 0 else [])
            better = "lower is better" if metric in LOWER_IS_BETTER else "higher is better"
            ax.set_title(f"{emo} · {CLASSIFIER_LABELS.get(clf, clf).split(' (')[0]}\n{metric} ({better})", fontsize=10)
            ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Held-out originals: mean over seeds with 95 % t-interval (dashed: no augmentation)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    return save_figure(fig, Path(path), dpi=120)


def _fmt(mean: float, low: float, high: float, digits: int = 3) -> str:
    if math.isnan(mean):
        return "–"
    if math.isnan(low):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def _fmt_p(p: float) -> str:
    return "–" if p is None or math.isnan(p) else (f"{p:.3f}" if p >= 0.001 else "< 0.001")


def _p_phrase(p: float) -> str:
    text = _fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _count(x: float) -> str:
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def render_markdown(result: EvalResult, summary: pd.DataFrame, comparisons: pd.DataFrame, meta: Mapping) -> str:
    """``evaluation.md``: what was run, the results table, the paired comparisons, and plain verdicts."""
    from lic_gpu.report import markdown_table

    s = meta["settings"]
    lines = [f"# Does LIC augmentation help? — {meta['corpus']}", ""]
    lines += [f"Run: `{meta['command']}`" if meta.get("command") else "",
              f"Device: {meta['device']}; wall time {meta['wall_s']:.0f} s; {meta['when']}.", ""]
    lines += ["## Setup", "",
              f"- Emotions {s['emotions']}, classes by `{s['binning']}`; seeds {s['seeds']} "
              f"({len(s['seeds'])} folds of a stratified group K-fold, K = {result.splits[0]['n_folds']}; "
              "test sets are disjoint).",
              f"- Split by group **{result.groups}** before anything is learned; LIC, the neighbours and every "
              "new row come from the train part only; the test part is originals only.",
              f"- Leakage check: {sum(c['method'] != '(LIC word dict)' for c in result.leakage)} training sets "
              "and the LIC word dict of every split checked: no test row in any of them (neither as a row nor "
              "as the source of a new row), no group on both sides.",
              f"- Class targets for oversampling and every LIC method: `sampling_strategy={s['sampling_strategy']!r}`.",
              f"- Classifiers: {', '.join(CLASSIFIER_LABELS[c] for c in s['classifiers'])}.",
              f"- Methods: {', '.join(METHOD_LABELS[m] for m in s['methods'] if m not in result.unavailable)}."]
    for m, why in result.unavailable.items():
        lines.append(f"- Not run: {METHOD_LABELS[m]} — {why}.")
    guard = meta.get("guard") or {}
    if guard.get("enabled") and "lic_diverse_guard" not in result.unavailable:
        lines.append(f"- Guards of LIC diverse + guard: {', '.join(guard.get('guards', [])) or 'none'} "
                     "(`augment.guard`; prepared on each split's train-only LIC; settings in `metrics.json`).")
    categorical = sorted({sp["emotion"] for sp in result.splits if sp.get("label_kind") == "categorical"})
    if categorical:
        lines.append(f"- Categorical labels ({', '.join(categorical)}): classes are coded 1..K (names in "
                     "`metrics.json`, `splits[].class_names`); no MAE and no rating-lean guard, which need "
                     "ordered levels.")
    dup = [c["test_texts_also_in_train"] for c in result.leakage if c["method"] == "none"]
    if dup and max(dup):
        lines.append(f"- {np.mean(dup):.1f} test sentences per split (mean) also occur verbatim in a train document "
                     "(the corpus repeats some short sentences across documents); they are kept, as in any "
                     "deployment, and are not leakage of rows.")
    lines += ["- Verdicts use the corrected resampled t-test (Nadeau & Bengio 2003) at p < 0.05, which accounts for "
              "overlapping training sets; the plain paired t-test is in `metrics.csv`. No correction for the "
              "number of comparisons.", ""]
    split_df = pd.DataFrame(result.splits)
    lines += ["## Splits", ""]
    rows = []
    for emo, g in split_df.groupby("emotion", sort=False):
        test_cls = Counter()
        for d in g["test_classes"]:
            test_cls.update({int(k): v for k, v in d.items()})
        rows.append([emo, f"{g['n_train'].mean():.0f}", f"{g['n_test'].mean():.0f}",
                     f"{g['test_groups'].mean():.1f}",
                     ", ".join(f"{k}: {_count(v / len(g))}" for k, v in sorted(test_cls.items())),
                     "yes" if g["stratified"].all() else "not always"])
    lines += [markdown_table(rows, ["emotion", "train rows (mean)", "test rows (mean)", "test groups (mean)",
                                    "test rows per class (mean)", "stratified"]), ""]
    aug_df = pd.DataFrame(result.augmentation)
    if not aug_df.empty:
        added = aug_df.groupby(["emotion", "method"], sort=False)["n_added"].mean().unstack("method")
        added = added[[m for m in METHODS if m in added.columns]]
        lines += ["Rows added to the train part (mean over seeds):", "",
                  markdown_table([[e, *[f"{v:.0f}" for v in r]] for e, r in added.iterrows()],
                                 ["emotion", *[METHOD_LABELS[m] for m in added.columns]]), ""]
        lines += _fill_lines(result.augmentation)
    lines += ["## Results (held-out originals, mean [95 % CI] over seeds)", ""]
    for (emo, clf), _ in summary.groupby(["emotion", "classifier"], sort=False):
        lines += [f"### {emo} — {CLASSIFIER_LABELS.get(clf, clf)}", ""]
        rows = []
        for method in [m for m in METHODS if m in set(summary["method"])]:
            cells = [METHOD_LABELS[method]]
            for metric in METRICS:
                r = summary[(summary["emotion"] == emo) & (summary["classifier"] == clf) &
                            (summary["method"] == method) & (summary["metric"] == metric)]
                cells.append(_fmt(*r[["mean", "ci_low", "ci_high"]].iloc[0].astype(float)) if len(r) else "–")
            c = comparisons[(comparisons["emotion"] == emo) & (comparisons["classifier"] == clf) &
                            (comparisons["method"] == method) & (comparisons["baseline"] == "none") &
                            (comparisons["metric"] == "macro_f1")]
            if len(c):
                c = c.iloc[0]
                cells += [f"{c['mean_diff']:+.3f} [{c['ci_low']:+.3f}, {c['ci_high']:+.3f}]",
                          _fmt_p(c["p_corrected"]), c["verdict"]]
            else:
                cells += ["", "", ""]
            rows.append(cells)
        lines += [markdown_table(rows, ["method", "macro-F1", "balanced accuracy", "MAE", "Δ macro-F1 vs none",
                                        "p (corrected)", "verdict (macro-F1)"]), ""]
        recall = summary[(summary["emotion"] == emo) & (summary["classifier"] == clf) &
                         summary["metric"].str.startswith("recall_")]
        if len(recall):
            pivot = recall.pivot_table(index="method", columns="metric", values="mean", aggfunc="first")
            pivot = pivot.reindex([m for m in METHODS if m in pivot.index])
            cols = sorted(pivot.columns, key=lambda m: int(m.split("_", 1)[1]))
            lines += ["Recall per class (mean over the seeds whose test part has that class):", "",
                      markdown_table([[METHOD_LABELS[m], *[f"{pivot.loc[m, c]:.3f}" if not math.isnan(pivot.loc[m, c])
                                                            else "–" for c in cols]] for m in pivot.index],
                                     ["method", *[f"class {c.split('_', 1)[1]}" for c in cols]]), ""]
    lines += ["## What the numbers say", ""]
    lines += _verdict_lines(comparisons)
    lines += ["", "## Caveats", "",
              f"- {len(s['seeds'])} seeds: intervals are wide and the Wilcoxon test cannot reach p < 0.0625; a "
              "'no clear difference' is not evidence of no effect.",
              "- Classes with very few sentences (and whole groups of them) may be absent from a test fold or from "
              "its train part; their recall is averaged only over folds that contain them, and a class absent from "
              "train can never be predicted.",
              "- The classifiers are deliberately simple baselines; a stronger model may gain or lose differently.",
              "", "Files: `metrics.json` (settings, splits, leakage checks, per-seed scores, comparisons, timings), "
              "`metrics.csv` (summary + comparison with no augmentation), `metrics.png`.", ""]
    return "\n".join(lines)


def _fill_lines(augmentation: Sequence[Mapping]) -> list[str]:
    """Per emotion: rows generated / requested per class and method (mean over seeds); shows where a
    method could not reach the shared class targets (tiny classes give LIC few sentences to vary)."""
    from lic_gpu.report import markdown_table

    lines = []
    for emo in dict.fromkeys(rec["emotion"] for rec in augmentation):
        made: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for rec in (r for r in augmentation if r["emotion"] == emo):
            for cls, rep in (rec.get("classes") or {}).items():
                if isinstance(rep, dict) and rep.get("requested", 0) > 0:
                    made.setdefault((rec["method"], cls), []).append((rep["generated"], rep["requested"]))
        if not made:
            continue
        classes = sorted({c for _, c in made}, key=int)
        methods = [m for m in METHODS if any((m, c) in made for c in classes)]
        rows = []
        for m in methods:
            cells = [METHOD_LABELS[m]]
            for c in classes:
                vals = made.get((m, c))
                if not vals:
                    cells.append("")
                    continue
                gen, req = np.mean([v[0] for v in vals]), np.mean([v[1] for v in vals])
                cells.append(f"{gen:.0f} / {req:.0f} ({100 * gen / req:.0f} %)")
            rows.append(cells)
        lines += [f"{emo}: rows generated / requested per class (mean over seeds; the random-position "
                  "ablation requests exactly the rows LIC diverse made):", "",
                  markdown_table(rows, ["method", *[f"class {c}" for c in classes]]), ""]
    return lines


def _verdict_lines(comparisons: pd.DataFrame) -> list[str]:
    """Headline sentences, then every comparison on macro-F1 as one table (rows: pairs; columns: panels)."""
    from lic_gpu.report import markdown_table

    if comparisons.empty:
        return ["No comparison was possible (only one method)."]
    f1 = comparisons[comparisons["metric"] == "macro_f1"]
    panels = list(dict.fromkeys(zip(f1["emotion"], f1["classifier"])))
    lines = []
    for emo, clf in panels:
        g = f1[(f1["emotion"] == emo) & (f1["classifier"] == clf) & (f1["baseline"] == "none")]
        better = [METHOD_LABELS[m] for m in g.loc[g["verdict"] == "better", "method"]]
        worse = [METHOD_LABELS[m] for m in g.loc[g["verdict"] == "worse", "method"]]
        lic = g[g["method"].str.startswith("lic_")]
        lic_better = lic[lic["verdict"] == "better"]
        text = f"- **{emo}, {CLASSIFIER_LABELS.get(clf, clf)}**: "
        text += (f"better than no augmentation on macro-F1: {', '.join(better)}" if better
                 else "no method is clearly better than no augmentation on macro-F1")
        text += f"; worse: {', '.join(worse)}." if worse else "."
        mae = comparisons[(comparisons["emotion"] == emo) & (comparisons["classifier"] == clf) &
                          (comparisons["baseline"] == "none") & (comparisons["metric"] == "mae")]
        mae_worse = [METHOD_LABELS[m] for m in mae.loc[mae["verdict"] == "worse", "method"]]
        mae_better = [METHOD_LABELS[m] for m in mae.loc[mae["verdict"] == "better", "method"]]
        if mae_worse:
            text += f" MAE is worse than without augmentation for: {', '.join(mae_worse)}."
        if mae_better:
            text += f" MAE is better for: {', '.join(mae_better)}."
        if len(lic) and lic_better.empty:
            text += " No LIC method clearly helps here."
        for method, base in (("lic_diverse", "random_positions"), ("lic_diverse", "oversample")):
            row = f1[(f1["emotion"] == emo) & (f1["classifier"] == clf) & (f1["method"] == method) &
                     (f1["baseline"] == base)]
            if len(row):
                r = row.iloc[0]
                text += (f" {METHOD_LABELS[method]} vs {METHOD_LABELS[base]}: {r['mean_diff']:+.3f} "
                         f"({_p_phrase(r['p_corrected'])}, {r['verdict']}).")
        lines.append(text)
    lines += ["", "Every comparison on macro-F1: difference [95 % CI], corrected p, verdict "
              "(balanced accuracy and MAE: `metrics.csv`, `metrics.json`).", ""]
    pairs = list(dict.fromkeys(zip(f1["method"], f1["baseline"])))
    rows = []
    for method, base in pairs:
        cells = [f"{METHOD_LABELS[method]} vs {METHOD_LABELS[base]}"]
        for emo, clf in panels:
            r = f1[(f1["emotion"] == emo) & (f1["classifier"] == clf) & (f1["method"] == method) &
                   (f1["baseline"] == base)]
            if not len(r):
                cells.append("")
                continue
            r = r.iloc[0]
            mark = {"better": " ▲", "worse": " ▼"}.get(r["verdict"], "")
            cells.append(f"{r['mean_diff']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] "
                         f"{_p_phrase(r['p_corrected'])}{mark}")
        rows.append(cells)
    header = ["comparison", *[f"{emo} · {CLASSIFIER_SHORT.get(clf, clf)}" for emo, clf in panels]]
    lines += [markdown_table(rows, header), "", "▲ better, ▼ worse at corrected p < 0.05; blank: no clear difference."]
    return lines


def write_outputs(out_dir: Path, result: EvalResult, settings: EvalSettings, meta: dict) -> dict:
    """Write ``metrics.json``, ``metrics.csv``, ``metrics.png`` and ``evaluation.md`` into ``out_dir``."""
    from lic_gpu.atomic_files import write_csv, write_json, write_text

    out_dir = Path(out_dir)
    summary = summarise(result.records)
    pairs = comparison_pairs([m for m in settings.methods if m not in result.unavailable], settings.comparisons)
    comparisons = compare(result.records, pairs)
    table = results_table(summary, comparisons)
    meta = {**meta, "settings": _jsonable(asdict(settings))}
    payload = {**meta, "groups": result.groups, "classes": result.classes, "unavailable_methods": result.unavailable,
               "splits": result.splits, "leakage_checks": result.leakage, "augmentation": result.augmentation,
               "summary": _records(summary), "comparisons": _records(comparisons),
               "per_seed": _records(result.records), "timings_s": result.timings_s}
    write_json(payload, out_dir / "metrics.json")
    write_csv(table, out_dir / "metrics.csv")
    plot_metrics(summary, out_dir / "metrics.png")
    write_text(render_markdown(result, summary, comparisons, meta), out_dir / "evaluation.md")
    return payload


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in frame.to_dict(orient="records")]


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


# ---------------------------------------------------------------- the Hydra-facing entry

def settings_from_config(cfg) -> EvalSettings:
    """Plain :class:`EvalSettings` from a composed ``evaluate`` config."""
    from omegaconf import OmegaConf

    def plain(node):
        return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node

    emotion = plain(cfg.emotion)
    lic_cfg = plain(cfg.get("lic")) or {}
    group = plain(cfg.get("group")) or {}
    data = plain(cfg.data)
    comparisons = plain(cfg.get("comparisons"))
    return EvalSettings(
        emotions=[emotion] if isinstance(emotion, str) else list(emotion),
        seeds=plain(cfg.seeds), test_size=cfg.test_size,
        group_column=group.get("column", "auto"), group_prefix_sep=group.get("prefix_sep"),
        binning=data.get("binning", "auto"), label_kind=data.get("label_kind", "auto"),
        sampling_strategy=plain(cfg.sampling_strategy),
        methods=plain(cfg.methods), classifiers=plain(cfg.classifiers),
        lic_method=lic_cfg.get("method", "seed"), lic_dtype=lic_cfg.get("dtype", "float64"),
        augment_seed=plain(cfg.augment_seed), augment_diverse=plain(cfg.augment),
        guard_cfg=plain(cfg.get("guard")), tfidf=plain(cfg.get("tfidf")) or {}, mlp=plain(cfg.get("mlp")) or {},
        comparisons=comparisons if comparisons is not None else [list(p) for p in DEFAULT_COMPARISONS])


def run_evaluate(cfg, out_dir: str | Path | None = None) -> dict:
    """Run the evaluation for a composed config; returns what ``metrics.json`` holds.

    ``out_dir``: argument, else ``cfg.out_dir``, else Hydra's run folder.
    """
    import sys

    from lic_gpu.device import resolve_device
    from lic_gpu.embeddings import EmbeddingStore
    from lic_gpu.guard import build_guards
    from lic_gpu.pipeline import load_corpus
    from lic_gpu.fluency import build_grammar, load_thesaurus
    from lic_gpu.text import check_tokeniser, load_stopwords, resolve_tokenizer
    from lic_gpu.threads import set_torch_threads
    from omegaconf import OmegaConf

    t_start = time.perf_counter()
    if out_dir is None:
        out_dir = cfg.get("out_dir")
    if out_dir is None:
        from hydra.core.hydra_config import HydraConfig

        out_dir = HydraConfig.get().runtime.output_dir
    settings = settings_from_config(cfg)
    set_torch_threads(cfg.get("threads"))
    choice = resolve_device(cfg.device)
    data_cfg = OmegaConf.to_container(cfg.data, resolve=True)
    # one tokenisation for every method: the words tokenizer (auto would give seed mode its own)
    tokenise = check_tokeniser(resolve_tokenizer(data_cfg.get("tokenizer", "auto"), "diverse"))
    sw = OmegaConf.to_container(cfg.stopwords, resolve=True) if cfg.get("stopwords") else {}
    stopwords, sw_origin = load_stopwords(sw.get("source", "auto"), sw.get("extra") or (), sw.get("remove") or ())
    corpus = load_corpus(data_cfg.pop("kind"), **data_cfg)
    corpus.require_emotions(settings.emotions, settings.label_kind)
    tokenised = [tokenise(t) for t in corpus.texts]
    emb_cfg = OmegaConf.to_container(cfg.embeddings, resolve=True)
    store = EmbeddingStore.load(device=choice.device, **emb_cfg)
    log.info("vectors: %s", store.source)
    guards, guard_info = [], {"enabled": False}
    if "lic_diverse_guard" in settings.methods:
        guard_aug = {**settings.augment_diverse}
        if settings.guard_cfg is not None:
            guard_aug["guard"] = settings.guard_cfg
        guards, guard_info = build_guards(guard_aug, store=store, stopwords=stopwords)
    grammar, grammar_info = build_grammar(settings.augment_diverse)
    thesaurus = load_thesaurus(settings.augment_diverse.get("thesaurus"), grammar.inflector if grammar else None)
    guard_info = dict(guard_info, grammar=grammar_info, thesaurus=thesaurus.name if thesaurus else None)
    result = evaluate(corpus, tokenised, settings, store, stopwords, choice.device, guards,
                      fluency={"grammar": grammar, "thesaurus": thesaurus})
    wall = time.perf_counter() - t_start
    meta = {"corpus": corpus.source, "n_rows": len(corpus.frame),
            "command": "python scripts/evaluate.py " + " ".join(sys.argv[1:]) if sys.argv[0].endswith("evaluate.py") else "",
            "device": str(choice.device) + (f" (asked {choice.requested}: {choice.fallback_reason})"
                                            if choice.fallback_reason else ""),
            "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
            "torch": torch.__version__, "vectors": store.source, "stopwords": sw_origin, "guard": guard_info,
            "wall_s": round(wall, 1), "when": time.strftime("%Y-%m-%d %H:%M"),
            "config": OmegaConf.to_container(cfg, resolve=True)}
    payload = write_outputs(Path(out_dir), result, settings, meta)
    log.info("evaluation written to %s (%.0f s)", out_dir, wall)
    return payload
