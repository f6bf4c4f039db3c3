"""The lean guard's fallback leans on disk (lic_gpu.augment.lean): a re-run reads back the same
answer, and a damaged or planted file is ignored, never trusted."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from lic_gpu.augment.lean import neighbour_leans
from lic_gpu.augment.lean import MIN_QUERIES, cached_neighbour_leans


@pytest.fixture
def inputs():
    g = torch.Generator().manual_seed(0)
    query = torch.nn.functional.normalize(torch.randn(MIN_QUERIES + 44, 8, generator=g), dim=1)
    corpus = torch.nn.functional.normalize(torch.randn(120, 8, generator=g), dim=1)
    leans = torch.randn(120, generator=g, dtype=torch.float64)
    return query, corpus, leans


def _counting(corpus, leans, calls):
    def compute(q):
        calls.append(len(q))
        return neighbour_leans(q, corpus, leans, 5, 0.1)

    return compute


def test_a_rerun_reads_the_stored_answer(tmp_path, inputs):
    query, corpus, leans = inputs
    calls: list[int] = []
    first = cached_neighbour_leans(tmp_path, query, corpus, leans, 5, 0.1, _counting(corpus, leans, calls))
    assert calls == [len(query)] and len(list(tmp_path.glob("leans-*.npy"))) == 1
    again = cached_neighbour_leans(tmp_path, query, corpus, leans, 5, 0.1, _counting(corpus, leans, calls))
    assert torch.equal(first, again)
    assert calls[1:] and max(calls[1:]) < len(query)  # only the spot checks were computed
    # other inputs (another k) are another file, computed anew
    cached_neighbour_leans(tmp_path, query, corpus, leans, 6, 0.1, lambda q: neighbour_leans(q, corpus, leans, 6, 0.1))
    assert len(list(tmp_path.glob("leans-*.npy"))) == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"not a numpy file"),
        lambda p: np.save(p, np.zeros(3)),  # wrong shape
        lambda p: np.save(p, np.full(MIN_QUERIES + 44, np.nan)),  # not finite
        lambda p: np.save(p, np.full(MIN_QUERIES + 44, 7.0)),  # planted: right shape, wrong values
    ],
)
def test_a_damaged_or_planted_file_is_ignored_and_rewritten(tmp_path, inputs, damage, caplog):
    query, corpus, leans = inputs
    compute = _counting(corpus, leans, [])
    truth = cached_neighbour_leans(tmp_path, query, corpus, leans, 5, 0.1, compute)
    (path,) = tmp_path.glob("leans-*.npy")
    damage(path)
    with caplog.at_level(logging.WARNING):
        got = cached_neighbour_leans(tmp_path, query, corpus, leans, 5, 0.1, compute)
    assert torch.equal(got, truth)
    assert "lean cache" in caplog.text
    assert np.array_equal(np.load(path), truth.numpy())  # rewritten with the computed answer


def test_no_folder_or_a_small_batch_computes_without_a_file(tmp_path, inputs):
    query, corpus, leans = inputs
    direct = neighbour_leans(query, corpus, leans, 5, 0.1)
    compute = _counting(corpus, leans, [])
    assert torch.equal(cached_neighbour_leans(None, query, corpus, leans, 5, 0.1, compute), direct)
    small = query[:10]
    cached_neighbour_leans(tmp_path, small, corpus, leans, 5, 0.1, compute)
    assert not list(tmp_path.glob("leans-*"))


def test_a_link_in_place_of_the_file_is_not_followed(tmp_path, inputs, caplog):
    query, corpus, leans = inputs
    compute = _counting(corpus, leans, [])
    truth = cached_neighbour_leans(tmp_path, query, corpus, leans, 5, 0.1, compute)
    (path,) = tmp_path.glob("leans-*.npy")
    target = tmp_path / "elsewhere.npy"
    np.save(target, np.full(len(query), 7.0))
    path.unlink()
    path.symlink_to(target)
    with caplog.at_level(logging.WARNING):
        assert torch.equal(cached_neighbour_leans(tmp_path, query, corpus, leans, 5, 0.1, compute), truth)
    assert "symbolic link" in caplog.text
    assert np.load(target)[0] == 7.0  # what the link pointed to is untouched


def test_cache_key_of_bfloat16_vectors():
    # numpy has no bfloat16: embeddings.dtype=bfloat16 ended in a TypeError traceback here
    import torch

    from lic_gpu.augment.lean import lean_cache_key

    q = torch.randn(4, 8).to(torch.bfloat16)
    key = lean_cache_key(q, q, torch.zeros(4, dtype=torch.float64), 3, 0.5)
    assert key == lean_cache_key(q.clone(), q, torch.zeros(4, dtype=torch.float64), 3, 0.5)
    assert key != lean_cache_key(q.float(), q, torch.zeros(4, dtype=torch.float64), 3, 0.5)
