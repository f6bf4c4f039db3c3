"""Ratings a user typed wrong are named where they are (trial 7: a 7.5 among 1-9 ratings rounded every rating
with an INFO line only; an empty rating and a stray level named neither the file nor the row)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from lic_gpu.app.pipeline import _say_rounded, _warn_gaps
from lic_gpu.classes import class_labels
from lic_gpu.io.data import load_csv, load_seed_csv


def _table(tmp_path, arousal) -> object:
    n = len(arousal)
    path = tmp_path / "segments.csv"
    pd.DataFrame({"text": [f"sentence {i}" for i in range(n)], "arousal": arousal}).to_csv(path, index=False)
    return load_csv(path)


def test_a_few_fractional_ratings_among_whole_numbers_are_warned_at_their_row(tmp_path, caplog):
    values = [1 + i % 9 for i in range(40)]
    values[12] = 7.5
    corpus = _table(tmp_path, values)
    with caplog.at_level(logging.INFO, logger="lic_gpu"):
        _say_rounded(corpus, "arousal")
    (record,) = [r for r in caplog.records if "fractional" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "1 of 40 ratings is fractional" in record.getMessage()
    assert "7.5, data row 13 of segments.csv" in record.getMessage() and "data.binning=integer" in record.getMessage()


def test_ratings_that_are_mostly_fractional_are_only_said(tmp_path, caplog):
    corpus = _table(tmp_path, np.linspace(1, 5, 40).round(2))  # EmoBank's means
    with caplog.at_level(logging.INFO, logger="lic_gpu"):
        _say_rounded(corpus, "arousal")
    (record,) = [r for r in caplog.records if "fractional" in r.getMessage()]
    assert record.levelno == logging.INFO


def test_a_stray_edge_level_names_its_file_and_row(tmp_path, caplog):
    values = [1 + i % 9 for i in range(40)]
    values[7] = 10
    corpus = _table(tmp_path, values)
    with caplog.at_level(logging.WARNING, logger="lic_gpu"):
        _warn_gaps("arousal", class_labels(corpus.frame["arousal"], "arousal", "auto"), corpus)
    assert "(row_id 7, data row 8 of segments.csv)" in caplog.text


def test_the_notebook_layout_names_the_ratings_file_row(tmp_path):
    words = tmp_path / "words.csv"
    ratings = tmp_path / "ratings.csv"
    ids = {"sub": ["a", "a", "b"], "episode": [1, 1, 1], "segment": [1, 2, 1]}
    pd.DataFrame({**ids, "label": ["x y", "y z", "z x"]}).to_csv(words, index=False)
    # the ratings file lists the rows in another order
    pd.DataFrame({k: v[::-1] for k, v in ids.items()} | {"arousal": [3, 2, 1]}).to_csv(ratings, index=False)
    corpus = load_seed_csv(words, ratings)
    assert corpus.rating_at(0).startswith("data row 3 of ") and corpus.rating_at(0).endswith("ratings.csv")
    assert corpus.rating_at(2).startswith("data row 1 of ") and corpus.rating_at(2).endswith("ratings.csv")


def test_decimal_commas_are_read_as_decimal_points(tmp_path, caplog):
    # trial 8: a European spreadsheet's `4,0` made the ratings category labels '1,0' ... '7,0', silently
    path = tmp_path / "posts.csv"
    path.write_text(
        "text;valence;words\nan okay day;4,0;1,200\na bad day;2,5;2,400\na good day;6;3,000\n", encoding="utf-8"
    )
    with caplog.at_level(logging.INFO, logger="lic_gpu"):
        corpus = load_csv(path, sep=";")
    assert "valence" in corpus.rating_columns
    assert corpus.frame["valence"].tolist() == [4.0, 2.5, 6.0]
    assert "column 'valence' written with decimal commas, read as decimal points ('4,0' -> 4.0)" in caplog.text
    assert "words" not in corpus.rating_columns  # 1,200: thousands, not a decimal comma


def test_a_comma_among_words_is_still_not_a_number(tmp_path):
    from lic_gpu.io.cells import decimal_commas

    text = pd.Series(["4,0", "5,5", "joy, mostly"])
    assert decimal_commas(text, pd.Series([True] * 3)) is None
    assert decimal_commas(pd.Series(["4", "5"]), pd.Series([True, True])) is None  # nothing to change
