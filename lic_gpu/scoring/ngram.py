"""The CMU en-us trigram language model shipped in the ``pocketsphinx`` wheel, read through its own API.

The model (about 72k lower-case words, 2M bigrams, 1.7M trigrams; BSD-2) is what the swap score uses to
see the sentence around a swap: how much the change lowers the log-probability of the trigrams that
contain the new word, and whether the old word sat in a fixed phrase (bigram pointwise mutual information).
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache
from typing import Sequence

log = logging.getLogger(__name__)

# pocketsphinx returns integer log-probabilities in base 1.0001; ours are log10
_TO_LOG10 = math.log10(1.0001)
# the model's "impossible" (an unknown word); such a word gets this floor instead (log10, below any
# unigram in the model, about -6.3), so one unknown name does not dominate the sum
OOV_LOG10 = -7.0
_ZERO = -536870912
CLITICS = (
    "n't",
    "'s",
    "'re",
    "'ve",
    "'d",
    "'ll",
    "'m",
    "n\u2019t",
    "\u2019s",
    "\u2019re",
    "\u2019ve",
    "\u2019d",
    "\u2019ll",
    "\u2019m",
)
MISSING_WARNING = (
    "the swap score runs without its language model: pocketsphinx is not installed "
    "(pip install pocketsphinx); the score falls back to its word-level features"
)


class TrigramLM:
    """Log10 probabilities of a word given up to two words before it, cached."""

    def __init__(self, path: str | None = None):
        import pocketsphinx

        path = path or pocketsphinx.get_model_path("en-us/en-us.lm.bin")
        self.name = f"pocketsphinx {getattr(pocketsphinx, '__version__', '?')} en-us.lm.bin"
        self._model = pocketsphinx.NGramModel.readfile(str(path))
        self._cache: dict[tuple[str, ...], float] = {}

    def logp(self, word: str, *history: str) -> float:
        """log10 P(word | history), history nearest word first (``logp("stone", "a", "from")``)."""
        key = (word, *history)
        out = self._cache.get(key)
        if out is None:
            raw = self._model.prob(list(key))
            out = self._cache[key] = OOV_LOG10 if raw <= _ZERO else raw * _TO_LOG10
        return out

    def known(self, word: str) -> bool:
        """Whether the model has the (lower-case) word."""
        return self._model.prob([word]) > _ZERO

    def sentence_terms(self, words: Sequence[str], positions: Sequence[int]) -> dict[int, float]:
        """log10 P(w_i | w_{i-2}, w_{i-1}) at each of ``positions``; ``len(words)`` is the end marker."""
        padded = ["<s>", "<s>", *words, "</s>"]
        out = {}
        for i in positions:
            word, h1, h2 = padded[i + 2], padded[i + 1], padded[i]
            out[i] = self.logp(word, h1) if h1 == "<s>" else self.logp(word, h1, h2)
        return out


def lm_words(tokens: Sequence[str]) -> tuple[list[str], list[int | None]]:
    """The model's words for the project's tokens, and each token's index among them (None: dropped).

    The model has no punctuation and writes clitics joined (``didn't``, ``we'd``), in lower case.
    """
    words: list[str] = []
    where: list[int | None] = []
    for tok in tokens:
        low = tok.lower()
        if low in CLITICS and words:
            words[-1] += low.replace("\u2019", "'")
            where.append(len(words) - 1)
        elif low.isalpha() or any(map(str.isalpha, low)):
            words.append(low.replace("\u2019", "'"))
            where.append(len(words) - 1)
        else:
            where.append(None)
    return words, where


@lru_cache(maxsize=1)
def load_lm() -> TrigramLM | None:
    """The packaged model, or None with one warning when pocketsphinx is not installed."""
    try:
        return TrigramLM()
    except ImportError:
        log.warning(MISSING_WARNING)
        return None
