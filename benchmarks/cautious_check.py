"""Held-out AUC of the plain and the encoder model as fitted and with score_fit.cautious applied in each training fold.

python benchmarks/cautious_check.py [--features CACHE.parquet]
"""

from pathlib import Path
import argparse
import sys

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from encoder_state_fit import labelled_swaps, C_STATE
from score_fit import fit_linear, cautious, auc, C
from lic_gpu.scoring import FEATURES
from lic_gpu.scoring.encoder import ENCODER_FEATURES, STATE_FEATURES

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--features", type=Path, help="parquet cache of the rows' features (written if absent)")
rows, feats, y, groups, splits = labelled_swaps(ap.parse_args().features)
state = tuple(FEATURES) + tuple(ENCODER_FEATURES) + tuple(STATE_FEATURES)
for name, cols, c in (("full", tuple(FEATURES), C), ("full_encoder", state, C_STATE)):
    p0, p1 = np.full(len(y), np.nan), np.full(len(y), np.nan)
    for tr, te in splits:
        m = fit_linear(feats.iloc[tr], y[tr], cols, groups[tr], c)
        p0[te] = m.probability(feats.iloc[te])
        p1[te] = cautious(m, feats.iloc[tr])[0].probability(feats.iloc[te])
    print(f"{name}: held-out AUC {auc(y, p0):.4f} as fitted, {auc(y, p1):.4f} cautious ({len(y)} reader-rows)")
