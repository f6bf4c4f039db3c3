"""``sampling_strategy``: how many rows each class gets, with imbalanced-learn's vocabulary.

The strings and the callable mean what they mean in imbalanced-learn's over-samplers
(``imblearn.utils.check_sampling_strategy`` with ``sampling_type="over-sampling"``; a test checks
the two agree); the float is this project's: every class up to ``ceil(f * largest)``, for any
number of classes (imbalanced-learn accepts a float for two classes only, with the same meaning).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lic_gpu.classes import plain_label
from lic_gpu.errors import LicGpuError


def _majority(sizes: Mapping[Any, int]) -> Any:
    return max(sizes, key=sizes.__getitem__)  # the first of equal sizes, as imbalanced-learn


def _minority(sizes: Mapping[Any, int]) -> Any:
    return min(sizes, key=sizes.__getitem__)


def _up_to_largest(sizes: Mapping[Any, int], keep: Callable[[Any], bool]) -> dict[Any, int]:
    largest = max(sizes.values())
    return {c: (largest - n) if keep(c) else 0 for c, n in sizes.items()}


def _not_majority(sizes):
    majority = _majority(sizes)
    return _up_to_largest(sizes, lambda c: c != majority)


def _minority_only(sizes):
    minority = _minority(sizes)
    return _up_to_largest(sizes, lambda c: c == minority)


def _not_minority(sizes):
    minority = _minority(sizes)
    return _up_to_largest(sizes, lambda c: c != minority)


def _all(sizes):
    return _up_to_largest(sizes, lambda c: True)


STRATEGIES: dict[str, Callable[[Mapping[Any, int]], dict[Any, int]]] = {
    "auto": _not_majority,  # every class up to the largest (the notebook)
    "not majority": _not_majority,
    "minority": _minority_only,
    "not minority": _not_minority,
    "all": _all,
}

_EXPECTED = f"one of {sorted(STRATEGIES)}, a float in (0, 1], a dict {{class: size}} or a callable"


def check_sampling_strategy(strategy: Any, class_sizes: Mapping[Any, int]) -> dict[Any, int]:
    """Turn ``sampling_strategy`` into the number of rows to add per class.

    Parameters
    ----------
    strategy : str, float, dict or callable
        ``"auto"`` / ``"not majority"``: every class but the largest up to the largest's size;
        ``"minority"``: the smallest class only; ``"not minority"``: every class but the smallest;
        ``"all"``: every class. A float ``f`` in (0, 1]: every class up to ``ceil(f * largest)``.
        A dict ``{class: target size}``: those classes up to those sizes. A callable gets the
        labels (one per sentence) and returns such a dict.
    class_sizes : {class: number of sentences}

    Returns
    -------
    {class: rows to add} for every class (0 where none are needed).
    """
    if not class_sizes:
        raise LicGpuError("no class has any sentence; nothing to augment")
    if callable(strategy) and not isinstance(strategy, Mapping):
        labels = np.repeat(np.array(list(class_sizes), dtype=object), list(class_sizes.values()))
        try:
            targets = strategy(labels)
        except LicGpuError:
            raise
        except Exception as err:
            raise LicGpuError(
                f"sampling_strategy callable {getattr(strategy, '__name__', strategy)!r} failed: "
                f"{type(err).__name__}: {err}"
            ) from None
        if not isinstance(targets, Mapping):
            raise LicGpuError(f"sampling_strategy callable must return a dict {{class: size}}; got {targets!r}")
        return _from_dict(targets, class_sizes)
    if isinstance(strategy, str):
        if strategy not in STRATEGIES:
            raise LicGpuError(f"sampling_strategy must be {_EXPECTED}; got {strategy!r}")
        return STRATEGIES[strategy](class_sizes)
    if isinstance(strategy, Mapping):
        return _from_dict(strategy, class_sizes)
    if isinstance(strategy, (float, int, np.floating, np.integer)) and not isinstance(strategy, bool):
        if not 0 < float(strategy) <= 1:
            raise LicGpuError(f"sampling_strategy as a number must be in (0, 1]; got {strategy!r}")
        target = math.ceil(float(strategy) * max(class_sizes.values()))
        return {c: max(0, target - n) for c, n in class_sizes.items()}
    raise LicGpuError(f"sampling_strategy must be {_EXPECTED}; got {strategy!r}")


def _from_dict(strategy: Mapping[Any, Any], class_sizes: Mapping[Any, int]) -> dict[Any, int]:
    out = {c: 0 for c in class_sizes}
    lookup = {str(c): c for c in class_sizes}
    for key, target in strategy.items():
        cls = key if key in class_sizes else lookup.get(str(key))
        if cls is None:
            raise LicGpuError(
                f"sampling_strategy names class {key!r}, which has no sentence; classes are "
                f"{sorted(plain_label(c) for c in class_sizes)}"
            )
        if not isinstance(target, (int, np.integer)) or isinstance(target, bool) or target < class_sizes[cls]:
            raise LicGpuError(
                f"sampling_strategy[{key!r}] must be an integer >= the class's current size "
                f"{class_sizes[cls]}; got {target!r}"
            )
        out[cls] = int(target) - class_sizes[cls]
    return out


def check_strategy_shape(value: Any) -> None:
    """``augment.sampling_strategy`` before the classes are known: 'auto', a number in (0, 1] or a
    mapping of class to an integer size (checked against the classes once the data is read)."""
    if (isinstance(value, str) and value in STRATEGIES) or callable(value):
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 0 < float(value) <= 1 or math.isnan(value):
            raise LicGpuError(f"augment.sampling_strategy as a number must be in (0, 1]; got {value!r}")
        return
    if isinstance(value, Mapping) and value:
        for key, size in value.items():
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise LicGpuError(
                    f"augment.sampling_strategy[{key!r}] must be a class size (an integer >= 0); got {size!r}"
                )
        return
    raise LicGpuError(
        f"augment.sampling_strategy must be one of {list(STRATEGIES)}, a number in (0, 1] or "
        f"{{class: size}}; got {value!r}"
    )
