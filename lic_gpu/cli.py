"""The installed commands: ``lic-augment`` and ``lic-evaluate`` (``[project.scripts]`` in pyproject.toml).

They are ``scripts/augment.py`` and ``scripts/evaluate.py`` for an installed package: the same
Hydra apps, composed from :func:`lic_gpu.app.config.config_dir` (the configs shipped in the wheel, or
``conf/`` of a checkout), so they work in any folder::

    lic-augment emotion=arousal device=cuda
    lic-augment data=csv data.path=my.parquet data.text_column=sentence emotion=category
"""

from lic_gpu.app.entry import quiet_interrupts, run_hydra_app
from lic_gpu.gc_pause import paused_gc

with quiet_interrupts(), paused_gc(freeze=True):  # ~0.4 s less start-up, see lic_gpu.gc_pause
    import hydra
    from omegaconf import DictConfig
    from lic_gpu.app.config import config_dir
    from lic_gpu.app.config_check import check_command_line
    from lic_gpu.app.job_help import check_job_command_line
    from lic_gpu.app.augment_job import run_augment_command
    from lic_gpu.app.entry import exit_after_single_run, main_guarded

_CONF = str(config_dir())


@hydra.main(version_base="1.3", config_path=_CONF, config_name="augment")
def _augment(cfg: DictConfig) -> None:
    main_guarded(run_augment_command, cfg)


@hydra.main(version_base="1.3", config_path=_CONF, config_name="evaluate")
def _evaluate(cfg: DictConfig) -> None:
    from lic_gpu.evaluation.job import run_evaluate

    main_guarded(run_evaluate, cfg)


def augment() -> None:
    """``lic-augment [overrides]``: balance an emotion's classes (see README, *Using it*)."""
    check_job_command_line("augment")
    check_command_line("augment")
    run_hydra_app(_augment)
    exit_after_single_run()


def evaluate() -> None:
    """``lic-evaluate [overrides]``: does the augmentation help (see README, *Evaluation*)."""
    check_job_command_line("evaluate")
    check_command_line("evaluate")
    run_hydra_app(_evaluate)
    exit_after_single_run()
