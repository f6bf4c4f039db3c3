"""What a trial with the notebook's two-CSV layout found (twelfth session): mistakes in the input said in
one line naming the file, the row and the value, and ids that stay ids."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from lic_gpu.errors import LicGpuError
from lic_gpu.io.data import load_seed_csv
from lic_gpu.io.frames import detect_id_columns

SENTENCES = """sub,episode,segment,label
s01,1,1,i was so scared of the dark
s01,1,2,the meeting was boring
s02,1,1,we won the final match
s02,1,2,the traffic was terrible today
s03,1,1,i am calm now
"""
RATINGS = """sub,episode,segment,arousal,valence
s01,1,1,6,2
s01,1,2,2,3
s02,1,1,7,7
s02,1,2,5,2
s03,1,1,1,5
"""


def _write(tmp_path, sentences=SENTENCES, ratings=RATINGS):
    (tmp_path / "sentences.csv").write_text(sentences)
    (tmp_path / "ratings.csv").write_text(ratings)
    return tmp_path / "sentences.csv", tmp_path / "ratings.csv"


def test_a_sentence_id_used_twice_is_refused_naming_the_file_and_the_id(tmp_path):
    words, ratings = _write(tmp_path, SENTENCES + "s02,1,2,a second sentence under one id\n")
    with pytest.raises(
        LicGpuError, match=r"sentences\.csv: 2 rows share ids \(sub/episode/segment\), e\.g\. \['s02/1/2'\]"
    ):
        load_seed_csv(words, ratings)


def test_a_rating_that_is_not_a_number_is_named_at_its_own_file_and_row(tmp_path):
    # the ratings file lists the sentences in another order: the bad value is on its data row 3 (sentence row 1)
    bad = """sub,episode,segment,arousal,valence
s03,1,1,1,5
s02,1,2,5,2
s01,1,1,high,2
s02,1,1,7,7
s01,1,2,2,3
"""
    words, ratings = _write(tmp_path, ratings=bad)
    corpus = load_seed_csv(words, ratings)
    with pytest.raises(LicGpuError, match=r"ratings\.csv: column 'arousal' .* 'high' \(data row 3\)"):
        corpus.require_emotions(["arousal"])
    # named as a rating column, it is refused as the file is read, at the same row
    with pytest.raises(LicGpuError, match=r"ratings\.csv: column 'arousal' .* 'high' \(data row 3\)"):
        load_seed_csv(words, ratings, rating_columns=["arousal", "valence"])


def test_a_sentence_without_ratings_is_named_by_its_ids(tmp_path, caplog):
    words, ratings = _write(tmp_path, ratings=RATINGS.replace("s02,1,2,5,2\n", ""))
    with caplog.at_level(logging.WARNING):
        corpus = load_seed_csv(words, ratings)
    assert "1 sentence(s) of" in caplog.text and "e.g. ids s02/1/2, data row 4" in caplog.text
    assert corpus.frame["arousal"].isna().sum() == 1


def test_an_empty_sentence_is_said(tmp_path, caplog):
    words, ratings = _write(tmp_path, SENTENCES.replace("i am calm now", ""))
    with caplog.at_level(logging.WARNING):
        load_seed_csv(words, ratings)
    assert "1 row(s) have an empty text (e.g. data row 5)" in caplog.text


def test_an_emotion_name_with_a_typo_gets_a_suggestion(tmp_path):
    corpus = load_seed_csv(*_write(tmp_path))
    with pytest.raises(LicGpuError, match=r"emotion 'valance' .*\(did you mean 'valence'\?\)"):
        corpus.require_emotions(["valance"])


def test_a_single_row_level_at_the_edge_of_the_scale_is_warned(caplog):
    from lic_gpu.app.pipeline import _warn_gaps
    from lic_gpu.classes import class_labels

    values = pd.Series([1, 1, 2, 2, 3, 3, 4, 4, 0], dtype=float)
    with caplog.at_level(logging.WARNING):
        _warn_gaps("arousal", class_labels(values, "arousal", "auto"))
    assert "rating level 0, at the edge of the others (1-4), has a single row (row_id 8)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):  # every level with several rows: nothing to say
        _warn_gaps("arousal", class_labels(values[:-1], "arousal", "auto"))
    assert caplog.text == ""


def test_the_notebooks_ids_are_found_in_a_merged_frame():
    frame = pd.DataFrame({"sub": ["a", "a", "b"], "episode": [1, 1, 1], "segment": [1, 2, 1], "label": ["x", "y", "z"]})
    assert detect_id_columns(frame, ["label"]) == ["sub", "episode", "segment"]
    assert detect_id_columns(frame.iloc[[0, 0, 2]], ["label"]) == []  # they do not identify the rows
    assert detect_id_columns(frame.assign(id=np.arange(3)), ["label"]) == ["id"]  # an id column comes first


def test_a_sweep_folder_names_the_swept_value_before_long_paths():
    from lic_gpu.app.schema import _safe_name

    task = [
        "data=seed_csv",
        "data.words_csv=/home/someone/projects/speech/data/sentences.csv",
        "data.ratings_csv=/home/someone/projects/speech/data/ratings.csv",
        "emotion=valence",
    ]
    name = _safe_name(task)
    assert name.startswith("data=seed_csv,emotion=valence,data.ratings_csv=ratings.csv,data.words_c")  # cut at 80
    assert _safe_name(task[:1] + task[3:] + task[2:3]) == "data=seed_csv,emotion=valence,data.ratings_csv=ratings.csv"
    assert _safe_name(["emotion=arousal", "augment.k=5"]) == "augment.k=5,emotion=arousal"  # as Hydra sorts them
    assert "/" not in _safe_name(["emotion=../../x"])
