"""What an evaluation run is asked to do: :class:`EvalSettings` and its validators."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from lic_gpu.conf_files import augment_defaults, default_option, group_defaults, primary_default
from lic_gpu.errors import LicGpuError
from lic_gpu.evaluation.classifiers import CLASSIFIERS
from lic_gpu.evaluation.split import check_test_size
from lic_gpu.lic import LIC_DTYPES, check_lic_method


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
        MAE (their classes are not ordered) and no rating-lean guard
    sampling_strategy : class targets shared by oversampling and every LIC method
    methods, classifiers : names from :data:`METHODS`, :data:`CLASSIFIERS`
    lic_method, lic_dtype : LIC statistic and its float type
    augment_seed, augment_diverse : LicAugmenter keyword arguments for ``mode=seed`` / ``mode=diverse``
    guard_cfg : ``augment`` mapping handed to :func:`lic_gpu.guard.build_guards` for the guarded method
    tfidf, mlp : classifier options (see :class:`TfidfLogReg`, :class:`MeanEmbeddingMLP`)
    comparisons : extra (method, baseline) pairs compared besides every method vs ``none``

    Every field left out is ``conf/evaluate.yaml``'s (and its default ``data``/``augment`` groups'): the YAML
    is the one place defaults live, so Python callers and ``lic-evaluate`` evaluate the same thing.
    """

    emotions: list[str]
    seeds: list[int] = field(default_factory=lambda: _default("seeds"))
    test_size: float = field(default_factory=lambda: _default("test_size"))
    group_column: str = field(default_factory=lambda: _default("group")["column"])
    group_prefix_sep: str | None = field(default_factory=lambda: _default("group")["prefix_sep"])
    binning: Any = field(default_factory=lambda: _data_default("binning"))
    label_kind: str = field(default_factory=lambda: _data_default("label_kind"))
    sampling_strategy: Any = field(default_factory=lambda: _default("sampling_strategy"))
    methods: list[str] = field(default_factory=lambda: _default("methods"))
    classifiers: list[str] = field(default_factory=lambda: _default("classifiers"))
    lic_method: str = field(default_factory=lambda: _default("lic")["method"])
    lic_dtype: str = field(default_factory=lambda: _default("lic")["dtype"])
    augment_seed: dict = field(default_factory=lambda: _augment_default("augment@augment_seed"))
    augment_diverse: dict = field(default_factory=lambda: _augment_default("augment"))
    guard_cfg: dict | None = field(default_factory=lambda: _default("guard"))
    tfidf: dict = field(default_factory=lambda: _default("tfidf"))
    mlp: dict = field(default_factory=lambda: _default("mlp"))
    comparisons: list[tuple[str, str]] = field(default_factory=lambda: _default("comparisons"))

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


def _default(key: str) -> Any:
    return primary_default("evaluate", key)


def _data_default(key: str) -> Any:
    return group_defaults("data", default_option("evaluate", "data"))[key]


def _augment_default(package: str) -> dict:
    return augment_defaults(default_option("evaluate", package))
