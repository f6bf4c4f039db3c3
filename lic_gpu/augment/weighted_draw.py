"""A speed trick kept apart: numpy's weighted draw without replacement, bit for bit, minus its overhead.

One of the few places where lic_gpu re-implements a library to be faster and must stay bit-exact with
it (with :mod:`lic_gpu.fluency.porter`, the stemmer, and :mod:`lic_gpu.gc_pause`); each is isolated in its own
module and tested against the original. No more are added: a change of numpy's algorithm would show
as a failing test (``tests/test_sampler.py::test_lic_weighted_draw_is_numpys_choice``), not as a silent
difference.
"""

from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np


class WeightedDraw:
    """Draws positions with probability proportional to their LIC, without replacement.

    Gives exactly what ``rng.choice(n, size, replace=False, p=w / w.sum())`` gives and leaves ``rng``
    in the same state (tested), but with the cumulative weights worked out once per source instead
    of once per draw: numpy's ``choice`` costs ~30 us a call, most of the diverse loop.
    """

    def __init__(self, weights: Sequence[float]):
        w = np.asarray(weights, dtype=float)
        self.p = w / w.sum()
        cdf = np.cumsum(self.p)
        cdf /= cdf[-1]
        self.cdf = cdf.tolist()

    def draw(self, rng: np.random.Generator, size: int) -> list[int]:
        # numpy's algorithm: draw ``size`` uniforms against the cdf, keep the first occurrence of
        # each index, then draw again for the missing ones with the found weights set to zero.
        cdf = self.cdf
        found: list[int] = []
        for x in rng.random(size).tolist():
            i = bisect.bisect_right(cdf, x)
            if i not in found:
                found.append(i)
        while len(found) < size:
            p = self.p.copy()
            p[found] = 0
            again = np.cumsum(p)
            again /= again[-1]
            again = again.tolist()
            for x in rng.random(size - len(found)).tolist():
                i = bisect.bisect_right(again, x)
                if i not in found and len(found) < size:
                    found.append(i)
        return found
