"""Input and output formats, type-stable CSVs, splits and provenance in summary.json (issue 14)."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from lic_gpu.io.data import load_csv, read_table, table_format
from lic_gpu.errors import LicGpuError
from lic_gpu.app.augment_job import run_augment

from helpers import EMOBANK, ROOT
from test_errors import ROWS, TOY_FILTERS, write_vectors

FRAME = pd.DataFrame([(f"r{i}", *r) for i, r in enumerate(ROWS)], columns=["id", "text", "arousal", "valence"])


def cfg(*overrides):
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        return compose(config_name="augment", overrides=["device=cpu", "report.enabled=false", *overrides])


def _write(frame: pd.DataFrame, path, fmt: str):
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    return path


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("d.csv", "csv"),
        ("d.tsv", "tsv"),
        ("d.parquet", "parquet"),
        ("d.jsonl", "jsonl"),
        ("d.csv.gz", "csv"),
        ("d.ndjson", "jsonl"),
    ],
)
def test_every_format_reads_the_same(tmp_path, name, fmt):
    path = _write(FRAME, tmp_path / name, fmt)
    assert table_format(path) == fmt
    corpus = load_csv(path, id_columns=["id"])
    assert corpus.rating_columns == ("arousal", "valence")
    assert corpus.frame["text"].tolist() == FRAME["text"].tolist()
    assert corpus.frame["arousal"].tolist() == FRAME["arousal"].astype(float).tolist()


def test_sep_and_a_parquet_file_named_csv(tmp_path):
    semi = tmp_path / "semi.csv"
    FRAME.to_csv(semi, index=False, sep=";")
    assert read_table(semi, sep=";").columns.tolist() == FRAME.columns.tolist()
    with pytest.raises(
        LicGpuError, match=r"cannot parse .*semi.csv as CSV \(delimiter ','\).*holds 3 ';': set \"data.sep=';'\""
    ):
        read_table(semi)
    # a tab typed on a command line (data.sep='\t') arrives as backslash-t; two characters are refused in one line
    tabbed = tmp_path / "tabbed.txt"
    FRAME.to_csv(tabbed, index=False, sep="\t")
    assert read_table(tabbed, sep="\\t").columns.tolist() == FRAME.columns.tolist()
    with pytest.raises(LicGpuError, match="data.sep must be one character"):
        read_table(tabbed, sep=";;")
    # a file read whole into one column: the missing-column error asks about the delimiter
    one_column = tmp_path / "one_column.csv"
    one_column.write_text("id;text;arousal\nr1;hello there;3\nr2;a nice day;4\n", encoding="utf-8")
    with pytest.raises(LicGpuError, match=r"columns present: \['id;text;arousal'\] \(one column: .*\"data.sep=';'\"\)"):
        load_csv(one_column)
    disguised = _write(FRAME, tmp_path / "really_parquet.csv", "parquet")
    assert read_table(disguised)["text"].tolist() == FRAME["text"].tolist()  # not "set data.encoding=latin1"
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(LicGpuError, match="cannot read .*broken.parquet as parquet"):
        read_table(broken)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a"}\n{oops\n')
    with pytest.raises(LicGpuError, match="as JSON lines"):
        read_table(bad)


def test_run_on_tsv_with_parquet_output(tmp_path):
    data = _write(FRAME, tmp_path / "in.tsv", "tsv")
    vectors = write_vectors(tmp_path / "v.txt")
    s = run_augment(
        cfg(
            "data=csv",
            f"data.path={data}",
            "embeddings=file",
            f"embeddings.source={vectors}",
            *TOY_FILTERS,
            "augment.k=5",
            "output.format=parquet",
        ),
        tmp_path / "out",
    )
    assert s["output_format"] == "parquet"
    out = pd.read_parquet(tmp_path / "out" / "augmented_arousal.parquet")
    assert out["is_augmented"].dtype == bool and out["is_augmented"].any()
    assert (tmp_path / "out" / "exports" / "arousal.parquet").is_file()
    assert not list((tmp_path / "out").glob("*.csv")) or not (tmp_path / "out" / "augmented_arousal.csv").exists()


def test_summary_records_versions_and_checksums(tmp_path):
    data = _write(FRAME, tmp_path / "in.csv", "csv")
    vectors = write_vectors(tmp_path / "v.txt")
    s = run_augment(
        cfg(
            "data=csv",
            f"data.path={data}",
            "embeddings=file",
            f"embeddings.source={vectors}",
            *TOY_FILTERS,
            "augment.k=5",
        ),
        tmp_path / "out",
    )
    on_disk = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert on_disk["data"]["sha256"] == {str(data): hashlib.sha256(data.read_bytes()).hexdigest()}
    packages = on_disk["environment"]["packages"]
    assert packages["torch"] and packages["pandas"] and packages["imbalanced-learn"] and "lic_gpu" in packages
    assert s["environment"]["python"]


def test_csv_outputs_keep_their_types_across_blocks(tmp_path):
    """pyarrow infers each column's type from its first block (Hugging Face's csv loader, from its first
    chunk): originals' provenance and ids must already have the type of the new rows' values."""
    import pyarrow.csv as pacsv

    run_augment(cfg(), tmp_path)
    path = tmp_path / "augmented_arousal.csv"
    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=4096))  # ~30 rows per block
    assert table.num_rows == len(pd.read_csv(path))
    types = {f.name: str(f.type) for f in table.schema}
    assert types["augmented_for"] == "string" and types["segment"] == "int64" and types["is_augmented"] == "bool"
    # the same with pandas chunks of the originals only, as datasets.load_dataset("csv") reads
    first = next(pd.read_csv(path, chunksize=400))
    assert not pd.api.types.is_numeric_dtype(first["augmented_for"].dtype) and first["segment"].dtype.kind == "i"


def test_hugging_face_datasets_loads_the_outputs(tmp_path):
    datasets = pytest.importorskip("datasets")
    run_augment(cfg(), tmp_path)
    for name in ("augmented_arousal.csv", "exports/arousal.csv"):
        ds = datasets.load_dataset(
            "csv", data_files=str(tmp_path / name), split="train", cache_dir=str(tmp_path / "hf")
        )
        assert ds.num_rows == len(pd.read_csv(tmp_path / name))


# ---------------------------------------------------------------- categorical labels


def test_app_runs_on_the_demo_category_column(tmp_path):
    s = run_augment(cfg("emotion=[category,arousal]"), tmp_path)
    assert s["data"]["label_kinds"] == {"category": "categorical", "arousal": "ordinal"}
    cat = s["emotions"]["category"]
    assert cat["label_kind"] == "categorical" and "rating-lean guard skipped" in cat["notes"][0]
    assert sum(c["generated"] for c in cat["classes"].values()) > 0 and "surprise" in cat["classes"]
    assert "rating_lean" in s["guard"]["guards"] and "arousal" in s["guard"]["corpus"]["emotions"]
    frame = pd.read_csv(tmp_path / "augmented_category.csv", keep_default_na=False)
    new = frame[frame["is_augmented"]]
    assert set(new["category"]) <= {"anger", "fear", "joy", "sadness", "surprise"}
    export = pd.read_csv(tmp_path / "exports" / "category.csv", keep_default_na=False)
    assert set(export["class"]) == {"anger", "fear", "joy", "neutral", "sadness", "surprise"}


def test_caps_say_they_are_for_ordinal_ratings(tmp_path):
    with pytest.raises(LicGpuError, match="'category', whose labels are categorical; caps keep a"):
        run_augment(
            cfg("emotion=[category,arousal,valence]", "caps=rectangle", "+caps.region.category=[1,3]"), tmp_path
        )
    with pytest.raises(LicGpuError, match="not a number: 'neutral'.*data.label_kind=categorical"):
        run_augment(cfg("emotion=category", "data.label_kind=ordinal"), tmp_path / "b")


# ---------------------------------------------------------------- splits on EmoBank


@pytest.mark.skipif(not EMOBANK.exists(), reason="EmoBank is not present in ../shared")
def test_emobank_default_augments_the_training_split_only(tmp_path):
    s = run_augment(cfg("data=emobank", f"data.path={EMOBANK / 'emobank.csv'}"), tmp_path)
    assert s["data"]["splits"]["column"] == "split" and s["data"]["splits"]["augmented"] == ["train"]
    frame = pd.read_csv(tmp_path / "augmented_arousal.csv", keep_default_na=False)
    orig, new = frame[~frame["is_augmented"]], frame[frame["is_augmented"]]
    assert len(new) > 0
    assert set(orig["split"].to_numpy()[new["source_row"]]) == {"train"} and set(new["split"]) == {"train"}
    assert frame["id"].is_unique and new["id"].str.contains("_aug").all()
    source = pd.read_csv(EMOBANK / "emobank.csv", keep_default_na=False)
    assert orig[["id", "split", "text"]].reset_index(drop=True).equals(source[["id", "split", "text"]])
    export = pd.read_csv(tmp_path / "exports" / "arousal.csv", keep_default_na=False)
    assert {"split", "id", "valence", "dominance"} <= set(export.columns)
    assert (export.loc[export["split"] != "train", "is_augmented"] == False).all()  # noqa: E712
    assert export["split"].value_counts().to_dict()["test"] == (source["split"] == "test").sum()


@pytest.mark.slow
def test_evaluation_on_categorical_labels_has_no_mae(tmp_path):
    from lic_gpu.evaluation.job import run_evaluate

    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        c = compose(
            config_name="evaluate",
            overrides=[
                "device=cpu",
                "emotion=category",
                "seeds=[0]",
                "methods=[none,lic_diverse_guard]",
                "classifiers=[tfidf_logreg]",
                "comparisons=[]",
                f"out_dir={tmp_path}",
            ],
        )
    payload = run_evaluate(c)
    records = pd.read_csv(tmp_path / "metrics.csv")
    assert "mae" not in set(records["metric"]) and "macro_f1" in set(records["metric"])
    split = payload["splits"][0]
    assert split["label_kind"] == "categorical" and "surprise" in split["class_names"].values()
    # trial 10: the report named the codes' labels only in metrics.json, and listed the ridge it does not run
    text = (tmp_path / "evaluation.md").read_text(encoding="utf-8")
    code = next(k for k, v in split["class_names"].items() if v == "surprise")
    assert f"{code} = surprise" in text
    models = next(line for line in text.splitlines() if line.startswith("- Models:"))
    assert "ridge" not in models


def test_demo_corpus_files_are_what_the_script_writes():
    """The category column comes from scripts/make_demo_corpus.py (deterministic: regenerating changes nothing)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_demo_corpus", ROOT / "scripts" / "make_demo_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    demo = ROOT / "lic_gpu" / "resources" / "demo"
    for name, text in mod.render().items():
        assert (demo / name).read_text(encoding="utf-8") == text, name
    ratings = pd.read_csv(demo / "ratings.csv")
    counts = ratings["category"].value_counts()
    assert counts.index[0] == "neutral" and counts.iloc[0] > 10 * counts.iloc[-1]  # heavily imbalanced


def test_a_header_without_rows_is_named_as_such(tmp_path):
    header_only = tmp_path / "header_only.csv"
    header_only.write_text("id,text,arousal\n", encoding="utf-8")
    with pytest.raises(LicGpuError, match=r"header_only.csv: no data rows \(only a header line\)"):
        load_csv(header_only).require_emotions(["arousal"])


def test_a_run_from_a_git_checkout_records_its_commit(tmp_path):
    from lic_gpu.io.provenance import environment, source_commit

    git = __import__("pathlib").Path(__file__).resolve().parents[1] / ".git"
    commit = source_commit()
    assert environment(())["lic_gpu_commit"] == commit
    if git.is_dir():  # a checkout (CI clones one): the commit HEAD names
        import subprocess

        head = subprocess.run(["git", "-C", str(git.parent), "rev-parse", "HEAD"], capture_output=True, text=True)
        if head.returncode == 0:
            assert commit == head.stdout.strip()


def test_a_column_of_lists_is_refused_where_it_is(tmp_path):
    """Trial 10: a Parquet text column of token lists became numpy's printout ``"['WHY' 'is' ...]"`` in the outputs."""
    path = tmp_path / "posts.parquet"
    pd.DataFrame({"text": [["so", "happy"], ["ugh"]], "arousal": [1, 2]}).to_parquet(path)
    with pytest.raises(LicGpuError) as info:
        read_table(path)
    assert str(info.value) == (
        f"{path}: column 'text' holds a list, not one text or number, at data row 1 (['so', 'happy']); join a text "
        "column's tokens into one text first (df['text'] = df['text'].str.join(' ')), or drop the column"
    )


def test_a_broken_json_line_is_named_by_its_line_number(tmp_path):
    """Trial 10: pandas said only "... at position 21186" for a truncated line 137."""
    path = tmp_path / "posts.jsonl"
    good = json.dumps({"text": "a b", "arousal": 1})
    path.write_text("\n".join([good, good, '{"text": "c d", "arou', good]) + "\n", encoding="utf-8")
    with pytest.raises(LicGpuError, match=r"as JSON lines \(one object per line\): line 3 is not one JSON object \("):
        read_table(path)


def test_a_dataframe_text_column_of_lists_is_refused():
    from lic_gpu import augment_frame

    df = pd.DataFrame({"text": [["so", "happy"], ["ugh"], ["fine"]], "arousal": [1, 2, 3]})
    with pytest.raises(
        LicGpuError, match=r"^text column 'text' holds a list, not a string, at row 0 \(\['so', 'happy'\]\)"
    ):
        augment_frame(df, text="text", emotion="arousal")
