"""Which tokens a new sentence changed: the swaps, found from the (source, new) pair alone."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from lic_gpu.text import words_tokenise

# a/an agreement follows a swap; it is part of the new sentence (the LM sees it) but not a swap of its own
ARTICLES = frozenset({"a", "an"})
# so is a possessive made to agree with a plural (women's -> girls')
POSSESSIVES = frozenset({"'s", "'", "\u2019s", "\u2019"})


@dataclass(frozen=True)
class Swap:
    """One replaced token: its index in the source's tokens, the old and the new word."""

    pos: int
    old: str
    new: str


def align_swaps(source_tokens: tuple[str, ...], new_tokens: tuple[str, ...]) -> list[Swap]:
    """The one-for-one replacements that turn ``source_tokens`` into ``new_tokens``.

    Equal lengths (the project's own rows) compare position by position; otherwise a difflib
    alignment keeps its equal-length ``replace`` blocks (a pair with inserted or deleted words has
    no swap there). Case-only changes, a/an and possessive agreement are not swaps.
    """
    if len(source_tokens) == len(new_tokens):
        pairs = [(i, a, b) for i, (a, b) in enumerate(zip(source_tokens, new_tokens)) if a != b]
    else:
        pairs = []
        matcher = SequenceMatcher(
            None, [t.lower() for t in source_tokens], [t.lower() for t in new_tokens], autojunk=False
        )
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "replace" and i2 - i1 == j2 - j1:
                pairs += [(i1 + k, source_tokens[i1 + k], new_tokens[j1 + k]) for k in range(i2 - i1)]
    return [
        Swap(i, a, b)
        for i, a, b in pairs
        if a.lower() != b.lower()
        and not (a.lower() in ARTICLES and b.lower() in ARTICLES)
        and not (a.lower() in POSSESSIVES and b.lower() in POSSESSIVES)
    ]


def tokens_of(text: str) -> tuple[str, ...]:
    """The project's word tokens (punctuation split off, clitics split as taggers expect)."""
    return words_tokenise(str(text)).tokens
