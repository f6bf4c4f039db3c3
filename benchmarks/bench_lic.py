"""LIC time: lic_gpu.compute_lic against the notebook's pandas version, on EmoBank, same run.

python benchmarks/bench_lic.py [--repeat 7] [--out benchmarks/results/lic.md]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe  # noqa: E402

from lic_gpu import compute_lic  # noqa: E402
from lic_gpu.classes import build_word_dict, class_labels  # noqa: E402
from lic_gpu.io.data import load_seed_csv  # noqa: E402
from lic_gpu.text import whitespace_tokenise  # noqa: E402


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "lic.md"))
    a = ap.parse_args()
    spec = importlib.util.spec_from_file_location("seed_reference", SHARED / "reference" / "seed_reference.py")
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    fmt = SHARED / "data" / "emobank" / "seed_format"
    corpus = load_seed_csv(fmt / "words.csv", fmt / "ratings.csv", rating_columns=["valence", "arousal"])
    tok = [whitespace_tokenise(t) for t in corpus.texts]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for emo in ("arousal", "valence"):
        wd = build_word_dict(tok, class_labels(corpus.frame[emo], emo, "integer").labels)
        compute_lic(wd)  # warm-up
        t_ref, ref_d = timed(lambda: ref.compute_lic(wd), a.repeat)
        for dev in devices:
            compute_lic(wd, device=dev)
            t_ours, res = timed(lambda: compute_lic(wd, device=dev), a.repeat)
            t_dict, ours_d = timed(lambda: compute_lic(wd, device=dev).to_dict(), a.repeat)
            assert ours_d.keys() == ref_d.keys()
            err = max(abs(ours_d[k] - ref_d[k]) for k in ref_d)
            rows.append((emo, dev, len(wd), len(res.vocab), len(ref_d), t_ref, t_ours, t_dict, err))
    lines = [
        "# LIC benchmark: lic_gpu.compute_lic vs the notebook's pandas compute_lic",
        "",
        f"Machine: {describe()}.",
        f"EmoBank (`seed_format`, integer classes, whitespace tokens); median of {a.repeat} runs each, same process.",
        "`ours` returns the LicResult (tensor); `ours + to_dict` also builds the notebook's `{(class, word): lic}` dict.",
        "",
        "| emotion | device | classes | vocab | entries | reference s | ours s | ours + to_dict s | speed-up | speed-up with dict | max abs diff |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for emo, dev, c, v, n, tr, to, td, err in rows:
        lines.append(
            f"| {emo} | {dev} | {c} | {v} | {n} | {tr:.4f} | {to:.4f} | {td:.4f} | "
            f"{tr / to:.1f}x | {tr / td:.1f}x | {err:.1e} |"
        )
    lines.append("")
    lines.append("Reproduce: `python benchmarks/bench_lic.py`.")
    text = "\n".join(lines) + "\n"
    Path(a.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
