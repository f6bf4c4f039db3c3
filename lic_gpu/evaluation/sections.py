"""The sections of ``evaluation.md`` (splits, rows added, per-source limits, 'In short', the verdicts)
and the number formats they share; :mod:`lic_gpu.evaluation.report` puts them together."""

from __future__ import annotations

import math
from collections import Counter
from typing import Mapping

import numpy as np
import pandas as pd

from lic_gpu.evaluation.classifiers import CLASSIFIER_SHORT
from lic_gpu.evaluation.experiment import EvalResult
from lic_gpu.evaluation.settings import is_lic_method, method_label, method_rank
from lic_gpu.evaluation.statistics import (
    BEST_CHEAP,
    LOWER_IS_BETTER,
    POINT,
)

from lic_gpu.evaluation.figures import MARKS, METRIC_LABELS, _methods, figure_panels


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


def _n_train(summary: pd.DataFrame, emo: str, fraction: float) -> float:
    sub = summary[(summary["emotion"] == emo) & (summary["fraction"] == fraction)]
    return float(sub["n_train_originals"].mean())


def _best_cell(summary, emo, model, metric, fraction, budget, base) -> str:
    if len(base):
        best = base["baseline_method"].iloc[0]
    else:
        return ""
    r = summary[
        (summary["emotion"] == emo)
        & (summary["classifier"] == model)
        & (summary["metric"] == metric)
        & (summary["fraction"] == fraction)
        & (summary["budget"] == budget)
        & (summary["method"] == best)
    ]
    return f"{method_label(best)}: {float(r['mean'].iloc[0]):.3f}" if len(r) else method_label(best)


def _split_lines(result: EvalResult, s: Mapping) -> list[str]:
    from lic_gpu.report.markdown import markdown_table

    split_df = pd.DataFrame(result.splits)
    lines = ["## Splits", ""]
    rows = []
    for emo, g in split_df.groupby("emotion", sort=False):
        test_cls: Counter[int] = Counter()
        for d in g["test_classes"]:
            test_cls.update({int(k): v for k, v in d.items()})
        sizes = []
        for f in s["fractions"]:
            key = f"{f:g}"
            n = np.mean([sp["fractions"][key]["n_train"] for sp in g.to_dict("records")])
            grp = np.mean([sp["fractions"][key]["train_groups"] for sp in g.to_dict("records")])
            sizes.append(f"{_pct(f)}: {n:.0f} ({grp:.0f} group{'s' if round(grp) != 1 else ''})")
        rows.append(
            [
                emo,
                "; ".join(sizes),
                f"{g['n_test'].mean():.0f}",
                f"{g['test_groups'].mean():.1f}",
                ", ".join(f"{k}: {_count(v / len(g))}" for k, v in sorted(test_cls.items())),
                "yes" if g["stratified"].all() else "not always",
            ]
        )
    lines += [
        markdown_table(
            rows,
            [
                "emotion",
                "train rows per fraction (mean; groups)",
                "test rows (mean)",
                "test groups (mean)",
                "test rows per class (mean)",
                "stratified",
            ],
        ),
        "",
    ]
    # the thin classes in the smallest subsets
    small = min(s["fractions"])
    rows = []
    for emo, g in split_df.groupby("emotion", sort=False):
        counts: Counter[int] = Counter()
        for sp in g.to_dict("records"):
            counts.update({int(k): v for k, v in sp["fractions"][f"{small:g}"]["train_classes"].items()})
        rows.append([emo, ", ".join(f"{k}: {_count(v / len(g))}" for k, v in sorted(counts.items()))])
    if small < 1:
        lines += [
            f"Train rows per class at {_pct(small)} (mean over seeds):",
            "",
            markdown_table(rows, ["emotion", "rows per class"]),
            "",
        ]
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
    lines = [
        "## Rows added to the train part",
        "",
        "Mean over seeds; for LIC diverse + oversampling: new sentences + duplicates."
        + (f" {' and '.join(method_label(m) for m in silent).capitalize()} add no rows." if silent else ""),
        "",
    ]
    for emo in dict.fromkeys(aug["emotion"]):
        sub = aug[(aug["emotion"] == emo) & ~aug["method"].isin(silent)]
        methods = sorted(set(sub["method"]), key=method_rank)
        rows = []
        budget_order = list(dict.fromkeys(aug["budget"]))
        for (fraction, budget), g in sorted(
            sub.groupby(["fraction", "budget"], sort=False), key=lambda kv: (kv[0][0], budget_order.index(kv[0][1]))
        ):
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
        lines += [
            f"### {emo}",
            "",
            markdown_table(rows, ["fraction", "budget", *[method_label(m) for m in methods]]),
            "",
        ]
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
            lines += [
                f"LIC diverse, rows made / asked for per class at {_pct(float(sub['fraction'].max()))} of the "
                "train part (mean over seeds):",
                "",
                markdown_table(rows, ["budget", *[f"class {c}" for c in classes]]),
                "",
            ]
    return lines


def _per_source_lines(comparisons: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    from lic_gpu.report.markdown import markdown_table

    variants = [m for m in _methods(summary, curve_only=False) if m.startswith("lic_diverse_per_source_")]
    if not variants or comparisons.empty:
        return []
    point = summary.loc[summary["method"] == variants[0], POINT].iloc[0]
    comparisons = comparisons[
        (comparisons["fraction"] == point["fraction"]) & (comparisons["budget"] == point["budget"])
    ]
    lines = [
        "## Per-source limits (LIC diverse)",
        "",
        f"At {_pct(float(point['fraction']))} of the train part and budget {point['budget']}: Δ [corrected "
        "95 % interval] against LIC diverse at its default limit and against the best cheap baseline; rows "
        "added in the tables above.",
        "",
    ]
    rows = []
    for emo, model, metric in _headline_panels(summary):
        for m in ["lic_diverse", *variants]:
            cells = [emo, CLASSIFIER_SHORT.get(model, model), METRIC_LABELS.get(metric, metric), method_label(m)]
            for base in ("lic_diverse", BEST_CHEAP):
                r = comparisons[
                    (comparisons["emotion"] == emo)
                    & (comparisons["classifier"] == model)
                    & (comparisons["metric"] == metric)
                    & (comparisons["method"] == m)
                    & (comparisons["baseline"] == base)
                ]
                cells.append(_delta(r.iloc[0]) if len(r) else "")
            rows.append(cells)
    lines += [markdown_table(rows, ["emotion", "model", "metric", "method", "vs LIC diverse", "vs best cheap"]), ""]
    same = [m for m in variants if _same_as_lic_diverse(comparisons, m)]
    if same:
        # trial 9: a limit no source reached trains on LIC diverse's own rows; its verdicts only repeat LIC diverse's
        lines += [
            f"{', '.join(method_label(m) for m in same)}: the same scores as LIC diverse at every seed, model and "
            "metric (no source reached the lower of the two limits, so the training sets are LIC diverse's); its ▲/▼ "
            "counts above repeat LIC diverse's.",
            "",
        ]
    return lines


def _same_as_lic_diverse(comparisons: pd.DataFrame, method: str) -> bool:
    """Whether every comparison of ``method`` with LIC diverse is exactly zero (the same training sets)."""
    vs = comparisons[(comparisons["method"] == method) & (comparisons["baseline"] == "lic_diverse")]
    if vs.empty:
        return False
    cols = [c for c in ("mean_diff", "ci_low", "ci_high", "ci_low_corrected", "ci_high_corrected") if c in vs]
    values = vs[cols].to_numpy(dtype=float)
    return bool(np.all((values == 0) | np.isnan(values)) and np.all(vs["mean_diff"].to_numpy(dtype=float) == 0))


def _panel(comparisons: pd.DataFrame, emo: str, model: str, metric: str) -> pd.DataFrame:
    return comparisons[
        (comparisons["emotion"] == emo) & (comparisons["classifier"] == model) & (comparisons["metric"] == metric)
    ]


def _tally(g: pd.DataFrame) -> str:
    """``▲ a · ▼ b of n`` and where (fraction·budget) for a set of comparisons."""
    if g.empty:
        return ""
    where = [
        f"{_pct(f)}·{b}{MARKS[v].strip()}" for f, b, v in zip(g["fraction"], g["budget"], g["verdict"]) if v in MARKS
    ]
    text = f"▲ {(g['verdict'] == 'better').sum()} · ▼ {(g['verdict'] == 'worse').sum()} of {len(g)}"
    return text + (f" ({', '.join(where)})" if where else "")


def _in_words(counts: Counter) -> str:
    """The table's answer as a sentence (trial 9: a reader of a small study looked for one and found a legend)."""
    verdict = (
        f"no LIC method was better than the best cheap baseline at any of the {counts['points']} method-points"
        if not counts["better"]
        else f"LIC methods were better than the best cheap baseline at {counts['better']} of {counts['points']} "
        "method-points"
    )
    alone = (
        f"LIC diverse alone against no augmentation: better at {counts['alone_better']}, worse at "
        f"{counts['alone_worse']} of {counts['alone']} points"
        if counts["alone"]
        else ""
    )
    return (
        f"**On this data, {verdict}, and worse at {counts['worse']}.** "
        + (f"{alone}. " if alone else "")
        + "A point with neither mark is no evidence of no effect: with few test rows in the thin levels only large "
        "differences show (the corrected intervals below say how large)."
    )


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
    counts: Counter[str] = Counter()
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
        counts.update(
            {
                "points": len(g),
                "better": int(better),
                "worse": int(worse),
                "alone": len(alone),
                "alone_better": int((alone["verdict"] == "better").sum()),
                "alone_worse": int((alone["verdict"] == "worse").sum()),
            }
        )
        rows.append(
            [
                emo,
                CLASSIFIER_SHORT.get(model, model),
                METRIC_LABELS.get(metric, metric),
                f"▲ {better} · ▼ {worse} of {len(g)}",
                f"{method_label(top['method'])} at {_pct(float(top['fraction']))}·{top['budget']}: {_delta(top)}",
                _tally(alone),
                _tally(ablation),
            ]
        )
    return [
        "## In short",
        "",
        _in_words(counts),
        "",
        f"Every LIC method ({', '.join(method_label(m) for m in lic)}) at every point (fraction of the "
        "train part · budget) against the best cheap baseline there, corrected paired tests over the seeds "
        "(▲ better, ▼ worse at p < 0.05); its best point (largest mean gain, corrected 95 % interval); and "
        "LIC diverse alone against no augmentation and against the same number of swaps at random "
        "positions (does choosing the words by LIC matter?). Details in the sections below.",
        "",
        markdown_table(
            rows,
            [
                "emotion",
                "model",
                "metric",
                "LIC vs best cheap (points × methods)",
                "best LIC point: Δ vs best cheap",
                "LIC diverse vs no augmentation",
                "LIC diverse vs random positions",
            ],
        ),
        "",
    ]


def _verdict_lines(comparisons: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    """Per emotion x model x headline metric and LIC method: at how many points it beats / loses to the
    best cheap baseline and to no augmentation, and where."""
    from lic_gpu.report.markdown import markdown_table

    if comparisons.empty:
        return ["No comparison was possible (only one method)."]
    methods = [m for m in _methods(summary, curve_only=False) if is_lic_method(m)]
    lines = [
        "Points where a method with new text is better (▲) or worse (▼) at corrected p < 0.05, listed as "
        "fraction·budget; rows with neither are left out.",
        "",
    ]
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
                rows.append(
                    [
                        emo,
                        CLASSIFIER_SHORT.get(model, model),
                        METRIC_LABELS.get(metric, metric),
                        method_label(method),
                        _tally(g),
                    ]
                )
        lines += [f"### {title[0].upper()}{title[1:]}", ""]
        if rows:
            lines += [markdown_table(rows, ["emotion", "model", "metric", "method", "▲ / ▼ of points (where)"]), ""]
        lines += [
            f"{quiet} other emotion × model × metric × method rows: no point with p < 0.05 either way."
            if rows
            else f"No point with p < 0.05 either way ({quiet} emotion × model × metric × method rows).",
            "",
        ]
    return lines


def _headline_panels(summary: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The tables' (emotion, model, metric) rows: emotion by emotion, classifiers then the regressor."""
    return figure_panels(summary)
