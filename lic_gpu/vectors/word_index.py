"""Word -> row look-ups shared inside one process (issue 23).

The run's vector store and the swap score (:mod:`lic_gpu.scoring.features`) both look words up in the
packaged GloVe's 400 k words; a dict of them takes ~0.1 s to build, so it is built once per word list
(:func:`word_rows`), and the swap score takes the very list the run's vectors read
(:func:`packaged_glove_words`, kept by :mod:`lic_gpu.vectors.files` when it reads them).
"""

from __future__ import annotations

# The packaged GloVe's whole word list as this process read it (the run's vectors).
_packaged_words: list[list[str]] = []

# word -> row of the word lists looked up in this process, by list identity (the list is kept, so its
# id is not reused while it is here)
_rows: dict[int, tuple[list[str], dict[str, int]]] = {}


def remember_packaged(words: list[str]) -> None:
    """Keep the packaged GloVe's whole word list, as :mod:`lic_gpu.vectors.files` has just read it."""
    _packaged_words[:] = [words]


def packaged_glove_words() -> list[str] | None:
    """The packaged GloVe's 400 k words, most frequent first, as this process has read them (the same
    list object, so :func:`word_rows` builds its look-up once); None before they are read."""
    return _packaged_words[0] if _packaged_words else None


def word_rows(words: list[str]) -> dict[str, int]:
    """Word -> row of ``words``, the first row winning for a repeated word; built once per list, which
    must not change afterwards."""
    hit = _rows.get(id(words))
    if hit is not None and hit[0] is words:
        return hit[1]
    n = len(words)
    # assigning in reverse leaves the lowest row for a repeated word
    rows = dict(zip(reversed(words), range(n - 1, -1, -1)))
    if len(_rows) >= 4:
        _rows.clear()
    _rows[id(words)] = (words, rows)
    return rows
