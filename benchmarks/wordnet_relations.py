"""How the blind readers' labels depend on the WordNet relation of the swapped pair.

    python benchmarks/wordnet_relations.py          # writes benchmarks/results/wordnet.md

Rows: every reading in ``benchmarks/results/quality/`` (as ``score_fit.py`` reads them), each with one
swap (rows with several swaps are left out: 73). For each row: the relation
(:meth:`lic_gpu.fluency.wordnet.WordNet.relation`) of the swapped pair and the shipped swap score
(:func:`lic_gpu.score_swaps`). Tables: labels per relation, on all rows, and on the rows the default's
threshold (``augment.min_fluency``) keeps in the readings the score was never fitted on, split by
whether the check would keep them. This is where the check was chosen; a fresh reading checks it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
OUT_MD = ROOT / "benchmarks" / "results" / "wordnet.md"
# readings made after the score was fixed (it was not fitted on them): score_fresh_readings.py's, and later
FRESH = ("enc", "encb", "h22e", "h22eb", "h22f", "h22fb", "enc2", "enc2b", "h22g", "h22gb", "h22h", "h22hb")
# the stricter reader of each pair (the first; the "b" readers were told to be lenient where unsure)
STRICT = ("enc", "enc2", "h22e", "h22f", "h22g", "h22h", "h22i", "h22j", "h22k", "h22l")
# the noun rule (augment.wordnet: true) was chosen on the readings up to h22l; later ones check it
CHECKS_NOUN_RULE = ("h22m", "h22mb", "h22n", "h22nb", "h22o", "h22ob")


def rows_with_relation() -> pd.DataFrame:
    from score_fit import labelled_rows

    from lic_gpu import score_swaps
    from lic_gpu.io.conf_files import augment_defaults
    from lic_gpu.fluency.wordnet import WordNet
    from lic_gpu.scoring.align import align_swaps, tokens_of

    rows = labelled_rows()
    swaps = [align_swaps(tokens_of(s), tokens_of(n)) for s, n in zip(rows["source"], rows["new"])]
    rows = rows[[len(s) == 1 for s in swaps]].copy()
    pairs = [s[0] for s, keep in zip(swaps, [len(s) == 1 for s in swaps]) if keep]
    wordnet = WordNet()
    rows["old"] = [p.old for p in pairs]
    rows["replacement"] = [p.new for p in pairs]
    rows["relation"] = [wordnet.relation(p.old, p.new) for p in pairs]
    rows["score"] = score_swaps(rows["source"].tolist(), rows["new"].tolist(), encoder=False)
    rows.attrs["min_fluency"] = augment_defaults()["min_fluency"]
    # the swapped token's Penn tag in its source, as the job tags it (the noun rule looks at the slot)
    from lic_gpu.fluency.taggers import load_tagger

    sources = [tokens_of(s) for s in rows["source"]]
    tags = load_tagger("auto").tag(sources)
    rows["tag"] = [t[p.pos] if t is not None else "?" for t, p in zip(tags, pairs)]
    return rows


def _line(name: str, frame: pd.DataFrame) -> str:
    n = len(frame)
    share = {lab: 100 * (frame["label"] == lab).mean() if n else 0.0 for lab in ("F", "U", "L")}
    return f"| {name} | {n} | {share['F']:.1f} % | {share['U']:.1f} % | {share['L']:.1f} % |"


def main() -> None:
    from lic_gpu.fluency.wordnet import RELATED, RELATIONS

    rows = rows_with_relation()
    cut = rows.attrs["min_fluency"]
    head = "| rows | n | F | U | L |\n|---|---:|---:|---:|---:|"
    out = [
        "# The WordNet relation of a swap and what blind readers said of it",
        "",
        f"Produced by `python benchmarks/wordnet_relations.py`. {len(rows)} read rows with one swap, from every",
        "reading in `benchmarks/results/quality/` (a row two readers read counts once per reader). F = fluent &",
        "rating-keeping, U = not fluent, L = label-changing. The check (`augment.wordnet`) keeps "
        + ", ".join(r for r in RELATIONS if r in RELATED)
        + "; it refuses unrelated and unknown pairs.",
        "",
        "## All rows, by relation",
        "",
        head,
    ]
    out += [_line(r, rows[rows["relation"] == r]) for r in RELATIONS if (rows["relation"] == r).any()]
    fresh = rows[rows["reading"].isin(FRESH)]
    kept = fresh[fresh["score"] >= cut]
    related = kept["relation"].isin(RELATED)
    out += [
        "",
        f"## Rows the default threshold keeps (score >= {cut}), readings the score was not fitted on",
        "",
        "Readings " + ", ".join(FRESH) + " (their rows scored again with the shipped score).",
        "",
        head,
        _line("all", kept),
        _line("WordNet-related (kept by the check)", kept[related]),
        _line("unrelated or unknown (refused)", kept[~related]),
    ]
    kept_all = rows[(rows["score"] >= cut) & rows["relation"].isin(RELATED)]
    chosen_on = kept_all[~kept_all["reading"].isin(CHECKS_NOUN_RULE)]
    out += [
        "",
        "## The noun rule: rows the default kept (score >= the threshold, WordNet-related), by slot and direction",
        "",
        "Where `augment.wordnet: true` refuses narrower and sibling nouns. The relation is directional (`broader`:",
        "the new word's sense is a hypernym of the old one's; for adjectives a similar-to link). All readings the",
        "rule was chosen on (up to h22l; rows scored again with the shipped score), every reader and the stricter",
        "reader of each pair (" + ", ".join(STRICT) + ").",
        "",
        "| slot | relation | n (all readers) | F | L | n (strict) | F | L |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    slot = np.where(
        chosen_on["tag"].str.startswith("NN"),
        "noun",
        np.where(chosen_on["tag"].str.startswith("JJ"), "adjective", "other"),
    )
    for (kind, relation), part in chosen_on.groupby([slot, chosen_on["relation"]]):
        strict = part[part["reading"].isin(STRICT)]
        out.append(
            f"| {kind} | {relation} | {len(part)} | {100 * (part['label'] == 'F').mean():.1f} % | "
            f"{100 * (part['label'] == 'L').mean():.1f} % | {len(strict)} | "
            + (
                f"{100 * (strict['label'] == 'F').mean():.1f} % | {100 * (strict['label'] == 'L').mean():.1f} % |"
                if len(strict)
                else "- | - |"
            )
        )
    out += [
        "",
        "## Label-changing rows the check refuses (all readings), by pair",
        "",
        "| old -> new | readings |",
        "|---|---:|",
    ]
    refused_l = rows[(rows["label"] == "L") & ~rows["relation"].isin(RELATED)]
    counts = (refused_l["old"].str.lower() + " -> " + refused_l["replacement"].str.lower()).value_counts()
    out += [f"| {pair} | {n} |" for pair, n in counts.items()]
    kept_l = rows[(rows["label"] == "L") & rows["relation"].isin(RELATED)]
    counts = (kept_l["old"].str.lower() + " -> " + kept_l["replacement"].str.lower()).value_counts()
    out += ["", "Label-changing rows the check keeps:", "", "| old -> new | readings |", "|---|---:|"]
    out += [f"| {pair} | {n} |" for pair, n in counts.items()]
    OUT_MD.write_text("\n".join(out) + "\n")
    print("\n".join(out[:40]))


if __name__ == "__main__":
    main()
