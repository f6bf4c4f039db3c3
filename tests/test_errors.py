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

from lic_gpu.embeddings import EmbeddingStore
from lic_gpu.errors import LicGpuError
from lic_gpu.pipeline import main_guarded, run_augment
from lic_gpu.sampler import LicAugmenter

from conftest import ROOT

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


# Toy vectors have made-up neighbours: no thesaurus and no reciprocity check, every part of speech.
TOY_FILTERS = ("augment.thesaurus=null", "augment.reciprocal=false", "augment.grammar.pos=[NOUN,VERB,ADJ,ADV]")


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
    return cfg("data=csv", f"data.path={path}", f"data.text_column={text_column}", "embeddings=file",
               f"embeddings.source={vectors}", "augment.k=5", *TOY_FILTERS, *overrides)


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
    fails(cfg("data=seed_csv", f"data.words_csv={words}", f"data.ratings_csv={tmp_path / 'r.csv'}"),
          tmp_path / "out", "ratings file not found", "r.csv", inputs=[words])


def seed_files(data_csv, words_text: str, ratings_text: str):
    """Write a sentences and a ratings CSV (the notebook's layout) beside ``data_csv``."""
    words, ratings = data_csv.with_name("words.csv"), data_csv.with_name("ratings.csv")
    words.write_text(words_text, encoding="utf-8")
    ratings.write_text(ratings_text, encoding="utf-8")
    return words, ratings


def seed_cfg(words, ratings, *overrides):
    return cfg("data=seed_csv", f"data.words_csv={words}", f"data.ratings_csv={ratings}", *overrides)


def test_missing_text_column_lists_columns(tmp_path, data_csv, vectors):
    fails(csv_cfg(data_csv, vectors, text_column="sentence"), tmp_path / "out",
          "data.csv", "'sentence'", "columns present", "'text'", "'arousal'", inputs=[data_csv])


def test_missing_id_column_lists_columns(tmp_path, data_csv, vectors):
    words, ratings = seed_files(data_csv, "sub,episode,seg,label\ns1,e1,0,hi\n",
                                "sub,episode,segment,arousal\ns1,e1,0,3\n")
    fails(seed_cfg(words, ratings), tmp_path / "out",
          "words.csv", "['segment']", "columns present", "'seg'", inputs=[words, ratings])


def test_missing_emotion_column_lists_rating_columns(tmp_path, data_csv, vectors):
    fails(csv_cfg(data_csv, vectors, "emotion=dominance"), tmp_path / "out",
          "'dominance'", "arousal", "valence", inputs=[data_csv])


def test_numeric_column_set_aside_as_not_a_rating(tmp_path, data_csv, vectors):
    df = pd.read_csv(data_csv, dtype=str).assign(start=[str(i) for i in range(len(ROWS))])
    data_csv.write_text(df.to_csv(index=False), encoding="utf-8")
    fails(csv_cfg(data_csv, vectors, "emotion=start"), tmp_path / "out", "'start'", "data.non_rating_columns",
          "data.rating_columns=[start]", inputs=[data_csv])


def test_unknown_emotion_in_a_list(tmp_path, data_csv, vectors):
    fails(csv_cfg(data_csv, vectors, "emotion=[arousal,rage]"), tmp_path / "out", "'rage'", "arousal",
          inputs=[data_csv])


def test_duplicate_rating_ids(tmp_path, data_csv, vectors):
    words, ratings = seed_files(data_csv, "sub,episode,segment,label\ns1,e1,0,calm tea\ns1,e1,1,panic\n",
                                "sub,episode,segment,arousal\ns1,e1,0,1\ns1,e1,1,7\ns1,e1,1,6\n")
    fails(seed_cfg(words, ratings), tmp_path / "out",
          "ratings.csv", "s1/e1/1", "exactly one ratings row", inputs=[words, ratings])


def test_ratings_that_are_not_numbers(tmp_path, data_csv, vectors):
    rows = list(ROWS)
    rows[3] = ("They had juice and milk", "high", 5)
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    # Named as a rating column: the value is quoted with its row.
    fails(csv_cfg(data_csv, vectors, "data.rating_columns=[arousal,valence]"), tmp_path / "out",
          "data.csv", "'arousal'", "'high'", "row 4", inputs=[data_csv])
    # Found automatically: the column is not numeric, so the message says why it is not a rating column.
    fails(csv_cfg(data_csv, vectors), tmp_path / "out2", "data.csv", "'arousal'", "'high'", inputs=[data_csv])


def test_all_ratings_missing_for_an_emotion(tmp_path, data_csv, vectors):
    rows = [(t, "", v) for t, _, v in ROWS]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    fails(csv_cfg(data_csv, vectors, "data.rating_columns=[arousal,valence]"), tmp_path / "out",
          "'arousal'", "missing", inputs=[data_csv])
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
    fails(csv_cfg(data_csv, vectors, "data.encoding=latin1"), tmp_path / "out", "data.csv",
          "data.encoding=utf-8", inputs=[data_csv])


def test_bom(tmp_path, data_csv, vectors):
    data_csv.write_bytes(b"\xef\xbb\xbf" + csv_text().encode("utf-8"))
    s = succeeds(csv_cfg(data_csv, vectors), tmp_path / "ok", inputs=[data_csv])
    assert s["data"]["text_column"] == "text"
    assert list(read_out(tmp_path / "ok").columns[:2]) == ["id", "text"]
    fails(csv_cfg(data_csv, vectors, "data.encoding=latin1"), tmp_path / "out", "data.csv",
          "data.encoding=utf-8", inputs=[data_csv])


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
    fails(csv_cfg(data_csv, vectors), tmp_path / "out", "'arousal'", "only one class", inputs=[data_csv])


def test_two_classes_suggest_log_odds_which_then_works(tmp_path, data_csv, vectors):
    rows = [(t, 1 if a < 4 else 7, v) for t, a, v in ROWS]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the error says it all; no extra warning
        fails(csv_cfg(data_csv, vectors), tmp_path / "out", "'arousal'", "lic.method=log_odds",
              inputs=[data_csv])
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
    rows = [(" ".join(rng.choice(pool[start[a]:start[a] + 6], 4)), a, v) for _, a, v in ROWS]
    data_csv.write_text(csv_text(rows), encoding="utf-8")
    msg = fails(csv_cfg(data_csv, vectors), tmp_path / "out", "'arousal'", "candidate words",
                "vocabulary", inputs=[data_csv])
    assert any(ch.isdigit() for ch in msg.split("candidate words")[0])
    # The same in the notebook's rule.
    fails(csv_cfg(data_csv, vectors, "augment=seed"), tmp_path / "out2", "candidate words", inputs=[data_csv])


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
    body = b"".join(w.encode() + b" " + rng.standard_normal(16).astype(np.float32).tobytes() + b"\n"
                    for w in store_words)
    bad = tmp_path / "cut.bin"
    bad.write_bytes(f"{len(store_words)} 16\n".encode() + body[: len(body) // 2])
    fails(csv_cfg(data_csv, bad), tmp_path / "out", "cut.bin", inputs=[data_csv, bad])


def test_vector_file_with_wrong_dimension_on_some_lines(tmp_path, data_csv, vectors):
    lines = vectors.read_text(encoding="utf-8").splitlines()
    lines[5] = " ".join(lines[5].split()[:10])  # 9 numbers instead of 16
    bad = tmp_path / "ragged.txt"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fails(csv_cfg(data_csv, bad), tmp_path / "out", "ragged.txt", inputs=[data_csv, bad])


@pytest.mark.parametrize("content", [b"just some prose, not vectors at all\nsecond line\n",
                                     bytes(range(256)) * 4, b""])
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
    with caplog.at_level("WARNING", logger="lic_gpu.embeddings"):
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
    fails(csv_cfg(data_csv, vectors), tmp_path / "out", "not writable", str(tmp_path / "out"),
          inputs=[data_csv])


@pytest.mark.parametrize("error", [PermissionError(errno.EACCES, "Permission denied"),
                                   OSError(errno.ENOSPC, "No space left on device")])
def test_rename_refused_removes_the_temp_file(tmp_path, data_csv, vectors, monkeypatch, error):
    def refuse(src, dst):
        raise error

    monkeypatch.setattr(os, "replace", refuse)
    fails(csv_cfg(data_csv, vectors), tmp_path / "out", "augmented_arousal.csv", error.strerror,
          "nothing was left behind", inputs=[data_csv])


def test_disk_full_while_writing(tmp_path, data_csv, vectors, monkeypatch):
    def half_then_full(self, path, *a, **k):
        Path(path).write_text("id,text\nr0,half a ro", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_full)
    fails(csv_cfg(data_csv, vectors), tmp_path / "out", "No space left on device", "augmented_arousal.csv",
          inputs=[data_csv])


def _interrupt_midway(monkeypatch):
    real = LicAugmenter._generate_diverse
    calls = []

    def interrupted(self, *a, **k):
        calls.append(1)
        if len(calls) == 2:  # the first class is done, the second is interrupted
            raise KeyboardInterrupt
        return real(self, *a, **k)

    monkeypatch.setattr(LicAugmenter, "_generate_diverse", interrupted)
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
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "augment.py"), *args],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.slow
def test_script_user_errors_are_one_line_exit_2(tmp_path, data_csv, vectors):
    data_csv.write_bytes(csv_text().replace("kitchen", "caf\u00e9").encode("latin1"))
    with untouched(data_csv):
        res = _script(f"hydra.run.dir={tmp_path / 'run'}", "device=cpu", "data=csv", f"data.path={data_csv}",
                      "embeddings=file", f"embeddings.source={vectors}", cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "data.encoding=latin1" in lines[0]
    assert not list((tmp_path / "run").rglob("*.csv"))

    missing = _script(f"hydra.run.dir={tmp_path / 'run2'}", "device=cpu", "data=csv", cwd=tmp_path)
    assert missing.returncode == 2, missing.stderr
    assert "Traceback" not in missing.stderr and "data.path" in missing.stderr

    # Two classes: the one error line and nothing else (no UserWarning from LIC on top).
    data_csv.write_text(csv_text([(t, 1 if a < 4 else 7, v) for t, a, v in ROWS]), encoding="utf-8")
    two = _script(f"hydra.run.dir={tmp_path / 'run3'}", "device=cpu", "data=csv", f"data.path={data_csv}",
                  "embeddings=file", f"embeddings.source={vectors}", cwd=tmp_path)
    assert two.returncode == 2, two.stderr
    assert [ln for ln in two.stderr.splitlines() if not ln.startswith("INFO ")] == [
        ln for ln in two.stderr.splitlines() if ln.startswith("error:")]
    assert "lic.method=log_odds" in two.stderr


@pytest.mark.slow
def test_script_verbose_shows_the_traceback(tmp_path, vectors):
    res = _script(f"hydra.run.dir={tmp_path / 'run'}", "device=cpu", "verbose=true", "data=csv",
                  f"data.path={tmp_path / 'nope.csv'}", "embeddings=file", f"embeddings.source={vectors}",
                  cwd=tmp_path)
    assert res.returncode != 0
    assert "LicGpuError" in res.stderr and "nope.csv" in res.stderr


def test_gpu_oom_that_never_ends_falls_back_to_cpu(monkeypatch):
    """After the smallest chunks still run out of GPU memory, the rest is searched on the CPU,
    with a warning and a note for the run summary (simulated: a store that claims a 'meta' device)."""
    import numpy as np
    import torch

    from lic_gpu.embeddings import EmbeddingStore

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    matrix = rng.standard_normal((300, 8)).astype(np.float32)
    real = EmbeddingStore.from_array(words, matrix)
    expected = real.topk_ids(torch.arange(20), 5)

    class OutOfMemoryGpuStore(EmbeddingStore):
        @property
        def device(self):
            return torch.device("meta")

        def _search_block(self, *args, **kwargs):
            raise torch.OutOfMemoryError("simulated")

    fake = OutOfMemoryGpuStore(real.words, real.vectors, "fake gpu")
    scores, ids = fake.topk_ids(torch.arange(20), 5)
    assert torch.equal(ids, expected[1]) and torch.allclose(scores, expected[0])
    assert fake.search_notes and "on the CPU" in fake.search_notes[0]


def test_vectors_too_big_for_the_gpu_fall_back_to_cpu(monkeypatch, tmp_path):
    """An out-of-memory while putting the vectors on the GPU ends in a CPU run, recorded in the summary."""
    import torch

    import lic_gpu.pipeline as pipeline
    from lic_gpu.device import DeviceChoice
    from lic_gpu.embeddings import EmbeddingStore

    real_load = EmbeddingStore.load.__func__

    def load(cls, *args, device="cpu", **kwargs):
        if str(device) != "cpu":
            raise torch.OutOfMemoryError("simulated")
        return real_load(cls, *args, device=device, **kwargs)

    monkeypatch.setattr(EmbeddingStore, "load", classmethod(load))
    monkeypatch.setattr(pipeline, "resolve_device",
                        lambda requested: DeviceChoice(torch.device("meta"), "cuda"))
    from hydra import compose, initialize_config_dir

    from conftest import ROOT

    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose(config_name="augment", overrides=["device=cuda", "report.enabled=false"])
    summary = pipeline.run_augment(cfg, tmp_path)
    assert summary["device"] == "cpu" and "do not fit" in summary["device_fallback"]
