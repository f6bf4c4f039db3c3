"""Train/test splits by group, made before anything is learned, and the proof that no test row leaks."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lic_gpu.errors import LicGpuError
from lic_gpu.io.cells import speaker_column


def check_test_size(value: float) -> float:
    """Validate ``test_size``: a share in (0, 0.5]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < float(value) <= 0.5:
        raise LicGpuError(f"test_size must be a number in (0, 0.5]; got {value!r}")
    return float(value)


def row_groups(frame: pd.DataFrame, column: str = "auto", prefix_sep: str | None = None) -> tuple[np.ndarray, str]:
    """Group label of every row (rows of one group never straddle train and test).

    Parameters
    ----------
    frame : one row per sentence
    column : "auto" (the first column named for who spoke or wrote, ``sub``, ``speaker``, ``participant``,
        ``subject``, ``author`` ..., that has at least two values and repeats one; else "row") | "row" (each
        sentence its own group) | a column
    prefix_sep : keep the part of the value before the first ``prefix_sep`` (``None``: the whole value)

    Returns
    -------
    (array of str, one per row; description such as ``"id before '_'"``)
    """
    if column == "auto":
        column = speaker_column(frame) or "row"
    if column == "row":
        return np.array([f"row{i}" for i in range(len(frame))], dtype=object), "row (one group per sentence)"
    if column not in frame.columns:
        from lic_gpu.io.cells import closest_columns

        close = closest_columns(column, [], list(frame.columns))
        raise LicGpuError(
            f"group.column {column!r} is not a column"
            + (f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else "")
            + f"; columns are {list(frame.columns)} (or use 'auto' / 'row')"
        )
    values = frame[column].astype(str)
    desc = column
    if prefix_sep:
        values = values.str.split(prefix_sep, n=1).str[0]
        desc = f"{column} before the first {prefix_sep!r}"
    return values.to_numpy(dtype=object), desc


@dataclass(frozen=True)
class Split:
    """Row ids (``corpus.frame`` index) of the train and test originals of one seed."""

    train: np.ndarray
    test: np.ndarray
    seed: int
    fold: int
    n_folds: int
    stratified: bool


def split_by_group(labels: pd.Series, groups: np.ndarray, test_size: float, seed: int) -> Split:
    """Hold out whole groups, stratified by class where the groups allow it.

    Seed ``s`` takes fold ``s % K`` of a ``StratifiedGroupKFold(K, shuffle=True, random_state=s // K)``
    with ``K = round(1 / test_size)``; seeds ``0..K-1`` are therefore the K disjoint folds of one
    partition. Falls back to ``GroupKFold`` (shuffled) when stratification is impossible.

    Parameters
    ----------
    labels : class per row (nullable ints, NA rows take part in neither side)
    groups : group per row, aligned with ``labels``

    Returns
    -------
    Split
    """
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    test_size = check_test_size(test_size)
    lab = labels.to_numpy(dtype=float, na_value=np.nan)
    rows = np.flatnonzero(~np.isnan(lab))
    y, g = lab[rows].astype(np.int64), np.asarray(groups)[rows]
    n_groups = len(set(g.tolist()))
    if n_groups < 2:
        raise LicGpuError(
            f"the labelled rows form {n_groups} group(s); a group split needs at least 2 "
            "(use group.column=row to split sentences)"
        )
    k = min(max(2, round(1 / test_size)), n_groups)
    fold = seed % k
    stratified = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "least populated class has only n members"
            folds = list(StratifiedGroupKFold(k, shuffle=True, random_state=seed // k).split(rows, y, g))
    except ValueError:
        stratified = False
        folds = list(GroupKFold(k, shuffle=True, random_state=seed // k).split(rows, y, g))
    train_idx, test_idx = folds[fold]
    return Split(np.sort(rows[train_idx]), np.sort(rows[test_idx]), seed, fold, k, stratified)


class LeakageError(LicGpuError):
    """A test row reached a training set (itself, its group, or as the source of a new row)."""


def check_no_leakage(
    train_sources: np.ndarray, test_rows: np.ndarray, groups: np.ndarray, what: str = "training set"
) -> dict[str, int]:
    """Prove that no test row is in a training set, neither itself nor as the source of a new row.

    Parameters
    ----------
    train_sources : for every row of the training set, the original row it is (originals) or was made
        from (augmented rows); duplicates allowed
    test_rows : row ids of the test originals
    groups : group of every original row (indexed by row id)

    Returns
    -------
    {"train_rows": ..., "distinct_sources": ..., "test_rows": ..., "shared_groups": 0}

    Raises
    ------
    LeakageError naming how many rows/groups leaked and a few of them.
    """
    train_sources = np.asarray(train_sources, dtype=np.int64)
    test_rows = np.asarray(test_rows, dtype=np.int64)
    sources = np.unique(train_sources)
    leaked = np.intersect1d(sources, test_rows)
    if leaked.size:
        raise LeakageError(
            f"{what}: {leaked.size} test row(s) are in training or are the source of a new "
            f"training row, e.g. rows {leaked[:5].tolist()}"
        )
    groups = np.asarray(groups, dtype=object)
    shared = sorted(set(groups[sources].tolist()) & set(groups[test_rows].tolist()))
    if shared:
        raise LeakageError(f"{what}: {len(shared)} group(s) have rows on both sides of the split, e.g. {shared[:5]}")
    return {
        "train_rows": int(train_sources.size),
        "distinct_sources": int(sources.size),
        "test_rows": int(test_rows.size),
        "shared_groups": 0,
    }


def subsample_train(
    train: np.ndarray, groups: np.ndarray, labels: np.ndarray, fractions, seed: int
) -> dict[float, np.ndarray]:
    """Nested subsets of a train part, by whole groups, for a learning curve (the test part is not touched).

    The train groups are put in a random order (``seed``); from the largest fraction down, each subset
    is taken from the one above it: first, for every class the larger subset has (rarest first), the
    first group holding it that fits (else a block of a typical group's size around one of its rows)
    unless one is chosen already; then whole groups in that order while they fit; last, the first rows
    of the next group to reach the size exactly. A smaller corpus thus has fewer
    documents or speakers (not thinner ones), every class while the size allows it, and
    ``10 % ⊂ 25 % ⊂ 50 % ⊂ 100 %``.

    Parameters
    ----------
    train : row ids of the train part (sorted)
    groups : group of every row (indexed by row id)
    labels : class of every row (indexed by row id; only ``labels[train]`` is read)
    fractions : shares in (0, 1]
    seed : the order of the groups

    Returns
    -------
    {fraction: sorted row ids}, ``round(fraction * len(train))`` rows each (at least 1)
    """
    train = np.asarray(train, dtype=np.int64)
    groups = np.asarray(groups, dtype=object)
    labels = np.asarray(labels)
    names = list(dict.fromkeys(groups[train].tolist()))
    order = {g: i for i, g in enumerate(np.random.default_rng([seed, 40503]).permutation(len(names)).tolist())}
    rank = {name: order[i] for i, name in enumerate(names)}
    out: dict[float, np.ndarray] = {}
    current = train
    for fraction in sorted({float(f) for f in fractions}, reverse=True):
        size = max(1, round(fraction * train.size))
        if size >= current.size:
            out[fraction] = current
            continue
        by_group: dict[Any, list[int]] = {}
        for row in current.tolist():  # rows in corpus order within each group
            by_group.setdefault(groups[row], []).append(row)
        queue = sorted(by_group, key=rank.__getitem__)
        chosen: list[int] = []
        taken: set = set()
        typical = int(np.median([len(v) for v in by_group.values()]))
        counts = Counter(labels[current].tolist())
        for cls in sorted(counts, key=lambda c: (counts[c], str(c))):
            room = size - len(chosen)
            if room <= 0 or any(labels[r] == cls for r in chosen):
                continue
            holding = [g for g in queue if g not in taken and any(labels[r] == cls for r in by_group[g])]
            whole = [g for g in holding if len(by_group[g]) <= room]
            if whole:
                chosen.extend(by_group[whole[0]])
                taken.add(whole[0])
            elif holding:
                # no group holding the class fits: a block of a typical group's size from the first one,
                # around its first row of the class (not the whole budget from one group)
                rows = by_group[holding[0]]
                block = max(1, min(room, typical))
                first = next(i for i, r in enumerate(rows) if labels[r] == cls)
                start = max(0, min(first - block // 2, len(rows) - block))
                chosen.extend(rows[start : start + block])
                taken.add(holding[0])
        for g in queue:
            if g not in taken and len(by_group[g]) <= size - len(chosen):
                chosen.extend(by_group[g])
                taken.add(g)
        for g in queue:
            if len(chosen) >= size:
                break
            if g not in taken:
                chosen.extend(by_group[g][: size - len(chosen)])
                taken.add(g)
        current = np.sort(np.array(chosen, dtype=np.int64))
        out[fraction] = current
    return out
