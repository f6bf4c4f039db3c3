"""Swap quality on EmoBank: polarity flips, junk, fill rate and refusals, with and without guards.

    python benchmarks/swap_quality.py [--emobank PATH] [--out benchmarks/results/swap_quality.md]
                                      [--margins 0.5 1 1.5 2 3] [--lexicon-margins 0.5 1 2]
                                      [--regression-margins 0.5 0.75 1.5 2] [--emotions arousal]
                                      [--only '(b)' regression]

Compares, for arousal and valence (classes rounded half up, packaged GloVe 6B-50d, k=20,
max_swaps=2, min_similarity=0.5, seed 0):

(a) ``mode=seed`` (the notebook's rule), (b) ``mode=diverse`` with no guard, (c) diverse with the
corpus-derived rating-lean guard only (the default), (d) diverse with corpus + VADER lexicon guard,
and a sweep of the corpus guard's margin. The flip metric is :func:`lic_gpu.report.quality.swap_quality`:
among swaps whose two words are both in VADER's lexicon, the share whose valences have opposite
signs. Note that (d) uses the same lexicon it is scored with; (c) is the honest test.

(g)-(i) and the ``regression`` sweeps use ``corpus.model: regression``; (f), (h) and the ``V+A+D`` sweeps
``corpus.emotions: all`` (valence, arousal and dominance checked, through ``prepare_ratings`` as the pipeline
would call it). ``--only '(b)' '(g)' regression`` runs just the variants whose name contains one of the
strings (the neighbour search stays shared); ``--emotions arousal`` one emotion.

This is a benchmark, not a test: it takes about two minutes per emotion on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lic_gpu.classes import build_word_dict, class_labels  # noqa: E402
from lic_gpu.io.data import load_emobank  # noqa: E402
from lic_gpu.io.conf_files import augment_defaults  # noqa: E402
from lic_gpu.augment.guard import build_guards  # noqa: E402
from lic_gpu.lic import compute_lic  # noqa: E402
from lic_gpu.report.quality import swap_quality  # noqa: E402
from lic_gpu.augment import LicAugmenter  # noqa: E402
from lic_gpu.text import load_stopwords, words_tokenise  # noqa: E402

DEFAULT_EMOBANK = ROOT.parent / "shared" / "data" / "emobank" / "emobank.csv"
# The sampler as this benchmark was written for: LicAugmenter's defaults are the YAML's now (thesaurus,
# reciprocity, grammar, rare-word floor, per-source limit), so what the guards alone do is pinned here.
SAMPLER = dict(
    k=20,
    max_swaps=2,
    min_similarity=0.5,
    seed=0,
    max_per_source=None,
    reciprocal=False,
    thesaurus=None,
    grammar=None,
    protect=True,
    max_rank_ratio=None,
    free_rank=20000,
    attempts_per_row=10,
    sampling_strategy="auto",
)
SAMPLER_QUIET = dict(SAMPLER, progress=False)


class CachedSearch:
    """The store with ``topk_ids`` memoised, so every variant pays for the search once."""

    def __init__(self, store):
        self._store = store
        self._cache: dict = {}

    def __getattr__(self, name):
        return getattr(self._store, name)

    def __len__(self) -> int:
        return len(self._store)

    def topk_ids(self, query_ids, k, **kwargs):
        key = (tuple(torch.as_tensor(query_ids).tolist()), k)
        if key not in self._cache:
            self._cache[key] = self._store.topk_ids(query_ids, k, **kwargs)
        return self._cache[key]


class TimedGuard:
    """Counts calls and seconds spent in a guard (includes first-sight neighbour look-ups)."""

    def __init__(self, guard):
        self.guard, self.calls, self.seconds = guard, 0, 0.0
        self.reason, self.needs_other_ratings = guard.reason, guard.needs_other_ratings

    def prepare(self, emotion, lic, others=None):
        self.guard.prepare(emotion, lic, others)

    def prefetch(self, words):
        """No look-ahead: first-sight look-ups stay inside the timed calls, as they always were here."""

    def __call__(self, cls, old, new):
        t0 = time.perf_counter()
        out = self.guard(cls, old, new)
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        return out


def variants(margins, lexicon_margins, regression_margins=()):
    """(name, mode, guard config) of every variant; the names are what ``--only`` matches."""
    off, on = {"enabled": False}, {"enabled": True}
    m = augment_defaults("diverse")["guard"]["corpus"]["margin"]
    reg = {"model": "regression"}
    out = [
        ("(a) seed: notebook rule", "seed", {"enabled": False}),
        ("(b) diverse, no guard", "diverse", {"enabled": False}),
        (
            f"(c) diverse, corpus guard only (margin {m:g})",
            "diverse",
            {"corpus": {"margin": m, "model": "neighbours"}, "lexicon": off},
        ),
        (f"(d) diverse, default: corpus (margin {m:g}) + lexicon", "diverse", {}),
        ("(e) diverse, lexicon guard only", "diverse", {"corpus": off, "lexicon": on}),
        (
            f"(f) diverse, corpus guard on V+A+D leans (margin {m:g}), no lexicon",
            "diverse",
            {"corpus": {"margin": m, "model": "neighbours", "emotions": "all"}, "lexicon": off},
        ),
        (
            f"(g) diverse, regression corpus guard only (margin {m:g})",
            "diverse",
            {"corpus": {"margin": m} | reg, "lexicon": off},
        ),
        (
            f"(h) diverse, regression corpus guard on V+A+D leans (margin {m:g}), no lexicon",
            "diverse",
            {"corpus": {"margin": m, "emotions": "all"} | reg, "lexicon": off},
        ),
        (
            f"(i) diverse, regression corpus (margin {m:g}) + lexicon",
            "diverse",
            {"corpus": {"margin": m} | reg, "lexicon": on},
        ),
    ]
    sweep = [
        (f"corpus only, margin {x:g}", "diverse", {"corpus": {"margin": x, "model": "neighbours"}, "lexicon": off})
        for x in margins
    ]
    sweep += [
        (f"corpus + lexicon, margin {x:g}", "diverse", {"corpus": {"margin": x, "model": "neighbours"}, "lexicon": on})
        for x in lexicon_margins
    ]
    sweep += [
        (f"regression only, margin {x:g}", "diverse", {"corpus": {"margin": x} | reg, "lexicon": off})
        for x in regression_margins
    ]
    sweep += [
        (
            f"corpus on V+A+D, margin {x:g}",
            "diverse",
            {"corpus": {"margin": x, "model": "neighbours", "emotions": "all"}, "lexicon": off},
        )
        for x in regression_margins
    ]
    sweep += [
        (
            f"regression on V+A+D, margin {x:g}",
            "diverse",
            {"corpus": {"margin": x, "emotions": "all"} | reg, "lexicon": off},
        )
        for x in regression_margins
    ]
    return out, sweep


def independent_lexicon() -> dict[str, float] | None:
    """AFINN-165 (``pip install afinn``), a second valence lexicon the guards never see; None if absent."""
    try:
        import afinn
    except ImportError:
        return None
    path = Path(afinn.__file__).parent / "data" / "AFINN-en-165.txt"
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, score = line.rpartition("\t")
        if word and " " not in word:
            out[word.lower()] = float(score)
    return out


def run_one(store, stopwords, word_dict, lic, tokenised, emotion, mode, guard_cfg, extra=None, afinn=None):
    guards, info = build_guards({"mode": mode, "guard": guard_cfg}, store=store, stopwords=stopwords)
    t0 = time.perf_counter()
    for g in guards:
        g.prepare(emotion, lic, extra)  # what the pipeline calls: emotions=all also checks `extra`
    t_prepare = time.perf_counter() - t0
    timed = [TimedGuard(g) for g in guards]
    aug = LicAugmenter(store, stopwords, mode=mode, guards=timed, **SAMPLER_QUIET)
    t0 = time.perf_counter()
    res = aug.fit_resample(word_dict, lic, tokenised)
    t_run = time.perf_counter() - t0
    pairs = [(s.old, s.new) for row in res.rows for s in row.swaps]
    q = swap_quality(pairs)
    q_afinn = swap_quality(pairs, lexicon=afinn) if afinn else None
    req = sum(r.requested for r in res.classes.values())
    gen = sum(r.generated for r in res.classes.values())
    return {
        "quality": q,
        "afinn": q_afinn,
        "fill": gen / req if req else 1.0,
        "generated": gen,
        "requested": req,
        "fill_by_class": {c: (r.generated, r.requested) for c, r in res.classes.items() if r.requested},
        "shortfall": {c: r.shortfall_reason for c, r in res.classes.items() if r.shortfall_reason},
        "refusals": Counter(res.refusals),
        "t_prepare": t_prepare,
        "t_run": t_run,
        "guard_calls": sum(g.calls for g in timed),
        "t_guard": sum(g.seconds for g in timed),
        "guard_stats": info.get("corpus", {}).get("emotions", {}).get(emotion),
    }


def pct(x):
    return "n/a" if x is None else f"{100 * x:.2f} %"


def refusal_text(refusals: Counter) -> str:
    total = sum(refusals.values())
    if not total:
        return "-"
    return ", ".join(f"{k} {100 * v / total:.1f} %" for k, v in refusals.most_common())


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores visible, torch {torch.__version__} (CPU), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--emobank", type=Path, default=DEFAULT_EMOBANK)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "swap_quality.md")
    ap.add_argument("--emotions", nargs="+", default=["arousal", "valence"])
    ap.add_argument("--margins", nargs="+", type=float, default=[0.5, 0.75, 1.0, 1.5, 2.0, 3.0])
    ap.add_argument("--lexicon-margins", nargs="+", type=float, default=[0.5, 1.0, 2.0])
    ap.add_argument("--regression-margins", nargs="+", type=float, default=[0.5, 0.75, 1.5, 2.0])
    ap.add_argument(
        "--only",
        nargs="+",
        default=None,
        help="run only variants whose name contains one of these strings, e.g. '(b)' '(g)' "
        "'regression'; the markdown is then written only with --out given explicitly",
    )
    args = ap.parse_args(argv)

    from lic_gpu.vectors.store import EmbeddingStore

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    t_all = time.perf_counter()
    store = CachedSearch(EmbeddingStore.load("glove-6b-50d", device="cpu"))
    stopwords = load_stopwords("packaged")[0]
    corpus = load_emobank(args.emobank)
    tokenised = [words_tokenise(t) for t in corpus.texts]
    afinn = independent_lexicon()
    main_variants, sweep = variants(args.margins, args.lexicon_margins, args.regression_margins)
    chosen = [v for v in main_variants + sweep if not args.only or any(o in v[0] for o in args.only)]
    dicts = {}
    for emo in ("valence", "arousal", "dominance"):
        dicts[emo] = build_word_dict(tokenised, class_labels(corpus.frame[emo], emo, "round_half_up").labels)
    lics = {emo: compute_lic(wd) for emo, wd in dicts.items()}
    results: dict = {}
    for emo in args.emotions:
        word_dict, lic = dicts[emo], lics[emo]
        # the emotion being augmented first: lean() defaults to it
        extra = {e: v for e, v in lics.items() if e != emo}  # the other rating columns
        results[emo] = {"sizes": {c: len(v) for c, v in word_dict.items()}, "rows": {}}
        for name, mode, gcfg in chosen:
            r = run_one(store, stopwords, word_dict, lic, tokenised, emo, mode, gcfg, extra=extra, afinn=afinn)
            results[emo]["rows"][name] = r
            q = r["quality"]
            print(
                f"{emo:8s} {name:62s} swaps={q['swaps']:6d} covered={q['lexicon_covered']:5d} "
                f"flips={pct(q['polarity_flip_rate']):>8s} "
                f"afinn={pct(r['afinn']['polarity_flip_rate']) if r['afinn'] else '-':>8s} "
                f"junk={q['junk']:4d} fill={pct(r['fill']):>8s} t={r['t_prepare']:.2f}+{r['t_run']:.1f}s "
                f"refused={refusal_text(r['refusals'])} fit={ {k: v for k, v in (r['guard_stats'] or {}).items() if k in ('regression_r2', 'residual_spread', 'alpha', 'alpha_regression')} }",
                flush=True,
            )
    if args.only and "--out" not in " ".join(argv if argv is not None else sys.argv):
        print("--only without --out: markdown not written")
        return 0
    write_markdown(args.out, results, main_variants, sweep, time.perf_counter() - t_all, afinn is not None)
    print(f"wrote {args.out}")
    return 0


def notes(results, main_variants, sweep) -> list[str]:
    """The reading of the tables, with the numbers of this run."""
    seed, none, corpus, default, lexicon, every, reg, reg_every, reg_lex = (v[0] for v in main_variants)

    def rate(emo, name, key="quality"):
        r = results[emo]["rows"][name][key]
        return pct(r["polarity_flip_rate"]) if r else "n/a"

    out = ["## Reading", ""]
    for emo in results:
        out.append(
            f"- **{emo}**: no guard {rate(emo, none)} flips (AFINN {rate(emo, none, 'afinn')}); "
            f"corpus guard alone {rate(emo, corpus)} (AFINN {rate(emo, corpus, 'afinn')}); "
            f"default {rate(emo, default)} (AFINN {rate(emo, default, 'afinn')}); "
            f"corpus guard on V+A+D leans {rate(emo, every)} (AFINN {rate(emo, every, 'afinn')}); "
            f"regression model alone {rate(emo, reg)} (AFINN {rate(emo, reg, 'afinn')}); "
            f"regression on V+A+D {rate(emo, reg_every)} (AFINN {rate(emo, reg_every, 'afinn')}); "
            f"notebook rule {rate(emo, seed)}."
        )
    fits = {e: results[e]["rows"][reg]["guard_stats"] for e in results}
    r2 = ", ".join(f"{e} {f['regression_r2']:.2f}" for e, f in fits.items() if f and "regression_r2" in f)
    alone = [
        results[e]["rows"][n]["quality"]["polarity_flip_rate"] or 0.0
        for e in results
        for n in (corpus, reg, every, reg_every)
    ]
    verdict = "none reaches" if max(alone) > 0.01 else "all reach"
    out += [
        f"- Corpus-only (neighbours or regression, one or all rating columns): {verdict} 1 % on EmoBank. Its lean",
        "  is learned from which sentences a word",
        "  occurs in, so it also learns the context: `alert`, `truth`, `safety` lean negative because they occur",
        "  in bad news, `missing` and `rescued` lean alike. With ratings bunched at 3 (85-93 % of sentences in one",
        "  class) most words have little evidence and are shrunk to lean ~0, so weak antonyms pass.",
        "- For arousal the corpus guard learns *arousal* leans; `laughed -> cried` keeps arousal and flips",
        "  valence, so it cannot lower a valence-flip metric. A new row inherits every rating of its source, so",
        "  checking all rating columns (variant f, `RatingLeanGuard.prepare_many`; the pipeline does not call it",
        "  yet) is the corpus-only way to protect the inherited valence.",
        "- `model: regression` (variants g-i; ridge fit of the corpus lean on the GloVe vector, words shrunk",
        f"  toward their prediction): the vectors explain little of a word's corpus lean (weighted R^2 {r2}), so",
        "  leans barely change: alone it is within noise of the neighbour model, and predicting every word from",
        "  its vector alone (tried, not kept) was worse (valence about 10 % flips). Checking all rating columns",
        "  (`emotions: all`, variants f/h and the V+A+D sweeps) is what lowers arousal flips, at the price of",
        "  refusing about half of the neighbours; it does not help valence, which already checks valence.",
        "- Fill: every class with real data (arousal 2/4, valence 2/4) is filled to 100 % by every variant at",
        "  margin >= 1, and by the one-column guards at any margin; the guards cost fill in valence classes 1 and 5",
        "  (3 and 2 source sentences), and all-column guards below margin 1 also fall short on arousal",
        "  (see the V+A+D sweeps: they refuse most neighbours).",
        "- Margin: a smaller margin refuses more neighbours (see `rating_lean` below); with the lexicon on, valence",
        "  scores better on the independent AFINN lexicon as the margin shrinks (arousal shows no trend), at the",
        "  price of the tiny classes' fill; without the lexicon the flip rate is flat within noise below margin",
        "  1.5. With 1.3k-4.4k covered swaps a rate's",
        "  standard error is about 0.3-1 percentage point, and differences between neighbouring margins are",
        "  within it. The default margin (1.0) keeps corpus-only flips at the low end of the sweep and the",
        "  tiny classes' fill in the middle.",
        "- The notebook rule's junk is punctuation swapped for punctuation (`\" -> “`): `mode=seed` keeps its",
        "  exact look-up with no junk filter. The issue's 8.8 % used the whitespace tokeniser; here `words`.",
    ]
    return out


def write_markdown(path: Path, results, main_variants, sweep, seconds: float, with_afinn: bool) -> None:
    lines = [
        "# Swap quality on EmoBank (issue 8)",
        "",
        "Made by `python benchmarks/swap_quality.py`. EmoBank `emobank.csv` (10,062 sentences), classes =",
        "ratings rounded half up, `words` tokeniser, packaged stopwords, packaged GloVe 6B-50d on CPU;",
        f"sampler: k={SAMPLER['k']}, max_swaps={SAMPLER['max_swaps']}, min_similarity={SAMPLER['min_similarity']},",
        f"seed={SAMPLER['seed']}, sampling_strategy=auto (every class up to the largest).",
        "",
        f"Machine: {machine()}. Whole script: {seconds:.0f} s (the neighbour search is shared by all variants).",
        "",
        "**Flips (VADER)** = among swaps whose two words are both in VADER's lexicon (`covered`), the share whose",
        "valences have opposite signs (dead zone 0), `lic_gpu.report.quality.swap_quality`. The lexicon guard uses the same",
        "lexicon, so its 0 % is by construction; **flips (AFINN)** scores the same swaps with AFINN-165, a lexicon",
        "no guard sees (`pip install afinn`; blank when not installed). **Junk** = replacements the sampler's junk",
        "filter refuses (punctuation, numbers, dotted abbreviations, same word up to case/punctuation/inflection).",
        "**Fill** = rows generated / rows requested over all classes. Targets (issue 8): flips <= 1 %, junk 0.",
        "",
    ]
    default, corpus_only = main_variants[3][0], main_variants[2][0]
    lines += [
        "## Verdict",
        "",
        "| emotion | variant | flips (VADER) <= 1 % | flips (AFINN) | junk = 0 | fill | guard time |",
        "|---|---|---|---:|---|---:|---|",
    ]
    for emo, res in results.items():
        for name in (default, corpus_only, main_variants[6][0], main_variants[7][0]):
            r = res["rows"][name]
            q, qa = r["quality"], r["afinn"]
            rate = q["polarity_flip_rate"]
            met = "n/a" if rate is None else ("met" if rate <= 0.01 else "**not met**")
            per_call = 1e6 * r["t_guard"] / r["guard_calls"] if r["guard_calls"] else 0.0
            lines.append(
                f"| {emo} | {name} | {pct(rate)}: {met} | {pct(qa['polarity_flip_rate']) if qa else ''} | "
                f"{q['junk']}: {'met' if q['junk'] == 0 else '**not met**'} | {pct(r['fill'])} | "
                f"prepare {r['t_prepare']:.2f} s; {r['t_guard']:.2f} s in {r['guard_calls']} calls "
                f"({per_call:.0f} us/call, first-sight neighbour look-ups included) |"
            )
    lines += [""] + notes(results, main_variants, sweep) + [""]
    for emo, res in results.items():
        lines += [
            f"## {emo}",
            "",
            f"Class sizes: {res['sizes']}",
            "",
            "| variant | swaps | covered | flips | flips (VADER) | flips (AFINN) | junk | fill | made/asked per class |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for name, *_ in main_variants + sweep:
            r = res["rows"][name]
            q, qa = r["quality"], r["afinn"]
            per = ", ".join(f"{c}: {g}/{n}" for c, (g, n) in r["fill_by_class"].items())
            af = f"{pct(qa['polarity_flip_rate'])} of {qa['lexicon_covered']}" if qa else ""
            lines.append(
                f"| {name} | {q['swaps']} | {q['lexicon_covered']} | {q['polarity_flips']} | "
                f"{pct(q['polarity_flip_rate'])} | {af} | {q['junk']} | {pct(r['fill'])} | {per} |"
            )
        lines += ["", "Refusals per reason (share of neighbours checked):", ""]
        for name, *_ in main_variants + sweep:
            lines.append(f"- {name}: {refusal_text(res['rows'][name]['refusals'])}")
        lines += ["", "Most frequent flipped pairs (VADER):", ""]
        for name, *_ in main_variants:
            q = res["rows"][name]["quality"]
            flips = ", ".join(f"{p} ({n})" for p, n in q["top_flips"][:8]) or "none"
            junk = ", ".join(f"`{p}` ({n})" for p, n in q["top_junk"][:5])
            lines.append(f"- {name}: {flips}" + (f"; junk: {junk}" if junk else ""))
        for label, name in (("neighbours", main_variants[2][0]), ("regression", main_variants[6][0])):
            stats = res["rows"][name]["guard_stats"]
            if stats:
                lines += ["", f"Corpus guard fit ({emo}, {label}): {stats}"]
        lines.append("")
        shortfalls = {name: r["shortfall"] for name, r in res["rows"].items() if r["shortfall"]}
        if shortfalls:
            lines += ["Shortfalls:", ""]
            for name, sf in shortfalls.items():
                lines.append(f"- {name}: " + "; ".join(f"class {c}: {why}" for c, why in sf.items()))
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)


if __name__ == "__main__":
    raise SystemExit(main())
