"""Would more blind labels lift the swap score? Held-out AUC against the share of training labels used.

    python benchmarks/score_learning_curve.py [--features CACHE.parquet] [--repeats 3]

Same rows, folds and models as ``score_probes.py`` (every labelled row, GroupKFold by source, 5 folds; AUC
over reader-rows): in each fold, the shipped ``full_encoder`` model and the plain model (the features the
sampler scores with, no encoder) are fitted on a random share of the training fold's sources (25 %, 50 %, 75 %, all) and tested on the
whole held-out fold. A curve still rising at 100 % says more readings would help; a flat one says the labels'
number is not what holds the score below 0.80. Writes ``benchmarks/results/score_learning_curve.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from encoder_state_fit import C_STATE, labelled_swaps  # noqa: E402
from score_fit import C, auc, fit_linear  # noqa: E402
from score_probes import _columns  # noqa: E402

OUT_MD = ROOT / "benchmarks" / "results" / "score_learning_curve.md"
SHARES = (0.25, 0.5, 0.75, 1.0)


def curve(feats, y, groups, splits, cols, c: float, share: float, seed: int) -> float:
    """Pooled held-out AUC of a model fitted, in each fold, on ``share`` of the training fold's sources."""
    rng = np.random.default_rng(seed)
    out = np.full(len(y), np.nan)
    for tr, te in splits:
        sources = np.unique(groups[tr])
        keep = rng.choice(sources, size=max(1, round(share * len(sources))), replace=False)
        sub = tr[np.isin(groups[tr], keep)]
        model = fit_linear(feats.iloc[sub].reset_index(drop=True), y[sub], cols, groups[sub], c)
        out[te] = model.probability(feats.iloc[te].reset_index(drop=True))
    return auc(y, out)


def _reading(means: dict, n_rows: int) -> str:
    """The encoder model's gain per doubling of the labels (50 % -> 100 %) and, were it to go on so, the labels
    0.80 would take."""
    per_doubling = means[1.0, C_STATE] - means[0.5, C_STATE]
    if per_doubling <= 0:
        return "Reading: the encoder model gains nothing from 50 % to 100 % of the labels."
    doublings = (0.80 - means[1.0, C_STATE]) / per_doubling
    return (
        f"Reading: the encoder model gains {per_doubling:.3f} AUC per doubling of the labels (50 % -> 100 %). "
        f"Were it to go on gaining so (a curve like this one usually flattens), 0.80 would take "
        f"{doublings:.1f} more doublings: about {2**doublings:.0f}x today's labels, some {n_rows * 2**doublings:,.0f} "
        "reader-rows, where one blind reading gives 150-250."
    )


def main() -> None:
    from lic_gpu.report.markdown import markdown_table

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--features", type=Path, help="parquet cache of the rows' features (written if absent)")
    ap.add_argument("--repeats", type=int, default=3, help="random subsamples per share below 100 %%")
    a = ap.parse_args()
    t0 = time.perf_counter()
    rows, feats, y, groups, splits = labelled_swaps(a.features)
    from lic_gpu.scoring import FEATURES

    _, state = _columns()
    plain = tuple(FEATURES)
    n_train = int(np.mean([len(np.unique(groups[tr])) for tr, _ in splits]))
    table, means = [], {}
    for share in SHARES:
        reps = 1 if share == 1.0 else a.repeats
        cells = [f"{share:.0%}", f"~{round(share * n_train)}"]
        for cols, c in ((plain, C), (state, C_STATE)):
            aucs = [curve(feats, y, groups, splits, cols, c, share, seed) for seed in range(reps)]
            means[share, c] = float(np.mean(aucs))
            cells.append(f"{np.mean(aucs):.3f}" + (f" ({min(aucs):.3f}-{max(aucs):.3f})" if reps > 1 else ""))
        table.append(cells)
        print(cells, file=sys.stderr, flush=True)
    lines = [
        "# Would more blind labels lift the swap score?",
        "",
        f"Produced by `python benchmarks/score_learning_curve.py` (see its docstring). {len(y)} reader-rows of "
        f"{rows['reading'].nunique()} readings ({int(y.sum())} F), {len(np.unique(groups))} source sentences; "
        f"5 folds by source. Each model is fitted on a random share of each training fold's sources and tested "
        f"on the whole held-out fold (mean, and range, of {a.repeats} draws below 100 %).",
        "",
        markdown_table(
            table, ["share of training sources", "sources per fold", "plain model AUC", "encoder model AUC"]
        ),
        "",
        _reading(means, len(y)),
        "",
        f"({time.perf_counter() - t0:.0f} s)",
        "",
    ]
    OUT_MD.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
