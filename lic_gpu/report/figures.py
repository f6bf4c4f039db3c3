"""The run's figures: class distributions before/after caps and the top LIC words per class.

Every function takes plain data and a path and writes one PNG atomically; :func:`pyplot` is the one
place matplotlib is loaded (also for the evaluation's figure).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lic_gpu.io.atomic_files import atomic_write
from lic_gpu.classes import round_half_up
from lic_gpu.errors import LicGpuError

DPI = 130
ORIGINAL_COLOUR = "#66a61e"
ADDED_COLOUR = "#a6cee3"
KEPT_COLOUR = "#1f78b4"
# A panel whose tallest bar is this many times its lowest non-empty one gets a log axis (log_scale=None).
LOG_SCALE_RATIO = 20
# Room above the tallest bar (a share of it; on a log axis, a factor): bars that touch the frame look clipped.
HEADROOM = 0.12
LOG_HEADROOM = 1.8
# A cap line this many times above the tallest bar is written in the panel instead of drawn: the axis
# stretched to a cap nobody reaches flattened every bar.
CAP_LINE_REACH = 1.5
TARGET_COLOUR = "#333333"
CAP_COLOUR = "#d95f02"


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend, imported when the first figure is drawn
    (importing it costs ~0.5 s, which runs with ``report.enabled=false`` should not pay)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def subplots(nrows: int, ncols: int, **kwargs):
    """``pyplot.subplots`` without pyplot: a :class:`matplotlib.figure.Figure` on an Agg canvas.

    The run's figures are only ever written to files, and pyplot's import and figure manager cost
    ~0.3 s of every run with a report; the pixels are the same.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    layout = kwargs.pop("layout", None)
    fig = Figure(figsize=kwargs.pop("figsize", None), layout=layout)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def save_figure(fig, path: Path, dpi: int = DPI) -> Path:
    """Write ``fig`` as a PNG, atomically, and close it."""
    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))
    finally:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:  # a figure of pyplot's (the evaluation's) is closed there; ours need nothing
            plt.close(fig)


def display_levels(values: pd.Series) -> pd.Series:
    """Display levels of raw ratings, rounded half up (2.5 -> 3); non-numbers become NA."""
    return round_half_up(pd.to_numeric(values, errors="coerce").astype("float64")).astype("Int64")


def _levels(frame: pd.DataFrame, classes: pd.DataFrame | None, column: str) -> pd.Series:
    if classes is not None and column in classes.columns:
        try:
            return classes[column].astype("Int64")
        except (TypeError, ValueError):  # categorical class names (joy, anger): one bar per name
            return classes[column].astype(object)
    return display_levels(frame[column])


def _numeric(levels: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(levels.dtype)


def _level_counts(levels: pd.Series, mask: np.ndarray, index: np.ndarray) -> np.ndarray:
    present = levels[mask].dropna()
    counts = (present.astype("int64") if _numeric(levels) else present).value_counts()
    return counts.reindex(index, fill_value=0).to_numpy()


def plot_level_distributions(
    frame: pd.DataFrame,
    capped: pd.DataFrame | None,
    classes: pd.DataFrame | None,
    capped_classes: pd.DataFrame | None,
    rating_columns: Sequence[str],
    path: Path,
    cap_per_class: Mapping[str, int] | None = None,
    log_scale: bool | None = None,
    targets: Mapping[str, Mapping[object, int]] | None = None,
) -> Path:
    """Stacked bars per level for every rating column: originals vs added, before and after caps.

    Each level gets two bars: before caps (left) and after caps (right), originals at the bottom.
    Levels come from ``classes`` where the column has classes, else from rounding the ratings
    half up. ``capped=None`` draws the before bars only. ``cap_per_class`` (``{column: cap}``)
    draws the cap as a dashed line on those columns' panels (or, when it is far above every bar, says it in
    the panel rather than flatten the bars). ``targets`` (``{column: {level: rows}}``) marks each
    level's target (its original rows, every split, plus the new rows asked for) with a short black line. ``log_scale`` (None: when a panel's
    tallest bar is at least :data:`LOG_SCALE_RATIO` times its lowest non-empty one) draws the rows on a
    symmetric-log axis, so a class of a handful of rows stays visible next to one of thousands.

    Returns
    -------
    Path
        ``path``, written.
    """
    columns = [c for c in rating_columns if c in frame.columns]
    if not columns:
        raise LicGpuError(
            f"plot_level_distributions: none of the rating columns {list(rating_columns)} is in the frame"
        )
    ncols = min(3, len(columns))
    nrows = math.ceil(len(columns) / ncols)
    fig, axes = subplots(
        nrows, ncols, figsize=(max(5.2 * ncols, 6.4), 3.6 * nrows + 1.0), squeeze=False, layout="constrained"
    )
    width = 0.38 if capped is not None else 0.7
    before_added = frame["is_augmented"].to_numpy(dtype=bool)
    after_added = None if capped is None else capped["is_augmented"].to_numpy(dtype=bool)

    for ax, column in zip(axes.flat, columns):
        before = _levels(frame, classes, column)
        after = None if capped is None else _levels(capped, capped_classes, column)
        present = pd.concat([before, after]).dropna() if after is not None else before.dropna()
        if present.empty:
            ax.text(0.5, 0.5, "no ratings", ha="center", va="center", transform=ax.transAxes)
            ax.set_title(column)
            ax.set_axis_off()
            continue
        if _numeric(present):
            index = np.arange(int(present.min()), int(present.max()) + 1)
            x = index.astype(float)
        else:  # names have no order between them: sorted, one bar each
            index = np.array(sorted(present.unique(), key=str), dtype=object)
            x = np.arange(len(index), dtype=float)
        shift = -0.2 if capped is not None else 0.0
        originals = _level_counts(before, ~before_added, index)
        added = _level_counts(before, before_added, index)
        ax.bar(x + shift, originals, width, color=ORIGINAL_COLOUR, label="original")
        ax.bar(
            x + shift,
            added,
            width,
            bottom=originals,
            color=ADDED_COLOUR,
            label="added (before caps)" if capped is not None else "added",
        )
        if after is not None and after_added is not None:  # both or neither: capped given
            kept_originals = _level_counts(after, ~after_added, index)
            kept = _level_counts(after, after_added, index)
            ax.bar(x + 0.2, kept_originals, width, color=ORIGINAL_COLOUR)
            ax.bar(x + 0.2, kept, width, bottom=kept_originals, color=KEPT_COLOUR, label="added (after caps)")
        heights = originals + added
        if after is not None:
            heights = np.concatenate([heights, kept_originals + kept])
        goal_y = _draw_targets(ax, (targets or {}).get(column) or {}, index, x)
        heights = np.concatenate([heights, goal_y])
        nonzero = heights[heights > 0]
        log = (
            log_scale
            if log_scale is not None
            else (nonzero.size > 0 and nonzero.max() >= LOG_SCALE_RATIO * nonzero.min())
        )
        if log:
            ax.set_yscale("symlog", linthresh=1)
        top = float(heights.max()) if heights.size else 1.0
        if cap_per_class and column in cap_per_class:
            cap = float(cap_per_class[column])
            if cap <= CAP_LINE_REACH * top:
                ax.axhline(cap, color=CAP_COLOUR, linestyle="--", linewidth=1.2, label="cap per class")
                top = max(top, cap)
            else:
                ax.text(
                    0.99,
                    0.97,
                    f"cap {cap:,.0f} per class: above every bar",
                    transform=ax.transAxes,
                    ha="right",
                    va="top",
                    fontsize=8,
                    color=CAP_COLOUR,
                )
        ax.set_ylim(0, max(top, 1.0) * (LOG_HEADROOM if log else 1 + HEADROOM))
        ax.set_xticks(x)
        ax.set_xticklabels([str(level) for level in index])
        ax.set_title(column)
        ax.set_xlabel(f"{column} level")
        ax.set_ylabel("rows (log scale)" if log else "rows")
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    for ax in list(axes.flat)[len(columns) :]:
        ax.set_axis_off()

    handles, labels = axes.flat[0].get_legend_handles_labels()
    for ax in list(axes.flat)[1 : len(columns)]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    wide = ncols > 1
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels) if wide else 2, frameon=False)
    if capped is not None:
        subtitle = (
            f"{len(frame):,} rows before caps (left bars),{' ' if wide else chr(10)}"
            f"{len(capped):,} after caps (right bars)"
        )
    else:
        subtitle = f"{len(frame):,} rows"
    fig.suptitle(f"Rows per level, originals vs added:{' ' if wide else chr(10)}{subtitle}", x=0.01, ha="left")
    return save_figure(fig, Path(path))


def _draw_targets(ax, goal: Mapping[object, int], index: np.ndarray, x: np.ndarray) -> list[int]:
    """A short line at each level's target, at the level's bar (a category's bar is its position)."""
    found = [(pos, _target_of(goal, level)) for pos, level in zip(x, index)]
    at = [(pos, y) for pos, y in found if y is not None]
    if at:
        goal_x = np.array([pos for pos, _ in at], float)
        ax.hlines(
            [y for _, y in at],
            goal_x - 0.45,
            goal_x + 0.45,
            colors=TARGET_COLOUR,
            linewidth=1.6,
            label="target (originals + rows asked for)",
            zorder=3,
        )
    return [y for _, y in at]


def _target_of(targets: Mapping[object, int], level) -> int | None:
    """A level's target, whether the mapping's keys are ints, floats or strings (category names too)."""
    keys: list[object] = [level, str(level)]
    try:
        keys += [int(level), float(level), str(int(level))]
    except (TypeError, ValueError):  # a category name ('anger', '1st') is only itself
        pass
    for key in keys:
        if key in targets:
            return int(targets[key])
    return None


def sentence_counts(texts: Sequence[str], tokenise=None, tokenised: Sequence | None = None) -> dict[str, int]:
    """How many sentences each token occurs in (once per sentence; as written, as LIC's vocabulary
    has it), for ``report.min_word_sentences``.

    ``tokenised``: the same sentences already split (``Tokenised``, one per text), used instead of
    splitting ``texts`` again: the tokeniser's memo holds 65 536 sentences, so on a larger corpus
    every sentence would be split a second time (~25 s for 1 M rows, benchmarks/results/scale.md).
    """
    from collections import Counter
    from itertools import chain

    if tokenised is not None:
        return Counter(chain.from_iterable(set(t.tokens) for t in tokenised))
    seen: Counter = Counter()
    if tokenise is None:
        from lic_gpu.text import words_tokenise as tokenise
    for text in texts:
        if not isinstance(text, str):  # a missing sentence has no words
            continue
        seen.update(set(tokenise(text).tokens))
    return seen


def _class_order(cls: Any) -> tuple[int, float, str]:
    """Numeric classes first, in numeric order; anything else after, by name."""
    try:
        return (0, float(cls), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(cls))


def plot_top_lic_words(
    top: Mapping[object, Sequence[tuple[str, float]]],
    emotion: str,
    path: Path,
    k: int = 10,
    min_sentences: int = 1,
) -> Path:
    """Horizontal bars of the top ``k`` LIC words of each class, one panel per class.

    Parameters
    ----------
    top : mapping
        ``{class: [(word, lic), ...]}``, any order; the ``k`` largest are drawn, largest on top.
    emotion : str
        For the title.
    path : Path
        PNG to write.
    min_sentences : int
        The words were chosen among those seen in at least this many sentences (said in the title).

    Returns
    -------
    Path
    """
    keys = sorted(top, key=_class_order)
    if not keys:
        raise LicGpuError(f"plot_top_lic_words: no classes to draw for emotion {emotion!r}")
    ncols = min(4, len(keys))
    nrows = math.ceil(len(keys) / ncols)
    fig, axes = subplots(
        nrows,
        ncols,
        figsize=(max(3.9 * ncols, 5.0), (0.3 * k + 1.2) * nrows + 0.5),
        squeeze=False,
        layout="constrained",
    )
    for ax, cls in zip(axes.flat, keys):
        pairs = sorted(top[cls], key=lambda pair: pair[1], reverse=True)[:k]
        ax.set_title(f"{emotion} = {cls}")
        if not pairs:
            ax.text(0.5, 0.5, "no words", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            continue
        words = [str(word) for word, _ in pairs][::-1]
        scores = [float(score) for _, score in pairs][::-1]
        ax.barh(np.arange(len(words)), scores, color=KEPT_COLOUR)
        ax.set_yticks(np.arange(len(words)))
        ax.set_yticklabels(words)
        ax.set_ylim(-0.6, k - 0.4)
        if max(scores) > 0:  # room right of the longest bar
            ax.set_xlim(min(0.0, min(scores)), max(scores) * (1 + HEADROOM))
        ax.set_xlabel("LIC")
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
    for ax in list(axes.flat)[len(keys) :]:
        ax.set_axis_off()
    seen = f", words seen in at least {min_sentences} sentences" if min_sentences > 1 else ""
    fig.suptitle(f"Top {k} LIC words per {emotion} class{seen}", x=0.01, ha="left")
    return save_figure(fig, Path(path))
