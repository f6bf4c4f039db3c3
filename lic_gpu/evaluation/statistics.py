"""Scores on the test part and the statistics over seeds: means with t-intervals, paired comparisons
(Nadeau-Bengio corrected), verdicts, at every point (fraction, budget) of a study."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from lic_gpu.evaluation.classifiers import CLASSIFIERS, REGRESSORS
from lic_gpu.evaluation.settings import PER_SOURCE_PREFIX, is_lic_method, method_rank


# Headline metrics; per-class recall is stored as recall_<class>.
METRICS = ("macro_f1", "balanced_accuracy", "mae")
# The regressors' metrics: Pearson r on the whole test part and on its rows of the thin levels.
REGRESSION_METRICS = ("pearson_r", "pearson_r_thin")
LOWER_IS_BETTER = frozenset({"mae"})
ALPHA = 0.05
# The baseline name that stands for the best of the cheap baselines at each point
BEST_CHEAP = "best_cheap"
# A point of a study: the share of the train part and the budget (as labelled in the records)
POINT = ["fraction", "budget"]


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


def score_regression(ratings: np.ndarray, predicted: np.ndarray, thin: np.ndarray) -> dict[str, float]:
    """Pearson r of predicted and true ratings on the whole test part and on its rows of the thin levels
    (``thin``: a boolean mask; NaN where fewer than 3 rows or a constant side)."""
    ratings, predicted, thin = (
        np.asarray(ratings, dtype=float),
        np.asarray(predicted, dtype=float),
        np.asarray(thin, dtype=bool),
    )
    return {"pearson_r": _pearson(ratings, predicted), "pearson_r_thin": _pearson(ratings[thin], predicted[thin])}


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


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


def paired_comparison(
    values: Sequence[float], baseline: Sequence[float], test_train_ratio: float | None = None, confidence: float = 0.95
) -> dict[str, float]:
    """Paired difference ``values - baseline`` over seeds.

    Returns
    -------
    {"n", "mean_diff", "ci_low", "ci_high", "ci_low_corrected", "ci_high_corrected", "p_ttest", "p_wilcoxon",
     "p_corrected"}
        ``ci_*``: the t-interval of the differences; ``ci_*_corrected``: the interval that goes with
        ``p_corrected`` (NaN without the ratio). ``p_ttest``: paired t-test; ``p_wilcoxon``: Wilcoxon
        signed-rank (exact; with 5 seeds it cannot go below 0.0625); ``p_corrected``: Nadeau & Bengio's
        corrected resampled t-test, which widens the variance by ``n_test / n_train`` because the seeds'
        training sets overlap (NaN without the ratio).
    """
    from scipy import stats

    a, b = np.asarray(values, dtype=float), np.asarray(baseline, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values need equal lengths; got {a.shape} and {b.shape}")
    d = a - b
    d = d[~np.isnan(d)]
    mean, low, high = t_interval(d, confidence)
    out = {
        "n": int(d.size),
        "mean_diff": mean,
        "ci_low": low,
        "ci_high": high,
        "ci_low_corrected": float("nan"),
        "ci_high_corrected": float("nan"),
        "p_ttest": float("nan"),
        "p_wilcoxon": float("nan"),
        "p_corrected": float("nan"),
    }
    if d.size < 2:
        return out
    sd = float(d.std(ddof=1))
    if test_train_ratio is not None:
        t_crit = float(stats.t.ppf(0.5 + confidence / 2, d.size - 1))
        half = t_crit * sd * math.sqrt(1.0 / d.size + float(test_train_ratio))
        out.update(ci_low_corrected=mean - half, ci_high_corrected=mean + half)
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
    """Mean, sd and t-interval per emotion x model x point x method x metric (NaNs, e.g. absent classes,
    dropped), with the mean training-set sizes."""
    rows = []
    keys = ["emotion", "classifier", *POINT, "method", "metric"]
    for key, grp in records.groupby(keys, sort=False):
        vals = grp["value"].to_numpy(dtype=float)
        mean, low, high = t_interval(vals, confidence)
        ok = vals[~np.isnan(vals)]
        rows.append(
            {
                **dict(zip(keys, key)),
                "mean": mean,
                "sd": float(ok.std(ddof=1)) if ok.size > 1 else float("nan"),
                "ci_low": low,
                "ci_high": high,
                "n": int(ok.size),
                "n_train_originals": float(grp["n_train_originals"].mean()),
                "n_train": float(grp["n_train"].mean()),
            }
        )
    return pd.DataFrame(rows)


def best_cheap(summary: pd.DataFrame, cheap: Sequence[str]) -> pd.DataFrame:
    """The best cheap baseline (by mean, in the metric's direction) per emotion x model x point x metric:
    columns ``emotion, classifier, fraction, budget, metric, baseline_method``."""
    sub = summary[summary["method"].isin(list(cheap))]
    rows = []
    for key, grp in sub.groupby(["emotion", "classifier", *POINT, "metric"], sort=False):
        grp = grp.dropna(subset=["mean"])
        if grp.empty:
            continue
        lower = key[-1] in LOWER_IS_BETTER
        best = grp.loc[grp["mean"].idxmin() if lower else grp["mean"].idxmax(), "method"]
        rows.append({**dict(zip(["emotion", "classifier", *POINT, "metric"], key)), "baseline_method": best})
    return pd.DataFrame(rows, columns=["emotion", "classifier", *POINT, "metric", "baseline_method"])


def compare(
    records: pd.DataFrame, pairs: Sequence[tuple[str, str]], confidence: float = 0.95, cheap: Sequence[str] = ()
) -> pd.DataFrame:
    """Paired comparisons (matched seeds) for every ``(method, baseline)`` pair, emotion, model, point and
    metric. The baseline :data:`BEST_CHEAP` is the best of ``cheap`` at that point and metric (column
    ``baseline_method``); a pair is skipped where either method did not run."""
    cols = ["emotion", "classifier", *POINT, "metric", "method", "baseline", "baseline_method"]
    rows = []
    wide = records.pivot_table(
        index=["emotion", "classifier", *POINT, "metric", "seed"],
        columns="method",
        values="value",
        aggfunc="first",
        dropna=False,
    )
    # n_test / n_train over the original rows at each fraction, for the corrected t-test (the seeds'
    # training sets overlap)
    per_seed = records.drop_duplicates(["emotion", "seed", "fraction"])
    ratio = (
        (per_seed["n_test"] / per_seed["n_train_originals"]).groupby([per_seed["emotion"], per_seed["fraction"]]).mean()
    )
    best = best_cheap(summarise(records, confidence), cheap) if cheap else pd.DataFrame(columns=cols)
    best = {tuple(r[:-1]): r[-1] for r in best.itertuples(index=False)}
    for key, grp in wide.groupby(level=["emotion", "classifier", *POINT, "metric"], sort=False):
        emo, clf, fraction, budget, metric = key
        present = [m for m in grp.columns if grp[m].notna().any()]
        for method, base in pairs:
            base_method = best.get(key) if base == BEST_CHEAP else base
            if method not in present or base_method not in present or method == base_method:
                continue
            res = paired_comparison(
                grp[method].to_numpy(float),
                grp[base_method].to_numpy(float),
                test_train_ratio=float(ratio.loc[(emo, fraction)]),
                confidence=confidence,
            )
            rows.append(
                {
                    "emotion": emo,
                    "classifier": clf,
                    "fraction": fraction,
                    "budget": budget,
                    "metric": metric,
                    "method": method,
                    "baseline": base,
                    "baseline_method": base_method,
                    **res,
                    "verdict": verdict(metric, res),
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    # Emotions as run, models, points and pairs in their canonical order (pivot_table sorted them by name).
    emo_rank = {e: i for i, e in enumerate(dict.fromkeys(records["emotion"]))}
    clf_rank = {c: i for i, c in enumerate((*CLASSIFIERS, *REGRESSORS))}
    budget_rank = {b: i for i, b in enumerate(dict.fromkeys(records["budget"]))}
    pair_rank = {p: i for i, p in enumerate(pairs)}
    key = pd.DataFrame(
        {
            "e": out["emotion"].map(emo_rank),
            "c": out["classifier"].map(clf_rank),
            "f": out["fraction"],
            "b": out["budget"].map(budget_rank),
            "p": [pair_rank[(m, b)] for m, b in zip(out["method"], out["baseline"])],
        }
    )
    return out.loc[key.sort_values(["e", "c", "f", "b", "p"], kind="stable").index].reset_index(drop=True)


def comparison_pairs(
    methods: Sequence[str], extra: Sequence[tuple[str, str]], cheap: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """Every method against ``none``; every LIC method (and the ablation) against the best cheap
    baseline; every per-source variant against ``lic_diverse``; then the extra pairs whose two methods
    were run."""
    methods = sorted(dict.fromkeys(methods), key=method_rank)
    pairs = [(m, "none") for m in methods if m != "none"] if "none" in methods else []
    if cheap and any(c in methods for c in cheap):
        pairs += [(m, BEST_CHEAP) for m in methods if is_lic_method(m)]
    if "lic_diverse" in methods:
        pairs += [(m, "lic_diverse") for m in methods if m.startswith(PER_SOURCE_PREFIX)]
    pairs += [p for p in extra if p[0] in methods and p[1] in methods and p not in pairs]
    return pairs
