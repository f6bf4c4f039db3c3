"""The evaluation's figures: learning curves and gains per model (and the labels its tables share).

:mod:`lic_gpu.evaluation.report` writes ``evaluation.md``, ``metrics.json`` and ``metrics.csv`` and calls these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from lic_gpu.evaluation.classifiers import CLASSIFIER_SHORT, CLASSIFIERS, REGRESSORS
from lic_gpu.evaluation.settings import is_lic_method, method_label, method_rank
from lic_gpu.evaluation.statistics import BEST_CHEAP, LOWER_IS_BETTER, METRICS, REGRESSION_METRICS

METRIC_LABELS = {
    "macro_f1": "macro-F1",
    "balanced_accuracy": "balanced accuracy",
    "mae": "MAE",
    "pearson_r": "Pearson r",
    "pearson_r_thin": "Pearson r, thin levels",
}
# The headline metrics of each kind of model, in the tables and figures
HEADLINE = {"classifier": ("macro_f1", "mae"), "regressor": ("pearson_r", "pearson_r_thin")}
MARKS = {"better": " ▲", "worse": " ▼"}


def _kind(model: str) -> str:
    return "regressor" if model in REGRESSORS else "classifier"


def _metric_rank(metric: str) -> int:
    order = (*METRICS, *REGRESSION_METRICS)
    return order.index(metric) if metric in order else len(order)


# ---------------------------------------------------------------- figures


def _methods(summary: pd.DataFrame, curve_only: bool = True) -> list[str]:
    """Methods in canonical order; the per-source variants (one point only) left out of curves."""
    methods = sorted(set(summary["method"]), key=method_rank)
    return [m for m in methods if not (curve_only and m.startswith("lic_diverse_per_source_"))]


def plot_learning_curves(summary: pd.DataFrame, path: Path, panels: Sequence[tuple[str, str, str]]) -> Path:
    """One row per (emotion, model, metric), one column per budget: the metric against the number of
    train originals (log scale), one line per method with its 95 % t-interval shaded."""
    from lic_gpu.report.figures import pyplot

    plt = pyplot()
    budgets = list(dict.fromkeys(summary["budget"]))
    methods = _methods(summary)
    fig, axes = plt.subplots(
        len(panels),
        len(budgets),
        figsize=(4.4 * len(budgets), 3.0 * len(panels) + 1.2),
        squeeze=False,
        sharex="row",
        sharey="row",
    )
    colours = plt.get_cmap("tab10")
    for r, (emo, model, metric) in enumerate(panels):
        for c, budget in enumerate(budgets):
            ax = axes[r][c]
            sub = summary[
                (summary["emotion"] == emo)
                & (summary["classifier"] == model)
                & (summary["metric"] == metric)
                & (summary["budget"] == budget)
            ]
            for i, method in enumerate(methods):
                line = sub[sub["method"] == method].sort_values("fraction")
                if line.empty:
                    continue
                x = line["n_train_originals"].to_numpy(float)
                style = {"linestyle": "--"} if not is_lic_method(method) else {}
                ax.plot(
                    x,
                    line["mean"],
                    marker="o",
                    markersize=3.5,
                    color=colours(i),
                    label=method_label(method),
                    linewidth=1.4,
                    **style,
                )
                ax.fill_between(
                    x,
                    line["ci_low"].to_numpy(float),
                    line["ci_high"].to_numpy(float),
                    color=colours(i),
                    alpha=0.12,
                    linewidth=0,
                )
            better = "lower is better" if metric in LOWER_IS_BETTER else "higher is better"
            _finish_panel(
                ax,
                summary,
                (emo, model, budget),
                f"{METRIC_LABELS.get(metric, metric)} ({better})",
                last_row=r == len(panels) - 1,
            )
    return _finish_figure(
        fig,
        axes,
        "Held-out originals: mean over seeds with 95 % t-interval (dashed: cheap baselines)",
        0.06 if len(panels) < 4 else 0.035,
        path,
    )


def plot_gains(
    comparisons: pd.DataFrame, summary: pd.DataFrame, path: Path, panels: Sequence[tuple[str, str, str]]
) -> Path:
    """Each LIC method minus the best cheap baseline at every point, with the corrected 95 % interval
    (Nadeau-Bengio): above zero (below, for MAE) LIC augmentation pays."""
    from lic_gpu.report.figures import pyplot

    plt = pyplot()
    budgets = list(dict.fromkeys(summary["budget"]))
    gains = comparisons[comparisons["baseline"] == BEST_CHEAP]
    methods = [m for m in _methods(summary) if is_lic_method(m)]
    all_methods = _methods(summary)
    fig, axes = plt.subplots(
        len(panels),
        len(budgets),
        figsize=(4.4 * len(budgets), 2.8 * len(panels) + 1.2),
        squeeze=False,
        sharex="row",
        sharey="row",
    )
    colours = plt.get_cmap("tab10")
    sizes = summary.groupby(["emotion", "fraction"])["n_train_originals"].mean()
    for r, (emo, model, metric) in enumerate(panels):
        for c, budget in enumerate(budgets):
            ax = axes[r][c]
            sub = gains[
                (gains["emotion"] == emo)
                & (gains["classifier"] == model)
                & (gains["metric"] == metric)
                & (gains["budget"] == budget)
            ]
            for j, method in enumerate(methods):
                line = sub[sub["method"] == method].sort_values("fraction")
                if line.empty:
                    continue
                x = np.array([sizes.loc[(emo, f)] for f in line["fraction"]]) * (1 + 0.04 * (j - len(methods) / 2))
                y = line["mean_diff"].to_numpy(float)
                err = np.vstack(
                    [y - line["ci_low_corrected"].to_numpy(float), line["ci_high_corrected"].to_numpy(float) - y]
                )
                ax.errorbar(
                    x,
                    y,
                    yerr=err,
                    marker="o",
                    markersize=3.5,
                    capsize=3,
                    linewidth=1.2,
                    color=colours(all_methods.index(method)),
                    label=method_label(method),
                )
            ax.axhline(0, color="grey", linewidth=1)
            better = "below 0 is better" if metric in LOWER_IS_BETTER else "above 0 is better"
            _finish_panel(
                ax,
                summary,
                (emo, model, budget),
                # the figure's title names the baseline: the panel's line stays short enough for three panels a row
                f"Δ {METRIC_LABELS.get(metric, metric)} ({better})",
                last_row=r == len(panels) - 1,
            )
    return _finish_figure(
        fig,
        axes,
        "LIC methods minus the best cheap baseline (no augmentation, oversampling or "
        "class weights)\nat each point, with the corrected 95 % interval",
        0.05 if len(panels) < 4 else 0.03,
        path,
    )


def _finish_panel(ax, summary: pd.DataFrame, where: tuple[str, str, str], what: str, last_row: bool) -> None:
    """A figure panel's ticks (train originals and fraction), title (emotion · model · budget, then
    ``what``), grid and, on the last row, x label."""
    emo, model, budget = where
    _size_ticks(ax, summary, emo)
    ax.set_title(f"{emo} · {CLASSIFIER_SHORT.get(model, model)} · budget {budget}\n{what}", fontsize=9)
    ax.grid(alpha=0.3)
    if last_row:
        ax.set_xlabel("train originals (log scale)")


# Narrower figures (a single budget: one column of panels) cut off the title and the legend.
MIN_FIGURE_WIDTH = 7.5


def _finish_figure(fig, axes, title: str, bottom: float, path) -> Path:
    """One legend under the panels, the title and the layout; saved to ``path``."""
    from lic_gpu.report.figures import save_figure

    import textwrap

    # one budget makes a narrow figure: keep the title and the legend inside it (wrapped, fewer columns)
    if fig.get_figwidth() < MIN_FIGURE_WIDTH:
        fig.set_figwidth(MIN_FIGURE_WIDTH)
    width = fig.get_figwidth()
    handles, labels = axes[0][0].get_legend_handles_labels()
    ncol = max(1, min(4, len(labels), int(width // 2.3)))
    legend_rows = -(-len(labels) // ncol) if labels else 0
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=9, frameon=False)
    chars = int(width * 11)  # about 11 characters of 11-point text per inch
    wrapped = "\n".join(textwrap.fill(line, chars) for line in title.split("\n"))
    fig.suptitle(wrapped, fontsize=11)
    extra_title = wrapped.count("\n") - title.count("\n")
    extra_legend = max(0, legend_rows - 2) if len(labels) > 4 else max(0, legend_rows - 1)
    height = fig.get_figheight()
    bottom = bottom + extra_legend * 0.22 / height
    fig.tight_layout(rect=(0, bottom, 1, 0.98 - extra_title * 0.2 / height))
    return save_figure(fig, Path(path), dpi=110)


def _size_ticks(ax, summary: pd.DataFrame, emotion: str) -> None:
    """Log x axis with one tick per fraction: its mean number of train originals and the share."""
    from matplotlib.ticker import NullLocator

    sizes = summary[summary["emotion"] == emotion].groupby("fraction")["n_train_originals"].mean()
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(sizes.to_numpy(float))
    ax.set_xticklabels([f"{n:.0f}\n{100 * f:g} %" for f, n in sizes.items()], fontsize=8)


def figure_panels(
    summary: pd.DataFrame, kind: str | None = None, model: str | None = None
) -> list[tuple[str, str, str]]:
    """(emotion, model, metric) rows of a figure or of the tables: every emotion x model (of ``kind``, or
    just ``model``) x its headline metrics."""
    out = []
    for emo in dict.fromkeys(summary["emotion"]):
        sub = summary[summary["emotion"] == emo]
        for m in [m for m in (*CLASSIFIERS, *REGRESSORS) if m in set(sub["classifier"])]:
            if (kind is not None and _kind(m) != kind) or (model is not None and m != model):
                continue
            metrics = set(sub.loc[sub["classifier"] == m, "metric"])
            out += [(emo, m, x) for x in HEADLINE[_kind(m)] if x in metrics]
    return out
