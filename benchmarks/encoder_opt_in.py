"""What ``augment.encoder=true`` costs and drops (issue 22): EmoBank arousal and valence, default mode,
``encoder=false`` against ``true`` (same seed), rows kept and dropped per class, and the encoder stage's
cost per new row on this machine's CPU.

    PYTHONPATH=$PWD python benchmarks/encoder_opt_in.py [--shared ../shared] [--out benchmarks/results/encoder_opt_in.md]

The cost is timed on the ``encoder=false`` run's rows, as the stage scores them
(:func:`lic_gpu.augment.scored.with_fluency` with ``encoder=True``: spaCy tags from the warm tag cache, the
LM and word features, and the encoder's forward pass of both sentences), after one untimed warm-up call
that loads the models, best of :data:`REPEATS`; the plain ``score_swaps`` on the same rows (its LM and tag
look-ups warm, as the encoder stage's are) is timed beside it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 3


def run(emotion: str, encoder: bool, data: Path, out: Path) -> tuple[dict, pd.DataFrame]:
    from lic_gpu.app.augment_job import run_augment

    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose(
            config_name="augment",
            overrides=[
                "device=cpu",
                "data=emobank",
                f"data.path={data}",
                f"emotion={emotion}",
                "report.enabled=false",
                f"augment.encoder={str(encoder).lower()}",
            ],
        )
    summary = run_augment(cfg, out)
    frame = pd.read_csv(out / f"augmented_{emotion}.csv", keep_default_na=False)
    text = dict(zip(frame["row_id"], frame["text"]))
    new = frame[frame["is_augmented"]].copy()
    new["source"] = [text[i] for i in new["source_row"]]
    return summary, new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "encoder_opt_in.md")
    parser.add_argument("--work", type=Path, default=None, help="run folders (default: a new temporary folder)")
    args = parser.parse_args()
    from lic_gpu.errors import LicGpuError
    from lic_gpu.scoring.encoder import model_dir

    try:  # without the extra the runs would quietly use the plain score: nothing to compare
        model_dir()
    except LicGpuError as err:
        raise SystemExit(f"encoder_opt_in: {err}") from None
    args.work = args.work or Path(tempfile.mkdtemp(prefix="lic_gpu_encoder_opt_in_"))
    data = args.shared / "data" / "emobank" / "emobank.csv"
    lines = [
        "# augment.encoder: rows kept and dropped, and the stage's cost (EmoBank, default mode, seed 0, CPU)",
        "",
        "`PYTHONPATH=$PWD python benchmarks/encoder_opt_in.py` (a shared 2-core machine: timings are rough).",
        "",
        "| emotion | class | requested | rows, encoder=false | rows, encoder=true | dropped |",
        "|---|---|---:|---:|---:|---:|",
    ]
    costs = []
    for emotion in ("arousal", "valence"):
        plain_s, plain = run(emotion, False, data, args.work / f"{emotion}_plain")
        enc_s, enc = run(emotion, True, data, args.work / f"{emotion}_encoder")
        for cls, rep in plain_s["classes"].items():
            if not rep["requested"]:
                continue
            got = enc_s["classes"][cls]
            lines.append(
                f"| {emotion} | {cls} | {rep['requested']} | {rep['generated']} | {got['generated']} | "
                f"{got.get('refused', {}).get('encoder', 0)} |"
            )
        costs.append((emotion, time_stage(plain)))
    lines += [
        "",
        "| emotion | new rows timed | encoder stage, ms/row | plain score_swaps (warm), ms/row |",
        "|---|---:|---:|---:|",
    ]
    for emotion, (n, enc_ms, plain_ms) in costs:
        lines.append(f"| {emotion} | {n} | {enc_ms:.1f} | {plain_ms:.1f} |")
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(json.dumps({e: c for e, c in costs}))


def time_stage(new: pd.DataFrame) -> tuple[int, float, float]:
    """(rows, ms per row of the encoder stage's scoring, ms per row of the plain score) on ``new``."""
    from lic_gpu.augment.scored import ENCODER_CHUNK
    from lic_gpu.scoring import score_swaps

    sources = new["source"].tolist()
    news = new["text"].tolist()
    score_swaps(sources[:8], news[:8], encoder=True)  # loads spaCy, the LM and the encoder: not timed
    score_swaps(sources, news, encoder=False)  # fills the tag cache as the run did
    plain, enc = [], []
    for _ in range(REPEATS):  # the best of a few: other processes share this machine's cores
        t0 = time.perf_counter()
        score_swaps(sources, news, encoder=False)
        plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for i in range(0, len(news), ENCODER_CHUNK):
            score_swaps(sources[i : i + ENCODER_CHUNK], news[i : i + ENCODER_CHUNK], encoder=True)
        enc.append(time.perf_counter() - t0)
    plain, enc = min(plain), min(enc)
    return len(news), 1000 * enc / len(news), 1000 * plain / len(news)


if __name__ == "__main__":
    main()
