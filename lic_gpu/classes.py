"""Ratings into classes (binning), and the sentences of each class as the notebook's word dict.

Every problem a user can cause ends in a :class:`~lic_gpu.errors.LicGpuError` naming the column or value.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from lic_gpu.io.data import MISSING_MARKERS
from lic_gpu.errors import LicGpuError
from lic_gpu.text import Tokenised

log = logging.getLogger(__name__)


def plain_label(value: Any) -> Any:
    """A class label as messages show it: a numpy scalar as the Python value it holds (``4``, not ``np.int64(4)``)."""
    return value.item() if isinstance(value, np.generic) else value


# Inputs of at least this many rows get progress output (a bar while tokenising; the stages log)
_PROGRESS_ROWS = 100_000


BINNINGS = ("auto", "integer", "round_half_up")


def check_binning(binning: str | Sequence[float]) -> str | list[float]:
    """Validate ``data.binning``: a name in BINNINGS or increasing bin edges."""
    if isinstance(binning, str):
        if binning not in BINNINGS:
            raise LicGpuError(f"binning must be one of {list(BINNINGS)} or a list of bin edges; got {binning!r}")
        return binning
    try:
        edges = [float(e) for e in binning]
    except (TypeError, ValueError):
        raise LicGpuError(f"binning edges must be numbers; got {binning!r}") from None
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise LicGpuError(f"binning edges must be at least two increasing numbers; got {binning!r}")
    return edges


def round_half_up(values: pd.Series) -> pd.Series:
    """``floor(x + 0.5)``: 2.5 -> 3, 3.5 -> 4 (``numpy.round`` would give 2 and 4)."""
    return np.floor(values + 0.5)


@dataclass(frozen=True)
class ClassLabels:
    """Class label per row and how it was made.

    ``labels`` is nullable Int64 for numeric ratings (NA where missing) and object (strings, NA where
    missing) for category names; ``kind`` is ``ordinal`` or ``categorical``: only ordinal classes are
    ordered levels (the rating-lean guard, caps and MAE need that).
    """

    labels: pd.Series
    n_missing: int
    binning: str
    kind: str = "ordinal"


def _number(x) -> str:
    """A rating as a reader writes it: ``99``, ``2.5`` (not numpy's ``np.float64(99.0)``)."""
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)


def class_labels(
    values: pd.Series,
    column: str,
    binning: str | Sequence[float] = "auto",
    kind: str = "ordinal",
    source: str | None = None,
) -> ClassLabels:
    """Turn one emotion's ratings (or category names) into classes.

    ``auto``: the ratings as-is when every one is integral, else rounded half up; ``integer``:
    as-is, an error for a fractional rating; ``round_half_up``; or a list of edges ``[e0, e1, ...]``
    giving classes 1, 2, ... for ``[e0, e1), [e1, e2), ... [e_{n-1}, e_n]``. With
    ``kind="categorical"`` a column of names keeps its (stripped) names as classes, and a numeric
    column is binned as above but its classes are not treated as ordered. ``source``: the file the
    column comes from, named in the errors.
    """
    where = f"{source}: " if source else ""
    if kind not in ("ordinal", "categorical"):
        raise LicGpuError(f"label kind must be 'ordinal' or 'categorical'; got {kind!r}")
    if kind == "categorical" and not pd.api.types.is_numeric_dtype(values.dtype):
        text = values.astype(object).where(values.notna(), "").map(str).str.strip()
        present = ~text.str.lower().isin(MISSING_MARKERS)
        if not present.any():
            raise LicGpuError(f"{where}every label of {column!r} is missing; nothing to group into classes")
        labels = text.astype(object).where(present, pd.NA)
        return ClassLabels(labels, int((~present).sum()), "categorical", "categorical")
    binning = check_binning(binning)
    vals = values.astype(float)
    present = vals.notna()
    n_missing = int((~present).sum())
    if not present.any():
        raise LicGpuError(f"{where}every rating of {column!r} is missing; nothing to group into classes")
    x = vals[present]
    integral = bool((x == np.floor(x)).all())
    if binning == "integer" and not integral:
        bad = x[x != np.floor(x)].iloc[0]
        raise LicGpuError(
            f"{where}column {column!r} has a fractional rating {_number(bad)}; use data.binning=round_half_up "
            "or bin edges"
        )
    if isinstance(binning, list):
        edges = np.asarray(binning)
        out_of_range = (x < edges[0]) | (x > edges[-1])
        if out_of_range.any():
            raise LicGpuError(
                f"{where}column {column!r}: rating {_number(x[out_of_range].iloc[0])} is outside the bin edges "
                f"[{_number(edges[0])}, {_number(edges[-1])}]"
            )
        lab = np.clip(np.searchsorted(edges, x.to_numpy(), side="right"), 1, len(edges) - 1)
        used = "edges"
    elif binning == "round_half_up" or (binning == "auto" and not integral):
        lab = round_half_up(x).to_numpy()
        used = "round_half_up"
    else:
        lab = x.to_numpy()
        used = "integer"
    labels = pd.Series(pd.NA, index=values.index, dtype="Int64")
    labels[present] = lab.astype(np.int64)
    return ClassLabels(labels, n_missing, used, kind)


def tokenise_all(texts: Sequence[str], tokenise) -> list:
    """Tokenise every sentence once (shared by all emotions), with a progress bar on large inputs."""
    from tqdm.auto import tqdm

    if len(texts) >= _PROGRESS_ROWS:
        log.info("tokenising %d sentences", len(texts))
    return [
        tokenise(t)
        for t in tqdm(
            texts,
            desc="tokenising",
            unit=" sentences",
            leave=False,
            disable=len(texts) < _PROGRESS_ROWS,
            mininterval=1.0,
        )
    ]


def build_word_dict(tokenised: Sequence[Tokenised], labels: pd.Series) -> dict[Any, list[tuple[list[str], int]]]:
    """The notebook's ``word_dict``: class -> ``[(tokens, row_id), ...]``, classes sorted, rows in order.

    Rows whose label is missing are left out. Numeric labels become ``int`` keys; category names
    stay strings.
    """
    out: dict[Any, list[tuple[list[str], int]]] = {}
    if not pd.api.types.is_numeric_dtype(labels.dtype):
        for row, cls in enumerate(labels.tolist()):
            if cls is pd.NA or cls is None or (isinstance(cls, float) and math.isnan(cls)):
                continue
            out.setdefault(str(cls), []).append((list(tokenised[row].tokens), row))
        return dict(sorted(out.items()))
    lab = labels.to_numpy(dtype=float, na_value=np.nan)
    for row, cls in enumerate(lab):
        if math.isnan(cls):
            continue
        out.setdefault(int(cls), []).append((list(tokenised[row].tokens), row))
    return dict(sorted(out.items()))
