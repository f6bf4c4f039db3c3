"""Reliability III (issue 25): hostile shared folders, signals, bounded inputs, degenerate vectors,
escaped reports and clearer messages.

Runs use the toy corpus and vectors of ``test_errors`` (small files in ``tmp_path``).
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lic_gpu.io import atomic_files as cache_safety
from lic_gpu.app.augment_job import run_augment
from lic_gpu.io.data import load_csv, read_table
from lic_gpu.vectors.store import EmbeddingStore
from lic_gpu.errors import LicGpuError
from lic_gpu.vectors.neighbour_cache import NeighbourCache
from lic_gpu.io.run_folder import prepare_run_folder

from helpers import ROOT
from test_errors import assert_nothing_written, csv_cfg, csv_text, write_vectors

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def one_line(err: BaseException) -> str:
    msg = str(err)
    assert msg and "\n" not in msg and msg.strip() == msg, msg
    return msg


@pytest.fixture
def vectors(tmp_path):
    return write_vectors(tmp_path / "vectors.txt")


@pytest.fixture
def data_csv(tmp_path):
    p = tmp_path / "in" / "data.csv"
    p.parent.mkdir()
    p.write_text(csv_text(), encoding="utf-8")
    return p


@pytest.fixture(autouse=True)
def fresh_cache_state(monkeypatch, tmp_path):
    """Each test starts with no trusted folder and no warning said yet, and its own cache root."""
    monkeypatch.setattr(cache_safety, "_trusted", set())
    monkeypatch.setattr(cache_safety, "_warned", set())
    monkeypatch.setenv("LIC_GPU_CACHE", str(tmp_path / "cache_root"))


# ---------------------------------------------------------------- the run folder and Hydra's files


@pytest.mark.parametrize("link", ["", "augment.log", ".hydra", ".hydra/config.yaml"])
def test_a_link_among_hydras_files_or_as_the_run_folder_is_refused(tmp_path, link):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim.yaml").write_text("mine\n")
    run = tmp_path / "run"
    if link == "":
        run.symlink_to(elsewhere, target_is_directory=True)
    else:
        (run / ".hydra").parent.mkdir(parents=True, exist_ok=True)
        if link == ".hydra/config.yaml":
            (run / ".hydra").mkdir()
        target = elsewhere if link == ".hydra" else elsewhere / "victim.yaml"
        (run / link).symlink_to(target)
    with pytest.raises(LicGpuError) as info:
        prepare_run_folder(run, ["arousal"], {})
    assert "symbolic link" in one_line(info.value)
    assert (elsewhere / "victim.yaml").read_text() == "mine\n"


def test_another_runs_hydra_folder_is_not_overwritten(tmp_path):
    """Two runs targeting one folder: the second is refused before Hydra writes its ``.hydra/``."""
    from hydra import compose, initialize_config_dir

    from lic_gpu.app.config import RunFolderCheck
    from lic_gpu.errors import Refused

    run = tmp_path / "run"
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "config.yaml").write_text("seed: 1\n")
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        config = compose(
            config_name="augment", overrides=[f"hydra.run.dir={run}", "device=cpu"], return_hydra_config=True
        )
    with pytest.raises(Refused) as info:
        RunFolderCheck().on_run_start(config)
    assert ".hydra/" in one_line(info.value.error) and "another run" in str(info.value.error)
    assert (run / ".hydra" / "config.yaml").read_text() == "seed: 1\n"
    # the job's own check (after Hydra wrote .hydra/) accepts the folder
    assert prepare_run_folder(run, ["arousal"], {}) == run


@pytest.mark.slow
def test_script_refuses_a_linked_log_and_leaves_its_target_alone(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    run = tmp_path / "run"
    run.mkdir()
    (run / "augment.log").symlink_to(victim)
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "augment.py"), f"hydra.run.dir={run}", "device=cpu"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith("error: the augment.log") and "Traceback" not in res.stderr
    assert victim.read_text() == "mine\n" and not (run / ".hydra").exists()


# ---------------------------------------------------------------- caches in hostile folders


def test_a_linked_tag_database_is_replaced_never_written_through(tmp_path, caplog):
    from lic_gpu.fluency.taggers import TagCache

    import sqlite3

    someone = tmp_path / "someones.sqlite"
    db = sqlite3.connect(someone)
    db.execute("CREATE TABLE theirs (x)")
    db.commit()
    db.close()
    before = someone.read_bytes()
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "tags.sqlite").symlink_to(someone)
    (folder / "tags.sqlite-journal").symlink_to(tmp_path / "nowhere")
    with caplog.at_level(logging.WARNING):
        cache = TagCache(folder / "tags.sqlite")
    assert "symbolic link" in caplog.text
    cache.put("t", [(TagCache.key(["a"]), ["DT"])])
    assert cache.get("t", [TagCache.key(["a"])]) == {TagCache.key(["a"]): ("DT",)}
    assert someone.read_bytes() == before and not (tmp_path / "nowhere").exists()
    assert not (folder / "tags.sqlite").is_symlink()


def test_a_tag_database_hard_linked_to_another_file_is_not_used(tmp_path, caplog):
    from lic_gpu.fluency.taggers import TagCache

    someone = tmp_path / "someones.db"
    someone.write_bytes(b"")
    folder = tmp_path / "cache"
    folder.mkdir()
    os.link(someone, folder / "tags.sqlite")
    with caplog.at_level(logging.WARNING):
        cache = TagCache(folder / "tags.sqlite")
    cache.put("t", [(TagCache.key(["a"]), ["DT"])])
    assert "hard link" in caplog.text and someone.read_bytes() == b""


def test_a_linked_neighbours_folder_is_not_used(tmp_path, vectors, caplog):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "nc").symlink_to(elsewhere, target_is_directory=True)
    store = EmbeddingStore.load(vectors, neighbour_cache=tmp_path / "nc")
    with caplog.at_level(logging.WARNING):
        assert NeighbourCache.for_store(store, 3) is None
    assert "symbolic link" in caplog.text and list(elsewhere.iterdir()) == []


def test_a_linked_vector_cache_folder_is_not_written(tmp_path, vectors, caplog):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "vc").symlink_to(elsewhere, target_is_directory=True)
    with caplog.at_level(logging.WARNING):
        store = EmbeddingStore.load(vectors, cache_dir=tmp_path / "vc")
    assert len(store) > 0 and list(elsewhere.iterdir()) == []
    assert "not using the embedding cache folder" in caplog.text


def test_a_linked_cache_file_is_replaced_not_followed(tmp_path, vectors):
    store = EmbeddingStore.load(vectors, neighbour_cache=tmp_path / "nc")
    probe = NeighbourCache.for_store(store, 3)
    probe.path.parent.mkdir(parents=True)
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"mine")
    probe.path.symlink_to(victim)
    cache = NeighbourCache.for_store(store, 3)
    scores, ids = store.topk_ids([1, 2], 3)
    cache.add([1, 2], ids, scores)
    assert victim.read_bytes() == b"mine" and not probe.path.is_symlink()
    assert NeighbourCache.for_store(store, 3).lookup([1, 2])[0] == [1, 2]


def test_a_world_writable_cache_folder_is_refused_unless_trusted(tmp_path, vectors, caplog):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with caplog.at_level(logging.WARNING):
        store = EmbeddingStore.load(vectors, neighbour_cache=shared)
        assert NeighbourCache.for_store(store, 3) is None
        assert NeighbourCache.for_store(store, 3) is None
    warnings = [r for r in caplog.records if "every user may write" in r.getMessage()]
    assert len(warnings) == 1 and "embeddings.trust_shared_cache=true" in warnings[0].getMessage()
    assert "hydra.run.dir" not in caplog.text
    trusted = EmbeddingStore.load(vectors, neighbour_cache=shared, trust_shared_cache=True)
    assert NeighbourCache.for_store(trusted, 3) is not None


@pytest.mark.skipif(not IS_ROOT, reason="making a folder another user's needs root")
def test_a_cache_folder_of_another_user_is_refused(tmp_path, vectors, caplog):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, 12345, 12345)
    with caplog.at_level(logging.WARNING):
        EmbeddingStore.load(vectors, cache_dir=theirs)
    assert "belongs to another user (uid 12345)" in caplog.text and list(theirs.iterdir()) == []


def _planted(path: Path, rows, ids, scores, compress=False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    (np.savez_compressed if compress else np.savez)(
        path,
        rows=np.asarray(rows, dtype=np.int64),
        ids=np.asarray(ids, dtype=np.int64),
        scores=np.asarray(scores, dtype=np.float32),
    )


def test_a_planted_neighbour_cache_that_passes_every_structural_check_is_a_miss(tmp_path, vectors, caplog):
    store = EmbeddingStore.load(vectors, neighbour_cache=tmp_path / "nc")
    path = NeighbourCache.for_store(store, 3).path
    rows = list(range(len(store)))
    true_scores, true_ids = store.topk_ids(rows, 3)
    # every answer well formed (ids in the vocabulary, never the query, cosines descending) but made up
    fake_ids = np.array([[(r + 1) % len(store), (r + 2) % len(store), (r + 3) % len(store)] for r in rows])
    _planted(path, rows, fake_ids, np.tile([0.99, 0.98, 0.97], (len(rows), 1)))
    with caplog.at_level(logging.WARNING):
        cache = NeighbourCache.for_store(store, 3)
        found, ids, scores = cache.lookup([0, 5, 9])
    assert found == [] and "differ from a new search" in caplog.text
    cache.add(rows, true_ids, true_scores)  # the run's search rewrites the file whole
    again = NeighbourCache.for_store(store, 3)
    found, ids, _ = again.lookup(rows)
    assert found == rows and np.array_equal(ids, true_ids.numpy())


@pytest.mark.parametrize(
    "n, reason",
    [
        (2_000_000, "compressed members"),  # 16 MB inflated, 16 KB on disk
        (20_000_000, "more than the"),
    ],
)  # 160 MB, larger than any answer set
def test_a_compressed_cache_is_refused_before_it_is_inflated(tmp_path, vectors, caplog, n, reason):
    import resource

    store = EmbeddingStore.load(vectors, neighbour_cache=tmp_path / "nc")
    path = NeighbourCache.for_store(store, 3).path
    _planted(path, np.zeros(1, np.int64), np.zeros((1, 3)), np.zeros((1, 3)), compress=True)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        buf = io.BytesIO()
        np.save(buf, np.zeros(n, dtype=np.int64))
        archive.writestr("big.npy", buf.getvalue())
    del buf
    assert path.stat().st_size < 2_000_000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with caplog.at_level(logging.WARNING):
        assert len(NeighbourCache.for_store(store, 3)) == 0
    assert reason in caplog.text
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 10_000  # KiB: nothing was inflated


def test_a_fifo_in_place_of_a_cache_file_does_not_block(tmp_path, vectors, caplog):
    store = EmbeddingStore.load(vectors, neighbour_cache=tmp_path / "nc")
    path = NeighbourCache.for_store(store, 3).path
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    with caplog.at_level(logging.WARNING):
        assert len(NeighbourCache.for_store(store, 3)) == 0
    assert "not a regular file" in caplog.text


def test_cache_write_warnings_do_not_advise_the_run_folder(tmp_path, vectors, caplog):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    store = EmbeddingStore.load(vectors, neighbour_cache=blocked / "sub")
    cache = NeighbourCache.for_store(store, 3)
    scores, ids = store.topk_ids([1, 2], 3)
    with caplog.at_level(logging.WARNING):
        cache.add([1, 2], ids, scores)
    assert "could not write the neighbour cache" in caplog.text
    assert "hydra.run.dir" not in caplog.text and "LIC_GPU_CACHE" in caplog.text


# ---------------------------------------------------------------- one interrupt path

_DRIVER = r"""
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from lic_gpu.app.entry import install_interrupt_handlers, main_guarded
from test_errors import csv_cfg
import lic_gpu.io.data, lic_gpu.io.tables, lic_gpu.vectors.store, lic_gpu.app.outputs, lic_gpu.io.run_folder, lic_gpu.io.atomic_files

moment = {moment!r}
module, name, nth = {{
    "reading": (lic_gpu.io.tables, "_decompress", 1),
    "searching": (lic_gpu.vectors.store.EmbeddingStore, "topk_ids", 1),
    "writing": (lic_gpu.app.outputs, "write_table", 2),
    "moving": (lic_gpu.io.run_folder, "_place", 3),
    "caching": (lic_gpu.io.atomic_files, "file_mode", 1),  # the vector cache's temp file is written
}}[moment]
real, calls = getattr(module, name), []
def hooked(*args, **kwargs):
    calls.append(1)
    if len(calls) == nth:
        os.kill(os.getpid(), signal.SIGTERM)  # delivered at the next bytecode, inside the run
    return real(*args, **kwargs)
setattr(module, name, hooked)
install_interrupt_handlers()
from lic_gpu.app.augment_job import run_augment
cfg = csv_cfg({data!r}, {vectors!r}, "embeddings.cache_dir={cache}", "embeddings.neighbour_cache={cache}/nb")
main_guarded(lambda c: run_augment(c, Path({out!r})), cfg)
"""


@pytest.mark.parametrize("moment", ["reading", "searching", "writing", "moving", "caching"])
def test_sigterm_at_any_moment_leaves_a_complete_set_or_nothing(tmp_path, data_csv, vectors, moment):
    out, cache = tmp_path / "run", tmp_path / "cache"
    script = _DRIVER.format(
        tests=str(ROOT / "tests"), moment=moment, data=str(data_csv), vectors=str(vectors), cache=cache, out=str(out)
    )
    res = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])},
    )
    assert res.returncode == 143, res.stderr
    assert res.stderr.strip().splitlines()[-1] == "terminated (SIGTERM): no output file was left half-written"
    assert "Traceback" not in res.stderr
    left = sorted(str(p.relative_to(out)) for p in out.rglob("*")) if out.exists() else []
    assert not [p for p in left if ".staging-" in p or p.endswith(".tmp")], left
    files = [p for p in left if (out / p).is_file()]
    if files:  # the whole set: summary.json and every file it lists
        summary = json.loads((out / "summary.json").read_text())
        assert sorted(files) == sorted([*summary["outputs"], "summary.json"])
    assert not [p for p in cache.rglob("*") if p.name.endswith(".tmp")] if cache.exists() else True


def test_rollback_is_complete_for_any_exception(tmp_path, data_csv, vectors, monkeypatch):
    import lic_gpu.io.run_folder as run_folder

    real, calls = run_folder._place, []

    def place(source, target):
        calls.append(target)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(source, target)

    monkeypatch.setattr(run_folder, "_place", place)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run_augment(csv_cfg(data_csv, vectors), out)
    assert len(calls) == 2 and list(out.rglob("*")) == []


@pytest.mark.parametrize(
    "sig, status, start",
    [
        (signal.SIGINT, 130, "interrupted:"),
        (signal.SIGTERM, 143, "terminated (SIGTERM):"),
        (signal.SIGHUP, 129, "hung up (SIGHUP):"),
    ],
)
def test_each_signal_has_its_line_and_status(sig, status, start):
    from lic_gpu.app.entry import Interrupted, interrupt_line, interrupt_status

    err = Interrupted(sig)
    assert isinstance(err, KeyboardInterrupt)
    assert interrupt_status(err) == status and interrupt_line(err).startswith(start)


# ---------------------------------------------------------------- inputs


def _gzip_bomb(path: Path, rows: int) -> Path:
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"id,text,arousal\n")
        block = b"1,x,1\n" * 100_000
        for _ in range(rows // 100_000):
            fh.write(block)
    return path


def test_a_gzip_bomb_is_refused_with_both_bounds_named(tmp_path):
    bomb = _gzip_bomb(tmp_path / "bomb.csv.gz", 3_000_000)  # 18 MB inflated from about 40 KB
    assert bomb.stat().st_size < 100_000
    with pytest.raises(LicGpuError) as info:
        read_table(bomb, max_bytes=1_000_000)
    msg = one_line(info.value)
    assert "decompressed" in msg and "data.max_bytes=1000000" in msg and "data.max_rows=" in msg
    with pytest.raises(LicGpuError) as info:
        read_table(bomb, max_rows=1000)
    msg = one_line(info.value)
    assert "more than 1000 rows" in msg and "data.max_rows=1000" in msg and "data.max_bytes=" in msg


def test_input_bounds_come_from_the_config(tmp_path, vectors):
    from lic_gpu.io.conf_files import group_defaults
    from lic_gpu.io.data import input_limits

    for group in ("csv", "emobank", "seed_csv"):
        defaults = group_defaults("data", group)
        assert input_limits() == (defaults["max_rows"], defaults["max_bytes"])
    small = tmp_path / "in.csv"
    small.write_text(csv_text())
    with pytest.raises(LicGpuError, match="data.max_rows=3"):
        run_augment(csv_cfg(small, vectors, "data.max_rows=3"), tmp_path / "run")


def test_summary_checksum_is_of_the_bytes_read_and_a_change_during_the_run_is_refused(
    tmp_path, data_csv, vectors, monkeypatch
):
    import hashlib

    import lic_gpu.app.augment_job as job

    read_bytes = data_csv.read_bytes()
    summary = run_augment(csv_cfg(data_csv, vectors), tmp_path / "one")
    assert summary["data"]["sha256"][str(data_csv)] == hashlib.sha256(read_bytes).hexdigest()
    real = job.augment_corpus

    def rewritten_meanwhile(*args, **kwargs):
        done = real(*args, **kwargs)
        data_csv.write_text(csv_text() + "r99,late row,4,4\n")
        return done

    monkeypatch.setattr(job, "augment_corpus", rewritten_meanwhile)
    out = tmp_path / "two"
    with pytest.raises(LicGpuError) as info:
        run_augment(csv_cfg(data_csv, vectors), out)
    assert "changed during the run" in one_line(info.value)
    assert_nothing_written(out)


def test_a_file_changing_while_it_is_read_is_refused(tmp_path, data_csv, monkeypatch):
    import lic_gpu.io.tables as data  # the reading of one table file

    real, touched = os.read, []

    def read_and_touch(fd, n):
        chunk = real(fd, n)
        if chunk and not touched:  # another program appends once, after the first chunk was read
            touched.append(1)
            with open(data_csv, "ab") as fh:
                fh.write(b"r98,appended,4,4\n")
        return chunk

    monkeypatch.setattr(data.os, "read", read_and_touch)
    with pytest.raises(LicGpuError, match="changed while it was read"):
        read_table(data_csv)


def test_a_fifo_as_input_is_refused_at_once(tmp_path):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    with pytest.raises(LicGpuError) as info:
        load_csv(fifo)
    assert "not a regular file" in one_line(info.value)


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip"])
def test_a_repeated_header_in_a_compressed_input_is_refused(tmp_path, suffix):
    import bz2
    import lzma

    text = "id,text,arousal,arousal\nr1,hello there,1,2\n".encode()
    path = tmp_path / f"data{suffix}"
    if suffix == ".csv.zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("data.csv", text)
    else:
        path.write_bytes({".csv.gz": gzip.compress, ".csv.bz2": bz2.compress, ".csv.xz": lzma.compress}[suffix](text))
    with pytest.raises(LicGpuError) as info:
        read_table(path)
    assert "names column 'arousal' 2 times" in one_line(info.value)


def test_a_nul_byte_in_a_utf8_file_is_not_called_utf16(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(csv_text().encode().replace(b"calm", b"ca\x00lm", 1))
    with pytest.raises(LicGpuError) as info:
        read_table(path)
    msg = one_line(info.value)
    assert "NUL bytes" in msg and "UTF-16" not in msg


def test_ratings_spanning_millions_of_levels_do_not_hang_the_figures(tmp_path, vectors):
    rows = csv_text().splitlines()
    extra = [rows[0] + ",huge"] + [r + (",1" if i % 2 else ",10000000") for i, r in enumerate(rows[1:])]
    path = tmp_path / "data.csv"
    path.write_text("\n".join(extra) + "\n")
    summary = run_augment(csv_cfg(path, vectors, "report.enabled=true"), tmp_path / "run")
    assert summary["report"]["distribution_columns_too_wide"] == ["huge"]
    assert "huge" not in summary["report"]["distribution_columns"]
    assert (tmp_path / "run" / "distributions.png").exists()


def test_numeric_ids_beyond_int64_continue_exactly(tmp_path, vectors):
    big = 2**64 + 5
    df = pd.read_csv(io.StringIO(csv_text()))
    df["id"] = [str(big + i) for i in range(len(df))]
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    run_augment(csv_cfg(path, vectors, "data.id_columns=[id]"), tmp_path / "run")
    out = pd.read_csv(tmp_path / "run" / "augmented_arousal.csv", dtype=str, keep_default_na=False)
    new = out[out["is_augmented"] == "True"]
    assert len(new) and sorted(int(v) for v in new["id"]) == list(range(big + len(df), big + len(df) + len(new)))


# ---------------------------------------------------------------- degenerate vectors


@pytest.mark.parametrize(
    "matrix, pattern",
    [
        (np.zeros((5, 4)), "every vector is zero"),
        (np.arange(1, 6, dtype=float).reshape(5, 1), "1 dimension"),
        (np.tile([0.3, -0.2, 0.5], (5, 1)) * np.arange(1, 6)[:, None], "constant vectors"),
    ],
)
def test_degenerate_vectors_are_refused(tmp_path, matrix, pattern):
    words = ["the", "a", "calm", "quiet", "tea"]
    with pytest.raises(LicGpuError) as info:
        EmbeddingStore.from_array(words, matrix)
    assert pattern in one_line(info.value)
    path = tmp_path / "v.txt"
    path.write_text("".join(w + " " + " ".join(map(str, row)) + "\n" for w, row in zip(words, matrix)))
    with pytest.raises(LicGpuError) as info:
        EmbeddingStore.load(path, format="glove_text")
    assert pattern in one_line(info.value)


def test_vectors_with_some_zero_rows_are_still_accepted():
    matrix = np.eye(4)
    matrix[0] = 0
    assert len(EmbeddingStore.from_array(["a", "b", "c", "d"], matrix)) == 4


# ---------------------------------------------------------------- report.md


def test_report_escapes_sentence_text(tmp_path):
    from lic_gpu.report import markdown as report
    from lic_gpu.app.outputs import _marked
    from lic_gpu.text import whitespace_tokenise

    text = "Calm <img src=x onerror=alert(1)> [click](javascript:alert(1)) https://evil.example *x*"
    marked = _marked(text, [{"pos": 0, "old": "Calm", "new": "Quiet"}], "old", whitespace_tokenise)
    section = "\n".join(
        report._swaps_section([{"emotion": "<b>arousal</b>", "class": 1, "source": marked, "new": marked}])
    )
    assert "**Calm**" in section
    import re

    for raw in ("<img", "](javascript:", "[click]", "https://", "<b>", "*x*"):
        # present only with its first character escaped (shown as written, never acted on)
        assert not re.search(r"(?<!\\)" + re.escape(raw), section), raw
    assert "javascript\\:alert" in section and "\\<img" in section


# ---------------------------------------------------------------- messages


def test_spacy_model_must_be_a_spacy_model_and_nothing_is_imported(tmp_path, monkeypatch):
    pytest.importorskip("spacy")
    from lic_gpu.fluency.taggers import SpacyTagger

    marker = tmp_path / "imported"
    for name in ("evilpkg", "xx_evil"):
        pkg = tmp_path / name
        pkg.mkdir()
        (pkg / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('x')\ndef load(): pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("evilpkg", "xx_evil", "numpy"):
        with pytest.raises(LicGpuError) as info:
            SpacyTagger(name)
        assert "no spaCy English model" in one_line(info.value)
    assert not marker.exists()


@pytest.mark.slow
def test_a_closed_stdout_after_the_outputs_exits_0(tmp_path):
    run = tmp_path / "run"
    res = subprocess.run(
        f'"{sys.executable}" "{ROOT / "scripts" / "augment.py"}" device=cpu report.enabled=false '
        f'hydra.run.dir="{run}" >&-',
        shell=True,
        cwd=tmp_path,
        capture_output=False,
        stderr=subprocess.PIPE,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    assert (run / "summary.json").exists() and "Traceback" not in res.stderr


@pytest.mark.parametrize("body", ["2 3\nthe 0.1 0.2 0.3\ncat 0.3 0.4 0.5\n", "the 0.1 0.2 0.3\ncat 0.3 0.4 0.5\n"])
def test_a_byte_order_mark_in_a_vector_file_is_one_line(tmp_path, body):
    # gensim read the mark into the header (refused as GloVe, misleadingly) or into the first word ('\ufeffthe')
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    with pytest.raises(LicGpuError, match="starts with a UTF-8 byte-order mark"):
        EmbeddingStore.load(path)


def test_a_word_listed_twice_leaves_no_empty_slot(tmp_path, caplog):
    # gensim keeps the first 'apple' and leaves a slot without a word: it was read as a word 'None', zero vector
    path = tmp_path / "dup.txt"
    path.write_text("3 2\napple 0.1 0.2\ncat 0.3 0.4\napple 0.5 0.6\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="lic_gpu.vectors.files"):
        store = EmbeddingStore.load(path)
    assert store.words == ["apple", "cat"] and store.resolve("None") is None
    assert any("1 word is listed twice" in r.getMessage() for r in caplog.records)
