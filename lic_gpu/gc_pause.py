"""Pausing Python's cyclic garbage collector around allocation-heavy stretches.

Kept free of torch and pandas so the entry scripts can import it before those. A speed trick kept in
this module alone (``gc.freeze`` at start-up included); outputs do not depend on it.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused_gc(freeze: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector (restored afterwards, also on errors).

    Importing torch, pandas and Hydra leaves ~350 000 tracked objects, and a run allocates millions
    of small acyclic ones (tokens, neighbour lists, rows); the collector would walk them again and
    again for nothing (~0.4 s at import, ~0.1-0.2 s in an EmoBank run). Reference counting still
    frees everything as usual; only cycles wait until the block ends.

    Parameters
    ----------
    freeze : bool
        Move every object alive at the end of the block out of later collections (``gc.freeze``):
        meant for the imports at the top of an entry script.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()
