"""Caps on augmented rows: drop generated rows inside a region of classes until each class fits.

Generalises the notebook's ``cap_augmented_in_3to5_rectangle`` to any region and any number of
emotions. Originals are never dropped; a cap that dropping generated rows cannot meet is reported
in :attr:`CapResult.unmet`, not hidden.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd

from lic_gpu.errors import LicGpuError

log = logging.getLogger(__name__)

CAP_KINDS = ("none", "rectangle")


@dataclass
class CapResult:
    """What capping kept and dropped.

    Attributes
    ----------
    frame : pd.DataFrame
        The capped rows, a new frame with a new RangeIndex (the input is never mutated).
    classes : pd.DataFrame
        The class labels of the kept rows, aligned with ``frame``.
    dropped : dict
        ``{emotion: {class: n}}``: generated rows dropped in that emotion's pass, per class.
    unmet : dict
        ``{emotion: {class: excess}}``: rows still above the cap after every pass, because no
        generated row of that class was left inside the region.
    kept_rows : np.ndarray
        Positions (0-based, ascending) in the input frame of the rows that were kept.
    """

    frame: pd.DataFrame
    classes: pd.DataFrame
    dropped: dict[str, dict[int, int]] = field(default_factory=dict)
    unmet: dict[str, dict[int, int]] = field(default_factory=dict)
    kept_rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    @property
    def n_dropped(self) -> int:
        """Total number of rows dropped."""
        return sum(n for per_class in self.dropped.values() for n in per_class.values())


def _check_kind(kind: object) -> str:
    if not isinstance(kind, str) or kind.strip().lower() not in CAP_KINDS:
        raise LicGpuError(f"caps.kind must be one of {list(CAP_KINDS)}; got {kind!r}")
    return kind.strip().lower()


def _check_bounds(emotion: str, bounds: object) -> tuple[float, float]:
    hint = f"caps.region.{emotion} must be [lo, hi], two numbers with lo <= hi; got {bounds!r}"
    if isinstance(bounds, (str, bytes)) or not isinstance(bounds, Sequence) or len(bounds) != 2:
        raise LicGpuError(hint)
    lo, hi = bounds
    if isinstance(lo, str) or isinstance(hi, str):
        # trial 10: {emotion:[joy,anger]}: label names, which caps cannot take
        raise LicGpuError(
            f"{hint}: caps keep a range of ordinal rating levels; category labels cannot be capped (caps=none)"
        )
    for value in (lo, hi):
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise LicGpuError(hint)
    if lo > hi:
        raise LicGpuError(hint)
    return (lo, hi)


def _check_region(region: object, emotions_with_classes: Iterable[str] | None) -> dict[str, tuple[float, float]]:
    if not isinstance(region, Mapping) or len(region) == 0:
        raise LicGpuError(
            f"caps.region must map each emotion to [lo, hi], e.g. {{valence: [2, 5], arousal: [3, 6]}}; got {region!r}"
        )
    known = None if emotions_with_classes is None else list(emotions_with_classes)
    checked: dict[str, tuple[float, float]] = {}
    for emotion, bounds in region.items():
        if known is not None and emotion not in known:
            raise LicGpuError(
                f"caps.region names {emotion!r}, which is not an emotion of this run (it has no classes); use one "
                f"of {sorted(known)}, or add it to emotion=[...] (caps keep a [lo, hi] range of ordinal rating "
                "levels: a categorical emotion takes caps=none)"
            )
        checked[str(emotion)] = _check_bounds(str(emotion), bounds)
    return checked


def _check_cap(cap_per_class: object) -> int:
    if isinstance(cap_per_class, bool) or not isinstance(cap_per_class, Integral) or cap_per_class < 1:
        raise LicGpuError(f"caps.cap_per_class must be a positive integer; got {cap_per_class!r}")
    return int(cap_per_class)


def _check_none(region: object, cap_per_class: object, emotions_with_classes: object) -> dict:
    # caps=none ignores region and cap: nothing is dropped, so nothing to validate.
    return {}


def _check_rectangle(region: object, cap_per_class: object, emotions_with_classes: Iterable[str] | None) -> dict:
    return {
        "region": _check_region(region, emotions_with_classes),
        "cap_per_class": _check_cap(cap_per_class),
    }


_CHECKS = {"none": _check_none, "rectangle": _check_rectangle}


def check_caps(
    kind: str,
    region: Mapping[str, Sequence[float]] | None = None,
    cap_per_class: int | None = None,
    emotions_with_classes: Iterable[str] | None = None,
) -> dict:
    """Validate the ``caps`` options.

    Parameters
    ----------
    kind : str
        One of ``CAP_KINDS``.
    region : mapping, optional
        ``{emotion: [lo, hi]}``; required for ``rectangle``.
    cap_per_class : int, optional
        Positive row limit per class; required for ``rectangle``.
    emotions_with_classes : iterable of str, optional
        When given, every region emotion must be one of these (the columns of ``classes``).

    Returns
    -------
    dict
        ``{"kind": kind}`` plus, for ``rectangle``, ``region`` as ``{emotion: (lo, hi)}`` and
        ``cap_per_class`` as ``int``.

    Raises
    ------
    LicGpuError
        Naming the option and quoting the offending value.
    """
    kind = _check_kind(kind)
    return {"kind": kind, **_CHECKS[kind](region, cap_per_class, emotions_with_classes)}


def _check_inputs(frame: pd.DataFrame, classes: pd.DataFrame) -> None:
    if "is_augmented" not in frame.columns:
        raise LicGpuError("caps need the 'is_augmented' column in the augmented frame; it is missing")
    if not classes.index.equals(frame.index):
        raise LicGpuError("caps: the classes frame must have the same index as the augmented frame")


def check_cap_emotions(emotions: Sequence[str] | None, region: Mapping[str, Sequence[float]]) -> list[str]:
    if emotions is None:
        return list(region)
    if isinstance(emotions, str):
        emotions = [emotions]
    for emotion in emotions:
        if emotion not in region:
            raise LicGpuError(
                f"caps.emotions names {emotion!r}, which is not in caps.region {sorted(region)}; "
                "add its [lo, hi] to the region or leave it out"
            )
    return list(emotions)


def _class_labels(classes: pd.DataFrame, emotion: str) -> tuple[np.ndarray, np.ndarray]:
    """Class labels as int64 plus a mask of rows that have one (NA ratings have no class)."""
    column = classes[emotion]
    has_class = column.notna().to_numpy()
    labels = np.zeros(len(column), dtype=np.int64)
    labels[has_class] = column[has_class].to_numpy(dtype=np.int64)
    return labels, has_class


def _capped_result(frame: pd.DataFrame, classes: pd.DataFrame, kept: np.ndarray, dropped, unmet):
    return CapResult(
        frame=frame.iloc[kept].reset_index(drop=True),
        classes=classes.iloc[kept].reset_index(drop=True),
        dropped=dropped,
        unmet=unmet,
        kept_rows=kept,
    )


def cap_rectangle(
    frame: pd.DataFrame,
    classes: pd.DataFrame,
    region: Mapping[str, Sequence[float]],
    cap_per_class: int,
    seed: int,
    emotions: Sequence[str] | None = None,
) -> CapResult:
    """Drop generated rows inside ``region`` until every capped class has <= ``cap_per_class`` rows.

    A row is a candidate when it is generated (``is_augmented``) and its class for every region
    emotion lies in that emotion's ``[lo, hi]``. One pass per capped emotion, in order; within a
    pass the classes in ``[lo, hi]`` go in ascending order and each over-full class loses
    ``min(excess, candidates)`` rows drawn at random. Rows without a class (NA rating) for a region
    emotion are never candidates and count towards no class.

    Parameters
    ----------
    frame : pd.DataFrame
        Augmented frame with an ``is_augmented`` column.
    classes : pd.DataFrame
        Class labels (nullable Int64), one column per emotion, same index as ``frame``.
    region : mapping
        ``{emotion: [lo, hi]}``, bounds inclusive.
    cap_per_class : int
        Row limit per class, originals included.
    seed : int
        Seed of the ``numpy.random.RandomState`` that draws the rows to drop.
    emotions : sequence of str, optional
        Emotions to cap, in pass order; all of them must be in ``region``. Default: the region's.

    Returns
    -------
    CapResult
    """
    checked = check_caps("rectangle", region, cap_per_class, emotions_with_classes=classes.columns)
    region, cap_per_class = checked["region"], checked["cap_per_class"]
    emotions = check_cap_emotions(emotions, region)
    _check_inputs(frame, classes)
    # RandomState (not Generator) and rng.choice over index-ordered candidates, class by class,
    # reproduce the notebook's draws exactly for the same seed.
    rng = np.random.RandomState(seed)

    labels = {emotion: _class_labels(classes, emotion) for emotion in set(region) | set(emotions)}
    in_region = frame["is_augmented"].to_numpy(dtype=bool).copy()
    for emotion, (lo, hi) in region.items():
        values, has_class = labels[emotion]
        in_region &= has_class & (values >= lo) & (values <= hi)
        if has_class.any() and not _classes_in_range(values, has_class, lo, hi):
            present = values[has_class]
            log.warning(
                "caps.region.%s [%g, %g] holds none of %s's classes (%g-%g): no row is inside the region, "
                "nothing is capped",
                emotion,
                lo,
                hi,
                emotion,
                present.min(),
                present.max(),
            )

    alive = np.ones(len(frame), dtype=bool)
    dropped: dict[str, dict[int, int]] = {}
    for emotion in emotions:
        lo, hi = region[emotion]
        values, has_class = labels[emotion]
        for cls in _classes_in_range(values, has_class, lo, hi):
            of_class = has_class & (values == cls)
            excess = int(np.count_nonzero(alive & of_class)) - cap_per_class
            if excess <= 0:
                continue
            candidates = np.flatnonzero(alive & in_region & of_class)
            if len(candidates) == 0:
                continue
            drop = rng.choice(candidates, size=min(excess, len(candidates)), replace=False)
            alive[drop] = False
            per_class = dropped.setdefault(emotion, {})
            per_class[cls] = per_class.get(cls, 0) + len(drop)

    # Judged after all passes: a later pass can only lower an earlier emotion's counts.
    unmet: dict[str, dict[int, int]] = {}
    for emotion in emotions:
        lo, hi = region[emotion]
        values, has_class = labels[emotion]
        for cls in _classes_in_range(values, has_class, lo, hi):
            excess = int(np.count_nonzero(alive & has_class & (values == cls))) - cap_per_class
            if excess > 0:
                unmet.setdefault(emotion, {})[cls] = excess

    return _capped_result(frame, classes, np.flatnonzero(alive), dropped, unmet)


def _classes_in_range(values: np.ndarray, has_class: np.ndarray, lo: float, hi: float) -> list[int]:
    present = np.unique(values[has_class])
    return [int(cls) for cls in present if lo <= cls <= hi]


def _no_caps(frame: pd.DataFrame, classes: pd.DataFrame, **_: object) -> CapResult:
    kept = np.arange(len(frame), dtype=np.int64)
    return _capped_result(frame, classes, kept, {}, {})


_CAPPERS: dict[str, Callable[..., CapResult]] = {"none": _no_caps, "rectangle": cap_rectangle}


def apply_caps(
    frame: pd.DataFrame,
    classes: pd.DataFrame,
    kind: str = "none",
    region: Mapping[str, Sequence[float]] | None = None,
    cap_per_class: int | None = None,
    seed: int = 0,
    emotions: Sequence[str] | None = None,
) -> CapResult:
    """Apply the configured caps (``caps.kind``) to an augmented frame.

    ``kind="none"`` keeps every row (a copy of ``frame``). See :func:`cap_rectangle` for the rest.

    Returns
    -------
    CapResult
    """
    checked = check_caps(kind, region, cap_per_class, emotions_with_classes=classes.columns)
    _check_inputs(frame, classes)
    kind = checked.pop("kind")
    return _CAPPERS[kind](frame, classes, seed=seed, emotions=emotions, **checked)
