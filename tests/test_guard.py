"""Swap guards (issue 8): the corpus lean, its neighbour fallback, the lexicon, config, swap quality."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lic_gpu.errors import LicGpuError
from lic_gpu.augment.guard import LexiconGuard, RatingLeanGuard, SwapGuard, build_guards, is_flip, load_valence_lexicon
from lic_gpu.augment.lean import class_levels, merge_case, word_leans
from lic_gpu.report.quality import swap_quality
from lic_gpu.lic import compute_lic


# ---------------------------------------------------------------- a tiny corpus and vectors


def tiny_word_dict():
    """Three levels; 'calm'/'quiet' only low, 'excited'/'thrilled' only high, 'day' everywhere."""
    low = [["calm", "day"], ["Calm", "quiet", "day"], ["quiet", "calm", "evening"]] * 4
    mid = [["day", "evening"], ["the", "day"], ["evening", "news"]] * 6
    high = [["excited", "day"], ["thrilled", "excited"], ["Excited", "news", "thrilled"]] * 4
    return {1: low, 2: mid, 3: high}


class TinyStore:
    """The EmbeddingStore surface the guard uses (resolve, vectors) over a hand-made matrix."""

    def __init__(self, vectors: dict[str, list[float]]):
        self.words = list(vectors)
        v = torch.tensor([vectors[w] for w in self.words], dtype=torch.float32)
        self.vectors = v / v.norm(dim=1, keepdim=True)
        self._index = {w: i for i, w in enumerate(self.words)}

    def resolve(self, word):
        return self._index.get(word, self._index.get(word.lower()))

    def __len__(self):
        return len(self.words)


def tiny_store():
    return TinyStore(
        {
            "calm": [1.0, 0.1, 0.0],
            "quiet": [0.9, 0.2, 0.0],
            "serene": [0.95, 0.15, 0.05],
            "excited": [0.0, 0.1, 1.0],
            "thrilled": [0.1, 0.0, 0.9],
            "ecstatic": [0.05, 0.05, 1.0],
            "day": [0.0, 1.0, 0.0],
            "evening": [0.1, 0.9, 0.1],
            "news": [0.2, 0.8, 0.2],
            "the": [0.3, 0.3, 0.3],
            "faraway": [-1.0, -1.0, -1.0],
        }
    )


@pytest.fixture
def tiny_lic():
    return compute_lic(tiny_word_dict())


@pytest.fixture
def guard(tiny_lic):
    g = RatingLeanGuard(tiny_store(), margin=1.0, prior_strength=2.0)
    g.prepare("arousal", tiny_lic)
    return g


# ---------------------------------------------------------------- the lean


def test_calm_leans_low_excited_high_day_neutral(guard):
    assert guard.lean("calm") < -1 < 1 < guard.lean("excited")
    assert abs(guard.lean("day")) < 0.5
    assert guard.lean("Calm") == guard.lean("calm")  # case merged


def test_swap_to_the_other_level_refused_same_level_accepted(guard):
    assert guard(1, "calm", "excited") == "rating_lean"
    assert guard(3, "Excited", "calm") == "rating_lean"
    assert guard(1, "calm", "quiet") is None
    assert guard(3, "excited", "thrilled") is None


def test_word_leans_match_a_float64_numpy_reference():
    rng = np.random.default_rng(3)
    counts = rng.poisson(2.0, size=(4, 50)).astype(float)
    counts[:, 7] = 0
    levels = np.array([1.0, 2.0, 4.0, 5.0])
    lean, fit = word_leans(torch.tensor(counts), torch.tensor(levels), prior_strength=3.0)
    n = counts.sum(0)
    prior = counts.sum(1) / counts.sum()
    mu = (prior * levels).sum()
    sigma2 = (prior * (levels - mu) ** 2).sum()
    mean = np.where(n > 0, (counts * levels[:, None]).sum(0) / np.maximum(n, 1), mu)
    tau = math.sqrt(sigma2 / 3.0)
    ref = ((n * mean + 3.0 * mu) / (n + 3.0) - mu) / tau
    np.testing.assert_allclose(lean.numpy(), ref, rtol=1e-12, atol=1e-12)
    assert lean[7] == 0.0
    assert fit["alpha"] == 3.0 and fit["mu"] == pytest.approx(mu)


def test_auto_prior_strength_shrinks_rare_words_more():
    # Same proportions, 1 vs 40 occurrences: the rare word's lean is pulled much closer to 0.
    counts = torch.zeros(3, 40, dtype=torch.float64)
    counts[1, 2:] = 30  # a mass of neutral words
    counts[0, 2:] += torch.arange(38) % 3  # some spread so tau > 0
    counts[2, 2:] += (torch.arange(38) + 1) % 4
    counts[0, 0] = 1  # rare low word
    counts[0, 1] = 40  # frequent low word
    lean, fit = word_leans(counts, class_levels([1, 2, 3]), "auto")
    assert 1.0 <= fit["alpha"] <= 1000.0 and fit["tau"] > 0
    assert lean[1] < lean[0] < 0


def test_class_levels_fall_back_to_rank_for_labels_that_are_not_numbers():
    assert class_levels([1, 3, 7]).tolist() == [1.0, 3.0, 7.0]
    assert class_levels(["low", "mid", "high"]).tolist() == [0.0, 1.0, 2.0]


def test_merge_case_sums_columns():
    counts = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    merged, words = merge_case(counts, ["Joy", "joy", "day"])
    assert words == ["joy", "day"]
    assert merged.tolist() == [[3.0, 3.0], [9.0, 6.0]]


# ---------------------------------------------------------------- words not in the corpus


def test_absent_word_takes_the_lean_of_its_corpus_neighbours(guard):
    # 'serene' and 'ecstatic' are in the vectors only; their nearest corpus words decide.
    assert guard.lean("serene") < -1
    assert guard.lean("ecstatic") > 1
    assert guard(1, "calm", "serene") is None
    assert guard(3, "excited", "serene") == "rating_lean"
    assert guard(1, "calm", "ecstatic") == "rating_lean"


def test_fallback_is_cached_and_batched(tiny_lic):
    stats = {}
    g = RatingLeanGuard(tiny_store(), margin=1.0, prior_strength=2.0, stats=stats)
    g.prepare("arousal", tiny_lic)
    g.prefetch(["serene", "ecstatic", "Serene", "calm"])  # calm is a corpus word: no search
    assert stats["arousal"]["fallback_words"] == 2
    for _ in range(3):
        g(1, "calm", "serene")
    assert stats["arousal"]["fallback_words"] == 2


def test_words_with_no_near_corpus_word_or_no_vector_lean_zero(guard):
    assert guard.lean("faraway") == 0.0  # all corpus cosines below min_neighbour_similarity
    assert guard.lean("zzzunknown") == 0.0  # not in the vectors at all


def test_without_a_store_absent_words_lean_zero(tiny_lic):
    g = RatingLeanGuard(None, margin=1.0, prior_strength=2.0)
    g.prepare("arousal", tiny_lic)
    assert g.lean("serene") == 0.0
    assert g(1, "calm", "serene") == "rating_lean"


def test_prepare_many_refuses_a_swap_that_moves_any_emotion(tiny_lic):
    # Second emotion: 'quiet' high, 'calm' low -> calm->quiet moves it even though arousal agrees.
    other = {
        1: [["calm", "day"]] * 6 + [["day"]] * 3,
        2: [["day", "evening"]] * 12,
        3: [["quiet", "day"]] * 6 + [["day"]] * 3,
    }
    g = RatingLeanGuard(tiny_store(), margin=1.0, prior_strength=2.0)
    g.prepare_many({"arousal": tiny_lic, "valence": compute_lic(other)})
    assert g.emotions == ["arousal", "valence"]
    assert g(1, "calm", "quiet") == "rating_lean"
    g.prepare("arousal", tiny_lic)
    assert g(1, "calm", "quiet") is None


def test_guard_before_prepare_says_so():
    with pytest.raises(RuntimeError, match="before prepare"):
        RatingLeanGuard(tiny_store())(1, "calm", "quiet")


# ---------------------------------------------------------------- the lexicon


def test_vader_lexicon_loads():
    lex = load_valence_lexicon()
    assert len(lex) > 7000
    assert lex["joy"] > 0 > lex["sadness"]


def test_lexicon_refuses_sign_flips_and_accepts_same_sign():
    g = LexiconGuard(load_valence_lexicon())
    assert g(1, "joy", "sadness") == "lexicon_flip"
    assert g(1, "Hell", "heaven") == "lexicon_flip"
    assert g(1, "joy", "happiness") is None
    assert g(1, "sad", "unhappy") is None
    assert g(1, "joy", "table") is None  # only one of the two in the lexicon


def test_lexicon_dead_zone():
    lex = {"meh": 0.3, "good": 1.9, "bad": -2.5}
    assert LexiconGuard(lex, dead_zone=0.0)(1, "meh", "bad") == "lexicon_flip"
    assert LexiconGuard(lex, dead_zone=0.5)(1, "meh", "bad") is None
    assert LexiconGuard(lex, dead_zone=0.5)(1, "good", "bad") == "lexicon_flip"
    assert is_flip(1.0, -1.0, 0.0) and not is_flip(1.0, 2.0, 0.0) and not is_flip(0.4, -3, dead_zone=0.5)


def test_keep_affect_leaves_strong_emotion_words_alone():
    lex = {"angry": -2.3, "furious": -2.7, "worried": -1.2, "meh": 0.3, "good": 1.9, "bad": -2.5}
    g = LexiconGuard(lex, dead_zone=0.0, keep_affect=1.0)
    assert g(1, "angry", "furious") == "affect_word" and g(1, "Worried", "anxious") == "affect_word"
    assert g(1, "meh", "fine") is None and g(1, "table", "desk") is None  # weak or not in the lexicon
    assert LexiconGuard(lex, dead_zone=0.0, keep_affect=2.0)(1, "worried", "anxious") is None
    assert LexiconGuard(lex, dead_zone=0.0, keep_affect=2.0)(1, "good", "bad") == "lexicon_flip"
    assert LexiconGuard(lex, dead_zone=0.0)(1, "angry", "furious") is None  # off by default (the YAML's null)
    guards, info = build_guards({"mode": "diverse", "guard": {"corpus": False, "lexicon": {"keep_affect": 1.5}}})
    assert guards[0].keep_affect == 1.5 and info["lexicon"]["keep_affect"] == 1.5
    assert info["guards"] == ["lexicon_flip", "affect_word"]


def test_lexicon_from_a_file(tmp_path):
    p = tmp_path / "lex.txt"
    p.write_text("Great\t2.5\t0.5\nawful\t-2.0\nbroken line\n", encoding="utf-8")
    lex = load_valence_lexicon(str(p))
    assert lex == {"great": 2.5, "awful": -2.0}
    guards, info = build_guards({"mode": "diverse", "guard": {"corpus": False, "lexicon": {"path": str(p)}}})
    assert guards[0](1, "great", "awful") == "lexicon_flip"
    assert info["lexicon"]["entries"] == 2


# ---------------------------------------------------------------- build_guards


def test_defaults_in_diverse_and_none_in_seed(tiny_lic):
    guards, info = build_guards({"mode": "diverse"}, store=tiny_store())
    assert [g.reason for g in guards] == ["rating_lean", "lexicon_flip"]
    assert info["enabled"] and info["guards"] == ["rating_lean", "lexicon_flip"]
    guards[0].prepare("arousal", tiny_lic)
    assert info["corpus"]["emotions"]["arousal"]["corpus_words"] == len(merge_case(tiny_lic.counts, tiny_lic.vocab)[1])
    assert build_guards({"mode": "seed"})[0] == []
    assert build_guards({"mode": "seed", "guard": {"enabled": False}}) == ([], {"enabled": False, "guards": []})
    assert build_guards({"mode": "diverse", "guard": False})[0] == []


def test_options_reach_the_guards():
    guards, info = build_guards(
        {
            "mode": "diverse",
            "guard": {
                "corpus": {"margin": 2.5, "prior_strength": 7, "neighbours": 3, "min_neighbour_similarity": 0.2},
                "lexicon": {"enabled": True, "dead_zone": 0.4},
            },
        }
    )
    lean, lex = guards
    assert (lean.margin, lean.prior_strength, lean.neighbours, lean.min_neighbour_similarity) == (2.5, 7.0, 3, 0.2)
    assert lex.dead_zone == 0.4 and info["lexicon"]["dead_zone"] == 0.4


@pytest.mark.parametrize(
    "guard_cfg, option, shown",
    [
        ({"corpus": {"margin": -1}}, "augment.guard.corpus.margin", "-1"),
        ({"corpus": {"margin": 0}}, "augment.guard.corpus.margin", "0"),
        ({"corpus": {"margin": "wide"}}, "augment.guard.corpus.margin", "'wide'"),
        ({"corpus": {"margin": float("nan")}}, "augment.guard.corpus.margin", "nan"),
        ({"corpus": {"prior_strength": "strong"}}, "augment.guard.corpus.prior_strength", "'strong'"),
        ({"corpus": {"prior_strength": -3}}, "augment.guard.corpus.prior_strength", "-3"),
        ({"corpus": {"neighbours": 0}}, "augment.guard.corpus.neighbours", "0"),
        ({"corpus": {"neighbours": 2.5}}, "augment.guard.corpus.neighbours", "2.5"),
        ({"corpus": {"min_neighbour_similarity": 1.5}}, "augment.guard.corpus.min_neighbour_similarity", "1.5"),
        ({"corpus": {"enabled": "yes"}}, "augment.guard.corpus.enabled", "'yes'"),
        ({"enabled": 1}, "augment.guard.enabled", "1"),
        ({"lexicon": {"dead_zone": -0.1}}, "augment.guard.lexicon.dead_zone", "-0.1"),
        ({"lexicon": {"path": 3}}, "augment.guard.lexicon.path", "3"),
        ({"lexicon": {"keep_affect": 0}}, "augment.guard.lexicon.keep_affect", "0"),
        ({"lexicon": {"keep_affect": "strong"}}, "augment.guard.lexicon.keep_affect", "'strong'"),
        ({"lexicon": {"path": "/no/such/lexicon.txt"}}, "augment.guard.lexicon.path", "'/no/such/lexicon.txt'"),
        ({"margin": 1.0}, "augment.guard", "'margin'"),
        ({"corpus": {"margn": 1.0}}, "augment.guard.corpus", "'margn'"),
        ({"corpus": [1, 2]}, "augment.guard.corpus", "[1, 2]"),
    ],
)
def test_config_errors_name_the_option_and_quote_the_value(guard_cfg, option, shown):
    with pytest.raises(LicGpuError) as err:
        build_guards({"mode": "diverse", "guard": guard_cfg})
    msg = str(err.value)
    assert "\n" not in msg
    assert option in msg and shown in msg


def test_switched_off_options_are_still_validated():
    with pytest.raises(LicGpuError, match="margin"):
        build_guards({"mode": "diverse", "guard": {"enabled": False, "corpus": {"margin": -1}}})


def test_the_shipped_augment_configs_build():
    from pathlib import Path

    from omegaconf import OmegaConf

    conf = Path(__file__).resolve().parents[1] / "conf" / "augment"
    guards, info = build_guards(OmegaConf.to_container(OmegaConf.load(conf / "diverse.yaml")))
    assert info["guards"] == ["rating_lean", "lexicon_flip"]
    assert build_guards(OmegaConf.to_container(OmegaConf.load(conf / "seed.yaml")))[0] == []


# ---------------------------------------------------------------- swap quality


def test_swap_quality_on_a_hand_made_list():
    lex = {"joy": 2.8, "sadness": -1.9, "happiness": 2.6, "good": 1.9, "bad": -2.5, "nice": 1.8}
    pairs = [
        ("joy", "sadness"),
        ("Joy,", "Sadness,"),
        ("joy", "happiness"),
        ("good", "nice"),
        ("bad", "good"),
        ("table", "chair"),
        ("us", "u.s."),
        ("--", "-"),
        ("runs", "running"),
    ]
    q = swap_quality(pairs, lexicon=lex)
    assert q["swaps"] == 9
    assert q["lexicon_covered"] == 5
    assert q["polarity_flips"] == 3
    assert q["polarity_flip_rate"] == pytest.approx(0.6)
    assert q["top_flips"][0] == ("joy -> sadness", 2)
    assert q["junk"] == 3
    assert q["junk_by_reason"] == {"not_a_word": 2, "same_word": 1}


def test_swap_quality_empty_and_dead_zone():
    q = swap_quality([], lexicon={"a": 1.0})
    assert q["swaps"] == 0 and q["polarity_flip_rate"] is None
    q = swap_quality([("meh", "bad")], lexicon={"meh": 0.2, "bad": -2.0}, dead_zone=0.5)
    assert q["lexicon_covered"] == 1 and q["polarity_flips"] == 0


def test_swap_quality_defaults_to_vader():
    q = swap_quality([("joy", "sadness"), ("hell", "heaven"), ("joy", "happiness")])
    assert (q["lexicon_covered"], q["polarity_flips"]) == (3, 2)


def test_words_seen_once_are_not_fallback_neighbours():
    wd = tiny_word_dict()
    wd[1] = wd[1] + [["serene"]]  # in the corpus once: leans ~0, kept out of the neighbour pool
    stats = {}
    g = RatingLeanGuard(tiny_store(), margin=1.0, prior_strength=2.0, stats=stats)
    g.prepare("arousal", compute_lic(wd))
    assert stats["arousal"]["corpus_words"] == stats["arousal"]["fallback_neighbour_pool"] + 1
    assert g.lean("ecstatic") > 1


# ---------------------------------------------------------------- model=regression, emotions=all


def test_fit_lean_regression_recovers_a_linear_lean():
    from lic_gpu.augment.lean import fit_lean_regression

    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 4, generator=g, dtype=torch.float64)
    true = torch.tensor([1.5, -2.0, 0.0, 0.5], dtype=torch.float64)
    y = x @ true + 0.3
    coef, bias = fit_lean_regression(x, y, torch.ones(200), ridge=0.0)
    np.testing.assert_allclose(coef.numpy(), true.numpy(), atol=1e-8)
    assert bias == pytest.approx(0.3, abs=1e-8)
    # zero-weight rows are ignored; a strong ridge shrinks the slope, not the bias (the weighted mean)
    w = torch.ones(200, dtype=torch.float64)
    w[:100] = 0
    y2 = y.clone()
    y2[:100] = 1e6
    np.testing.assert_allclose(fit_lean_regression(x, y2, w, ridge=0.0)[0].numpy(), true.numpy(), atol=1e-8)
    c, b = fit_lean_regression(x, y, torch.ones(200), ridge=1e6)
    assert float(c.abs().max()) < 1e-3 and b == pytest.approx(float(y.mean()), abs=1e-3)


def test_regression_model_predicts_absent_words_from_their_vector(tiny_lic):
    stats = {}
    g = RatingLeanGuard(tiny_store(), margin=1.0, prior_strength=2.0, model="regression", stats=stats)
    g.prepare("arousal", tiny_lic)
    # corpus words keep their side; absent words are predicted along the calm <-> excited direction
    assert g.lean("calm") < -1 < 1 < g.lean("excited")
    assert g.lean("serene") < -1 and g.lean("ecstatic") > 1
    assert g(1, "calm", "serene") is None and g(1, "calm", "ecstatic") == "rating_lean"
    assert g.lean("zzzunknown") == 0.0  # no vector: no prediction
    assert g.lean("faraway") != 0.0  # no near corpus word, yet a vector: predicted (neighbours give 0)
    assert stats["arousal"]["model"] == "regression" and stats["arousal"]["regression_r2"] > 0.5
    # O(1) after prepare: the predictions are cached like the neighbour fallback
    n = stats["arousal"]["fallback_words"]
    g.prefetch(["serene", "Serene", "calm"])
    assert stats["arousal"]["fallback_words"] == n


def test_guards_follow_the_swap_guard_protocol(tiny_lic):
    guards, _ = build_guards({"mode": "diverse"}, store=tiny_store())
    assert [type(g) for g in guards] == [RatingLeanGuard, LexiconGuard]
    assert all(isinstance(g, SwapGuard) for g in guards)
    assert [g.needs_other_ratings for g in guards] == [False, False]
    for g in guards:
        g.prepare("arousal", tiny_lic)
        g.prefetch(["serene", "calm"])
        assert g(1, "calm", "serene") in (None, g.reason)


def test_prepare_checks_other_columns_only_with_emotions_all(tiny_lic):
    other = {
        1: [["calm", "day"]] * 6 + [["day"]] * 3,
        2: [["day", "evening"]] * 12,
        3: [["quiet", "day"]] * 6 + [["day"]] * 3,
    }
    extra = {"valence": compute_lic(other), "arousal": tiny_lic}  # the augmented one is skipped
    g = RatingLeanGuard(tiny_store(), margin=1.0, prior_strength=2.0, emotions="all")
    assert g.needs_other_ratings
    g.prepare("arousal", tiny_lic, extra)
    assert g.emotions == ["arousal", "valence"] and g(1, "calm", "quiet") == "rating_lean"
    g = RatingLeanGuard(tiny_store(), margin=1.0, prior_strength=2.0)  # emotions="augmented"
    g.prepare("arousal", tiny_lic, extra)
    assert g.emotions == ["arousal"] and g(1, "calm", "quiet") is None


def test_model_and_emotions_options_reach_the_guard_and_are_validated():
    guards, info = build_guards(
        {
            "mode": "diverse",
            "guard": {"corpus": {"model": "regression", "ridge": 0.5, "emotions": "all"}, "lexicon": False},
        }
    )
    (g,) = guards
    assert (g.model, g.ridge, g.scope) == ("regression", 0.5, "all")
    assert info["corpus"]["model"] == "regression" and info["corpus"]["emotions_checked"] == "all"
    for cfg, option in (
        ({"model": "knn"}, "augment.guard.corpus.model"),
        ({"ridge": -1}, "augment.guard.corpus.ridge"),
        ({"emotions": "some"}, "augment.guard.corpus.emotions"),
    ):
        with pytest.raises(LicGpuError, match=option.replace(".", r"\.")):
            build_guards({"mode": "diverse", "guard": {"corpus": cfg}})
