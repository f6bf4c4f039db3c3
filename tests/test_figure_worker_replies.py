"""Replies the figure worker sent before the run asked for them are read at once (benchmarks/results/
scale.md: on 100 k rows the run wrote its tables for longer than the worker drew, both replies sat in
the pipe, the first read took both into the reader's buffer, and the run waited WAIT_S for the second)."""

from __future__ import annotations

import select
import time

from lic_gpu.report import figure_worker as fw

from test_figure_worker import _jobs


def test_replies_already_in_the_pipe_are_read_without_waiting(tmp_path, monkeypatch):
    monkeypatch.setattr(fw, "WAIT_S", 20.0)
    with fw.FigureWorker.start() as worker:
        assert worker._proc is not None
        for name, args, kwargs in _jobs(tmp_path):
            worker.submit(name, *args, **kwargs)
        # let the worker finish both figures before asking, as a long table write does
        assert select.select([worker._proc.stdout], [], [], 60)[0]
        time.sleep(3.0)
        t0 = time.perf_counter()
        got = worker.results()
        waited = time.perf_counter() - t0
        assert worker._proc is not None  # both answers came from the worker, which is still there
    assert got == [tmp_path / "d.png", tmp_path / "t.png"]
    assert waited < 10.0
