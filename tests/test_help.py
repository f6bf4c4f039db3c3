"""A job-specific --help (the groups a user chooses, never Hydra's base_* schemas), base_* choices
refused, and a SLURM launcher without SLURM as one line (issue 24)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lic_gpu.app.job_help import command_line_problem, group_choices, job_help

from helpers import ROOT

CONF = ROOT / "conf"


def _run(args, env=None):
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def _command(job: str) -> list[str]:
    """The installed command (lic-augment, lic-evaluate) as its entry point runs it."""
    return ["-c", f"import sys; sys.argv[0] = 'lic-{job}'; from lic_gpu.cli import {job}; {job}()"]


@pytest.mark.parametrize("job", ["augment", "evaluate"])
@pytest.mark.parametrize("how", ["script", "command"])
def test_help_lists_the_groups_users_choose(job, how):
    args = [str(ROOT / "scripts" / f"{job}.py")] if how == "script" else _command(job)
    res = _run([*args, "--help"])
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "base_" not in out and "powered by Hydra" not in out
    for group, options in group_choices(CONF).items():
        if group in ("study",) and job == "augment" or group == "caps" and job == "evaluate":
            continue
        for option in options:
            lines = [ln for ln in out.splitlines() if ln.strip().startswith(f"{group}={option} ")]
            assert len(lines) == 1, (group, option)  # one line each
    assert "data=demo" in out and "emotion=" in out
    assert max(len(ln) for ln in out.splitlines()) <= 110


def test_help_marks_the_defaults():
    text = job_help("augment", CONF)
    assert any(ln.strip().startswith("data=demo") and " * " in ln for ln in text.splitlines())
    assert not any(ln.strip().startswith("data=csv") and " * " in ln for ln in text.splitlines())


def test_help_shows_the_options_set_most_with_their_yaml_defaults():
    # trial 8: the text column, the output format and the encoder stage were found only with --cfg job
    from lic_gpu.io.conf_files import load_yaml

    lines = job_help("augment", CONF).splitlines()
    diverse = load_yaml(CONF / "augment" / "diverse.yaml")
    for key, value in [
        ("data.text_column", load_yaml(CONF / "data" / "csv.yaml")["text_column"]),
        ("output.format", load_yaml(CONF / "augment.yaml")["output"]["format"]),
        ("augment.encoder", str(diverse["encoder"]).lower()),
        ("augment.sampling_strategy", diverse["sampling_strategy"]),
    ]:
        assert sum(ln.strip().startswith(f"{key}={value} ") for ln in lines) == 1, key


@pytest.mark.parametrize("arg", ["data=base_csv", "caps=base_rectangle", "embeddings=base_embeddings"])
def test_a_base_schema_as_a_choice_is_one_line(arg):
    res = _run([str(ROOT / "scripts" / "augment.py"), arg])
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: '{arg}'") and "not a choice" in lines[0]
    group = arg.split("=")[0]
    assert ", ".join(group_choices(CONF)[group]) in lines[0]


@pytest.mark.parametrize("how", ["script", "command"])
def test_slurm_launcher_without_slurm_is_one_line(tmp_path, how):
    # a PATH without sbatch or srun (the interpreter is called by its full path)
    args = [str(ROOT / "scripts" / "augment.py")] if how == "script" else _command("augment")
    res = _run(
        [*args, "-m", "hydra/launcher=cluster_slurm", "emotion=arousal", f"hydra.sweep.dir={tmp_path / 's'}"],
        env={"PATH": str(tmp_path)},
    )
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: hydra/launcher=cluster_slurm needs"), res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "s").exists()


def test_slurm_launcher_with_slurm_passes(tmp_path, monkeypatch):
    import importlib.util

    if importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None:
        assert "pip install" in command_line_problem(["hydra/launcher=cluster_slurm"], CONF)
        return
    for tool in ("sbatch", "srun"):
        (tmp_path / tool).write_text("#!/bin/sh\n")
        (tmp_path / tool).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert command_line_problem(["-m", "hydra/launcher=cluster_slurm", "emotion=arousal"], CONF) is None
    (tmp_path / "srun").unlink()
    assert "srun is not on PATH" in command_line_problem(["hydra/launcher=cluster_slurm"], CONF)


def test_the_multirun_flag_may_stand_after_an_override():
    """Trial 9: ``augment.py data=csv -m emotion=a,b`` printed argparse's usage text; the flag is moved first."""
    from lic_gpu.app.entry import multirun_flag_first

    assert multirun_flag_first(["data=csv", "-m", "emotion=a,b"]) == ["-m", "data=csv", "emotion=a,b"]
    assert multirun_flag_first(["--multirun", "x=1"]) == ["--multirun", "x=1"]
    assert multirun_flag_first(["x=1", "--cfg", "job"]) == ["x=1", "--cfg", "job"]


def test_a_value_the_shell_split_at_its_spaces_is_named_whole():
    """Trial 9: ``data.path=/work/my data/therapy set.csv`` unquoted gave only "Error parsing override 'data/therapy'"."""
    from lic_gpu.app.entry import _spaces_hint

    args = ["data=csv", "data.path=/work/my", "data/therapy", "set.csv", "emotion=a"]
    assert _spaces_hint("data/therapy", args) == (
        ": it is not key=value; the shell split a value at its spaces: quote it, \"data.path='/work/my data/therapy set.csv'\""
    )
    assert _spaces_hint("foo", ["foo"]) == ": an override is key=value (quote a value holding spaces for the shell)"
