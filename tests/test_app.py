"""The Hydra app: configs compose, the main job writes what it promises, errors are one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from lic_gpu.errors import LicGpuError
from lic_gpu.app.augment_job import run_augment

from helpers import ROOT

CONF = str(ROOT / "conf")


def cfg(*overrides, name="augment"):
    with initialize_config_dir(version_base="1.3", config_dir=CONF):
        return compose(config_name=name, overrides=["device=cpu", *overrides])


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Two emotions with caps, asked for CUDA on a machine without it (CUDA is hidden on one that has it)."""
    import torch

    from lic_gpu.report import figures

    out = tmp_path_factory.mktemp("demo")
    drawn = {}
    real = figures.plot_level_distributions

    def spy(*args, **kwargs):
        drawn.update(kwargs)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch.cuda, "is_available", lambda: False)
        mp.setattr(figures, "plot_level_distributions", spy)
        with initialize_config_dir(version_base="1.3", config_dir=CONF):
            config = compose(
                config_name="augment",
                overrides=["device=cuda", "emotion=[arousal,valence]", "caps=rectangle", "caps.cap_per_class=150"],
            )
        summary = run_augment(config, out)
    summary["_drawn"] = drawn
    return out, summary


def test_report_shows_the_device_fallback_and_the_caps(demo_run):
    """What summary.json records about the device and the caps reaches report.md and the figure."""
    out, summary = demo_run
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "- requested: `cuda`" in text and "- used: `cpu`" in text
    assert "- fallback: CUDA is not available on this machine" in text
    assert "- region: `valence` in [2, 5], `arousal` in [3, 6]" in text
    assert "- cap per class: `150` rows" in text
    assert summary["_drawn"]["cap_per_class"] == {"valence": 150, "arousal": 150}
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["caps"]["region"] == {"valence": [2, 5], "arousal": [3, 6]}
    assert on_disk["caps"]["cap_per_class"] == 150
    assert on_disk["device_fallback"].startswith("CUDA is not available")


def test_demo_outputs(demo_run):
    out, summary = demo_run
    for name in (
        "augmented_arousal.csv",
        "augmented_valence.csv",
        "balanced.csv",
        "capped.csv",
        "exports/arousal.csv",
        "exports/valence.csv",
        "summary.json",
        "report.md",
        "distributions.png",
        "top_lic_arousal.png",
        "rows_per_subject.csv",
    ):
        assert (out / name).stat().st_size > 0, name
    assert not list(out.rglob("*.tmp"))
    on_disk = json.loads((out / "summary.json").read_text())
    for key in ("emotion", "device", "requested_device", "mode", "seed", "timings_s", "vectors", "caps"):
        assert key in on_disk
    assert on_disk["device"] == "cpu" and on_disk["mode"] == "diverse"
    classes = on_disk["emotions"]["arousal"]["classes"]
    assert all({"before", "requested", "generated"} <= set(v) for v in classes.values())


def test_provenance_and_inherited_ratings(demo_run):
    out, _ = demo_run
    frame = pd.read_csv(out / "augmented_arousal.csv", keep_default_na=False)
    orig = frame[frame["is_augmented"] == False]  # noqa: E712
    new = frame[frame["is_augmented"] == True]  # noqa: E712
    assert list(orig["row_id"]) == list(range(len(orig)))
    assert (orig["source_row"] == orig["row_id"]).all()
    assert len(new) > 0 and set(new["augmented_for"]) == {"arousal"}
    ratings = ["arousal", "valence", "joy", "sadness", "fear", "anger", "surprise", "category", "sub", "episode"]
    src = orig.set_index("row_id").loc[new["source_row"], ratings].reset_index(drop=True)
    assert src.astype(str).equals(new[ratings].reset_index(drop=True).astype(str))
    # ids stay unique: the last id column of a new row continues after the originals' largest
    assert not frame.duplicated(["sub", "episode", "segment"]).any()
    assert (new["segment"] > orig["segment"].max()).all()
    assert (orig["augmented_for"] == "-").all()
    swaps = [json.loads(s) for s in new["swaps"]]
    assert all(s and {"pos", "old", "new", "cosine", "lic"} <= set(s[0]) for s in swaps)
    export = pd.read_csv(out / "exports" / "arousal.csv")
    assert list(export.columns[:2]) == ["class", "sentence"] and len(export) == len(frame)
    assert {"sub", "episode", "segment", "valence", "is_augmented"} <= set(export.columns)


def test_balanced_and_caps(demo_run):
    out, summary = demo_run
    balanced = pd.read_csv(out / "balanced.csv", keep_default_na=False)
    capped = pd.read_csv(out / "capped.csv", keep_default_na=False)
    assert set(balanced.loc[balanced["is_augmented"], "augmented_for"]) == {"arousal", "valence"}
    assert balanced["row_id"].is_unique
    assert (~capped["is_augmented"]).sum() == (~balanced["is_augmented"]).sum()
    assert summary["caps"]["kind"] == "rectangle"


def test_seed_mode_override_and_determinism(tmp_path):
    a = run_augment(cfg("augment.mode=seed", "report.enabled=false"), tmp_path / "a")
    run_augment(cfg("augment.mode=seed", "report.enabled=false"), tmp_path / "b")
    assert a["mode"] == "seed"
    fa = (tmp_path / "a" / "augmented_arousal.csv").read_text()
    assert fa == (tmp_path / "b" / "augmented_arousal.csv").read_text()


def test_cuda_request_falls_back_and_is_recorded(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    s = run_augment(cfg("device=cuda", "report.enabled=false"), tmp_path)
    assert s["device"] == "cpu" and s["requested_device"] == "cuda" and "CUDA" in s["device_fallback"]


def test_unknown_emotion_is_one_line(tmp_path):
    with pytest.raises(LicGpuError, match=r"'rage' is not a rating column.*arousal"):
        run_augment(cfg("emotion=rage"), tmp_path)
    assert not any(tmp_path.iterdir())


def test_launcher_configs_compose():
    c = cfg("hydra/launcher=joblib")
    assert c.emotion == "arousal"
    with initialize_config_dir(version_base="1.3", config_dir=CONF):
        hc = compose(config_name="augment", overrides=["hydra/launcher=cluster_slurm"], return_hydra_config=True)
    assert hc.hydra.launcher.gpus_per_node == 1
    assert "submitit" in hc.hydra.launcher._target_


def test_data_choices_compose():
    assert cfg("data=seed_csv", "data.words_csv=w.csv", "data.ratings_csv=r.csv").data.kind == "seed_csv"
    assert cfg("data=csv", "data.path=x.csv", "data.text_column=sentence").data.text_column == "sentence"
    assert cfg("data=emobank", "data.path=e.csv").data.binning == "round_half_up"


def _script(*args, cwd):
    env = {k: v for k, v in os.environ.items()}
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "augment.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


@pytest.mark.slow
def test_script_runs_and_errors_are_one_line(tmp_path):
    ok = _script(f"hydra.run.dir={tmp_path / 'run'}", "device=cpu", "report.enabled=false", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "run" / "augmented_arousal.csv").exists()
    # the process ends without the interpreter's teardown: the log must still be complete
    assert "INFO] - wrote " in (tmp_path / "run" / "augment.log").read_text()
    bad = _script(f"hydra.run.dir={tmp_path / 'bad'}", "data=csv", f"data.path={tmp_path / 'nope.csv'}", cwd=tmp_path)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    err_lines = [line for line in bad.stderr.splitlines() if line.startswith("error:")]
    assert len(err_lines) == 1 and "nope.csv" in err_lines[0]
    assert not list((tmp_path / "bad").glob("*.csv"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "launcher", [[], ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]], ids=["basic", "joblib"]
)
def test_multirun_sweep(tmp_path, launcher):
    res = _script(
        "-m",
        "emotion=arousal,valence",
        "device=cpu",
        "report.enabled=false",
        *launcher,
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert len(list((tmp_path / "sweep").rglob("summary.json"))) == 2


@pytest.mark.cuda
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs CUDA")
def test_cuda_run_matches_cpu(tmp_path):
    a = run_augment(cfg("report.enabled=false"), tmp_path / "cpu")
    b = run_augment(cfg("device=cuda", "report.enabled=false"), tmp_path / "cuda")
    assert b["device"].startswith("cuda") and a["classes"] == b["classes"]
    ta = pd.read_csv(tmp_path / "cpu" / "augmented_arousal.csv", keep_default_na=False)["label"]
    tb = pd.read_csv(tmp_path / "cuda" / "augmented_arousal.csv", keep_default_na=False)["label"]
    assert len(ta) == len(tb) and (ta == tb).mean() >= 0.99


def test_guard_can_check_every_rating_column(tmp_path):
    """With guard.corpus.emotions=all the guard also learns the leans of the other rating columns."""
    s = run_augment(cfg("augment.guard.corpus.emotions=all", "report.enabled=false"), tmp_path)
    assert s["guard"]["corpus"]["emotions_checked"] == "all"
    assert {"arousal", "valence", "joy"} <= set(s["guard"]["corpus"]["emotions"])
    default = run_augment(cfg("report.enabled=false"), tmp_path / "default")
    assert s["filters"]["share_by_outcome"]["rating_lean"] > default["filters"]["share_by_outcome"]["rating_lean"]


def test_a_run_pauses_the_garbage_collector_and_restores_it(tmp_path):
    import gc

    from lic_gpu.gc_pause import paused_gc

    assert gc.isenabled()
    with pytest.raises(LicGpuError):
        run_augment(cfg("data=csv", f"data.path={tmp_path / 'nope.csv'}"), tmp_path / "out")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_report_without_caps_draws_one_bar_per_level(tmp_path, monkeypatch):
    from lic_gpu.report import figures

    calls = []
    real = figures.plot_level_distributions
    monkeypatch.setattr(
        figures,
        "plot_level_distributions",
        lambda frame, capped, *a, **k: (calls.append(capped), real(frame, capped, *a, **k))[1],
    )
    run_augment(cfg("report.subject_column=episode", "report.max_table_rows=2"), tmp_path)
    assert calls == [None]  # no after-caps bars repeating the before bars
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Rows per subject (episode)" in text and "the whole table is `rows_per_subject.csv`" in text
    assert pd.read_csv(tmp_path / "rows_per_subject.csv").columns[0] == "episode"


def test_unknown_subject_column_is_one_line_before_any_work(tmp_path, monkeypatch):
    from lic_gpu.vectors.store import EmbeddingStore

    monkeypatch.setattr(EmbeddingStore, "load", lambda *a, **k: pytest.fail("vectors read before the check"))
    with pytest.raises(LicGpuError, match="report.subject_column 'speaker' is not a column"):
        run_augment(cfg("report.subject_column=speaker"), tmp_path / "out")
    assert not (tmp_path / "out").exists()
