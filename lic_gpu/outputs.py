"""Everything the main job writes into its run folder: caps, the data files, ``summary.json``, the
figures and ``report.md``, written into the staging folder of :func:`lic_gpu.run_folder.staged_run`.
"""
from __future__ import annotations

import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from lic_gpu import figures, report
from lic_gpu.atomic_files import write_json
from lic_gpu.caps import apply_caps, caps_summary
from lic_gpu.file_names import inside
from lic_gpu.formats import write_table
from lic_gpu.frames import class_export, emotion_frame
from lic_gpu.run_folder import output_files, staged_run

log = logging.getLogger(__name__)


def filter_outcomes(runs) -> dict[str, Any]:
    """What the diverse sampler's filters decided: the outcome of every (word, neighbour) pair it
    checked and the source tokens it never swapped. These count refusals, so they cannot show what
    got through; :mod:`lic_gpu.quality` measures that."""
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


def swap_samples(frame: pd.DataFrame, classes: pd.DataFrame, text_column: str, n: int, seed: int,
                 tokenise) -> list[dict]:
    """Up to ``n`` new rows drawn reproducibly, each with its class and source sentence, the swapped
    words marked ``**like this**`` in both, for the report."""
    new = frame[frame["is_augmented"]]
    if new.empty or n <= 0:
        return []
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(new), size=min(n, len(new)), replace=False))
    out = []
    for idx, row in new.iloc[pick].iterrows():
        swaps = [s for s in json.loads(row["swaps"]) if s.get("kind", "swap") == "swap"]
        emotion = row["augmented_for"]
        cls = classes.loc[idx, emotion] if emotion in classes.columns else None
        out.append({"emotion": emotion, "class": None if pd.isna(cls) else cls,
                    "source": _marked(frame.at[int(row["source_row"]), text_column], swaps, "old", tokenise),
                    "new": _marked(row[text_column], swaps, "new", tokenise),
                    "old_words": ", ".join(s["old"] for s in swaps), "new_words": ", ".join(s["new"] for s in swaps),
                    "cosine": round(float(np.mean([s["cosine"] for s in swaps])), 3) if swaps else None})
    return out


def _marked(text: str, swaps, side: str, tokenise) -> str:
    """``text`` with the swapped tokens in bold (as they are, when the positions do not line up)."""
    if tokenise is None:
        from lic_gpu.text import words_tokenise as tokenise
    t = tokenise(text)
    tokens = list(t.tokens)
    for s in swaps:
        if s["pos"] < len(tokens) and tokens[s["pos"]] == s[side]:
            tokens[s["pos"]] = f"**{tokens[s['pos']]}**"
    return t.detokenise(tokens)


def write_run(*, out_dir: Path, **kwargs) -> dict:
    """Write one run's files into ``out_dir`` all or none (see :func:`lic_gpu.run_folder.staged_run`)."""
    return staged_run(Path(out_dir), lambda stage: _write_run(out_dir=stage, **kwargs))


def _write_run(*, out_dir: Path, cfg_yaml: str, corpus, runs, frame: pd.DataFrame, classes: pd.DataFrame,
              emotions: Sequence[str], choice, store, stopwords: frozenset, stopwords_origin: str, tokenizer: str, aug_cfg: dict,
              caps_cfg: dict, seed: int, guard_info: dict, report_cfg: dict, timer, t_start: float,
              output_format: str = "csv", kinds: dict | None = None, splits=None, tokenise=None) -> dict:
    """Cap, export, summarise and report one run; returns the summary."""
    from lic_gpu.provenance import environment, file_checksums

    kinds = kinds or {}
    with timer("caps"):
        caps_kind = caps_cfg.get("kind", "none")
        capped = apply_caps(frame, classes, kind=caps_kind, region=caps_cfg.get("region"),
                            cap_per_class=caps_cfg.get("cap_per_class"), seed=seed,
                            emotions=caps_cfg.get("emotions"))
    summary: dict[str, Any] = {
        "emotion": emotions[0] if len(emotions) == 1 else list(emotions),
        "emotions": {},
        "device": str(choice.device),
        "requested_device": choice.requested,
        "device_fallback": choice.fallback_reason or None,
        "mode": aug_cfg.get("mode"),
        "seed": seed,
        "data": {"source": corpus.source, "files": list(corpus.files), "rows": int(len(corpus.frame)),
                 "sha256": file_checksums(corpus.files),
                 "text_column": corpus.text_column, "rating_columns": list(corpus.rating_columns),
                 "label_kinds": dict(kinds), "splits": splits.as_dict() if splits is not None else None,
                 "tokenizer": tokenizer, "stopwords": stopwords_origin},
        "environment": environment(),
        "output_format": output_format,
        "vectors": {"source": store.source, "words": len(store), "dim": store.dim,
                    "dtype": str(store.vectors.dtype).replace("torch.", ""),
                    "search_notes": list(getattr(store, "search_notes", [])),
                    "neighbour_cache": str(store.neighbour_cache_dir) if store.neighbour_cache_dir else None},
        "rows": {"original": int((~frame["is_augmented"]).sum()), "generated": int(frame["is_augmented"].sum()),
                 "after_caps": int(len(capped.frame))},
        "guard": guard_info,
        "caps": caps_summary(caps_kind, capped),
        "filters": filter_outcomes(runs),
        "config": cfg_yaml,
    }
    for r in runs:
        res = r.result
        summary["emotions"][r.emotion] = {
            "label_kind": r.kind,
            "binning": r.binning,
            "missing_ratings": r.n_missing,
            "rows_not_augmented_split": r.n_held_out,
            "notes": list(r.notes),
            "lic_entries": r.lic.n_defined,
            "candidate_words": res.n_candidate_words,
            "candidate_words_in_vectors": res.n_candidate_words_in_vocab,
            "neighbours_searched": res.neighbours_searched,
            "neighbours_from_cache": res.neighbours_from_cache,
            "classes": {str(c): rep.as_dict() for c, rep in res.classes.items()},
            "timings_s": {k: round(v, 4) for k, v in res.timings_s.items()},
            "quality": r.quality,
        }
    # Back-compat single-emotion view: classes at the top level.
    if len(runs) == 1:
        summary["classes"] = summary["emotions"][runs[0].emotion]["classes"]

    names = output_files(emotions, output_format)
    for emo in emotions:
        summary["emotions"][emo]["files"] = {k: v for k, v in names[emo].items()
                                             if k != "top_lic" or report_cfg.get("enabled", True)}
    files: list[Path] = []
    with timer("write"):
        for emo in emotions:
            frame_e = emotion_frame(frame, emo)
            log.info("writing %s (%d rows)", names[emo]["augmented"], len(frame_e))
            files.append(write_table(frame_e, inside(out_dir, names[emo]["augmented"]), output_format))
            files.append(write_table(class_export(frame, classes, emo, corpus.text_column, list(corpus.frame.columns)),
                                     inside(out_dir, names[emo]["export"]), output_format))
        if len(emotions) > 1:
            log.info("writing balanced (%d rows)", len(frame))
            files.append(write_table(frame, out_dir / "balanced", output_format))
        if caps_kind != "none":
            log.info("writing capped (%d rows)", len(capped.frame))
            files.append(write_table(capped.frame, out_dir / "capped", output_format))
        # A single id column is a sentence id (new rows get their own), not a subject.
        subject = "sub" if "sub" in frame.columns else (corpus.id_columns[0] if len(corpus.id_columns) > 1 else None)
        tables = {}
        if subject is not None:
            per_subject = report.rows_per_subject(frame, capped.frame, subject_column=subject)
            files.append(report.write_table_csv(per_subject, out_dir / "rows_per_subject.csv"))
            tables["Rows per subject"] = per_subject
    images: list[Path] = []
    if report_cfg.get("enabled", True):
        max_panels = report_cfg.get("max_panels", 12)
        with timer("report"):
            # the augmented emotions first, then the other rating columns, up to max_panels panels
            columns = list(dict.fromkeys([*emotions, *corpus.rating_columns]))
            shown = columns[:max_panels]
            summary["report"] = {"max_panels": max_panels, "distribution_columns": shown,
                                 "distribution_columns_left_out": len(columns) - len(shown)}
            if len(shown) < len(columns):
                log.info("distributions.png shows %d of %d rating columns (report.max_panels=%d)",
                         len(shown), len(columns), max_panels)
            log.info("drawing the report's figures")
            images.append(figures.plot_level_distributions(
                frame, capped.frame, classes, capped.classes, shown, out_dir / "distributions.png",
                cap_per_class=None))
            for r in runs:
                n_top = report_cfg.get("top_words", 10)
                # the classes that got the most new rows, when there are more than max_panels
                panels = sorted(r.lic.classes, key=lambda c: -r.result.classes[c].generated
                                if c in r.result.classes else 0)[:max_panels]
                # the words the sampler may swap: stopwords and punctuation are never candidates
                top = {c: [(w, v) for w, v in r.lic.top_words(c, 50 * n_top)
                           if w.lower() not in stopwords and any(ch.isalpha() for ch in w)][:n_top]
                       for c in r.lic.classes if c in panels}
                images.append(figures.plot_top_lic_words(top, r.emotion, inside(out_dir, names[r.emotion]["top_lic"]),
                                                        k=n_top))
    summary["timings_s"] = dict(timer.timings)
    summary["timings_s"]["total"] = round(time.perf_counter() - t_start, 4)
    summary["outputs"] = sorted(Path(p).relative_to(out_dir).as_posix() for p in files + images)
    write_json(summary, out_dir / "summary.json")
    if report_cfg.get("enabled", True):
        report.write_report(out_dir, summary, images=images, tables=tables,
                            swap_samples=swap_samples(frame, classes, corpus.text_column,
                                                      report_cfg.get("swap_samples", 20), seed, tokenise))
    return summary
