"""LIC parity with the notebook's pandas version (the reference), on EmoBank and random word dicts."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lic_gpu import compute_lic
from lic_gpu.classes import build_word_dict, class_labels
from lic_gpu.lic import count_matrix, log_odds_from_counts
from lic_gpu.text import whitespace_tokenise

from helpers import needs_shared

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
DEVICES = ["cpu", pytest.param("cuda", marks=[pytest.mark.cuda, CUDA])]


def assert_same_lic(ours: dict, ref: dict, tol: float = 1e-9) -> None:
    assert ours.keys() == ref.keys()
    worst = max((abs(ours[k] - ref[k]) for k in ref), default=0.0)
    assert worst <= tol, worst


@needs_shared
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("emotion", ["arousal", "valence"])
def test_emobank_parity(reference, emobank_seed, emotion, device):
    labels = class_labels(emobank_seed.frame[emotion], emotion, "integer").labels
    tokenised = [whitespace_tokenise(t) for t in emobank_seed.texts]
    wd = build_word_dict(tokenised, labels)
    ref = reference.compute_lic(wd)
    ours = compute_lic(wd, device=device).to_dict()
    assert len(ref) > 10_000
    assert_same_lic(ours, ref)


words = st.sampled_from([f"w{i}" for i in range(12)] + ["The", "the", "a,", "don't"])
sentences = st.lists(words, min_size=0, max_size=8)
word_dicts = st.dictionaries(st.integers(1, 7), st.lists(sentences, min_size=1, max_size=6), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wd=word_dicts, with_rows=st.booleans())
def test_random_word_dicts_match_reference(reference, wd, with_rows):
    shaped = {c: [(s, i) for i, s in enumerate(v)] if with_rows else v for c, v in wd.items()}
    ref_input = {c: [(s, i) for i, s in enumerate(v)] for c, v in wd.items()}
    if sum(len(s) for v in wd.values() for s in v) == 0:
        return  # the reference cannot build a frame from no words at all
    ref = reference.compute_lic(ref_input)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = compute_lic(shaped).to_dict()
    assert_same_lic(ours, ref)


def test_hand_computed_value():
    wd = {1: [["a", "b"]], 2: [["a", "a", "c"]], 3: [["b", "c", "c", "c"]]}
    tf = pd.DataFrame(
        {1: {"a": 0.5, "b": 0.5, "c": 0}, 2: {"a": 2 / 3, "b": 0, "c": 1 / 3}, 3: {"a": 0, "b": 0.25, "c": 0.75}}
    )
    # class 1, word "a": others 2/3 and 0
    others = np.array([2 / 3, 0.0])
    z = (0.5 - others.mean()) / others.std(ddof=1)
    idf = math.log(3 / (1 + 2)) + 1
    assert compute_lic(wd).to_dict()[(1, "a")] == pytest.approx(z * idf, abs=1e-12)
    assert tf.shape == (3, 3)


def test_count_matrix_is_bincount():
    ids = torch.tensor([0, 1, 1, 2, 0])
    cls = torch.tensor([0, 0, 1, 1, 1])
    m = count_matrix(ids, cls, 2, 3)
    assert m.tolist() == [[1, 1, 0], [1, 1, 1]]


def test_two_classes_warns_and_log_odds_works():
    wd = {1: [["calm", "tea"], ["calm", "quiet"]], 2: [["panic", "crash"], ["panic", "tea"]]}
    with pytest.warns(UserWarning, match="two classes"):
        res = compute_lic(wd)
    assert res.n_defined == 0
    lo = compute_lic(wd, method="log_odds")
    assert lo.get(1, "calm") > 0 > lo.get(2, "calm")
    assert lo.get(2, "panic") > 0


def test_log_odds_is_antisymmetric_for_two_classes():
    counts = torch.tensor([[5.0, 1.0, 3.0], [1.0, 5.0, 3.0]], dtype=torch.float64)
    z = log_odds_from_counts(counts)
    assert torch.allclose(z[0], -z[1])


def test_result_helpers():
    wd = {1: [["x", "y"], ["x"]], 2: [["y", "z"]], 3: [["z", "z", "q"]]}
    res = compute_lic(wd)
    assert res.classes == [1, 2, 3]
    top = res.top_words(1, 5)
    # "x" occurs in class 1 only: the other classes' tf are all 0, std 0, LIC undefined
    assert top[0][0] == "y" and "x" not in dict(top) and math.isnan(res.get(1, "x"))
    assert [v for _, v in top] == sorted((v for _, v in top), reverse=True)
    assert top[0][1] == pytest.approx(res.to_dict()[(1, "y")])
    assert math.isnan(res.get(1, "not-a-word"))
    assert res.get(1, "not-a-word", 0.0) == 0.0


@pytest.mark.cuda
@CUDA
def test_cuda_matches_cpu_random():
    rng = np.random.default_rng(0)
    wd = {c: [[f"w{j}" for j in rng.integers(0, 300, 12)] for _ in range(50)] for c in range(1, 8)}
    a = compute_lic(wd, device="cpu").to_dict()
    b = compute_lic(wd, device="cuda").to_dict()
    assert_same_lic(b, a)
