"""Where in a sentence a swap may go, and the new tokens a set of swaps gives."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, product
from typing import Sequence

from lic_gpu.augment.results import Swap
from lic_gpu.fluency import bare_singular_noun, indefinite_article, possessive_marker, protected_reason


@dataclass
class Position:
    """A token a swap may take: its place, its edge punctuation and core, its LIC and its
    replacements in the form this position needs, best first."""

    pos: int
    pre: str
    core: str
    post: str
    lic: float
    # (replacement in the form this position needs, cosine), best first; with the learned score,
    # (replacement, cosine, score) ordered by score (lic_gpu.augment.scored)
    choices: list[tuple]


def _noun_next_to_noun(tokens, tags, pos: int) -> bool:
    return tags[pos].startswith("NN") and (
        (pos + 1 < len(tokens) and tags[pos + 1].startswith("NN")) or (pos > 0 and tags[pos - 1].startswith("NN"))
    )


def phrasal_verb(tags, pos: int) -> bool:
    """Whether the verb at ``pos`` takes a particle (tagged ``RP``) right after it or after a pronoun object:
    ``woke up``, ``gave it up``; the particle belongs to the verb (``woke up -> awoke up``)."""
    if not tags[pos].startswith("VB"):
        return False
    nxt = tags[pos + 1] if pos + 1 < len(tags) else ""
    after = tags[pos + 2] if pos + 2 < len(tags) else ""
    return nxt == "RP" or (nxt == "PRP" and after == "RP")


_SENTENCE_END = frozenset(".!?:;\"'()\u201c\u201d")


def in_name(tokens: Sequence[str], tags, pos: int, core: str) -> bool:
    """Whether the token is (part of) a name: tagged a proper noun, or title-case mid-sentence
    ("Black Monday", "New Year"); a swap there gives a name that does not exist."""
    if tags is not None and tags[pos] in ("NNP", "NNPS"):
        return True
    if not (core[:1].isupper() and core[1:].islower()) or core == "I":
        return False
    prev = tokens[pos - 1] if pos else ""
    return bool(prev) and not all(c in _SENTENCE_END for c in prev)


def skip_reason(tokens: Sequence[str], tags, pos: int, core: str, protect: bool, grammar) -> tuple[str | None, object]:
    """Why the token at ``pos`` (its core ``core``) takes no swap (None: it may), and its grammar slot.

    ``protected``; ``name``: a proper noun or title-case word mid-sentence (:func:`in_name`); ``compound``: part of a hyphenated compound (first-rate, same-day: its parts are not
    free words) or a noun next to another (country music, smoke alarm: a fixed term whose parts have
    no substitutes of their own); ``phrasal_verb``: a verb with its particle (woke up, gave it up);
    ``part_of_speech``: the grammar has no slot for it; ``bare_noun``: back to town -> back to village, a bare
    mass use whose neighbours need an article.
    """
    if protect and protected_reason(core):
        return "protected", None
    if protect and in_name(tokens, tags, pos, core):
        return "name", None
    if "-" in (tokens[pos - 1] if pos else "", tokens[pos + 1] if pos + 1 < len(tokens) else ""):
        return "compound", None
    if grammar is None:
        return None, None
    slot = grammar.slot(core, tags[pos] if tags is not None else None)
    if slot is None:
        return "part_of_speech", None
    if tags is not None and _noun_next_to_noun(tokens, tags, pos):
        return "compound", None
    if tags is not None and phrasal_verb(tags, pos):
        return "phrasal_verb", None
    if tags is not None and not grammar.bare_nouns and bare_singular_noun(tags, pos):
        return "bare_noun", None
    return None, slot


def apply_swaps(tokens: Sequence[str], positions: Sequence[Position], picks) -> tuple[list[str], tuple[Swap, ...]]:
    """The new tokens and swaps for ``picks[i]`` = (replacement, cosine) at ``positions[i]``,
    with ``a``/``an`` before a replaced word and a possessive ``'s`` after it made to agree with it."""
    new_tokens = list(tokens)
    swaps = []
    for p, pick in zip(positions, picks):
        new, cos = pick[0], pick[1]  # a scored choice is (word, cosine, score)
        new_tokens[p.pos] = p.pre + new + p.post
        swaps.append(Swap(p.pos, tokens[p.pos], new_tokens[p.pos], cos, p.lic))
        if p.pos > 0 and not p.pre and tokens[p.pos - 1].lower() in ("a", "an"):
            art = indefinite_article(new, tokens[p.pos - 1])
            if art != tokens[p.pos - 1]:
                new_tokens[p.pos - 1] = art
                swaps.append(Swap(p.pos - 1, tokens[p.pos - 1], art, 1.0, 0.0, kind="agreement"))
        if not p.post and p.pos + 1 < len(tokens):
            mark = possessive_marker(new, tokens[p.pos + 1])
            if mark != tokens[p.pos + 1]:
                new_tokens[p.pos + 1] = mark
                swaps.append(Swap(p.pos + 1, tokens[p.pos + 1], mark, 1.0, 0.0, kind="agreement"))
    return new_tokens, tuple(sorted(swaps, key=lambda s: s.pos))


def all_variants(positions: list[Position], max_swaps: int):
    """Every swap set one source gives with 1..max_swaps swaps: ``(positions, picks)``."""
    for n in range(1, min(max_swaps, len(positions)) + 1):
        for chosen in combinations(positions, n):
            for picks in product(*(p.choices for p in chosen)):
                yield chosen, picks


def count_variants(positions: list[Position], max_swaps: int) -> float:
    """Distinct sentences one source can give with 1..max_swaps swaps (elementary symmetric sums)."""
    e = [1.0] + [0.0] * max_swaps
    for p in positions:
        n = len(p.choices)
        for j in range(max_swaps, 0, -1):
            e[j] += e[j - 1] * n
    return sum(e[1:])
