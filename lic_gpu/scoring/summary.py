"""The learned swap score of a run's new rows, for ``summary.json`` and ``report.md``: its distribution
per class and the lowest- and highest-scored rows."""

from __future__ import annotations

from typing import Any

import numpy as np

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def fluency_summary(runs, source_text, n_rows: int = 5) -> dict[str, Any]:
    """Per emotion: class -> {n, mean, quantiles} of the rows' ``fluency``, and the ``n_rows`` lowest and
    highest rows ``{class, score, source, new}``. ``source_text(row_id)`` gives a source sentence."""
    out: dict[str, Any] = {}
    for r in runs:
        rows = [row for row in r.result.rows if np.isfinite(row.fluency)]
        if not rows:
            continue
        per_class = {}
        for cls in sorted({row.cls for row in rows}, key=str):
            s = np.array([row.fluency for row in rows if row.cls == cls])
            per_class[str(cls)] = {
                "n": int(len(s)),
                "mean": round(float(s.mean()), 4),
                "quantiles": {f"{q:g}": round(float(np.quantile(s, q)), 4) for q in QUANTILES},
            }
        order = sorted(rows, key=lambda row: row.fluency)

        def shown(row) -> dict:
            return {
                "class": str(row.cls),
                "score": round(float(row.fluency), 4),
                "source": str(source_text(row.source_row)),
                "new": row.text,
            }

        out[r.emotion] = {
            "per_class": per_class,
            "lowest": [shown(x) for x in order[:n_rows]],
            "highest": [shown(x) for x in order[::-1][:n_rows]],
        }
    return out
