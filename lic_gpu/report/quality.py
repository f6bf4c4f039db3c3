"""How good the new rows are, measured by checks the sampler's filters do not make.

A count of what a filter refused says nothing about what it let through. These measures look at
the rows that were written:

* **variants per source**: how many new rows each source sentence gave (mean, max). Many variants
  of a handful of sentences teach a classifier those sentences, not the class.
* **part of speech in the new sentence**: each new sentence is tagged again, in context, and the
  tag of the replaced word is compared with the old word's tag in the source sentence. The sampler
  never tags a new sentence: it checks the old word's tag against the forms a dictionary lists for
  the replacement, so this is a second, independent reading (``pos_kept``: the coarse part of
  speech; ``tag_kept``: the fine tag, i.e. tense, number, degree).
* **vocabulary rank ratio**: rank of the new word / rank of the old word in the frequency-ordered
  vectors (median; 1 = as common, 10 = ten times rarer).
* **words new to the corpus**: the share of replacements that never occur in the input.

:func:`swap_quality` measures a list of ``(old, new)`` swaps the same independent way: valence
polarity flips by a lexicon (VADER's by default) and junk by the sampler's own junk filter.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

log = logging.getLogger(__name__)


def check_quality_sample(value: Any) -> int:
    """``report.quality_sample``: new rows read again per emotion (0 = no part-of-speech check)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        from lic_gpu.errors import LicGpuError

        raise LicGpuError(f"report.quality_sample must be a non-negative integer; got {value!r}")
    return value


def variants_per_source(rows) -> dict[str, Any]:
    """Mean and max number of new rows per source sentence that gave any."""
    per_source = Counter(r.source_row for r in rows)
    if not per_source:
        return {"sources": 0, "mean": None, "max": None}
    counts = np.fromiter(per_source.values(), dtype=float)
    return {"sources": len(per_source), "mean": round(float(counts.mean()), 2), "max": int(counts.max())}


def _swaps(rows):
    for r in rows:
        for s in r.swaps:
            if s.kind == "swap":
                yield r, s


def rank_ratio(rows, rank_of: Callable[[str], int | None]) -> float | None:
    """Median of (rank of the new word + 1) / (rank of the old word + 1), words found in the vectors."""
    ratios = []
    for _, s in _swaps(rows):
        a, b = rank_of(_core(s.old)), rank_of(_core(s.new))
        if a is not None and b is not None:
            ratios.append((b + 1) / (a + 1))
    return round(float(np.median(ratios)), 3) if ratios else None


def novel_word_share(rows, corpus_words: set[str]) -> float | None:
    """Share of replacements (lowercase) that never occur in the input corpus."""
    news = [_core(s.new).lower() for _, s in _swaps(rows)]
    return round(sum(w not in corpus_words for w in news) / len(news), 4) if news else None


def pos_agreement(rows, tokenised, tokenise: Callable, tagger, sample: int = 500, seed: int = 0) -> dict[str, Any]:
    """Tag up to ``sample`` new rows in context and compare each swapped word's tag with the old
    word's tag in its source sentence.

    Parameters
    ----------
    rows : NewRow list
    tokenised : row id -> Tokenised of the sources
    tokenise : the run's tokeniser (a new row is read back with it)
    tagger : an object with ``tag(list of token lists) -> list of tag tuples`` and ``name``, or None
    """
    if tagger is None or not rows or sample <= 0:
        return {
            "checked_swaps": 0,
            "pos_kept": None,
            "tag_kept": None,
            "tagger": getattr(tagger, "name", None) if tagger is not None else None,
        }
    rng = np.random.default_rng(seed)
    pick = sorted(rng.choice(len(rows), size=min(sample, len(rows)), replace=False).tolist())
    chosen = [rows[i] for i in pick]
    sources = sorted({r.source_row for r in chosen})
    src_tags = dict(zip(sources, tagger.tag([tokenised[s].tokens for s in sources])))
    new_tokens = [tokenise(r.text).tokens for r in chosen]
    new_tags = tagger.tag(new_tokens)
    kept = tag_kept = n = split = 0
    for r, toks, tags in zip(chosen, new_tokens, new_tags):
        old_tags = src_tags[r.source_row]
        if len(toks) != len(old_tags):
            split += 1  # the new sentence does not read back as the same number of tokens
            continue
        for s in r.swaps:
            if s.kind != "swap":
                continue
            n += 1
            a, b = old_tags[s.pos], tags[s.pos]
            kept += _coarse(a) == _coarse(b)
            tag_kept += a == b
    return {
        "checked_swaps": n,
        "pos_kept": round(kept / n, 4) if n else None,
        "tag_kept": round(tag_kept / n, 4) if n else None,
        "rows_not_read_back": split,
        "tagger": tagger.name,
    }


def _coarse(tag: str) -> str:
    if tag.startswith("NN"):
        return "NOUN" if tag in ("NN", "NNS") else "PROPN"
    for prefix, name in (("VB", "VERB"), ("JJ", "ADJ"), ("RB", "ADV")):
        if tag.startswith(prefix):
            return name
    return tag


def _core(token: str) -> str:
    from lic_gpu.text import split_edge_punctuation

    return split_edge_punctuation(token)[1] or token


def measure(
    rows: Sequence,
    *,
    tokenised,
    tokenise: Callable,
    tagger,
    rank_of: Callable[[str], int | None],
    corpus_words: set[str],
    sample: int = 500,
    seed: int = 0,
) -> dict[str, Any]:
    """All the measures above for one emotion's new rows."""
    return {
        "new_rows": len(rows),
        "variants_per_source": variants_per_source(rows),
        "part_of_speech": pos_agreement(rows, tokenised, tokenise, tagger, sample=sample, seed=seed),
        "median_rank_ratio": rank_ratio(rows, rank_of),
        "replacements_new_to_corpus": novel_word_share(rows, corpus_words),
    }


def swap_quality(
    pairs: Iterable[tuple[str, str]], lexicon: Mapping[str, float] | None = None, dead_zone: float = 0.0, top: int = 10
) -> dict[str, Any]:
    """Polarity flips and junk among swaps.

    Parameters
    ----------
    pairs : (old token, new token) per swap, as in ``Swap.old`` / ``Swap.new``; edge punctuation
        is stripped before looking words up
    lexicon : ``{word: valence}``; default VADER's
    dead_zone : valences within ``[-dead_zone, dead_zone]`` never count as a flip
    top : how many of the most frequent flipped / junk pairs to list

    Returns
    -------
    ``{"swaps", "lexicon_covered", "polarity_flips", "polarity_flip_rate" (None when nothing is
    covered), "junk", "junk_by_reason", "top_flips", "top_junk"}``; a junk swap is one whose
    replacement the sampler's :class:`~lic_gpu.augment.JunkFilter` (without stopwords) refuses.
    """
    from lic_gpu.augment.guard import is_flip, load_valence_lexicon
    from lic_gpu.augment import JunkFilter
    from lic_gpu.text import split_edge_punctuation

    lex = load_valence_lexicon() if lexicon is None else lexicon
    junk_filter = JunkFilter(frozenset())
    n = covered = flips = 0
    flipped: Counter = Counter()
    junk: Counter = Counter()
    junk_pairs: Counter = Counter()
    for (old, new), times in Counter(pairs).items():  # each distinct swap checked once
        n += times
        o, nw = split_edge_punctuation(old)[1], split_edge_punctuation(new)[1]
        reason = junk_filter.reason(o, nw) if o else "not_a_word"
        if reason:
            junk[reason] += times
            junk_pairs[f"{old} -> {new}"] += times
        a, b = lex.get(o.lower()), lex.get(nw.lower())
        if a is None or b is None:
            continue
        covered += times
        if is_flip(a, b, dead_zone):
            flips += times
            flipped[f"{o.lower()} -> {nw.lower()}"] += times
    return {
        "swaps": n,
        "lexicon_covered": covered,
        "polarity_flips": flips,
        "polarity_flip_rate": round(flips / covered, 6) if covered else None,
        "junk": sum(junk.values()),
        "junk_by_reason": dict(sorted(junk.items())),
        "top_flips": flipped.most_common(top),
        "top_junk": junk_pairs.most_common(top),
    }
