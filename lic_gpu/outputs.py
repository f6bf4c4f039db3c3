"""Everything the main job writes into its run folder: checked before the work, computed first, then
written into a hidden staging folder and moved into place all or nothing.

File names built from the data (emotions) go through :func:`lic_gpu.file_names.safe_file_names`,
and every path is checked to stay inside the run folder (:func:`lic_gpu.file_names.inside`).
"""
from __future__ import annotations

import errno
import json
import logging
import os
from collections import Counter
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from lic_gpu import figures, report
from lic_gpu.errors import LicGpuError
from lic_gpu.pipeline import emotion_frame, emotion_rows
from lic_gpu.atomic_files import fsync_folder, write_json
from lic_gpu.file_names import inside, safe_file_names
from lic_gpu.formats import OUTPUT_FORMATS, write_table
from lic_gpu.caps import apply_caps, caps_summary

log = logging.getLogger(__name__)

_ELSEWHERE = "write elsewhere with hydra.run.dir=PATH"
FIXED_OUTPUTS = ("balanced.csv", "capped.csv", "balanced.parquet", "capped.parquet", "rows_per_subject.csv",
                 "distributions.png", "report.md", "summary.json")
# What an earlier run leaves in a folder: a run refuses such a folder (and never deletes from it:
# a file of that name may be someone's own).
EARLIER_OUTPUTS = ("augmented_*.csv", "augmented_*.parquet", "top_lic_*.png", "exports/*.csv", "exports/*.parquet",
                   *FIXED_OUTPUTS)


# ---------------------------------------------------------------- before the work

def output_files(emotions: Iterable[str], output_format: str = "csv") -> dict[str, dict[str, str]]:
    """Per emotion, its files' names relative to the run folder (safe names, distinct per run)."""
    suffix = OUTPUT_FORMATS[output_format]
    return {emo: {"augmented": f"augmented_{name}{suffix}", "export": f"exports/{name}{suffix}",
                  "top_lic": f"top_lic_{name}.png"}
            for emo, name in safe_file_names(emotions).items()}


def planned_outputs(emotions: Iterable[str]) -> list[str]:
    """Every file a run for ``emotions`` may write, relative to its run folder."""
    return [name for fmt in OUTPUT_FORMATS for files in output_files(emotions, fmt).values()
            for name in files.values()] + list(FIXED_OUTPUTS)


def earlier_outputs(folder: Path) -> list[str]:
    """Files in ``folder`` that look like another run's outputs (relative names, sorted)."""
    found = {str(p.relative_to(folder)) for pattern in EARLIER_OUTPUTS for p in folder.glob(pattern)}
    return sorted(found)


def prepare_run_folder(out_dir: str | Path, emotions: Sequence[str], inputs: Mapping[str, Path]) -> Path:
    """Check the run folder before any work (without creating it); returns it.

    Refused, each with one line: an input file that is one of the run's output paths (it would be
    overwritten), a folder that cannot be created or written (or is a file), and a folder that
    already holds another run's outputs (the two sets would mix).
    """
    final = Path(out_dir)
    for option, path in inputs.items():
        for rel in planned_outputs(emotions):
            if _same_file(path, final / rel):
                raise LicGpuError(f"{option} {path} is also an output of this run ({rel} in the run folder "
                                  f"{final}) and would be overwritten; {_ELSEWHERE}")
    # the folder, or the first of its parents that exists, must take a new entry (a probe, removed
    # at once: os.access says yes to root where a read-only or virtual file system says no)
    existing = final
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise LicGpuError(f"output folder is not writable: {existing} is a file; {_ELSEWHERE}")
        os.rmdir(tempfile.mkdtemp(prefix=".probe-", dir=existing))
    except OSError as err:
        raise LicGpuError(f"output folder is not writable: {final} ({err.strerror or err}); {_ELSEWHERE}") from None
    if existing != final:
        return final  # created when the outputs are written
    earlier = earlier_outputs(final)
    if earlier:
        shown = ", ".join(earlier[:3]) + (f" and {len(earlier) - 3} more" if len(earlier) > 3 else "")
        raise LicGpuError(f"run folder {final} already holds another run's outputs ({shown}); the two would "
                          f"mix: {_ELSEWHERE} (by default every run gets a folder of its own) or remove them")
    return final


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return os.path.realpath(a) == os.path.realpath(b)
    except OSError:
        return False


def class_export(frame: pd.DataFrame, classes: pd.DataFrame, emotion: str, text_column: str,
                 input_columns: Sequence[str] = ()) -> pd.DataFrame:
    """``class, sentence`` rows (what the notebook's export meant to write), then every other input
    column (ids, ``split``, ratings ...) and ``is_augmented``, so a training script can still tell
    the splits apart. An input column named ``class`` or ``sentence`` is kept as ``input_<name>``."""
    keep = emotion_rows(frame, emotion) & classes[emotion].notna()
    labels = classes.loc[keep, emotion]
    out = pd.DataFrame({"class": labels.astype(int) if pd.api.types.is_numeric_dtype(labels.dtype) else labels,
                        "sentence": frame.loc[keep, text_column]})
    for c in input_columns:
        if c != text_column:
            out[f"input_{c}" if c in ("class", "sentence") else c] = frame.loc[keep, c]
    out["is_augmented"] = frame.loc[keep, "is_augmented"]
    return out.sort_values("class", kind="stable").reset_index(drop=True)


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
    """Write one run's files into a hidden staging folder inside ``out_dir``, then move them into
    place all or none (:func:`publish`); the staging folder is always removed."""
    final = Path(out_dir)
    try:
        final.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=final))
    except OSError as err:
        raise LicGpuError(f"output folder is not writable: {final} ({err.strerror or err}); {_ELSEWHERE}") from None
    try:
        summary = _write_run(out_dir=stage, **kwargs)
        n_files = publish(stage, final)
        log.info("wrote %d files to %s (%d new rows, %.1f s)", n_files, final,
                 summary["rows"]["generated"], summary["timings_s"]["total"])
        return summary
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def publish(stage: Path, final: Path) -> int:
    """Move every file of ``stage`` to the same place under ``final``: all of them or, after any
    failure, none (those already moved are taken back). Nothing at a target is ever replaced, so two
    runs cannot mix their files; ``summary.json`` comes last, so a reader who sees it sees the whole
    set. Returns the number of files."""
    last = {"report.md": 1, "summary.json": 2}
    files = sorted((p.relative_to(stage) for p in stage.rglob("*") if p.is_file()),
                   key=lambda rel: (last.get(str(rel), 0), str(rel)))
    placed: list[Path] = []
    made: list[Path] = []
    current = None
    try:
        for rel in files:
            current = rel
            target = inside(final, rel)
            if not target.parent.is_dir():
                target.parent.mkdir(parents=True)
                made.append(target.parent)
            _place(stage / rel, target)
            placed.append(target)
        for folder in {final, *made}:
            fsync_folder(folder)
    except (OSError, LicGpuError) as err:
        for target in reversed(placed):
            try:
                target.unlink()
            except OSError:
                pass
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass
        if isinstance(err, LicGpuError):
            raise
        if isinstance(err, FileExistsError):
            raise LicGpuError(f"run folder {final} already holds {current} (another run writing into the same "
                              f"folder?); none of this run's files was left there: {_ELSEWHERE}") from None
        raise LicGpuError(f"could not move {current} into {final}: {err.strerror or err}; none of this run's "
                          f"files was left there: free space or {_ELSEWHERE}") from None
    return len(files)


def _place(source: Path, target: Path) -> None:
    """Put ``source`` at ``target`` without replacing anything there (``FileExistsError`` if a file
    or folder is in the way): a hard link, or where a file system has none, an exclusive claim of
    the name that the rename then fills."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.replace(source, target)


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
