"""A table's cells as lic_gpu reads them: required columns (with a delimiter hint), ratings from text,
which columns are numeric. Shared by every input layout (:mod:`lic_gpu.io.data`) and the Python API."""

from __future__ import annotations

import difflib
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
            # quoted for Hydra and, around it, for the shell (data.sep=';' reached Hydra as data.sep=; : trial 8)
            return f' (one column: is the file delimited by {said}? set "data.sep={override}")'
    return ""


_DECIMAL_COMMA = re.compile(r"[+-]?\d+(,\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+")


def decimal_commas(text: pd.Series, present: pd.Series) -> pd.Series | None:
    """``text`` with decimal commas made points when every present value is a number written with one
    (``4,5``, ``5,0``; a semicolon-separated file from a European spreadsheet) and at least one has it;
    else None. Values that all read as thousands (``1,000``) are left alone. Trial 8: such ratings
    became category labels ``'1,0' ... '7,0'`` silently."""
    values = text[present]
    if values.empty or not values.str.contains(",", regex=False).any():
        return None
    if not values.str.fullmatch(_DECIMAL_COMMA).all():
        return None
    with_comma = values[values.str.contains(",", regex=False)]
    if with_comma.str.fullmatch(_THOUSANDS).all():
        return None
    return text.str.replace(",", ".", regex=False)


def to_ratings(values: pd.Series, column: str, path: str) -> pd.Series:
    """Strings -> float ratings; missing markers become NaN; anything else non-numeric is an error.
    Decimal commas (``4,5``) are read as decimal points when every value is written so (one INFO line)."""
    text = values.astype(str).str.strip()
    missing = text.str.lower().isin(MISSING_MARKERS)
    pointed = decimal_commas(text, ~missing)
    if pointed is not None:
        i = int(np.flatnonzero(text.str.contains(",", regex=False).to_numpy())[0])
        log.info(
            "%s: column %r written with decimal commas, read as decimal points (%r -> %s)",
            path,
            column,
            text.iloc[i],
            pointed.iloc[i],
        )
        text = pointed
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
        pointed = decimal_commas(text, present)
        text = pointed if pointed is not None else text
        if present.any() and pd.to_numeric(text[present], errors="coerce").notna().all():
            out.append(c)
    return out


# Names (every word of a column's name one of these, or "id") of who spoke or wrote a row: the evaluation keeps
# their rows on one side of a split and the report counts rows per subject (trial 7: a `speaker` column was not
# found and every sentence was its own group; trial 8: no rows-per-subject table for `participant`).
SPEAKER_WORDS = frozenset(
    "sub subj subject speaker spk participant pid author user writer respondent person talker".split()
)


def speaker_column(frame: pd.DataFrame) -> str | None:
    """The first column named for who spoke or wrote (``sub``, ``speaker``, ``participant_id`` ...) with two or
    more values and a repeat; None when there is none."""
    for c in frame.columns:
        if id_like(c, SPEAKER_WORDS | {"id"}) and str(c).strip().lower() != "id":
            values = frame[c].astype(str)
            if 2 <= values.nunique() < len(values):
                return str(c)
    return None


CONTAINERS = (list, tuple, set, dict, np.ndarray)


def refuse_containers(
    values: pd.Series, column: str, what: str, where: str, expected: str = "a string", fix: str = ""
) -> None:
    """Refuse lists (tokens, a Parquet or JSON list column) in a column: written out they became numpy's printout,
    ``"['WHY' 'is' ...\\n 'absurd']"`` (trial 10). ``what`` opens the message, ``where`` names the row (``"data row
    {i}"``, 1-based, or ``"row {i}"``), ``fix`` ends it (default: join the tokens). Only object columns are looked at,
    and every value only when one of the first 1 000 is not a string."""
    if values.dtype != object or all(isinstance(v, str) for v in values.head(1000).tolist()):
        return
    for i, v in enumerate(values.tolist()):
        if isinstance(v, CONTAINERS):
            row = where.format(i=i + 1 if where.startswith("data row") else i)
            kind = "a mapping" if isinstance(v, dict) else "a list"
            fix = fix or f"join the tokens into one text first, e.g. df[{column!r}] = df[{column!r}].str.join(' ')"
            raise LicGpuError(f"{what} {column!r} holds {kind}, not {expected}, at {row} ({str(list(v))[:60]}); {fix}")


def mostly_numbers(values: pd.Series) -> bool:
    """Whether most of a column's non-blank values read as numbers (an annotator's ratings, not labels)."""
    present = values.dropna().astype(str).str.strip()
    present = present[present != ""]
    return bool(len(present)) and float(pd.to_numeric(present, errors="coerce").notna().mean()) >= 0.9


def closest_columns(name: str, ratings: list, others: list) -> list:
    """Columns a mistyped emotion most likely means, rating columns first: those the name begins (``arousal`` ->
    ``arousal_mean``, ``arousal_r1``), else the closest spellings (at most three)."""
    key = str(name).casefold()
    starts = [c for c in [*ratings, *others] if str(c).casefold().startswith(key) and str(c).casefold() != key]
    if starts:
        return starts[:3]
    rating_close = difflib.get_close_matches(str(name), [str(c) for c in ratings], n=1)
    return rating_close or difflib.get_close_matches(str(name), [str(c) for c in others], n=1)
