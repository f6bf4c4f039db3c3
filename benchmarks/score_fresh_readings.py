"""The shipped swap score on readings it was never fitted on: ROC AUC of F against U/L per reading.

    python benchmarks/score_fresh_readings.py enc encb h22e h22eb h22f h22fb enc2 enc2b
    python benchmarks/score_fresh_readings.py --thresholds       # the min_fluency table (strict + lenient)

Every row of these readings was made by the default with the score already fixed (and kept because its
score passed ``augment.min_fluency``), so this is an out-of-sample check on a restricted range: it says how
well the score still ranks the rows it lets through. Both models: the plain one and ``full_encoder`` (needs
``pip install "lic_gpu[encoder]"``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
QUALITY = ROOT / "benchmarks" / "results" / "quality"


def auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC by ranks (ties count half)."""
    ranks = pd.Series(s).rank().to_numpy()
    pos = y == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def read_labelled(name: str) -> pd.DataFrame:
    """One reading's labels joined to the rows it read (item, label, note, source, new, ...)."""
    return pd.read_csv(QUALITY / f"labels_{name}.csv").merge(pd.read_csv(QUALITY / f"blind_{name}.csv"), on="item")


def main(readings: list[str]) -> None:
    from lic_gpu import score_swaps

    parts = []
    for name in readings:
        frame = read_labelled(name)
        parts.append(frame[frame["label"].isin(["F", "U", "L"])].assign(reading=name))
    rows = pd.concat(parts, ignore_index=True)
    y = (rows["label"] == "F").to_numpy(int)
    plain = np.asarray(score_swaps(rows["source"].tolist(), rows["new"].tolist(), encoder=False))
    encoder = np.asarray(score_swaps(rows["source"].tolist(), rows["new"].tolist(), encoder=True))
    print("| reading | rows | plain score AUC | full_encoder AUC |")
    print("|---|---:|---:|---:|")
    for name in readings:
        m = (rows["reading"] == name).to_numpy()
        print(f"| {name} | {int(m.sum())} | {auc(y[m], plain[m]):.3f} | {auc(y[m], encoder[m]):.3f} |")
    print(f"| all | {len(rows)} | {auc(y, plain):.3f} | {auc(y, encoder):.3f} |")


# strict reader's reading -> the lenient reader's of the same rows
PAIRED = {"enc": "encb", "h22e": "h22eb", "h22f": "h22fb", "enc2": "enc2b"}


def thresholds(cuts: tuple[float, ...] = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85)) -> None:
    """For each cut: the share of the rows whose plain score reaches it, and how the strict and the lenient
    reader labelled those rows (the rows were made at min_fluency 0.6, so a higher cut is a filter on them;
    the sampler at that cut makes the same rows minus those below it, as it ranks each slot by the score)."""
    from lic_gpu import score_swaps

    parts = []
    for strict, lenient in PAIRED.items():
        frame = read_labelled(strict)
        other = pd.read_csv(QUALITY / f"labels_{lenient}.csv")[["item", "label"]].rename(columns={"label": "lenient"})
        parts.append(frame.merge(other, on="item").assign(reading=strict))
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[rows["label"].isin(["F", "U", "L"]) & rows["lenient"].isin(["F", "U", "L", "D"])]
    score = np.asarray(score_swaps(rows["source"].tolist(), rows["new"].tolist(), encoder=False))
    print(f"{len(rows)} rows read by both readers ({', '.join(PAIRED)} with their lenient readings)")
    print("| min_fluency | rows kept | strict F | lenient F | mean of the two | strict L | lenient L |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for cut in cuts:
        kept = rows[score >= cut]
        strict_f = 100 * (kept["label"] == "F").mean()
        lenient_f = 100 * (kept["lenient"] == "F").mean()
        print(
            f"| {cut:.2f} | {100 * len(kept) / len(rows):.0f} % ({len(kept)}) | {strict_f:.1f} % | {lenient_f:.1f} % | "
            f"{(strict_f + lenient_f) / 2:.1f} % | {100 * (kept['label'] == 'L').mean():.1f} % | "
            f"{100 * (kept['lenient'] == 'L').mean():.1f} % |"
        )


if __name__ == "__main__":
    if sys.argv[1:] == ["--thresholds"]:
        thresholds()
    else:
        main(sys.argv[1:] or ["enc", "encb", "h22e", "h22eb", "h22f", "h22fb", "enc2", "enc2b"])
