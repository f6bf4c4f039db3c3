"""What the fluency checks cost: a warm EmoBank arousal run now against the same run before them.

    git worktree add /tmp/lic_gpu_base f25b1ab       # the commit before the fluency work (issue 12)
    python benchmarks/bench_fluency_cost.py --baseline-tree /tmp/lic_gpu_base [--repeat 5]

Both trees run ``scripts/augment.py data=emobank emotion=arousal report.enabled=false`` as fresh
processes with a warm cache of their own (one untimed run first: vectors, neighbours and, now,
tags), interleaved (base, new, base, new ...) so that a busy machine slows both alike. The new tree
runs twice: with its defaults (EmoBank's training split only) and with ``data.split_column=null``
(every row, as the baseline). Target (issue 12): the warm run within 1.5x of the baseline's wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe  # noqa: E402

EMOBANK = ROOT.parent / "shared" / "data" / "emobank" / "emobank.csv"


def run(tree: Path, cache: Path, extra: list[str], tmp: Path) -> float:
    out = Path(tempfile.mkdtemp(dir=tmp))
    cmd = [
        sys.executable,
        str(tree / "scripts" / "augment.py"),
        "data=emobank",
        f"data.path={EMOBANK}",
        "emotion=arousal",
        "device=cpu",
        "report.enabled=false",
        f"hydra.run.dir={out / 'run'}",
        *extra,
    ]
    env = {**os.environ, "PYTHONPATH": str(tree), "LIC_GPU_CACHE": str(cache)}
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tree)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"failed in {tree}: {' '.join(cmd)}\n{res.stderr[-2000:]}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline-tree", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "fluency_cost.md")
    a = ap.parse_args()
    variants = {
        "baseline (before issue 12), its defaults": (a.baseline_tree, []),
        "now, defaults (training split only)": (ROOT, []),
        "now, every row (data.split_column=null)": (ROOT, ["data.split_column=null"]),
    }
    walls: dict[str, list[float]] = {k: [] for k in variants}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        caches = {k: tmp / f"cache{i}" for i, k in enumerate(variants)}
        for k, (tree, extra) in variants.items():
            run(tree, caches[k], extra, tmp)  # warm the caches; not timed
        for _ in range(a.repeat):
            for k, (tree, extra) in variants.items():
                walls[k].append(run(tree, caches[k], extra, tmp))
    base = statistics.median(walls[next(iter(variants))])
    lines = [
        "# What the fluency checks cost (issue 12): warm EmoBank arousal runs, interleaved",
        "",
        f"Machine: {describe()}; CPU only. Median of {a.repeat} fresh processes per variant, run in turn "
        "(base, now, now-all-rows, base ...), each with a warm cache of its own.",
        "",
        "| variant | runs (s) | median s | ratio to baseline |",
        "| --- | --- | ---: | ---: |",
    ]
    for k, w in walls.items():
        m = statistics.median(w)
        lines.append(f"| {k} | {', '.join(f'{x:.2f}' for x in w)} | {m:.2f} | {m / base:.2f}x |")
    lines += [
        "",
        "Target: within 1.5x of the baseline. Reproduce: `python benchmarks/bench_fluency_cost.py "
        "--baseline-tree PATH` (a worktree of commit f25b1ab).",
    ]
    text = "\n".join(lines) + "\n"
    a.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
