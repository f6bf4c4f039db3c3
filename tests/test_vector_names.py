"""gensim-data's names for word vectors resolve (issue 14)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from lic_gpu.vectors.store import EmbeddingStore
from lic_gpu.errors import LicGpuError
from lic_gpu.vectors.names import gensim_data_dir, resolve_source


def test_glove_wiki_gigaword_50_is_the_packaged_set():
    assert resolve_source("glove-wiki-gigaword-50") == resolve_source("glove-6b-50d") == "glove-6b-50d"
    store = EmbeddingStore.load("glove-wiki-gigaword-50", limit=1000)
    assert "glove-6b-50d (packaged" in store.source and len(store) == 1000


def _word2vec_bin_gz(path, words, dim=8):
    rng = np.random.default_rng(0)
    with gzip.open(path, "wb") as fh:
        fh.write(f"{len(words)} {dim}\n".encode())
        for w in words:
            fh.write(w.encode() + b" " + rng.standard_normal(dim).astype(np.float32).tobytes() + b"\n")


def test_other_names_come_from_gensim_datas_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path))
    assert gensim_data_dir() == tmp_path
    name = "word2vec-google-news-300"
    with pytest.raises(LicGpuError) as info:
        EmbeddingStore.load(name)
    msg = str(info.value)
    assert "\n" not in msg and str(tmp_path) in msg and name in msg and "gensim.downloader" in msg
    (tmp_path / name).mkdir()
    _word2vec_bin_gz(tmp_path / name / f"{name}.gz", ["joy", "panic", "calm", "tea"])
    store = EmbeddingStore.load(name, cache_dir=False)
    assert len(store) == 4 and store.dim == 8 and "word2vec_bin" in store.source


def test_a_misspelt_name_gets_a_suggestion(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LicGpuError, match=r"did you mean 'glove-wiki-gigaword-50'"):
        EmbeddingStore.load("glove-wiki-gigaword-5O")
    with pytest.raises(LicGpuError, match="no such file"):
        EmbeddingStore.load(str(tmp_path / "nope.bin"))


def test_gensim_data_names_pass_the_early_input_check(tmp_path, monkeypatch):
    """The command line's check that input files exist (before any work) resolves gensim-data names in
    $GENSIM_DATA_DIR as the loader does (issue 24)."""
    from lic_gpu.app.config import compose_config
    from lic_gpu.app.run_setup import settings_from_config

    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path))
    name = "glove-twitter-25"
    cfg = compose_config([f"embeddings.source={name}"])
    with pytest.raises(
        LicGpuError, match=rf"is a gensim-data name but .*{name}.gz is not in gensim-data's folder"
    ) as info:
        settings_from_config(cfg)
    assert str(tmp_path) in str(info.value)
    (tmp_path / name).mkdir()
    _word2vec_bin_gz(tmp_path / name / f"{name}.gz", ["joy", "panic", "calm", "tea"])
    settings = settings_from_config(cfg)
    assert settings.inputs["embeddings.source"] == tmp_path / name / f"{name}.gz"
    assert settings_from_config(compose_config(["embeddings.source=glove-wiki-gigaword-50"])).embeddings["source"]
