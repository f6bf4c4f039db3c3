"""Torch CPU thread counts, the one place they are changed."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch


@contextmanager
def one_cpu_thread(device: torch.device, enabled: bool = True) -> Iterator[None]:
    """Run small CPU ops single-threaded (no-op on CUDA, or when ``enabled`` is false); restores the
    caller's thread count.

    Below a few million matrix cells a CPU op takes microseconds and OpenMP's fork/join costs more
    than it saves (10x slower on a loaded 2-core machine).
    """
    threads = torch.get_num_threads()
    if not enabled or device.type != "cpu" or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def set_torch_threads(threads: int | None) -> None:
    """The job's ``threads`` option: torch's CPU threads for the whole process (None: torch's default)."""
    if threads:
        torch.set_num_threads(int(threads))
