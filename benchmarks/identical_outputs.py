"""Are the main job's outputs byte-identical between two checkouts? (the refactoring check of issue 21)

Runs ``scripts/augment.py`` of each checkout (``PYTHONPATH`` = that checkout) on the same cases with a
fixed ``hydra.run.dir`` and compares SHA-256 hashes of the data files: ``augmented_*``, ``exports/``,
``balanced``/``capped``, ``rows_per_subject.csv`` and ``summary.json`` with the fields that depend on the
clock, the machine, the checkout's path or the on-disk neighbour cache left out.

    python benchmarks/identical_outputs.py                       # this checkout against /work/main
    python benchmarks/identical_outputs.py --reuse-base          # keep the base runs of an earlier call
    python benchmarks/identical_outputs.py --only demo_seed

Exit status 0 when every file of every case is identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
EMOBANK = "data=emobank data.path=/work/shared/data/emobank/emobank.csv"
CASES = {
    "demo": "",
    "demo_seed": "augment.mode=seed",
    "demo_caps": "emotion=[arousal,valence] caps=rectangle",
    "emobank_arousal": f"{EMOBANK} emotion=arousal",
    "emobank_arousal_seed": f"{EMOBANK} emotion=arousal augment.mode=seed",
    "emobank_valence": f"{EMOBANK} emotion=valence",
    "emobank_valence_seed": f"{EMOBANK} emotion=valence augment.mode=seed",
}
# summary.json fields that say when, where and how fast, not what was made
VOLATILE = {"timings_s", "environment", "neighbours_searched", "neighbours_from_cache", "neighbour_cache", "tag_cache"}
DATA_GLOBS = ("augmented_*", "exports/*", "balanced*", "capped*", "rows_per_subject.csv")


def run(root: Path, case: str, overrides: str, out: Path) -> float:
    """One run of ``root``'s main job into ``out`` (removed first); the seconds it took."""
    if out.exists():
        subprocess.run(["rm", "-rf", str(out)], check=True)
    env = dict(os.environ, PYTHONPATH=str(root))
    cmd = [sys.executable, str(root / "scripts" / "augment.py"), *overrides.split(), f"hydra.run.dir={out}"]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=out.parent, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{case} failed in {root}:\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0


def _strip(node, roots: tuple[str, ...]):
    if isinstance(node, dict):
        return {_strip(k, roots): _strip(v, roots) for k, v in node.items() if k not in VOLATILE}
    if isinstance(node, list):
        return [_strip(v, roots) for v in node]
    if isinstance(node, str):
        for root in roots:
            node = node.replace(root, "<checkout>")
    return node


def hashes(folder: Path, roots: tuple[str, ...]) -> dict[str, str]:
    """File (relative to ``folder``) -> SHA-256 of the data files and the normalised summary."""
    out = {}
    for pattern in DATA_GLOBS:
        for path in sorted(folder.glob(pattern)):
            if path.is_file():
                out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    summary = _strip(json.loads((folder / "summary.json").read_text()), roots)
    out["summary.json (normalised)"] = hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", type=Path, default=Path("/work/main"), help="the checkout to compare against")
    p.add_argument("--here", type=Path, default=HERE, help="the checkout under test")
    p.add_argument("--out", type=Path, default=Path("/tmp/identical_outputs"), help="where the runs go")
    p.add_argument("--only", nargs="*", default=list(CASES), choices=list(CASES))
    p.add_argument("--reuse-base", action="store_true", help="keep base runs that exist already")
    args = p.parse_args()
    roots = (str(args.base.resolve()), str(args.here.resolve()))
    all_same = True
    for case in args.only:
        folders = {}
        for side, root in (("base", args.base), ("here", args.here)):
            folder = args.out / side / case
            folder.parent.mkdir(parents=True, exist_ok=True)
            if side == "base" and args.reuse_base and (folder / "summary.json").is_file():
                folders[side] = (folder, 0.0)
                continue
            folders[side] = (folder, run(root.resolve(), case, CASES[case], folder))
        base, here = (hashes(folders[s][0], roots) for s in ("base", "here"))
        diff = sorted(f for f in base.keys() | here.keys() if base.get(f) != here.get(f))
        all_same &= not diff
        status = "identical" if not diff else f"DIFFERENT: {diff}"
        print(
            f"{case:22s} {len(base):2d} files  base {folders['base'][1]:6.1f} s  here {folders['here'][1]:6.1f} s  "
            f"{status}",
            flush=True,
        )
    print("all identical" if all_same else "outputs differ")
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
