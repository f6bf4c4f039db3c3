"""lic_gpu.augment (issue 21): the options checked once into AugmentSettings, the chain of named
candidate checks, the generators over shared parts, LicResampler's random_state."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import warnings
from collections import Counter
from pathlib import Path

import pytest

from lic_gpu.augment import (
    AugmentSettings,
    CandidateFilter,
    JunkFilter,
    LicAugmenter,
    check_options,
    cheap_checks,
    word_checks,
)
from lic_gpu.augment.neighbours import NeighbourTables
from lic_gpu.io.conf_files import FROM_CONFIG, augment_defaults, primary_default
from lic_gpu.errors import LicGpuError

from helpers import PLAIN_FILTERS, ROOT, family_store

STORE_FAMILIES = [["calm", "quiet", "peaceful", "serene"], ["tea", "coffee", "cocoa", "juice"]]


@pytest.fixture(scope="module")
def store():
    return family_store(STORE_FAMILIES, ["the", "3", "a"])


@pytest.mark.parametrize("mode", [None, "seed", "diverse"])
def test_settings_are_the_yaml_of_the_mode(mode):
    settings = AugmentSettings.from_options({} if mode is None else {"mode": mode})
    yaml = augment_defaults(mode)
    assert settings.as_options() == {k: yaml[k] for k in settings.as_options()}
    assert settings.seed == primary_default("augment", "seed")
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.k = 3  # type: ignore[misc]


def test_check_options_carries_no_default_of_its_own():
    # the YAML is the one place defaults live (k: 20 / max_swaps: 1, not 10 / 2 here)
    assert all(p.default is FROM_CONFIG for p in inspect.signature(check_options).parameters.values())
    check_options(k=3)  # what is left out is not checked
    with pytest.raises(LicGpuError, match="augment.max_swaps"):
        check_options(max_swaps=0)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("protect", "yes", "augment.protect must be true or false"),
        ("reciprocal", 1, "augment.reciprocal must be true or false"),
        ("wordnet", "on", "augment.wordnet must be true, related or false"),
        ("k", 0, "augment.k must be a positive integer"),
        ("min_similarity", 2, r"augment.min_similarity must be a number in \[-1, 1\]"),
        ("rare_words", {"free_rank": -1}, "augment.rare_words.free_rank"),
        ("mode", "fast", "augment.mode must be one of"),
    ],
)
def test_each_option_has_one_validator(key, value, message):
    with pytest.raises(LicGpuError, match=message):
        AugmentSettings.from_options({key: value})


def test_the_chain_names_each_check_and_its_order(store):
    settings = AugmentSettings.from_options({"mode": "diverse", "thesaurus": None, "reciprocal": True})
    junk = JunkFilter(frozenset({"the"}))
    cheap = cheap_checks(settings, junk, store.index, None)
    assert [c.name for c in cheap] == ["similarity", "junk", "protected", "rare_word", "wordnet"]
    chain = word_checks(settings, junk, store, None, None, NeighbourTables(store, 3))
    assert [c.name for c in chain] == ["similarity", "junk", "protected", "rare_word", "wordnet", "reciprocal"]
    off = dataclasses.replace(
        settings,
        protect=False,
        reciprocal=False,
        wordnet=False,
        rare_words=dataclasses.replace(settings.rare_words, max_rank_ratio=None),
    )
    assert [c.name for c in word_checks(off, junk, store, None, None, None)] == ["similarity", "junk"]


def test_the_filter_counts_the_first_refusal_of_every_pair(store):
    settings = AugmentSettings.from_options(
        {"mode": "diverse", "min_similarity": 0.5, "rare_words": {"max_rank_ratio": None}, "reciprocal": False}
    )
    junk = JunkFilter(frozenset({"the"}))
    row = store.index["calm"]
    table = {row: [("quiet", 0.9), ("Calm", 0.9), ("the", 0.8), ("3", 0.7), ("tea", 0.1)]}

    def refuse_quiet(cls, old, new):  # a guard sees only what every check let through
        return "guard_says_no" if new == "quiet" else None

    refusals: Counter = Counter()
    chain = CandidateFilter(cheap_checks(settings, junk, store.index, None), None, [refuse_quiet])
    assert chain.options(1, "calm", row, None, table, refusals) == []
    assert refusals == Counter(
        {"guard_says_no": 1, "same_word": 1, "stopword": 1, "not_a_word": 1, "below_min_similarity": 1, "accepted": 0}
    )
    refusals.clear()
    assert CandidateFilter(cheap_checks(settings, junk, store.index, None), None).options(
        1, "Calm", row, None, table, refusals
    ) == [("Quiet", 0.9)]  # cased like the old word


def test_generators_share_one_set_of_parts(store):
    seed = LicAugmenter(store, frozenset(), mode="seed", **PLAIN_FILTERS)
    diverse = LicAugmenter(store, frozenset(), mode="diverse", **PLAIN_FILTERS)
    assert seed.settings.mode == "seed" and diverse.settings.mode == "diverse"
    assert seed.parts.lookup("Calm") is None and diverse.parts.lookup("Calm") == store.index["calm"]
    assert seed.parts.core_of("calm,") == "calm," and diverse.parts.core_of("calm,") == "calm"


def test_the_evaluation_uses_public_parts_only():
    import lic_gpu.augment as augment

    for path in sorted((ROOT / "lic_gpu" / "evaluation").glob("*.py")):
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("lic_gpu.augment",):
                assert {a.name for a in node.names} <= set(augment.__all__) | {"check_sampling_strategy"}, path
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                assert not (
                    isinstance(node.value, ast.Name)
                    and node.value.id in ("self", "aug", "augmenter")
                    and node.attr in {"_variant", "_generate_diverse", "_generate_seed", "_reverse"}
                ), path


def test_resampler_takes_random_state_and_seed_is_a_deprecated_alias():
    from lic_gpu.api import LicResampler, compose_options

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # random_state alone: no warning
        cfg, _ = compose_options(LicResampler(random_state=7)._options())
    assert cfg.seed == 7 and LicResampler(random_state=7).get_params()["random_state"] == 7
    with pytest.warns(FutureWarning, match="random_state"):
        cfg, _ = compose_options(LicResampler(seed=5)._options())
    assert cfg.seed == 5
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="random_state=1 and .* seed=2 differ"):
        LicResampler(random_state=1, seed=2)._options()


@pytest.mark.parametrize("mode", ["seed", "diverse"])
def test_a_stopword_is_never_a_replacement(mode):
    """calm's nearest neighbour is the stopword "the": both modes take quiet instead (issue 25)."""
    import numpy as np

    from lic_gpu.vectors.store import EmbeddingStore
    from lic_gpu.lic import compute_lic

    store = EmbeddingStore.from_array(
        ["calm", "the", "quiet", "tea", "x"], np.array([[1, 0, 0], [1, 0.05, 0], [1, 0.3, 0], [0, 1, 0], [0, 0, 1.0]])
    )
    word_dict = {1: [(["calm", "x"], 0)], 2: [(["tea", "x"], 1), (["tea"], 2), (["x"], 3)]}
    lic = compute_lic(word_dict, method="log_odds")
    aug = LicAugmenter(
        store,
        frozenset({"the"}),
        mode=mode,
        k=3,
        min_similarity=-1.0,
        sampling_strategy={1: 2},
        **PLAIN_FILTERS,
        min_fluency=None,  # made-up vectors: the swap score (0.75 by default) would refuse calm -> quiet
    )
    assert aug.neighbour_table([store.index["calm"]])[store.index["calm"]][0][0] == "the"
    rows = aug.fit_resample(word_dict, lic).rows
    assert [s.new for r in rows for s in r.swaps] == ["quiet"]


def test_protect_false_keeps_the_notebooks_top_neighbour_even_a_stopword():
    """``augment.protect=false`` is the notebook's rule exactly: its top-1 may be a stopword."""
    import numpy as np

    from lic_gpu.vectors.store import EmbeddingStore
    from lic_gpu.lic import compute_lic

    store = EmbeddingStore.from_array(
        ["calm", "the", "quiet", "tea", "x"], np.array([[1, 0, 0], [1, 0.05, 0], [1, 0.3, 0], [0, 1, 0], [0, 0, 1.0]])
    )
    word_dict = {1: [(["calm", "x"], 0)], 2: [(["tea", "x"], 1), (["tea"], 2), (["x"], 3)]}
    lic = compute_lic(word_dict, method="log_odds")
    aug = LicAugmenter(
        store,
        frozenset({"the"}),
        mode="seed",
        k=3,
        min_similarity=-1.0,
        protect=False,
        sampling_strategy={1: 2},
        **PLAIN_FILTERS,
    )
    rows = aug.fit_resample(word_dict, lic).rows
    assert [s.new for r in rows for s in r.swaps] == ["the"]


def test_a_verb_with_its_particle_is_no_slot():
    from lic_gpu.augment.positions import phrasal_verb, skip_reason

    assert phrasal_verb(["PRP", "VBD", "RP", "DT", "NN"], 1)  # woke up an hour later
    assert phrasal_verb(["PRP", "VBD", "PRP", "RP"], 1)  # gave it up
    assert not phrasal_verb(["PRP", "VBD", "IN", "DT", "NN"], 1)  # ran up the hill: a preposition
    assert not phrasal_verb(["DT", "NN", "RP"], 1) and not phrasal_verb(["PRP", "VBD"], 1)

    class Slots:
        bare_nouns = True

        def slot(self, core, tag):
            return (tag,)

    tokens, tags = ["I", "woke", "up", "early"], ["PRP", "VBD", "RP", "RB"]
    assert skip_reason(tokens, tags, 1, "woke", True, Slots()) == ("phrasal_verb", None)
    assert skip_reason(tokens, ["PRP", "VBD", "IN", "RB"], 1, "woke", True, Slots()) == (None, ("VBD",))


def test_a_replacement_that_shares_a_lemma_is_the_same_word():
    from lic_gpu.augment.checks import Candidate, same_lemma_check
    from lic_gpu.fluency.forms import Inflector

    inflector = Inflector()
    check = same_lemma_check(inflector)
    for old, new in (("got", "gotten"), ("laid", "lay"), ("later", "late"), ("women", "woman")):
        assert inflector.same_lemma(old, new) and check(Candidate(1, old, 0, new, 0.9)) == "same_word"
    for old, new in (("shouted", "yelled"), ("big", "large")):
        assert not inflector.same_lemma(old, new) and check(Candidate(1, old, 0, new, 0.9)) is None


def test_no_replacement_echoes_another_word_of_its_sentence(tmp_path):
    """The demo default: no new word whose Porter stem another token of the source has (building buildings,
    films ... film); the sentence's other words, lowercase and stemmed, are what a replacement must avoid."""
    import json

    import pandas as pd
    from test_app import cfg

    from lic_gpu.app.augment_job import run_augment
    from lic_gpu.augment.parts import SwapParts
    from lic_gpu.fluency.porter import porter_stem
    from lic_gpu.scoring.align import tokens_of

    assert SwapParts._stems(["Building", "houses,", "we", "built"], 1) == {
        "building",
        "build",
        "we",
        "built",
    }
    run_augment(cfg("report.enabled=false"), out_dir=tmp_path)
    frame = pd.read_csv(tmp_path / "augmented_arousal.csv", keep_default_na=False, dtype=str)
    sources = frame.set_index("row_id")["label"]
    new = frame[frame["is_augmented"] == "True"]
    assert len(new) > 50
    for cell, row in zip(new["swaps"], new["source_row"]):
        toks = tokens_of(sources[row])
        for s in json.loads(cell):
            if s.get("kind") == "agreement":
                continue
            others = {porter_stem(t.lower().strip(".,!?;:\"'")) for i, t in enumerate(toks) if i != s["pos"]}
            assert porter_stem(s["new"].lower()) not in others, (sources[row], s)
