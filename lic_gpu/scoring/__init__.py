"""A context-aware score for a word swap: would a careful reader call the new sentence fluent and rating-keeping?

:func:`score_swaps` takes (source, new) sentence pairs, finds the swapped words by aligning the tokens
(:mod:`~lic_gpu.scoring.align`), describes each pair (:mod:`~lic_gpu.scoring.features`: trigram
language-model change around the swap and its unigram-normalised SLOR version from pocketsphinx's CMU
en-us model (:mod:`~lic_gpu.scoring.ngram`), bigram PMI of the old word with its neighbours (fixed
phrases), GloVe cosine and frequency ranks, part of speech in context, same lemma, Moby thesaurus,
title case) and returns a calibrated probability from a logistic regression fitted on the project's
blind-labelled rows (:mod:`~lic_gpu.scoring.model`; refitted by ``benchmarks/score_fit.py``).
"""

from lic_gpu.scoring.align import Swap, align_swaps
from lic_gpu.scoring.features import FEATURES, LM_FEATURES, WORD_FEATURES, pair_features
from lic_gpu.scoring.model import LinearScore, load_models, score_frame, score_pairs, score_swaps

__all__ = [
    "FEATURES",
    "LM_FEATURES",
    "WORD_FEATURES",
    "LinearScore",
    "Swap",
    "align_swaps",
    "load_models",
    "pair_features",
    "score_frame",
    "score_pairs",
    "score_swaps",
]
