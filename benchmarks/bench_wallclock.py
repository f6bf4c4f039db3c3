"""Whole processes, wall clock: scripts/augment.py against the notebook's algorithm (reference --cache).

Every variant runs as a fresh process on EmoBank arousal (``data=emobank``, its defaults: the
training split is augmented), timed from ``subprocess`` start to exit, so the times include the
interpreter, imports, Hydra, the run and its teardown. The variants run interleaved (reference,
default cold, default warm, seed cold, seed warm, then again), so a busy machine slows all alike;
each ratio is the reference's median over the variant's median, from the same run.

* cold: a fresh, empty cache folder (``LIC_GPU_CACHE``) per process: the packaged GloVe is
  parsed, every candidate word's neighbours searched, every sentence tagged;
* warm: one cache folder per variant, filled by one untimed run first (a user's second run).

Per-stage seconds come from each run's own ``summary.json`` (see :mod:`wallclock_stages`); the
imports of one warm default run are broken down with ``python -X importtime``.

    python benchmarks/bench_wallclock.py [--repeat 3] [--out benchmarks/results/wallclock.md]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe
from wallclock_stages import STAGES, stage_seconds

EMOBANK = SHARED / "data" / "emobank" / "emobank.csv"
REFERENCE = SHARED / "reference" / "seed_reference.py"
TARGETS = {"default (diverse), warm": 5.0, "default (diverse), cold": 2.5, "seed mode, warm": 5.0}


# A tiny parent per run: the wall clock from start to exit of the command, and its peak RSS (the
# children's rusage of this parent is that one command's; ours would be the max over every run).
_WRAPPER = (
    "import resource,subprocess,sys,time;t=time.perf_counter();p=subprocess.Popen(sys.argv[1:]);"
    "p.wait();w=time.perf_counter()-t;r=resource.getrusage(resource.RUSAGE_CHILDREN);"
    "sys.stderr.write(f'\\nwallclock {w:.4f} {r.ru_maxrss/1024:.1f}\\n');sys.exit(p.returncode)"
)


def process_env(extra: dict | None = None) -> dict:
    """The environment of every timed process: this one's, with Python's default bytecode caching.

    A default Python writes each module's compiled bytecode (``__pycache__``) on first import and
    reuses it, as a user's second run does. This sandbox sets ``PYTHONDONTWRITEBYTECODE=1``: with it,
    the project's ~100 modules (an editable install) would be compiled again in every process
    (~0.14 s), a cost no user's machine pays. It is unset for every process, the reference's too.
    """
    env = {**os.environ, **(extra or {})}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one process; stops on a failure."""
    res = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd],
        capture_output=True,
        text=True,
        check=False,
        env=process_env(env),
        cwd=ROOT,
    )
    if res.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{res.stderr[-2000:]}")
    wall, rss = re.findall(r"wallclock ([0-9.]+) ([0-9.]+)", res.stderr)[-1]
    return float(wall), float(rss)


def reference_cmd(out: Path) -> list[str]:
    return [
        sys.executable,
        str(REFERENCE),
        "--csv",
        str(EMOBANK),
        "--text",
        "text",
        "--emotion",
        "A",
        "--round",
        "--cache",
        "--seed",
        "0",
        "--stopwords",
        str(ROOT / "lic_gpu" / "resources" / "stopwords_english.txt"),
        "--out",
        str(out),
    ]


def ours_cmd(out_dir: Path, extra: list[str], python_flags: tuple[str, ...] = ()) -> list[str]:
    return [
        sys.executable,
        *python_flags,
        str(ROOT / "scripts" / "augment.py"),
        "data=emobank",
        f"data.path={EMOBANK}",
        "emotion=arousal",
        "device=cpu",
        f"hydra.run.dir={out_dir}",
        *extra,
    ]


def import_breakdown(out_dir: Path, extra: list[str], cache: Path, top: int = 8) -> list[tuple[str, float]]:
    """The slowest top-level imports of one run (``-X importtime``, cumulative seconds)."""
    res = subprocess.run(
        ours_cmd(out_dir, extra, ("-X", "importtime")),
        capture_output=True,
        text=True,
        check=False,
        env=process_env({"LIC_GPU_CACHE": str(cache)}),
        cwd=ROOT,
    )
    first: dict[str, float] = {}
    total = 0.0
    for line in res.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
        if m and len(m[2]) == 0:  # a top-level import (nested ones are inside its cumulative time)
            first[m[3]] = first.get(m[3], 0.0) + int(m[1]) / 1e6
            total += int(m[1]) / 1e6
    ranked = sorted(first.items(), key=lambda kv: -kv[1])[:top]
    return [("all imports", total), *ranked]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "wallclock.md")
    ap.add_argument("--extra", nargs="*", default=[], help="overrides added to every run of ours")
    a = ap.parse_args()
    variants = {
        "default (diverse), cold": ([], "cold"),
        "default (diverse), warm": ([], "warm"),
        # the default before the encoder stage was turned on (issue 22, tenth session)
        "default without the encoder stage, cold": (["augment.encoder=false"], "cold"),
        "default without the encoder stage, warm": (["augment.encoder=false"], "warm"),
        "seed mode, cold": (["augment=seed"], "cold"),
        "seed mode, warm": (["augment=seed"], "warm"),
    }
    walls: dict[str, list[float]] = {"reference --cache": [], **{k: [] for k in variants}}
    rss: dict[str, list[float]] = {k: [] for k in walls}
    stages: dict[str, list[dict[str, float]]] = {k: [] for k in variants}
    rows: dict[str, int] = {}
    load_before = os.getloadavg()  # the machine's load, said in the results (a shared machine skews them)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        n = 0

        def fresh(name: str) -> Path:
            nonlocal n
            n += 1
            return tmp / f"{name}_{n}"

        warm_cache = {k: tmp / f"warm_cache_{i}" for i, k in enumerate(variants)}
        for k, (extra, state) in variants.items():
            if state == "warm":  # fill the cache; not timed
                run(ours_cmd(fresh("fill"), extra + a.extra), {"LIC_GPU_CACHE": str(warm_cache[k])})
        for r in range(a.repeat):
            w, m = run(reference_cmd(fresh("ref").with_suffix(".csv")))
            walls["reference --cache"].append(w)
            rss["reference --cache"].append(m)
            for k, (extra, state) in variants.items():
                out_dir = fresh("run")
                cache = warm_cache[k] if state == "warm" else fresh("cold_cache")
                w, m = run(ours_cmd(out_dir, extra + a.extra), {"LIC_GPU_CACHE": str(cache)})
                summary = json.loads((out_dir / "summary.json").read_text())
                walls[k].append(w)
                rss[k].append(m)
                stages[k].append(stage_seconds(summary, w))
                rows[k] = summary["rows"]["generated"]
            print(f"round {r + 1}/{a.repeat}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in walls.items()), flush=True)
        imports = {
            k: import_breakdown(fresh("imp"), variants[k][0] + a.extra, warm_cache[k])
            for k in ("default (diverse), warm", "seed mode, warm")
        }
    load_after = os.getloadavg()
    ref = statistics.median(walls["reference --cache"])
    med = {k: statistics.median(v) for k, v in walls.items()}
    lines = [
        "# Wall clock, whole processes: scripts/augment.py vs the notebook's algorithm (reference --cache)",
        "",
        f"Machine: {describe()}; CPU only (device=cpu).",
        f"EmoBank arousal (`data=emobank`, its defaults: the training split is augmented; the reference "
        f"augments every row), packaged GloVe 6B-50d, seed 0. Median of {a.repeat} fresh processes per variant, "
        "interleaved (reference, default cold, default warm, seed cold, seed warm, again ...); ratios are "
        "the reference's median over the variant's, from this same run. Cold: an empty cache folder per "
        "process; warm: a cache filled by one untimed run first. Peak memory: the process's maximum RSS. "
        "Python's default bytecode caching for every process, the reference's included (this sandbox sets "
        "PYTHONDONTWRITEBYTECODE=1, which would compile the project's modules again in every process; "
        "unset here, as on a default install: see `process_env`)."
        + (f" Extra overrides: `{' '.join(a.extra)}`." if a.extra else ""),
        "",
        f"Machine load (1, 5, 15-minute load averages; {os.cpu_count()} CPUs): before the run "
        f"{', '.join(f'{x:.2f}' for x in load_before)}, after it {', '.join(f'{x:.2f}' for x in load_after)}.",
        "",
        "| variant | runs (s) | median s | speed-up vs reference | target | new rows | peak RSS MiB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for k, w in walls.items():
        ratio = ref / med[k]
        target = TARGETS.get(k)
        verdict = "" if target is None else f">= {target:g}x {'met' if ratio >= target else 'NOT met'}"
        lines.append(
            f"| {k} | {', '.join(f'{x:.2f}' for x in w)} | {med[k]:.2f} | {ratio:.2f}x | {verdict} | "
            f"{rows.get(k, '')} | {statistics.median(rss[k]):.0f} |"
        )
    lines += [
        "",
        (
            "Where the wall clock goes (median seconds per stage, from each run's summary.json; "
            "share of the variant's median wall time in brackets):"
        ),
        "",
        "| stage | " + " | ".join(variants) + " |",
        "| --- |" + " ---: |" * len(variants),
    ]
    for s in STAGES:
        cells = []
        for k in variants:
            sec = statistics.median(st[s] for st in stages[k])
            cells.append(f"{sec:.2f} ({100 * sec / med[k]:.0f} %)")
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    lines += [
        "",
        (
            "`start-up & exit` is the wall time outside summary.json's `total`: interpreter start-up, "
            "imports, Hydra's composition, the last writes (summary.json, report.md, the run folder's "
            "commit) and exit. Its imports, from one more warm run each with `python -X importtime` "
            "(cumulative seconds of the slowest top-level imports; importtime itself adds a little):"
        ),
        "",
    ]
    for k, items in imports.items():
        lines.append(f"- {k}: " + ", ".join(f"{name} {sec:.2f}" for name, sec in items))
    lines += [
        "",
        (
            "Reproduce: `python benchmarks/bench_wallclock.py` (needs ../shared). On a shared, busy "
            "machine the absolute seconds are noisy; the ratios, from interleaved runs, much less so."
        ),
    ]
    text = "\n".join(lines) + "\n"
    a.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
