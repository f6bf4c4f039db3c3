"""Everything the main job writes into its run folder: caps, the data files, ``summary.json``, the
figures and ``report.md``, written into the staging folder of :func:`lic_gpu.io.run_folder.staged_run`.
"""

from __future__ import annotations

import json
import logging
import time
from itertools import islice
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from lic_gpu.report import figures

from lic_gpu.report import markdown as report
from lic_gpu.io.atomic_files import write_json
from lic_gpu.caps import apply_caps
from lic_gpu.io.file_names import inside
from lic_gpu.io.formats import OUTPUT_FORMATS, write_table
from lic_gpu.io.frames import class_export, emotion_frame
from lic_gpu.io.run_folder import output_files
from lic_gpu.scoring.summary import fluency_summary
from lic_gpu.report.run_summary import CapsSummary, DeviceSummary, EmotionSummary, RunSummary, filter_outcomes

log = logging.getLogger(__name__)


class TopLicCharts:
    """The report's top-LIC charts (``top_lic_<emotion>.png``): the words each class's panel shows and
    the figure job that draws them.

    A chart can be handed to the figure worker as soon as its emotion's LIC is known (:meth:`submit`
    without ``generated``, from :func:`~lic_gpu.app.pipeline.augment_corpus`'s ``on_lic``): the worker
    draws it while this process makes rows. Which classes get a panel depends on the rows made only
    when there are more classes than ``report.max_panels``; such a chart waits for the rows.
    """

    def __init__(self, report_cfg: dict, stopwords, corpus, tokenise, out_dir: Path, names: dict, worker) -> None:
        self.max_panels = report_cfg["max_panels"]
        self.n_top = report_cfg["top_words"]
        self.min_sentences = report_cfg.get("min_word_sentences", 1)
        self.stopwords = stopwords
        self.corpus, self.tokenise = corpus, tokenise
        self.out_dir, self.names, self.worker = out_dir, names, worker
        self._seen: dict | None = None
        self._words: dict[int, tuple[object, dict]] = {}  # id(lic) -> (lic, its words) when they need no rows

    def words(self, lic, tokenised, generated: dict | None = None) -> dict | None:
        """Class -> its chart's ``[(word, lic), ...]``; ``None`` when the panels wait for ``generated``
        (class -> new rows made)."""
        if len(lic.classes) <= self.max_panels:  # every class gets a panel, whatever the rows made
            generated = None
            if id(lic) in self._words:
                return self._words[id(lic)][1]
        elif generated is None:
            return None
        # the classes that got the most new rows, when there are more than max_panels
        panels = sorted(lic.classes, key=lambda c: -(generated or {}).get(c, 0))[: self.max_panels]
        if self.min_sentences > 1 and self._seen is None:
            # the chart's words: seen in at least min_sentences sentences (one-off names have a high LIC by chance)
            self._seen = figures.sentence_counts(self.corpus.texts, self.tokenise, tokenised)
        seen = self._seen if self.min_sentences > 1 else None
        # the words the sampler may swap: stopwords and punctuation are never candidates
        words = {
            c: list(
                islice(
                    (
                        (w, v)
                        for w, v in lic.ranked_words(c)
                        if w.lower() not in self.stopwords
                        and any(ch.isalpha() for ch in w)
                        and (seen is None or seen[w] >= self.min_sentences)
                    ),
                    self.n_top,
                )
            )
            for c in lic.classes
            if c in panels
        }
        if generated is None:
            self._words[id(lic)] = (lic, words)  # the LicResult is kept, so its id is not reused
        return words

    def submit(self, emotion: str, lic, tokenised, generated: dict | None = None) -> int | None:
        """Hand ``emotion``'s chart to the worker; its ticket, or ``None`` when it must wait for the rows."""
        top = self.words(lic, tokenised, generated)
        if top is None:
            return None
        return self.worker.submit(
            "plot_top_lic_words",
            top,
            emotion,
            inside(self.out_dir, self.names[emotion]["top_lic"]),
            k=self.n_top,
            min_sentences=self.min_sentences,
        )


def swap_samples(
    frame: pd.DataFrame, classes: pd.DataFrame, text_column: str, n: int, seed: int, tokenise
) -> list[dict]:
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
        out.append(
            {
                "emotion": emotion,
                "class": None if pd.isna(cls) else cls,
                "source": _marked(frame.at[int(row["source_row"]), text_column], swaps, "old", tokenise),
                "new": _marked(row[text_column], swaps, "new", tokenise),
                "old_words": ", ".join(s["old"] for s in swaps),
                "new_words": ", ".join(s["new"] for s in swaps),
                "cosine": round(float(np.mean([s["cosine"] for s in swaps])), 3) if swaps else None,
            }
        )
    return out


def _marked(text: str, swaps, side: str, tokenise) -> str:
    """``text`` with the swapped tokens in bold (as they are, when the positions do not line up)."""
    if tokenise is None:
        from lic_gpu.text import words_tokenise as tokenise
    t = tokenise(text)
    tokens = list(t.tokens)
    bold = {s["pos"] for s in swaps if s["pos"] < len(tokens) and tokens[s["pos"]] == s[side]}
    # sentence text is data, not markup: escaped before the bold marks are added (report.md)
    tokens = [
        f"**{report.markdown_text(tok)}**" if i in bold else report.markdown_text(tok) for i, tok in enumerate(tokens)
    ]
    return t.detokenise(tokens)


MAX_LEVELS_DRAWN = 1000


def _level_span(frame: pd.DataFrame, column: str) -> float:
    """How many display levels the column's ratings span (0 for a column that is not numeric)."""
    values = pd.to_numeric(frame[column], errors="coerce") if column in frame.columns else pd.Series(dtype=float)
    values = values.dropna()
    return float(values.max() - values.min()) if len(values) else 0.0


def _checksums_of_what_was_read(corpus, file_checksums) -> dict:
    """The SHA-256 of the bytes the run parsed (taken while reading); an input that has changed on
    disk since is refused: the outputs would name content the run never read."""
    now = file_checksums(corpus.files)
    read = {**now, **corpus.checksums}
    changed = [f for f in corpus.checksums if now.get(f) != corpus.checksums[f]]
    if changed:
        from lic_gpu.errors import LicGpuError

        raise LicGpuError(
            f"{changed[0]} changed during the run (its SHA-256 is no longer that of the bytes read); "
            "nothing was written: run again once nothing writes to it"
        )
    return read


def _say_caps(capped, caps_cfg: dict) -> None:
    """One console line of what the caps did (trial 7: only summary.json said it)."""
    region = ", ".join(f"{e} {lo:g}-{hi:g}" for e, (lo, hi) in caps_cfg["region"].items())
    cap = f"{caps_cfg['cap_per_class']:,}"
    if not capped.dropped:
        log.info("caps: nothing dropped (no class inside %s has more than %s rows)", region, cap)
    else:
        per_class = "; ".join(
            f"{e} " + ", ".join(f"class {c}: {n}" for c, n in sorted(per.items())) for e, per in capped.dropped.items()
        )
        log.info(
            "caps: dropped %d new rows inside %s, to %s rows per class (%s)", capped.n_dropped, region, cap, per_class
        )
    for e, per in capped.unmet.items():
        log.warning(
            "caps: %s still above %s rows per class after dropping every new row inside the region (originals are "
            "never dropped): %s",
            e,
            cap,
            ", ".join(f"class {c} by {n}" for c, n in sorted(per.items())),
        )


def write_files(
    *,
    out_dir: Path,
    cfg_yaml: str,
    corpus,
    runs,
    frame: pd.DataFrame,
    classes: pd.DataFrame,
    emotions: Sequence[str],
    choice,
    store,
    stopwords: frozenset,
    stopwords_origin: str,
    tokenizer: str,
    aug_cfg: dict,
    caps_cfg: dict,
    seed: int,
    guard_info: dict,
    report_cfg: dict,
    timer,
    t_start: float,
    output_format: str = "csv",
    kinds: dict | None = None,
    splits=None,
    tokenise=None,
    figure_worker=None,
    tokenised=None,
    charts: "TopLicCharts | None" = None,
) -> dict:
    """Cap, export, summarise and report one run into ``out_dir`` (the staging folder of
    :func:`lic_gpu.io.run_folder.staged_run`); returns the summary.

    ``figure_worker`` (a :class:`~lic_gpu.report.figure_worker.FigureWorker`) draws the figures while
    the tables are written; without one they are drawn here, after the tables.
    """
    from lic_gpu.io.provenance import environment, file_checksums

    kinds = kinds or {}
    with timer("caps"):
        caps_kind = caps_cfg["kind"]
        capped = apply_caps(
            frame,
            classes,
            kind=caps_kind,
            region=caps_cfg.get("region"),
            cap_per_class=caps_cfg.get("cap_per_class"),
            seed=seed,
            emotions=caps_cfg.get("emotions"),
        )
    if caps_kind != "none":
        _say_caps(capped, caps_cfg)
    names = output_files(emotions, output_format)
    report_on = report_cfg["enabled"]
    by_emotion = {r.emotion: r for r in runs}
    summary = RunSummary(
        emotions={
            e: EmotionSummary.from_run(
                by_emotion[e], {k: v for k, v in names[e].items() if k != "top_lic" or report_on}
            )
            for e in emotions
        },
        device=DeviceSummary.from_choice(choice),
        caps=CapsSummary.from_result(
            caps_kind, capped, caps_cfg.get("region"), caps_cfg.get("cap_per_class"), caps_cfg.get("emotions")
        ),
        mode=aug_cfg.get("mode"),
        seed=seed,
        data={
            "source": corpus.source,
            "files": list(corpus.files),
            "rows": int(len(corpus.frame)),
            "sha256": _checksums_of_what_was_read(corpus, file_checksums),
            "text_column": corpus.text_column,
            "rating_columns": list(corpus.rating_columns),
            "label_kinds": dict(kinds),
            "splits": splits.as_dict() if splits is not None else None,
            "tokenizer": tokenizer,
            "stopwords": stopwords_origin,
        },
        environment=environment(),
        output_format=output_format,
        vectors={
            "source": store.source,
            "words": len(store),
            "dim": store.dim,
            "dtype": str(store.vectors.dtype).replace("torch.", ""),
            "search_notes": list(getattr(store, "search_notes", [])),
            "neighbour_cache": str(store.neighbour_cache_dir) if store.neighbour_cache_dir else None,
        },
        rows={
            "original": int((~frame["is_augmented"]).sum()),
            "generated": int(frame["is_augmented"].sum()),
            "after_caps": int(len(capped.frame)),
        },
        guard=guard_info,
        filters={
            **filter_outcomes(runs),
            "fluency": fluency_summary(runs, lambda i: corpus.frame.at[int(i), corpus.text_column]),
        },
        config=cfg_yaml,
    )
    images: list[Path] = []
    # the figures first: a worker draws them while the tables are written (in order, without one)
    from lic_gpu.report.figure_worker import FigureWorker

    worker = figure_worker if figure_worker is not None else FigureWorker(None)
    tickets: list[int] = []  # the figures, in the report's order
    if report_on:
        max_panels = report_cfg["max_panels"]
        with timer("report"):
            # the augmented emotions first, then the other rating columns, up to max_panels panels
            columns = list(dict.fromkeys([*emotions, *corpus.rating_columns]))
            # one bar per level from the lowest to the highest: ratings 1 and 1e7 would be ten
            # million bars (the drawing never ends); such a column is left out of the figure
            too_wide = [c for c in columns if _level_span(frame, c) > MAX_LEVELS_DRAWN]
            if too_wide:
                log.warning(
                    "distributions.png leaves out %s: its ratings span more than %d levels",
                    ", ".join(map(str, too_wide)),
                    MAX_LEVELS_DRAWN,
                )
            columns = [c for c in columns if c not in too_wide]
            shown = columns[:max_panels]
            summary.figures = {
                "max_panels": max_panels,
                "distribution_columns": shown,
                "distribution_columns_left_out": len(columns) - len(shown),
                "distribution_columns_too_wide": too_wide,
            }
            if len(shown) < len(columns):
                log.info(
                    "distributions.png shows %d of %d rating columns (report.max_panels=%d)",
                    len(shown),
                    len(columns),
                    max_panels,
                )
            log.info("drawing the report's figures")
            caps = summary.caps
            cap_lines = {e: caps.cap_per_class for e in caps.emotions or () if caps.cap_per_class is not None}
            # without caps the after-caps bars would repeat the before bars: one bar per level
            if shown:
                tickets.append(
                    worker.submit(
                        "plot_level_distributions",
                        frame,
                        capped.frame if caps_kind != "none" else None,
                        classes,
                        capped.classes if caps_kind != "none" else None,
                        shown,
                        out_dir / "distributions.png",
                        cap_per_class=cap_lines,
                        targets=_level_targets(frame, classes, runs),
                    )
                )
            if charts is None:
                charts = TopLicCharts(report_cfg, stopwords, corpus, tokenise, out_dir, names, worker)
            # the same jobs as those handed over while the rows were made are not drawn twice
            tickets += [
                t
                for r in runs
                if (
                    t := charts.submit(
                        r.emotion, r.lic, tokenised, {c: rep.generated for c, rep in r.result.classes.items()}
                    )
                )
                is not None
            ]
    try:  # the worker is stopped on any failure: not one more file into a run folder being thrown away
        files: list[Path] = []
        with timer("write"):
            for emo in emotions:
                frame_e = emotion_frame(frame, emo)
                log.info("writing %s (%d rows)", names[emo]["augmented"], len(frame_e))
                files.append(write_table(frame_e, inside(out_dir, names[emo]["augmented"]), output_format))
                files.append(
                    write_table(
                        class_export(frame, classes, emo, corpus.text_column, list(corpus.frame.columns)),
                        inside(out_dir, names[emo]["export"]),
                        output_format,
                    )
                )
            if len(emotions) > 1:
                log.info("writing balanced%s (%d rows)", OUTPUT_FORMATS[output_format], len(frame))
                files.append(write_table(frame, out_dir / "balanced", output_format))
            if caps_kind != "none":
                log.info("writing capped%s (%d rows)", OUTPUT_FORMATS[output_format], len(capped.frame))
                files.append(write_table(capped.frame, out_dir / "capped", output_format))
            subject = report.subject_column(
                report_cfg["subject_column"], frame.columns, corpus.id_columns, corpus.frame
            )
            tables = {}
            if subject is not None:
                per_subject = report.rows_per_subject(frame, capped.frame, subject_column=subject)
                files.append(report.write_table_csv(per_subject, out_dir / "rows_per_subject.csv"))
                tables[f"Rows per subject ({subject})"] = (per_subject, "rows_per_subject.csv")
        if report_on:
            with timer("report"):
                images = worker.results(tickets)
        summary.timings_s = dict(timer.timings)
        summary.timings_s["total"] = round(time.perf_counter() - t_start, 4)
        summary.outputs = sorted(Path(p).relative_to(out_dir).as_posix() for p in files + images)
        as_json = summary.as_dict()
        write_json(as_json, out_dir / "summary.json")
        if report_on:
            report.write_report(
                out_dir,
                summary,
                images=images,
                tables=tables,
                swap_samples=swap_samples(
                    frame, classes, corpus.text_column, report_cfg["swap_samples"], seed, tokenise
                ),
                max_table_rows=report_cfg["max_table_rows"],
            )
        return as_json
    except BaseException:
        worker.kill()
        raise


def _level_targets(frame: pd.DataFrame, classes: pd.DataFrame, runs) -> dict:
    """Each emotion's level target for distributions.png: the level's original rows in every split (the bars
    count them all; only the augmented splits' rows are sources) plus the new rows asked for."""
    originals = ~frame["is_augmented"].to_numpy(dtype=bool)
    out = {}
    for r in runs:
        counts = classes.loc[originals, r.emotion].value_counts() if r.emotion in classes.columns else {}
        out[r.emotion] = {c: int(counts.get(c, rep.before)) + rep.requested for c, rep in r.result.classes.items()}
    return out
