"""The evaluation's files: ``metrics.json``, ``metrics.csv``, ``evaluation.md`` and, per model, the
figures ``learning_curves_<model>.png`` and ``gains_<model>.png``."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from lic_gpu.evaluation.classifiers import CLASSIFIER_LABELS, CLASSIFIER_SHORT, CLASSIFIERS, REGRESSORS
from lic_gpu.evaluation.experiment import EvalResult
from lic_gpu.evaluation.sections import (
    _added_lines,
    _best_cell,
    _count,
    _delta,
    _headline_panels,
    _in_short_lines,
    _n_train,
    _pct,
    _per_source_lines,
    _pm,
    _points,
    _split_lines,
    _verdict_lines,
)
from lic_gpu.evaluation.settings import EvalSettings, budget_label, is_lic_method, method_label, method_rank
from lic_gpu.evaluation.statistics import (
    BEST_CHEAP,
    LOWER_IS_BETTER,
    METRICS,
    POINT,
    REGRESSION_METRICS,
    compare,
    comparison_pairs,
    summarise,
)

from lic_gpu.evaluation.figures import (
    METRIC_LABELS,
    _methods,
    _metric_rank,
    figure_panels,
    plot_gains,
    plot_learning_curves,
)


def results_table(summary: pd.DataFrame, comparisons: pd.DataFrame) -> pd.DataFrame:
    """``metrics.csv``: the summary, with the comparisons against ``none`` and against the best cheap
    baseline joined on."""
    keys = ["emotion", "classifier", *POINT, "method", "metric"]
    table = summary
    for base, prefix in (("none", "vs_none_"), (BEST_CHEAP, "vs_best_cheap_")):
        part = comparisons[comparisons["baseline"] == base] if len(comparisons) else pd.DataFrame(columns=keys)
        part = part.drop(columns=[c for c in ("baseline",) if c in part.columns])
        if base == "none":
            part = part.drop(columns=[c for c in ("baseline_method",) if c in part.columns])
        part = part.rename(columns={c: f"{prefix}{c}" for c in part.columns if c not in keys})
        table = table.merge(part, on=keys, how="left")
    table = table.assign(
        _c=table["classifier"].map({c: i for i, c in enumerate((*CLASSIFIERS, *REGRESSORS))}),
        _k=table["metric"].map(_metric_rank),
        _m=table["method"].map(method_rank),
        _b=table["budget"].map({b: i for i, b in enumerate(dict.fromkeys(summary["budget"]))}),
    )
    table = table.sort_values(["emotion", "_c", "_k", "metric", "fraction", "_b", "_m"], kind="stable")
    return table.drop(columns=["_c", "_k", "_m", "_b"]).reset_index(drop=True)


# ---------------------------------------------------------------- evaluation.md


def render_markdown(result: EvalResult, summary: pd.DataFrame, comparisons: pd.DataFrame, meta: Mapping) -> str:
    """``evaluation.md``: what was run, where LIC augmentation pays against the best cheap baseline,
    the means at every point, the rows each method added, and plain verdicts."""
    from lic_gpu.report.markdown import markdown_table

    s = meta["settings"]
    methods = _methods(summary, curve_only=False)
    lic_methods = [m for m in methods if is_lic_method(m)]
    points = _points(summary)
    lines = [f"# Where does LIC augmentation help? — {meta['corpus']}", ""]
    lines += [
        f"Run: `{meta['command']}`" if meta.get("command") else "",
        f"Device: {meta['device']}; {meta['when']}; wall time {meta['wall_s']:.0f} s{_time_split(result.timings_s)}.",
        "",
    ]
    if meta.get("rendered_again"):
        lines[-1:-1] = [
            f"Report drawn again from `metrics.json` on {meta['rendered_again']} "
            "(`python -m lic_gpu.evaluation.rerender`); the scores are the run's."
        ]
    lines += _in_short_lines(comparisons, summary)
    n_sets = sum(c["method"] != "(LIC word dict)" for c in result.leakage)
    lines += [
        "## Setup",
        "",
        f"- Emotions {', '.join(s['emotions'])}, classes by `{s['binning']}`; seeds "
        f"{', '.join(str(x) for x in s['seeds'])} "
        f"({len(s['seeds'])} fold{'s' if len(s['seeds']) != 1 else ''} of a stratified group K-fold, "
        f"K = {result.splits[0]['n_folds']}; "
        "test sets are disjoint).",
        f"- Split by group **{result.groups}** before anything is learned; LIC, the neighbours and every "
        "new row come from the (subsampled) train part only; the test part is originals only and the "
        "same at every point of a seed.",
        f"- Learning curve: {', '.join(_pct(f) for f in s['fractions'])} of each seed's train part, "
        "subsampled by whole groups (plus the first rows of one more group to hit the size), nested, "
        "every class kept while the size allows.",
        f"- Budgets (class targets shared by oversampling, class weights and every LIC method): "
        f"{', '.join(budget_label(b) for b in s['budgets'])} (a float f: every class up to f × the largest). "
        "Class weights give each row of class c the weight target_c / n_c; no augmentation does not "
        "depend on the budget (fitted once per fraction, shown at every budget).",
        f"- Leakage check: {n_sets} training sets and the LIC word dict of every split and fraction "
        "checked: no test row in any of them (neither as a row nor as the source of a new row), no group "
        "on both sides.",
    ]
    if s.get("per_source"):
        lines.append(
            f"- Per-source limits: LIC diverse also with `max_per_source` = {s['per_source']} "
            f"(default {s['augment_diverse'].get('max_per_source')}), at {_pct(max(s['fractions']))} of "
            f"the train part and budget {budget_label(s['budgets'][-1])}."
        )
    categorical = sorted({sp["emotion"] for sp in result.splits if sp.get("label_kind") == "categorical"})
    # trial 10: a categorical-only study listed the ridge regression it does not run
    regressors = () if set(categorical) >= set(s["emotions"]) else tuple(s["regressors"])
    lines += [
        f"- Models: {', '.join(CLASSIFIER_LABELS[c] for c in (*s['classifiers'], *regressors))}."
        + (
            " The regressor is fitted on the raw ratings (a new row has its source's rating); Pearson r on the "
            "whole test part and on its rows of the thin levels (every class but the train part's largest)."
            if regressors
            else ""
        ),
        f"- Methods: {', '.join(method_label(m) for m in methods)}.",
    ]
    for m, why in result.unavailable.items():
        lines.append(f"- Not run: {method_label(m)} — {why}.")
    if categorical:
        codes = []
        for emotion in categorical:
            names = next((sp.get("class_names") for sp in result.splits if sp["emotion"] == emotion), None) or {}
            if names:
                codes.append(f"{emotion}: " + ", ".join(f"{k} = {v}" for k, v in names.items()))
        lines.append(
            f"- Categorical labels ({', '.join(categorical)}): classes are coded 1..K in the tables"
            + (f" ({'; '.join(codes)})" if codes else " (names in `metrics.json`, `splits[].class_names`)")
            + "; no MAE, no regression and no rating-lean guard, which need ordered levels."
        )
    dup = [
        c["test_texts_also_in_train"]
        for c in result.leakage
        if c["method"] == "none" and c.get("fraction") == max(s["fractions"])
    ]
    if dup and max(dup):
        lines.append(
            f"- {np.mean(dup):.1f} test sentences per split (mean) also occur verbatim in a train document "
            "(the corpus repeats some short sentences across documents); they are kept, as in any "
            "deployment, and are not leakage of rows."
        )
    lines += [
        "- **Best cheap baseline** at a point = the best mean of "
        f"{', '.join(method_label(m) for m in s['cheap_baselines'])} there, per metric. Picking it on the "
        "same test folds favours the baseline slightly (the comparison is conservative for LIC).",
        "- Intervals of differences and verdicts use the corrected resampled t-test (Nadeau & Bengio 2003), "
        "which widens the variance by n_test / n_train because the seeds' training sets overlap "
        "(at 10 % of the train part that factor is large: small-data points need large effects). "
        "▲ better, ▼ worse at corrected p < 0.05; no correction for the number of comparisons.",
        "",
    ]
    lines += _split_lines(result, s)
    lines += _added_lines(result, summary)
    lines += [
        "## Where does it help? LIC methods minus the best cheap baseline",
        "",
        "Δ (mean over seeds) [corrected 95 % interval]; ▲/▼ corrected p < 0.05. The baseline column is the "
        "best cheap method at that point and its mean.",
        "",
    ]
    for emo, model, metric in _headline_panels(summary):
        lines += [
            f"### {emo} — {CLASSIFIER_LABELS.get(model, model)} — {METRIC_LABELS.get(metric, metric)}"
            f" ({'lower' if metric in LOWER_IS_BETTER else 'higher'} is better)",
            "",
        ]
        rows = []
        for fraction, budget in points:
            base = comparisons[
                (comparisons["emotion"] == emo)
                & (comparisons["classifier"] == model)
                & (comparisons["metric"] == metric)
                & (comparisons["fraction"] == fraction)
                & (comparisons["budget"] == budget)
                & (comparisons["baseline"] == BEST_CHEAP)
            ]
            best = _best_cell(summary, emo, model, metric, fraction, budget, base)
            cells = [_pct(fraction), budget, _count(_n_train(summary, emo, fraction)), best]
            for m in [m for m in lic_methods if not m.startswith("lic_diverse_per_source_")]:
                r = base[base["method"] == m]
                cells.append(_delta(r.iloc[0]) if len(r) else "")
            rows.append(cells)
        lines += [
            markdown_table(
                rows,
                [
                    "fraction",
                    "budget",
                    "train originals",
                    "best cheap baseline",
                    *[method_label(m) for m in lic_methods if not m.startswith("lic_diverse_per_source_")],
                ],
            ),
            "",
        ]
    lines += _per_source_lines(comparisons, summary)
    lines += ["## What the numbers say", ""]
    lines += _verdict_lines(comparisons, summary)
    lines += [
        "## Means at every point",
        "",
        "Mean ± half-width of the 95 % t-interval over seeds (every metric, with intervals and tests: `metrics.csv`).",
        "",
    ]
    for emo, model, metric in _headline_panels(summary):
        lines += [f"### {emo} — {CLASSIFIER_SHORT.get(model, model)} — {METRIC_LABELS.get(metric, metric)}", ""]
        rows = []
        for fraction, budget in points:
            cells = [_pct(fraction), budget]
            for m in methods:
                r = summary[
                    (summary["emotion"] == emo)
                    & (summary["classifier"] == model)
                    & (summary["metric"] == metric)
                    & (summary["fraction"] == fraction)
                    & (summary["budget"] == budget)
                    & (summary["method"] == m)
                ]
                cells.append(_pm(float(r["mean"].iloc[0]), float(r["ci_low"].iloc[0])) if len(r) else "")
            rows.append(cells)
        lines += [markdown_table(rows, ["fraction", "budget", *[method_label(m) for m in methods]]), ""]
    lines += [
        "## Caveats",
        "",
        f"- {len(s['seeds'])} seeds: intervals are wide and the Wilcoxon test cannot reach p < 0.0625; a "
        "'no clear difference' is not evidence of no effect.",
        "- Classes with very few sentences (and whole groups of them) may be absent from a test fold or from "
        "its train part; their recall is averaged only over folds that contain them, and a class absent from "
        "train can never be predicted.",
        "- The models are deliberately simple baselines; a stronger model may gain or lose differently.",
        "",
        "Files: `metrics.json` (settings, splits and their subsets, leakage checks, rows added, per-seed "
        "scores, comparisons, timings), `metrics.csv` (summary + comparisons with no augmentation and with "
        "the best cheap baseline), `learning_curves_<model>.png` (each method against the training-set "
        "size), `gains_<model>.png` (each LIC method minus the best cheap baseline).",
        "",
    ]
    return "\n".join(lines)


def _time_split(timings: Mapping[str, float]) -> str:
    """``: fitting and scoring the models 889 s (...); making the training sets 88 s`` from the stage timings."""
    if not timings:
        return ""
    fit = {k[len("fit+predict[") : -1]: v for k, v in timings.items() if k.startswith("fit+predict[")}
    sets = sum(v for k, v in timings.items() if k.startswith("train_set["))
    parts = []
    if fit:
        each = ", ".join(
            f"{CLASSIFIER_SHORT.get(m, m)} {v:.0f} s" for m, v in sorted(fit.items(), key=lambda kv: -kv[1])
        )
        parts.append(f"fitting and scoring the models {sum(fit.values()):.0f} s ({each})")
    if sets:
        parts.append(f"making the training sets {sets:.0f} s")
    return f": {'; '.join(parts)}" if parts else ""


def figure_names(summary: pd.DataFrame) -> list[str]:
    """The figures :func:`write_outputs` draws for these results."""
    models = [m for m in (*CLASSIFIERS, *REGRESSORS) if m in set(summary["classifier"])]
    return [f"{kind}_{m}.png" for m in models for kind in ("learning_curves", "gains")]


def write_outputs(out_dir: Path, result: EvalResult, settings: EvalSettings, meta: dict) -> dict:
    """Write ``metrics.json``, ``metrics.csv``, ``evaluation.md`` and the figures into ``out_dir``."""
    from lic_gpu.io.atomic_files import write_csv, write_json, write_text

    out_dir = Path(out_dir)
    summary = summarise(result.records)
    ran = list(dict.fromkeys(result.records["method"])) if len(result.records) else []
    pairs = comparison_pairs(ran, settings.comparisons, settings.cheap_baselines)
    # paired tests on the headline metrics (per-class recall: means and intervals only)
    headline = result.records[result.records["metric"].isin((*METRICS, *REGRESSION_METRICS))]
    comparisons = compare(headline, pairs, cheap=settings.cheap_baselines)
    table = results_table(summary, comparisons)
    meta = {**meta, "settings": _jsonable(asdict(settings))}
    payload = {
        **meta,
        "groups": result.groups,
        "classes": result.classes,
        "unavailable_methods": result.unavailable,
        "splits": result.splits,
        "leakage_checks": result.leakage,
        "augmentation": result.augmentation,
        "summary": _records(summary),
        "comparisons": _records(comparisons),
        "per_seed": _records(result.records),
        "timings_s": result.timings_s,
    }
    write_json(payload, out_dir / "metrics.json")
    write_csv(table, out_dir / "metrics.csv")
    has_gains = len(comparisons) and (comparisons["baseline"] == BEST_CHEAP).any()
    for model in [m for m in (*CLASSIFIERS, *REGRESSORS) if m in set(summary["classifier"])]:
        panels = figure_panels(summary, model=model)
        plot_learning_curves(summary, out_dir / f"learning_curves_{model}.png", panels)
        if has_gains:
            plot_gains(comparisons, summary, out_dir / f"gains_{model}.png", panels)
    write_text(render_markdown(result, summary, comparisons, meta), out_dir / "evaluation.md")
    return payload


def _records(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in frame.to_dict(orient="records")
    ]


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj
