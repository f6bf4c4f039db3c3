"""Smoke version of benchmarks/bench_wallclock.py: where a whole run's wall clock goes, as shares.

Two demo runs as fresh processes (cold: an empty cache folder; warm: the same folder again). No
absolute seconds are checked, so a slow or busy machine cannot fail it; a stage whose share of
the wall time jumps far past what it takes now (a figure drawn point by point, an import that
pulls in a library the run never uses, a model loaded for nothing) fails loudly, naming it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from wallclock_stages import STAGES, stage_shares  # noqa: E402

# Generous ceilings on each stage's share of the wall time of a demo run (measured, busy 2-core
# machine: start-up & exit ~45-60 %, figures ~15-20 %, search and tagging ~10-25 % cold, each
# other stage under 10 %): a regression has to roughly double a stage to trip one.
MAX_SHARE = {
    "start-up & exit": 0.9,
    "figures & report": 0.45,
    "tagging": 0.5,
    "search": 0.5,
    "tagger load": 0.4,
    "quality measure": 0.3,
    "generation": 0.4,
    "grammar & thesaurus": 0.3,
    "vectors": 0.4,
    "read data": 0.25,
    "write": 0.25,
    "other": 0.3,
}
# libraries a warm run whose tags are all cached must not import (their submodules are looked for:
# lemminflect's refused ``import spacy`` is logged by importtime too, with no submodule under it)
UNUSED_WHEN_WARM = ("spacy", "thinc", "sklearn", "scipy", "gensim")


def _run(out_dir: Path, cache: Path, python_flags: tuple[str, ...] = ()) -> tuple[float, dict, str]:
    cmd = [
        sys.executable,
        *python_flags,
        str(ROOT / "scripts" / "augment.py"),
        "device=cpu",
        f"hydra.run.dir={out_dir}",
    ]
    t0 = time.perf_counter()
    res = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
        env={**os.environ, "LIC_GPU_CACHE": str(cache)},
    )
    wall = time.perf_counter() - t0
    assert res.returncode == 0, res.stderr[-2000:]
    return wall, json.loads((out_dir / "summary.json").read_text()), res.stderr


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wallclock")
    cold = _run(tmp / "cold", tmp / "cache")
    warm = _run(tmp / "warm", tmp / "cache", ("-X", "importtime"))
    return {"cold": cold, "warm": warm, "folders": (tmp / "cold", tmp / "warm")}


@pytest.mark.parametrize("state", ["cold", "warm"])
def test_stage_shares_stay_under_their_ceilings(demo_runs, state):
    wall, summary, _ = demo_runs[state]
    shares = stage_shares(summary, wall)
    assert set(shares) == set(STAGES)
    assert sum(shares.values()) == pytest.approx(1.0, abs=0.02)  # the stages account for the wall time
    report = ", ".join(f"{k} {100 * v:.0f} %" for k, v in shares.items())
    jumped = {k: round(v, 3) for k, v in shares.items() if v > MAX_SHARE[k]}
    assert not jumped, f"{state} demo run: stage share(s) jumped past their ceilings {jumped}; all: {report}"


def test_warm_run_loads_no_tagger_and_imports_nothing_unused(demo_runs):
    cold_wall, cold, _ = demo_runs["cold"]
    wall, summary, importtime = demo_runs["warm"]
    assert cold["timings_s"].get("load_tagger", 0) > 0  # the cold run tagged, so it loaded the model
    assert "load_tagger" not in summary["timings_s"]  # every tag came from the cache
    imported = {m[1] for m in re.finditer(r"^import time:.*\|\s*([\w.]+)$", importtime, re.M)}
    unused = sorted(name for name in imported if "." in name and name.split(".")[0] in UNUSED_WHEN_WARM)
    assert not unused, f"a warm run imported {unused[:5]} ({len(unused)} modules) it never uses"
    assert summary["rows"] == cold["rows"]


def test_a_warm_run_writes_the_cold_runs_rows(demo_runs):
    """Everything a warm run reads from the caches (vectors, neighbours, tags, the word look-ups, the
    candidate checks' answers, the encoder scores) gives the very rows the cold run computed."""
    cold, warm = demo_runs["folders"]
    tables = [name for name in demo_runs["cold"][1]["outputs"] if name.endswith(".csv")]
    assert tables and tables == [name for name in demo_runs["warm"][1]["outputs"] if name.endswith(".csv")]
    for name in tables:
        assert (warm / name).read_bytes() == (cold / name).read_bytes(), name
