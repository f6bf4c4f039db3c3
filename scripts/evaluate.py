"""Does the augmentation help? Train/test split by group first, augment the train part only, compare.

    python scripts/evaluate.py                                   # demo corpus, small setting
    python scripts/evaluate.py data=emobank data.path=../shared/data/emobank/emobank.csv \
        group.column=id group.prefix_sep=_ out_dir=evaluation/emobank
"""

from pathlib import Path

from lic_gpu.app.entry import quiet_interrupts, run_hydra_app
from lic_gpu.gc_pause import paused_gc

with quiet_interrupts(), paused_gc(freeze=True):  # ~0.4 s less start-up, see lic_gpu.gc_pause
    import hydra
    from omegaconf import DictConfig
    from lic_gpu.evaluation.job import run_evaluate
    from lic_gpu.app.config_check import check_command_line
    from lic_gpu.app.job_help import check_job_command_line
    from lic_gpu.app.entry import exit_after_single_run, main_guarded


@hydra.main(version_base="1.3", config_path="../conf", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    main_guarded(run_evaluate, cfg)


if __name__ == "__main__":
    # an unknown key: one line with a suggestion, before Hydra composes
    conf = Path(__file__).resolve().parents[1] / "conf"
    # --help for this job; a base_* schema or a SLURM launcher without SLURM: one line, exit 2
    check_job_command_line("evaluate", conf=conf)
    check_command_line("evaluate", conf=conf)
    run_hydra_app(main)  # Hydra's own failures (overrides, the run folder) as one line, exit 2
    exit_after_single_run()  # skips ~0.5 s of interpreter teardown; outputs are already written
