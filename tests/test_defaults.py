"""One source of defaults: LicAugmenter(), augment_frame / LicResampler, the command line and the
evaluation all start from conf/ (issue 15: augment.k was 20 in the YAML, 10 in LicAugmenter)."""

from __future__ import annotations

import inspect

import pytest
from omegaconf import OmegaConf

from lic_gpu.io.conf_files import augment_defaults, primary_default
from lic_gpu.app.config import compose_config
from lic_gpu.evaluation import EvalSettings
from lic_gpu.evaluation.classifiers import MeanEmbeddingMLP, TfidfLogReg
from lic_gpu.evaluation.job import settings_from_config
from lic_gpu.augment.guard import LexiconGuard, RatingLeanGuard, build_guards
from lic_gpu.augment import LicAugmenter
from lic_gpu.text import load_stopwords

from helpers import family_store

STOP = load_stopwords("packaged")[0]


def plain(node):
    return OmegaConf.to_container(node, resolve=True)


def command_line(*overrides, config="augment"):
    """The composed config of ``lic-augment`` / ``lic-evaluate`` with these overrides."""
    return plain(compose_config(["device=cpu", *overrides], config_name=config))


@pytest.fixture(scope="module")
def store():
    return family_store([["calm", "quiet"], ["joy", "glee"]], ["table", "chair"])


def augmenter_options(aug: LicAugmenter) -> dict:
    """The options a LicAugmenter ended up with, in the config's shape."""
    return {
        "mode": aug.mode,
        "sampling_strategy": aug.sampling_strategy,
        "k": aug.k,
        "max_swaps": aug.max_swaps,
        "min_similarity": aug.min_similarity,
        "max_per_source": aug.max_per_source,
        "attempts_per_row": aug.attempts_per_row,
        "protect": aug.protect,
        "reciprocal": aug.reciprocal,
        "rare_words": {"max_rank_ratio": aug.max_rank_ratio, "free_rank": aug.free_rank},
        "thesaurus": aug.thesaurus.name if aug.thesaurus else None,
        "wordnet": aug.wordnet,
        "grammar": sorted(aug.grammar.pos) if aug.grammar else None,
        "guards": [type(g).__name__ for g in aug.guards],
        "seed": aug.seed,
    }


def config_options(cfg: dict) -> dict:
    """The same view of a composed config (the ``augment`` group and the top-level ``seed``)."""
    aug = cfg["augment"]
    guards, _ = build_guards(aug)
    return {
        "mode": aug["mode"],
        "sampling_strategy": aug["sampling_strategy"],
        "k": aug["k"],
        "max_swaps": aug["max_swaps"],
        "min_similarity": aug["min_similarity"],
        "max_per_source": aug["max_per_source"],
        "attempts_per_row": aug["attempts_per_row"],
        "protect": aug["protect"],
        "reciprocal": aug["reciprocal"],
        "rare_words": aug["rare_words"],
        "thesaurus": aug["thesaurus"] if aug["mode"] == "diverse" else None,
        "wordnet": aug["wordnet"],
        "grammar": (sorted(aug["grammar"]["pos"]) if aug["mode"] == "diverse" and aug["grammar"]["enabled"] else None),
        "guards": [type(g).__name__ for g in guards],
        "seed": cfg["seed"],
    }


def test_the_yaml_defaults_are_the_composed_ones():
    cli = command_line()["augment"]
    assert augment_defaults() == cli and cli["k"] == 20 and cli["max_swaps"] == 1
    seed = command_line("augment=seed")["augment"]
    filled = augment_defaults("seed")
    assert {k: v for k, v in filled.items() if k != "guard"} == {k: v for k, v in seed.items() if k != "guard"}
    assert filled["guard"]["enabled"] is seed["guard"]["enabled"] is False


@pytest.mark.parametrize("mode", [None, "seed"])
def test_lic_augmenter_defaults_are_the_command_lines(store, mode):
    cli = command_line(*([f"augment={mode}"] if mode else []))
    aug = LicAugmenter(store, STOP) if mode is None else LicAugmenter(store, STOP, mode=mode)
    assert augmenter_options(aug) == config_options(cli)
    if mode is None:
        lean = next(g for g in aug.guards if isinstance(g, RatingLeanGuard))
        corpus = cli["augment"]["guard"]["corpus"]
        assert (lean.margin, lean.neighbours, lean.model, lean.scope) == (
            corpus["margin"],
            corpus["neighbours"],
            corpus["model"],
            corpus["emotions"],
        )
        lexicon = next(g for g in aug.guards if isinstance(g, LexiconGuard))
        assert lexicon.dead_zone == cli["augment"]["guard"]["lexicon"]["dead_zone"]
        assert lexicon.keep_affect == cli["augment"]["guard"]["lexicon"]["keep_affect"]


def test_from_options_fills_what_it_is_not_given_from_the_yaml(store):
    aug = LicAugmenter.from_options({"mode": "diverse", "k": 7}, store, STOP)
    cli = command_line()["augment"]
    assert aug.k == 7 and aug.max_swaps == cli["max_swaps"] and aug.max_per_source == cli["max_per_source"]
    assert aug.reciprocal is cli["reciprocal"] and aug.max_rank_ratio == cli["rare_words"]["max_rank_ratio"]


def test_augment_frame_and_the_resampler_compose_the_command_lines_defaults():
    from lic_gpu.api import LicResampler, compose_options

    cfg, _ = compose_options({})
    assert plain(cfg.augment) == command_line()["augment"] and cfg.seed == command_line()["seed"]
    cfg, _ = compose_options(LicResampler()._options())
    assert plain(cfg.augment) == command_line()["augment"]


def test_the_evaluation_has_the_command_lines_defaults():
    composed = settings_from_config(compose_config(["device=cpu"], config_name="evaluate"))
    default = EvalSettings(emotions=composed.emotions)
    # seed mode's guard options are left out of seed.yaml (it only switches them off); the Python
    # default fills them in from diverse.yaml, which changes nothing: they are off
    assert default.augment_seed["guard"]["enabled"] is composed.augment_seed["guard"]["enabled"] is False
    default.augment_seed["guard"] = composed.augment_seed["guard"]
    assert default == composed
    assert default.augment_diverse == command_line()["augment"]
    assert default.augment_seed == command_line("augment=seed")["augment"]


@pytest.mark.parametrize("cls, key", [(TfidfLogReg, "tfidf"), (MeanEmbeddingMLP, "mlp")])
def test_classifier_options_come_from_evaluate_yaml(cls, key):
    yaml = primary_default("evaluate", key)
    params = inspect.signature(cls).parameters
    assert set(yaml) <= set(params)
    mlp = cls(None) if cls is MeanEmbeddingMLP else cls()
    if cls is MeanEmbeddingMLP:
        assert (mlp.hidden, mlp.epochs, mlp.batch_size, mlp.lr, mlp.weight_decay) == (
            yaml["hidden"],
            yaml["epochs"],
            yaml["batch_size"],
            yaml["lr"],
            yaml["weight_decay"],
        )
    else:
        assert mlp.vectoriser.ngram_range == (1, yaml["ngram_max"]) and mlp.vectoriser.min_df == yaml["min_df"]
        assert (mlp.model.C, mlp.model.max_iter) == (yaml["C"], yaml["max_iter"])


# every key a user can set is documented: the composed configs' leaves against the configuration pages
_GROUP_CHOICES = (
    [],
    ["data=csv"],
    ["data=seed_csv"],
    ["data=emobank"],
    ["embeddings=file"],
    ["caps=rectangle"],
    ["augment=seed"],
)
# `kind` names which option of a group was chosen (data=csv sets data.kind=csv); it is set by the group, not by hand
_SET_BY_THE_GROUP = {"kind"}


def _leaves(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}" if path else str(key))
    else:
        yield path


def _undocumented(config_name: str, choices, pages) -> set[str]:
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs"
    text = "".join((docs / page).read_text(encoding="utf-8") for page in pages)
    missing = set()
    for overrides in choices:
        composed = OmegaConf.to_container(compose_config(overrides, config_name=config_name), resolve=False)
        for path in _leaves(composed):
            leaf = path.rsplit(".", 1)[-1]
            if leaf in _SET_BY_THE_GROUP or path.startswith("hydra"):
                continue
            if not re.search(rf"(?<!\w){re.escape(leaf)}(?!\w)", text):
                missing.add(path)
    return missing


def test_every_augment_key_is_in_the_configuration_page():
    assert _undocumented("augment", _GROUP_CHOICES, ["configuration.md"]) == set()


def test_every_evaluate_key_is_in_the_configuration_or_evaluation_page():
    assert _undocumented("evaluate", [[]], ["configuration.md", "evaluation.md"]) == set()


def test_score_swaps_scores_as_a_default_run_does():
    """``score_swaps(sources, news)`` is the score a default run writes in its ``fluency`` column: the YAML's
    ``augment.encoder`` of the default mode decides whether the encoder stage's model scores it."""
    import numpy as np

    from lic_gpu import score_swaps
    from lic_gpu.io.conf_files import augment_defaults

    pair = (["The children played in the park."], ["The kids played in the park."])
    default = augment_defaults()["encoder"]
    np.testing.assert_array_equal(score_swaps(*pair), score_swaps(*pair, encoder=bool(default)))
