"""The report's figures drawn in a second process (lic_gpu.report.figure_worker, issue 23): the same
files as drawn in the run's own process, and nothing lost when the worker cannot help."""

from __future__ import annotations

import logging
import subprocess

import pandas as pd
import pytest

from lic_gpu.report import figures
from lic_gpu.report import figure_worker as fw


def _frame():
    levels = [1] * 5 + [2] * 20 + [3] * 12
    added = [1] * 10 + [3] * 6
    return pd.DataFrame({"arousal": levels + added, "is_augmented": [False] * len(levels) + [True] * len(added)})


TOP = {1: [("calm", 1.5), ("quiet", 1.1)], 3: [("furious", 2.0), ("wild", 0.7)]}


def _jobs(folder):
    return [
        ("plot_level_distributions", (_frame(), None, None, None, ["arousal"], folder / "d.png"), {}),
        ("plot_top_lic_words", (TOP, "arousal", folder / "t.png"), {"k": 2}),
    ]


def test_the_worker_draws_the_same_files_as_this_process(tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    expected = [getattr(figures, name)(*args, **kwargs) for name, args, kwargs in _jobs(here)]
    with fw.FigureWorker.start() as worker:
        assert worker._proc is not None
        for name, args, kwargs in _jobs(there):
            worker.submit(name, *args, **kwargs)
        got = worker.results()
    assert got == [there / "d.png", there / "t.png"]
    assert [p.read_bytes() for p in got] == [p.read_bytes() for p in expected]


@pytest.mark.skipif(not hasattr(__import__("os"), "getsid"), reason="POSIX sessions")
def test_ctrl_c_does_not_reach_the_worker(tmp_path):
    # trial 8: SIGINT to the terminal's process group made the worker print a KeyboardInterrupt traceback
    # before the run's one line; in its own session it does not get it, and it still draws
    import os

    with fw.FigureWorker.start() as worker:
        assert worker._proc is not None
        assert os.getsid(worker._proc.pid) != os.getsid(0)
        for name, args, kwargs in _jobs(tmp_path):
            worker.submit(name, *args, **kwargs)
        assert worker.results() == [tmp_path / "d.png", tmp_path / "t.png"]


def test_a_worker_that_cannot_start_leaves_the_figures_to_this_process(tmp_path, monkeypatch):
    def no_process(*args, **kwargs):
        raise OSError("no fork for you")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    worker = fw.FigureWorker.start()
    for name, args, kwargs in _jobs(tmp_path):
        worker.submit(name, *args, **kwargs)
    assert worker.results() == [tmp_path / "d.png", tmp_path / "t.png"]
    assert (tmp_path / "d.png").stat().st_size > 0


def test_a_worker_that_dies_leaves_the_figures_to_this_process(tmp_path):
    with fw.FigureWorker.start() as worker:
        assert worker._proc is not None
        worker._proc.kill()
        worker._proc.wait()
        for name, args, kwargs in _jobs(tmp_path):
            worker.submit(name, *args, **kwargs)
        assert worker.results() == [tmp_path / "d.png", tmp_path / "t.png"]
    assert (tmp_path / "t.png").stat().st_size > 0


def test_a_figure_the_worker_fails_on_fails_here_as_it_would_without_it(tmp_path):
    """The worker's error is not the run's answer: the figure is drawn again here and raises here."""
    from lic_gpu.errors import LicGpuError

    with fw.FigureWorker.start() as worker:
        worker.submit("plot_level_distributions", _frame(), None, None, None, ["no_such_column"], tmp_path / "d.png")
        with pytest.raises(LicGpuError, match="none of the rating columns"):
            worker.results()


def test_the_workers_log_lines_reach_the_run_log(tmp_path, caplog):
    """What the worker logs while drawing (matplotlib's font warnings, say) is logged again here, where
    the run's log file is; the worker side collects records with its handler."""
    import io

    collect = fw._Collect()
    logging.getLogger("matplotlib.font_manager").addHandler(collect)
    try:
        logging.getLogger("matplotlib.font_manager").warning("findfont: Font family %r not found.", "Nope")
    finally:
        logging.getLogger("matplotlib.font_manager").removeHandler(collect)
    assert collect.records == [(logging.WARNING, "matplotlib.font_manager", "findfont: Font family 'Nope' not found.")]

    answer = io.BytesIO()
    fw._send(answer, ("ok", tmp_path / "t.png", collect.records))
    answer.seek(0)

    class Answered:  # a worker that has already answered
        stdin = io.BytesIO()
        stdout = answer

        def poll(self):
            return 0

    worker = fw.FigureWorker(Answered())  # type: ignore[arg-type]
    worker.submit("plot_top_lic_words", {}, "arousal", tmp_path / "t.png")
    with caplog.at_level(logging.INFO):
        assert worker.results() == [tmp_path / "t.png"]
    assert "findfont: Font family 'Nope' not found." in caplog.text
    assert not (tmp_path / "t.png").exists()  # the worker's answer was taken, nothing drawn here


def test_the_command_line_run_draws_in_a_worker_and_a_library_call_does_not(tmp_path, monkeypatch):
    from hydra import compose, initialize_config_dir

    from helpers import ROOT
    from lic_gpu.app import augment_job

    started = []
    real_start = fw.FigureWorker.start

    def counting_start():
        started.append(1)
        return real_start()

    monkeypatch.setattr(fw.FigureWorker, "start", staticmethod(counting_start))
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose(config_name="augment", overrides=["device=cpu", "augment=seed"])
    augment_job.run_augment(cfg, tmp_path / "lib")
    assert started == []
    augment_job.run_augment(cfg, tmp_path / "cli", figure_worker=True)
    assert started == [1]
    for name in ("distributions.png", "top_lic_arousal.png"):
        assert (tmp_path / "lib" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
