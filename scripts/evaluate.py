"""Does the augmentation help? Train/test split by group first, augment the train part only, compare.

    python scripts/evaluate.py                                   # demo corpus, small setting
    python scripts/evaluate.py data=emobank data.path=../shared/data/emobank/emobank.csv \
        group.column=id group.prefix_sep=_ out_dir=evaluation/emobank
"""
import gc

# torch, pandas and Hydra leave ~350 000 tracked objects after import; the cyclic garbage
# collector would walk them again and again on the way (~0.4 s). Import with it paused, then
# move everything imported out of its sight.
gc.disable()
import hydra  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from lic_gpu.evaluate import run_evaluate  # noqa: E402
from lic_gpu.pipeline import exit_after_single_run, main_guarded  # noqa: E402

gc.freeze()
gc.enable()


@hydra.main(version_base="1.3", config_path="../conf", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    main_guarded(run_evaluate, cfg)


if __name__ == "__main__":
    main()
    exit_after_single_run()  # skips ~0.5 s of interpreter teardown; outputs are already written
