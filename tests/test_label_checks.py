"""What a trial with one table of category-labelled posts found (twelfth session): label and split values
that look alike, odd numbers among names, a text file named .parquet, and the resampler's log lines."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import torch

from lic_gpu.errors import LicGpuError
from lic_gpu.io.data import Corpus, load_csv


def _categorical(values):
    from lic_gpu.classes import class_labels

    return class_labels(pd.Series(values), "emotion", "auto", kind="categorical")


def test_labels_alike_but_for_case_and_single_row_classes_are_warned(caplog):
    from lic_gpu.app.data_notes import warn_names as _warn_names

    with caplog.at_level(logging.WARNING):
        _warn_names("emotion", _categorical(["joy", "joy", "Joy", "anger", "anger", "shame"]))
    assert "differ only in case or spacing are separate classes: 'Joy' / 'joy'" in caplog.text
    assert "classes 'Joy', 'shame' have a single row" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        _warn_names("emotion", _categorical(["joy", "joy", "anger", "anger"]))
    assert caplog.text == ""


def test_a_split_value_alike_but_for_case_is_warned(caplog):
    from lic_gpu.io.splits import source_rows

    with caplog.at_level(logging.WARNING):
        rows = source_rows(pd.DataFrame({"split": ["train", "Train", "dev", "train"]}))
    assert rows.mask.tolist() == [True, False, False, True]
    assert "split value(s) ['Train'] that differ from data.augment_splits=['train'] only in case" in caplog.text


def test_numbers_among_category_names_are_named_and_other_columns_listed():
    df = pd.DataFrame(
        {
            "text": ["a b", "c d", "e f", "g h", "i j"],
            "emotion": ["joy", "anger", "3", "joy", "fear"],
            "intensity": [1.0, 2, 3, 4, 5],
            "split": ["train"] * 5,
        }
    )
    corpus = Corpus(df, "text", (), ("intensity",), "posts.csv")
    with pytest.raises(
        LicGpuError,
        match=r"'emotion' holds category names \(e\.g\. 'joy'\) and 1 number\(s\) \(e\.g\. '3', data row 3\)",
    ):
        corpus.require_emotions(["emotion"])
    with pytest.raises(
        LicGpuError,
        match=r"rating columns are \['intensity'\], other columns \(category labels\?\) \['emotion'\]",  # not the split column
    ):
        corpus.require_emotions(["category"])
    assert corpus.require_emotions(["emotion"], "categorical") == {"emotion": "categorical"}
    names = Corpus(df.assign(emotion=["joy", "anger", "fear", "joy", "fear"]), "text", (), ("intensity",), "posts.csv")
    with pytest.raises(LicGpuError, match=r"column 'emotion' has a value that is not a number: 'joy' \(data row 1\)"):
        names.require_emotions(["emotion"], "ordinal")  # names only, taken as ratings: the first name


def test_a_text_file_named_parquet_is_said_to_hold_text(tmp_path):
    fake = tmp_path / "posts.parquet"
    fake.write_text("text,intensity\nhello there,1\n")
    with pytest.raises(
        LicGpuError, match=r"as parquet: .*; the file holds text, not parquet \(a CSV\? name it \.csv\)"
    ):
        load_csv(fake)


def test_the_resamplers_log_lines_name_y(caplog):
    from lic_gpu.api import _logged_as

    log = logging.getLogger("lic_gpu.app.pipeline")
    with caplog.at_level(logging.WARNING), _logged_as("__lic_label__", "y"):
        log.warning("%s: %d rows have no label", "__lic_label__", 2)
        logging.getLogger("someone.else").warning("__lic_label__ stays in other libraries' lines")
    log.warning("%s: after the call", "__lic_label__")
    assert [r.getMessage() for r in caplog.records] == [
        "y: 2 rows have no label",
        "__lic_label__ stays in other libraries' lines",
        "__lic_label__: after the call",
    ]


def test_the_vector_mlp_trains_on_one_thread_whatever_torchs_setting():
    """Its numbers do not depend on the machine's thread count, and the caller's count comes back."""
    from lic_gpu.evaluation.classifiers import MeanEmbeddingMLP

    def featurise(texts):
        return torch.as_tensor(np.random.default_rng(len(texts)).standard_normal((len(texts), 20)), dtype=torch.float32)

    texts, y = ["x"] * 300, np.random.default_rng(1).integers(0, 3, 300)
    before = torch.get_num_threads()
    got = []
    for threads in (2, 1):
        torch.set_num_threads(threads)
        model = MeanEmbeddingMLP(featurise, epochs=3, seed=0).fit(texts, y)
        got.append([p.detach().clone() for p in model.model_.parameters()])
        assert torch.get_num_threads() == threads
    torch.set_num_threads(before)
    assert all(torch.equal(a, b) for a, b in zip(*got))


def test_a_missing_emotion_suggests_the_columns_it_begins_and_names_unused_numeric_ones():
    """Trial 9: ``emotion=arousal`` on a table of ``arousal_r1, arousal_r2, arousal_mean`` (the mean the only rating
    column) suggested one annotator's column and listed the annotators' ratings as "category labels?"."""
    df = pd.DataFrame(
        {
            "text": ["a b", "c d", "e f"],
            "arousal_r1": [1, 2, 3],
            "arousal_r2": [2, 2, 3],
            "arousal_mean": [1.5, 2, 3],
            "topic": ["work", "home", "work"],
        }
    )
    corpus = Corpus(df, "text", (), ("arousal_mean",), "t.csv")
    with pytest.raises(LicGpuError) as info:
        corpus.require_emotions(["arousal"])
    assert str(info.value) == (
        "emotion 'arousal' is not a rating column of t.csv (did you mean 'arousal_mean' or 'arousal_r1' or "
        "'arousal_r2'?); rating columns are ['arousal_mean'], numeric columns not taken as ratings ['arousal_r1', "
        "'arousal_r2'] (data.rating_columns), other columns (category labels?) ['topic']: set emotion= one of them"
    )
    with pytest.raises(LicGpuError, match=r"\(did you mean 'arousal_mean'\?\)"):
        corpus.require_emotions(["arousl"])


def test_labels_with_spaces_around_them_are_warned(caplog):
    """Trial 10: five 'joy ' rows were balanced as joy without a word, and written back as 'joy '."""
    from lic_gpu.app.data_notes import warn_names as _warn_names

    raw = pd.Series(["joy", "joy ", "anger", " joy", "anger"])
    with caplog.at_level(logging.WARNING):
        _warn_names("emotion", _categorical(raw.tolist()), raw)
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "emotion: 2 label(s) have spaces around them (e.g. 'joy ', data row 2); they count as 'joy'; the outputs "
        "keep them as written"
    ]
