"""Issue 23, speed round 6: LIC's ranking read lazily, the cheap checks answered once per pair, the
language model's words of a sentence split once; each gives the answers it gave before."""

from __future__ import annotations

import types

import numpy as np

from lic_gpu.augment.checks import Candidate, CandidateCheck, first_refusal, remembered
from lic_gpu.lic import LicResult


class _Lic(types.SimpleNamespace):
    """The fields of a LicResult the ranking reads, with its methods."""

    ranked_words = LicResult.ranked_words
    top_words = LicResult.top_words


def _lexsorted(vocab, row):
    """The ranking as top_words had it before: one lexsort by (-LIC, word)."""
    ok = np.nonzero(~np.isnan(row))[0]
    order = ok[np.lexsort((np.array(vocab, dtype=str)[ok], -row[ok]))].tolist()
    return [(vocab[j], float(row[j])) for j in order]


def test_ranked_words_equal_the_full_sort_with_ties_signed_zeros_and_nans():
    rng = np.random.default_rng(0)
    for _ in range(200):
        vocab = list(
            dict.fromkeys("".join(rng.choice(list("abAB\u00e9z'"), size=rng.integers(1, 5))) for _ in range(80))
        )
        values = rng.choice([0.0, -0.0, 1.5, 2.0, np.nan, -1.0, 3.25], size=(2, len(vocab)))
        lic = _Lic(host_values=values, class_index={"a": 0, "b": 1}, vocab=vocab)
        for cls, i in lic.class_index.items():
            got = list(lic.ranked_words(cls))
            want = _lexsorted(vocab, values[i])
            assert got == want
            assert [np.signbit(v) for _, v in got] == [np.signbit(v) for _, v in want]
            assert lic.top_words(cls, 3) == want[:3]


def test_remembered_checks_answer_each_pair_once_with_the_chains_reason():
    calls = []

    def counted(reason):
        def test(c):
            calls.append((reason, c.new))
            return reason if c.new.startswith(reason[:1]) else None

        return test

    checks = [
        CandidateCheck("x", counted("xeno")),
        CandidateCheck("y", counted("yak")),
        CandidateCheck("e", lambda c: ""),
    ]
    once = remembered(checks)
    pairs = [Candidate(None, "old", 3, new, 0.9) for new in ("xylo", "yes", "zed", "xylo")]
    assert [once(c) for c in pairs] == [first_refusal(checks, c) for c in pairs] == ["xeno", "yak", None, "xeno"]
    n = len(calls)
    assert [once(c) for c in pairs] == ["xeno", "yak", None, "xeno"]
    assert len(calls) == n  # the second round came from what was remembered
    # another class of the same pair: the same answer (the cheap checks do not look at the class)
    assert once(Candidate(4, "old", 3, "yes", 0.9)) == "yak" and len(calls) == n


def test_lm_words_of_a_sentence_are_split_once_and_unchanged():
    from lic_gpu.scoring.features import _lm_words_of
    from lic_gpu.scoring.ngram import lm_words

    toks = ("We", "did", "n't", "go", ",", "Sam", "\u00bd", "caf\u00e9", ".")
    assert (
        _lm_words_of(toks)
        == lm_words(toks)
        == (["we", "didn't", "go", "sam", "caf\u00e9"], [0, 1, 1, 2, None, 3, None, 4, None])
    )
    assert _lm_words_of(toks) is _lm_words_of(tuple(toks))
