"""Balance an emotion's rating classes with LIC-guided word swaps.

    python scripts/augment.py                         # demo corpus, packaged GloVe, emotion=arousal
    python scripts/augment.py emotion=valence device=cuda
    python scripts/augment.py -m emotion=arousal,valence
"""
import gc

# torch, pandas and Hydra leave ~350 000 tracked objects after import; the cyclic garbage
# collector would walk them again and again on the way (~0.4 s). Import with it paused, then
# move everything imported out of its sight.
gc.disable()
import hydra  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from lic_gpu.pipeline import exit_after_single_run, main_guarded, run_augment  # noqa: E402

gc.freeze()
gc.enable()


@hydra.main(version_base="1.3", config_path="../conf", config_name="augment")
def main(cfg: DictConfig) -> None:
    main_guarded(run_augment, cfg)


if __name__ == "__main__":
    main()
    exit_after_single_run()  # skips ~0.5 s of interpreter teardown; outputs are already written
