"""Unknown config keys are an error with a suggestion, also when added with '+' (issue 14)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lic_gpu.app.config import compose_config, config_dir
from lic_gpu.app.config_check import check_overrides
from lic_gpu.errors import LicGpuError

from helpers import ROOT


@pytest.mark.parametrize(
    "overrides, pattern",
    [
        (["augment.maxswaps=3"], r"unknown config key 'augment.maxswaps'.*did you mean 'augment.max_swaps'\?"),
        (
            ["+augment.maxswaps=3"],
            r"'augment.maxswaps' \(in '\+augment.maxswaps=3'\); did you mean 'augment.max_swaps'",
        ),
        (["+emotoin=valence"], r"did you mean 'emotion'"),
        (["augment.guard.corpus.margn=2"], r"did you mean 'augment.guard.corpus.margin'"),
        (["data=csv", "data.words_csv=w.csv"], r"an option of data=seed_csv, not of data=csv"),
        (["+output.fromat=parquet"], r"did you mean 'output.format'"),
        (["zzz=1"], r"top-level keys are \[.*'emotion'"),
    ],
)
def test_unknown_keys_are_refused_with_a_hint(overrides, pattern):
    with pytest.raises(LicGpuError, match=pattern) as info:
        check_overrides(overrides, "augment", config_dir())
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "overrides",
    [
        ["augment.max_swaps=3", "emotion=[arousal,valence]", "device=cpu"],
        ["data=csv", "data.path=x.tsv", "data.sep=;", "data.label_kind=categorical", "data.split_column=null"],
        ["caps=rectangle", "+caps.region.joy=[2,5]"],  # the region maps emotions: any name
        ["augment.sampling_strategy={1: 30}", "+augment.sampling_strategy.2=40", "output.format=parquet"],
        ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.run.dir=/tmp/x"],
        ["augment=seed", "augment.guard.enabled=false", "embeddings=file", "embeddings.source=v.bin"],
        ["data=csv,emobank", "data.path=x.csv"],  # a sweep over choices: keys of either
    ],
)
def test_known_keys_pass(overrides):
    check_overrides(overrides, "augment", config_dir())


def test_evaluate_config_keys():
    check_overrides(
        ["augment_seed.k=3", "group.column=id", "tfidf.C=2", "guard={enabled: false}"], "evaluate", config_dir()
    )
    with pytest.raises(LicGpuError, match="did you mean 'group.column'"):
        check_overrides(["groop.column=id"], "evaluate", config_dir())


def test_compose_config_checks_and_matches_the_command_line():
    with pytest.raises(LicGpuError, match="did you mean 'augment.max_swaps'"):
        compose_config(["+augment.maxswaps=3"])
    cfg = compose_config(["augment.k=7"])
    assert cfg.augment.k == 7 and cfg.augment.mode == "diverse" and cfg.data.kind == "demo"


@pytest.mark.slow
@pytest.mark.parametrize("override", ["augment.maxswaps=3", "+augment.maxswaps=3"])
def test_script_refuses_unknown_key_in_one_line(tmp_path, override):
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "augment.py"), override, "device=cpu"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert res.returncode == 2, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert lines == [
        f"error: unknown config key 'augment.maxswaps' (in '{override}'); did you mean 'augment.max_swaps'?"
    ], res.stderr
    assert not (tmp_path / "outputs").exists()


def test_compose_config_inside_a_running_hydra_context():
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf"), job_name="outer"):
        assert compose_config(["seed=3"]).seed == 3
        assert GlobalHydra.instance().is_initialized()
        assert compose(config_name="augment", overrides=["seed=4"]).seed == 4  # the outer context still works


def test_a_missing_group_option_is_left_to_hydra():
    check_overrides(["data=nosuch", "data.path=x"], "augment", config_dir())  # Hydra says data/nosuch is missing
