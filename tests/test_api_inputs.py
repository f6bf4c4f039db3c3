"""The Python API says what the command line says (issues 24 and 25): short yields warn, ids stay
unique, vectors load once per process, values from Python are literal, inputs are checked like the
command line's, and errors use the caller's names."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from lic_gpu import LicGpuWarning, LicResampler, augment_frame
from lic_gpu.io.data import load_demo
from lic_gpu.errors import LicGpuError

from helpers import EMOBANK


@pytest.fixture(scope="module")
def demo():
    return load_demo().frame


def _short(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, LicGpuWarning)]


# ---------------------------------------------------------------- yields


def test_resampler_warns_when_it_makes_no_row(demo):
    r = LicResampler(sampling_strategy="minority", k=10, device="cpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X, y = r.fit_resample(demo["label"].tolist(), demo["arousal"].astype(int).to_numpy())
    made = len(X) - len(demo)
    short = [c for c, rep in r.report_.items() if rep["generated"] < rep["requested"]]
    assert short, "the demo's smallest arousal class is expected to fall short at k=10"
    messages = _short(caught)
    assert len(messages) == 1  # one warning, a line per short class (trial 7: eight warnings in a row)
    cls = short[0]
    rep = r.report_[cls]
    assert f"class {cls!r}" in messages[0]
    assert f"made {rep['generated']} of {rep['requested']}" in messages[0]
    assert rep["shortfall_reason"] and rep["shortfall_reason"] in messages[0]
    assert rep["shortfall"] in messages[0]  # report_ carries the warning's text
    assert made == sum(v["generated"] for v in r.report_.values())


def test_augment_frame_warns_on_a_shortfall(demo):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = augment_frame(
            demo,
            text="label",
            emotion="arousal",
            sampling_strategy="minority",
            k=10,
            device="cpu",
            ids=["sub", "episode", "segment"],
        )
    classes = out.attrs["lic_gpu"]["classes"]["arousal"]
    short = [c for c, rep in classes.items() if rep["generated"] < rep["requested"]]
    assert short
    listed = out.attrs["lic_gpu"]["shortfalls"]
    assert [s["class"] for s in listed] == short
    (message,) = _short(caught)
    lines = message.splitlines()
    if len(short) > 1:
        assert lines[0] == f"augment_frame: {len(short)} classes got fewer new rows than asked:"
        lines = lines[1:]
    assert len(lines) == len(short)
    for s, line in zip(listed, lines):
        assert "emotion 'arousal'" in line and s["message"] in line
        assert s["generated"] == classes[s["class"]]["generated"] < s["requested"]


def test_a_full_yield_does_not_warn():
    from lic_gpu.app.api_inputs import shortfalls
    from lic_gpu.augment import AugmentResult, ClassReport

    class Run:
        emotion = "arousal"
        result = AugmentResult(rows=[], classes={1: ClassReport(5, 3, generated=3), 2: ClassReport(8, 0)})

    assert shortfalls([Run()]) == []
    Run.result.classes[1].generated = 1
    Run.result.classes[1].shortfall_reason = "few neighbours"
    assert [(s["class"], s["generated"], s["requested"]) for s in shortfalls([Run()])] == [(1, 1, 3)]


# ---------------------------------------------------------------- ids


@pytest.mark.skipif(not (EMOBANK / "emobank.csv").exists(), reason="EmoBank is not present in ../shared")
def test_augment_frame_on_emobank_gives_unique_ids():
    df = pd.read_csv(EMOBANK / "emobank.csv")
    assert df["id"].is_unique
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LicGpuWarning)
        out = augment_frame(df, text="text", emotion="A", device="cpu", split_column=None)
    assert out["is_augmented"].sum() > 0
    assert out["id"].is_unique
    new = out[out["is_augmented"]]
    sources = out.loc[new["source_row"].to_numpy(), "id"].to_numpy()
    assert all(str(i).startswith(str(s)) for i, s in zip(new["id"], sources))  # readable: the source's id + _aug


def test_detected_id_column_rules():
    from lic_gpu.io.frames import detect_id_columns

    frame = pd.DataFrame({"row_id": [1, 2], "text": ["a", "b"], "Sentence_ID": ["s1", "s2"], "id": ["x", "x"]})
    assert detect_id_columns(frame, ["text"]) == ["Sentence_ID"]  # row_id is provenance; 'id' repeats
    assert detect_id_columns(frame[["text", "id"]], ["text"]) == []


def test_resampler_keeps_a_frames_id_column_unique(demo):
    X = demo[["label"]].assign(id=[f"s{i}" for i in range(len(demo))])
    X_res, _ = LicResampler(text_column="label", device="cpu").fit_resample(X, demo["arousal"].astype(int))
    assert len(X_res) > len(X) and X_res["id"].is_unique


# ---------------------------------------------------------------- one load per process


def test_cross_validate_loads_the_vectors_once(demo, monkeypatch):
    from imblearn.pipeline import make_pipeline
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_validate

    from lic_gpu.vectors.store import EmbeddingStore
    from lic_gpu.io.resource_cache import LOADS

    real = EmbeddingStore.load.__func__
    calls = []

    def counting(cls, *args, **kwargs):
        calls.append(kwargs.get("source"))
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(EmbeddingStore, "load", classmethod(counting))
    before = LOADS["vectors"]
    pipe = make_pipeline(LicResampler(device="cpu", mode="seed"), TfidfVectorizer(), LogisticRegression(max_iter=1000))
    X = demo["label"].to_numpy(dtype=object)
    y = demo["category"].to_numpy()
    res = cross_validate(pipe, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0), error_score="raise")
    assert len(res["test_score"]) == 5
    assert len(calls) == 1 and LOADS["vectors"] - before == 1


def test_only_the_api_keeps_loaded_resources():
    """A command-line run reads its files (and their on-disk caches) every time; the API reuses."""
    from lic_gpu.io.resource_cache import cached, reusing

    loads = []
    for _ in range(2):
        cached("test-kind", "key", lambda: loads.append(1) or object())
    assert len(loads) == 2
    with reusing():
        first = cached("test-kind", "key", lambda: loads.append(1) or object())
        assert cached("test-kind", "key", lambda: loads.append(1) or object()) is first
        cached("test-kind", "other", lambda: loads.append(1) or object())
    assert len(loads) == 4


def test_a_changed_option_loads_again(demo):
    from lic_gpu.io.resource_cache import LOADS

    X, y = demo["label"].tolist(), demo["category"].to_numpy()
    before = LOADS["vectors"]
    LicResampler(device="cpu", mode="seed").fit_resample(X, y)
    LicResampler(device="cpu", mode="seed").fit_resample(X, y)
    assert LOADS["vectors"] - before == 1
    LicResampler(device="cpu", mode="seed", overrides=("embeddings.limit=50000",)).fit_resample(X, y)
    assert LOADS["vectors"] - before == 2


# ---------------------------------------------------------------- issue 25: API inputs


def test_provenance_named_columns_are_kept_not_overwritten(demo):
    df = demo.assign(swaps="mine", row_id=np.arange(len(demo)) + 1000)
    with pytest.warns(LicGpuWarning, match=r"\['row_id', 'swaps'\].*previous_row_id"):
        out = augment_frame(df, text="label", emotion="arousal", device="cpu", ids=["sub", "episode", "segment"])
    originals = out[~out["is_augmented"]]
    assert (originals["previous_swaps"] == "mine").all()
    assert (originals["previous_row_id"].to_numpy() == df["row_id"].to_numpy()).all()
    assert (originals["swaps"] == "[]").all()  # the run's own provenance column


def test_bytes_text_is_refused_in_one_line(demo):
    df = demo.assign(label=[t.encode() for t in demo["label"]])
    with pytest.raises(LicGpuError, match=r"text column 'label' holds bytes at row 0 .*decode") as info:
        augment_frame(df, text="label", emotion="arousal", device="cpu")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, 1e20])
def test_resampler_refuses_ratings_the_command_line_refuses(demo, bad):
    y = demo["arousal"].to_numpy(dtype=float, copy=True)
    y[7] = bad
    with pytest.raises(LicGpuError, match=r"^LicResampler: y\[7\] = .* finite and within \+-1e\+15"):
        LicResampler(device="cpu").fit_resample(demo["label"].tolist(), y)


def test_values_from_python_are_never_interpolated(demo, monkeypatch):
    monkeypatch.setenv("LIC_GPU_TEST_SECRET", "hunter2-secret")
    with pytest.raises(LicGpuError) as info:
        augment_frame(demo, text="${oc.env:LIC_GPU_TEST_SECRET}", emotion="arousal", device="cpu")
    assert "hunter2" not in str(info.value) and "${oc.env:LIC_GPU_TEST_SECRET}" in str(info.value)
    with pytest.raises(LicGpuError) as info:
        LicResampler(device="cpu", embeddings="${oc.env:LIC_GPU_TEST_SECRET}").fit_resample(["a", "b"], [1, 2])
    assert "hunter2" not in str(info.value)
    with pytest.raises(LicGpuError, match=r"overrides\[0\] \(augment.k=\.\.\.\) holds an interpolation") as info:
        augment_frame(demo, text="label", emotion="arousal", overrides=["augment.k=${oc.env:LIC_GPU_TEST_SECRET}"])
    assert "hunter2" not in str(info.value)


def test_literal_round_trips_through_the_config():
    from omegaconf import OmegaConf

    from lic_gpu.app.api_inputs import literal

    for value in ["${oc.env:HOME}", "a\\${x}", "a\\\\${x}", "plain", ["${a}", "b"], {"k": "${b}"}]:
        cfg = OmegaConf.create({})
        OmegaConf.update(cfg, "v", literal(value), merge=False)
        assert OmegaConf.to_container(cfg, resolve=True)["v"] == (list(value) if isinstance(value, list) else value)


def test_resampler_errors_name_y_and_its_parameters(demo):
    X = demo["label"].tolist()
    with pytest.raises(LicGpuError) as info:
        LicResampler(device="cpu").fit_resample(X, np.ones(len(X)))
    assert info.match(r"^LicResampler: y has only one class \(1(\.0)?\); there is nothing to balance$")
    assert "__lic_label__" not in str(info.value) and "edges" not in str(info.value)
    with pytest.raises(LicGpuError) as info:
        LicResampler(device="cpu").fit_resample(X, (demo["arousal"] > 4).astype(int).to_numpy())
    assert "__lic_label__" not in str(info.value)
    assert "overrides=['lic.method=log_odds']" in str(info.value) and str(info.value).startswith("LicResampler: y")


def test_a_mistyped_label_column_gets_a_suggestion():
    """Trial 10: the command line suggested the column, augment_frame did not."""
    from lic_gpu import augment_frame

    df = pd.DataFrame({"text": ["a b", "c d"], "emotion": ["joy", "anger"]})
    with pytest.raises(
        LicGpuError, match=r"^DataFrame: no label column 'emotoin' \(did you mean 'emotion'\?\); columns"
    ):
        augment_frame(df, text="text", emotion="emotoin")
