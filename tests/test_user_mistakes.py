"""Mistakes a user makes end in one ``error:`` line, never a traceback (issue 20), and the cases that
crashed before run: categorical labels with figures, an id column given as emotion, a wrong
encoding, a k whose neighbour table cannot fit, a gensim-data name for the packaged vectors."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from lic_gpu.app.augment_job import run_augment
from lic_gpu.errors import LicGpuError
from lic_gpu.vectors.memory_budget import check_neighbour_table

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "lic_gpu" / "resources" / "demo"


def cfg(*overrides):
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        return compose(config_name="augment", overrides=["device=cpu", *overrides])


@pytest.fixture(scope="module")
def demo_table(tmp_path_factory):
    """The demo corpus as one CSV, with a column of word labels (one looks like a rank: '1st') and a
    string id column."""
    frame = pd.read_csv(DEMO / "words.csv").merge(pd.read_csv(DEMO / "ratings.csv"))
    frame["mood"] = (["anger", "anger", "joy", "anger", "1st", "joy", "anger", "fear"] * len(frame))[: len(frame)]
    frame.insert(0, "doc", [f"doc{i}_{i % 7}" for i in range(len(frame))])
    path = tmp_path_factory.mktemp("data") / "demo.csv"
    frame.to_csv(path, index=False)
    return path


def test_categorical_word_labels_draw_their_figures(demo_table, tmp_path):
    # main drew int('anger') and died after the whole job; the figure now has one bar per name
    s = run_augment(
        cfg(
            "data=csv",
            f"data.path={demo_table}",
            "data.text_column=label",
            "emotion=mood",
            "+data.non_rating_columns=[start,end,doc]",
        ),
        tmp_path,
    )
    assert s["data"]["label_kinds"] == {"mood": "categorical"}
    assert (tmp_path / "distributions.png").stat().st_size > 0 and (tmp_path / "top_lic_mood.png").is_file()
    new = pd.read_csv(tmp_path / "augmented_mood.csv", keep_default_na=False).query("is_augmented")
    assert set(new["mood"]) <= {"anger", "1st", "joy", "fear"} and len(new) > 0


def test_a_string_id_column_as_emotion_is_one_line(demo_table, tmp_path):
    with pytest.raises(LicGpuError, match=r"column 'doc' of .* has a different value in every row \(an id"):
        run_augment(
            cfg("data=csv", f"data.path={demo_table}", "data.text_column=label", "emotion=doc", "report.enabled=false"),
            tmp_path,
        )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_utf8_file_read_as_a_wide_encoding_is_one_line(demo_table, tmp_path, encoding):
    with pytest.raises(LicGpuError, match=rf"is not {encoding}-encoded text .*set data.encoding=utf-8"):
        run_augment(
            cfg(
                "data=csv",
                f"data.path={demo_table}",
                "data.text_column=label",
                f"data.encoding={encoding}",
                "report.enabled=false",
            ),
            tmp_path,
        )


def test_k_whose_table_cannot_fit_names_the_size_and_what_fits():
    with pytest.raises(LicGpuError) as err:
        check_neighbour_table(368, 399_999, 400_000, available=8 * 10**9, asked=400_000)
    message = str(err.value)
    assert "k=400000 (augment.k)" in message and "368 words x 399,999 neighbours" in message
    fits = int(message.split("k <= ")[1].split()[0].replace(",", ""))
    assert 368 * fits * 80 <= 4 * 10**9 < 368 * (fits + 1) * 80
    check_neighbour_table(368, 20, 400_000, available=8 * 10**9)  # the default k fits


def test_k_400000_is_one_error_line_from_the_command(tmp_path):
    # the real command, with memory capped so that a regression cannot take the machine's memory
    run = subprocess.run(
        [
            "bash",
            "-c",
            f"ulimit -v 12000000; exec {sys.executable} {ROOT / 'scripts' / 'augment.py'} "
            f"augment.k=400000 report.enabled=false hydra.run.dir={tmp_path / 'run'}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert run.returncode == 2, run.stderr[-2000:]
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("error: k=400000 (augment.k) asks for a neighbour table") and "k <= " in last
    assert "Traceback" not in run.stderr


def test_gensim_data_name_of_the_packaged_vectors_is_accepted(tmp_path):
    s = run_augment(cfg("embeddings.source=glove-wiki-gigaword-50", "report.enabled=false"), tmp_path)
    assert "glove-6b-50d" in s["vectors"]["source"]


@pytest.mark.parametrize(
    "entry",
    [
        ["scripts/evaluate.py"],
        ["scripts/augment.py"],
        ["-c", "from lic_gpu.cli import evaluate; evaluate()"],
        ["-c", "from lic_gpu.cli import augment; augment()"],
    ],
)
def test_every_entry_point_composes_with_no_overrides(entry, tmp_path):
    """``--cfg job`` composes and prints the config without running it, with no key override: the
    schemas must be registered by the entry point itself (scripts/evaluate.py said "Could not load
    'study/base_study'" unless some other key was overridden)."""
    argv = [sys.executable, *([str(ROOT / entry[0])] if entry[0].endswith(".py") else entry), "--cfg", "job"]
    env = {k: v for k, v in __import__("os").environ.items() if k != "HYDRA_FULL_ERROR"}
    env["PYTHONPATH"] = str(ROOT)
    run = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "embeddings:" in run.stdout and "allow_pickle: false" in run.stdout
