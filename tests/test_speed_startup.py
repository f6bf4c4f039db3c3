"""Start-up savings that must not change what runs (issue 23): Hydra's first composition (it only reads
``hydra.mode``) is skipped when nothing on the command line can set that key; the swap score
normalises the two GloVe rows it needs, not all 400 k."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hydra import compose, initialize_config_dir

from helpers import ROOT
from lic_gpu.app.entry import skip_mode_composition
from lic_gpu.app.schema import register


@pytest.mark.parametrize("config_name", ["augment", "evaluate"])
def test_our_configs_leave_hydra_mode_unset(config_name):
    """The premise of the skip: composing our configs gives hydra.mode None, what Hydra's look-up returns."""
    register()
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose(config_name=config_name, return_hydra_config=True)
    assert cfg.hydra.mode is None


@pytest.mark.parametrize(
    "args",
    [
        ["hydra.mode=MULTIRUN"],
        ["+hydra.mode=RUN"],
        ["emotion=valence", "--config-dir", "/somewhere"],
        ["-cd", "/somewhere"],
        ["--config-name=other"],
        ["-cp", "elsewhere"],
    ],
)
def test_the_lookup_stays_when_the_command_line_could_set_the_mode(args, monkeypatch):
    from hydra._internal.hydra import Hydra

    original = Hydra.get_mode
    assert skip_mode_composition(args) is False
    assert Hydra.get_mode is original


def test_the_lookup_is_replaced_by_its_known_answer(monkeypatch):
    from hydra._internal.hydra import Hydra

    monkeypatch.setattr(Hydra, "get_mode", Hydra.get_mode)  # restored after the test
    assert skip_mode_composition(["emotion=valence", "-m", "seed=0,1"]) is True
    assert Hydra.get_mode(None, "augment", ["emotion=valence"]) is None


@pytest.mark.slow
def test_a_mode_override_still_sweeps(tmp_path):
    """hydra.mode=MULTIRUN on the command line (no -m) is still a sweep: Hydra's own look-up ran."""
    res = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "augment.py"),
            "hydra.mode=MULTIRUN",
            "emotion=arousal,valence",
            "device=cpu",
            "report.enabled=false",
            f"hydra.sweep.dir={tmp_path / 'sweep'}",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    assert len(list((tmp_path / "sweep").rglob("summary.json"))) == 2


@pytest.mark.parametrize("order", ["C", "F"])
def test_the_score_cosine_of_two_rows_equals_normalising_the_whole_matrix(order):
    """The swap score normalises only the two rows it needs; the packaged GloVe is column-major, and
    the bits must match normalising every row first (what the score was fitted with)."""
    import numpy as np

    from lic_gpu.scoring.features import _cosine

    rng = np.random.default_rng(0)
    raw = np.array(rng.standard_normal((5000, 50)).astype(np.float32), order=order)
    full = raw.astype(np.float32)
    full /= np.linalg.norm(full, axis=1, keepdims=True) + 1e-9
    pairs = rng.integers(0, len(raw), size=(2000, 2))
    assert all(float(full[i] @ full[j]) == _cosine(raw, i, j) for i, j in pairs)


@pytest.fixture
def fresh_answers(monkeypatch):
    """The word look-ups' kept answers emptied for one test (they are per process), no store attached."""
    from lic_gpu.fluency import answer_store

    # the books of one run's settings (made by earlier tests) are left out
    books = [book for book in answer_store._BOOKS if book not in answer_store._CONTEXT_BOOKS.values()]
    monkeypatch.setattr(answer_store, "_BOOKS", books)
    monkeypatch.setattr(answer_store, "_CONTEXT_BOOKS", {})
    _new_process(answer_store, monkeypatch)
    return answer_store


def _new_process(answer_store, monkeypatch):
    """As in a new process: nothing in memory, no store attached."""
    for book in answer_store._BOOKS:
        for name in ("known", "stored", "new"):
            monkeypatch.setattr(book, name, {})
        monkeypatch.setattr(book, "read", False)
    monkeypatch.setattr(answer_store, "_STORE", [])


WORDS = ["dogs", "ran", "happier", "quickly", "women", "minutes", "advice"]


def _answers(inflector):
    return (
        [inflector.forms(w) for w in WORDS],
        [inflector.as_form(w, tag) for w in WORDS for tag in ("NNS", "VBD", "JJR", "NN")],
        [inflector.lemmas(w) for w in WORDS],
    )


def _thesaurus_answers(thesaurus):
    pairs = [("happy", "glad"), ("dogs", "cats"), ("ran", "sprinted"), ("car", "banana"), ("turn", "spin")]
    return (
        [thesaurus.related(a, b) for a, b in pairs],
        [thesaurus.substitute(a, b) for a, b in pairs],
        [thesaurus.n_related(w) for w in ("turn", "happy", "zzzz")],
    )


def _wordnet_answers(net):
    pairs = [("happy", "glad"), ("thrilled", "happy"), ("dogs", "cats"), ("huge", "massive"), ("car", "qwzx")]
    return [net.relation(a, b) for a, b in pairs]


def test_word_lookups_kept_in_the_tag_cache_give_the_same_answers(fresh_answers, tmp_path, monkeypatch):
    """A warm run reads lemminflect's, Moby's and WordNet's answers from the tag cache, loading none of them."""
    from lic_gpu.fluency import forms, thesaurus, wordnet
    from lic_gpu.fluency.taggers import TagCache

    answer_store = fresh_answers
    answer_store.attach(TagCache(tmp_path / "tags.sqlite"))
    asked = _answers(forms.Inflector())
    looked_up = _thesaurus_answers(thesaurus.Thesaurus(None))
    related = _wordnet_answers(wordnet.WordNet(None))
    assert all(book.new for book in answer_store._BOOKS if book.name != "encoder swap scores")  # not asked here
    answer_store.save()
    assert not any(book.new for book in answer_store._BOOKS)

    _new_process(answer_store, monkeypatch)

    def unavailable():
        raise AssertionError("asked although every answer was stored")

    monkeypatch.setattr(forms, "_import_lemminflect", unavailable)
    monkeypatch.setattr(thesaurus, "_moby_lines", unavailable)
    monkeypatch.setattr(wordnet, "_tables", unavailable)
    answer_store.attach(TagCache(tmp_path / "tags.sqlite"))
    assert _answers(forms.Inflector()) == asked
    assert _thesaurus_answers(thesaurus.Thesaurus(None)) == looked_up
    assert _wordnet_answers(wordnet.WordNet(None)) == related
    assert bool(thesaurus.Thesaurus(None))  # without parsing the file


def test_a_stored_answer_that_does_not_decode_is_asked_again(fresh_answers, tmp_path):
    import json

    from lic_gpu.fluency import forms, thesaurus
    from lic_gpu.fluency.taggers import TagCache

    answer_store = fresh_answers
    cache = TagCache(tmp_path / "tags.sqlite")
    cache.put_answers(forms.LEMMAS.source(), json.dumps({"dogs\x1f": "not a dict", "cats\x1f": ["a list"]}))
    cache.put_answers(thesaurus.MOBY_ANSWERS.source(), json.dumps({"R\x1fhappy\x1fglad": "yes"}))
    cache.put_answers(forms.INFLECTIONS.source(), "{not json")
    answer_store.attach(cache)
    lm = forms._import_lemminflect()
    assert forms.Inflector().lemmas("dogs") == lm.getAllLemmas("dogs")
    assert forms.Inflector().lemmas("cats") == lm.getAllLemmas("cats")
    assert thesaurus.Thesaurus(None).related("happy", "glad") is True
    assert forms.INFLECTIONS.stored == {}  # a book that does not parse is not read
    assert forms.Inflector()._inflections_of("dog", "NOUN") == lm.getAllInflections("dog", "NOUN")


def test_answers_of_another_lemminflect_version_are_not_used(fresh_answers, tmp_path, monkeypatch):
    import json

    from lic_gpu.fluency import forms
    from lic_gpu.fluency.taggers import TagCache

    answer_store = fresh_answers
    cache = TagCache(tmp_path / "tags.sqlite")
    cache.put_answers("lemminflect lemmas: lemminflect 0.0.1", json.dumps({"dogs\x1f": {"NOUN": ["wrong"]}}))
    answer_store.attach(cache)
    assert forms.Inflector().lemmas("dogs") != {"NOUN": ("wrong",)}
    cache.put_answers(forms.LEMMAS.source(), json.dumps({"dogs\x1f": {"NOUN": ["planted"]}}))
    _new_process(answer_store, monkeypatch)
    answer_store.attach(cache)
    assert forms.Inflector().lemmas("dogs") == {"NOUN": ("planted",)}  # the same version's answer is used


def test_top_words_sorts_by_lic_then_by_word_as_tuples_would():
    """top_words' vectorised sort: LIC descending, ties (equal LIC, -0.0 and 0.0 too) by word."""
    import math

    import numpy as np

    from lic_gpu.lic import compute_lic

    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(40)] + ["Zebra", "apple", "Éclair", "éclair", "b"]
    docs = {c: [list(rng.choice(vocab, size=8)) for _ in range(12)] for c in (1, 2, 3)}
    res = compute_lic(docs)
    for c in res.classes:
        row = res.host_values[res.class_index[c]]
        row[:6] = 0.5  # ties
        row[6] = -0.0
        row[7] = 0.0
        expected = sorted(
            ((w, float(v)) for w, v in zip(res.vocab, row) if not math.isnan(v)), key=lambda p: (-p[1], p[0])
        )
        assert res.top_words(c, len(res.vocab)) == expected
        assert res.top_words(c, 3) == expected[:3]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        " a  b ",
        "don't stop, we'd go!",
        "http://x.com/a?b=1 yes",
        "a@b.com #tag @me 1,400 3.5 20th",
        "rock'n'roll o'clock can't",
        "___ __init__ ...",
        "naïve café — “quoted”",
        "\ttabs\nand lines\r\n",
    ],
)
def test_words_tokenise_in_one_split_equals_the_matches(text):
    from lic_gpu.text import _WORD_RE, _split, words_tokenise

    assert words_tokenise(text) == _split(_WORD_RE, text)
    assert words_tokenise(text).detokenise() == text


def test_words_tokenise_in_one_split_equals_the_matches_on_any_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from lic_gpu.text import _WORD_RE, _split, words_tokenise

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
    def check(text):
        assert words_tokenise.__wrapped__(text) == _split(_WORD_RE, text)

    check()


def test_words_tokenise_leaves_out_only_alternatives_a_text_cannot_match():
    """The tokeniser drops the URL, e-mail, n't and apostrophe alternatives from texts without the
    characters they need (issue 23): on texts dense in exactly those characters, the tokens are the
    full pattern's."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from lic_gpu.text import _WORD_RE, _split, words_tokenise

    tricky = st.sampled_from(
        list("nNtTsSwW.:/@#_'\u2019-1a é\u017f") + ["n't", "N\u2019T", "www.", "://", "'s", "a@b.c"]
    )

    @settings(max_examples=1500, deadline=None)
    @given(st.lists(tricky, max_size=25).map("".join))
    def check(text):
        assert words_tokenise.__wrapped__(text) == _split(_WORD_RE, text)

    check()
    # each pattern variant was used (the sample above reaches them all)
    from lic_gpu.text import _SPLIT_RES

    assert len(_SPLIT_RES) >= 8
