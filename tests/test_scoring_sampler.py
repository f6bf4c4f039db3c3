"""The learned swap score inside the sampler (lic_gpu.augment.scored): same numbers as score_swaps, ranking,
min_fluency, the fluency column, names never swapped."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from lic_gpu import compute_lic
from lic_gpu.augment.positions import Position, in_name, skip_reason
from lic_gpu.augment.scored import SlotScorer
from lic_gpu.augment.settings import AugmentSettings
from lic_gpu.errors import LicGpuError
from lic_gpu.scoring import pair_features, score_swaps
from lic_gpu.scoring.align import tokens_of
from lic_gpu.augment import LicAugmenter
from lic_gpu.text import load_stopwords, words_tokenise

from helpers import PLAIN_FILTERS
from test_sampler import toy_corpus, toy_store

HAS_SPACY = importlib.util.find_spec("spacy") is not None
STOP = load_stopwords("packaged")[0]

PAIRS = [
    ("He was under the gun all week.", "He was under the pistol all week."),
    ("She baked a lovely cake for the party.", "She baked a lovely pie for the party."),
    ("The quiet village slept under the stars.", "The silent village slept under the stars."),
    ("We walked along the beautiful beach at dawn.", "We walked along the gorgeous beach at dawn."),
    ("My brother bought an old car yesterday.", "My brother bought an ancient car yesterday."),
]


def _source_tags(sources):
    from lic_gpu.fluency import SpacyTagger

    return SpacyTagger().tag([tokens_of(s) for s in sources])


@pytest.mark.skipif(not HAS_SPACY, reason="spaCy is not installed")
def test_slot_score_equals_score_swaps_where_the_tag_is_kept():
    sources, news = [a for a, _ in PAIRS], [b for _, b in PAIRS]
    tags = _source_tags(sources)
    ours = SlotScorer().score_tokens([tokens_of(s) for s in sources], [tokens_of(n) for n in news], tags)
    theirs = score_swaps(sources, news, encoder=False)
    kept = pair_features(sources, news)["pos_kept"].to_numpy()
    assert (kept == 1).sum() >= 3  # the relationship is checked on real pairs, not vacuously
    np.testing.assert_allclose(ours[kept == 1], theirs[kept == 1], rtol=0, atol=1e-12)
    assert np.all((ours > 0) & (ours < 1))


@pytest.mark.skipif(not HAS_SPACY, reason="spaCy is not installed")
def test_rank_sources_orders_by_score_and_drops_low_ones():
    tokens = list(tokens_of("He was under the gun all week."))
    tags = _source_tags([" ".join(tokens)])[0]
    gun = Position(4, "", "gun", "", 1.0, [("pistol", 0.9), ("rifle", 0.8), ("weapon", 0.7)])
    scorer = SlotScorer()
    (ranked,) = scorer.rank_sources([(tokens, tags, [gun])], None)
    scores = [c[2] for c in ranked[0].choices]
    assert scores == sorted(scores, reverse=True) and len(scores) == 3
    direct = scorer.score_tokens(
        [tokens] * 3, [tokens[:4] + [w] + tokens[5:] for w, _, _ in ranked[0].choices], [tags] * 3
    )
    np.testing.assert_allclose(scores, direct)
    threshold = float(np.median(scores))
    (kept,) = scorer.rank_sources([(tokens, tags, [gun])], threshold)
    assert kept and all(c[2] >= threshold for c in kept[0].choices) and len(kept[0].choices) < 3
    assert scorer.rank_sources([(tokens, tags, [gun])], 1.0) == [[]]


def test_names_and_title_case_runs_are_never_slots():
    toks = words_tokenise("We met on Black Monday . Calm people stayed home .").tokens
    assert in_name(toks, None, 3, "Black") and in_name(toks, None, 4, "Monday")
    assert not in_name(toks, None, 6, "Calm")  # sentence start after a full stop
    assert not in_name(toks, None, 0, "We")
    tags = ["PRP", "VBD", "IN", "NNP", "NNP", ".", "JJ", "NNS", "VBD", "NN", "."]
    assert in_name(toks, tags, 3, "Black")
    assert skip_reason(toks, tags, 4, "Monday", True, None)[0] == "protected"  # a time word: protected already
    assert skip_reason(toks, tags, 3, "Black", True, None)[0] == "name"
    assert skip_reason(toks, None, 3, "Black", False, None)[0] is None  # protect=false: the old rule


def test_min_fluency_is_checked():
    assert AugmentSettings.from_options({"mode": "diverse", "min_fluency": 0.7}).min_fluency == 0.7
    assert AugmentSettings.from_options({"mode": "diverse", "min_fluency": None}).min_fluency is None
    assert AugmentSettings.from_options({"mode": "seed"}).min_fluency is None  # seed mode: off by default
    for bad in (1.5, -0.1, "high", True):
        with pytest.raises(LicGpuError, match="augment.min_fluency"):
            AugmentSettings.from_options({"mode": "diverse", "min_fluency": bad})


@pytest.mark.parametrize("min_fluency", [None, 0.3])
def test_diverse_rows_carry_their_score_and_respect_the_threshold(min_fluency):
    tok, wd = toy_corpus()
    lic = compute_lic(wd, method="log_odds")
    res = LicAugmenter(
        toy_store(),
        STOP,
        **PLAIN_FILTERS,
        mode="diverse",
        k=5,
        max_swaps=1,
        min_similarity=0.3,
        seed=3,
        min_fluency=min_fluency,
    ).fit_resample(wd, lic, tok)
    assert res.rows
    scores = np.array([r.fluency for r in res.rows])
    assert np.all((scores > 0) & (scores < 1))
    if min_fluency is not None:
        assert scores.min() >= min_fluency
    # no grammar here (no tags): the sampler's score is score_swaps' without tags, pair for pair
    sources = [tok[r.source_row].detokenise() for r in res.rows]
    feats = pair_features(sources, [r.text for r in res.rows])
    kept = feats["pos_kept"].isna().to_numpy() | (feats["pos_kept"] == 1).to_numpy()
    assert kept.any()


def test_the_best_scored_replacement_is_taken_first():
    tok, wd = toy_corpus()
    lic = compute_lic(wd, method="log_odds")
    res = LicAugmenter(
        toy_store(),
        STOP,
        **PLAIN_FILTERS,
        mode="diverse",
        k=5,
        max_swaps=1,
        min_similarity=0.3,
        seed=3,
        min_fluency=None,
        sampling_strategy={1: 3, 7: 3},
    ).fit_resample(wd, lic, tok)
    scorer = SlotScorer()
    for r in res.rows:
        src = list(tok[r.source_row].tokens)
        (swap,) = [s for s in r.swaps if s.kind == "swap"]
        # every other neighbour of that slot the toy store offers scores no higher than the one taken,
        # unless it was taken before by another row of the same source and slot
        assert r.fluency == pytest.approx(scorer.score_tokens([src], [words_tokenise(r.text).tokens], [None])[0])


def test_seed_rows_are_unchanged_and_get_the_column():
    tok, wd = toy_corpus()
    lic = compute_lic(wd, method="log_odds")
    kw = dict(mode="seed", k=5, seed=0, protect=False)
    res = LicAugmenter(toy_store(), STOP, **kw).fit_resample(wd, lic, tok)
    assert res.rows
    scores = np.array([r.fluency for r in res.rows])
    expected = score_swaps(
        [tok[r.source_row].detokenise() for r in res.rows], [r.text for r in res.rows], encoder=False
    )
    np.testing.assert_allclose(scores, expected)
