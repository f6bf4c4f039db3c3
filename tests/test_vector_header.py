"""A word2vec header that counts fewer vectors than its file holds is refused (trial 7: gensim read the
first 100 of 20 000 vectors without a word)."""

from __future__ import annotations

import numpy as np
import pytest

from lic_gpu.errors import LicGpuError
from lic_gpu.vectors.files import _read_with_gensim


def _write(tmp_path, binary: bool, count: int | None = None):
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(0)
    kv = KeyedVectors(8)
    kv.add_vectors([f"w{i}" for i in range(30)], rng.normal(size=(30, 8)).astype(np.float32))
    path = tmp_path / ("v.bin" if binary else "v.txt")
    kv.save_word2vec_format(str(path), binary=binary)
    if count is not None:
        data = path.read_bytes()
        path.write_bytes(f"{count} 8".encode() + data[data.index(b"\n") :])
    return path


@pytest.mark.parametrize("binary", [False, True])
def test_a_right_header_reads_every_vector(tmp_path, binary):
    fmt = "word2vec_bin" if binary else "word2vec_text"
    words, matrix = _read_with_gensim(_write(tmp_path, binary), fmt, None)
    assert len(words) == 30 and matrix.shape == (30, 8)
    assert len(_read_with_gensim(_write(tmp_path, binary), fmt, 10)[0]) == 10  # a limit: the first ones


@pytest.mark.parametrize("binary", [False, True])
def test_a_header_counting_too_few_is_refused(tmp_path, binary):
    fmt = "word2vec_bin" if binary else "word2vec_text"
    path = _write(tmp_path, binary, count=12)
    with pytest.raises(LicGpuError, match=r"header counts 12 vectors, but the file goes on.*embeddings.limit=12"):
        _read_with_gensim(path, fmt, None)
    with pytest.raises(LicGpuError, match="header counts 12"):
        _read_with_gensim(path, fmt, 20)  # asked for more than the header gives
    assert len(_read_with_gensim(path, fmt, 12)[0]) == 12  # as the error suggests


def test_no_new_row_says_the_commonest_refusals_and_the_small_vocabulary(caplog):
    import logging
    from collections import Counter
    from types import SimpleNamespace

    from lic_gpu.app.data_notes import say_why_none as _say_why_none

    asked = {1: SimpleNamespace(requested=5)}
    result = SimpleNamespace(rows=[], classes=asked, refusals=Counter(not_in_thesaurus=80, stopword=15, protected=5))
    with caplog.at_level(logging.WARNING, logger="lic_gpu"):
        _say_why_none("arousal", result, 858)
        _say_why_none("arousal", SimpleNamespace(rows=[object()], classes=asked, refusals=Counter()), 858)  # rows made
        _say_why_none(
            "arousal", SimpleNamespace(rows=[], classes={1: SimpleNamespace(requested=0)}, refusals=Counter()), 858
        )
    (record,) = caplog.records
    text = record.getMessage()
    assert "refused as not_in_thesaurus 80 %, stopword 15 %, protected 5 %" in text
    assert "only 858 words" in text and "embeddings=glove50" in text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="lic_gpu"):
        _say_why_none("arousal", result, 400_000)
    assert "no new row" in caplog.text and "words:" not in caplog.text
