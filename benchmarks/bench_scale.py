"""Scale: scripts/augment.py on synthetic 10 k, 100 k and 1 M row corpora, wall clock and peak memory.

The corpora are written to a temporary folder in the notebook's two-CSV layout (``data=seed_csv``:
``words.csv`` with ``sub, episode, segment, label`` and ``ratings.csv`` with ``sub, episode,
segment, arousal, valence``), like the packaged demo corpus.

How the rows are made: every EmoBank sentence (../shared/data/emobank/emobank.csv, all splits) is
tagged once with spaCy's English tagger. A synthetic row takes a random EmoBank sentence and replaces
about a third (at least two, when it has them) of its nouns, proper nouns, verbs, adjectives and adverbs
by words drawn from the whole corpus with the same Penn tag (so ``laughed`` becomes another ``VBD``
word, ``houses`` another ``NNS`` word), drawn as often as they occur in EmoBank; the case of the
first letter is kept. Rows are distinct (a repeat is drawn again), because the tag cache is keyed by
the sentence's text and repeats would flatter the cold runs. Each row keeps its source sentence's
ratings (EmoBank's arousal and valence means, rounded half up), so the classes are as imbalanced as
EmoBank's arousal (classes 2 / 3 / 4: 0.8 % / 93.2 % / 6.0 %) and the words keep their link to
the ratings (LIC has something to find). Subjects ``S0001 ...`` hold 2 000 rows each, in episodes of
200. The vocabulary stays EmoBank's (about 20 k word forms): a real corpus of 1 M rows would have
more distinct words, so the candidate search (per word, not per row) is flattered here.

Each N runs ``scripts/augment.py data=seed_csv ... device=cpu`` (packaged GloVe, default mode) as a
whole process, timed with :func:`bench_wallclock.run` (wall seconds, peak RSS): cold (a fresh cache
folder) then warm (the same cache folder again, filled by the cold run). Per-stage seconds come from
each run's summary.json (:mod:`wallclock_stages`).

    python benchmarks/bench_scale.py [--sizes 10000 100000 1000000] [--repeat-small 3]
        [--nice 5] [--out benchmarks/results/scale.md]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_wallclock import EMOBANK, ROOT, run
from machine import describe
from wallclock_stages import STAGES, stage_seconds

SWAPPED_POS = {"NOUN", "PROPN", "VERB", "ADJ", "ADV"}
ROWS_PER_SUBJECT = 2000
ROWS_PER_EPISODE = 200


def _round_half_up(x: float) -> int:
    return int(np.floor(x + 0.5))


def emobank_pool(path: Path = EMOBANK) -> tuple[list[dict], dict[str, tuple[list[str], np.ndarray]]]:
    """EmoBank's sentences as token lists with tags, and the corpus's words per Penn tag.

    Returns
    -------
    sentences : one dict per sentence: ``tokens``, ``spaces`` (the whitespace after each token),
        ``tags`` (Penn tag, or None where the word is not swapped), ``arousal``, ``valence``.
    words : Penn tag -> (distinct lower-cased words, their cumulative frequency shares).
    """
    import pandas as pd
    import spacy

    from lic_gpu.fluency.taggers import SpacyTagger

    frame = pd.read_csv(path).dropna(subset=["text"])
    texts = [str(t).strip() for t in frame["text"]]
    frame = frame[[t != "" for t in texts]]
    texts = [t for t in texts if t]
    nlp = spacy.load(SpacyTagger(model="auto").model, exclude=["parser", "ner", "lemmatizer", "textcat"])
    sentences, counts = [], defaultdict(lambda: defaultdict(int))
    for doc, (_, row) in zip(nlp.pipe(texts, batch_size=256), frame.iterrows()):
        tags = []
        for tok in doc:
            ok = tok.pos_ in SWAPPED_POS and tok.is_alpha and len(tok.text) > 1
            tags.append(tok.tag_ if ok else None)
            if ok:
                counts[tok.tag_][tok.text if tok.pos_ == "PROPN" else tok.text.lower()] += 1
        sentences.append(
            {
                "tokens": [t.text for t in doc],
                "spaces": [t.whitespace_ for t in doc],
                "tags": tags,
                "arousal": _round_half_up(row["A"]),
                "valence": _round_half_up(row["V"]),
            }
        )
    words = {}
    for tag, c in counts.items():
        w = sorted(c)
        f = np.array([c[x] for x in w], dtype=float)
        words[tag] = (w, np.cumsum(f) / f.sum())
    return sentences, words


def synthetic_rows(n: int, sentences: list[dict], words: dict, seed: int = 0):
    """``n`` distinct sentences made from EmoBank's (see the module's docstring), with their ratings."""
    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    out = []
    while len(out) < n:
        s = sentences[int(rng.integers(len(sentences)))]
        slots = [i for i, t in enumerate(s["tags"]) if t is not None and t in words]
        if not slots:
            continue
        k = min(len(slots), max(2, round(len(slots) / 3)))
        toks = list(s["tokens"])
        for i in rng.choice(len(slots), size=k, replace=False):
            j = slots[int(i)]
            pool, cum = words[s["tags"][j]]
            new = pool[min(int(np.searchsorted(cum, rng.random())), len(pool) - 1)]
            if toks[j][:1].isupper():
                new = new[:1].upper() + new[1:]
            toks[j] = new
        text = "".join(t + sp for t, sp in zip(toks, s["spaces"])).strip()
        if text in seen:  # a repeat (a short sentence redrawn the same way): draw again
            continue
        seen.add(text)
        out.append((text, s["arousal"], s["valence"]))
    return out


def write_corpus(n: int, folder: Path, sentences: list[dict], words: dict, seed: int = 0) -> tuple[Path, Path]:
    """The sentences and ratings CSVs of an ``n``-row synthetic corpus in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    words_csv, ratings_csv = folder / "words.csv", folder / "ratings.csv"
    with (
        open(words_csv, "w", newline="", encoding="utf-8") as fw,
        open(ratings_csv, "w", newline="", encoding="utf-8") as fr,
    ):
        w, r = csv.writer(fw), csv.writer(fr)
        w.writerow(["sub", "episode", "segment", "label"])
        r.writerow(["sub", "episode", "segment", "arousal", "valence"])
        for i, (text, arousal, valence) in enumerate(synthetic_rows(n, sentences, words, seed)):
            sub = f"S{i // ROWS_PER_SUBJECT + 1:04d}"
            ep = f"ep{(i % ROWS_PER_SUBJECT) // ROWS_PER_EPISODE + 1}"
            seg = i % ROWS_PER_EPISODE
            w.writerow([sub, ep, seg, text])
            r.writerow([sub, ep, seg, arousal, valence])
    return words_csv, ratings_csv


def augment_cmd(words_csv: Path, ratings_csv: Path, out_dir: Path, extra: list[str], nice: int) -> list[str]:
    return [
        *(["nice", "-n", str(nice)] if nice else []),
        sys.executable,
        str(ROOT / "scripts" / "augment.py"),
        "data=seed_csv",
        f"data.words_csv={words_csv}",
        f"data.ratings_csv={ratings_csv}",
        "emotion=arousal",
        "device=cpu",
        f"hydra.run.dir={out_dir}",
        *extra,
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat-small", type=int, default=3, help="runs per state for N <= 10 000 (median)")
    ap.add_argument("--nice", type=int, default=5, help="niceness of the timed runs (a shared machine)")
    ap.add_argument("--extra", nargs="*", default=[], help="overrides added to every run")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale.md")
    ap.add_argument("--json", type=Path, default=None, help="also write the raw numbers here")
    a = ap.parse_args()
    t0 = time.perf_counter()
    sentences, words = emobank_pool()
    print(f"EmoBank tagged: {len(sentences)} sentences, {time.perf_counter() - t0:.1f} s", flush=True)
    results = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for n in a.sizes:
            t0 = time.perf_counter()
            words_csv, ratings_csv = write_corpus(n, tmp / f"corpus_{n}", sentences, words)
            made = time.perf_counter() - t0
            print(f"N={n}: corpus written in {made:.1f} s", flush=True)
            repeat = a.repeat_small if n <= 10_000 else 1
            res = {"corpus_s": made, "repeat": repeat, "cold": [], "warm": []}
            for r in range(repeat):
                cache = tmp / f"cache_{n}_{r}"
                for state in ("cold", "warm"):  # cold fills the cache folder the warm run then reads
                    out_dir = tmp / f"run_{n}_{r}_{state}"
                    load = os.getloadavg()[0]
                    cpu0 = _children_cpu()
                    wall, rss = run(
                        augment_cmd(words_csv, ratings_csv, out_dir, a.extra, a.nice), {"LIC_GPU_CACHE": str(cache)}
                    )
                    cpu = _children_cpu() - cpu0
                    summary = json.loads((out_dir / "summary.json").read_text())
                    res[state].append(
                        {
                            "wall": wall,
                            "cpu": cpu,
                            "load": load,
                            "rss": rss,
                            "rows_in": summary["rows"]["original"],
                            "rows_new": summary["rows"]["generated"],
                            "stages": stage_seconds(summary, wall),
                            "rows": summary["rows"],
                        }
                    )
                    print(
                        f"N={n} {state} {r + 1}/{repeat}: {wall:.1f} s (CPU {cpu:.1f} s, load {load:.1f}), {rss:.0f} MiB, rows {summary['rows']}",
                        flush=True,
                    )
                    if a.json:
                        a.json.write_text(json.dumps(results | {n: res}, indent=1))
            results[n] = res
    load_after = os.getloadavg()
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))
    text = render(results, a, load_before, load_after)
    a.out.write_text(text)
    print(text)


def _children_cpu() -> float:
    """User + system CPU seconds of every finished child so far (the timed run's, as a difference).

    Less sensitive than the wall clock to other jobs on a shared machine: a process waiting for a
    core accrues no CPU time.
    """
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _code_measured() -> str:
    """The lic_gpu the runs import (``PYTHONPATH`` may point at another checkout) and its commit."""
    import subprocess

    res = subprocess.run(
        [sys.executable, "-c", "import lic_gpu, pathlib; print(pathlib.Path(lic_gpu.__file__).parents[1])"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    folder = res.stdout.strip() or "?"
    head = subprocess.run(
        ["git", "-C", folder, "log", "-1", "--format=%h %s"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return f"lic_gpu from `{folder}`, commit {head[:120] or '?'}"


def _med(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def render(results: dict, a, load_before, load_after) -> str:
    sizes = sorted(results)
    lines = [
        "# Scale: scripts/augment.py on synthetic 10 k, 100 k and 1 M row corpora (whole processes)",
        "",
        f"Machine: {describe()}; CPU only (device=cpu).",
        "",
        f"Code measured: {_code_measured()}.",
        "",
        "Synthetic corpora in the notebook's two-CSV layout (`data=seed_csv`): distinct sentences made from "
        "EmoBank's by replacing about a third of their nouns, verbs, adjectives and adverbs with corpus words "
        "of the same Penn tag; each row keeps its source sentence's arousal (EmoBank's imbalance: classes "
        "2 / 3 / 4 at 0.8 / 93.2 / 6.0 %); see `benchmarks/bench_scale.py`'s docstring. `emotion=arousal`, "
        "default mode (diverse), packaged GloVe 6B-50d, seed 0. Cold: a fresh cache folder (`LIC_GPU_CACHE`); "
        "warm: the same folder again, filled by the cold run. "
        + ", ".join(
            f"N = {n:,}: {'median of ' + str(results[n]['repeat']) if results[n]['repeat'] > 1 else 'one run'}"
            for n in sizes
        )
        + f" per state; the runs ran under `nice -n {a.nice}`."
        + (f" Extra overrides: `{' '.join(a.extra)}`." if a.extra else ""),
        "",
        f"Machine load (1, 5, 15-minute load averages; {os.cpu_count()} CPUs): before "
        f"{', '.join(f'{x:.2f}' for x in load_before)}, after {', '.join(f'{x:.2f}' for x in load_after)} "
        "(other jobs shared the machine; the seconds are upper bounds).",
        "",
        "| N input rows | state | wall s | CPU s | load at start | peak RSS MiB | new rows | wall s per 1 000 input rows "
        "| wall s per 1 000 new rows |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in sizes:
        for state in ("cold", "warm"):
            runs = results[n][state]
            wall, rss, new = _med(runs, "wall"), _med(runs, "rss"), _med(runs, "rows_new")
            lines.append(
                f"| {n:,} | {state} | {wall:.1f} | {_med(runs, 'cpu'):.1f} | {_med(runs, 'load'):.1f} | {rss:.0f} | {new:,.0f} | {1000 * wall / n:.3f} | "
                f"{1000 * wall / max(new, 1):.3f} |"
            )
    lines += ["", "Growth (ratio of the larger N's median to the smaller's; linear = the ratio of N):", ""]
    lines += [
        "| from -> to | N ratio | state | wall ratio | CPU ratio | peak RSS ratio | new rows ratio |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for lo, hi in zip(sizes, sizes[1:]):
        for state in ("cold", "warm"):
            a_, b_ = results[lo][state], results[hi][state]
            lines.append(
                f"| {lo:,} -> {hi:,} | {hi / lo:g} | {state} | {_med(b_, 'wall') / _med(a_, 'wall'):.2f} | "
                f"{_med(b_, 'cpu') / _med(a_, 'cpu'):.2f} | "
                f"{_med(b_, 'rss') / _med(a_, 'rss'):.2f} | {_med(b_, 'rows_new') / max(_med(a_, 'rows_new'), 1):.2f} |"
            )
    cols = [(n, s) for n in sizes for s in ("cold", "warm")]
    lines += [
        "",
        "Where the wall clock goes (seconds per stage from each run's summary.json, median; "
        "`start-up & exit` is the wall time outside summary.json's `total`):",
        "",
        "| stage | " + " | ".join(f"{n:,} {s}" for n, s in cols) + " |",
        "| --- |" + " ---: |" * len(cols),
    ]
    for st in STAGES:
        cells = [f"{statistics.median(r['stages'][st] for r in results[n][s]):.1f}" for n, s in cols]
        lines.append(f"| {st} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Reproduce: `python benchmarks/bench_scale.py` (needs ../shared; writes the corpora to a temporary "
        "folder; about 15 minutes on a 2-core machine).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
