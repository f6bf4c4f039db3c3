"""The main job, from a composed config to the files in the run folder (``run_augment``).

``run_augment(cfg)`` is the only function of the main job that reads a ``DictConfig``
(:func:`lic_gpu.app.run_setup.settings_from_config` turns it into plain arguments). Nothing is written
until everything has been computed, and every file is written atomically.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from lic_gpu.app import outputs

from lic_gpu.report import markdown as report

from lic_gpu.io import run_folder
from lic_gpu.gc_pause import paused_gc
from lic_gpu.app.pipeline import augment_corpus
from lic_gpu.app.run_setup import load_corpus, settings_from_config
from lic_gpu.timing import StageTimer

log = logging.getLogger(__name__)


def run_augment(cfg, out_dir: str | Path | None = None, *, figure_worker: bool = False) -> dict:
    """Run the main job for a composed config; returns the summary written to ``summary.json``.

    ``out_dir`` defaults to Hydra's run folder. Errors meant for the user are
    :class:`LicGpuError`; the entry script prints them as one line. ``figure_worker``: draw the
    report's figures in a second process (:mod:`lic_gpu.report.figure_worker`) while the run goes
    on; the command-line entry points do, a library call draws them in its own process.
    """
    with paused_gc():
        return _run_augment(cfg, out_dir, figure_worker)


def run_augment_command(cfg) -> dict:
    """:func:`run_augment` as the command-line entry points run it (figures in a second process)."""
    return run_augment(cfg, figure_worker=True)


def _run_augment(cfg, out_dir: str | Path | None, figure_worker: bool) -> dict:
    timer = StageTimer()
    t_start = time.perf_counter()
    settings = settings_from_config(cfg)
    if out_dir is None:
        from hydra.core.hydra_config import HydraConfig

        out_dir = HydraConfig.get().runtime.output_dir
    # before any work: no input is an output path, the folder is writable and holds no other run's files
    out_dir = run_folder.prepare_run_folder(out_dir, settings.emotions, settings.inputs)
    log.info(
        "lic_gpu: emotion %s, %s mode, device %s",
        ", ".join(settings.emotions),
        settings.augment.get("mode"),
        settings.choice.device,
    )
    # every file goes into a staging folder inside out_dir, moved into place all or none at the end
    return run_folder.staged_run(out_dir, lambda stage: _in_stage(settings, timer, t_start, stage, figure_worker))


def _in_stage(settings, timer: StageTimer, t_start: float, stage: Path, figure_worker: bool) -> dict:
    if not (figure_worker and settings.report["enabled"]):
        return _finish(settings, timer, t_start, stage, None)
    from lic_gpu.report.figure_worker import FigureWorker

    # started now, it imports matplotlib on the other core while this process reads and makes rows
    with FigureWorker.start() as worker:
        try:
            return _finish(settings, timer, t_start, stage, worker)
        except BaseException:
            worker.kill()  # not one more figure into a staging folder about to be removed
            raise


def _finish(settings, timer: StageTimer, t_start: float, stage: Path, worker) -> dict:
    data_cfg = dict(settings.data)
    with timer("load_data"):
        corpus = load_corpus(data_cfg.pop("kind"), **data_cfg)
    log.info("read %d sentences from %s", len(corpus.frame), corpus.source)
    if settings.report["enabled"]:  # a subject column the data lacks: one line before any work
        report.subject_column(settings.report["subject_column"], corpus.frame.columns, corpus.id_columns, corpus.frame)
    charts = None
    if worker is not None:  # each top-LIC chart is drawn while the rows are made
        names = run_folder.output_files(settings.emotions, settings.output_format)
        charts = outputs.TopLicCharts(
            settings.report, settings.stopwords, corpus, settings.tokenise, stage, names, worker
        )
    done = augment_corpus(corpus, settings, timer, on_lic=charts.submit if charts else None)
    log.info("writing outputs")
    return outputs.write_files(
        out_dir=stage,
        cfg_yaml=settings.config_yaml,
        corpus=corpus,
        runs=done.runs,
        frame=done.frame,
        classes=done.classes,
        emotions=settings.emotions,
        choice=done.choice,
        store=done.store,
        stopwords=settings.stopwords,
        stopwords_origin=settings.stopwords_origin,
        tokenizer=settings.tokenizer,
        aug_cfg=settings.augment,
        caps_cfg=settings.caps,
        seed=settings.seed,
        guard_info=done.guard_info,
        report_cfg=settings.report,
        timer=timer,
        t_start=t_start,
        output_format=settings.output_format,
        kinds=done.kinds,
        splits=done.splits,
        tokenise=settings.tokenise,
        tokenised=done.tokenised,
        figure_worker=worker,
        charts=charts,
    )
