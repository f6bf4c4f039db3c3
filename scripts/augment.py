"""Balance an emotion's rating classes with LIC-guided word swaps.

python scripts/augment.py                         # demo corpus, packaged GloVe, emotion=arousal
python scripts/augment.py emotion=valence device=cuda
python scripts/augment.py -m emotion=arousal,valence
"""

from pathlib import Path

from lic_gpu.app.entry import quiet_interrupts, run_hydra_app
from lic_gpu.gc_pause import paused_gc

with quiet_interrupts(), paused_gc(freeze=True):  # ~0.4 s less start-up, see lic_gpu.gc_pause
    import hydra
    from omegaconf import DictConfig
    from lic_gpu.app.config_check import check_command_line
    from lic_gpu.app.job_help import check_job_command_line
    from lic_gpu.app.augment_job import run_augment_command
    from lic_gpu.app.entry import exit_after_single_run, main_guarded


@hydra.main(version_base="1.3", config_path="../conf", config_name="augment")
def main(cfg: DictConfig) -> None:
    main_guarded(run_augment_command, cfg)


if __name__ == "__main__":
    # an unknown key: one line with a suggestion, before Hydra composes
    conf = Path(__file__).resolve().parents[1] / "conf"
    # --help for this job; a base_* schema or a SLURM launcher without SLURM: one line, exit 2
    check_job_command_line("augment", conf=conf)
    check_command_line("augment", conf=conf)
    run_hydra_app(main)  # Hydra's own failures (overrides, the run folder) as one line, exit 2
    exit_after_single_run()  # skips ~0.5 s of interpreter teardown; outputs are already written
