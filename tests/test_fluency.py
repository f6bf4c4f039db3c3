"""Fluent new rows: protected tokens, forms, thesaurus, tag cache, and the promises on EmoBank output."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from lic_gpu.errors import LicGpuError
from lic_gpu.fluency import (
    Grammar,
    Inflector,
    LexiconTagger,
    TagCache,
    Thesaurus,
    indefinite_article,
    load_thesaurus,
    possessive_marker,
    protected_reason,
)

from helpers import EMOBANK, needs_shared


@pytest.mark.parametrize(
    "token, reason",
    [
        ("not", "negation"),
        ("n't", "negation"),
        ("n\u2019t", "negation"),
        ("Never", "negation"),
        ("without", "negation"),
        ("cannot", "negation"),
        ("hardly", "negation"),
        ("I", "pronoun"),
        ("themselves", "pronoun"),
        ("everything", "pronoun"),
        ("3", "number"),
        ("1,400", "number"),
        ("01:39", "number"),
        ("twelve", "number"),
        ("Tuesday", "time"),
        ("tonight", "time"),
        ("Winter", "time"),  # a season: "this spring I planted" -> "this winter" changes the facts
        ("evening", "time"),  # a time of day: "dinner that evening" -> "that afternoon"
        ("https://x.org/a", "url"),
        ("www.x.com", "url"),
        ("a@b.com", "email"),
        ("@bob", "mention"),
        ("#joy", "hashtag"),
        (",", "punctuation"),
        ("...", "punctuation"),
        ("'s", "punctuation"),
    ],
)
def test_protected_tokens(token, reason):
    assert protected_reason(token) == reason


@pytest.mark.parametrize("token", ["happy", "Walked", "well-known", "o'clock", "car"])
def test_plain_words_are_not_protected(token):
    assert protected_reason(token) is None


@pytest.fixture(scope="module")
def inflector():
    return Inflector()


@pytest.mark.parametrize(
    "word, tag, expected",
    [
        ("smiled", "VBD", "smiled"),  # already the wanted form
        ("laughing", "VBD", "laughed"),  # an inflected verb, re-inflected
        ("wrote", "VBN", "written"),
        ("smiled", "VBN", "smiled"),  # lemminflect leaves out a participle equal to the past
        ("happy", "JJR", "happier"),
        ("thing", "NNS", "things"),
        ("minutes", "NN", "minute"),
        ("well", "VBD", None),  # a base form of several parts of speech: not turned into a verb
        ("sitting", "NN", None),  # an inflected verb is not taken as a noun
        ("talk", "NNS", None),  # noun/verb base form: no re-inflection
        ("fun", "NNS", None),  # a mass noun in a plural slot
        ("leukotriene", "NN", None),  # unknown to lemminflect
    ],
)
def test_forms(inflector, word, tag, expected):
    assert inflector.as_form(word, tag) == expected


def test_antonyms_and_gender(inflector):
    assert inflector.opposite("lower", "higher") and inflector.opposite("low", "high")
    assert inflector.opposite("Summer", "winter") and not inflector.opposite("low", "small")
    assert inflector.gender("daughters") == "female" and inflector.gender("brother") == "male"
    assert inflector.gender("child") is None
    # compounds carry the gender of their last part (an audit read "Susan Buchanan, a spokesman")
    assert inflector.gender("spokeswoman") == "female" and inflector.gender("spokesmen") == "male"
    assert inflector.gender("chairman") == "male" and inflector.gender("businesswomen") == "female"
    assert all(
        inflector.gender(w) is None
        for w in ("human", "humans", "German", "shaman", "talisman", "omen", "specimen", "abdomen")
    )
    assert inflector.opposite("cool", "hot")
    # closed classes: a body part is not a substitute for another, nor an animal for a person
    assert inflector.not_a_substitute("heart", "stomach") and inflector.not_a_substitute("hands", "fingers")
    assert inflector.not_a_substitute("baby", "pet") and inflector.not_a_substitute("dogs", "children")
    assert not inflector.not_a_substitute("baby", "toddler") and not inflector.not_a_substitute("shop", "store")
    assert inflector.not_a_substitute("horses", "dogs") and inflector.not_a_substitute("cats", "elephants")
    assert inflector.kind("Elbows") == "body" and inflector.kind("idea") is None
    # a person is not a group of people (readers failed "people were screaming -> families were ...")
    assert inflector.not_a_substitute("people", "families") and inflector.not_a_substitute("crowd", "woman")
    assert not inflector.not_a_substitute("families", "households") and not inflector.not_a_substitute("women", "girls")
    # a family relation is not another ("my sister gave birth ... I'm an aunt" -> "my mother"), nor a colour
    # another ("Black Monday" -> "White Monday"); a relation for a plain person word is left to the others
    assert inflector.not_a_substitute("sister", "mother") and inflector.not_a_substitute("Nieces", "aunts")
    assert inflector.not_a_substitute("parents", "children") and inflector.not_a_substitute("Black", "white")
    assert not inflector.not_a_substitute("daughter", "girl") and not inflector.not_a_substitute("children", "kids")
    assert inflector.not_a_substitute("red", "crimson") and not inflector.not_a_substitute("dark", "gray")
    # units of measure and money: the quantity changes (plurals through their lemma)
    assert inflector.not_a_substitute("feet", "meters") and inflector.not_a_substitute("dollars", "euros")
    assert inflector.not_a_substitute("miles", "kilometres") and not inflector.not_a_substitute("miles", "distance")


def test_indefinite_article():
    assert indefinite_article("apple") == "an" and indefinite_article("pear") == "a"
    assert indefinite_article("hour") == "an" and indefinite_article("university") == "a"
    assert indefinite_article("apple", "A") == "An" and indefinite_article("pear", "AN") == "A"


def test_possessive_agrees_with_a_plural_replacement():
    # women's -> girls' (a plural in s takes the bare apostrophe); a singular in s keeps 's
    assert possessive_marker("girls", "'s") == "'" and possessive_marker("Families", "\u2019s") == "\u2019"
    assert possessive_marker("boss", "'s") == "'s" and possessive_marker("news", "'s") == "'s"
    assert possessive_marker("girl", "'s") == "'s" and possessive_marker("girls", "n't") == "n't"


def test_apply_swaps_makes_the_possessive_agree():
    from lic_gpu.augment.positions import Position, apply_swaps
    from lic_gpu.scoring.align import align_swaps
    from lic_gpu.text import words_tokenise

    t = words_tokenise("Male sweat boosts women's hormone levels")
    tokens, swaps = apply_swaps(t.tokens, [Position(3, "", "women", "", 1.0, [])], [("girls", 0.8)])
    assert t.detokenise(tokens) == "Male sweat boosts girls' hormone levels"
    assert [(s.old, s.new, s.kind) for s in swaps] == [("women", "girls", "swap"), ("'s", "'", "agreement")]
    # the score's aligner sees one swap, not two
    assert [(s.old, s.new) for s in align_swaps(t.tokens, tuple(tokens))] == [("women", "girls")]


def test_thesaurus_relates_substitutes_not_associates(tmp_path, inflector):
    th = Thesaurus(None, inflector)
    assert th.related("laughed", "smiled") and th.related("presents", "gifts")  # via lemmas
    assert not th.related("car", "passenger") and not th.related("brakes", "valves")
    assert th.related("hand", "turn") and not th.substitute("hand", "turn")  # 'turn' lists > 400 words
    own = tmp_path / "th.csv"
    own.write_text("joy,delight,glee\nfear,dread\n", encoding="utf-8")
    mine = load_thesaurus(str(own), inflector)
    assert mine.related("joy", "glee") and mine.related("dread", "fear") and not mine.related("joy", "fear")
    assert load_thesaurus(None) is None
    for bad in ("nope.csv", 3):
        with pytest.raises(LicGpuError, match="augment.thesaurus"):
            load_thesaurus(bad)


class FixedTagger:
    """Tags from a dict (word -> tag), 'NN' otherwise; counts the sentences it was asked about."""

    name = "fixed"

    def __init__(self, tags):
        self.tags, self.calls = tags, 0

    def tag(self, sentences):
        self.calls += len(sentences)
        return [tuple(self.tags.get(w.lower(), "NN") for w in s) for s in sentences]


def test_grammar_uses_the_slot_and_the_usual_part_of_speech(tmp_path):
    tagger = FixedTagger({"sell": "VB", "necessary": "JJ", "laughing": "VBG", "smiled": "VBD", "happy": "JJ"})
    g = Grammar(tagger, pos=["NOUN", "VERB", "ADJ"], cache=TagCache(tmp_path / "t.sqlite"))
    assert g.slot("offer", "NN") == ("NN",) and g.slot("was", "AUX") is None and g.slot("Bob", "NNP") is None
    assert g.fit("sell", ("NN",)) is None  # usually a verb
    assert g.fit("necessary", ("NN",)) is None  # usually an adjective
    assert g.fit("laughing", ("VBD",)) == "laughed"
    assert Grammar(tagger, pos=["NOUN"]).slot("laughed", "VBD") is None  # verbs not asked for
    with pytest.raises(LicGpuError, match="augment.grammar.pos"):
        Grammar(tagger, pos=["NOUN", "NUM"])


def test_lexicon_fallback_needs_a_shared_form():
    g = Grammar(LexiconTagger(), pos=["NOUN", "VERB", "ADJ", "ADV"])
    assert not g.in_context and g.tag_rows({0: ("a", "b")}) == {0: None}
    slot = g.slot("cheese", None)
    assert slot == ("NN",)
    assert g.fit("bread", slot) == "bread" and g.fit("quickly", slot) is None


def test_tag_cache_round_trip_and_damaged_file(tmp_path, caplog):
    tagger = FixedTagger({"ran": "VBD"})
    g = Grammar(tagger, cache=TagCache(tmp_path / "tags.sqlite"))
    first = g.tag_rows({0: ("We", "ran"), 1: ("It", "rained")})
    again = Grammar(FixedTagger({}), cache=TagCache(tmp_path / "tags.sqlite"))
    assert again.tag_rows({0: ("We", "ran")}) == {0: first[0]} and again.tagger.tagged_now == 0
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with caplog.at_level("WARNING"):
        g = Grammar(FixedTagger({"ran": "VBD"}), cache=TagCache(bad))
        assert g.tag_rows({0: ("We", "ran")})[0] == ("NN", "VBD")
    assert "tag cache" in caplog.text and "damaged" in caplog.text
    caplog.clear()
    healed = Grammar(FixedTagger({}), cache=TagCache(bad))  # made anew: the answer was kept
    with caplog.at_level("WARNING"):
        assert healed.tag_rows({0: ("We", "ran")})[0] == ("NN", "VBD") and healed.tagger.tagged_now == 0
    assert not caplog.text
    # an answer that does not fit its sentence (wrong number of tags) is tagged again
    import sqlite3

    with sqlite3.connect(bad) as db:
        db.execute("UPDATE tags SET tags = 'NN'")
    again = Grammar(FixedTagger({"ran": "VBD"}), cache=TagCache(bad))
    assert again.tag_rows({0: ("We", "ran")})[0] == ("NN", "VBD") and again.tagger.tagged_now == 1


# ---------------------------------------------------------------- the promises, on EmoBank output

_LETTERS = re.compile(r"^[^\W\d_]+$")


@pytest.fixture(scope="module")
def emobank_run(tmp_path_factory):
    if not EMOBANK.exists():
        pytest.skip("EmoBank is not present in ../shared")
    from test_app import cfg as compose_cfg
    from lic_gpu.app.augment_job import run_augment

    out = tmp_path_factory.mktemp("emobank")
    cfg = compose_cfg(
        *[
            "data=emobank",
            f"data.path={EMOBANK / 'emobank.csv'}",
            "emotion=[arousal,valence]",
            "report.enabled=false",
            "report.quality_sample=200",
        ]
    )
    summary = run_augment(cfg, out_dir=out)
    return out, summary


@needs_shared
def test_emobank_swaps_are_words_and_never_protected(emobank_run):
    from lic_gpu.text import words_tokenise

    out, summary = emobank_run
    frame = pd.read_csv(out / "balanced.csv", keep_default_na=False, dtype=str)
    new = frame[frame["is_augmented"] == "True"]
    assert len(new) > 120  # arousal + valence at min_fluency 0.75, the WordNet check and the encoder stage: 145 rows
    originals = frame[frame["is_augmented"] != "True"]
    source_text = dict(zip(originals["row_id"], originals["text"]))
    bad, glued = [], []
    for _, row in new.iterrows():
        src = words_tokenise(source_text[row["source_row"]]).tokens
        now = words_tokenise(row["text"]).tokens
        swaps = json.loads(row["swaps"])
        # the new sentence reads back as the same tokens except at the swapped positions
        changed = [i for i, (a, b) in enumerate(zip(src, now)) if a != b] if len(src) == len(now) else None
        if changed != sorted(s["pos"] for s in swaps):
            glued.append((source_text[row["source_row"]], row["text"]))
        for s in swaps:
            if s.get("kind") == "agreement":
                pair = (s["old"].lower(), s["new"].lower())
                assert set(pair) <= {"a", "an"} or pair in (("'s", "'"), ("\u2019s", "\u2019")), pair
                continue
            for word in (s["old"], s["new"]):
                if not _LETTERS.match(word) or protected_reason(word):
                    bad.append((s["old"], s["new"]))
    assert not bad, bad[:10]
    assert not glued, glued[:5]


@needs_shared
def test_emobank_new_rows_are_unique_and_limited_per_source(emobank_run):
    out, summary = emobank_run
    frame = pd.read_csv(out / "balanced.csv", keep_default_na=False, dtype=str)
    key = frame["text"].str.casefold().str.split().str.join(" ")
    is_new = frame["is_augmented"] == "True"
    assert not set(key[is_new]) & set(key[~is_new])  # no new row equals any original, of any class
    assert not key[is_new].duplicated().any()  # nor another new row (also across emotions)
    per_source = frame[is_new].groupby(["augmented_for", "source_row"]).size()
    assert per_source.max() <= 10
    for emotion in ("arousal", "valence"):
        q = summary["emotions"][emotion]["quality"]
        assert q["variants_per_source"]["max"] <= 10
        assert q["part_of_speech"]["checked_swaps"] > 50 and q["part_of_speech"]["pos_kept"] is not None
        for cls, rep in summary["emotions"][emotion]["classes"].items():
            if rep["generated"] < rep["requested"]:
                assert rep["shortfall_reason"]  # every class that falls short says why


def test_bare_singular_nouns_are_found_by_their_noun_phrase():
    """A singular noun with no determiner, possessive or number in its noun phrase is bare."""
    from lic_gpu.fluency import bare_singular_noun

    # back to town . / after dinner , / help with cooking
    assert bare_singular_noun(("RB", "IN", "NN", "."), 2)
    assert bare_singular_noun(("IN", "NN", ","), 1)
    # the town, my old town, two big heavy bars, the first-rate job: determined
    assert not bare_singular_noun(("IN", "DT", "NN"), 2)
    assert not bare_singular_noun(("PRP$", "JJ", "NN"), 2)
    assert not bare_singular_noun(("DT", "JJ", "HYPH", "JJ", "NN"), 4)
    # plural nouns and adjectives are never bare singular nouns
    assert not bare_singular_noun(("IN", "NNS"), 1) and not bare_singular_noun(("IN", "JJ"), 1)
    # a sentence that starts with the noun (Furniture .) has nothing before it
    assert bare_singular_noun(("NN", "."), 0)


def test_tag_cache_switch_also_covers_the_score_and_quality_taggers(tmp_path, monkeypatch):
    # augment.grammar.tag_cache=false: the swap score's and the quality measure's taggers write no tags.sqlite
    from lic_gpu.fluency import taggers
    from lic_gpu.fluency.grammar import build_grammar

    monkeypatch.setenv("LIC_GPU_CACHE", str(tmp_path))
    monkeypatch.setattr(taggers, "_shared_off", False)
    build_grammar({"mode": "seed", "grammar": {"tag_cache": False}})
    assert taggers.shared_tag_cache() is None
    build_grammar({"mode": "seed"})
    cache = taggers.shared_tag_cache()
    assert cache is not None and cache.path == tmp_path / "tags.sqlite"
