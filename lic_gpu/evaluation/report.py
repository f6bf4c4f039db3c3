"""The evaluation's files: ``metrics.json``, ``metrics.csv``, ``evaluation.md`` and, per model, the
figures ``learning_curves_<model>.png`` and ``gains_<model>.png``."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from lic_gpu.evaluation.classifiers import CLASSIFIER_LABELS, CLASSIFIER_SHORT, CLASSIFIERS, REGRESSORS
from lic_gpu.evaluation.experiment import EvalResult
from lic_gpu.evaluation.settings import EvalSettings, budget_label, is_lic_method, method_label, method_rank
from lic_gpu.evaluation.statistics import (BEST_CHEAP, LOWER_IS_BETTER, METRICS, POINT, REGRESSION_METRICS, compare,
                                           comparison_pairs, summarise)

from lic_gpu.evaluation.figures import (HEADLINE, MARKS, METRIC_LABELS, _kind, _methods, _metric_rank,  # noqa: F401
                                      figure_panels, plot_gains, plot_learning_curves)

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
    table = table.assign(_c=table["classifier"].map({c: i for i, c in enumerate((*CLASSIFIERS, *REGRESSORS))}),
                         _k=table["metric"].map(_metric_rank), _m=table["method"].map(method_rank),
                         _b=table["budget"].map({b: i for i, b in enumerate(dict.fromkeys(summary["budget"]))}))
    table = table.sort_values(["emotion", "_c", "_k", "metric", "fraction", "_b", "_m"], kind="stable")
    return table.drop(columns=["_c", "_k", "_m", "_b"]).reset_index(drop=True)


# ---------------------------------------------------------------- evaluation.md

def _fmt(mean: float, low: float, high: float, digits: int = 3) -> str:
    if math.isnan(mean):
        return "–"
    if math.isnan(low):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def _pm(mean: float, low: float, digits: int = 3) -> str:
    if math.isnan(mean):
        return "–"
    return f"{mean:.{digits}f}" if math.isnan(low) else f"{mean:.{digits}f} ± {mean - low:.{digits}f}"


def _fmt_p(p: float) -> str:
    return "–" if p is None or math.isnan(p) else (f"{p:.3f}" if p >= 0.001 else "< 0.001")


def _delta(row: Mapping) -> str:
    low, high = row["ci_low_corrected"], row["ci_high_corrected"]
    if math.isnan(low):
        low, high = row["ci_low"], row["ci_high"]
    interval = "" if math.isnan(low) else f" [{low:+.3f}, {high:+.3f}]"
    return f"{row['mean_diff']:+.3f}{interval}{MARKS.get(row['verdict'], '')}"


def _count(x: float) -> str:
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def _points(summary: pd.DataFrame) -> list[tuple[float, str]]:
    budgets = list(dict.fromkeys(summary["budget"]))
    pts = summary[POINT].drop_duplicates()
    return sorted(((float(f), b) for f, b in pts.itertuples(index=False)), key=lambda p: (p[0], budgets.index(p[1])))


def _pct(fraction: float) -> str:
    return f"{100 * fraction:g} %"


def render_markdown(result: EvalResult, summary: pd.DataFrame, comparisons: pd.DataFrame, meta: Mapping) -> str:
    """``evaluation.md``: what was run, where LIC augmentation pays against the best cheap baseline,
    the means at every point, the rows each method added, and plain verdicts."""
    from lic_gpu.report.markdown import markdown_table

    s = meta["settings"]
    methods = _methods(summary, curve_only=False)
    lic_methods = [m for m in methods if is_lic_method(m)]
    points = _points(summary)
    lines = [f"# Where does LIC augmentation help? — {meta['corpus']}", ""]
    lines += [f"Run: `{meta['command']}`" if meta.get("command") else "",
              f"Device: {meta['device']}; {meta['when']}; wall time {meta['wall_s']:.0f} s"
              f"{_time_split(result.timings_s)}.", ""]
    if meta.get("rendered_again"):
        lines[-1:-1] = [f"Report drawn again from `metrics.json` on {meta['rendered_again']} "
                        "(`python -m lic_gpu.evaluation.rerender`); the scores are the run's."]
    lines += _in_short_lines(comparisons, summary)
    n_sets = sum(c["method"] != "(LIC word dict)" for c in result.leakage)
    lines += ["## Setup", "",
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
              "on both sides."]
    if s.get("per_source"):
        lines.append(f"- Per-source limits: LIC diverse also with `max_per_source` = {s['per_source']} "
                     f"(default {s['augment_diverse'].get('max_per_source')}), at {_pct(max(s['fractions']))} of "
                     f"the train part and budget {budget_label(s['budgets'][-1])}.")
    lines += [f"- Models: {', '.join(CLASSIFIER_LABELS[c] for c in (*s['classifiers'], *s['regressors']))}. "
              "The regressor is fitted on the raw ratings (a new row has its source's rating); Pearson r on the "
              "whole test part and on its rows of the thin levels (every class but the train part's largest).",
              f"- Methods: {', '.join(method_label(m) for m in methods)}."]
    for m, why in result.unavailable.items():
        lines.append(f"- Not run: {method_label(m)} — {why}.")
    categorical = sorted({sp["emotion"] for sp in result.splits if sp.get("label_kind") == "categorical"})
    if categorical:
        lines.append(f"- Categorical labels ({', '.join(categorical)}): classes are coded 1..K (names in "
                     "`metrics.json`, `splits[].class_names`); no MAE, no regression and no rating-lean guard, "
                     "which need ordered levels.")
    dup = [c["test_texts_also_in_train"] for c in result.leakage
           if c["method"] == "none" and c.get("fraction") == max(s["fractions"])]
    if dup and max(dup):
        lines.append(f"- {np.mean(dup):.1f} test sentences per split (mean) also occur verbatim in a train document "
                     "(the corpus repeats some short sentences across documents); they are kept, as in any "
                     "deployment, and are not leakage of rows.")
    lines += ["- **Best cheap baseline** at a point = the best mean of "
              f"{', '.join(method_label(m) for m in s['cheap_baselines'])} there, per metric. Picking it on the "
              "same test folds favours the baseline slightly (the comparison is conservative for LIC).",
              "- Intervals of differences and verdicts use the corrected resampled t-test (Nadeau & Bengio 2003), "
              "which widens the variance by n_test / n_train because the seeds' training sets overlap "
              "(at 10 % of the train part that factor is large: small-data points need large effects). "
              "▲ better, ▼ worse at corrected p < 0.05; no correction for the number of comparisons.", ""]
    lines += _split_lines(result, s)
    lines += _added_lines(result, summary)
    lines += ["## Where does it help? LIC methods minus the best cheap baseline", "",
              "Δ (mean over seeds) [corrected 95 % interval]; ▲/▼ corrected p < 0.05. The baseline column is the "
              "best cheap method at that point and its mean.", ""]
    for emo, model, metric in _headline_panels(summary):
        lines += [f"### {emo} — {CLASSIFIER_LABELS.get(model, model)} — {METRIC_LABELS.get(metric, metric)}"
                  f" ({'lower' if metric in LOWER_IS_BETTER else 'higher'} is better)", ""]
        rows = []
        for fraction, budget in points:
            base = comparisons[(comparisons["emotion"] == emo) & (comparisons["classifier"] == model) &
                               (comparisons["metric"] == metric) & (comparisons["fraction"] == fraction) &
                               (comparisons["budget"] == budget) & (comparisons["baseline"] == BEST_CHEAP)]
            best = _best_cell(summary, emo, model, metric, fraction, budget, base)
            cells = [_pct(fraction), budget, _count(_n_train(summary, emo, fraction)), best]
            for m in [m for m in lic_methods if not m.startswith("lic_diverse_per_source_")]:
                r = base[base["method"] == m]
                cells.append(_delta(r.iloc[0]) if len(r) else "")
            rows.append(cells)
        lines += [markdown_table(rows, ["fraction", "budget", "train originals", "best cheap baseline",
                                        *[method_label(m) for m in lic_methods
                                          if not m.startswith("lic_diverse_per_source_")]]), ""]
    lines += _per_source_lines(comparisons, summary)
    lines += ["## What the numbers say", ""]
    lines += _verdict_lines(comparisons, summary)
    lines += ["## Means at every point", "",
              "Mean ± half-width of the 95 % t-interval over seeds (every metric, with intervals and tests: "
              "`metrics.csv`).", ""]
    for emo, model, metric in _headline_panels(summary):
        lines += [f"### {emo} — {CLASSIFIER_SHORT.get(model, model)} — {METRIC_LABELS.get(metric, metric)}", ""]
        rows = []
        for fraction, budget in points:
            cells = [_pct(fraction), budget]
            for m in methods:
                r = summary[(summary["emotion"] == emo) & (summary["classifier"] == model) &
                            (summary["metric"] == metric) & (summary["fraction"] == fraction) &
                            (summary["budget"] == budget) & (summary["method"] == m)]
                cells.append(_pm(float(r["mean"].iloc[0]), float(r["ci_low"].iloc[0])) if len(r) else "")
            rows.append(cells)
        lines += [markdown_table(rows, ["fraction", "budget", *[method_label(m) for m in methods]]), ""]
    lines += ["## Caveats", "",
              f"- {len(s['seeds'])} seeds: intervals are wide and the Wilcoxon test cannot reach p < 0.0625; a "
              "'no clear difference' is not evidence of no effect.",
              "- Classes with very few sentences (and whole groups of them) may be absent from a test fold or from "
              "its train part; their recall is averaged only over folds that contain them, and a class absent from "
              "train can never be predicted.",
              "- The models are deliberately simple baselines; a stronger model may gain or lose differently.",
              "", "Files: `metrics.json` (settings, splits and their subsets, leakage checks, rows added, per-seed "
              "scores, comparisons, timings), `metrics.csv` (summary + comparisons with no augmentation and with "
              "the best cheap baseline), `learning_curves_<model>.png` (each method against the training-set "
              "size), `gains_<model>.png` (each LIC method minus the best cheap baseline).", ""]
    return "\n".join(lines)


def _time_split(timings: Mapping[str, float]) -> str:
    """``: fitting and scoring the models 889 s (...); making the training sets 88 s`` from the stage timings."""
    if not timings:
        return ""
    fit = {k[len("fit+predict["):-1]: v for k, v in timings.items() if k.startswith("fit+predict[")}
    sets = sum(v for k, v in timings.items() if k.startswith("train_set["))
    parts = []
    if fit:
        each = ", ".join(f"{CLASSIFIER_SHORT.get(m, m)} {v:.0f} s" for m, v in sorted(fit.items(), key=lambda kv: -kv[1]))
        parts.append(f"fitting and scoring the models {sum(fit.values()):.0f} s ({each})")
    if sets:
        parts.append(f"making the training sets {sets:.0f} s")
    return f": {'; '.join(parts)}" if parts else ""


def _headline_panels(summary: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The tables' (emotion, model, metric) rows: emotion by emotion, classifiers then the regressor."""
    return figure_panels(summary)


def figure_names(summary: pd.DataFrame) -> list[str]:
    """The figures :func:`write_outputs` draws for these results."""
    models = [m for m in (*CLASSIFIERS, *REGRESSORS) if m in set(summary["classifier"])]
    return [f"{kind}_{m}.png" for m in models for kind in ("learning_curves", "gains")]


def _n_train(summary: pd.DataFrame, emo: str, fraction: float) -> float:
    sub = summary[(summary["emotion"] == emo) & (summary["fraction"] == fraction)]
    return float(sub["n_train_originals"].mean())


def _best_cell(summary, emo, model, metric, fraction, budget, base) -> str:
    if len(base):
        best = base["baseline_method"].iloc[0]
    else:
        return ""
    r = summary[(summary["emotion"] == emo) & (summary["classifier"] == model) & (summary["metric"] == metric) &
                (summary["fraction"] == fraction) & (summary["budget"] == budget) & (summary["method"] == best)]
    return f"{method_label(best)}: {float(r['mean'].iloc[0]):.3f}" if len(r) else method_label(best)


def _split_lines(result: EvalResult, s: Mapping) -> list[str]:
    from lic_gpu.report.markdown import markdown_table

    split_df = pd.DataFrame(result.splits)
    lines = ["## Splits", ""]
    rows = []
    for emo, g in split_df.groupby("emotion", sort=False):
        test_cls = Counter()
        for d in g["test_classes"]:
            test_cls.update({int(k): v for k, v in d.items()})
        sizes = []
        for f in s["fractions"]:
            key = f"{f:g}"
            n = np.mean([sp["fractions"][key]["n_train"] for sp in g.to_dict("records")])
            grp = np.mean([sp["fractions"][key]["train_groups"] for sp in g.to_dict("records")])
            sizes.append(f"{_pct(f)}: {n:.0f} ({grp:.0f} group{'s' if round(grp) != 1 else ''})")
        rows.append([emo, "; ".join(sizes), f"{g['n_test'].mean():.0f}", f"{g['test_groups'].mean():.1f}",
                     ", ".join(f"{k}: {_count(v / len(g))}" for k, v in sorted(test_cls.items())),
                     "yes" if g["stratified"].all() else "not always"])
    lines += [markdown_table(rows, ["emotion", "train rows per fraction (mean; groups)", "test rows (mean)",
                                    "test groups (mean)", "test rows per class (mean)", "stratified"]), ""]
    # the thin classes in the smallest subsets
    small = min(s["fractions"])
    rows = []
    for emo, g in split_df.groupby("emotion", sort=False):
        counts = Counter()
        for sp in g.to_dict("records"):
            counts.update({int(k): v for k, v in sp["fractions"][f"{small:g}"]["train_classes"].items()})
        rows.append([emo, ", ".join(f"{k}: {_count(v / len(g))}" for k, v in sorted(counts.items()))])
    if small < 1:
        lines += [f"Train rows per class at {_pct(small)} (mean over seeds):", "",
                  markdown_table(rows, ["emotion", "rows per class"]), ""]
    return lines


def _added_lines(result: EvalResult, summary: pd.DataFrame) -> list[str]:
    """Rows added per method and point (mean over seeds), and LIC diverse's fill per class."""
    from lic_gpu.report.markdown import markdown_table

    aug = pd.DataFrame(result.augmentation)
    if aug.empty:
        return []
    aug = aug[aug["budget"].notna()]
    # methods that add no row (no augmentation; class weights reweigh instead) would be columns of zeros
    adds = aug.groupby("method")["n_added"].max()
    silent = sorted((m for m, n in adds.items() if n == 0), key=method_rank)
    lines = ["## Rows added to the train part", "",
             "Mean over seeds; for LIC diverse + oversampling: new sentences + duplicates."
             + (f" {' and '.join(method_label(m) for m in silent).capitalize()} add no rows." if silent else ""),
             ""]
    for emo in dict.fromkeys(aug["emotion"]):
        sub = aug[(aug["emotion"] == emo) & ~aug["method"].isin(silent)]
        methods = sorted(set(sub["method"]), key=method_rank)
        rows = []
        budget_order = list(dict.fromkeys(aug["budget"]))
        for (fraction, budget), g in sorted(sub.groupby(["fraction", "budget"], sort=False),
                                            key=lambda kv: (kv[0][0], budget_order.index(kv[0][1]))):
            cells = [_pct(fraction), budget]
            for m in methods:
                r = g[g["method"] == m]
                if r.empty:
                    cells.append("")
                elif m == "lic_diverse_oversample":
                    new = r["n_new_text"].mean()
                    cells.append(f"{new:.0f} + {r['n_added'].mean() - new:.0f}")
                else:
                    cells.append(f"{r['n_added'].mean():.0f}")
            rows.append(cells)
        lines += [f"### {emo}", "",
                  markdown_table(rows, ["fraction", "budget", *[method_label(m) for m in methods]]), ""]
        # LIC diverse's fill per class at the largest fraction
        top = sub[(sub["method"] == "lic_diverse") & (sub["fraction"] == sub["fraction"].max())]
        made: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for rec in top.to_dict("records"):
            for cls, rep in (rec.get("classes") or {}).items():
                if isinstance(rep, dict) and rep.get("requested", 0) > 0:
                    made.setdefault((rec["budget"], cls), []).append((rep["generated"], rep["requested"]))
        if made:
            classes = sorted({c for _, c in made}, key=int)
            rows = []
            for budget in dict.fromkeys(b for b, _ in made):
                cells = [budget]
                for c in classes:
                    vals = made.get((budget, c))
                    if not vals:
                        cells.append("")
                        continue
                    gen, req = np.mean([v[0] for v in vals]), np.mean([v[1] for v in vals])
                    cells.append(f"{gen:.0f} / {req:.0f} ({100 * gen / req:.0f} %)")
                rows.append(cells)
            lines += [f"LIC diverse, rows made / asked for per class at {_pct(float(sub['fraction'].max()))} of the "
                      "train part (mean over seeds):", "",
                      markdown_table(rows, ["budget", *[f"class {c}" for c in classes]]), ""]
    return lines


def _per_source_lines(comparisons: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    from lic_gpu.report.markdown import markdown_table

    variants = [m for m in _methods(summary, curve_only=False) if m.startswith("lic_diverse_per_source_")]
    if not variants or comparisons.empty:
        return []
    point = summary.loc[summary["method"] == variants[0], POINT].iloc[0]
    comparisons = comparisons[(comparisons["fraction"] == point["fraction"]) &
                              (comparisons["budget"] == point["budget"])]
    lines = ["## Per-source limits (LIC diverse)", "",
             f"At {_pct(float(point['fraction']))} of the train part and budget {point['budget']}: Δ [corrected "
             "95 % interval] against LIC diverse at its default limit and against the best cheap baseline; rows "
             "added in the tables above.", ""]
    rows = []
    for emo, model, metric in _headline_panels(summary):
        for m in ["lic_diverse", *variants]:
            cells = [emo, CLASSIFIER_SHORT.get(model, model), METRIC_LABELS.get(metric, metric), method_label(m)]
            for base in ("lic_diverse", BEST_CHEAP):
                r = comparisons[(comparisons["emotion"] == emo) & (comparisons["classifier"] == model) &
                                (comparisons["metric"] == metric) & (comparisons["method"] == m) &
                                (comparisons["baseline"] == base)]
                cells.append(_delta(r.iloc[0]) if len(r) else "")
            rows.append(cells)
    lines += [markdown_table(rows, ["emotion", "model", "metric", "method", "vs LIC diverse", "vs best cheap"]), ""]
    return lines


def _panel(comparisons: pd.DataFrame, emo: str, model: str, metric: str) -> pd.DataFrame:
    return comparisons[(comparisons["emotion"] == emo) & (comparisons["classifier"] == model) &
                       (comparisons["metric"] == metric)]


def _tally(g: pd.DataFrame) -> str:
    """``▲ a · ▼ b of n`` and where (fraction·budget) for a set of comparisons."""
    if g.empty:
        return ""
    where = [f"{_pct(f)}·{b}{MARKS[v].strip()}" for f, b, v in zip(g["fraction"], g["budget"], g["verdict"])
             if v in MARKS]
    text = f"▲ {(g['verdict'] == 'better').sum()} · ▼ {(g['verdict'] == 'worse').sum()} of {len(g)}"
    return text + (f" ({', '.join(where)})" if where else "")


def _in_short_lines(comparisons: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    """The answer first: per emotion x model x headline metric, how often the LIC methods beat or lose to
    the best cheap baseline, their best point, and whether LIC's choice of words beats random positions."""
    from lic_gpu.report.markdown import markdown_table

    if comparisons.empty:
        return []
    lic = [m for m in _methods(summary, curve_only=False) if is_lic_method(m) and m != "random_positions"]
    gains = comparisons[(comparisons["baseline"] == BEST_CHEAP) & comparisons["method"].isin(lic)]
    if gains.empty:
        return []
    rows = []
    for emo, model, metric in _headline_panels(summary):
        g = _panel(gains, emo, model, metric)
        if g.empty:
            continue
        sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
        top = g.loc[(sign * g["mean_diff"]).idxmax()]
        panel = _panel(comparisons, emo, model, metric)
        alone = panel[(panel["method"] == "lic_diverse") & (panel["baseline"] == "none")]
        ablation = panel[(panel["method"] == "lic_diverse") & (panel["baseline"] == "random_positions")]
        better, worse = (g["verdict"] == "better").sum(), (g["verdict"] == "worse").sum()
        rows.append([emo, CLASSIFIER_SHORT.get(model, model), METRIC_LABELS.get(metric, metric),
                     f"▲ {better} · ▼ {worse} of {len(g)}",
                     f"{method_label(top['method'])} at {_pct(float(top['fraction']))}·{top['budget']}: {_delta(top)}",
                     _tally(alone), _tally(ablation)])
    return ["## In short", "",
            f"Every LIC method ({', '.join(method_label(m) for m in lic)}) at every point (fraction of the "
            "train part · budget) against the best cheap baseline there, corrected paired tests over the seeds "
            "(▲ better, ▼ worse at p < 0.05); its best point (largest mean gain, corrected 95 % interval); and "
            "LIC diverse alone against no augmentation and against the same number of swaps at random "
            "positions (does choosing the words by LIC matter?). Details in the sections below.", "",
            markdown_table(rows, ["emotion", "model", "metric", "LIC vs best cheap (points × methods)",
                                  "best LIC point: Δ vs best cheap", "LIC diverse vs no augmentation",
                                  "LIC diverse vs random positions"]), ""]


def _verdict_lines(comparisons: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    """Per emotion x model x headline metric and LIC method: at how many points it beats / loses to the
    best cheap baseline and to no augmentation, and where."""
    from lic_gpu.report.markdown import markdown_table

    if comparisons.empty:
        return ["No comparison was possible (only one method)."]
    methods = [m for m in _methods(summary, curve_only=False) if is_lic_method(m)]
    lines = ["Points where a method with new text is better (▲) or worse (▼) at corrected p < 0.05, listed as "
             "fraction·budget; rows with neither are left out.", ""]
    for base, title in ((BEST_CHEAP, "against the best cheap baseline"), ("none", "against no augmentation")):
        rows, quiet = [], 0
        for emo, model, metric in _headline_panels(summary):
            sub = _panel(comparisons, emo, model, metric)
            for method in methods:
                g = sub[(sub["method"] == method) & (sub["baseline"] == base)]
                if g.empty:
                    continue
                if not g["verdict"].isin(list(MARKS)).any():
                    quiet += 1
                    continue
                rows.append([emo, CLASSIFIER_SHORT.get(model, model), METRIC_LABELS.get(metric, metric),
                             method_label(method), _tally(g)])
        lines += [f"### {title[0].upper()}{title[1:]}", ""]
        if rows:
            lines += [markdown_table(rows, ["emotion", "model", "metric", "method", "▲ / ▼ of points (where)"]), ""]
        lines += [f"{quiet} other emotion × model × metric × method rows: no point with p < 0.05 either way."
                  if rows else f"No point with p < 0.05 either way ({quiet} emotion × model × metric × method "
                  "rows).", ""]
    return lines


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
    payload = {**meta, "groups": result.groups, "classes": result.classes, "unavailable_methods": result.unavailable,
               "splits": result.splits, "leakage_checks": result.leakage, "augmentation": result.augmentation,
               "summary": _records(summary), "comparisons": _records(comparisons),
               "per_seed": _records(result.records), "timings_s": result.timings_s}
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
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in frame.to_dict(orient="records")]


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj
