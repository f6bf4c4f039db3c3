"""Where a whole run's wall clock goes: stages read from its own ``summary.json``.

Shared by :mod:`bench_wallclock` and ``tests/test_wallclock_smoke.py``; imports nothing heavy.
``summary.json``'s ``total`` starts after the imports and Hydra's composition and ends before
``summary.json``, ``report.md`` and the run folder's commit, so ``wall - total`` is the start-up
(interpreter, imports, config) and the end (last writes, exit) of the process.
"""

from __future__ import annotations

from collections.abc import Mapping

STAGES = (
    "start-up & exit",
    "read data",
    "vectors",
    "grammar & thesaurus",
    "tagger load",
    "tagging",
    "search",
    "generation",
    "quality measure",
    "write",
    "figures & report",
    "other",
)


def stage_seconds(summary: Mapping, wall: float) -> dict[str, float]:
    """Seconds per stage of :data:`STAGES` (they add up to ``wall``) for one run's summary."""
    t = dict(summary.get("timings_s") or {})
    per_emotion = [
        dict(e.get("timings_s") or {}) for e in (summary.get("emotions") or {}).values() if isinstance(e, Mapping)
    ]

    def emo(key: str) -> float:
        return sum(float(e.get(key, 0.0)) for e in per_emotion)

    def prefixed(prefix: str) -> float:
        return sum(float(v) for k, v in t.items() if k.startswith(prefix))

    total = float(t.get("total", 0.0))
    load = float(t.get("load_tagger", 0.0))
    # the model loads inside the first stage that tags (generation in diverse mode, the quality
    # measure in seed mode); its seconds are taken out of that stage
    tag = emo("tag")
    quality = prefixed("quality[")
    tag_load = min(load, tag)
    out = {
        "start-up & exit": max(wall - total, 0.0),
        "read data": float(t.get("load_data", 0.0)),
        "vectors": float(t.get("load_vectors", 0.0)),
        "grammar & thesaurus": float(t.get("load_grammar", 0.0)),
        "tagger load": load,
        "tagging": tag - tag_load,
        # the candidate search runs beside the sources' tagging: the seconds they shared count as tagging
        "search": max(emo("neighbours") + emo("guard_prefetch") + emo("reverse_neighbours") - emo("overlap"), 0.0),
        "generation": emo("generate") + prefixed("lic[") + float(t.get("assemble", 0.0)) + float(t.get("caps", 0.0)),
        "quality measure": max(quality - (load - tag_load), 0.0),
        "write": float(t.get("write", 0.0)),
        "figures & report": float(t.get("report", 0.0)),
    }
    out["other"] = max(wall - sum(out.values()), 0.0)  # generate[emo] outside its sub-timings, rounding
    return out


def stage_shares(summary: Mapping, wall: float) -> dict[str, float]:
    """:func:`stage_seconds` as shares of ``wall`` (0-1)."""
    return {k: v / wall for k, v in stage_seconds(summary, wall).items()}
