"""What an evaluation run is asked to do: :class:`EvalSettings` and its validators."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from lic_gpu.io.conf_files import augment_defaults, default_option, group_defaults, primary_default
from lic_gpu.errors import LicGpuError
from lic_gpu.evaluation.classifiers import CLASSIFIERS, REGRESSORS
from lic_gpu.evaluation.split import check_test_size
from lic_gpu.lic import LIC_DTYPES, check_lic_method
from lic_gpu.augment.strategy import check_sampling_strategy


METHODS = (
    "none",
    "oversample",
    "class_weight",
    "lic_seed",
    "lic_diverse",
    "random_positions",
    "lic_diverse_guard",
    "lic_diverse_class_weight",
    "lic_diverse_oversample",
)
METHOD_LABELS = {
    "none": "no augmentation",
    "oversample": "random oversampling",
    "class_weight": "class weights",
    "lic_seed": "LIC seed mode",
    "lic_diverse": "LIC diverse",
    "random_positions": "random positions (ablation)",
    "lic_diverse_guard": "LIC diverse + guard",
    "lic_diverse_class_weight": "LIC diverse + class weights",
    "lic_diverse_oversample": "LIC diverse + oversampling",
}
# The cheap baselines: no text is made. "Best cheap baseline" at a point = the best of them there.
CHEAP = ("none", "oversample", "class_weight")
# lic_diverse with another augment.max_per_source, run where study.per_source says
PER_SOURCE_PREFIX = "lic_diverse_per_source_"


def per_source_method(limit: int) -> str:
    """The method name of LIC diverse with ``max_per_source=limit`` (``lic_diverse_per_source_30``)."""
    return f"{PER_SOURCE_PREFIX}{int(limit)}"


def method_label(method: str) -> str:
    """A method's name for tables and figures."""
    match = re.fullmatch(rf"{PER_SOURCE_PREFIX}(\d+)", method)
    if match:
        return f"LIC diverse, ≤ {match.group(1)} rows per source"
    return METHOD_LABELS.get(method, method)


def method_rank(method: str) -> int:
    """Canonical order of methods in tables: :data:`METHODS`, then the per-source variants."""
    if method in METHODS:
        return METHODS.index(method)
    match = re.fullmatch(rf"{PER_SOURCE_PREFIX}(\d+)", method)
    return len(METHODS) + (int(match.group(1)) if match else 10**6)


def is_lic_method(method: str) -> bool:
    """Whether a method makes new text (LIC, its ablation, its combinations)."""
    return method.startswith("lic_") or method == "random_positions"


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
    binning : how ratings become classes, see :func:`lic_gpu.classes.class_labels`
    label_kind : ``auto`` | ``ordinal`` | ``categorical`` (``data.label_kind``); categorical labels get no
        MAE (their classes are not ordered), no regression and no rating-lean guard
    fractions : the learning curve: shares of each seed's train part to train on (whole groups,
        nested; the test part stays the same), ``study.fractions``
    budgets : class targets (``sampling_strategy`` values) shared by oversampling, class weights and
        every LIC method, one study point each, ``study.budgets``
    per_source : other ``augment.max_per_source`` values for LIC diverse, run at the largest fraction
        and the last budget only, when ``lic_diverse`` is among the methods (methods
        ``lic_diverse_per_source_<n>``), ``study.per_source``
    methods, classifiers, regressors : names from :data:`METHODS`, :data:`CLASSIFIERS`, :data:`REGRESSORS`
    cheap_baselines : the methods "best cheap baseline" is chosen from at each point
    lic_method, lic_dtype : LIC statistic and its float type
    augment_seed, augment_diverse : LicAugmenter keyword arguments for ``mode=seed`` / ``mode=diverse``
    guard_cfg : ``augment`` mapping handed to :func:`lic_gpu.augment.guard.build_guards` for the guarded method
    tfidf, mlp, ridge : model options (see :class:`TfidfLogReg`, :class:`MeanEmbeddingMLP`, :class:`TfidfRidge`)
    comparisons : extra (method, baseline) pairs compared besides every method vs ``none`` and every
        LIC method vs the best cheap baseline

    Every field left out is ``conf/evaluate.yaml``'s (and its default ``data``/``augment``/``study``
    groups'): the YAML is the one place defaults live, so Python callers and ``lic-evaluate`` evaluate
    the same thing.
    """

    emotions: list[str]
    seeds: list[int] = field(default_factory=lambda: _default("seeds"))
    test_size: float = field(default_factory=lambda: _default("test_size"))
    group_column: str = field(default_factory=lambda: _default("group")["column"])
    group_prefix_sep: str | None = field(default_factory=lambda: _default("group")["prefix_sep"])
    binning: Any = field(default_factory=lambda: _data_default("binning"))
    label_kind: str = field(default_factory=lambda: _data_default("label_kind"))
    fractions: list[float] = field(default_factory=lambda: _study_default("fractions"))
    budgets: list[Any] = field(default_factory=lambda: _study_default("budgets"))
    per_source: list[int] = field(default_factory=lambda: _study_default("per_source"))
    methods: list[str] = field(default_factory=lambda: _default("methods"))
    classifiers: list[str] = field(default_factory=lambda: _default("classifiers"))
    regressors: list[str] = field(default_factory=lambda: _default("regressors"))
    cheap_baselines: list[str] = field(default_factory=lambda: _default("cheap_baselines"))
    lic_method: str = field(default_factory=lambda: _default("lic")["method"])
    lic_dtype: str = field(default_factory=lambda: _default("lic")["dtype"])
    augment_seed: dict = field(default_factory=lambda: _augment_default("augment@augment_seed"))
    augment_diverse: dict = field(default_factory=lambda: _augment_default("augment"))
    guard_cfg: dict | None = field(default_factory=lambda: _default("guard"))
    tfidf: dict = field(default_factory=lambda: _default("tfidf"))
    mlp: dict = field(default_factory=lambda: _default("mlp"))
    ridge: dict = field(default_factory=lambda: _default("ridge"))
    comparisons: list[tuple[str, str]] = field(default_factory=lambda: _default("comparisons"))

    def __post_init__(self) -> None:
        self.methods = check_names(self.methods, METHODS, "methods")
        self.classifiers = check_names(self.classifiers, CLASSIFIERS, "classifiers", allow_empty=True)
        self.regressors = check_names(self.regressors, REGRESSORS, "regressors", allow_empty=True)
        if not self.classifiers and not self.regressors:
            raise LicGpuError("classifiers and regressors are both empty; name at least one model")
        self.cheap_baselines = check_names(self.cheap_baselines, CHEAP, "cheap_baselines", allow_empty=True)
        self.seeds = check_seeds(self.seeds)
        self.test_size = check_test_size(self.test_size)
        self.fractions = check_fractions(self.fractions)
        self.budgets = check_budgets(self.budgets)
        self.per_source = check_per_source(self.per_source)
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

    @property
    def models(self) -> list[str]:
        """Classifiers, then regressors."""
        return [*self.classifiers, *self.regressors]


def check_names(
    values: Sequence[str] | str, allowed: Sequence[str], option: str, allow_empty: bool = False
) -> list[str]:
    """Validate a list option (``methods``, ``classifiers``): known names, no repeats, at least one
    (unless ``allow_empty``)."""
    items = [values] if isinstance(values, str) else list(values or ())
    unknown = [v for v in items if v not in allowed]
    if unknown or (not items and not allow_empty):
        what = "a list" if allow_empty else "a non-empty list"
        raise LicGpuError(f"{option} must be {what} of {list(allowed)}; got {values!r}")
    return list(dict.fromkeys(items))


def check_seeds(seeds: Sequence[int] | int) -> list[int]:
    """Validate ``seeds``: non-negative integers, no repeats."""
    items = [seeds] if isinstance(seeds, int) else list(seeds or ())
    if not items or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in items):
        raise LicGpuError(f"seeds must be a non-empty list of non-negative integers; got {seeds!r}")
    if len(set(items)) != len(items):
        raise LicGpuError(f"seeds must not repeat; got {seeds!r}")
    return items


def check_fractions(fractions: Sequence[float] | float) -> list[float]:
    """Validate ``study.fractions``: numbers in (0, 1], no repeats; returned in increasing order."""
    # a bool is one (refused) item, as in check_seeds: list(True) was a TypeError traceback
    items: list[Any] = [fractions] if isinstance(fractions, (int, float)) else list(fractions or ())
    ok = items and all(isinstance(f, (int, float)) and not isinstance(f, bool) and 0 < float(f) <= 1 for f in items)
    if not ok or len({float(f) for f in items}) != len(items):
        raise LicGpuError(f"study.fractions must be a non-empty list of distinct numbers in (0, 1]; got {fractions!r}")
    return sorted(float(f) for f in items)


def check_budgets(budgets: Any) -> list[Any]:
    """Validate ``study.budgets``: a non-empty list of distinct ``sampling_strategy`` values (a single
    value is a list of one)."""
    items = list(budgets) if isinstance(budgets, (list, tuple)) else [budgets]
    if not items:
        raise LicGpuError("study.budgets must name at least one sampling_strategy (e.g. [0.25, 0.5, 1.0])")
    for b in items:
        try:
            check_sampling_strategy(b, {1: 10, 2: 5, 3: 1})
        except LicGpuError as err:
            raise LicGpuError(f"study.budgets: {err}") from None
    labels = [budget_label(b) for b in items]
    if len(set(labels)) != len(labels):
        raise LicGpuError(f"study.budgets must not repeat; got {budgets!r}")
    return items


def check_per_source(values: Any) -> list[int]:
    """Validate ``study.per_source``: positive integers, no repeats."""
    items = [values] if isinstance(values, int) and not isinstance(values, bool) else list(values or ())
    positive = all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in items)
    if not positive or len(set(items)) != len(items):
        raise LicGpuError(f"study.per_source must be a list of distinct positive integers; got {values!r}")
    return items


def budget_label(budget: Any) -> str:
    """A budget as it is written in tables and ``metrics.csv`` (``0.25``, ``1.0``, ``auto``, ``{2: 300}``)."""
    if isinstance(budget, bool):
        return str(budget)
    if isinstance(budget, (int, float)):
        return f"{float(budget):g}" if float(budget) != 1 else "1.0"
    if isinstance(budget, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in budget.items()) + "}"
    return str(budget)


def _default(key: str) -> Any:
    return primary_default("evaluate", key)


def _data_default(key: str) -> Any:
    return group_defaults("data", default_option("evaluate", "data"))[key]


def _study_default(key: str) -> Any:
    return group_defaults("study", default_option("evaluate", "study"))[key]


def _augment_default(package: str) -> dict:
    return augment_defaults(default_option("evaluate", package))
