"""Seconds per named stage of a job, for ``summary.json`` and ``metrics.json``."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator


class StageTimer:
    """Seconds per named stage, for ``summary.json``."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - t0, 4)

    def add(self, name: str, since: float) -> None:
        """Add the seconds from ``since`` (a ``time.perf_counter()`` reading) until now to stage ``name``."""
        self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - since, 4)
