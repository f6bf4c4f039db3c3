"""Hostile inputs, failures and interruptions (issue 7): one clear line, nothing half-written.

Every case runs the main job through ``run_augment`` on small files in ``tmp_path`` with a small
GloVe-format vector file (fast: no 400k-word search), checks the message names what is wrong and
what to do, that the run folder holds no CSV or temp file, and that the inputs keep their bytes.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hydra import compose, initialize_config_dir

from lic_gpu.vectors.store import EmbeddingStore
from lic_gpu.errors import LicGpuError
from lic_gpu.app.augment_job import run_augment
from lic_gpu.app.entry import main_guarded
from lic_gpu.augment import DiverseGenerator, LicAugmenter

from helpers import PLAIN_FILTERS, ROOT

CONF = str(ROOT / "conf")

# Four word families whose members are near each other in the toy vectors.
FAMILIES = {
    "calm": ["calm", "quiet", "peaceful", "serene", "tranquil", "gentle", "relaxed", "still"],
    "panic": ["panic", "terror", "alarm", "fright", "dread", "horror", "fear", "scream"],
    "run": ["ran", "raced", "sprinted", "dashed", "rushed", "hurried", "fled", "bolted"],
    "tea": ["tea", "coffee", "cocoa", "juice", "milk", "soup", "water", "broth"],
}
EXTRA = ["the", "we", "a", "and", "in", "they", "day", "evening", "night"]

# (text, arousal, valence): three arousal classes of different sizes.
ROWS = [
    ("We sat calm and quiet with tea", 1, 6),
    ("A peaceful evening, gentle and serene", 1, 7),
    ("We drank coffee in the kitchen", 4, 5),
    ("They had juice and milk", 4, 5),
    ("I made soup for the night", 4, 4),
    ("She likes cocoa in the evening", 4, 5),
    ("We bought tea and water", 4, 4),
    ("He poured coffee for them", 4, 5),
    ("Panic! We ran in terror", 7, 2),
    ("They raced away in alarm and dread", 7, 1),
    ("Horror and fright, we sprinted", 7, 2),
]


# ---------------------------------------------------------------- helpers


def write_vectors(path: Path, dim: int = 16) -> Path:
    rng = np.random.default_rng(0)
    lines = []
    for i, members in enumerate(FAMILIES.values()):
        centre = np.zeros(dim)
        centre[i] = 1.0
        for w in members:
            v = centre + 0.15 * rng.standard_normal(dim)
            lines.append(w + " " + " ".join(f"{x:.5f}" for x in v))
    for w in EXTRA:
        lines.append(w + " " + " ".join(f"{x:.5f}" for x in rng.standard_normal(dim)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# Toy vectors have made-up neighbours: no thesaurus, WordNet or reciprocity check, every part of speech.
# the toy corpus is a few short sentences of mass nouns (with tea): the fluency filters that need real text
# would leave nothing to swap
TOY_FILTERS = (
    "augment.thesaurus=null",
    "augment.wordnet=false",
    "augment.reciprocal=false",
    "augment.grammar.pos=[NOUN,VERB,ADJ,ADV]",
    "augment.grammar.bare_nouns=true",
)


def csv_text(rows=ROWS, header=("id", "text", "arousal", "valence")) -> str:
    df = pd.DataFrame([(f"r{i}", *r) for i, r in enumerate(rows)], columns=list(header))
    return df.to_csv(index=False)


@pytest.fixture
def vectors(tmp_path):
    return write_vectors(tmp_path / "vectors.txt")


@pytest.fixture
def data_csv(tmp_path):
    p = tmp_path / "in" / "data.csv"
    p.parent.mkdir()
    p.write_text(csv_text(), encoding="utf-8")
    return p


def cfg(*overrides):
    with initialize_config_dir(version_base="1.3", config_dir=CONF):
        return compose(config_name="augment", overrides=["device=cpu", "report.enabled=false", *overrides])


def csv_cfg(path, vectors, *overrides, text_column="text"):
    return cfg(
        "data=csv",
        f"data.path={path}",
        f"data.text_column={text_column}",
        "embeddings=file",
        f"embeddings.source={vectors}",
        "augment.k=5",
        *TOY_FILTERS,
        *overrides,
    )


@contextmanager
def untouched(*paths):
    """The files keep their bytes (and the input folders gain no file)."""
    paths = [Path(p) for p in paths]
    before = {p: p.read_bytes() for p in paths if p.exists()}
    listing = {p.parent: sorted(p.parent.iterdir()) for p in paths if p.parent.exists()}
    yield
    assert {p: p.read_bytes() for p in before} == before
    assert {d: sorted(d.iterdir()) for d in listing} == listing


def assert_nothing_written(out: Path) -> None:
    left = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert left == [], left


def fails(config, out: Path, *patterns: str, inputs=()) -> str:
    """Run, expect a one-line LicGpuError matching every pattern; nothing written, inputs unchanged."""
    with untouched(*inputs):
        with pytest.raises(LicGpuError) as info:
            run_augment(config, out)
    msg = str(info.value)
    assert "\n" not in msg and msg.strip() == msg and msg, msg
    for pat in patterns:
        assert pat in msg, (pat, msg)
    assert_nothing_written(out)
    return msg


def succeeds(config, out: Path, inputs=()) -> dict:
    with untouched(*inputs):
        summary = run_augment(config, out)
    assert not list(out.rglob("*.tmp"))
    return summary


def read_out(out: Path, emotion="arousal") -> pd.DataFrame:
    return pd.read_csv(out / f"augmented_{emotion}.csv", keep_default_na=False, dtype=str)


# ---------------------------------------------------------------- files and columns


def test_missing_file(tmp_path, vectors):
    fails(csv_cfg(tmp_path / "nope.csv", vectors), tmp_path / "out", "not found", "nope.csv")


def test_missing_ratings_file_of_seed_layout(tmp_path, data_csv, vectors):
    words = data_csv.with_name("words.csv")
    words.write_text("sub,episode,segment,label\ns1,e1,0,hi\n", encoding="utf-8")
    fails(
        cfg("data=seed_csv", f"data.words_csv={words}", f"data.ratings_csv={tmp_path / 'r.csv'}"),
        tmp_path / "out",
        "ratings file not found",
        "r.csv",
        inputs=[words],
    )


def seed_files(data_csv, words_text: str, ratings_text: str):
    """Write a sentences and a ratings CSV (the notebook's layout) beside ``data_csv``."""
    words, ratings = data_csv.with_name("words.csv"), data_csv.with_name("ratings.csv")
    words.write_text(words_text, encoding="utf-8")
    ratings.write_text(ratings_text, encoding="utf-8")
    return words, ratings


def seed_cfg(words, ratings, *overrides):
    return cfg("data=seed_csv", f"data.words_csv={words}", f"data.ratings_csv={ratings}", *overrides)


def test_missing_text_column_lists_columns(tmp_path, data_csv, vectors):
    fails(
        csv_cfg(data_csv, vectors, text_column="sentence"),
        tmp_path / "out",
        "data.csv",
        "'sentence'",
        "columns present",
        "'text'",
        "'arousal'",
        inputs=[data_csv],
    )


def test_missing_id_column_lists_columns(tmp_path, data_csv, vectors):
    words, ratings = seed_files(
        data_csv, "sub,episode,seg,label\ns1,e1,0,hi\n", "sub,episode,segment,arousal\ns1,e1,0,3\n"
    )
    fails(
        seed_cfg(words, ratings),
        tmp_path / "out",
        "words.csv",
        "['segment']",
        "columns present",
        "'seg'",
        inputs=[words, ratings],
    )


def test_missing_emotion_column_lists_rating_columns(tmp_path, data_csv, vectors):
    fails(
        csv_cfg(data_csv, vectors, "emotion=dominance"),
        tmp_path / "out",
        "'dominance'",
        "arousal",
        "valence",
        inputs=[data_csv],
    )


def test_numeric_column_set_aside_as_not_a_rating(tmp_path, data_csv, vectors):
    df = pd.read_csv(data_csv, dtype=str).assign(start=[str(i) for i in range(len(ROWS))])
    data_csv.write_text(df.to_csv(index=False), encoding="utf-8")
    fails(
        csv_cfg(data_csv, vectors, "emotion=start"),
        tmp_path / "out",
        "'start'",
        "data.non_rating_columns",
        "data.rating_columns=[start]",
        inputs=[data_csv],
    )


def test_unknown_emotion_in_a_list(tmp_path, data_csv, vectors):
    fails(
        csv_cfg(data_csv, vectors, "emotion=[arousal,rage]"), tmp_path / "out", "'rage'", "arousal", inputs=[data_csv]
    )


def test_duplicate_rating_ids(tmp_path, data_csv, vectors):
    words, ratings = seed_files(
        data_csv,
        "sub,episode,segment,label\ns1,e1,0,calm tea\ns1,e1,1,panic\n",
        "sub,episode,segment,arousal\ns1,e1,0,1\ns1,e1,1,7\ns1,e1,1,6\n",
    )
    fails(
        seed_cfg(words, ratings),
        tmp_path / "out",
        "ratings.csv",
        "s1/e1/1",
        "exactly one ratings row",
        inputs=[words, ratings],
    )


def test_ratings_that_are_not_numbers(tmp_path, data_csv, vectors):
    rows = list(ROWS)
    rows[3] = ("They had juice and milk", "high", 5)
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    # Named as a rating column: the value is quoted with its row.
    fails(
        csv_cfg(data_csv, vectors, "data.rating_columns=[arousal,valence]"),
        tmp_path / "out",
        "data.csv",
        "'arousal'",
        "'high'",
        "row 4",
        inputs=[data_csv],
    )
    # Found automatically: the column is not numeric, so the message says why it is not a rating column.
    fails(csv_cfg(data_csv, vectors), tmp_path / "out2", "data.csv", "'arousal'", "'high'", inputs=[data_csv])


def test_all_ratings_missing_for_an_emotion(tmp_path, data_csv, vectors):
    rows = [(t, "", v) for t, _, v in ROWS]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    fails(
        csv_cfg(data_csv, vectors, "data.rating_columns=[arousal,valence]"),
        tmp_path / "out",
        "'arousal'",
        "missing",
        inputs=[data_csv],
    )
    fails(csv_cfg(data_csv, vectors), tmp_path / "out2", "'arousal'", "missing", inputs=[data_csv])


def test_unset_required_path_is_named(tmp_path, vectors):
    fails(cfg("data=csv"), tmp_path / "out", "data.path")


# ---------------------------------------------------------------- encodings and CSV dialects


def test_latin1_file_read_as_utf8(tmp_path, data_csv, vectors):
    rows = [(t.replace("kitchen", "caf\u00e9"), a, v) for t, a, v in ROWS]
    data_csv.write_bytes(csv_text(rows).encode("latin1"))
    fails(csv_cfg(data_csv, vectors), tmp_path / "out", "data.csv", "data.encoding=latin1", inputs=[data_csv])
    succeeds(csv_cfg(data_csv, vectors, "data.encoding=latin1"), tmp_path / "ok", inputs=[data_csv])
    assert "We drank coffee in the caf\u00e9" in set(read_out(tmp_path / "ok")["text"])


def test_utf8_file_read_as_latin1(tmp_path, data_csv, vectors):
    rows = [(t.replace("kitchen", "caf\u00e9 \u2014 \u00fcber"), a, v) for t, a, v in ROWS]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    fails(
        csv_cfg(data_csv, vectors, "data.encoding=latin1"),
        tmp_path / "out",
        "data.csv",
        "data.encoding=utf-8",
        inputs=[data_csv],
    )


def test_bom(tmp_path, data_csv, vectors):
    data_csv.write_bytes(b"\xef\xbb\xbf" + csv_text().encode("utf-8"))
    s = succeeds(csv_cfg(data_csv, vectors), tmp_path / "ok", inputs=[data_csv])
    assert s["data"]["text_column"] == "text"
    assert list(read_out(tmp_path / "ok").columns[:2]) == ["id", "text"]
    fails(
        csv_cfg(data_csv, vectors, "data.encoding=latin1"),
        tmp_path / "out",
        "data.csv",
        "data.encoding=utf-8",
        inputs=[data_csv],
    )


def test_crlf_quoted_commas_and_newlines(tmp_path, data_csv, vectors):
    rows = list(ROWS) + [("Calm, quiet\nand still, we had tea", 1, 6)]
    data_csv.write_bytes(csv_text(rows).replace("\n", "\r\n").encode("utf-8"))
    succeeds(csv_cfg(data_csv, vectors), tmp_path / "ok", inputs=[data_csv])
    out = read_out(tmp_path / "ok")
    originals = out[out["is_augmented"] == "False"]
    assert len(originals) == len(rows)
    assert "Calm, quiet\r\nand still, we had tea" in set(originals["text"])  # the quoted text, byte for byte
    assert not any(t.endswith("\r") for t in originals["text"])
    assert originals["arousal"].tolist()[-1] == "1"


def test_texts_pandas_would_make_nan_are_kept(tmp_path, data_csv, vectors):
    rows = list(ROWS) + [("NA", 4, 4), ("null", 4, 4), ("", 4, 4), ("NaN", 1, 1), ("None", 7, 7)]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    s = succeeds(csv_cfg(data_csv, vectors), tmp_path / "ok", inputs=[data_csv])
    out = read_out(tmp_path / "ok")
    originals = out[out["is_augmented"] == "False"]
    assert originals["text"].tolist()[-5:] == ["NA", "null", "", "NaN", "None"]
    assert s["data"]["rows"] == len(rows)


# ---------------------------------------------------------------- classes and vocabulary


def test_only_one_class(tmp_path, data_csv, vectors):
    rows = [(t, 4, v) for t, _, v in ROWS]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    msg = fails(csv_cfg(data_csv, vectors), tmp_path / "out", "'arousal'", "only one class", inputs=[data_csv])
    assert "only one class (4) after binning" in msg  # the level as written, not np.int64(4)


def test_two_classes_suggest_log_odds_which_then_works(tmp_path, data_csv, vectors):
    rows = [(t, 1 if a < 4 else 7, v) for t, a, v in ROWS]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the error says it all; no extra warning
        fails(csv_cfg(data_csv, vectors), tmp_path / "out", "'arousal'", "lic.method=log_odds", inputs=[data_csv])
    s = succeeds(csv_cfg(data_csv, vectors, "lic.method=log_odds"), tmp_path / "ok", inputs=[data_csv])
    classes = s["classes"]
    assert set(classes) == {"1", "7"} and classes["1"]["generated"] > 0


def test_class_with_one_sentence(tmp_path, data_csv, vectors):
    rows = [r for r in ROWS if r[1] != 1] + [("We sat calm and quiet with tea", 1, 6)]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    s = succeeds(csv_cfg(data_csv, vectors), tmp_path / "ok", inputs=[data_csv])
    one = s["classes"]["1"]
    assert one["before"] == 1 and 0 < one["generated"] <= one["requested"]
    assert one["generated"] == one["requested"] or one["shortfall_reason"]


def test_a_bare_singular_noun_is_not_swapped_by_default(tmp_path, data_csv, vectors):
    """'with tea' has no determiner: by default (augment.grammar.bare_nouns=false) it is not swapped, and
    the summary counts the skipped token; the toy tests above switch the rule off."""
    rows = [r for r in ROWS if r[1] != 1] + [("We sat calm and quiet with tea", 1, 6)]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    s = succeeds(
        csv_cfg(data_csv, vectors, "augment.grammar.bare_nouns=false", "augment.grammar.pos=[NOUN]"),
        tmp_path / "ok",
        inputs=[data_csv],
    )
    on_disk = json.loads((tmp_path / "ok" / "summary.json").read_text())
    assert s["classes"]["1"]["generated"] == 0
    assert on_disk["filters"]["source_tokens_skipped"].get("bare_noun", 0) >= 1


def test_sentences_with_no_eligible_token(tmp_path, data_csv, vectors):
    # Class 1 has only stopwords: nothing to swap, and the summary says so.
    rows = [r for r in ROWS if r[1] != 1] + [("and the", 1, 6), ("we and they", 1, 6)]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    s = succeeds(csv_cfg(data_csv, vectors), tmp_path / "ok", inputs=[data_csv])
    one = s["classes"]["1"]
    assert one["generated"] == 0 and one["requested"] > 0
    assert "none of the 2 sentences" in one["shortfall_reason"]
    on_disk = json.loads((tmp_path / "ok" / "summary.json").read_text())
    assert on_disk["classes"]["1"]["shortfall_reason"] == one["shortfall_reason"]


def test_no_candidate_word_in_the_vectors(tmp_path, data_csv, vectors):
    # A made-up language: words recur across classes (so LIC is defined) but none is in the vectors.
    rng = np.random.default_rng(1)
    pool = ["".join(rng.choice(list("qxzvkj"), 6)) for _ in range(12)]
    start = {1: 0, 4: 3, 7: 6}
    rows = [(" ".join(rng.choice(pool[start[a] : start[a] + 6], 4)), a, v) for _, a, v in ROWS]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    msg = fails(
        csv_cfg(data_csv, vectors), tmp_path / "out", "'arousal'", "candidate words", "vocabulary", inputs=[data_csv]
    )
    assert any(ch.isdigit() for ch in msg.split("candidate words")[0])
    # The same in the notebook's rule.
    fails(csv_cfg(data_csv, vectors, "augment=seed"), tmp_path / "out2", "candidate words", inputs=[data_csv])


def test_few_candidate_words_in_the_vectors_is_one_warning(tmp_path, data_csv, vectors, caplog):
    # most candidate words missing from the vectors (another language, other casing): one warning, not silence
    rng = np.random.default_rng(2)
    made_up = {a: ["".join(rng.choice(list("qxzvkj"), 7)) for _ in range(12)] for a in (1, 4, 7)}
    rows = [(t + " " + " ".join(made_up[a]), a, v) for t, a, v in ROWS]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    with caplog.at_level("WARNING", logger="lic_gpu.app.pipeline"):
        succeeds(csv_cfg(data_csv, vectors, *TOY_FILTERS), tmp_path / "out", inputs=[data_csv])
    said = [r.getMessage() for r in caplog.records if "candidate words are in the word vectors" in r.getMessage()]
    assert said and said[0].startswith("arousal: only ")


# ---------------------------------------------------------------- vector files


def test_truncated_vector_file(tmp_path, data_csv, vectors):
    data = vectors.read_text(encoding="utf-8")
    header = f"{len(data.splitlines())} 16\n"
    bad = tmp_path / "truncated.txt"
    bad.write_text(header + data[: len(data) // 2], encoding="utf-8")  # ends mid-line, fewer rows
    fails(csv_cfg(data_csv, bad), tmp_path / "out", "truncated.txt", inputs=[data_csv, bad])


def test_truncated_binary_vector_file(tmp_path, data_csv, vectors):
    store_words = [w for m in FAMILIES.values() for w in m]
    rng = np.random.default_rng(0)
    body = b"".join(
        w.encode() + b" " + rng.standard_normal(16).astype(np.float32).tobytes() + b"\n" for w in store_words
    )
    bad = tmp_path / "cut.bin"
    bad.write_bytes(f"{len(store_words)} 16\n".encode() + body[: len(body) // 2])
    fails(csv_cfg(data_csv, bad), tmp_path / "out", "cut.bin", inputs=[data_csv, bad])


def test_vector_file_with_wrong_dimension_on_some_lines(tmp_path, data_csv, vectors):
    lines = vectors.read_text(encoding="utf-8").splitlines()
    lines[5] = " ".join(lines[5].split()[:10])  # 9 numbers instead of 16
    bad = tmp_path / "ragged.txt"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fails(csv_cfg(data_csv, bad), tmp_path / "out", "ragged.txt", inputs=[data_csv, bad])


@pytest.mark.parametrize("content", [b"just some prose, not vectors at all\nsecond line\n", bytes(range(256)) * 4, b""])
def test_not_a_vector_file(tmp_path, data_csv, content):
    bad = tmp_path / "notes.txt"
    bad.write_bytes(content)
    fails(csv_cfg(data_csv, bad), tmp_path / "out", "notes.txt", inputs=[data_csv, bad])


def test_missing_vector_file(tmp_path, data_csv):
    fails(csv_cfg(data_csv, tmp_path / "gone.vec"), tmp_path / "out", "gone.vec", inputs=[data_csv])


# ---------------------------------------------------------------- devices and memory


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_falls_back_and_is_recorded(tmp_path, data_csv, vectors):
    s = succeeds(csv_cfg(data_csv, vectors, "device=cuda"), tmp_path / "ok", inputs=[data_csv])
    assert s["device"] == "cpu" and s["requested_device"] == "cuda"
    assert "CUDA" in s["device_fallback"]
    assert json.loads((tmp_path / "ok" / "summary.json").read_text())["device_fallback"] == s["device_fallback"]


class _OomAfter:
    """Wrap ``torch.mm``: the search's chunk matmuls (``out=``) raise OOM while ``fail`` says so."""

    def __init__(self, real, fail):
        self.real, self.fail, self.widths = real, fail, []

    def __call__(self, a, b, *args, **kwargs):
        if "out" in kwargs:
            self.widths.append(b.shape[1])
            if self.fail(len(self.widths)):
                raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return self.real(a, b, *args, **kwargs)


def _big_store(n=2048, dim=8):
    rng = np.random.default_rng(0)
    return EmbeddingStore.from_array([f"w{i}" for i in range(n)], rng.standard_normal((n, dim)))


def test_oom_in_search_retries_with_smaller_chunks(monkeypatch, caplog):
    store = _big_store()
    queries = torch.arange(0, 2048, 97)
    expected = store.topk_ids(queries, 5, chunk_size=1024)
    fake = _OomAfter(torch.mm, lambda i: i <= 2)  # the first two matmuls run out of memory
    monkeypatch.setattr(torch, "mm", fake)
    with caplog.at_level("WARNING", logger="lic_gpu.vectors.store"):
        got = store.topk_ids(queries, 5, chunk_size=1024)
    assert fake.widths[:3] == [1024, 512, 256]  # halved after each OOM
    assert "out of memory" in caplog.text
    assert torch.equal(got[1], expected[1]) and torch.allclose(got[0], expected[0])


def test_oom_that_never_ends_is_one_line(monkeypatch):
    store = _big_store()
    monkeypatch.setattr(torch, "mm", _OomAfter(torch.mm, lambda i: True))
    with pytest.raises(LicGpuError) as info:
        store.topk_ids(torch.arange(4), 5, chunk_size=1024)
    assert "out of memory" in str(info.value) and "\n" not in str(info.value)


def test_oom_during_a_run_is_retried(tmp_path, data_csv, vectors, monkeypatch):
    fake = _OomAfter(torch.mm, lambda i: i == 1)
    monkeypatch.setattr(torch, "mm", fake)
    s = succeeds(csv_cfg(data_csv, vectors), tmp_path / "ok", inputs=[data_csv])
    assert len(fake.widths) >= 2 and s["rows"]["generated"] > 0


# ---------------------------------------------------------------- writing and interruption


def test_output_folder_not_writable(tmp_path, data_csv, vectors, monkeypatch):
    # Tests may run as root, where chmod does not stop writes: make mkstemp refuse instead.
    def refuse(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    fails(csv_cfg(data_csv, vectors), tmp_path / "out", "not writable", str(tmp_path / "out"), inputs=[data_csv])


@pytest.mark.parametrize(
    "error", [PermissionError(errno.EACCES, "Permission denied"), OSError(errno.ENOSPC, "No space left on device")]
)
def test_rename_refused_removes_the_temp_file(tmp_path, data_csv, vectors, monkeypatch, error):
    def refuse(src, dst):
        raise error

    monkeypatch.setattr(os, "replace", refuse)
    fails(
        csv_cfg(data_csv, vectors),
        tmp_path / "out",
        "augmented_arousal.csv",
        error.strerror,
        "nothing was left behind",
        inputs=[data_csv],
    )


def test_disk_full_while_writing(tmp_path, data_csv, vectors, monkeypatch):
    def half_then_full(self, path, *a, **k):
        Path(path).write_text("id,text\nr0,half a ro", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_full)
    fails(
        csv_cfg(data_csv, vectors),
        tmp_path / "out",
        "No space left on device",
        "augmented_arousal.csv",
        inputs=[data_csv],
    )


def _interrupt_midway(monkeypatch):
    real = DiverseGenerator.generate
    calls = []

    def interrupted(self, *a, **k):
        calls.append(1)
        if len(calls) == 2:  # the first class is done, the second is interrupted
            raise KeyboardInterrupt
        return real(self, *a, **k)

    monkeypatch.setattr(DiverseGenerator, "generate", interrupted)
    return calls


def test_ctrl_c_during_generation_leaves_no_csv(tmp_path, data_csv, vectors, monkeypatch):
    calls = _interrupt_midway(monkeypatch)
    out = tmp_path / "out"
    with untouched(data_csv):
        with pytest.raises(KeyboardInterrupt):
            run_augment(csv_cfg(data_csv, vectors), out)
    assert len(calls) == 2
    assert_nothing_written(out)


def test_ctrl_c_through_main_guarded_exits_130(tmp_path, data_csv, vectors, monkeypatch, capsys):
    _interrupt_midway(monkeypatch)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        main_guarded(lambda c: run_augment(c, out), csv_cfg(data_csv, vectors))
    assert info.value.code == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "interrupted" in err[0]
    assert_nothing_written(out)


def test_out_of_memory_outside_the_search_is_one_line(tmp_path, data_csv, vectors, monkeypatch, capsys):
    def oom(*a, **k):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB\nmore detail")

    monkeypatch.setattr(EmbeddingStore, "load", oom)
    with pytest.raises(SystemExit) as info:
        main_guarded(lambda c: run_augment(c, tmp_path / "out"), csv_cfg(data_csv, vectors))
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: out of memory") and "embeddings.dtype=float16" in err[0]
    assert_nothing_written(tmp_path / "out")


def test_main_guarded_prints_one_line_and_exits_2(tmp_path, vectors, capsys):
    config = csv_cfg(tmp_path / "nope.csv", vectors)
    with pytest.raises(SystemExit) as info:
        main_guarded(lambda c: run_augment(c, tmp_path / "out"), config)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "nope.csv" in err[0]
    verbose = csv_cfg(tmp_path / "nope.csv", vectors, "verbose=true")
    with pytest.raises(LicGpuError):
        main_guarded(lambda c: run_augment(c, tmp_path / "out"), verbose)


# ---------------------------------------------------------------- the script, end to end


def _script(*args, cwd):
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "augment.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.mark.slow
def test_script_user_errors_are_one_line_exit_2(tmp_path, data_csv, vectors):
    data_csv.write_bytes(csv_text().replace("kitchen", "caf\u00e9").encode("latin1"))
    with untouched(data_csv):
        res = _script(
            f"hydra.run.dir={tmp_path / 'run'}",
            "device=cpu",
            "data=csv",
            f"data.path={data_csv}",
            "embeddings=file",
            f"embeddings.source={vectors}",
            cwd=tmp_path,
        )
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "data.encoding=latin1" in lines[0]
    assert not list((tmp_path / "run").rglob("*.csv"))
    # the failed run's folder holds Hydra's config and the log, and the log ends with the same error line
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [".hydra", "augment.log"]
    assert (tmp_path / "run" / "augment.log").read_text(encoding="utf-8").splitlines()[-1].endswith(lines[0])

    missing = _script(f"hydra.run.dir={tmp_path / 'run2'}", "device=cpu", "data=csv", cwd=tmp_path)
    assert missing.returncode == 2, missing.stderr
    assert "Traceback" not in missing.stderr and "data.path" in missing.stderr

    # Two classes: the one error line and nothing else (no UserWarning from LIC on top).
    data_csv.write_text(csv_text([(t, 1 if a < 4 else 7, v) for t, a, v in ROWS]), encoding="utf-8")
    two = _script(
        f"hydra.run.dir={tmp_path / 'run3'}",
        "device=cpu",
        "data=csv",
        f"data.path={data_csv}",
        "embeddings=file",
        f"embeddings.source={vectors}",
        cwd=tmp_path,
    )
    assert two.returncode == 2, two.stderr
    assert [ln for ln in two.stderr.splitlines() if not ln.startswith("INFO ")] == [
        ln for ln in two.stderr.splitlines() if ln.startswith("error:")
    ]
    assert "lic.method=log_odds" in two.stderr


@pytest.mark.slow
def test_script_verbose_shows_the_traceback(tmp_path, vectors):
    res = _script(
        f"hydra.run.dir={tmp_path / 'run'}",
        "device=cpu",
        "verbose=true",
        "data=csv",
        f"data.path={tmp_path / 'nope.csv'}",
        "embeddings=file",
        f"embeddings.source={vectors}",
        cwd=tmp_path,
    )
    assert res.returncode != 0
    assert "LicGpuError" in res.stderr and "nope.csv" in res.stderr


def test_gpu_oom_that_never_ends_falls_back_to_cpu(monkeypatch):
    """After the smallest chunks still run out of GPU memory, the rest is searched on the CPU,
    with a warning and a note for the run summary (simulated: every search of the store's own
    tensor runs out of memory, and the search takes its device for one with a CPU to fall back to)."""
    import numpy as np
    import torch

    import lic_gpu.vectors.topk as topk
    from lic_gpu.vectors.store import EmbeddingStore

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    matrix = rng.standard_normal((300, 8)).astype(np.float32)
    real = EmbeddingStore.from_array(words, matrix)
    expected = real.topk_ids(torch.arange(20), 5)
    fake = EmbeddingStore(real.words, real.vectors.clone(), "fake gpu")
    search = topk.search_block

    def out_of_memory_on_the_gpu(vectors, *args, **kwargs):
        if vectors is fake.vectors:
            raise torch.OutOfMemoryError("simulated")
        return search(vectors, *args, **kwargs)

    monkeypatch.setattr(topk, "search_block", out_of_memory_on_the_gpu)
    monkeypatch.setattr(topk, "_cpu_copy_possible", lambda device: True)
    scores, ids = fake.topk_ids(torch.arange(20), 5)
    assert torch.equal(ids, expected[1]) and torch.allclose(scores, expected[0])
    assert fake.search_notes and "on the CPU" in fake.search_notes[0]


def test_a_search_that_falls_back_to_the_cpu_is_in_the_device_record(tmp_path, monkeypatch):
    """The search's out-of-memory fallback (lic_gpu.vectors.topk) reaches summary.json's device_fallback and report.md."""
    import torch

    import lic_gpu.vectors.topk as topk
    from helpers import ROOT

    search = topk.search_block
    calls = []

    def out_of_memory_once_on_the_gpu(vectors, *args, **kwargs):
        if not calls:  # the first search of the run: every chunk size runs out of memory
            raise torch.OutOfMemoryError("simulated")
        return search(vectors, *args, **kwargs)

    real_finish = topk._finish_on_cpu

    def finish(*args, **kwargs):
        calls.append(1)
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(topk, "search_block", out_of_memory_once_on_the_gpu)
    monkeypatch.setattr(topk, "_cpu_copy_possible", lambda device: True)
    monkeypatch.setattr(topk, "_finish_on_cpu", finish)
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose(config_name="augment", overrides=["device=cpu", "embeddings.neighbour_cache=false"])
    summary = run_augment(cfg, tmp_path)
    assert calls and "searched the remaining" in summary["device_fallback"]
    assert "- fallback: top-k search ran out of memory" in (tmp_path / "report.md").read_text()


def test_vectors_too_big_for_the_gpu_fall_back_to_cpu(monkeypatch, tmp_path):
    """An out-of-memory while putting the vectors on the GPU ends in a CPU run, recorded in the summary."""
    from hydra import compose, initialize_config_dir

    from helpers import ROOT, vectors_never_fit_on_a_gpu
    from lic_gpu.app.augment_job import run_augment

    vectors_never_fit_on_a_gpu(monkeypatch)

    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose(config_name="augment", overrides=["device=cuda", "report.enabled=false"])
    summary = run_augment(cfg, tmp_path)
    assert summary["device"] == "cpu" and "do not fit" in summary["device_fallback"]


# ================================================================ issue 13: hostile names, inputs,
# caches and folders. Every case: one line (exit 2 through the script), or the documented fallback;
# inputs byte-identical; nothing outside the run folder; no partial output set.


def tree(root: Path) -> dict:
    """Every file under ``root`` with its bytes (to prove nothing else was written or changed)."""
    return {p: p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


def test_safe_file_name_rule():
    from lic_gpu.io.file_names import safe_file_name, safe_file_names

    assert safe_file_name("arousal") == "arousal"
    assert safe_file_name("Émotion-2.v") == "Émotion-2.v"  # letters of any script are kept
    for hostile in (
        "/some/dir/victim",
        "../../../../escaped",
        "..",
        ".",
        "",
        "a\\b",
        "C:x",
        "a\nb",
        "caf\udce9",
        "x" * 300,
        "CON",
        "nul.txt",
        " lead",
        "trail.",
    ):
        name = safe_file_name(hostile)
        assert name and "/" not in name and "\\" not in name and not name.startswith(".")
        assert not name.endswith(".") and len(name) <= 80 and name.split(".")[0].lower() not in ("con", "nul")
        name.encode("utf-8")  # always encodable
    assert safe_file_name("pos/neg") == "pos_neg"
    # collisions, also case-insensitive ones, are resolved; names already safe keep theirs
    names = safe_file_names(["pos/neg", "pos_neg", "Arousal", "arousal", "a:b", "a?b"])
    assert names == {
        "pos/neg": "pos_neg-2",
        "pos_neg": "pos_neg",
        "Arousal": "Arousal",
        "arousal": "arousal-2",
        "a:b": "a_b",
        "a?b": "a_b-2",
    }
    assert len({n.casefold() for n in names.values()}) == len(names)


def test_emotion_names_from_the_data_never_become_paths(tmp_path, vectors):
    """Column names such as an absolute path, '../..' or 'pos/neg' become safe file names; the
    input named by the hostile column keeps its bytes and nothing is written outside the run folder."""
    victim = tmp_path / "victim.csv"
    victim.write_text("precious,data\n1,2\n", encoding="utf-8")
    hostile = [str(tmp_path / "victim"), "../../../../escaped", "pos/neg", "pos_neg"]
    data = tmp_path / "in" / "data.csv"
    data.parent.mkdir()
    frame = pd.DataFrame({"text": [t for t, _, _ in ROWS]})
    for name in hostile:
        frame[name] = [a for _, a, _ in ROWS]
    data.write_text(frame.to_csv(index=False), encoding="utf-8")
    config = csv_cfg(data, vectors)
    config.emotion = hostile
    before = tree(tmp_path)
    out = tmp_path / "run" / "out"
    s = succeeds(config, out, inputs=[data])
    after = tree(tmp_path)
    assert {p: b for p, b in after.items() if out not in p.parents} == before  # nothing else changed
    written = sorted(str(p.relative_to(out)) for p in after if out in p.parents)
    assert written == sorted(
        [
            "augmented__._.._.._.._escaped.csv",
            "augmented_pos_neg-2.csv",
            "augmented_pos_neg.csv",
            f"augmented_{str(tmp_path / 'victim').replace('/', '_')}.csv",
            "balanced.csv",
            "exports/_._.._.._.._escaped.csv",
            "exports/pos_neg-2.csv",
            "exports/pos_neg.csv",
            f"exports/{str(tmp_path / 'victim').replace('/', '_')}.csv",
            "summary.json",
        ]
    )
    assert s["emotions"]["pos/neg"]["files"]["augmented"] == "augmented_pos_neg-2.csv"
    assert s["emotions"]["pos_neg"]["files"]["export"] == "exports/pos_neg.csv"


def test_a_symlink_in_the_run_folder_cannot_lead_a_write_outside(tmp_path, data_csv, vectors):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "exports").symlink_to(elsewhere)
    with untouched(data_csv):
        with pytest.raises(LicGpuError, match="outside the run folder"):
            run_augment(csv_cfg(data_csv, vectors), out)
    assert list(elsewhere.iterdir()) == []
    assert [p for p in out.rglob("*") if p.is_file()] == []


def test_an_input_that_is_also_an_output_is_refused_before_any_work(tmp_path, data_csv, vectors, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "augmented_arousal.csv"
    target.write_bytes(data_csv.read_bytes())
    monkeypatch.setattr(EmbeddingStore, "load", lambda *a, **k: pytest.fail("vectors read before the check"))
    with untouched(target):
        with pytest.raises(LicGpuError) as info:
            run_augment(csv_cfg(target, vectors), out)
    msg = str(info.value)
    assert "data.path" in msg and "also an output" in msg and "hydra.run.dir" in msg and "\n" not in msg
    # the same through a symbolic link, and for the vectors
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    with untouched(target), pytest.raises(LicGpuError, match="also an output"):
        run_augment(csv_cfg(link, vectors), out)
    export = out / "exports" / "arousal.csv"
    export.parent.mkdir()
    export.write_bytes(vectors.read_bytes())
    with untouched(export), pytest.raises(LicGpuError, match="embeddings.source .* also an output"):
        run_augment(csv_cfg(data_csv, export), out)


def test_a_folder_with_an_earlier_runs_outputs_is_refused(tmp_path, data_csv, vectors):
    out = tmp_path / "out"
    succeeds(csv_cfg(data_csv, vectors), out, inputs=[data_csv])
    first = tree(out)
    with pytest.raises(LicGpuError, match="already holds another run's outputs .*augmented_arousal.csv"):
        run_augment(csv_cfg(data_csv, vectors, "emotion=valence"), out)
    assert tree(out) == first  # nothing mixed in, nothing removed


def test_moving_into_place_is_all_or_nothing(tmp_path, data_csv, vectors, monkeypatch):
    """A folder where summary.json should go (made while the run computes): every file already moved
    is taken back, one line names the file."""
    from lic_gpu.app import outputs

    real = outputs.write_files

    def then_block(*, out_dir, **kwargs):
        summary = real(out_dir=out_dir, **kwargs)
        (tmp_path / "out" / "summary.json").mkdir()
        return summary

    monkeypatch.setattr(outputs, "write_files", then_block)
    fails(
        csv_cfg(data_csv, vectors, "emotion=[arousal,valence]"),
        tmp_path / "out",
        "summary.json",
        "none of this run's files",
        inputs=[data_csv],
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["summary.json"]  # the blocking folder only


def test_outputs_and_caches_follow_the_umask(tmp_path, data_csv, vectors):
    import stat

    old = os.umask(0o027)
    try:
        out = tmp_path / "out"
        succeeds(
            csv_cfg(
                data_csv,
                vectors,
                f"embeddings.cache_dir={tmp_path / 'cache'}",
                f"embeddings.neighbour_cache={tmp_path / 'nc'}",
            ),
            out,
            inputs=[data_csv],
        )
        files = [
            p for p in [*out.rglob("*"), *(tmp_path / "cache").rglob("*"), *(tmp_path / "nc").rglob("*")] if p.is_file()
        ]
        assert len(files) >= 6
        assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o640}
        os.umask(0o002)
        out2 = tmp_path / "out2"
        succeeds(csv_cfg(data_csv, vectors), out2, inputs=[data_csv])
        assert {stat.S_IMODE(p.stat().st_mode) for p in out2.rglob("*") if p.is_file()} == {0o664}
    finally:
        os.umask(old)


def test_atomic_writes_are_flushed_before_the_rename(tmp_path, monkeypatch):
    from lic_gpu.io.atomic_files import write_text

    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    write_text("hello", tmp_path / "f.txt")
    assert calls[:2] == ["fsync", "replace"] and (tmp_path / "f.txt").read_text() == "hello"


# ---------------------------------------------------------------- issue 13: config and inputs, one line


@pytest.mark.parametrize(
    "override, patterns",
    [
        ("emotion=null", ["emotion must be", "None"]),
        ("emotion=[]", ["emotion must be"]),
        ("emotion=true", ["emotion must be"]),
        ("seed=-1", ["seed must be", "-1"]),
        ("augment.min_similarity=2", ["augment.min_similarity", "2"]),
        ("augment.k=0", ["augment.k", "0"]),
        ("augment.sampling_strategy=abc", ["sampling_strategy", "'abc'"]),
        ("device=cuda:abc", ["device", "'cuda:abc'"]),
        ("device=cuda:-1", ["device", "'cuda:-1'"]),
        ("report.top_words=-1", ["report.top_words", "-1"]),
        ("report.swap_samples=-3", ["report.swap_samples", "-3"]),
        ("report.max_panels=0", ["report.max_panels", "0"]),
        ("data.encoding=klingon", ["data.encoding", "'klingon'"]),
        ("data.path=${oc.env:LIC_GPU_SURELY_UNSET}", ["data.path", "LIC_GPU_SURELY_UNSET"]),
        ("+data.bogus=1", ["data (data=csv) has no option 'bogus'"]),
        ("caps=rectangle caps.cap_per_class=-5 emotion=[arousal,valence]", ["caps.cap_per_class", "-5"]),
        ("augment.guard.corpus.margin=-1", ["augment.guard.corpus.margin", "-1"]),
        ("lic.method=magic", ["lic.method", "'magic'"]),
    ],
)
def test_config_mistakes_are_one_line_before_any_work(tmp_path, data_csv, vectors, monkeypatch, override, patterns):
    monkeypatch.setattr(EmbeddingStore, "load", lambda *a, **k: pytest.fail("vectors read before the check"))
    monkeypatch.setattr(
        "lic_gpu.app.augment_job.load_corpus", lambda *a, **k: pytest.fail("data read before the check")
    )
    fails(csv_cfg(data_csv, vectors, *override.split()), tmp_path / "out", *patterns, inputs=[data_csv])


@pytest.mark.parametrize(
    "override, patterns",
    [
        ("augment.min_similarity=abc", ["augment.min_similarity", "'abc'", "Float"]),
        ("augment.min_similarity=null", ["augment.min_similarity", "not Optional"]),
        ("augment.guard.corpus.neighbours=many", ["augment.guard.corpus.neighbours", "'many'"]),
        ("report.enabled=maybe", ["report.enabled", "'maybe'"]),
        ("data.augment_splits=train", ["data.augment_splits"]),
    ],
)
def test_values_of_the_wrong_type_fail_when_composed(tmp_path, override, patterns):
    """The typed schemas (lic_gpu/app/schema.py) refuse them before the job starts, in one line."""
    from lic_gpu.app.config import compose_config

    with pytest.raises(LicGpuError) as info:
        compose_config(["data=csv", f"data.path={tmp_path / 'x.csv'}", override])
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("config: "), msg
    for pat in patterns:
        assert pat in msg, (pat, msg)


@pytest.mark.parametrize(
    "override, patterns",
    [
        ("+data.rename.valence=arousal", ["data.rename", "'arousal'"]),
        ("+data.rename.nope=x", ["data.rename", "'nope'", "columns present"]),
    ],
)
def test_rename_mistakes_are_one_line_before_the_vectors(tmp_path, data_csv, vectors, monkeypatch, override, patterns):
    monkeypatch.setattr(EmbeddingStore, "load", lambda *a, **k: pytest.fail("vectors read before the check"))
    fails(csv_cfg(data_csv, vectors, override), tmp_path / "out", *patterns, inputs=[data_csv])


def test_malformed_cuda_device_with_cuda_present(monkeypatch):
    from lic_gpu.device import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    for bad in ("cuda:abc", "cuda:-1", "cuda:", "cpu:x", "gpu"):
        with pytest.raises(LicGpuError, match="device must be"):
            resolve_device(bad)
    with pytest.raises(LicGpuError, match="only 1 CUDA device"):
        resolve_device("cuda:3")


def test_cuda_fallback_is_said_once_per_process(monkeypatch, caplog):
    # cross_validate fits one clone per fold and each resolves device=cuda again: one warning, not five
    import lic_gpu.device as device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device, "_WARNED", set())
    with caplog.at_level("WARNING", logger="lic_gpu.device"):
        choices = [device.resolve_device("cuda") for _ in range(5)]
    assert all(c.device.type == "cpu" and c.fallback_reason for c in choices)
    assert len([r for r in caplog.records if "CUDA is not available" in r.getMessage()]) == 1


def test_emotion_given_as_a_number_names_the_column(tmp_path, vectors):
    data = tmp_path / "in" / "num.csv"
    data.parent.mkdir()
    data.write_text(csv_text(header=("id", "text", "5", "valence")), encoding="utf-8")
    s = succeeds(csv_cfg(data, vectors, "emotion=5"), tmp_path / "ok", inputs=[data])
    assert s["emotion"] == "5" and (tmp_path / "ok" / "augmented_5.csv").exists()


def test_huge_rating_is_refused_when_read(tmp_path, data_csv, vectors):
    rows = list(ROWS)
    rows[4] = ("I made soup for the night", "1e20", 4)
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    fails(csv_cfg(data_csv, vectors), tmp_path / "out", "'arousal'", "'1e20'", "row 5", "too large", inputs=[data_csv])


def test_text_column_that_is_a_rating_column(tmp_path, data_csv, vectors):
    fails(
        csv_cfg(data_csv, vectors, "emotion=valence", text_column="arousal"),
        tmp_path / "out",
        "'arousal'",
        "only numbers",
        "data.text_column",
        inputs=[data_csv],
    )
    fails(
        csv_cfg(data_csv, vectors, "data.rating_columns=[text,valence]", "emotion=valence"),
        tmp_path / "out2",
        "'text'",
        "both the text column",
        inputs=[data_csv],
    )


def test_duplicate_header_names(tmp_path, data_csv, vectors):
    data_csv.write_text(csv_text(header=("id", "text", "arousal", "arousal")), encoding="utf-8")
    fails(csv_cfg(data_csv, vectors), tmp_path / "out", "data.csv", "'arousal' 2 times", inputs=[data_csv])
    data_csv.write_text(csv_text(header=("id", "text", "arousal", " arousal ")), encoding="utf-8")
    fails(csv_cfg(data_csv, vectors), tmp_path / "out2", "'arousal' 2 times", inputs=[data_csv])


@pytest.mark.parametrize(
    "encoding, advice",
    [("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"), ("utf-32", "utf-32")],
)
def test_utf16_file_gets_the_right_advice_which_then_works(tmp_path, data_csv, vectors, encoding, advice):
    rows = [(t.replace("kitchen", "caf\u00e9"), a, v) for t, a, v in ROWS]
    data_csv.write_bytes(csv_text(rows).encode(encoding))
    for given in ("utf-8", "latin1"):
        msg = fails(
            csv_cfg(data_csv, vectors, f"data.encoding={given}"),
            tmp_path / f"out-{given}",
            f"data.encoding={advice}",
            inputs=[data_csv],
        )
        assert "latin1" not in msg.split("data.encoding=")[-1]
    succeeds(csv_cfg(data_csv, vectors, f"data.encoding={advice}"), tmp_path / "ok", inputs=[data_csv])
    assert "We drank coffee in the caf\u00e9" in set(read_out(tmp_path / "ok")["text"])


def test_an_output_fed_back_in_keeps_its_provenance_apart(tmp_path, data_csv, vectors):
    succeeds(csv_cfg(data_csv, vectors), tmp_path / "first", inputs=[data_csv])
    again = tmp_path / "first" / "augmented_arousal.csv"
    s = succeeds(csv_cfg(again, vectors), tmp_path / "second", inputs=[again])
    assert s["data"]["rating_columns"] == ["arousal", "valence"]
    out = read_out(tmp_path / "second")
    assert {"previous_row_id", "previous_source_row", "previous_is_augmented"} <= set(out.columns)
    assert out["row_id"].tolist() == [str(i) for i in range(len(out))]


def test_file_name_that_is_not_utf8(tmp_path, data_csv, vectors):
    """A file name with bytes that are not UTF-8 (reaching Python as surrogates) runs to the end:
    summary.json and report.md show it escaped."""
    odd = Path(os.fsdecode(bytes(tmp_path / "in") + b"/caf\xe9.csv"))
    odd.write_bytes(data_csv.read_bytes())
    config = csv_cfg(data_csv, vectors, "report.enabled=true")
    config.data.path = str(odd)
    s = succeeds(config, tmp_path / "ok", inputs=[odd])
    assert s["rows"]["generated"] > 0
    on_disk = json.loads((tmp_path / "ok" / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["data"]["files"] == [str(odd)]
    assert "caf" in (tmp_path / "ok" / "report.md").read_text(encoding="utf-8")


def test_seed_mode_stops_when_no_position_is_left(tmp_path, data_csv, vectors):
    """sampling_strategy asks 10^8 rows: the loop ends when every usable position is taken, not after
    10^9 attempts, and says so."""
    s = succeeds(
        csv_cfg(data_csv, vectors, "augment=seed", "augment.k=5", "augment.sampling_strategy={1:100000000}"),
        tmp_path / "ok",
        inputs=[data_csv],
    )
    one = s["classes"]["1"]
    assert one["requested"] == 100000000 - 2 and 0 < one["generated"] < 20
    assert one["attempts"] < 10_000
    assert "every usable positive-LIC position was used" in one["shortfall_reason"]


def test_diverse_mode_stops_when_every_swap_was_drawn():
    """Two sentences whose only swaps give each other: once both are drawn nothing more is possible."""
    from lic_gpu.lic import compute_lic

    store = EmbeddingStore.from_array(
        ["calm", "quiet", "tea", "panic", "fear", "x", "y"],
        np.array(
            [
                [1, 0.1, 0, 0],
                [1, -0.1, 0, 0],
                [0, 0, 1, 0],
                [0, 0, 0, 1],
                [0.05, 0, 0, 1],
                [0, 1, 0, 0],
                [0, 1, 0.1, 0],
            ],
            dtype=float,
        ),
    )
    word_dict = {
        1: [(["calm", "tea"], 0), (["quiet", "tea"], 1)],
        4: [(["calm", "x"], 2), (["x", "y"], 3), (["y"], 4), (["x"], 5)],
        7: [(["quiet", "panic"], 6), (["panic", "fear"], 7), (["fear"], 8), (["y"], 9)],
    }
    lic = compute_lic(word_dict)
    # calm and quiet are each other's only neighbour: both swaps give a sentence that exists
    aug = LicAugmenter(
        store,
        frozenset({"tea"}),
        **PLAIN_FILTERS,
        k=1,
        max_swaps=1,
        min_similarity=0.5,
        attempts_per_row=10**7,
        sampling_strategy={1: 3},
        min_fluency=None,  # made-up vectors: the stop is what is tested, not the swap score
    )
    result = aug.fit_resample(word_dict, lic)
    report = result.classes[1]
    assert report.generated == 0 and report.attempts < 100
    assert "every distinct swap" in report.shortfall_reason


def test_report_figures_are_bounded(tmp_path, vectors):
    wide = tmp_path / "in" / "wide.csv"
    wide.parent.mkdir()
    frame = pd.DataFrame({"text": [t for t, _, _ in ROWS], "arousal": [a for _, a, _ in ROWS]})
    rng = np.random.default_rng(0)
    frame = pd.concat([frame, pd.DataFrame({f"r{i}": rng.integers(1, 8, len(ROWS)) for i in range(40)})], axis=1)
    wide.write_text(frame.to_csv(index=False), encoding="utf-8")
    s = succeeds(csv_cfg(wide, vectors, "report.enabled=true", "report.max_panels=5"), tmp_path / "ok", inputs=[wide])
    assert s["report"]["distribution_columns"] == ["arousal", "r0", "r1", "r2", "r3"]
    assert s["report"]["distribution_columns_left_out"] == 36


def test_large_inputs_show_progress(caplog):
    from lic_gpu import classes as data
    from lic_gpu.text import words_tokenise

    with caplog.at_level("INFO", logger="lic_gpu.classes"):
        out = data.tokenise_all(["a b"] * data._PROGRESS_ROWS, words_tokenise)
    assert len(out) == data._PROGRESS_ROWS and f"tokenising {data._PROGRESS_ROWS} sentences" in caplog.text


# ---------------------------------------------------------------- issue 13: through the script


def _scripts(cases, cwd, parallel=4):
    """Run scripts/augment.py once per argument list, a few at a time; the CompletedProcess of each."""
    results, running = [None] * len(cases), []
    for i, args in enumerate(cases):
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "augment.py"), *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        running.append((i, proc))
        if len(running) >= parallel or i == len(cases) - 1:
            for j, p in running:
                out, err = p.communicate(timeout=300)
                results[j] = subprocess.CompletedProcess(p.args, p.returncode, out, err)
            running = []
    return results


def _refuses_writes(folder: Path) -> bool:
    try:
        os.rmdir(tempfile.mkdtemp(dir=folder))
        return False
    except OSError:
        return True


@pytest.mark.slow
def test_script_hydra_level_mistakes_are_one_line_exit_2(tmp_path, data_csv, vectors):
    """Mistakes Hydra meets before the job (overrides, interpolations, the run folder, an input in the
    way) end in one error line and exit 2, before Hydra writes anything into the run folder."""
    data_csv.write_text(csv_text(), encoding="utf-8")
    base = ["device=cpu", "report.enabled=false"]
    csv = ["data=csv", f"data.path={data_csv}", "embeddings=file", f"embeddings.source={vectors}", "augment.k=5"]
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    earlier = tmp_path / "earlier"  # what an earlier run left
    for name, text in (
        ("augmented_arousal.csv", "id,text\n"),
        ("summary.json", "{}"),
        (".hydra/config.yaml", "seed: 7\n"),
        ("augment.log", "earlier\n"),
    ):
        (earlier / name).parent.mkdir(parents=True, exist_ok=True)
        (earlier / name).write_text(text)
    earlier_files = tree(earlier)
    run_in = tmp_path / "run_in"
    run_in.mkdir()
    in_the_way = run_in / "augmented_arousal.csv"
    in_the_way.write_bytes(data_csv.read_bytes())
    blocked = Path("/sys/kernel")
    cases = [
        (["seed=abc"], "seed"),
        (["emotion=null"], "emotion must be"),
        (["hydra.run.dir=${oc.env:LIC_GPU_SURELY_UNSET}"], "LIC_GPU_SURELY_UNSET"),
        (["data=csv", "data.path=${oc.env:LIC_GPU_SURELY_UNSET}"], "data.path"),
        ([f"hydra.run.dir={a_file}"], "output folder is not writable"),
        ([f"hydra.run.dir={earlier}", *csv], "already holds another run's outputs"),
        (
            [
                f"hydra.run.dir={run_in}",
                "data=csv",
                f"data.path={in_the_way}",
                "embeddings=file",
                f"embeddings.source={vectors}",
            ],
            "also an output",
        ),
    ]
    if blocked.is_dir() and _refuses_writes(blocked):  # even root cannot write there
        cases += [
            ([f"hydra.run.dir={blocked}"], "output folder is not writable"),
            ([f"hydra.run.dir={blocked / 'lic_gpu_run'}"], "output folder is not writable"),
        ]
    fresh = [tmp_path / f"fresh{i}" for i in range(len(cases))]
    runs = _scripts([[f"hydra.run.dir={d}", *base, *args] for d, (args, _) in zip(fresh, cases)], cwd=tmp_path)
    for (args, pattern), res in zip(cases, runs):
        errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
        assert res.returncode == 2, (args, res.stderr)
        assert "Traceback" not in res.stderr and "Warning" not in res.stderr, (args, res.stderr)
        assert len(errors) == 1 and pattern in errors[0], (args, res.stderr)
    assert not any(d.exists() for d in fresh)  # refused before Hydra made a folder (or its log)
    assert tree(earlier) == earlier_files  # the earlier run's outputs and .hydra/ untouched
    assert in_the_way.read_bytes() == data_csv.read_bytes() and sorted(run_in.iterdir()) == [in_the_way]


@pytest.mark.slow
def test_script_runs_started_together_get_their_own_folders(tmp_path):
    """The default run folder: two runs started in the same second never share it."""
    runs = _scripts(
        [["device=cpu", "report.enabled=false", "seed=1"], ["device=cpu", "report.enabled=false", "seed=2"]],
        cwd=tmp_path,
        parallel=2,
    )
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    import re

    folders = sorted(p.parent for p in (tmp_path / "outputs").rglob("summary.json"))
    assert len(folders) == 2 and folders[0] != folders[1]
    # <time>-<process id>-<4 hex digits>: distinct even when the two started in the same second
    assert all(re.fullmatch(r"\d\d-\d\d-\d\d-\d+-[0-9a-f]{4}", f.name) for f in folders), folders
    seeds = set()
    for folder in folders:
        summary = json.loads((folder / "summary.json").read_text())
        seeds.add(summary["seed"])
        written = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
        assert written == {
            *summary["outputs"],
            "summary.json",
            "augment.log",
            ".hydra/config.yaml",
            ".hydra/hydra.yaml",
            ".hydra/overrides.yaml",
        }
    assert seeds == {1, 2}


@pytest.mark.slow
def test_script_ctrl_c_while_starting_is_one_line_exit_130(tmp_path):
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "augment.py"), f"hydra.run.dir={tmp_path / 'run'}"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.4)  # importing torch, pandas and Hydra
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("interrupted")
    assert not list(tmp_path.rglob("*.csv"))
