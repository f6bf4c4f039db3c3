"""Tokenisers put sentences back together exactly; stopwords come from nltk or the packaged list."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lic_gpu.errors import LicGpuError
from lic_gpu.text import (
    check_tokeniser,
    load_stopwords,
    packaged_stopwords,
    split_edge_punctuation,
    whitespace_tokenise,
    words_tokenise,
)

from helpers import SHARED


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
@pytest.mark.parametrize("tok", [whitespace_tokenise, words_tokenise])
def test_round_trip_any_text(tok, text):
    assert tok(text).detokenise() == text


def test_whitespace_is_str_split():
    s = "  I  didn't know,  did you?\tNo.\n"
    assert list(whitespace_tokenise(s).tokens) == s.split()


def test_words_splits_clitics_and_punctuation_keeps_inner_apostrophes():
    t = words_tokenise("\"Don\u2019t\" go -- it's 3,666 dollars at five o'clock, rock'n'roll!")
    assert t.tokens == (
        '"',
        "Do",
        "n\u2019t",
        '"',
        "go",
        "-",
        "-",
        "it",
        "'s",
        "3,666",
        "dollars",
        "at",
        "five",
        "o'clock",
        ",",
        "rock'n'roll",
        "!",
    )
    assert words_tokenise("I can't, we'd, they've, I'M").tokens == (
        "I",
        "ca",
        "n't",
        ",",
        "we",
        "'d",
        ",",
        "they",
        "'ve",
        ",",
        "I",
        "'M",
    )


@pytest.mark.parametrize(
    "whole",
    [
        "https://example.org/a?b=1&c=2",
        "www.example.com/x",
        "arunrob@gmail.com",
        "first.last+tag@mail.co.uk",
        "@someone",
        "#happy",
        "01:39",
        "12/05/2020",
        "10003-9562",
        "1,400",
        "3.5",
        "1990s",
        "20th",
        "3pm",
    ],
)
def test_words_keeps_urls_emails_mentions_numbers_and_times_whole(whole):
    t = words_tokenise(f"See {whole}, then.")
    assert t.tokens == ("See", whole, ",", "then", ".")


def test_detokenise_with_replacements_keeps_spacing():
    t = words_tokenise("I was  thrilled, really.")
    toks = list(t.tokens)
    toks[2] = "delighted"
    assert t.detokenise(toks) == "I was  delighted, really."


def test_edge_punctuation():
    assert split_edge_punctuation('"Hello,') == ('"', "Hello", ",")
    assert split_edge_punctuation("--") == ("--", "", "")
    assert split_edge_punctuation("don't") == ("", "don't", "")


def test_packaged_stopwords_equal_nltk_list_file():
    path = SHARED / "data" / "stopwords_english.txt"
    if not path.exists():
        pytest.skip("../shared not present")
    assert packaged_stopwords() == frozenset(path.read_text().split())


def test_stopword_options():
    words, origin = load_stopwords("packaged", extra=["Um"], remove=["the"])
    assert origin == "packaged" and "um" in words and "the" not in words
    assert load_stopwords("none")[0] == frozenset()
    assert load_stopwords("auto")[1] in ("nltk", "packaged")
    with pytest.raises(LicGpuError, match="stopwords.source"):
        load_stopwords("french")
    with pytest.raises(LicGpuError, match="tokenizer must be one of"):
        check_tokeniser("spacy")


def _stopwords_in_fresh_process(env_extra: dict) -> list:
    code = (
        "import json, sys; from lic_gpu.text import load_stopwords; w, o = load_stopwords('auto'); "
        "print(json.dumps([o, len(w), 'nltk' in sys.modules, sorted(w)[:3]]))"
    )
    env = {**os.environ, **env_extra}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def test_auto_stopwords_take_nltk_data_when_installed(tmp_path):
    pytest.importorskip("nltk")
    (tmp_path / "corpora" / "stopwords").mkdir(parents=True)
    (tmp_path / "corpora" / "stopwords" / "english").write_text("alpha\nbeta\n")
    origin, n, imported, first = _stopwords_in_fresh_process({"NLTK_DATA": str(tmp_path)})
    assert (origin, n, imported, first) == ("nltk", 2, True, ["alpha", "beta"])


def test_auto_stopwords_skip_the_nltk_import_without_its_data(tmp_path):
    from lic_gpu.text import nltk_stopwords_installed

    if nltk_stopwords_installed():
        pytest.skip("nltk's stopwords are installed on this machine")
    origin, n, imported, _ = _stopwords_in_fresh_process({"NLTK_DATA": str(tmp_path)})
    assert (origin, n, imported) == ("packaged", len(packaged_stopwords()), False)
