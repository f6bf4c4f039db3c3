"""Which rows are augmented: the split column and the splits whose rows are LIC input and sources."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from lic_gpu.errors import LicGpuError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceRows:
    """Which rows may be LIC input and sources for new rows.

    Attributes
    ----------
    column : the split column, or None when the data has none (then every row may be a source)
    augment : the split values whose rows are augmented
    mask : bool array, one per row (None when there is no split column)
    rows_per_split : ``{split value: rows}``
    """

    column: str | None
    augment: tuple[str, ...]
    mask: np.ndarray | None
    rows_per_split: dict[str, int]

    def as_dict(self) -> dict:
        return {
            "column": self.column,
            "augmented": list(self.augment) if self.column else None,
            "rows_per_split": self.rows_per_split,
            "source_rows": int(self.mask.sum()) if self.mask is not None else None,
        }


def split_column_of(frame: pd.DataFrame, split_column: str | None = "auto") -> str | None:
    """The split column ``data.split_column`` names: ``auto`` = the column named ``split`` when there is one,
    ``None``/``"none"`` = none, else the name given (whether the frame has it is the caller's to check)."""
    if split_column is None or split_column == "none":
        return None
    if split_column == "auto":
        return "split" if "split" in frame.columns else None
    return split_column


def source_rows(
    frame: pd.DataFrame,
    split_column: str | None = "auto",
    augment_splits: str | Sequence[str] = ("train",),
    source: str = "the data",
) -> SourceRows:
    """Rows of the splits to augment (``data.split_column``, ``data.augment_splits``).

    ``split_column``: ``auto`` = the column named ``split`` when there is one; ``None`` = no split
    (every row is augmented); or a column name. Rows of the other splits (dev, test, a blank split)
    keep their classes in the outputs but are never LIC input nor sources, so nothing of a test
    sentence reaches the training rows.
    """
    if split_column is not None and (not isinstance(split_column, str) or not split_column):
        raise LicGpuError(f"data.split_column must be 'auto', a column name or null; got {split_column!r}")
    split_column = split_column_of(frame, split_column)
    if split_column is None:
        return SourceRows(None, (), None, {})
    if split_column not in frame.columns:
        raise LicGpuError(
            f"data.split_column={split_column!r} is not a column of {source}; columns present: "
            f"{list(frame.columns)} (null = no split)"
        )
    wanted = (augment_splits,) if isinstance(augment_splits, str) else tuple(augment_splits or ())
    if not wanted or not all(isinstance(v, str) and v for v in wanted):
        raise LicGpuError(
            f"data.augment_splits must be a non-empty list of split names, e.g. [train]; got {augment_splits!r}"
        )
    values = frame[split_column].astype(object).where(frame[split_column].notna(), "").map(str).str.strip()
    counts = {str(k): int(v) for k, v in values.value_counts(sort=False).sort_index().items()}
    mask = values.isin(wanted).to_numpy()
    if not mask.any():
        raise LicGpuError(
            f"data.augment_splits={list(wanted)} matches no row of column {split_column!r} of "
            f"{source} (values: {sorted(counts)}); set data.augment_splits=[...] to one of them"
        )
    missing = [v for v in wanted if v not in counts]
    if missing:
        log.warning("data.augment_splits: no row of %s has split %s", source, missing)
    folded = {" ".join(v.casefold().split()) for v in wanted}
    near = sorted(v for v in counts if v not in wanted and " ".join(v.casefold().split()) in folded)
    if near:
        log.warning(
            "column %r of %s has split value(s) %s that differ from data.augment_splits=%s only in case or "
            "spacing; their %d row(s) are not augmented (add them to data.augment_splits if they are training rows)",
            split_column,
            source,
            near,
            list(wanted),
            sum(counts[v] for v in near),
        )
    return SourceRows(split_column, wanted, mask, counts)
