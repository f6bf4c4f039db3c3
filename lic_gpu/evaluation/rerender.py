"""Draw an evaluation's report again from its ``metrics.json``, without re-running anything.

    python -m lic_gpu.evaluation.rerender evaluation/emobank

The scores, splits, rows added and timings are read back from ``metrics.json``; ``metrics.csv``,
``evaluation.md`` and the figures are written anew by the current report code (the comparisons are
recomputed from the per-seed scores, so they follow the current statistics too). ``evaluation.md``
says it was drawn again and when; the "Run:" line keeps the command that produced the scores.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd

from lic_gpu.errors import LicGpuError
from lic_gpu.evaluation.experiment import EvalResult
from lic_gpu.evaluation.report import write_outputs
from lic_gpu.evaluation.settings import EvalSettings

# what run_evaluate puts into metrics.json besides the results (see lic_gpu.evaluation.job)
META_KEYS = (
    "corpus",
    "n_rows",
    "command",
    "device",
    "torch_threads",
    "python",
    "torch",
    "vectors",
    "stopwords",
    "guard",
    "wall_s",
    "when",
    "config",
)


def render_again(folder: str | Path) -> Path:
    """Rewrite ``folder``'s report files from its ``metrics.json``; returns the ``evaluation.md`` path."""
    folder = Path(folder)
    path = folder / "metrics.json"
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LicGpuError(f"{path}: not found (give the folder an evaluation wrote)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LicGpuError(f"{path}: cannot be read as an evaluation's metrics.json ({exc})") from None
    missing = [
        k for k in ("per_seed", "settings", "splits", "augmentation", "leakage_checks", "wall_s") if k not in payload
    ]
    if missing:
        raise LicGpuError(f"{path}: not an evaluation's metrics.json (no {', '.join(missing)})")
    result = EvalResult(
        records=pd.DataFrame(payload["per_seed"]),
        splits=payload["splits"],
        augmentation=payload["augmentation"],
        leakage=payload["leakage_checks"],
        unavailable=payload.get("unavailable_methods", {}),
        classes=payload.get("classes", {}),
        timings_s=payload.get("timings_s", {}),
        groups=payload.get("groups", ""),
    )
    options = dict(payload["settings"])
    options["comparisons"] = [tuple(pair) for pair in options.get("comparisons", [])]
    try:
        settings = EvalSettings(**options)
    except TypeError as exc:
        raise LicGpuError(f"{path}: settings of another version of lic_gpu ({exc})") from None
    meta = {k: payload[k] for k in META_KEYS if k in payload}
    meta["rendered_again"] = time.strftime("%Y-%m-%d %H:%M")
    write_outputs(folder, result, settings, meta)
    return folder / "evaluation.md"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print(
            "usage: python -m lic_gpu.evaluation.rerender FOLDER  (a folder with an evaluation's metrics.json)",
            file=sys.stderr,
        )
        return 2
    try:
        print(f"written {render_again(args[0])}")
    except LicGpuError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
