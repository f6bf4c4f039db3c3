"""The frames a run writes: originals plus new rows with their provenance, per emotion and per class.

No I/O: :mod:`lic_gpu.app.outputs` writes them.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import pandas as pd

from lic_gpu.io.cells import IDENTIFYING_WORDS, id_like
from lic_gpu.io.data import SEED_ID_COLUMNS, Corpus

log = logging.getLogger(__name__)

# ``augmented_for`` of an original row: not empty, so CSV readers that infer a column's type from its
# first rows (pyarrow, Hugging Face ``datasets``) see a text column from the start.
ORIGINAL_MARK = "-"
# A new row's last id column: the source's id + this + its row_id (text ids), see new_row_ids.
NEW_ID_SUFFIX = "_aug"
# The columns a run adds (and their set-aside copies, ``previous_row_id``): never taken for ids.
PROVENANCE_NAMES = frozenset({"row_id", "source_row", "previous_row_id", "previous_source_row"})


def assemble(corpus: Corpus, runs: Sequence) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Originals once + every emotion's new rows, with provenance; and the class labels of each row.

    ``runs``: :class:`lic_gpu.app.pipeline.EmotionRun` objects (their ``new_row_ids`` are filled in).

    New rows copy every column of their source row (ratings are inherited) except the text; when
    the id columns identify the originals uniquely, the new rows' ids are unique too (:func:`new_row_ids`). Their ``row_id`` continues after the originals, in
    emotion order.
    """
    base = corpus.frame
    n = len(base)
    parts = [
        base.assign(
            is_augmented=False,
            row_id=np.arange(n),
            source_row=np.arange(n),
            augmented_for=ORIGINAL_MARK,
            swaps="[]",
            fluency=np.nan,
        )
    ]
    class_parts = [pd.DataFrame({r.emotion: r.labels.reset_index(drop=True) for r in runs}, index=pd.RangeIndex(n))]
    next_id = n
    # Ids that identify a row stay unique; ids that do not (a subject column alone) are copied.
    id_columns = list(corpus.id_columns) or detect_id_columns(base, [corpus.text_column, *corpus.rating_columns])
    renumber = bool(id_columns) and not base.duplicated(id_columns).any()
    if any(len(r.result.rows) for r in runs):
        _say_repeats(base, id_columns, corpus.text_column, corpus.source)
    for r in runs:
        rows = r.result.rows
        src = np.fromiter((row.source_row for row in rows), dtype=np.int64, count=len(rows))
        ids = np.arange(next_id, next_id + len(rows), dtype=np.int64)
        r.new_row_ids = ids
        next_id += len(rows)
        new = base.iloc[src].reset_index(drop=True)
        new[corpus.text_column] = [row.text for row in rows]
        if renumber and len(rows):
            last = id_columns[-1]
            new[last] = new_row_ids(base[last], src, ids)
        new = new.assign(
            is_augmented=True,
            row_id=ids,
            source_row=src,
            augmented_for=r.emotion,
            swaps=[row.swaps_json() for row in rows],
            fluency=np.fromiter((row.fluency for row in rows), dtype=np.float64, count=len(rows)),
        )
        parts.append(new)
        cls = pd.DataFrame(
            {e.emotion: e.labels.iloc[src].reset_index(drop=True) for e in runs}, index=pd.RangeIndex(len(rows))
        )
        if len(rows):
            cls[r.emotion] = pd.array([row.cls for row in rows], dtype=r.labels.dtype)
        class_parts.append(cls)
    frame = pd.concat(parts, ignore_index=True)
    classes = pd.concat(class_parts, ignore_index=True)
    for r in runs:  # concat of empty parts can lose the nullable dtype
        classes[r.emotion] = classes[r.emotion].astype(r.labels.dtype)
    for c in corpus.rating_columns:
        vals = frame[c]
        if vals.notna().any() and (vals.dropna() == np.floor(vals.dropna())).all():
            frame[c] = vals.astype("Int64")
    return frame, classes


def _first_repeat(frame: pd.DataFrame, columns: list[str]) -> tuple[int, int]:
    """Data rows (1-based) of the first row that repeats an earlier one on ``columns``, and of that earlier one."""
    later = int(np.flatnonzero(frame.duplicated(columns).to_numpy())[0])
    key = frame.iloc[later][columns]
    earlier = int(np.flatnonzero((frame[columns] == key).all(axis=1).to_numpy())[0])
    return earlier + 1, later + 1


def _say_repeats(base: pd.DataFrame, id_columns: list[str], text: str, source: str) -> None:
    """Ids that do not identify the rows, and texts given twice: one warning each (trial 8: a `post_id`
    used twice made the new rows copy their sources' ids, silently)."""
    named = [c for c in base.columns if str(c).strip().lower() == "id" or str(c).strip().lower().endswith("_id")]
    ids = id_columns or [c for c in named if c not in PROVENANCE_NAMES and base[c].notna().all()][:1]
    if ids and base.duplicated(ids).any():
        first, again = _first_repeat(base, ids)
        log.warning(
            "%s: the id column%s %s repeat%s (data rows %d and %d: %s); they do not identify the rows, so each new "
            "row copies its source's id%s: give every row its own id (data.id_columns names the id columns)",
            source,
            "s" if len(ids) > 1 else "",
            ", ".join(map(repr, ids)),
            "" if len(ids) > 1 else "s",
            first,
            again,
            ", ".join(f"{c}={base[c].iloc[again - 1]}" for c in ids),
            "s" if len(ids) > 1 else "",
        )
    repeated = base[text].duplicated()
    if repeated.any():
        first, again = _first_repeat(base, [text])
        log.warning(
            "%s: %d row%s repeat%s an earlier row's text word for word (data rows %d and %d); each copy is a source "
            "of its own, so its swaps can come out twice as often",
            source,
            int(repeated.sum()),
            "" if int(repeated.sum()) == 1 else "s",
            "s" if int(repeated.sum()) == 1 else "",
            first,
            again,
        )


def detect_id_columns(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """The id columns of a table whose id columns were not named (``data.id_columns``, ``ids=``): the
    first column called ``id`` or ``..._id`` (any case) that identifies every row (no blank, no
    repeat), e.g. EmoBank's ``id``; else the notebook's ``sub, episode, segment`` when the table has all
    three and together they identify every row (the two CSVs of ``data=seed_csv`` merged by hand); else
    the columns whose names read as identifiers (``speaker, session, seg_no``: :func:`lic_gpu.io.cells.id_like`)
    when together they identify every row; ``[]`` when there is none. Copied as they were, such ids would
    repeat in every new row (the last one is continued: :func:`new_row_ids`)."""
    for c in frame.columns:
        name = str(c).strip().lower()
        if c in exclude or c in PROVENANCE_NAMES or not (name == "id" or name.endswith(("_id", " id"))):
            continue
        values = frame[c]
        if len(values) and values.notna().all() and not values.duplicated().any():
            return [c]
    seed_ids = list(SEED_ID_COLUMNS)
    named = [
        c for c in frame.columns if c not in exclude and c not in PROVENANCE_NAMES and id_like(c, IDENTIFYING_WORDS)
    ]
    for ids in (seed_ids, named):
        if ids and all(c in frame.columns and c not in exclude for c in ids):
            values = frame[ids]
            if len(values) and values.notna().all(axis=None) and not values.duplicated().any():
                return ids
    return []


def new_row_ids(originals: pd.Series, sources: np.ndarray, row_ids: np.ndarray) -> np.ndarray:
    """Unique values of an id column for new rows (the column's type is kept, so CSV readers that
    infer types from the first rows do not trip over later ones).

    Integer ids (``segment``): continue after the largest original, one per new row in ``row_id``
    order (``max + 1 + row_id - n_originals``). Other ids (EmoBank's ``id``): the source's id +
    ``_aug`` + ``row_id``, e.g. ``110CYL068_1036_1079_aug10062``.
    """
    n = len(originals)
    if pd.api.types.is_integer_dtype(originals.dtype) and originals.notna().all() and n:
        return pd.array(int(originals.max()) + 1 + (row_ids - n), dtype=originals.dtype)
    text = originals.astype(object).where(originals.notna(), "").map(str).str.strip()
    if n and text.str.fullmatch(r"[+-]?\d+").all():
        # Python ints: ids beyond int64 (20-digit numbers) continue as exactly as small ones
        top = max(int(v) for v in text)
        return np.array([str(top + 1 + int(r) - n) for r in row_ids], dtype=object)
    return np.array(
        [f"{s}{NEW_ID_SUFFIX}{i}" for s, i in zip(text.to_numpy(dtype=object)[sources], row_ids)], dtype=object
    )


def emotion_rows(frame: pd.DataFrame, emotion: str) -> pd.Series:
    """Mask of the originals plus the new rows made for ``emotion``."""
    return (~frame["is_augmented"]) | (frame["augmented_for"] == emotion)


def emotion_frame(frame: pd.DataFrame, emotion: str) -> pd.DataFrame:
    """The originals plus the new rows made for ``emotion``."""
    return frame[emotion_rows(frame, emotion)].reset_index(drop=True)


def class_export(
    frame: pd.DataFrame, classes: pd.DataFrame, emotion: str, text_column: str, input_columns: Sequence[str] = ()
) -> pd.DataFrame:
    """``class, sentence`` rows (what the notebook's export meant to write), then every other input
    column (ids, ``split``, ratings ...) and ``is_augmented``, so a training script can still tell
    the splits apart. An input column named ``class`` or ``sentence`` is kept as ``input_<name>``."""
    keep = emotion_rows(frame, emotion) & classes[emotion].notna()
    labels = classes.loc[keep, emotion]
    out = pd.DataFrame(
        {
            "class": labels.astype(int) if pd.api.types.is_numeric_dtype(labels.dtype) else labels,
            "sentence": frame.loc[keep, text_column],
        }
    )
    for c in input_columns:
        if c != text_column:
            out[f"input_{c}" if c in ("class", "sentence") else c] = frame.loc[keep, c]
    out["is_augmented"] = frame.loc[keep, "is_augmented"]
    return out.sort_values("class", kind="stable").reset_index(drop=True)
