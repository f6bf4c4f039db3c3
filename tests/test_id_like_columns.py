"""Columns named like ids or positions are not ratings (trial 7: ``session`` and ``seg_no`` of an interview
table were taken as ratings: panels in the figure, ``seg_no`` copied into every new row)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from lic_gpu.io.cells import id_like
from lic_gpu.io.data import load_csv
from lic_gpu.io.frames import detect_id_columns


@pytest.mark.parametrize("name", ["session", "seg_no", "speaker", "speakerID", "turn_index", "start_time", "Fold"])
def test_names_that_read_as_ids_or_positions(name):
    assert id_like(name)


@pytest.mark.parametrize("name", ["arousal", "sub_valence", "valence_2", "score", "age", "x1", "1"])
def test_names_that_do_not(name):
    assert not id_like(name)


def _interviews(n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "speaker": [f"S{i % 3}" for i in range(n)],
            "session": [1 + i // 6 for i in range(n)],
            "seg_no": [i % 6 for i in range(n)],
            "transcript": [f"sentence number {i}" for i in range(n)],
            "arousal": rng.integers(1, 10, n),
            "valence": rng.integers(1, 10, n),
        }
    )


def test_a_table_with_interview_ids_rates_only_the_ratings(tmp_path, caplog):
    path = tmp_path / "segments.csv"
    _interviews().to_csv(path, index=False)
    with caplog.at_level(logging.INFO, logger="lic_gpu"):
        corpus = load_csv(path, text_column="transcript")
    assert list(corpus.rating_columns) == ["arousal", "valence"]
    line = [r.getMessage() for r in caplog.records if "not taken as ratings" in r.getMessage()]
    assert len(line) == 1 and "'session', 'seg_no'" in line[0] and "data.rating_columns" in line[0]
    # named, they are ratings again
    assert list(load_csv(path, text_column="transcript", rating_columns=["session", "arousal"]).rating_columns) == [
        "session",
        "arousal",
    ]


def test_identifying_columns_that_identify_the_rows_are_the_ids():
    frame = _interviews()
    assert detect_id_columns(frame, ["transcript", "arousal", "valence"]) == ["speaker", "session", "seg_no"]
    assert detect_id_columns(frame.iloc[[0, 0, 1]], ["transcript"]) == []  # they do not identify the rows


def test_new_rows_continue_the_last_id(tmp_path):
    from lic_gpu import augment_frame
    from lic_gpu.io.data import load_demo

    demo = load_demo().frame
    frame = demo.rename(columns={"sub": "speaker", "episode": "session", "segment": "seg_no"})
    out = augment_frame(frame, text="label", emotion="arousal")
    assert not out.duplicated(["speaker", "session", "seg_no"]).any()
    new = out[out.is_augmented]
    assert len(new) and (pd.to_numeric(new["seg_no"]) > pd.to_numeric(frame["seg_no"]).max()).all()
    assert "session" in out.columns and out["session"].isin(frame["session"]).all()


def test_repeated_ids_and_texts_are_warned(caplog):
    from lic_gpu.io.frames import _say_repeats

    frame = pd.DataFrame({"post_id": [1, 2, 3, 2], "text": ["a b", "c d", "a b", "e f"]})
    with caplog.at_level(logging.WARNING, logger="lic_gpu"):
        _say_repeats(frame, [], "text", "posts.csv")
    ids, texts = [r.getMessage() for r in caplog.records]
    # trial 8: a post_id used twice made the new rows copy their sources' ids, silently
    assert "the id column 'post_id' repeats (data rows 2 and 4: post_id=2)" in ids and "copies its source's id" in ids
    assert "1 row repeats an earlier row's text word for word (data rows 1 and 3)" in texts
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="lic_gpu"):
        _say_repeats(frame.iloc[:2], [], "text", "posts.csv")
    assert not caplog.records


def test_the_report_counts_rows_per_participant():
    from lic_gpu.report.markdown import subject_column

    frame = _interviews().rename(columns={"speaker": "participant"})
    assert subject_column("auto", frame.columns, [], frame) == "participant"
    assert subject_column("auto", frame.columns, []) is None  # no frame: names alone do not decide
    assert subject_column("auto", [*frame.columns, "sub"], [], frame) == "sub"
