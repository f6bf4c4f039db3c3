"""Read the user's table(s) into one frame, one row per sentence (:class:`Corpus`).

Reading one table file is :mod:`lic_gpu.io.tables`; classes (binning, the word dict) are :mod:`lic_gpu.classes`; which rows are augmented, :mod:`lic_gpu.io.splits`.

Inputs are only read, never written. Every problem a user can cause ends in a
:class:`~lic_gpu.errors.LicGpuError` whose one line names the file, column or value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from lic_gpu.errors import LicGpuError

# reading one table file (bounded, checked) lives in lic_gpu.io.tables, its cells in lic_gpu.io.cells; these
# names are read from here too
from lic_gpu.io.cells import (  # noqa: F401
    MAX_RATING,
    MISSING_MARKERS,
    _numeric_columns,
    closest_columns,
    id_like,
    mostly_numbers,
    rating_columns_of,
    require_columns,
    to_ratings,
)
from lic_gpu.io.tables import frame_as_strings, input_limits, read_table, read_table_snapshot, table_format  # noqa: F401

log = logging.getLogger(__name__)

SEED_ID_COLUMNS = ("sub", "episode", "segment")
EMOBANK_RENAME = {"V": "valence", "A": "arousal", "D": "dominance"}
# Columns of a ratings file that hold numbers but are not ratings (the notebook's data had these).
DEFAULT_NON_RATING = ("start", "end", "ep_inds", "id", "split")
# Columns a run adds to its outputs; an output fed back in keeps them as previous_<name>.
PROVENANCE_COLUMNS = ("is_augmented", "row_id", "source_row", "augmented_for", "swaps", "fluency")


@dataclass(frozen=True)
class Corpus:
    """One row per sentence, in input order; ``frame.index`` is the 0-based ``row_id``.

    Attributes
    ----------
    frame : DataFrame with the id columns, the text column, every other input column; rating
        columns are numeric (NaN where missing), the rest are kept as read (strings).
    text_column, id_columns, rating_columns : the roles of the columns
    source : a description of where the rows came from (for the run summary)
    """

    frame: pd.DataFrame
    text_column: str
    id_columns: tuple[str, ...]
    rating_columns: tuple[str, ...]
    source: str
    files: tuple[str, ...] = field(default=())
    # {file: SHA-256 of the bytes that were parsed} (read_table_snapshot), for summary.json
    checksums: Mapping[str, str] = field(default_factory=dict)
    # the notebook's layout: the ratings file, and each row's data row in it (0-based, -1: no ratings row),
    # so a bad rating is named at its own file and row
    ratings_file: str | None = None
    ratings_rows: np.ndarray | None = None

    @property
    def texts(self) -> list[str]:
        return self.frame[self.text_column].tolist()

    def rating_at(self, i: int) -> str:
        """Where row ``i``'s ratings were read, for a message: ``data row 12 of FILE``."""
        if self.ratings_file is not None and self.ratings_rows is not None and self.ratings_rows[i] >= 0:
            return f"data row {int(self.ratings_rows[i]) + 1} of {self.ratings_file}"
        return f"data row {i + 1} of {self.source}"

    def require_emotions(self, emotions: Iterable[str], label_kind: str = "ordinal") -> dict[str, str]:
        """Each emotion's label kind (``ordinal`` or ``categorical``); a one-line error for an emotion
        that is not a label column or has no label.

        ``label_kind`` (``data.label_kind``): ``ordinal`` needs numeric ratings; ``categorical`` takes
        any column's values as classes; ``auto`` takes rating columns as ordinal and a column whose
        every value is a non-number (``joy``, ``anger`` ...) as categorical.
        """
        label_kind = check_label_kind(label_kind)
        if len(self.frame) == 0:
            raise LicGpuError(f"{self.source}: no data rows (only a header line); nothing to augment")
        kinds: dict[str, str] = {}
        for emo in emotions:
            if emo in self.rating_columns:
                if self.frame[emo].isna().all():
                    with_values = [c for c in self.rating_columns if self.frame[c].notna().any()]
                    raise LicGpuError(
                        f"{self.source}: every rating in column {emo!r} is missing (blank or NA); fill it in "
                        f"or choose another emotion (rating columns with values: {with_values})"
                    )
                kinds[emo] = "categorical" if label_kind == "categorical" else "ordinal"
                continue
            if emo in self.frame.columns and emo not in (self.text_column, *self.id_columns):
                # The column exists but was not taken as ratings: a category column, or say why not.
                values = self.frame[emo].astype(str).str.strip()
                present = ~values.str.lower().isin(MISSING_MARKERS)
                if not present.any():
                    raise LicGpuError(
                        f"{self.source}: every rating in column {emo!r} is missing (blank or NA); fill it in "
                        f"or choose another emotion (rating columns: {list(self.rating_columns)})"
                    )
                numbers = pd.to_numeric(values[present], errors="coerce")
                if (
                    label_kind == "auto"
                    and numbers.isna().all()
                    and present.sum() >= 2
                    and (values[present].nunique() == present.sum())
                ):
                    # every row its own class: an id column (EmoBank's id), nothing to balance
                    raise LicGpuError(
                        f"column {emo!r} of {self.source} has a different value in every row (an id, not a "
                        f"label; e.g. {values[present].iloc[0]!r}); set emotion= a rating column "
                        f"{list(self.rating_columns)} or a column of category names, or "
                        "data.label_kind=categorical to take it as classes anyway"
                    )
                if label_kind == "categorical" or (label_kind == "auto" and numbers.isna().all()):
                    kinds[emo] = "categorical"
                    continue
                if numbers.notna().any() and numbers.isna().sum() > numbers.notna().sum():  # mostly names
                    i = int(np.flatnonzero(present.to_numpy())[int(np.flatnonzero(numbers.notna().to_numpy())[0])])
                    raise LicGpuError(
                        f"{self.source}: column {emo!r} holds category names (e.g. {values[present].iloc[0]!r}) and "
                        f"{int(numbers.notna().sum())} number(s) (e.g. {values.iloc[i]!r}, data row {i + 1}); make "
                        "them names, or set data.label_kind=categorical to take every value, numbers too, as a class"
                    )
                self._check_numbers(emo)  # raises, naming the first non-number
                raise LicGpuError(
                    f"column {emo!r} of {self.source} is numeric but listed as not a rating "
                    f"(data.non_rating_columns); set data.rating_columns=[{emo}] to use it"
                )
            other = [
                c
                for c in self.frame.columns
                if c not in (self.text_column, *self.id_columns, *self.rating_columns)
                and c not in PROVENANCE_COLUMNS
                and not id_like(c)  # post_id, participant: not category labels (trial 8)
            ]
            numeric = [c for c in other if mostly_numbers(self.frame[c])]
            labels = [c for c in other if c not in numeric]
            close = closest_columns(emo, list(self.rating_columns), numeric + labels)
            raise LicGpuError(
                f"emotion {emo!r} is not a rating column of {self.source}"
                + (f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else "")
                + f"; rating columns are {list(self.rating_columns)}"
                + (f", numeric columns not taken as ratings {numeric[:8]} (data.rating_columns)" if numeric else "")
                + (f", other columns (category labels?) {labels[:8]}" if labels else "")
                + ": set emotion= one of them"
            )
        return kinds

    def _check_numbers(self, column: str) -> None:
        """:func:`to_ratings` on ``column``, in the ratings file's own rows where the rows came from one."""
        if self.ratings_file is None or self.ratings_rows is None or not len(self.ratings_rows):
            to_ratings(self.frame[column], column, self.source)
            return
        _check_in_file_rows(self.frame[column], column, self.ratings_file, self.ratings_rows)


def _check_in_file_rows(values: pd.Series, column: str, ratings_file: str, ratings_rows: np.ndarray) -> None:
    """:func:`to_ratings` on ``values`` put back at their rows of the ratings file (``ratings_rows``; rows no
    sentence has are blank), so a bad value is named at that file's own data row."""
    matched = ratings_rows >= 0
    in_file = np.full(int(ratings_rows.max()) + 1, "", dtype=object)
    in_file[ratings_rows[matched]] = values.to_numpy()[matched]
    to_ratings(pd.Series(in_file), column, ratings_file)


LABEL_KINDS = ("auto", "ordinal", "categorical")


def check_label_kind(value: str) -> str:
    """Validate ``data.label_kind``."""
    if value not in LABEL_KINDS:
        raise LicGpuError(f"data.label_kind must be one of {list(LABEL_KINDS)}; got {value!r}")
    return value


def _finish(
    df: pd.DataFrame,
    path: str,
    text_column: str,
    id_columns: Sequence[str],
    rating_columns: Sequence[str] | None,
    non_rating: Sequence[str],
    source: str,
    files: tuple[str, ...],
    checksums: Mapping[str, str] | None = None,
    ratings_rows: np.ndarray | None = None,
) -> Corpus:
    df, renamed = _set_aside_provenance(df, path)
    text_column = renamed.get(text_column, text_column)
    id_columns = [renamed.get(c, c) for c in id_columns]
    if rating_columns is None:
        rating_columns = rating_columns_of(df, [*id_columns, text_column, *non_rating, *renamed.values()], source)
    else:
        rating_columns = [renamed.get(c, c) for c in rating_columns]
        require_columns(df, rating_columns, path, "rating")
        if text_column in rating_columns:
            raise LicGpuError(
                f"{path}: column {text_column!r} is both the text column (data.text_column) "
                "and a rating column (data.rating_columns); the text column holds the sentences"
            )
    _check_text_column(df, text_column, path)
    empty = df[text_column].isna().to_numpy() | (df[text_column].astype(str).str.strip() == "").to_numpy()
    if empty.any():
        log.warning(
            "%s: %d row(s) have an empty text (e.g. data row %d); they are kept as they are, never a source",
            source,
            int(empty.sum()),
            int(np.flatnonzero(empty)[0]) + 1,
        )
    ratings = {c: _ratings_of(df[c], c, path, ratings_rows) for c in rating_columns}
    # one block per dtype: column-by-column assignment fragments a wide (500-column) frame
    df = df.assign(**ratings).reset_index(drop=True) if ratings else df.reset_index(drop=True)
    return Corpus(
        df,
        text_column,
        tuple(id_columns),
        tuple(rating_columns),
        source,
        files,
        dict(checksums or {}),
        ratings_file=None if ratings_rows is None else path,
        ratings_rows=ratings_rows,
    )


def _ratings_of(values: pd.Series, column: str, path: str, ratings_rows: np.ndarray | None) -> pd.Series:
    """:func:`to_ratings`; a bad value of the notebook's layout is named at the ratings file's own row."""
    try:
        return to_ratings(values, column, path)
    except LicGpuError:
        if ratings_rows is not None and len(ratings_rows):
            _check_in_file_rows(values, column, path, ratings_rows)
        raise


def _set_aside_provenance(df: pd.DataFrame, path: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """An earlier run's output fed back in: its provenance columns become ``previous_<name>`` (kept,
    never ratings) because this run writes its own."""
    present = [c for c in PROVENANCE_COLUMNS if c in df.columns]
    if not present:
        return df, {}
    renamed: dict[str, str] = {}
    for c in present:
        new = f"previous_{c}"
        while new in df.columns or new in renamed.values():
            new = f"previous_{new}"
        renamed[c] = new
    log.warning(
        "%s has the provenance columns of an earlier run (%s); kept as %s and not used as ratings",
        path,
        ", ".join(present),
        ", ".join(renamed.values()),
    )
    return df.rename(columns=renamed), renamed


def _check_text_column(df: pd.DataFrame, text_column: str, path: str) -> None:
    """Refuse a text column that holds only numbers: it is a rating or id column chosen by mistake
    (every sentence would be a number, and no word could be swapped)."""

    def present(values: pd.Series) -> pd.Series:
        text = values.astype(str).str.strip()
        return text[~text.str.lower().isin(MISSING_MARKERS)]

    def is_text(values: pd.Series) -> bool:
        return bool(pd.to_numeric(values, errors="coerce").isna().any())

    # a text cell among the first rows settles it: a million rows need not be parsed
    if is_text(present(df[text_column].head(1000))):
        return
    values = present(df[text_column])
    if len(values) and not is_text(values):
        raise LicGpuError(
            f"{path}: the text column {text_column!r} holds only numbers (e.g. {values.iloc[0]!r}); set "
            f"data.text_column= the column with the sentences; columns present: {list(df.columns)}"
        )


_RATINGS_ROW = "\x00lic_gpu ratings row"  # a column name no file has: each sentence's row in the ratings file


def _refuse_shared_ids(table: pd.DataFrame, id_columns: list[str], path, why: str) -> None:
    dup = table.duplicated(subset=id_columns, keep=False)
    if dup.any():
        ids = table.loc[dup, id_columns].drop_duplicates().head(5)
        shown = ["/".join(map(str, r)) for r in ids.itertuples(index=False)]
        raise LicGpuError(f"{path}: {int(dup.sum())} rows share ids ({'/'.join(id_columns)}), e.g. {shown}; {why}")


def load_seed_csv(
    words_csv: str | Path,
    ratings_csv: str | Path,
    id_columns: Sequence[str] = SEED_ID_COLUMNS,
    text_column: str = "label",
    rating_columns: Sequence[str] | None = None,
    encoding: str = "utf-8",
    ratings_encoding: str | None = None,
    non_rating_columns: Sequence[str] = DEFAULT_NON_RATING,
    sep: str | None = None,
    max_rows: int | None = None,
    max_bytes: int | None = None,
) -> Corpus:
    """The notebook's layout: a sentences CSV and a ratings CSV merged left on the id columns.

    Parameters
    ----------
    words_csv : path with ``id_columns`` + ``text_column``
    ratings_csv : path with ``id_columns`` + one column per emotion
    rating_columns : which columns are ratings; default every numeric column of the ratings
        file except the ids and ``non_rating_columns``
    encoding, ratings_encoding : the files' encodings (ratings default to ``encoding``)
    sep : delimiter of both files when they are CSV/TSV (default by suffix, see :func:`read_table`)
    max_rows, max_bytes : bounds of each file (``data.max_rows``/``data.max_bytes``, see :func:`read_table`)

    Returns
    -------
    Corpus, one row per sentence of ``words_csv`` in its order.
    """
    id_columns = list(id_columns)
    words, words_sha = read_table_snapshot(words_csv, encoding, "sentences", sep, max_rows, max_bytes)
    ratings, ratings_sha = read_table_snapshot(
        ratings_csv, ratings_encoding or encoding, "ratings", sep, max_rows, max_bytes
    )
    require_columns(words, [*id_columns, text_column], str(words_csv), "id/text")
    require_columns(ratings, id_columns, str(ratings_csv), "id")
    _refuse_shared_ids(ratings, id_columns, ratings_csv, "each sentence needs exactly one ratings row")
    _refuse_shared_ids(
        words, id_columns, words_csv, "each sentence needs ids of its own (one ratings row is merged onto each id)"
    )
    if rating_columns is None:
        rating_columns = rating_columns_of(ratings, [*id_columns, *non_rating_columns], str(ratings_csv))
    else:
        require_columns(ratings, rating_columns, str(ratings_csv), "rating")
    clash = [c for c in ratings.columns if c in words.columns and c not in id_columns]
    ratings = ratings.drop(columns=[c for c in clash if c not in rating_columns])
    words = words.drop(columns=[c for c in clash if c in rating_columns])
    ratings = ratings.assign(**{_RATINGS_ROW: np.arange(len(ratings))})
    merged = words.merge(ratings, on=id_columns, how="left", sort=False, indicator=True)
    ratings_rows = merged.pop(_RATINGS_ROW).fillna(-1).to_numpy(dtype=np.int64)
    merged_state = merged.pop("_merge")
    unmatched = int((merged_state == "left_only").sum())
    if unmatched == len(merged) and len(merged):
        raise LicGpuError(
            f"no sentence of {words_csv} has a ratings row in {ratings_csv} (ids {id_columns}); "
            "check that the id columns hold the same values in both files"
        )
    if unmatched:
        # a left merge on unique ids keeps the sentences' rows and order: merged row i is data row i + 1
        i = int(np.flatnonzero((merged_state == "left_only").to_numpy())[0])
        log.warning(
            "%d sentence(s) of %s have no ratings row in %s (e.g. ids %s, data row %d); their ratings are missing",
            unmatched,
            words_csv,
            Path(ratings_csv).name,
            "/".join(map(str, words.iloc[i][id_columns])),
            i + 1,
        )
    for c in ratings.columns:
        if c not in id_columns and c in merged:
            merged[c] = merged[c].fillna("")
    src = f"{Path(words_csv).name} + {Path(ratings_csv).name}"
    return _finish(
        merged,
        str(ratings_csv),
        text_column,
        id_columns,
        rating_columns,
        non_rating_columns,
        src,
        (str(words_csv), str(ratings_csv)),
        {str(words_csv): words_sha, str(ratings_csv): ratings_sha},
        ratings_rows,
    )


def load_csv(
    path: str | Path,
    text_column: str = "text",
    rating_columns: Sequence[str] | None = None,
    id_columns: Sequence[str] = (),
    encoding: str = "utf-8",
    rename: Mapping[str, str] | None = None,
    non_rating_columns: Sequence[str] = DEFAULT_NON_RATING,
    sep: str | None = None,
    max_rows: int | None = None,
    max_bytes: int | None = None,
) -> Corpus:
    """One table (CSV, TSV, parquet or JSON lines) with a text column and rating columns
    (``rename`` maps input -> used names; ``max_rows``/``max_bytes`` bound it, see :func:`read_table`)."""
    df, digest = read_table_snapshot(path, encoding, "data", sep, max_rows, max_bytes)
    if rename:
        df = df.rename(columns=check_rename(rename, list(df.columns), path))
    require_columns(df, [text_column, *id_columns], str(path), "text/id")
    return _finish(
        df,
        str(path),
        text_column,
        id_columns,
        rating_columns,
        non_rating_columns,
        Path(path).name,
        (str(path),),
        {str(path): digest},
    )


def check_rename(rename: Mapping[str, str], columns: Sequence[str], path: str | Path) -> dict[str, str]:
    """Validate ``data.rename`` against the file's columns: every renamed column exists and no two
    columns end up with the same name."""
    if not isinstance(rename, Mapping):
        raise LicGpuError(f"data.rename must map column names to new names; got {rename!r}")
    rename = {str(k): str(v) for k, v in rename.items()}
    missing = [k for k in rename if k not in columns]
    if missing:
        raise LicGpuError(
            f"data.rename names column(s) {missing} that {path} does not have; columns present: {list(columns)}"
        )
    after = [rename.get(c, c) for c in columns]
    clash = sorted({c for c in after if after.count(c) > 1})
    if clash:
        raise LicGpuError(
            f"data.rename gives two columns of {path} the name {clash[0]!r}; rename into a name no other column has"
        )
    return rename


def load_emobank(
    path: str | Path,
    encoding: str = "utf-8",
    sep: str | None = None,
    max_rows: int | None = None,
    max_bytes: int | None = None,
) -> Corpus:
    """EmoBank's ``emobank.csv`` (``id, split, V, A, D, text``; V/A/D -> valence/arousal/dominance)."""
    return load_csv(
        path,
        text_column="text",
        rating_columns=list(EMOBANK_RENAME.values()),
        id_columns=["id"],
        encoding=encoding,
        rename=EMOBANK_RENAME,
        sep=sep,
        max_rows=max_rows,
        max_bytes=max_bytes,
    )


def demo_paths() -> tuple[Path, Path]:
    """The packaged demo corpus (sentences CSV, ratings CSV)."""
    root = resources.files("lic_gpu").joinpath("resources/demo")
    return Path(str(root.joinpath("words.csv"))), Path(str(root.joinpath("ratings.csv")))


def load_demo() -> Corpus:
    """The project's own demo corpus, in the notebook's two-CSV layout."""
    words, ratings = demo_paths()
    corpus = load_seed_csv(words, ratings)
    return Corpus(
        corpus.frame,
        corpus.text_column,
        corpus.id_columns,
        corpus.rating_columns,
        "demo corpus (packaged)",
        corpus.files,
        corpus.checksums,
    )
