"""A blind reading that compares rows the WordNet check keeps with rows it refuses, by the same readers.

    python benchmarks/wordnet_reading.py sample --label h22k [--per-side 70] [--seed N] [-- overrides]
    python benchmarks/wordnet_reading.py sample --label h22l --check thesaurus ...   # the Moby check instead
    python benchmarks/wordnet_reading.py sample --label h22m --check nouns --runs RUN ... --kept-per-run 24 \
        --refused-per-run 10 --unread-only ...   # the noun rule of augment.wordnet: true against "related"
    python benchmarks/wordnet_reading.py sample --label h22p --check slots --runs RUN ... --kept-per-run 80 \
        --refused-per-run 12 --added-runs RUN ... [--seed N] [-- overrides]   # verbs and adverbs as slots
    python benchmarks/wordnet_reading.py score --label h22k [--label h22kb]

``sample`` runs the default with the check off (``augment.wordnet=false``) on the runs named in
``RUNS`` (``benchmarks/quality_audit.py``'s), finds each new row's WordNet relation
(:meth:`lic_gpu.fluency.wordnet.WordNet.relation`) and draws up to ``--per-side`` rows the check would refuse
and as many it would keep, the same number from each side within each run (``--unread-only``: never a row
an earlier reading showed). They are shuffled together into ``benchmarks/results/quality/blind_<label>.csv`` (the columns
``quality_audit.py`` writes, nothing that says which side a row is on) with the key in ``key_<label>.csv``.
``--check nouns`` compares the noun rule (``augment.wordnet: true`` refuses a narrower or sibling noun) with
``augment.wordnet=related``: the rows made with ``related`` are drawn, and a row is kept when the default (run
too) makes it as well. ``--kept-per-run`` / ``--refused-per-run`` draw fixed numbers per run instead of the
balanced quota (the kept rows are then also a sample of the default's own rows, for a headline reading).
``--check slots`` reads the default's verb and adverb slots (``grammar.pos`` with VERB and ADV, which must share a
verb's or an adverb's synset): each run's rows are ``shared`` (the default with nouns and adjectives only,
``augment.grammar.pos=[NOUN,ADJ]``, makes them too) or ``added`` (only the default does), up to
``--kept-per-run`` of them; ``refused`` rows are those ``augment.wordnet=related`` makes in a verb's or an
adverb's slot and the default does not (``--refused-per-run``); ``--added-runs`` add only the ``added`` rows of
more runs (unread ones); ``--anchors-from LABEL --anchors N`` read N of an earlier reading's ``added`` rows again
(side ``anchor``), so new readers' labels of refused rows compare with theirs of the default's.
``score`` prints F / U / L per side for each reader's labels.
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
# every run of quality_audit.py (EmoBank, the demo and the five hand-written corpora)
RUNS = (
    "emobank-arousal",
    "emobank-valence",
    "demo-arousal",
    "handmade-arousal",
    "handmade-valence",
    "reviews-arousal",
    "reviews-valence",
    "mixed-arousal",
    "mixed-valence",
    "fresh-arousal",
    "fresh-valence",
    "spoken-arousal",
    "spoken-valence",
)


def _judge(check: str):
    """``(override that switches the check off, pair -> (kept?, relation))`` for ``check`` (``nouns``: the
    relation only; whether a row is kept is whether the default makes it too)."""
    if check == "nouns":
        from lic_gpu.fluency.wordnet import WordNet

        net = WordNet()
        return "augment.wordnet=related", lambda a, b: (True, net.relation(a, b))
    if check == "thesaurus":
        from lic_gpu.fluency.thesaurus import Thesaurus

        moby = Thesaurus(None)
        return "augment.thesaurus=null", lambda a, b: (moby.substitute(a, b), "moby" if moby.related(a, b) else "-")
    from lic_gpu.fluency.wordnet import RELATED, WordNet

    net = WordNet()

    def wordnet(a: str, b: str) -> tuple[bool, str]:
        relation = net.relation(a, b)
        return relation in RELATED, relation

    return "augment.wordnet=false", wordnet


def sample(
    label: str,
    per_side: int,
    seed: int,
    extra: list[str],
    unread_only: bool = False,
    check: str = "wordnet",
    run_names: tuple[str, ...] = RUNS,
    fixed: tuple[int, int] | None = None,
) -> None:
    from quality_audit import DEFAULT_EMOBANK, OUT, already_read, run_job, runs

    from lic_gpu.scoring.align import align_swaps, tokens_of

    off, judge = _judge(check)
    # rows an earlier reading showed are drawn too (the default makes the same rows for any seed, so few are
    # unread); the readers are new, and the comparison is within their labels
    seen = already_read(label) if unread_only else set()
    pools: dict[str, list[dict]] = {"refused": [], "kept": []}
    for name in run_names:
        spec = runs(DEFAULT_EMOBANK)[name]
        with tempfile.TemporaryDirectory() as tmp:
            df = run_job(spec["overrides"] + [off, *extra], Path(tmp) / "run")
        text = next(c for c in ("text", "label", "sentence") if c in df.columns)
        default_rows = None
        if check == "nouns":
            with tempfile.TemporaryDirectory() as tmp:
                made = run_job(spec["overrides"] + list(extra), Path(tmp) / "run")
            default_rows = set(made.loc[made["is_augmented"].str.lower() == "true", text])
        originals = df[df["is_augmented"].str.lower() != "true"].set_index("row_id")
        new = df[(df["is_augmented"].str.lower() == "true") & ~df[text].isin(seen)]
        for _, row in new.iterrows():
            source = originals.loc[row["source_row"], text]
            swaps = align_swaps(tokens_of(source), tokens_of(row[text]))
            if len(swaps) != 1:
                continue
            kept, relation = judge(swaps[0].old, swaps[0].new)
            if default_rows is not None:
                kept = row[text] in default_rows
            side = "kept" if kept else "refused"
            pools[side].append(
                {
                    "run": name,
                    "relation": relation,
                    "fluency": row.get("fluency", ""),
                    "corpus": spec["corpus"],
                    "emotion": spec["emotion"],
                    "scale": spec["scale"],
                    "rating": row[spec["emotion"]],
                    "source": source,
                    "new": row[text],
                }
            )
    rng = np.random.default_rng(seed)
    items, keys = [], []
    # the same number of rows from each side within each run, so the runs' own base rates cancel
    quota = {
        name: min(
            per_side // len(run_names),
            sum(r["run"] == name for r in pools["kept"]),
            sum(r["run"] == name for r in pools["refused"]),
        )
        for name in run_names
    }
    for side, pool in pools.items():
        if fixed is not None:
            want = fixed[0] if side == "kept" else fixed[1]
            quota = {name: min(want, sum(r["run"] == name for r in pool)) for name in run_names}
        for name in run_names:
            members = [i for i, r in enumerate(pool) if r["run"] == name]
            for i in sorted(rng.choice(members, size=quota[name], replace=False).tolist()):
                row = pool[i]
                item = hashlib.sha1(f"{label}/{side}/{i}".encode()).hexdigest()[:10]
                items.append(
                    {"item": item, **{k: row[k] for k in ("corpus", "emotion", "scale", "rating", "source", "new")}}
                )
                keys.append(
                    {"item": item, "run": name, "side": side, "relation": row["relation"], "fluency": row["fluency"]}
                )
        print(f"{side}: {sum(quota.values())} of {len(pool)} rows ({quota})")
    order = rng.permutation(len(items))
    pd.DataFrame([items[i] for i in order]).to_csv(OUT / f"blind_{label}.csv", index=False)
    pd.DataFrame(keys).to_csv(OUT / f"key_{label}.csv", index=False)
    print(f"wrote {len(items)} items to {OUT / f'blind_{label}.csv'}")


def sample_slots(
    label: str,
    seed: int,
    extra: list[str],
    run_names: tuple[str, ...],
    per_run: int,
    refused_per_run: int,
    added_runs: tuple[str, ...] = (),
    anchors: tuple[str, int] | None = None,
) -> None:
    from quality_audit import DEFAULT_EMOBANK, OUT, already_read, run_job, runs

    from lic_gpu.fluency.taggers import load_tagger
    from lic_gpu.fluency.wordnet import WordNet
    from lic_gpu.scoring.align import align_swaps, tokens_of

    net, tagger = WordNet(), load_tagger("auto")
    seen = already_read(label)
    rng = np.random.default_rng(seed)
    items, keys = [], []

    def made(spec, overrides):
        with tempfile.TemporaryDirectory() as tmp:
            df = run_job(spec["overrides"] + overrides, Path(tmp) / "run")
        text = next(c for c in ("text", "label", "sentence") if c in df.columns)
        originals = df[df["is_augmented"].str.lower() != "true"].set_index("row_id")[text]
        new = df[df["is_augmented"].str.lower() == "true"]
        return {
            r[text]: (originals.loc[r["source_row"]], r[spec["emotion"]], r.get("fluency", ""))
            for _, r in new.iterrows()
        }

    for name in dict.fromkeys(run_names + added_runs):
        spec = runs(DEFAULT_EMOBANK)[name]
        default = made(spec, list(extra))
        before = made(spec, ["augment.grammar.pos=[NOUN,ADJ]", *extra])
        related = made(spec, ["augment.wordnet=related", *extra])
        pools: dict[str, list] = {"shared": [], "added": [], "refused": []}
        refused = {k: v for k, v in related.items() if k not in default}
        for rows, is_default in ((default, True), (refused, False)):
            for new, (source, rating, fluency) in rows.items():
                swaps = align_swaps(tokens_of(source), tokens_of(new))
                if len(swaps) != 1 or new in seen:
                    continue
                tags = tagger.tag([tokens_of(source)])[0]
                tag = tags[swaps[0].pos] if tags is not None else "?"
                if not is_default and not tag.startswith(("VB", "RB")):
                    continue  # the noun rule's refusals were read in h22m-h22o
                side = ("shared" if new in before else "added") if is_default else "refused"
                pools[side].append((new, source, rating, fluency, tag, net.relation(swaps[0].old, swaps[0].new)))
        want = {"added": per_run, "shared": per_run, "refused": refused_per_run}
        if name not in run_names:
            want = {"added": per_run, "shared": 0, "refused": 0}
        for side, pool in pools.items():
            k = min(want[side], len(pool))
            for i in sorted(rng.choice(len(pool), size=k, replace=False).tolist()):
                new, source, rating, fluency, tag, relation = pool[i]
                item = hashlib.sha1(f"{label}/{name}/{side}/{i}".encode()).hexdigest()[:10]
                items.append(
                    {
                        "item": item,
                        "corpus": spec["corpus"],
                        "emotion": spec["emotion"],
                        "scale": spec["scale"],
                        "rating": rating,
                        "source": source,
                        "new": new,
                    }
                )
                keys.append(
                    {"item": item, "run": name, "side": side, "relation": relation, "tag": tag, "fluency": fluency}
                )
            print(f"{name} {side}: {k} of {len(pool)}")
    if anchors is not None:  # rows an earlier reading's readers read, read again: the comparison within readers
        earlier, n = anchors
        key = pd.read_csv(OUT / f"key_{earlier}.csv")
        shown = pd.read_csv(OUT / f"blind_{earlier}.csv").set_index("item")
        added = key[key["side"] == "added"]
        for i in sorted(rng.choice(len(added), size=min(n, len(added)), replace=False).tolist()):
            row = added.iloc[i]
            item = hashlib.sha1(f"{label}/anchor/{row['item']}".encode()).hexdigest()[:10]
            items.append({"item": item, **shown.loc[row["item"]].to_dict()})
            keys.append(
                {
                    "item": item,
                    "run": row["run"],
                    "side": "anchor",
                    "relation": row["relation"],
                    "tag": row["tag"],
                    "fluency": row["fluency"],
                }
            )
        print(f"anchors: {min(n, len(added))} added rows of {earlier}")
    order = rng.permutation(len(items))
    pd.DataFrame([items[i] for i in order]).to_csv(OUT / f"blind_{label}.csv", index=False)
    pd.DataFrame(keys).to_csv(OUT / f"key_{label}.csv", index=False)
    print(f"wrote {len(items)} items to {OUT / f'blind_{label}.csv'}")


def score(labels: list[str]) -> None:
    from quality_audit import OUT

    for label in labels:
        frame = pd.read_csv(OUT / f"labels_{label}.csv").merge(pd.read_csv(OUT / f"key_{label}.csv"), on="item")
        for side in [s for s in ("kept", "shared", "added", "anchor", "refused") if s in set(frame["side"])]:
            part = frame[frame["side"] == side]
            shares = {k: 100 * (part["label"] == k).mean() for k in ("F", "U", "L", "D")}
            print(
                f"{label} {side}: n={len(part)} F {shares['F']:.1f} % U {shares['U']:.1f} % "
                f"L {shares['L']:.1f} % D {shares['D']:.1f} %"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--label", required=True)
    s.add_argument("--per-side", type=int, default=70)
    s.add_argument("--seed", type=int, default=2026)
    s.add_argument("--unread-only", action="store_true", help="only rows no earlier reading showed")
    s.add_argument(
        "--check", choices=("wordnet", "thesaurus", "nouns", "slots"), default="wordnet", help="the check compared"
    )
    s.add_argument(
        "--runs",
        nargs="+",
        choices=RUNS + tuple(f"fresh{n}-{e}" for n in (3, 4, 5, 6) for e in ("arousal", "valence")),
        default=list(RUNS),
    )
    s.add_argument(
        "--added-runs",
        nargs="*",
        default=[],
        choices=RUNS + tuple(f"fresh{n}-{e}" for n in (3, 4, 5, 6) for e in ("arousal", "valence")),
        help="--check slots: only the added (verb and adverb) rows of these runs",
    )
    s.add_argument("--anchors-from", help="--check slots: an earlier reading whose added rows are read again")
    s.add_argument("--anchors", type=int, default=0, help="how many of them")
    s.add_argument("--kept-per-run", type=int, help="with --refused-per-run: fixed numbers per run, not balanced")
    s.add_argument("--refused-per-run", type=int)
    s.add_argument("extra", nargs="*", help="extra overrides for every run")
    c = sub.add_parser("score")
    c.add_argument("--label", action="append", required=True)
    args = ap.parse_args()
    if args.cmd == "sample" and args.check == "slots":
        sample_slots(
            args.label,
            args.seed,
            args.extra,
            tuple(args.runs),
            1000 if args.kept_per_run is None else args.kept_per_run,
            args.refused_per_run or 0,
            tuple(args.added_runs),
            None if args.anchors_from is None else (args.anchors_from, args.anchors),
        )
    elif args.cmd == "sample":
        fixed = None if args.kept_per_run is None else (args.kept_per_run, args.refused_per_run or 0)
        sample(args.label, args.per_side, args.seed, args.extra, args.unread_only, args.check, tuple(args.runs), fixed)
    else:
        score(args.label)


if __name__ == "__main__":
    main()
