"""The evaluation: group split before augmentation, the leakage check, the ablation's budget, the statistics,
and a tiny end-to-end run on a synthetic corpus (all on CPU, a few seconds)."""

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
from lic_gpu.io.data import Corpus
from lic_gpu.vectors.store import EmbeddingStore
from lic_gpu.errors import LicGpuError
from lic_gpu.evaluation import (
    EvalSettings,
    LeakageError,
    RandomPositionAugmenter,
    check_no_leakage,
    evaluate,
    make_augmenter,
    paired_comparison,
    row_groups,
    score,
    split_by_group,
    t_interval,
    verdict,
    write_outputs,
)
from lic_gpu.text import load_stopwords, words_tokenise

from helpers import ROOT, family_store


STOP = load_stopwords("packaged")[0]
# diverse-mode checks toy words cannot pass at their command-line defaults (see helpers.PLAIN_FILTERS)
# made-up words: no language model has seen them, so the swap score is off (min_fluency: None), and with it
# the score's extra slots: LIC diverse swaps positive-LIC words only, which the ablation test relies on
PLAIN_DIVERSE = {
    "mode": "diverse",
    "reciprocal": False,
    "max_per_source": None,
    "min_fluency": None,
    # made-up words: the encoder stage, which judges English, would drop every row
    "encoder": False,
    "rare_words": {"max_rank_ratio": None, "free_rank": 20000},
}
FAMILIES = {
    1: ["calm", "quiet", "peaceful", "serene", "tranquil", "gentle"],
    2: ["tea", "coffee", "cocoa", "juice", "milk", "soup"],
    3: ["panic", "terror", "alarm", "fright", "dread", "horror"],
    0: ["walked", "strolled", "wandered", "ambled", "roamed", "drifted"],
}


def toy_store() -> EmbeddingStore:
    """Four families of near-synonyms plus a few loose words."""
    return family_store(FAMILIES.values(), ["home", "park", "day", "we", "felt"])


def toy_corpus(n_subjects: int = 6, per_subject: int = 14) -> Corpus:
    """Class 2 (tea words) is the majority; classes 1 (calm words) and 3 (panic words) are rare."""
    rng = np.random.default_rng(1)
    rows = []
    for s in range(n_subjects):
        for i in range(per_subject):
            cls = [1, 3][i % 2] if i < 4 else 2
            word = FAMILIES[cls][int(rng.integers(6))]
            other = FAMILIES[cls][int(rng.integers(6))]
            verb = FAMILIES[0][int(rng.integers(6))]
            text = f"We {verb} home with {word} and {other} on day {s * per_subject + i}."
            rows.append({"sub": f"S{s}", "text": text, "arousal": float(cls)})
    frame = pd.DataFrame(rows)
    return Corpus(frame, "text", ("sub",), ("arousal",), "synthetic")


# ---------------------------------------------------------------- split and leakage


def test_groups_auto_row_and_prefix():
    frame = pd.DataFrame({"sub": ["a", "a", "b"], "id": ["doc1_0_5", "doc1_5_9", "doc2_0_3"]})
    assert row_groups(frame)[0].tolist() == ["a", "a", "b"]
    assert row_groups(frame.drop(columns="sub"))[0].tolist() == ["row0", "row1", "row2"]
    assert row_groups(frame, "id", "_")[0].tolist() == ["doc1", "doc1", "doc2"]
    with pytest.raises(LicGpuError, match="group.column 'nope'"):
        row_groups(frame, "nope")


def test_groups_auto_finds_who_spoke():
    # trial 7: an interview table's `speaker` was not found; every sentence was its own group
    frame = pd.DataFrame({"seg_no": [1, 2, 3, 4], "speaker": ["S1", "S1", "S2", "S2"], "text": list("abcd")})
    groups, desc = row_groups(frame)
    assert groups.tolist() == ["S1", "S1", "S2", "S2"] and desc == "speaker"
    assert row_groups(frame.rename(columns={"speaker": "participant_id"}))[1] == "participant_id"
    # a column of one value, or of a value per row, groups nothing
    assert row_groups(frame.assign(speaker="S1"))[1].startswith("row")
    assert row_groups(frame.assign(speaker=list("wxyz")))[1].startswith("row")


def test_split_is_deterministic_grouped_and_folds_are_disjoint():
    corpus = toy_corpus()
    labels = class_labels(corpus.frame["arousal"], "arousal").labels
    labels.iloc[3] = pd.NA  # an unrated row takes part in neither side
    groups, _ = row_groups(corpus.frame)
    a, b = split_by_group(labels, groups, 0.2, seed=3), split_by_group(labels, groups, 0.2, seed=3)
    assert np.array_equal(a.train, b.train) and np.array_equal(a.test, b.test)
    tests = []
    for seed in range(5):
        sp = split_by_group(labels, groups, 0.2, seed)
        assert not set(groups[sp.train]) & set(groups[sp.test])
        assert 3 not in sp.train and 3 not in sp.test
        assert sp.stratified and sp.fold == seed
        tests.append(set(sp.test.tolist()))
    assert all(not (x & y) for i, x in enumerate(tests) for y in tests[i + 1 :])
    assert set().union(*tests) == set(range(len(labels))) - {3}
    with pytest.raises(LicGpuError, match="group"):
        split_by_group(labels, np.array(["one"] * len(labels), dtype=object), 0.2, 0)


def test_leakage_check_passes_clean_sets_and_catches_each_leak():
    groups = np.array(["a", "a", "b", "b", "c", "c"], dtype=object)
    train, test = np.array([0, 1, 2, 3]), np.array([4, 5])
    ok = check_no_leakage(np.concatenate([train, [0, 2, 2]]), test, groups)  # augmented rows from train sources
    assert ok["distinct_sources"] == 4 and ok["shared_groups"] == 0
    with pytest.raises(LeakageError, match="source of a new"):
        check_no_leakage(np.concatenate([train, [5]]), test, groups)  # a new row made from test row 5
    with pytest.raises(LeakageError, match=r"rows \[4\]"):
        check_no_leakage(np.array([0, 1, 4]), test, groups)  # a test row itself in train
    with pytest.raises(LeakageError, match="group"):
        check_no_leakage(np.array([0, 1, 2]), np.array([3, 4, 5]), groups)  # group b on both sides


# ---------------------------------------------------------------- the ablation


def test_random_positions_keep_lic_diverse_budget():
    corpus = toy_corpus()
    tok = [words_tokenise(t) for t in corpus.texts]
    labels = class_labels(corpus.frame["arousal"], "arousal").labels
    wd = build_word_dict(tok, labels)
    lic = compute_lic(wd)
    opts = {**PLAIN_DIVERSE, "k": 5, "max_swaps": 2, "min_similarity": 0.3}
    store = toy_store()
    diverse = make_augmenter(opts, store, STOP, 0.5, seed=4).fit_resample(wd, lic, tok)
    assert diverse.rows
    ablation = make_augmenter(opts, store, STOP, 0.5, seed=4, cls=RandomPositionAugmenter)
    rand = ablation.match_budget(diverse, wd, tok, lic)
    again = make_augmenter(opts, store, STOP, 0.5, seed=4, cls=RandomPositionAugmenter).match_budget(
        diverse, wd, tok, lic
    )
    assert [r.text for r in rand.rows] == [r.text for r in again.rows]
    assert len(rand.rows) == len(diverse.rows)
    assert [(r.cls, r.source_row, len(r.swaps)) for r in rand.rows] == [
        (r.cls, r.source_row, len(r.swaps)) for r in diverse.rows
    ]
    assert Counter(r.cls for r in rand.rows) == Counter(r.cls for r in diverse.rows)
    for row in rand.rows:
        for s in row.swaps:
            assert s.old.lower() not in STOP and s.old != s.new
            assert tok[row.source_row].tokens[s.pos] == s.old
    # Positions are not LIC's: LIC diverse only swaps words with positive LIC in the row's class, the
    # ablation also swaps the others.
    assert all(s.lic > 0 for r in diverse.rows for s in r.swaps)
    assert any(s.lic <= 0 for r in rand.rows for s in r.swaps)


# ---------------------------------------------------------------- statistics


def test_t_interval_on_known_numbers():
    mean, low, high = t_interval([1, 2, 3, 4, 5])
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)  # t_{0.975, 4} * sd / sqrt(n)
    assert mean == 3 and low == pytest.approx(3 - half) and high == pytest.approx(3 + half)
    assert low == pytest.approx(1.036756, abs=1e-6)
    assert math.isnan(t_interval([2.0])[1]) and t_interval([2.0, float("nan")])[0] == 2.0


def test_paired_comparison_matches_scipy_and_the_corrected_formula():
    a = np.array([0.31, 0.28, 0.35, 0.30, 0.33])
    b = np.array([0.29, 0.27, 0.31, 0.30, 0.30])
    res = paired_comparison(a, b, test_train_ratio=0.25)
    d = a - b
    assert res["mean_diff"] == pytest.approx(d.mean())
    assert res["p_ttest"] == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert res["p_wilcoxon"] == pytest.approx(stats.wilcoxon(d).pvalue)
    t = d.mean() / (d.std(ddof=1) * math.sqrt(1 / 5 + 0.25))
    assert res["p_corrected"] == pytest.approx(2 * stats.t.sf(abs(t), 4))
    assert res["p_corrected"] > res["p_ttest"]
    assert res["ci_low"] < res["mean_diff"] < res["ci_high"]
    same = paired_comparison(a, a, 0.25)
    assert same["mean_diff"] == 0 and same["p_ttest"] == 1.0 and verdict("macro_f1", same) == "no clear difference"
    assert verdict("mae", {"mean_diff": -0.1, "p_corrected": 0.01}) == "better"
    assert verdict("macro_f1", {"mean_diff": -0.1, "p_corrected": 0.01}) == "worse"


def test_score_on_known_predictions():
    y_true = np.array([1, 1, 2, 2, 2, 3])
    y_pred = np.array([1, 2, 2, 2, 3, 1])
    s = score(y_true, y_pred, classes=[1, 2, 3, 4])
    assert s["balanced_accuracy"] == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    assert s["mae"] == pytest.approx((0 + 1 + 0 + 0 + 1 + 2) / 6)
    assert s["recall_1"] == 0.5 and s["recall_3"] == 0 and math.isnan(s["recall_4"])
    f1 = [2 * 0.5 * 0.5 / 1.0, 2 * (2 / 3) * (2 / 3) / (4 / 3), 0.0]
    assert s["macro_f1"] == pytest.approx(np.mean(f1))


def test_settings_validate_their_options():
    with pytest.raises(LicGpuError, match="methods must be"):
        EvalSettings(emotions=["a"], methods=["none", "smote"])
    with pytest.raises(LicGpuError, match="seeds"):
        EvalSettings(emotions=["a"], seeds=[1, 1])
    with pytest.raises(LicGpuError, match="test_size"):
        EvalSettings(emotions=["a"], test_size=0.9)


# ---------------------------------------------------------------- end to end


def test_tiny_end_to_end_evaluation(tmp_path):
    corpus = toy_corpus()
    tok = [words_tokenise(t) for t in corpus.texts]
    settings = EvalSettings(
        emotions=["arousal"],
        seeds=[0, 1, 2],
        test_size=1 / 3,
        fractions=[1.0],
        budgets=[0.5],
        per_source=[],
        methods=[
            "none",
            "oversample",
            "class_weight",
            "lic_seed",
            "lic_diverse",
            "random_positions",
            "lic_diverse_guard",
        ],
        classifiers=["tfidf_logreg", "mean_embedding_mlp"],
        regressors=[],
        augment_seed={"mode": "seed", "k": 5, "max_swaps": 1, "min_similarity": -1.0},
        augment_diverse={**PLAIN_DIVERSE, "k": 5, "max_swaps": 2, "min_similarity": 0.3},
        tfidf={"min_df": 1},
        mlp={"epochs": 1, "hidden": 8},
    )
    import torch

    result = evaluate(corpus, tok, settings, toy_store(), STOP, torch.device("cpu"))
    assert result.unavailable == {"lic_diverse_guard": result.unavailable["lic_diverse_guard"]}
    assert len(result.leakage) == 3 * (6 + 1) and all(c["shared_groups"] == 0 for c in result.leakage)
    added = {(a["seed"], a["method"]): a["n_added"] for a in result.augmentation}
    for seed in range(3):
        assert added[(seed, "oversample")] >= added[(seed, "lic_diverse")] == added[(seed, "random_positions")] > 0
    payload = write_outputs(
        tmp_path,
        result,
        settings,
        {"corpus": "synthetic", "command": "", "device": "cpu", "wall_s": 1.0, "when": "now"},
    )
    for name in (
        "metrics.json",
        "metrics.csv",
        "learning_curves_tfidf_logreg.png",
        "gains_mean_embedding_mlp.png",
        "evaluation.md",
    ):
        assert (tmp_path / name).stat().st_size > 0
    data = json.loads((tmp_path / "metrics.json").read_text())
    assert {c["method"] for c in data["comparisons"] if c["baseline"] == "none"} == {
        "oversample",
        "class_weight",
        "lic_seed",
        "lic_diverse",
        "random_positions",
    }
    table = pd.read_csv(tmp_path / "metrics.csv")
    row = table[(table["classifier"] == "tfidf_logreg") & (table["method"] == "none") & (table["metric"] == "macro_f1")]
    assert row["n"].item() == 3 and row["ci_low"].item() <= row["mean"].item() <= row["ci_high"].item()
    f1 = table[(table["classifier"] == "tfidf_logreg") & (table["metric"] == "macro_f1")].set_index("method")["mean"]
    # The rare classes have their own words: rebalancing the train part must show on the test part.
    assert f1["lic_diverse"] > f1["none"] + 0.2 and f1["class_weight"] > f1["none"] + 0.2
    assert "Leakage check: 18 training sets" in (tmp_path / "evaluation.md").read_text()
    assert payload["per_seed"]


def test_config_composes_into_settings():
    from hydra import compose, initialize_config_dir

    import lic_gpu.app.schema  # noqa: F401  (registers the schemas the YAML names; alone, nothing else imports it)
    from lic_gpu.evaluation.job import settings_from_config

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(
            "evaluate",
            overrides=["device=cpu", "data=emobank", "data.path=x.csv", "group.column=id", "group.prefix_sep=_"],
        )
    s = settings_from_config(cfg)
    assert s.augment_seed["mode"] == "seed" and s.augment_diverse["mode"] == "diverse"
    assert s.binning == "round_half_up" and s.group_column == "id" and s.group_prefix_sep == "_"
    assert len(s.seeds) >= 5 and s.fractions[-1] == 1.0 and len(s.budgets) >= 1


def _mlp_predictions(device: str, seed: int) -> np.ndarray:
    from lic_gpu.evaluation import MeanEmbedding, MeanEmbeddingMLP

    corpus = toy_corpus()
    store = EmbeddingStore.from_array(toy_store().words, toy_store().vectors.cpu().numpy(), device=device)
    labels = corpus.frame["arousal"].astype(int).to_numpy()
    mlp = MeanEmbeddingMLP(MeanEmbedding(store), hidden=8, epochs=3, batch_size=16, seed=seed)
    return mlp.fit(corpus.texts[:60], labels[:60]).predict(corpus.texts[60:])


def test_torch_classifier_is_repeatable_with_its_seed():
    a, b = _mlp_predictions("cpu", 3), _mlp_predictions("cpu", 3)
    assert np.array_equal(a, b) and set(a) <= {1, 2, 3}


@pytest.mark.cuda
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA device")
def test_torch_classifier_runs_on_cuda():
    assert len(_mlp_predictions("cuda", 3)) == len(toy_corpus().texts) - 60


@pytest.mark.slow
def test_entry_script_on_the_demo_and_one_line_errors(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def script(*args):
        return subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "evaluate.py"),
                "device=cpu",
                f"hydra.run.dir={tmp_path / 'hydra'}",
                *args,
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=600,
        )

    ok = script(
        "emotion=arousal",
        "seeds=[0,1]",
        "study=quick",
        "methods=[none,lic_diverse,random_positions]",
        "classifiers=[tfidf_logreg]",
        f"out_dir={tmp_path / 'out'}",
    )
    assert ok.returncode == 0, ok.stderr
    data = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert data["settings"]["seeds"] == [0, 1] and data["per_seed"]
    bad = script("methods=[none,smote]", f"out_dir={tmp_path / 'bad'}")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert [line for line in bad.stderr.splitlines() if line.startswith("error:")] == [
        "error: methods must be a non-empty list of ['none', 'oversample', 'class_weight', 'lic_seed', "
        "'lic_diverse', 'random_positions', 'lic_diverse_guard', 'lic_diverse_class_weight', "
        "'lic_diverse_oversample']; got ['none', 'smote']"
    ]
    assert not (tmp_path / "bad").exists()


# ---------------------------------------------------------------- the set-up both jobs share


def _compose(config, *overrides):
    from hydra import compose, initialize_config_dir

    import lic_gpu.app.schema  # noqa: F401  (registers the schemas the YAML names)

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose(config, overrides=["device=cpu", *overrides])


def test_both_jobs_say_the_same_about_the_same_mistake(tmp_path):
    from lic_gpu.app.augment_job import run_augment
    from lic_gpu.evaluation.job import run_evaluate

    for overrides in (
        ["data=emobank"],
        ["data=csv", f"data.path={tmp_path / 'nope.csv'}"],
        ["embeddings=file", f"embeddings.source={tmp_path / 'nope.vec'}"],
        ["device=gpu"],
    ):
        messages = []
        for run, config in ((run_augment, "augment"), (run_evaluate, "evaluate")):
            with pytest.raises(LicGpuError) as info:
                run(_compose(config, *overrides), tmp_path / config)
            messages.append(str(info.value))
        assert messages[0] == messages[1], overrides
    assert "config value(s) ['data.path'] must be set" in _message(run_evaluate, "data=emobank")


def _message(run, *overrides):
    with pytest.raises(LicGpuError) as info:
        run(_compose("evaluate", *overrides), "/nonexistent")
    return str(info.value)


def test_the_evaluation_falls_back_to_the_cpu_when_the_vectors_do_not_fit(tmp_path, monkeypatch):
    """The vectors' out-of-memory fallback is the main job's (lic_gpu.app.run_setup.load_store), recorded."""
    from helpers import vectors_never_fit_on_a_gpu
    from lic_gpu.evaluation.job import run_evaluate

    vectors_never_fit_on_a_gpu(monkeypatch)
    payload = run_evaluate(
        _compose(
            "evaluate",
            "seeds=[0]",
            "methods=[none,oversample]",
            "classifiers=[tfidf_logreg]",
            "emotion=arousal",
            f"out_dir={tmp_path}",
        )
    )
    assert payload["device"].startswith("cpu (asked cuda: the word vectors do not fit in meta memory")
    assert (tmp_path / "metrics.json").is_file()


def test_a_split_column_is_said_to_be_unused(caplog):
    """The study folds every row; a user whose table has train/dev/test rows is told so (trial 9)."""
    import logging
    from types import SimpleNamespace

    import pandas as pd

    from lic_gpu.evaluation.job import _say_split_not_used

    corpus = SimpleNamespace(frame=pd.DataFrame({"split": ["train", "dev", "test", None]}), source="t.csv")
    with caplog.at_level(logging.WARNING):
        _say_split_not_used(corpus, "auto")
        _say_split_not_used(corpus, None)  # data.split_column=null: nothing said
        _say_split_not_used(SimpleNamespace(frame=pd.DataFrame({"x": [1]}), source="u.csv"), "auto")
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "column 'split' of t.csv (dev, test, train) is not used: the study makes its own train/test folds from "
        "every row; to evaluate on one split alone (your training rows), give it a table of those rows"
    ]


def test_a_mistyped_group_column_gets_a_suggestion():
    import pandas as pd

    from lic_gpu.errors import LicGpuError
    from lic_gpu.evaluation.split import row_groups

    with pytest.raises(LicGpuError, match=r"^group.column 'session' is not a column \(did you mean 'session_id'\?\)"):
        row_groups(pd.DataFrame({"session_id": [1, 1], "speaker": ["a", "b"]}), "session", None)


def test_a_per_source_limit_no_source_reached_is_said_to_repeat_lic_diverse():
    """Trial 9: 'LIC diverse, <= 30 rows per source' trained on LIC diverse's own rows and was counted as a method."""
    import pandas as pd

    from lic_gpu.evaluation.sections import _same_as_lic_diverse

    rows = [
        {
            "method": "lic_diverse_per_source_30",
            "baseline": "lic_diverse",
            "mean_diff": 0.0,
            "ci_low": 0.0,
            "ci_high": 0.0,
        },
        {
            "method": "lic_diverse_per_source_3",
            "baseline": "lic_diverse",
            "mean_diff": -0.002,
            "ci_low": -0.007,
            "ci_high": 0.003,
        },
        {"method": "lic_diverse_per_source_30", "baseline": "none", "mean_diff": 0.01, "ci_low": 0.0, "ci_high": 0.02},
    ]
    frame = pd.DataFrame(rows)
    assert _same_as_lic_diverse(frame, "lic_diverse_per_source_30")
    assert not _same_as_lic_diverse(frame, "lic_diverse_per_source_3")
    assert not _same_as_lic_diverse(frame, "lic_diverse_guard")  # no comparison: not said
