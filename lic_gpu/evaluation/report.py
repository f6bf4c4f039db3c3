"""The evaluation's files: ``metrics.json``, ``metrics.csv``, ``metrics.png`` and ``evaluation.md``."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from lic_gpu.evaluation.classifiers import CLASSIFIER_LABELS, CLASSIFIER_SHORT
from lic_gpu.evaluation.experiment import EvalResult
from lic_gpu.evaluation.settings import METHOD_LABELS, METHODS, EvalSettings
from lic_gpu.evaluation.statistics import LOWER_IS_BETTER, METRICS, compare, comparison_pairs, summarise


def results_table(summary: pd.DataFrame, comparisons: pd.DataFrame) -> pd.DataFrame:
    """``metrics.csv``: the summary, with the comparison against ``none`` joined on."""
    vs_none = comparisons[comparisons["baseline"] == "none"].drop(columns="baseline")
    vs_none = vs_none.rename(columns={c: f"vs_none_{c}" for c in vs_none.columns
                                      if c not in ("emotion", "classifier", "metric", "method")})
    table = summary.merge(vs_none, on=["emotion", "classifier", "method", "metric"], how="left")
    order = {m: i for i, m in enumerate(METHODS)}
    metric_rank = {m: i for i, m in enumerate(METRICS)}
    table["_m"] = table["method"].map(order)
    table["_k"] = table["metric"].map(lambda m: metric_rank.get(m, len(METRICS)))
    table = table.sort_values(["emotion", "classifier", "_k", "metric", "_m"], kind="stable")
    return table.drop(columns=["_m", "_k"]).reset_index(drop=True)


def plot_metrics(summary: pd.DataFrame, path: Path, metrics: Sequence[str] = METRICS) -> Path:
    """One panel per (emotion, classifier) x metric: methods with their mean and 95 % CI; dashed line = none."""
    from lic_gpu.figures import pyplot, save_figure

    plt = pyplot()
    panels = summary[["emotion", "classifier"]].drop_duplicates().itertuples(index=False)
    panels = list(panels)
    methods = [m for m in METHODS if m in set(summary["method"])]
    fig, axes = plt.subplots(len(panels), len(metrics), figsize=(4.6 * len(metrics), 0.42 * len(methods) * len(panels) + 1.6 * len(panels)),
                             squeeze=False)
    colours = plt.get_cmap("tab10")
    for r, (emo, clf) in enumerate(panels):
        for c, metric in enumerate(metrics):
            ax = axes[r][c]
            sub = summary[(summary["emotion"] == emo) & (summary["classifier"] == clf) & (summary["metric"] == metric)]
            sub = sub.set_index("method").reindex(methods)
            y = np.arange(len(methods))[::-1]
            for i, m in enumerate(methods):
                mean, low, high = sub.loc[m, ["mean", "ci_low", "ci_high"]].astype(float)
                err = None if math.isnan(low) else [[mean - low], [high - mean]]
                ax.errorbar(mean, y[i], xerr=err, fmt="o", color=colours(i), capsize=4, markersize=6)
            if "none" in sub.index and not math.isnan(float(sub.loc["none", "mean"])):
                ax.axvline(float(sub.loc["none", "mean"]), color="grey", linestyle="--", linewidth=1)
            ax.set_yticks(y)
            ax.set_yticklabels([METHOD_LABELS[m] for m in methods] if c == 0 else [])
            better = "lower is better" if metric in LOWER_IS_BETTER else "higher is better"
            ax.set_title(f"{emo} · {CLASSIFIER_LABELS.get(clf, clf).split(' (')[0]}\n{metric} ({better})", fontsize=10)
            ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Held-out originals: mean over seeds with 95 % t-interval (dashed: no augmentation)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    return save_figure(fig, Path(path), dpi=120)


def _fmt(mean: float, low: float, high: float, digits: int = 3) -> str:
    if math.isnan(mean):
        return "–"
    if math.isnan(low):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def _fmt_p(p: float) -> str:
    return "–" if p is None or math.isnan(p) else (f"{p:.3f}" if p >= 0.001 else "< 0.001")


def _p_phrase(p: float) -> str:
    text = _fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _count(x: float) -> str:
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def render_markdown(result: EvalResult, summary: pd.DataFrame, comparisons: pd.DataFrame, meta: Mapping) -> str:
    """``evaluation.md``: what was run, the results table, the paired comparisons, and plain verdicts."""
    from lic_gpu.report import markdown_table

    s = meta["settings"]
    lines = [f"# Does LIC augmentation help? — {meta['corpus']}", ""]
    lines += [f"Run: `{meta['command']}`" if meta.get("command") else "",
              f"Device: {meta['device']}; wall time {meta['wall_s']:.0f} s; {meta['when']}.", ""]
    lines += ["## Setup", "",
              f"- Emotions {s['emotions']}, classes by `{s['binning']}`; seeds {s['seeds']} "
              f"({len(s['seeds'])} folds of a stratified group K-fold, K = {result.splits[0]['n_folds']}; "
              "test sets are disjoint).",
              f"- Split by group **{result.groups}** before anything is learned; LIC, the neighbours and every "
              "new row come from the train part only; the test part is originals only.",
              f"- Leakage check: {sum(c['method'] != '(LIC word dict)' for c in result.leakage)} training sets "
              "and the LIC word dict of every split checked: no test row in any of them (neither as a row nor "
              "as the source of a new row), no group on both sides.",
              f"- Class targets for oversampling and every LIC method: `sampling_strategy={s['sampling_strategy']!r}`.",
              f"- Classifiers: {', '.join(CLASSIFIER_LABELS[c] for c in s['classifiers'])}.",
              f"- Methods: {', '.join(METHOD_LABELS[m] for m in s['methods'] if m not in result.unavailable)}."]
    for m, why in result.unavailable.items():
        lines.append(f"- Not run: {METHOD_LABELS[m]} — {why}.")
    guard = meta.get("guard") or {}
    if guard.get("enabled") and "lic_diverse_guard" not in result.unavailable:
        lines.append(f"- Guards of LIC diverse + guard: {', '.join(guard.get('guards', [])) or 'none'} "
                     "(`augment.guard`; prepared on each split's train-only LIC; settings in `metrics.json`).")
    categorical = sorted({sp["emotion"] for sp in result.splits if sp.get("label_kind") == "categorical"})
    if categorical:
        lines.append(f"- Categorical labels ({', '.join(categorical)}): classes are coded 1..K (names in "
                     "`metrics.json`, `splits[].class_names`); no MAE and no rating-lean guard, which need "
                     "ordered levels.")
    dup = [c["test_texts_also_in_train"] for c in result.leakage if c["method"] == "none"]
    if dup and max(dup):
        lines.append(f"- {np.mean(dup):.1f} test sentences per split (mean) also occur verbatim in a train document "
                     "(the corpus repeats some short sentences across documents); they are kept, as in any "
                     "deployment, and are not leakage of rows.")
    lines += ["- Verdicts use the corrected resampled t-test (Nadeau & Bengio 2003) at p < 0.05, which accounts for "
              "overlapping training sets; the plain paired t-test is in `metrics.csv`. No correction for the "
              "number of comparisons.", ""]
    split_df = pd.DataFrame(result.splits)
    lines += ["## Splits", ""]
    rows = []
    for emo, g in split_df.groupby("emotion", sort=False):
        test_cls = Counter()
        for d in g["test_classes"]:
            test_cls.update({int(k): v for k, v in d.items()})
        rows.append([emo, f"{g['n_train'].mean():.0f}", f"{g['n_test'].mean():.0f}",
                     f"{g['test_groups'].mean():.1f}",
                     ", ".join(f"{k}: {_count(v / len(g))}" for k, v in sorted(test_cls.items())),
                     "yes" if g["stratified"].all() else "not always"])
    lines += [markdown_table(rows, ["emotion", "train rows (mean)", "test rows (mean)", "test groups (mean)",
                                    "test rows per class (mean)", "stratified"]), ""]
    aug_df = pd.DataFrame(result.augmentation)
    if not aug_df.empty:
        added = aug_df.groupby(["emotion", "method"], sort=False)["n_added"].mean().unstack("method")
        added = added[[m for m in METHODS if m in added.columns]]
        lines += ["Rows added to the train part (mean over seeds):", "",
                  markdown_table([[e, *[f"{v:.0f}" for v in r]] for e, r in added.iterrows()],
                                 ["emotion", *[METHOD_LABELS[m] for m in added.columns]]), ""]
        lines += _fill_lines(result.augmentation)
    lines += ["## Results (held-out originals, mean [95 % CI] over seeds)", ""]
    for (emo, clf), _ in summary.groupby(["emotion", "classifier"], sort=False):
        lines += [f"### {emo} — {CLASSIFIER_LABELS.get(clf, clf)}", ""]
        rows = []
        for method in [m for m in METHODS if m in set(summary["method"])]:
            cells = [METHOD_LABELS[method]]
            for metric in METRICS:
                r = summary[(summary["emotion"] == emo) & (summary["classifier"] == clf) &
                            (summary["method"] == method) & (summary["metric"] == metric)]
                cells.append(_fmt(*r[["mean", "ci_low", "ci_high"]].iloc[0].astype(float)) if len(r) else "–")
            c = comparisons[(comparisons["emotion"] == emo) & (comparisons["classifier"] == clf) &
                            (comparisons["method"] == method) & (comparisons["baseline"] == "none") &
                            (comparisons["metric"] == "macro_f1")]
            if len(c):
                c = c.iloc[0]
                cells += [f"{c['mean_diff']:+.3f} [{c['ci_low']:+.3f}, {c['ci_high']:+.3f}]",
                          _fmt_p(c["p_corrected"]), c["verdict"]]
            else:
                cells += ["", "", ""]
            rows.append(cells)
        lines += [markdown_table(rows, ["method", "macro-F1", "balanced accuracy", "MAE", "Δ macro-F1 vs none",
                                        "p (corrected)", "verdict (macro-F1)"]), ""]
        recall = summary[(summary["emotion"] == emo) & (summary["classifier"] == clf) &
                         summary["metric"].str.startswith("recall_")]
        if len(recall):
            pivot = recall.pivot_table(index="method", columns="metric", values="mean", aggfunc="first")
            pivot = pivot.reindex([m for m in METHODS if m in pivot.index])
            cols = sorted(pivot.columns, key=lambda m: int(m.split("_", 1)[1]))
            lines += ["Recall per class (mean over the seeds whose test part has that class):", "",
                      markdown_table([[METHOD_LABELS[m], *[f"{pivot.loc[m, c]:.3f}" if not math.isnan(pivot.loc[m, c])
                                                            else "–" for c in cols]] for m in pivot.index],
                                     ["method", *[f"class {c.split('_', 1)[1]}" for c in cols]]), ""]
    lines += ["## What the numbers say", ""]
    lines += _verdict_lines(comparisons)
    lines += ["", "## Caveats", "",
              f"- {len(s['seeds'])} seeds: intervals are wide and the Wilcoxon test cannot reach p < 0.0625; a "
              "'no clear difference' is not evidence of no effect.",
              "- Classes with very few sentences (and whole groups of them) may be absent from a test fold or from "
              "its train part; their recall is averaged only over folds that contain them, and a class absent from "
              "train can never be predicted.",
              "- The classifiers are deliberately simple baselines; a stronger model may gain or lose differently.",
              "", "Files: `metrics.json` (settings, splits, leakage checks, per-seed scores, comparisons, timings), "
              "`metrics.csv` (summary + comparison with no augmentation), `metrics.png`.", ""]
    return "\n".join(lines)


def _fill_lines(augmentation: Sequence[Mapping]) -> list[str]:
    """Per emotion: rows generated / requested per class and method (mean over seeds); shows where a
    method could not reach the shared class targets (tiny classes give LIC few sentences to vary)."""
    from lic_gpu.report import markdown_table

    lines = []
    for emo in dict.fromkeys(rec["emotion"] for rec in augmentation):
        made: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for rec in (r for r in augmentation if r["emotion"] == emo):
            for cls, rep in (rec.get("classes") or {}).items():
                if isinstance(rep, dict) and rep.get("requested", 0) > 0:
                    made.setdefault((rec["method"], cls), []).append((rep["generated"], rep["requested"]))
        if not made:
            continue
        classes = sorted({c for _, c in made}, key=int)
        methods = [m for m in METHODS if any((m, c) in made for c in classes)]
        rows = []
        for m in methods:
            cells = [METHOD_LABELS[m]]
            for c in classes:
                vals = made.get((m, c))
                if not vals:
                    cells.append("")
                    continue
                gen, req = np.mean([v[0] for v in vals]), np.mean([v[1] for v in vals])
                cells.append(f"{gen:.0f} / {req:.0f} ({100 * gen / req:.0f} %)")
            rows.append(cells)
        lines += [f"{emo}: rows generated / requested per class (mean over seeds; the random-position "
                  "ablation requests exactly the rows LIC diverse made):", "",
                  markdown_table(rows, ["method", *[f"class {c}" for c in classes]]), ""]
    return lines


def _verdict_lines(comparisons: pd.DataFrame) -> list[str]:
    """Headline sentences, then every comparison on macro-F1 as one table (rows: pairs; columns: panels)."""
    from lic_gpu.report import markdown_table

    if comparisons.empty:
        return ["No comparison was possible (only one method)."]
    f1 = comparisons[comparisons["metric"] == "macro_f1"]
    panels = list(dict.fromkeys(zip(f1["emotion"], f1["classifier"])))
    lines = []
    for emo, clf in panels:
        g = f1[(f1["emotion"] == emo) & (f1["classifier"] == clf) & (f1["baseline"] == "none")]
        better = [METHOD_LABELS[m] for m in g.loc[g["verdict"] == "better", "method"]]
        worse = [METHOD_LABELS[m] for m in g.loc[g["verdict"] == "worse", "method"]]
        lic = g[g["method"].str.startswith("lic_")]
        lic_better = lic[lic["verdict"] == "better"]
        text = f"- **{emo}, {CLASSIFIER_LABELS.get(clf, clf)}**: "
        text += (f"better than no augmentation on macro-F1: {', '.join(better)}" if better
                 else "no method is clearly better than no augmentation on macro-F1")
        text += f"; worse: {', '.join(worse)}." if worse else "."
        mae = comparisons[(comparisons["emotion"] == emo) & (comparisons["classifier"] == clf) &
                          (comparisons["baseline"] == "none") & (comparisons["metric"] == "mae")]
        mae_worse = [METHOD_LABELS[m] for m in mae.loc[mae["verdict"] == "worse", "method"]]
        mae_better = [METHOD_LABELS[m] for m in mae.loc[mae["verdict"] == "better", "method"]]
        if mae_worse:
            text += f" MAE is worse than without augmentation for: {', '.join(mae_worse)}."
        if mae_better:
            text += f" MAE is better for: {', '.join(mae_better)}."
        if len(lic) and lic_better.empty:
            text += " No LIC method clearly helps here."
        for method, base in (("lic_diverse", "random_positions"), ("lic_diverse", "oversample")):
            row = f1[(f1["emotion"] == emo) & (f1["classifier"] == clf) & (f1["method"] == method) &
                     (f1["baseline"] == base)]
            if len(row):
                r = row.iloc[0]
                text += (f" {METHOD_LABELS[method]} vs {METHOD_LABELS[base]}: {r['mean_diff']:+.3f} "
                         f"({_p_phrase(r['p_corrected'])}, {r['verdict']}).")
        lines.append(text)
    lines += ["", "Every comparison on macro-F1: difference [95 % CI], corrected p, verdict "
              "(balanced accuracy and MAE: `metrics.csv`, `metrics.json`).", ""]
    pairs = list(dict.fromkeys(zip(f1["method"], f1["baseline"])))
    rows = []
    for method, base in pairs:
        cells = [f"{METHOD_LABELS[method]} vs {METHOD_LABELS[base]}"]
        for emo, clf in panels:
            r = f1[(f1["emotion"] == emo) & (f1["classifier"] == clf) & (f1["method"] == method) &
                   (f1["baseline"] == base)]
            if not len(r):
                cells.append("")
                continue
            r = r.iloc[0]
            mark = {"better": " ▲", "worse": " ▼"}.get(r["verdict"], "")
            cells.append(f"{r['mean_diff']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] "
                         f"{_p_phrase(r['p_corrected'])}{mark}")
        rows.append(cells)
    header = ["comparison", *[f"{emo} · {CLASSIFIER_SHORT.get(clf, clf)}" for emo, clf in panels]]
    lines += [markdown_table(rows, header), "", "▲ better, ▼ worse at corrected p < 0.05; blank: no clear difference."]
    return lines


def write_outputs(out_dir: Path, result: EvalResult, settings: EvalSettings, meta: dict) -> dict:
    """Write ``metrics.json``, ``metrics.csv``, ``metrics.png`` and ``evaluation.md`` into ``out_dir``."""
    from lic_gpu.atomic_files import write_csv, write_json, write_text

    out_dir = Path(out_dir)
    summary = summarise(result.records)
    pairs = comparison_pairs([m for m in settings.methods if m not in result.unavailable], settings.comparisons)
    comparisons = compare(result.records, pairs)
    table = results_table(summary, comparisons)
    meta = {**meta, "settings": _jsonable(asdict(settings))}
    payload = {**meta, "groups": result.groups, "classes": result.classes, "unavailable_methods": result.unavailable,
               "splits": result.splits, "leakage_checks": result.leakage, "augmentation": result.augmentation,
               "summary": _records(summary), "comparisons": _records(comparisons),
               "per_seed": _records(result.records), "timings_s": result.timings_s}
    write_json(payload, out_dir / "metrics.json")
    write_csv(table, out_dir / "metrics.csv")
    plot_metrics(summary, out_dir / "metrics.png")
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
