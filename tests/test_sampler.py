"""The sampler: the notebook's rule (seed mode) against the reference, and the diverse mode's promises."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from lic_gpu import compute_lic
from lic_gpu.classes import build_word_dict, class_labels
from lic_gpu.vectors.store import EmbeddingStore
from lic_gpu.errors import LicGpuError
from lic_gpu.augment import LicAugmenter, match_case
from lic_gpu.augment.strategy import check_sampling_strategy
from lic_gpu.text import load_stopwords, whitespace_tokenise, words_tokenise

from helpers import PLAIN_FILTERS, family_store, needs_shared

STOP = load_stopwords("packaged")[0]


def toy_store():
    """Words in four families whose members are near each other."""
    return family_store(
        [
            ["calm", "quiet", "peaceful", "serene", "tranquil", "gentle"],
            ["panic", "terror", "alarm", "fright", "dread", "horror"],
            ["ran", "raced", "sprinted", "dashed", "rushed", "hurried"],
            ["tea", "coffee", "cocoa", "juice", "milk", "soup"],
        ],
        ["the", "3", "u.s.", "calmer", "I", "we", "a"],
    )


def toy_corpus():
    texts = (
        ["We drank tea , calm and quiet ."] * 1
        + ["I sat calm with my tea ."]
        + ["Panic ! We ran in terror ."] * 1
        + ["They ran in panic and alarm"]
        + [f"Nothing happened on day {i} ." for i in range(8)]
    )
    labels = [1, 1, 7, 7] + [4] * 8
    import pandas as pd

    tok = [words_tokenise(t) for t in texts]
    return tok, build_word_dict(tok, pd.Series(labels, dtype="Int64"))


def test_sampling_strategy_forms():
    sizes = {1: 10, 2: 40, 3: 100}
    assert check_sampling_strategy("auto", sizes) == {1: 90, 2: 60, 3: 0}
    assert check_sampling_strategy(0.5, sizes) == {1: 40, 2: 10, 3: 0}
    assert check_sampling_strategy({1: 20}, sizes) == {1: 10, 2: 0, 3: 0}
    assert check_sampling_strategy({"1": 20}, sizes)[1] == 10
    for bad, msg in [("most", "sampling_strategy"), (1.5, r"\(0, 1\]"), ({9: 10}, "class 9"), ({1: 5}, ">=")]:
        with pytest.raises(LicGpuError, match=msg):
            check_sampling_strategy(bad, sizes)


def test_match_case():
    assert match_case("Calm", "quiet") == "Quiet"
    assert match_case("CALM", "quiet") == "QUIET"
    assert match_case("calm", "quiet") == "quiet"


def test_diverse_rows_are_new_consistent_and_reproducible():
    tok, wd = toy_corpus()
    lic = compute_lic(wd, method="log_odds")
    aug = LicAugmenter(toy_store(), STOP, **PLAIN_FILTERS, mode="diverse", k=5, max_swaps=2, min_similarity=0.3, seed=3)
    res = aug.fit_resample(wd, lic, tok)
    again = LicAugmenter(
        toy_store(), STOP, **PLAIN_FILTERS, mode="diverse", k=5, max_swaps=2, min_similarity=0.3, seed=3
    ).fit_resample(wd, lic, tok)
    assert [r.text for r in res.rows] == [r.text for r in again.rows]
    originals = {tok[row].detokenise() for v in wd.values() for _, row in v}
    texts = [r.text for r in res.rows]
    assert len(set(texts)) == len(texts) and not set(texts) & originals
    for r in res.rows:
        assert r.cls in (1, 7)
        src = tok[r.source_row]
        new = words_tokenise(r.text)
        assert len(new.tokens) == len(src.tokens)
        changed = [i for i, (a, b) in enumerate(zip(src.tokens, new.tokens)) if a != b]
        assert changed == sorted(s.pos for s in r.swaps) and 1 <= len(changed) <= 2
        for s in r.swaps:
            assert s.lic > 0 and s.cosine >= 0.3
            assert s.new.lower() not in {"3", "u.s.", "calmer"}
    for cls in (1, 7):
        rep = res.classes[cls]
        assert rep.requested == 6 and rep.generated + 0 <= rep.requested
        assert rep.generated == rep.requested or rep.shortfall_reason


def test_shortfall_is_explained():
    tok, wd = toy_corpus()
    lic = compute_lic(wd, method="log_odds")
    res = LicAugmenter(
        toy_store(),
        STOP,
        **PLAIN_FILTERS,
        mode="diverse",
        k=2,
        max_swaps=1,
        min_similarity=0.3,
        sampling_strategy={1: 500, 7: 2},
        seed=0,
    ).fit_resample(wd, lic, tok)
    rep = res.classes[1]
    assert rep.generated < rep.requested
    assert "distinct new row" in rep.shortfall_reason and "500" not in rep.shortfall_reason
    assert f"{rep.requested} requested" in rep.shortfall_reason


def test_max_per_source():
    tok, wd = toy_corpus()
    lic = compute_lic(wd, method="log_odds")
    res = LicAugmenter(
        toy_store(),
        STOP,
        **{**PLAIN_FILTERS, "max_per_source": 2},
        mode="diverse",
        k=5,
        max_swaps=2,
        min_similarity=0.3,
        seed=0,
    ).fit_resample(wd, lic, tok)
    per_source = Counter(r.source_row for r in res.rows)
    assert per_source and max(per_source.values()) <= 2


def test_inputs_untouched():
    tok, wd = toy_corpus()
    snapshot = json.dumps({c: v for c, v in wd.items()})
    lic = compute_lic(wd, method="log_odds")
    LicAugmenter(toy_store(), STOP, **PLAIN_FILTERS, k=5, max_swaps=2, min_similarity=0.3).fit_resample(wd, lic, tok)
    assert json.dumps({c: v for c, v in wd.items()}) == snapshot


def test_bad_options():
    for kw, msg in [
        ({"mode": "fast"}, "augment.mode"),
        ({"k": 0}, "augment.k"),
        ({"max_swaps": 0}, "max_swaps"),
        ({"min_similarity": 2}, "min_similarity"),
    ]:
        with pytest.raises(LicGpuError, match=msg):
            LicAugmenter(toy_store(), STOP, **kw)


@pytest.fixture(scope="module")
def glove():
    return EmbeddingStore.load("glove-6b-50d", device="cpu")


@needs_shared
def test_seed_mode_follows_the_notebook_rule(reference, emobank_seed, glove):
    """Every new row differs from its source in one token: the source's highest positive-LIC
    non-stopword token not used before, replaced by gensim's top-1 neighbour; counts >= reference."""
    import random

    frame = emobank_seed.frame.iloc[:2500].reset_index(drop=True)
    labels = class_labels(frame["arousal"], "arousal", "integer").labels
    tok = [whitespace_tokenise(t) for t in frame["label"]]
    wd = build_word_dict(tok, labels)
    lic = compute_lic(wd)
    # protect=False: the notebook's rule exactly (the default also never swaps protected tokens)
    res = LicAugmenter(glove, STOP, mode="seed", k=10, seed=0, protect=False).fit_resample(wd, lic, tok)
    lic_d = lic.to_dict()

    used: dict = {c: set() for c in wd}
    checked = 0
    for row in res.rows:
        samples = wd[row.cls]
        idx = next(i for i, (_, r) in enumerate(samples) if r == row.source_row)
        tokens = samples[idx][0]
        ranked = sorted(
            ((p, w, lic_d.get((row.cls, w), 0.0)) for p, w in enumerate(tokens) if w.lower() not in STOP),
            key=lambda x: -x[2],
        )
        expected = next(p for p, w, s in ranked if s > 0 and (idx, p) not in used[row.cls] and w in glove.index)
        (swap,) = row.swaps
        assert swap.pos == expected
        used[row.cls].add((idx, swap.pos))
        new = row.text.split()
        assert [i for i, (a, b) in enumerate(zip(tokens, new)) if a != b] == [expected]
        checked += 1
    assert checked == len(res.rows) > 100

    # the replacement is gensim's top-1 neighbour (checked on a sample: most_similar is slow)
    kv = reference.load_glove50()
    rng = np.random.default_rng(0)
    sample = rng.choice(len(res.rows), size=min(60, len(res.rows)), replace=False)
    for i in sample:
        (swap,) = res.rows[i].swaps
        top = next(w for w, _ in kv.most_similar(positive=[swap.old], topn=10) if w != swap.old)
        assert swap.new == top

    # per-class counts after >= the reference's at the same attempt budget
    random.seed(0)
    ref_wd = {c: [(list(t), r) for t, r in v] for c, v in wd.items()}
    before = {c: len(v) for c, v in ref_wd.items()}
    missing = reference.count_missing_samples(ref_wd)
    for c, m in missing.items():
        reference.generate_samples_for_class(ref_wd, c, m, lic_d, kv, STOP, Counter(), {})
    for c in wd:
        assert before[c] + res.classes[c].generated >= len(ref_wd[c])


def test_lic_weighted_draw_is_numpys_choice():
    """The cached-cdf draw picks the same positions as ``rng.choice(..., replace=False, p=...)`` and
    leaves the generator in the same state, including draws that hit the same position twice."""
    from lic_gpu.augment.weighted_draw import WeightedDraw

    retried = 0
    for t in range(3000):
        r = np.random.default_rng(t)
        n = int(r.integers(1, 10))
        w = r.random(n) ** 3 + 1e-6
        if t % 5 == 0:
            w[r.integers(n)] = 50.0  # one dominant weight: the second draw often repeats the first
        size = int(r.integers(1, min(n, 3) + 1))
        a, b = np.random.default_rng([t, 1]), np.random.default_rng([t, 1])
        expected = sorted(int(i) for i in a.choice(n, size=size, replace=False, p=w / w.sum()))
        cdf = np.cumsum(w / w.sum())
        first = np.searchsorted(cdf / cdf[-1], np.random.default_rng([t, 1]).random(size), side="right")
        retried += len(set(first.tolist())) < size
        got = sorted(WeightedDraw(list(w)).draw(b, size))
        assert got == expected, (t, w, size)
        assert a.bit_generator.state == b.bit_generator.state, t
    assert retried > 50  # the redraw path was exercised


@pytest.mark.parametrize("n", [1, 2, 83, 9373, 2**31 + 5])
def test_batched_integer_draws_equal_one_at_a_time(n):
    """Seed mode draws its source sentences in batches; numpy gives the same integers (and state)
    as drawing them one by one, so the batching changes no output."""
    a, b = np.random.default_rng([0, n]), np.random.default_rng([0, n])
    one_by_one = [int(a.integers(n)) for _ in range(5000)]
    batched = np.concatenate([b.integers(n, size=m) for m in (1, 999, 4000)]).tolist()
    assert one_by_one == batched
    assert a.bit_generator.state == b.bit_generator.state
