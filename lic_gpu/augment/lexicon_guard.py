"""The lexicon guard: refuse a swap that flips the sign of the valence when both words are in a valence
lexicon (VADER's, shipped with ``vaderSentiment``, or ``augment.guard.lexicon.path``), and, with
``keep_affect``, any swap of a word the lexicon rates strongly: the emotion words carry the rating, and most
label-changing swaps the blind readers found were theirs (``angry -> furious``, ``thrilled -> happy``). The guard
protocol and the corpus guard are :mod:`lic_gpu.augment.guard`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from lic_gpu.errors import LicGpuError
from lic_gpu.io.conf_files import FROM_CONFIG, FromConfig, augment_defaults


def vader_lexicon_path() -> Path:
    """``vader_lexicon.txt`` shipped next to ``vaderSentiment/vaderSentiment.py``."""
    try:
        import vaderSentiment
    except ImportError:
        raise LicGpuError(
            "augment.guard.lexicon needs the vaderSentiment package "
            "(pip install vaderSentiment) or augment.guard.lexicon.path"
        ) from None
    return Path(os.path.dirname(vaderSentiment.__file__)) / "vader_lexicon.txt"


@lru_cache(maxsize=4)
def load_valence_lexicon(path: str | None = None) -> dict[str, float]:
    """``{token: mean valence}`` from a VADER-format file (``token<TAB>mean<TAB>...``)."""
    p = Path(path) if path else vader_lexicon_path()
    if not p.is_file():
        raise LicGpuError(f"augment.guard.lexicon.path: no such file {str(p)!r}")
    out: dict[str, float] = {}
    with open(p, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2 or not parts[0]:
                continue
            try:
                out[parts[0].lower()] = float(parts[1])
            except ValueError:
                continue
    if not out:
        raise LicGpuError(f"augment.guard.lexicon.path {str(p)!r} has no 'word<TAB>valence' line")
    return out


def is_flip(a: float, b: float, dead_zone: float) -> bool:
    """Opposite signs, both outside ``[-dead_zone, dead_zone]``."""
    return a * b < 0 and abs(a) > dead_zone and abs(b) > dead_zone


class LexiconGuard:
    """Refuse swaps that flip the sign of the valence when both words are in the lexicon (``lexicon_flip``),
    and with ``keep_affect`` every swap of a word whose valence magnitude is at least that (``affect_word``)."""

    reason = "lexicon_flip"
    affect_reason = "affect_word"

    needs_other_ratings = False

    def __init__(
        self,
        lexicon: Mapping[str, float],
        dead_zone: float | FromConfig = FROM_CONFIG,
        keep_affect: float | None | FromConfig = FROM_CONFIG,
    ):
        self.lexicon = lexicon
        defaults = augment_defaults("diverse")["guard"]["lexicon"]
        self.dead_zone = float(defaults["dead_zone"] if dead_zone is FROM_CONFIG else dead_zone)
        self.keep_affect = defaults["keep_affect"] if keep_affect is FROM_CONFIG else keep_affect

    def prepare(self, emotion: str, lic, others: Mapping[str, Any] | None = None) -> None:
        """Nothing to learn: the lexicon is fixed."""

    def prefetch(self, words: Iterable[str]) -> None:
        """Nothing to look up ahead: a call is two dict look-ups."""

    def __call__(self, cls, old_word: str, new_word: str) -> str | None:
        a = self.lexicon.get(old_word.lower())
        if a is None:
            return None
        if self.keep_affect is not None and abs(a) >= self.keep_affect:
            return self.affect_reason
        b = self.lexicon.get(new_word.lower())
        if b is not None and is_flip(a, b, self.dead_zone):
            return self.reason
        return None
