"""Scores on the test part and the statistics over seeds: means with t-intervals, paired comparisons
(Nadeau-Bengio corrected), verdicts."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from lic_gpu.evaluation.classifiers import CLASSIFIERS


# Headline metrics; per-class recall is stored as recall_<class>.
METRICS = ("macro_f1", "balanced_accuracy", "mae")
LOWER_IS_BETTER = frozenset({"mae"})
ALPHA = 0.05


def score(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[int], ordinal: bool = True) -> dict[str, float]:
    """Macro-F1 and balanced accuracy over the classes present in ``y_true``, MAE over the ordinal
    levels (not for categorical labels: ``ordinal=False``), and ``recall_<c>`` for every class in
    ``classes`` (NaN when the test part has none of it)."""
    from sklearn.metrics import f1_score

    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    present = np.unique(y_true)
    out = {"macro_f1": float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0))}
    recalls = {int(c): float(np.mean(y_pred[y_true == c] == c)) for c in present}
    out["balanced_accuracy"] = float(np.mean(list(recalls.values())))
    if ordinal:
        out["mae"] = float(np.mean(np.abs(y_pred - y_true)))
    for c in classes:
        out[f"recall_{int(c)}"] = recalls.get(int(c), float("nan"))
    return out


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and the two-sided Student-t confidence interval; NaNs dropped; (mean, nan, nan) below n=2."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(x.mean())
    if x.size < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def paired_comparison(values: Sequence[float], baseline: Sequence[float], test_train_ratio: float | None = None,
                      confidence: float = 0.95) -> dict[str, float]:
    """Paired difference ``values - baseline`` over seeds.

    Returns
    -------
    {"n", "mean_diff", "ci_low", "ci_high", "p_ttest", "p_wilcoxon", "p_corrected"}
        ``p_ttest``: paired t-test; ``p_wilcoxon``: Wilcoxon signed-rank (exact; with 5 seeds it cannot go
        below 0.0625); ``p_corrected``: Nadeau & Bengio's corrected resampled t-test, which widens the
        variance by ``n_test / n_train`` because the seeds' training sets overlap (NaN without the ratio).
    """
    from scipy import stats

    a, b = np.asarray(values, dtype=float), np.asarray(baseline, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values need equal lengths; got {a.shape} and {b.shape}")
    d = a - b
    d = d[~np.isnan(d)]
    mean, low, high = t_interval(d, confidence)
    out = {"n": int(d.size), "mean_diff": mean, "ci_low": low, "ci_high": high,
           "p_ttest": float("nan"), "p_wilcoxon": float("nan"), "p_corrected": float("nan")}
    if d.size < 2:
        return out
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        same = 1.0 if mean == 0.0 else 0.0
        out.update(p_ttest=same, p_corrected=same if test_train_ratio is not None else float("nan"))
    else:
        out["p_ttest"] = float(stats.ttest_rel(a[~np.isnan(a - b)], b[~np.isnan(a - b)]).pvalue)
        if test_train_ratio is not None:
            t = mean / (sd * math.sqrt(1.0 / d.size + float(test_train_ratio)))
            out["p_corrected"] = float(2 * stats.t.sf(abs(t), d.size - 1))
    if np.any(d != 0):
        out["p_wilcoxon"] = float(stats.wilcoxon(d).pvalue)
    else:
        out["p_wilcoxon"] = 1.0
    return out


def verdict(metric: str, comparison: Mapping[str, float], alpha: float = ALPHA) -> str:
    """``better`` / ``worse`` (corrected p below ``alpha``, by the metric's direction) or ``no clear difference``."""
    p = comparison.get("p_corrected")
    if p is None or math.isnan(p):
        p = comparison.get("p_ttest", float("nan"))
    if p is None or math.isnan(p) or p >= alpha or comparison["mean_diff"] == 0:
        return "no clear difference"
    up = comparison["mean_diff"] > 0
    return "better" if up != (metric in LOWER_IS_BETTER) else "worse"


def summarise(records: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean, sd and t-interval per emotion x classifier x method x metric (NaNs, e.g. absent classes, dropped)."""
    rows = []
    for (emo, clf, method, metric), grp in records.groupby(["emotion", "classifier", "method", "metric"],
                                                          sort=False):
        vals = grp["value"].to_numpy(dtype=float)
        mean, low, high = t_interval(vals, confidence)
        ok = vals[~np.isnan(vals)]
        rows.append({"emotion": emo, "classifier": clf, "method": method, "metric": metric, "mean": mean,
                     "sd": float(ok.std(ddof=1)) if ok.size > 1 else float("nan"), "ci_low": low,
                     "ci_high": high, "n": int(ok.size)})
    return pd.DataFrame(rows)


def compare(records: pd.DataFrame, pairs: Sequence[tuple[str, str]], confidence: float = 0.95) -> pd.DataFrame:
    """Paired comparisons (matched seeds) for every ``(method, baseline)`` pair, emotion, classifier, metric."""
    rows = []
    wide = records.pivot_table(index=["emotion", "classifier", "metric", "seed"], columns="method",
                               values="value", aggfunc="first", dropna=False)
    # n_test / n_train over the original rows, for the corrected t-test (the seeds' train parts overlap).
    per_seed = records.drop_duplicates(["emotion", "seed"])
    ratio = (per_seed["n_test"] / per_seed["n_train_originals"]).groupby(per_seed["emotion"]).mean()
    for (emo, clf, metric), grp in wide.groupby(level=["emotion", "classifier", "metric"], sort=False):
        for method, base in pairs:
            if method not in grp.columns or base not in grp.columns:
                continue
            res = paired_comparison(grp[method].to_numpy(float), grp[base].to_numpy(float),
                                    test_train_ratio=float(ratio.loc[emo]), confidence=confidence)
            rows.append({"emotion": emo, "classifier": clf, "metric": metric, "method": method, "baseline": base,
                         **res, "verdict": verdict(metric, res)})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    # Emotions as run, classifiers and pairs in their canonical order (pivot_table sorted them by name).
    emo_rank = {e: i for i, e in enumerate(dict.fromkeys(records["emotion"]))}
    clf_rank = {c: i for i, c in enumerate(CLASSIFIERS)}
    pair_rank = {p: i for i, p in enumerate(pairs)}
    key = pd.DataFrame({"e": out["emotion"].map(emo_rank), "c": out["classifier"].map(clf_rank),
                        "p": [pair_rank[(m, b)] for m, b in zip(out["method"], out["baseline"])]})
    return out.loc[key.sort_values(["e", "c", "p"], kind="stable").index].reset_index(drop=True)


def comparison_pairs(methods: Sequence[str], extra: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every method against ``none``, then the extra pairs whose two methods were run."""
    pairs = [(m, "none") for m in methods if m != "none"] if "none" in methods else []
    pairs += [p for p in extra if p[0] in methods and p[1] in methods and p not in pairs]
    return pairs
