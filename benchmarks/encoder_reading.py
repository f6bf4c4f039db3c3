"""Read blind the rows the encoder stage keeps and drops at a threshold (issue 22).

    python benchmarks/encoder_reading.py sample --label h22s [--threshold T] [--emobank PATH]
    python benchmarks/encoder_reading.py sample-floor --label h22t [--threshold T] [--floor 0.6]
    python benchmarks/encoder_reading.py score --label h22s

``sample`` runs the main job (the default configuration, seed 0) with the encoder stage re-scoring every
new row and dropping none (``augment.encoder=true augment.encoder_min_fluency=null``), leaves out every
row whose source or new sentence an earlier reading showed, and draws up to ``N_HIGH`` rows scoring at
least the threshold and ``N_LOW`` rows below it per run. The rows go, shuffled together and stripped of
everything that says how they were made or how they scored, to ``benchmarks/results/quality/blind_<label>.csv``
(the same columns as :mod:`quality_audit`); ``key_<label>.csv`` keeps the run, the stratum, the encoder
score and the plain score. Readers who did not write the code fill in ``labels_<label>.csv`` and
``labels_<label>b.csv`` (F / L / U / D, as in :mod:`quality_audit`).

``sample-floor`` reads what a lower floor for the sampler adds under the encoder stage: each run twice, the
sampler at ``min_fluency`` 0.75 (the default) and at ``--floor`` (0.6), both re-scored by the encoder; stratum
``added``: rows only the lower floor makes that score at least the threshold; ``anchor``: rows both make that score
at least the threshold (the default's kept rows, read beside them as a yardstick). Same exclusions, same files.

``score`` writes ``benchmarks/results/encoder_threshold.md``: per reader and stratum the share F
(fluent & rating-keeping) and L (label-changing) with Wilson 95 % intervals, the readers' agreement, and
the held-out ROC AUC of the plain and the encoder score on these rows (no reading of them was ever fitted on).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from quality_audit import DEFAULT_EMOBANK, OUT, blind_item, run_job, runs, write_reading  # noqa: E402

EMOBANK_RUNS = (
    "emobank-arousal",
    "emobank-valence",
    "emobank-devtest-arousal",
    "emobank-devtest-valence",
    "emobank-3class-arousal",
    "emobank-3class-valence",
)
RUNS = (
    *EMOBANK_RUNS,
    "fresh8-arousal",
    "fresh8-valence",
    "fresh9-arousal",
    "fresh9-valence",
)
N_HIGH, N_LOW = 30, 12
SEED = 2041
OUT_MD = ROOT / "benchmarks" / "results" / "encoder_threshold.md"


def default_threshold() -> float:
    """The encoder stage's threshold in the default configuration (``augment.encoder_min_fluency``)."""
    from lic_gpu.augment.settings import AugmentSettings

    return float(AugmentSettings.from_options({"mode": "diverse"}).encoder_min_fluency)


def earlier_sentences(label: str) -> set[str]:
    """Every source and new sentence an earlier reading (any other ``blind_*.csv``) showed."""
    seen: set[str] = set()
    for path in OUT.glob("blind_*.csv"):
        if path.name != f"blind_{label}.csv":
            frame = pd.read_csv(path, keep_default_na=False, dtype=str)
            seen.update(frame["source"].str.strip())
            seen.update(frame["new"].str.strip())
    return seen


def sample(label: str, emobank: Path, threshold: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    seen = earlier_sentences(label)
    specs = runs(emobank)
    items, keys, counts = [], [], []
    for name in RUNS:
        spec = specs[name]
        new, text = _new_rows(spec, [])
        unread = _unread(new, text, seen)
        high, low = unread[unread["encoder"] >= threshold], unread[unread["encoder"] < threshold]
        counts.append([name, len(new), int((new["encoder"] >= threshold).sum()), len(unread), len(high), len(low)])
        _draw(rng, label, name, spec, text, (("high", high, N_HIGH), ("low", low, N_LOW)), items, keys)
    print(pd.DataFrame(counts, columns=["run", "rows", f">= {threshold}", "unread", "unread high", "unread low"]))
    _write(label, rng, items, keys)


FLOOR_RUNS = (
    *EMOBANK_RUNS,
    "demo-arousal",
    *(f"{c}-{e}" for c in ("handmade", "reviews", "mixed", "fresh", "spoken") for e in ("arousal", "valence")),
    *(f"fresh{i}-{e}" for i in range(3, 13) for e in ("arousal", "valence")),
)
N_ADDED, N_ANCHOR = 12, 5


def _new_rows(spec: dict, extra: list[str]) -> tuple[pd.DataFrame, str]:
    """The new rows of one run, with their source sentence and encoder score (nothing dropped)."""
    with tempfile.TemporaryDirectory() as tmp:
        df = run_job(
            spec["overrides"] + ["augment.encoder=true", "augment.encoder_min_fluency=null", *extra], Path(tmp) / "run"
        )
    text = next(c for c in ("text", "label", "sentence") if c in df.columns)
    originals = df[df["is_augmented"].str.lower() != "true"].set_index("row_id")[text]
    new = df[df["is_augmented"].str.lower() == "true"].copy()
    new["source"] = originals.loc[new["source_row"]].to_numpy()
    new["encoder"] = new["fluency"].astype(float)
    return new, text


def sample_floor(
    label: str,
    emobank: Path,
    threshold: float,
    floor: float,
    seed: int,
    only: list[str] | None = None,
    n_added: int = N_ADDED,
) -> None:
    rng = np.random.default_rng(seed)
    seen = earlier_sentences(label)
    specs = runs(emobank)
    items, keys, counts = [], [], []
    for name in only or FLOOR_RUNS:
        spec = specs[name]
        default, text = _new_rows(spec, [])
        lower, _ = _new_rows(spec, [f"augment.min_fluency={floor}"])
        made = set(default[text])
        unread = _unread(lower, text, seen)
        kept = unread[unread["encoder"] >= threshold]
        added, anchor = kept[~kept[text].isin(made)], kept[kept[text].isin(made)]
        counts.append(
            [
                name,
                len(default),
                int((default["encoder"] >= threshold).sum()),
                len(lower),
                int((lower["encoder"] >= threshold).sum()),
                len(added),
                len(anchor),
            ]
        )
        _draw(rng, label, name, spec, text, (("added", added, n_added), ("anchor", anchor, N_ANCHOR)), items, keys)
    columns = ["run", "rows (0.75)", f"kept (0.75, >= {threshold})", f"rows ({floor})", f"kept ({floor})"]
    print(pd.DataFrame(counts, columns=[*columns, "unread added", "unread anchor"]).to_string())
    _write(label, rng, items, keys)


def _unread(rows: pd.DataFrame, text: str, seen: set[str]) -> pd.DataFrame:
    """The rows whose source and new sentence no earlier reading showed."""
    return rows[~rows["source"].str.strip().isin(seen) & ~rows[text].str.strip().isin(seen)]


def _draw(rng, label: str, name: str, spec: dict, text: str, strata, items: list, keys: list) -> None:
    """Up to ``n`` rows of each ``(stratum, rows, n)`` of one run, onto ``items`` (what the reader sees) and
    ``keys`` (run, stratum, encoder score, swaps)."""
    for stratum, part, n in strata:
        for i in sorted(rng.choice(len(part), size=min(n, len(part)), replace=False).tolist()):
            row = part.iloc[i]
            item = hashlib.sha1(f"{label}/{name}/{stratum}/{i}".encode()).hexdigest()[:10]
            items.append(blind_item(item, spec, row, row["source"], row[text]))
            keys.append(
                {"item": item, "run": name, "stratum": stratum, "encoder": row["encoder"], "swaps": row["swaps"]}
            )


def _write(label: str, rng, items: list, keys: list) -> None:
    """The blind and key files, the key with each row's plain score beside its encoder score."""
    from lic_gpu.scoring import score_swaps

    key = pd.DataFrame(keys)
    key["plain"] = score_swaps([i["source"] for i in items], [i["new"] for i in items], encoder=False)
    write_reading(label, items, key, rng)


def wilson(k: int, n: int) -> tuple[float, float]:
    """95 % Wilson interval of k successes in n."""
    if n == 0:
        return (float("nan"), float("nan"))
    z, p = 1.96, k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, mid - half), min(1.0, mid + half))


def share(labels: pd.Series, what: str) -> str:
    k, n = int((labels == what).sum()), len(labels)
    lo, hi = wilson(k, n)
    return f"{100 * k / n:.1f} % ({100 * lo:.1f}-{100 * hi:.1f})" if n else "-"


STRATA = {
    "high": "encoder score at or above the threshold: the rows `augment.encoder=true` keeps",
    "low": "below it: the rows the stage drops",
    "added": "rows only the sampler's lower floor makes, encoder score at or above the threshold",
    "anchor": "rows the default floor makes too, encoder score at or above the threshold",
}


def score(label: str, out: Path = OUT_MD) -> None:
    from sklearn.metrics import cohen_kappa_score, roc_auc_score

    from lic_gpu.report.markdown import markdown_table

    key = pd.read_csv(OUT / f"key_{label}.csv")
    readers = {}
    for reader, suffix in (("first", ""), ("second", "b")):
        lab = pd.read_csv(OUT / f"labels_{label}{suffix}.csv", dtype=str, keep_default_na=False)
        lab["label"] = lab["label"].str.strip().str.upper()
        readers[reader] = key.merge(lab[["item", "label"]], on="item", how="left")
        if readers[reader]["label"].isna().any():
            raise SystemExit(f"labels_{label}{suffix}.csv: some items are not labelled")
    both = readers["first"].merge(readers["second"][["item", "label"]], on="item", suffixes=("", "_2"))
    both["corpus"] = np.where(both["run"].str.startswith("emobank"), "EmoBank", "other corpora")
    strata = list(dict.fromkeys(both["stratum"]))
    rows = []
    for reader, col in (("first", "label"), ("second", "label_2")):
        for stratum in strata:
            for corpus in ("EmoBank", "other corpora", "all"):
                part = both[(both["stratum"] == stratum) & ((both["corpus"] == corpus) | (corpus == "all"))]
                rows.append([reader, stratum, corpus, len(part), share(part[col], "F"), share(part[col], "L")])
    pooled = []
    for stratum in strata:
        part = both[both["stratum"] == stratum]
        labels = pd.concat([part["label"], part["label_2"]])
        pooled.append([stratum, len(labels), share(labels, "F"), share(labels, "L"), share(labels, "U")])
    agree = float((both["label"] == both["label_2"]).mean())
    kappa = float(cohen_kappa_score(both["label"], both["label_2"]))
    aucs = []
    for reader, col in (("first", "label"), ("second", "label_2")):
        y = (both[col] == "F").astype(int).to_numpy()
        ok = both["plain"].notna().to_numpy()
        aucs.append(
            [
                reader,
                f"{roc_auc_score(y, both['encoder']):.3f}",
                f"{roc_auc_score(y[ok], both['plain'][ok]):.3f}",
            ]
        )
    lines = [
        f"# The encoder stage's threshold, read blind ({label})",
        "",
        "Produced by `python benchmarks/encoder_reading.py score` (sampling: `... sample`; see its docstring). "
        f"{len(both)} rows of the default configuration (seed 0), re-scored by the encoder stage, drawn from "
        "rows whose source and new sentence no earlier reading showed, in strata: "
        + "; ".join(f"`{k}` ({STRATA[k]})" for k in strata)
        + ". Two readers who never saw the code, the scores or the strata read every row.",
        "",
        f"Readers agree on {100 * agree:.1f} % of rows (Cohen's kappa {kappa:.2f}).",
        "",
        markdown_table(rows, ["reader", "stratum", "corpus", "rows", "F (95 % interval)", "L (95 % interval)"]),
        "",
        "Both readers pooled (each row counted once per reader):",
        "",
        markdown_table(pooled, ["stratum", "reader-rows", "F", "L", "U"]),
        "",
        "ROC AUC of the scores against each reader's F on these rows (no reading of them was fitted on):",
        "",
        markdown_table(aucs, ["reader", "encoder score (`full_encoder`)", "plain score (`full`)"]),
        "",
    ]
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--label", required=True)
    s.add_argument("--emobank", type=Path, default=DEFAULT_EMOBANK)
    s.add_argument("--threshold", type=float, default=default_threshold())
    s.add_argument("--seed", type=int, default=SEED)
    f = sub.add_parser("sample-floor")
    f.add_argument("--label", required=True)
    f.add_argument("--emobank", type=Path, default=DEFAULT_EMOBANK)
    f.add_argument("--threshold", type=float, default=default_threshold())
    f.add_argument("--floor", type=float, default=0.6)
    f.add_argument("--seed", type=int, default=SEED + 1)
    f.add_argument("--only", nargs="+", choices=FLOOR_RUNS, help="these runs only (default: all)")
    f.add_argument("--n-added", type=int, default=N_ADDED, help="most 'added' rows drawn per run")
    c = sub.add_parser("score")
    c.add_argument("--label", required=True)
    c.add_argument("--out", type=Path, default=OUT_MD)
    args = ap.parse_args()
    if args.cmd == "sample":
        sample(args.label, args.emobank, args.threshold, args.seed)
    elif args.cmd == "sample-floor":
        sample_floor(args.label, args.emobank, args.threshold, args.floor, args.seed, args.only, args.n_added)
    else:
        score(args.label, args.out)


if __name__ == "__main__":
    main()
