"""The data layer: merging the notebook's two CSVs, single CSVs, EmoBank, encodings and classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lic_gpu.classes import build_word_dict, class_labels
from lic_gpu.io.data import load_csv, load_demo, load_emobank, load_seed_csv, read_table
from lic_gpu.errors import LicGpuError
from lic_gpu.text import whitespace_tokenise

from helpers import EMOBANK, needs_shared


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def two_csvs(tmp_path):
    words = write(
        tmp_path / "words.csv",
        'sub,episode,segment,label\ns1,e1,0,I was calm today\ns1,e1,1,"We ran, screaming"\ns2,e1,0,NA\ns2,e1,1,null\n',
    )
    ratings = write(
        tmp_path / "ratings.csv",
        "sub,episode,segment,start,end,arousal,valence\n"
        "s1,e1,0,0.0,1.5,2,5\ns1,e1,1,1.5,3.0,6,\ns2,e1,0,0,1,4,4\ns2,e1,1,1,2,4.5,3\n",
    )
    return words, ratings


def test_merge_keeps_one_row_per_sentence_and_texts(two_csvs):
    c = load_seed_csv(*two_csvs)
    assert len(c.frame) == 4
    assert c.rating_columns == ("arousal", "valence")  # start/end are not ratings
    assert c.texts == ["I was calm today", "We ran, screaming", "NA", "null"]
    assert np.isnan(c.frame.loc[1, "valence"])
    assert list(c.frame.columns[:4]) == ["sub", "episode", "segment", "label"]


def test_inputs_are_not_modified(two_csvs):
    before = [p.read_bytes() for p in two_csvs]
    load_seed_csv(*two_csvs)
    assert [p.read_bytes() for p in two_csvs] == before


def test_duplicate_rating_ids_are_named(two_csvs, tmp_path):
    words, ratings = two_csvs
    dup = write(tmp_path / "dup.csv", ratings.read_text() + "s1,e1,1,9,9,3,3\n")
    with pytest.raises(LicGpuError, match=r"s1/e1/1"):
        load_seed_csv(words, dup)


def test_missing_columns_list_what_exists(two_csvs, tmp_path):
    words, ratings = two_csvs
    bad = write(tmp_path / "w.csv", "sub,episode,seg,label\ns1,e1,0,hi\n")
    with pytest.raises(LicGpuError, match=r"missing id/text column\(s\) \['segment'\].*columns present"):
        load_seed_csv(bad, ratings)


def test_non_numeric_rating_is_named(two_csvs, tmp_path):
    words, _ = two_csvs
    ratings = write(tmp_path / "r.csv", "sub,episode,segment,arousal\ns1,e1,0,high\n")
    with pytest.raises(LicGpuError, match=r"'arousal'.*'high'"):
        load_seed_csv(words, ratings, rating_columns=["arousal"])


def test_latin1_file_read_as_utf8_suggests_option(tmp_path):
    p = write(tmp_path / "l1.csv", "text,arousal\ncaf\u00e9 time,3\n", encoding="latin1")
    with pytest.raises(LicGpuError, match=r"l1.csv.*data.encoding=latin1"):
        load_csv(p)
    assert load_csv(p, encoding="latin1").texts == ["caf\u00e9 time"]


def test_bom_and_crlf(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes('\ufefftext,arousal\r\n"multi\r\nline, text",3\r\n'.encode("utf-8"))
    c = load_csv(p)
    assert c.frame.columns[0] == "text" and c.frame.loc[0, "arousal"] == 3


def test_missing_file():
    with pytest.raises(LicGpuError, match="not found"):
        read_table("/no/such/file.csv")


def test_class_binning_options():
    s = pd.Series([1.0, 2.5, 3.49, np.nan, 4.0])
    assert class_labels(s, "a", "round_half_up").labels.tolist()[:3] == [1, 3, 3]
    auto = class_labels(s, "a")
    assert auto.binning == "round_half_up" and auto.n_missing == 1
    assert class_labels(pd.Series([1.0, 2.0]), "a").binning == "integer"
    with pytest.raises(LicGpuError, match="fractional"):
        class_labels(s, "a", "integer")
    edges = class_labels(s, "a", [1, 2, 3, 5]).labels.tolist()
    assert edges[:3] == [1, 2, 3] and edges[4] == 3
    with pytest.raises(LicGpuError, match="every rating"):
        class_labels(pd.Series([np.nan, np.nan]), "a")


def test_class_errors_name_the_file_and_write_plain_numbers():
    # numpy 2 writes a float64's repr as np.float64(99.0): the message shows the number as in the file
    s = pd.Series([1.0, 2.5, 99.0])
    with pytest.raises(LicGpuError) as err:
        class_labels(s, "arousal", "integer", source="ratings.csv")
    assert str(err.value).startswith("ratings.csv: column 'arousal' has a fractional rating 2.5;")
    with pytest.raises(LicGpuError) as err:
        class_labels(s, "arousal", [0.5, 3.5, 7.5], source="ratings.csv")
    assert "rating 99 is outside the bin edges [0.5, 7.5]" in str(err.value) and "np." not in str(err.value)


def test_word_dict_leaves_out_missing(two_csvs):
    c = load_seed_csv(*two_csvs)
    labels = class_labels(c.frame["valence"], "valence").labels
    wd = build_word_dict([whitespace_tokenise(t) for t in c.texts], labels)
    assert sorted(wd) == [3, 4, 5]
    assert all(row != 1 for v in wd.values() for _, row in v)


def test_demo_corpus_shape():
    c = load_demo()
    f = c.frame
    assert len(f) >= 300 and f["sub"].nunique() >= 3 and f["episode"].nunique() >= 2
    assert {"arousal", "valence"} <= set(c.rating_columns) and len(c.rating_columns) >= 5
    for emo in ("arousal", "valence"):
        counts = f[emo].value_counts()
        assert set(counts.index) == set(range(1, 8))
        assert counts.idxmax() in (3, 4, 5)  # skewed toward the middle, like real ratings


@needs_shared
def test_emobank_layouts_agree():
    single = load_emobank(EMOBANK / "emobank.csv")
    assert len(single.frame) == 10062  # keep_default_na: no text turned into NaN
    labels = class_labels(single.frame["arousal"], "arousal", "round_half_up").labels
    assert labels.value_counts().to_dict() == {3: 9373, 4: 606, 2: 83}
    two = load_seed_csv(EMOBANK / "seed_format" / "words.csv", EMOBANK / "seed_format" / "ratings.csv")
    assert len(two.frame) == 10062 and two.frame["arousal"].value_counts().to_dict() == {3: 9373, 4: 606, 2: 83}


def test_a_stray_level_is_one_warning(caplog):
    from lic_gpu.app.pipeline import _warn_gaps

    with caplog.at_level("WARNING", logger="lic_gpu.app.pipeline"):
        _warn_gaps("arousal", class_labels(pd.Series([1.0, 2.0, 99.0, 1.0]), "arousal"))
        _warn_gaps("arousal", class_labels(pd.Series([1.0, 2.0, 3.0]), "arousal"))  # consecutive: nothing
        _warn_gaps("arousal", class_labels(pd.Series([1.0, 3.0, 5.0, 7.0]), "arousal"))  # every other level
        _warn_gaps("arousal", class_labels(pd.Series([1.0, 7.0]), "arousal"))  # two levels: nothing to compare
        _warn_gaps("arousal", class_labels(pd.Series([1.0, 2.0, 99.0]), "arousal", [0.5, 3.5, 100]))  # edges
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "rating level 99 lies far from the others (1-2)" in said[0]
