"""The per-process memos of issue 23's second speed round give the same answers as the uncached calls."""

from __future__ import annotations

import lemminflect
import pandas as pd
import pytest

from lic_gpu.fluency.forms import Inflector
from lic_gpu.fluency.thesaurus import Thesaurus
from lic_gpu.text import whitespace_tokenise, words_tokenise


@pytest.mark.parametrize("word", ["running", "geese", "better", "zzzqx"])
def test_memoised_lemmas_are_lemminflects_and_a_callers_change_does_not_stick(word):
    inflector = Inflector()
    first = inflector.lemmas(word)
    assert first == lemminflect.getAllLemmas(word)
    first["NOUN"] = ("changed",)  # a caller's own copy
    assert Inflector().lemmas(word) == lemminflect.getAllLemmas(word)
    assert inflector.gender("daughters") == "female"  # the upos-specific look-ups still answer


def test_two_moby_thesauri_share_one_parse_and_answer_alike():
    a, b = Thesaurus(None, Inflector()), Thesaurus(None)
    assert a._lines is b._lines  # parsed once per process
    assert len(a) == len(b) > 30_000
    assert a.substitute("happy", "glad") == b.substitute("happy", "glad") is True


def test_a_user_thesaurus_file_is_read_on_its_own(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("happy, glad ,cheerful\n")
    th = Thesaurus(path)
    assert len(th) == 1 and th.related("happy", "cheerful")
    assert not Thesaurus(None).related("happy", "zzzqx")


@pytest.mark.parametrize("tokenise", [words_tokenise, whitespace_tokenise])
def test_memoised_tokenisers_give_the_same_immutable_answer(tokenise):
    text = "It's  a test, isn't it?"
    first = tokenise(text)
    assert tokenise(text) is first  # one split per distinct sentence
    assert first.detokenise() == text
    with pytest.raises(AttributeError):
        first.tokens = ()  # frozen: sharing the answer is safe


def _omegaconf_read(path):
    from omegaconf import OmegaConf

    node = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    return node if isinstance(node, dict) else {}


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_the_fast_yaml_reader_reads_every_config_as_omegaconf_does(tmp_path):
    from lic_gpu.io.conf_files import config_dir, load_yaml

    files = sorted(config_dir().rglob("*.yaml"))
    assert len(files) > 10
    for path in files:
        assert _same(load_yaml(path), _omegaconf_read(path)), path
    odd = tmp_path / "odd.yaml"
    odd.write_text("a: 1e-3\nb: 2024-01-01\nc: ${x.y}\nd: ???\ne: 1_000\ng: [1, 2.5, no]\nh: null\n")
    assert _same(load_yaml(odd), _omegaconf_read(odd))
    assert load_yaml(odd)["a"] == 0.001 and load_yaml(odd)["b"] == "2024-01-01"  # YAML 1.2 floats, no dates


def test_the_fast_yaml_reader_refuses_a_duplicate_key(tmp_path):
    import yaml

    from lic_gpu.io.conf_files import load_yaml

    dup = tmp_path / "dup.yaml"
    dup.write_text("a: 1\na: 2\n")
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate key"):
        load_yaml(dup)


def test_the_swap_scores_tags_come_from_the_tag_cache_on_a_rerun(tmp_path, monkeypatch):
    from lic_gpu.fluency.taggers import TagCache
    from lic_gpu.scoring import features
    from lic_gpu.scoring.features import pair_features

    _, _, tagger = features._lexicon()
    if tagger is None:
        pytest.skip("no spaCy model installed")
    monkeypatch.setenv("LIC_GPU_CACHE", str(tmp_path))
    src, new = ["The calm lake was quiet today."], ["The calm lake was silent today."]
    first = pair_features(src, new)
    cache = TagCache(tmp_path / "tags.sqlite")
    keys = [TagCache.key(t) for t in (features.tokens_of(src[0]), features.tokens_of(new[0]))]
    assert set(cache.get(tagger.name, keys)) == set(keys)  # both sentences' tags were stored

    def no_tagging(sentences):
        raise AssertionError("tagged again although the tags are cached")

    monkeypatch.setattr(tagger, "tag", no_tagging)
    again = pair_features(src, new)
    pd.testing.assert_frame_equal(first, again)
