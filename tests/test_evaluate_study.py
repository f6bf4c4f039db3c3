"""The study (issue 16): nested group subsets for the learning curve, budgets shared by every method,
the combinations, the regression view, the best cheap baseline, and the quick setting end to end."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lic_gpu import compute_lic
from lic_gpu.classes import build_word_dict, class_labels
from lic_gpu.errors import LicGpuError
from lic_gpu.evaluation import (
    EvalSettings,
    best_cheap,
    class_targets,
    compare,
    evaluate,
    paired_comparison,
    row_groups,
    score_regression,
    split_by_group,
    subsample_train,
    summarise,
    target_weights,
    write_outputs,
)
from lic_gpu.evaluation.methods import training_sets
from lic_gpu.evaluation.statistics import BEST_CHEAP, comparison_pairs
from lic_gpu.text import words_tokenise
from lic_gpu.timing import StageTimer

from helpers import ROOT
from test_evaluate import PLAIN_DIVERSE, STOP, toy_corpus, toy_store


# ---------------------------------------------------------------- the learning curve's subsets


def _groups_and_labels(n_groups=30, seed=0):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 40, n_groups)
    groups = np.repeat([f"g{i}" for i in range(n_groups)], sizes).astype(object)
    labels = rng.choice([2, 3, 4], size=groups.size, p=[0.02, 0.9, 0.08])
    return groups, labels


def test_subsets_are_nested_exact_by_group_and_keep_every_class():
    groups, labels = _groups_and_labels()
    train = np.sort(np.random.default_rng(1).choice(groups.size, size=int(0.8 * groups.size), replace=False))
    fractions = [0.1, 0.25, 0.5, 1.0]
    subsets = subsample_train(train, groups, labels, fractions, seed=3)
    assert subsample_train(train, groups, labels, fractions, seed=3).keys() == subsets.keys()
    assert all(
        np.array_equal(subsets[f], subsample_train(train, groups, labels, fractions, seed=3)[f]) for f in fractions
    )
    assert np.array_equal(subsets[1.0], train)
    for small, big in zip(fractions, fractions[1:]):
        assert set(subsets[small]) <= set(subsets[big])  # nested
    for f in fractions:
        rows = subsets[f]
        assert rows.size == round(f * train.size) and np.all(np.diff(rows) > 0)
        assert set(labels[rows]) == set(labels[train])  # every class, while the size allows
        # whole groups, but for at most two (one kept for a class, one to hit the size)
        in_train = Counter(groups[train].tolist())
        partial = [g for g, n in Counter(groups[rows].tolist()).items() if n < in_train[g]]
        assert len(partial) <= 2 * (len(fractions) - fractions.index(f) - 1)
    other = subsample_train(train, groups, labels, fractions, seed=4)
    assert not np.array_equal(other[0.25], subsets[0.25])


def test_a_fraction_below_one_group_takes_part_of_a_group():
    groups = np.array(["a"] * 50 + ["b"] * 50, dtype=object)
    labels = np.array([3] * 100)
    rows = subsample_train(np.arange(100), groups, labels, [0.1], seed=0)[0.1]
    assert rows.size == 10 and len(set(groups[rows])) == 1


# ---------------------------------------------------------------- budgets, weights, combinations


def test_class_weights_reach_the_targets_oversampling_reaches():
    labels = np.array([1] * 4 + [2] * 20 + [3] * 6)
    sizes = Counter(labels.tolist())
    for budget, expected in (
        (1.0, {1: 20, 2: 20, 3: 20}),
        (0.5, {1: 10, 2: 20, 3: 10}),
        ("auto", {1: 20, 2: 20, 3: 20}),
    ):
        targets = class_targets(sizes, budget)
        assert targets == expected
        w = target_weights(labels, targets)
        assert {c: pytest.approx(w[labels == c].sum()) for c in sizes} == {c: float(t) for c, t in targets.items()}
    # a class already above its target keeps weight 1
    w = target_weights(np.array([1] * 12 + [2] * 20), {1: 10, 2: 20})
    assert np.all(w == 1.0)


def _toy_sets(methods, budget, per_source=()):
    corpus = toy_corpus()
    tok = [words_tokenise(t) for t in corpus.texts]
    labels = class_labels(corpus.frame["arousal"], "arousal").labels
    groups, _ = row_groups(corpus.frame)
    split = split_by_group(labels, groups, 1 / 3, 0)
    train_labels = labels.copy()
    train_labels[~labels.index.isin(split.train)] = pd.NA
    wd = build_word_dict(tok, train_labels)
    y_train = labels.to_numpy(dtype=float)[split.train].astype(int)
    settings = EvalSettings(
        emotions=["arousal"],
        augment_diverse={**PLAIN_DIVERSE, "k": 5, "max_swaps": 2, "min_similarity": 0.3, "max_per_source": 2},
    )
    sets = training_sets(
        methods,
        settings,
        wd,
        split.train,
        y_train,
        corpus.texts,
        tok,
        "arousal",
        0,
        budget,
        toy_store(),
        STOP,
        [],
        StageTimer(),
        {},
        lic=compute_lic(wd),
        per_source=per_source,
    )
    return {ts.method: ts for ts in sets}, Counter(y_train.tolist())


def test_combinations_fill_the_rest_of_the_gap_and_reuse_lic_diverse_rows():
    budget = 1.0
    sets, sizes = _toy_sets(
        ["class_weight", "oversample", "lic_diverse", "lic_diverse_class_weight", "lic_diverse_oversample"],
        budget,
        per_source=[6],
    )
    targets = class_targets(dict(sizes), budget)
    diverse = sets["lic_diverse"]
    assert 0 < diverse.n_added == diverse.n_new_text < sum(targets.values()) - sum(sizes.values())
    n = len(diverse.texts)
    # + oversampling: LIC diverse's rows, then duplicates of train originals up to the targets
    both = sets["lic_diverse_oversample"]
    assert both.texts[:n] == diverse.texts and both.n_new_text == diverse.n_added
    assert Counter(both.labels.tolist()) == Counter(targets)
    assert set(both.texts[n:]) <= set(diverse.texts[: len(diverse.texts) - diverse.n_added])
    # + class weights: the same rows, weighted up to the targets
    weighted = sets["lic_diverse_class_weight"]
    assert weighted.texts == diverse.texts
    for c, t in targets.items():
        assert weighted.sample_weight[weighted.labels == c].sum() == pytest.approx(t)
    assert Counter(sets["oversample"].labels.tolist()) == Counter(targets)
    # a higher per-source limit gives at least as many rows
    assert sets["lic_diverse_per_source_6"].n_added >= diverse.n_added


def test_a_smaller_budget_asks_for_fewer_rows():
    half, sizes = _toy_sets(["oversample", "lic_diverse"], 0.5)
    full, _ = _toy_sets(["oversample", "lic_diverse"], 1.0)
    assert half["oversample"].n_added < full["oversample"].n_added
    assert half["lic_diverse"].n_added <= full["lic_diverse"].n_added


# ---------------------------------------------------------------- statistics


def test_pearson_r_on_all_rows_and_on_the_thin_levels():
    rng = np.random.default_rng(0)
    y = rng.normal(3, 0.5, 200)
    pred = y + rng.normal(0, 0.4, 200)
    thin = np.abs(y - 3) > 0.4
    s = score_regression(y, pred, thin)
    assert s["pearson_r"] == pytest.approx(stats.pearsonr(y, pred)[0])
    assert s["pearson_r_thin"] == pytest.approx(stats.pearsonr(y[thin], pred[thin])[0])
    assert math.isnan(score_regression(y, np.full(200, 3.0), thin)["pearson_r"])


def test_corrected_interval_goes_with_the_corrected_p():
    rng = np.random.default_rng(2)
    for _ in range(50):
        a, b = rng.normal(0.3, 0.02, 5), rng.normal(0.3, 0.02, 5) - rng.normal(0.02, 0.02)
        res = paired_comparison(a, b, test_train_ratio=0.25)
        excludes_zero = res["ci_low_corrected"] > 0 or res["ci_high_corrected"] < 0
        assert excludes_zero == (res["p_corrected"] < 0.05)
        assert (
            res["ci_low_corrected"] <= res["ci_low"] <= res["mean_diff"] <= res["ci_high"] <= res["ci_high_corrected"]
        )


def _records():
    """Two points, three cheap methods and one LIC method, five seeds: class_weight is best on F1 at
    the first point, oversample at the second; none has the lowest MAE everywhere."""
    rows = []
    rng = np.random.default_rng(0)
    means = {
        ("0.5", "none"): (0.30, 0.10),
        ("0.5", "oversample"): (0.34, 0.12),
        ("0.5", "class_weight"): (0.36, 0.13),
        ("0.5", "lic_diverse"): (0.40, 0.11),
        ("1.0", "none"): (0.30, 0.10),
        ("1.0", "oversample"): (0.38, 0.12),
        ("1.0", "class_weight"): (0.35, 0.14),
        ("1.0", "lic_diverse"): (0.31, 0.11),
    }
    for (budget, method), (f1, mae) in means.items():
        for seed in range(5):
            noise = rng.normal(0, 0.002)
            for metric, value in (("macro_f1", f1 + noise), ("mae", mae + noise)):
                rows.append(
                    {
                        "emotion": "a",
                        "seed": seed,
                        "fraction": 1.0,
                        "budget": budget,
                        "classifier": "tfidf_logreg",
                        "method": method,
                        "metric": metric,
                        "value": value,
                        "n_train": 100,
                        "n_train_originals": 80,
                        "n_test": 20,
                    }
                )
    return pd.DataFrame(rows)


def test_best_cheap_baseline_is_chosen_per_point_and_metric():
    records = _records()
    best = best_cheap(summarise(records), ["none", "oversample", "class_weight"]).set_index(["budget", "metric"])
    assert best.loc[("0.5", "macro_f1"), "baseline_method"] == "class_weight"
    assert best.loc[("1.0", "macro_f1"), "baseline_method"] == "oversample"
    assert best.loc[("0.5", "mae"), "baseline_method"] == "none"  # lower is better
    pairs = comparison_pairs(
        ["none", "oversample", "class_weight", "lic_diverse"], [], ["none", "oversample", "class_weight"]
    )
    assert ("lic_diverse", BEST_CHEAP) in pairs and ("oversample", BEST_CHEAP) not in pairs
    comp = compare(records, pairs, cheap=["none", "oversample", "class_weight"])
    vs = comp[comp["baseline"] == BEST_CHEAP].set_index(["budget", "metric"])
    assert vs.loc[("0.5", "macro_f1"), "baseline_method"] == "class_weight"
    assert vs.loc[("0.5", "macro_f1"), "verdict"] == "better"
    assert vs.loc[("1.0", "macro_f1"), "verdict"] == "worse"
    assert vs.loc[("1.0", "macro_f1"), "mean_diff"] == pytest.approx(-0.07, abs=0.01)


def test_study_settings_validate_their_options():
    with pytest.raises(LicGpuError, match="study.fractions"):
        EvalSettings(emotions=["a"], fractions=[0.5, 1.5])
    with pytest.raises(LicGpuError, match="study.fractions"):
        EvalSettings(emotions=["a"], fractions=[0.5, 0.5])
    with pytest.raises(LicGpuError, match="study.budgets"):
        EvalSettings(emotions=["a"], budgets=[0.5, "most"])
    with pytest.raises(LicGpuError, match="study.per_source"):
        EvalSettings(emotions=["a"], per_source=[0])
    with pytest.raises(LicGpuError, match="regressors"):
        EvalSettings(emotions=["a"], regressors=["svr"])
    with pytest.raises(LicGpuError, match="both empty"):
        EvalSettings(emotions=["a"], classifiers=[], regressors=[])
    assert EvalSettings(emotions=["a"], fractions=[1.0, 0.1]).fractions == [0.1, 1.0]


# ---------------------------------------------------------------- end to end


def test_tiny_study_end_to_end(tmp_path):
    import torch

    corpus = toy_corpus(n_subjects=9)
    tok = [words_tokenise(t) for t in corpus.texts]
    settings = EvalSettings(
        emotions=["arousal"],
        seeds=[0, 1, 2],
        test_size=1 / 3,
        fractions=[0.5, 1.0],
        budgets=[0.5, 1.0],
        per_source=[4],
        methods=[
            "none",
            "oversample",
            "class_weight",
            "lic_diverse",
            "random_positions",
            "lic_diverse_class_weight",
            "lic_diverse_oversample",
        ],
        classifiers=["tfidf_logreg"],
        regressors=["tfidf_ridge"],
        augment_diverse={**PLAIN_DIVERSE, "k": 5, "max_swaps": 2, "min_similarity": 0.3, "max_per_source": 2},
        tfidf={"min_df": 1},
    )
    result = evaluate(corpus, tok, settings, toy_store(), STOP, torch.device("cpu"))
    rec = result.records
    assert set(rec["fraction"]) == {0.5, 1.0} and set(rec["budget"]) == {"0.5", "1.0"}
    assert set(rec.loc[rec["classifier"] == "tfidf_ridge", "metric"]) == {"pearson_r", "pearson_r_thin"}
    per_source = rec[rec["method"] == "lic_diverse_per_source_4"]
    assert set(zip(per_source["fraction"], per_source["budget"])) == {(1.0, "1.0")}
    # every training set and every word dict was checked; none is shown at both budgets but fitted once
    sets = [c for c in result.leakage if c["method"] != "(LIC word dict)"]
    assert len(sets) == 3 * 2 * (1 + 2 * 6) + 3 and all(c["shared_groups"] == 0 for c in result.leakage)
    none = rec[(rec["method"] == "none") & (rec["metric"] == "macro_f1")].pivot_table(
        index=["seed", "fraction"], columns="budget", values="value"
    )
    assert np.allclose(none["0.5"], none["1.0"])
    # the test part is the same at every fraction of a seed
    assert rec.groupby(["seed"])["n_test"].nunique().max() == 1
    sizes = rec.groupby(["seed", "fraction"])["n_train_originals"].first().unstack()
    assert (sizes[0.5] < sizes[1.0]).all()
    payload = write_outputs(
        tmp_path,
        result,
        settings,
        {"corpus": "synthetic", "command": "", "device": "cpu", "wall_s": 1.0, "when": "now"},
    )
    for name in (
        "metrics.json",
        "metrics.csv",
        "evaluation.md",
        "learning_curves_tfidf_logreg.png",
        "learning_curves_tfidf_ridge.png",
        "gains_tfidf_logreg.png",
        "gains_tfidf_ridge.png",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    comp = pd.DataFrame(payload["comparisons"])
    assert set(comp["metric"]) == {"macro_f1", "balanced_accuracy", "mae", "pearson_r", "pearson_r_thin"}
    vs = comp[comp["baseline"] == BEST_CHEAP]
    assert set(vs["method"]) == {
        "lic_diverse",
        "random_positions",
        "lic_diverse_class_weight",
        "lic_diverse_oversample",
        "lic_diverse_per_source_4",
    }
    assert set(vs["baseline_method"]) <= {"none", "oversample", "class_weight"}
    table = pd.read_csv(tmp_path / "metrics.csv")
    assert {"vs_none_p_corrected", "vs_best_cheap_baseline_method", "vs_best_cheap_ci_low_corrected"} <= set(
        table.columns
    )
    text = (tmp_path / "evaluation.md").read_text()
    assert "## Where does it help?" in text and "Per-source limits" in text and "## In short" in text
    # the answer in words, its counts those of the table's headline panels (trial 9)
    import re

    said = re.search(r"\*\*On this data, (.*?) (\d+) method-points(?:, and worse at (\d+))?\.\*\*", text)
    assert said, text[:2000]
    # the report drawn again from metrics.json alone: the same tables and numbers, and it says so
    from lic_gpu.evaluation.rerender import main, render_again

    csv_before = (tmp_path / "metrics.csv").read_bytes()
    render_again(tmp_path)
    again = (tmp_path / "evaluation.md").read_text().splitlines()
    assert [line for line in again if not line.startswith("Report drawn again")] == text.splitlines()
    assert sum(line.startswith("Report drawn again from `metrics.json`") for line in again) == 1
    assert (tmp_path / "metrics.csv").read_bytes() == csv_before
    assert main([str(tmp_path / "nowhere")]) == 2


@pytest.mark.slow
def test_the_quick_study_runs_on_the_demo(tmp_path):
    """``study=quick``: the CI-sized setting, through the entry script (tens of seconds on one CPU thread)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "evaluate.py"),
            "study=quick",
            "device=cpu",
            "threads=1",
            "seeds=[0,1]",
            f"hydra.run.dir={tmp_path / 'hydra'}",
            f"out_dir={tmp_path / 'out'}",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert data["settings"]["fractions"] == [0.5, 1.0] and data["settings"]["budgets"] == [0.5, 1.0]
    table = pd.read_csv(tmp_path / "out" / "metrics.csv")
    assert {"macro_f1", "mae", "pearson_r", "pearson_r_thin"} <= set(table["metric"])
    assert (tmp_path / "out" / "learning_curves_tfidf_logreg.png").is_file()


# ---------------------------------------------------------------- the report's answer


def _comparison_rows(metric: str, verdicts: dict[tuple[str, str, float], tuple[str, float]]) -> pd.DataFrame:
    rows = []
    for (method, baseline, fraction), (verdict, diff) in verdicts.items():
        rows.append(
            {
                "emotion": "arousal",
                "classifier": "tfidf_logreg",
                "fraction": fraction,
                "budget": "1.0",
                "metric": metric,
                "method": method,
                "baseline": baseline,
                "baseline_method": "class_weight" if baseline == BEST_CHEAP else baseline,
                "mean_diff": diff,
                "ci_low": diff - 0.01,
                "ci_high": diff + 0.01,
                "ci_low_corrected": diff - 0.02,
                "ci_high_corrected": diff + 0.02,
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows)


def test_in_short_and_verdicts_count_what_the_tests_found():
    """The summary at the top of evaluation.md counts the ▲/▼ of the comparisons, names the best LIC point
    in the metric's direction (lower MAE is a gain) and leaves the ablation out of 'every LIC method'."""
    from lic_gpu.evaluation.sections import _in_short_lines, _verdict_lines

    methods = ["none", "class_weight", "lic_diverse", "random_positions", "lic_diverse_class_weight"]
    summary = pd.DataFrame(
        [
            {
                "emotion": "arousal",
                "classifier": "tfidf_logreg",
                "fraction": f,
                "budget": "1.0",
                "method": m,
                "metric": k,
                "mean": 0.5,
                "ci_low": 0.4,
                "ci_high": 0.6,
                "n_train_originals": 100 * f,
            }
            for f in (0.5, 1.0)
            for m in methods
            for k in ("macro_f1", "mae")
        ]
    )
    nd = "no clear difference"
    comparisons = pd.concat(
        [
            _comparison_rows(
                "macro_f1",
                {
                    ("lic_diverse", BEST_CHEAP, 0.5): ("worse", -0.05),
                    ("lic_diverse", BEST_CHEAP, 1.0): (nd, -0.01),
                    ("lic_diverse_class_weight", BEST_CHEAP, 0.5): ("better", 0.04),
                    ("lic_diverse_class_weight", BEST_CHEAP, 1.0): (nd, 0.01),
                    ("random_positions", BEST_CHEAP, 0.5): ("better", 0.09),
                    ("lic_diverse", "none", 0.5): ("better", 0.02),
                    ("lic_diverse", "none", 1.0): (nd, 0.0),
                    ("lic_diverse", "random_positions", 0.5): (nd, 0.0),
                },
            ),
            _comparison_rows(
                "mae",
                {
                    ("lic_diverse", BEST_CHEAP, 0.5): (nd, 0.03),
                    ("lic_diverse_class_weight", BEST_CHEAP, 1.0): (nd, -0.02),
                },
            ),
        ]
    )
    text = "\n".join(_in_short_lines(comparisons, summary))
    f1 = next(line for line in text.splitlines() if "| macro-F1 |" in line)
    mae = next(line for line in text.splitlines() if "| MAE |" in line)
    # two LIC methods x two points; random positions (the ablation) is not one of them
    assert "▲ 1 · ▼ 1 of 4" in f1 and "LIC diverse + class weights at 50 %·1.0: +0.040" in f1
    assert "▲ 1 · ▼ 0 of 2 (50 %·1.0▲)" in f1 and "▲ 0 · ▼ 0 of 1" in f1
    assert "LIC diverse + class weights at 100 %·1.0: -0.020" in mae
    verdicts = "\n".join(_verdict_lines(comparisons, summary))
    assert "| random positions (ablation) | ▲ 1 · ▼ 0 of 1 (50 %·1.0▲) |" in verdicts
    assert "| LIC diverse | ▲ 0 · ▼ 1 of 2 (50 %·1.0▼) |" in verdicts
    assert "no point with p < 0.05 either way" in verdicts
