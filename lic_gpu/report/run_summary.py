"""The run summary: built once by the run, read by ``summary.json``, ``report.md`` and the figures.

Typed dataclasses instead of a dict with agreed key names: a writer and a reader cannot disagree on a
key (``device_fallback`` vs ``device_fallback_reason``), and the report's tests build the summary
through the same constructors as the run. :meth:`RunSummary.as_dict` is ``summary.json``'s layout.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class DeviceSummary:
    """The device used, the one asked for, and why they differ (None when they don't)."""

    used: str
    requested: str
    fallback_reason: str | None = None

    @classmethod
    def from_choice(cls, choice) -> "DeviceSummary":
        """From a :class:`lic_gpu.device.DeviceChoice`."""
        return cls(str(choice.device), choice.requested, choice.fallback_reason or None)


@dataclass(frozen=True)
class CapsSummary:
    """What the caps were and did: ``emotions`` capped in pass order, ``dropped`` / ``unmet`` are
    ``{emotion: {class: rows}}``."""

    kind: str
    region: dict[str, list] | None = None
    cap_per_class: int | None = None
    emotions: list[str] | None = None
    dropped: dict[str, dict[int, int]] = field(default_factory=dict)
    unmet: dict[str, dict[int, int]] = field(default_factory=dict)

    @classmethod
    def from_result(
        cls,
        kind: str,
        result,
        region: Mapping[str, Sequence] | None = None,
        cap_per_class: int | None = None,
        emotions: Sequence[str] | None = None,
    ) -> "CapsSummary":
        """From the options and the :class:`lic_gpu.caps.CapResult` of :func:`lic_gpu.caps.apply_caps`
        (``emotions``: ``caps.emotions``, None = the region's)."""
        capped = kind != "none"
        bounds = {str(e): list(b) for e, b in region.items()} if capped and region else None
        return cls(
            kind=kind,
            region=bounds,
            cap_per_class=int(cap_per_class) if capped and cap_per_class is not None else None,
            emotions=[str(e) for e in (emotions or bounds or [])] if capped else None,
            dropped={e: {int(c): int(n) for c, n in d.items()} for e, d in result.dropped.items()},
            unmet={e: {int(c): int(n) for c, n in d.items()} for e, d in result.unmet.items()},
        )

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "region": self.region,
            "cap_per_class": self.cap_per_class,
            "emotions": self.emotions,
            "dropped": self.dropped,
            "unmet": self.unmet,
        }


@dataclass
class EmotionSummary:
    """One augmented emotion: its classes (:class:`lic_gpu.augment.ClassReport` each), what LIC and the
    neighbour search found, the quality of its new rows and its files."""

    label_kind: str
    binning: Any
    classes: dict[Any, Any]
    missing_ratings: int = 0
    rows_not_augmented_split: int = 0
    notes: list[str] = field(default_factory=list)
    lic_entries: int = 0
    candidate_words: int = 0
    candidate_words_in_vectors: int = 0
    candidate_vectors: int = 0
    neighbours_searched: int = 0
    neighbours_from_cache: int = 0
    timings_s: dict[str, float] = field(default_factory=dict)
    quality: dict = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_run(cls, run, files: Mapping[str, str] | None = None) -> "EmotionSummary":
        """From a :class:`lic_gpu.app.pipeline.EmotionRun`."""
        res = run.result
        return cls(
            label_kind=run.kind,
            binning=run.binning,
            classes=dict(res.classes),
            missing_ratings=run.n_missing,
            rows_not_augmented_split=run.n_held_out,
            notes=list(run.notes),
            lic_entries=run.lic.n_defined,
            candidate_words=res.n_candidate_words,
            candidate_words_in_vectors=res.n_candidate_words_in_vocab,
            candidate_vectors=res.n_candidate_rows,
            neighbours_searched=res.neighbours_searched,
            neighbours_from_cache=res.neighbours_from_cache,
            timings_s={k: round(v, 4) for k, v in res.timings_s.items()},
            quality=run.quality,
            files=dict(files or {}),
        )

    def classes_dict(self) -> dict[str, dict]:
        return {str(c): rep.as_dict() for c, rep in self.classes.items()}

    def as_dict(self) -> dict:
        out = {
            "label_kind": self.label_kind,
            "binning": self.binning,
            "missing_ratings": self.missing_ratings,
            "rows_not_augmented_split": self.rows_not_augmented_split,
            "notes": list(self.notes),
            "lic_entries": self.lic_entries,
            "candidate_words": self.candidate_words,
            "candidate_words_in_vectors": self.candidate_words_in_vectors,
            "candidate_vectors": self.candidate_vectors,
            "neighbours_searched": self.neighbours_searched,
            "neighbours_from_cache": self.neighbours_from_cache,
            "classes": self.classes_dict(),
            "timings_s": dict(self.timings_s),
            "quality": self.quality,
        }
        if self.files:
            out["files"] = dict(self.files)
        return out


@dataclass
class RunSummary:
    """Everything a run reports about itself (``summary.json`` is :meth:`as_dict`).

    ``figures``: what the figures show (``max_panels``, the columns drawn and left out), None when
    ``report.enabled=false``; ``timings_s`` and ``outputs`` are filled in last.
    """

    emotions: dict[str, EmotionSummary]
    device: DeviceSummary
    caps: CapsSummary
    mode: str | None = None
    seed: int = 0
    data: dict = field(default_factory=dict)
    environment: dict = field(default_factory=dict)
    output_format: str = "csv"
    vectors: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    guard: dict = field(default_factory=dict)
    filters: dict = field(default_factory=dict)
    config: str = ""
    figures: dict | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """``summary.json``: plain JSON types, a stable key order."""
        names = list(self.emotions)
        out: dict[str, Any] = {
            "emotion": names[0] if len(names) == 1 else names,
            "emotions": {e: s.as_dict() for e, s in self.emotions.items()},
            "device": self.device.used,
            "requested_device": self.device.requested,
            "device_fallback": self.device.fallback_reason,
            "mode": self.mode,
            "seed": self.seed,
            "data": self.data,
            "environment": self.environment,
            "output_format": self.output_format,
            "vectors": self.vectors,
            "rows": self.rows,
            "guard": self.guard,
            "caps": self.caps.as_dict(),
            "filters": self.filters,
            "config": self.config,
        }
        if len(names) == 1:  # back-compat single-emotion view: classes at the top level
            out["classes"] = out["emotions"][names[0]]["classes"]
        if self.figures is not None:
            out["report"] = self.figures
        out["timings_s"] = dict(self.timings_s)
        out["outputs"] = list(self.outputs)
        return out


def filter_outcomes(runs) -> dict[str, Any]:
    """What the diverse sampler's filters decided: the outcome of every (word, neighbour) pair it
    checked and the source tokens it never swapped. These count refusals, so they cannot show what
    got through; :mod:`lic_gpu.report.quality` measures that."""
    checks: Counter = Counter()
    skipped: Counter = Counter()
    for r in runs:
        checks.update(r.result.refusals)
        skipped.update(r.result.skipped_positions)
    total = sum(checks.values())
    cos = [s.cosine for r in runs for row in r.result.rows for s in row.swaps if s.kind == "swap"]
    return {
        "n_rows": sum(len(r.result.rows) for r in runs),
        "n_swaps": len(cos),
        "mean_cosine": round(float(np.mean(cos)), 4) if cos else None,
        "neighbours_checked": total,
        "share_by_outcome": {k: round(v / total, 4) for k, v in sorted(checks.items())} if total else {},
        "source_tokens_skipped": dict(sorted(skipped.items())),
    }
