"""A table's cells as lic_gpu reads them: required columns (with a delimiter hint), ratings from text,
which columns are numeric. Shared by every input layout (:mod:`lic_gpu.io.data`) and the Python API."""

from __future__ import annotations

import logging
import re
from typing import Iterable

import numpy as np
import pandas as pd

from lic_gpu.errors import LicGpuError

log = logging.getLogger(__name__)

# What counts as a missing rating (texts are never turned into NaN).
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "#n/a"})
# Ratings beyond this are typing errors (and would not fit the integer classes exactly).
MAX_RATING = 1e15


def require_columns(df: pd.DataFrame, columns: Iterable[str], path: str, role: str) -> None:
    """One-line error listing what exists when a needed column is missing."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise LicGpuError(
            f"{path}: missing {role} column(s) {missing}; columns present: {list(df.columns)}{_sep_hint(df)}"
        )


def _sep_hint(df: pd.DataFrame) -> str:
    """A hint when the file was split at the wrong delimiter: one column whose name holds ``;``, a tab or ``|``."""
    if len(df.columns) != 1:
        return ""
    name = str(df.columns[0])
    for sep, said in ((";", "';'"), ("\t", "tabs"), ("|", "'|'")):
        if sep in name:
            override = "'\\t'" if sep == "\t" else repr(sep)
            return f" (one column: is the file delimited by {said}? set data.sep={override})"
    return ""


def to_ratings(values: pd.Series, column: str, path: str) -> pd.Series:
    """Strings -> float ratings; missing markers become NaN; anything else non-numeric is an error."""
    text = values.astype(str).str.strip()
    missing = text.str.lower().isin(MISSING_MARKERS)
    nums = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = nums.isna() & ~missing
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise LicGpuError(
            f"{path}: column {column!r} has a value that is not a number: {text.iloc[i]!r} "
            f"(data row {i + 1}); ratings must be numbers or blank (for category labels such as "
            "joy/anger set data.label_kind=categorical)"
        )
    too_big = ~(nums.abs() <= MAX_RATING) & nums.notna()
    if too_big.any():
        i = int(np.flatnonzero(too_big.to_numpy())[0])
        raise LicGpuError(
            f"{path}: column {column!r} has a value too large for a rating: {text.iloc[i]!r} "
            f"(data row {i + 1}); ratings must lie within +-{MAX_RATING:.0e}"
        )
    return nums.astype(float)


# A column whose name is made of these words (and numbers) names a row or a speaker, not a rating: trial 7's
# ``session`` and ``seg_no`` were taken as ratings (panels in the figure, ids copied into every new row).
IDENTIFYING_WORDS = frozenset(
    "id ids idx index key uid uuid no nr num number seg segment session sess turn utt utterance episode ep trial "
    "item row line speaker spk participant subject sub subj pid sid conversation conv dialog dialogue clip "
    "recording file doc document post tweet".split()
)
# ... and these a position in time or a fold: not ratings, not identifiers either
POSITION_WORDS = frozenset("start end onset offset time timestamp duration fold split group batch block".split())


def _name_words(name: object) -> list[str]:
    """``seg_no`` -> [seg, no]; ``speakerID`` -> [speaker, id]."""
    return [w for w in re.split(r"[^0-9a-z]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", str(name)).lower()) if w]


def id_like(name: object, words: frozenset[str] = IDENTIFYING_WORDS | POSITION_WORDS) -> bool:
    """Whether a column's name reads as an identifier or a position (every word of it one of ``words`` or a number)."""
    parts = _name_words(name)
    return bool(parts) and all(w in words or w.isdigit() for w in parts) and not all(w.isdigit() for w in parts)


def rating_columns_of(df: pd.DataFrame, exclude: Iterable[str], source: str) -> list[str]:
    """The numeric columns (:func:`_numeric_columns`) but those whose names read as ids or positions
    (:func:`id_like`), which are named in one line: list them as rating columns to rate them."""
    numeric = _numeric_columns(df, exclude)
    named = [c for c in numeric if id_like(c)]
    if named and len(named) < len(numeric):
        log.info(
            "%s: not taken as ratings, their names read as ids or positions: %s (list them as rating columns, "
            "data.rating_columns=[...], to rate them)",
            source,
            ", ".join(map(repr, named)),
        )
        return [c for c in numeric if c not in named]
    return numeric


def _numeric_columns(df: pd.DataFrame, exclude: Iterable[str]) -> list[str]:
    """Columns whose every non-missing value parses as a number (and that have at least one)."""
    out = []
    skip = set(exclude)
    for c in df.columns:
        if c in skip:
            continue
        text = df[c].astype(str).str.strip()
        present = ~text.str.lower().isin(MISSING_MARKERS)
        if present.any() and pd.to_numeric(text[present], errors="coerce").notna().all():
            out.append(c)
    return out
