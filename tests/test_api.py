"""The Python API (issue 14): augment_frame and LicResampler share the command line's defaults and code;
LicResampler works inside imbalanced-learn pipelines and cross_validate without seeing a test fold."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pandas as pd
import pytest
import sklearn
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lic_gpu import LicResampler, augment_frame
from lic_gpu.api import compose_options
from lic_gpu.app.config import compose_config
from lic_gpu.io.data import load_demo
from lic_gpu.errors import LicGpuError
from lic_gpu.app.augment_job import run_augment

from helpers import ROOT

IDS = ["sub", "episode", "segment"]


@pytest.fixture(scope="module")
def demo():
    return load_demo().frame


# ---------------------------------------------------------------- one source of defaults


def test_api_defaults_are_the_command_lines():
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cli = compose(config_name="augment")
        table = compose(config_name="augment", overrides=["data=csv", "data.path='<DataFrame>'"])
    api, strategy = compose_options({})  # a DataFrame is a table: the command line's data=csv
    assert OmegaConf.to_container(api) == OmegaConf.to_container(table) and strategy is None
    assert OmegaConf.to_container(api.augment) == OmegaConf.to_container(cli.augment)
    # the evaluation composes the same augment group
    evaluation = compose_config(config_name="evaluate")
    for key in ("augment", "data", "embeddings", "lic", "stopwords", "device"):
        assert (
            OmegaConf.to_container(evaluation, resolve=True)[key] == OmegaConf.to_container(cli, resolve=True)[key]
        ), key
    # no default lives in the API's signatures: every option is None = "the config's value"
    params = inspect.signature(LicResampler).parameters
    assert all(p.default is None for n, p in params.items() if n != "overrides")
    assert LicResampler().get_params()["k"] is None


def test_options_reach_the_config():
    cfg, strategy = compose_options(
        {"mode": "seed", "max_swaps": 1, "device": "cpu", "augment_splits": ("dev",), "sampling_strategy": len}
    )
    assert cfg.augment.mode == "seed" and cfg.augment.k == 10  # augment/seed.yaml's own k
    assert cfg.device == "cpu" and list(cfg.data.augment_splits) == ["dev"] and strategy is len
    cfg, _ = compose_options({"min_fluency": 0.6, "encoder": True, "encoder_min_fluency": 0.9})
    assert cfg.augment.min_fluency == 0.6 and cfg.augment.encoder is True and cfg.augment.encoder_min_fluency == 0.9
    # None is "the config's value", as for every option; a null threshold is an override
    cfg, _ = compose_options({"encoder_min_fluency": None}, ["augment.encoder_min_fluency=null"])
    assert cfg.augment.encoder_min_fluency is None
    with pytest.raises(LicGpuError, match="unknown option 'max_swap'; did you mean 'max_swaps'"):
        compose_options({"max_swap": 3})
    with pytest.raises(LicGpuError, match="did you mean 'augment.max_swaps'"):
        compose_options({}, ["+augment.maxswaps=3"])


def test_augment_frame_makes_the_command_lines_rows(tmp_path, demo):
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose(config_name="augment", overrides=["device=cpu", "report.enabled=false"])
    run_augment(cfg, tmp_path)
    cli = pd.read_csv(tmp_path / "augmented_arousal.csv", keep_default_na=False, dtype=str)
    before = demo.copy()
    out = augment_frame(demo, text="label", emotion="arousal", ids=IDS, device="cpu")
    assert augment_frame(demo, text="label", device="cpu")["swaps"].tolist() == out["swaps"].tolist()  # emotion=arousal
    pd.testing.assert_frame_equal(demo, before)  # the input is not changed
    assert len(out) == len(cli)
    for col in ("label", "row_id", "source_row", "augmented_for", "swaps", "segment", "category"):
        assert out[col].astype(str).tolist() == cli[col].tolist(), col
    info = out.attrs["lic_gpu"]
    assert info["label_kinds"] == {"arousal": "ordinal"} and info["classes"]["arousal"]


def test_keep_affect_swaps_no_emotion_word(demo):
    from lic_gpu.augment.lexicon_guard import load_valence_lexicon

    lex = load_valence_lexicon()
    out = augment_frame(demo, text="label", emotion="arousal", device="cpu")
    kept = augment_frame(
        demo, text="label", emotion="arousal", device="cpu", overrides=["augment.guard.lexicon.keep_affect=1.0"]
    )
    strong = lambda frame: [  # noqa: E731
        s["old"]
        for js in frame.loc[frame["is_augmented"], "swaps"]
        for s in json.loads(js)
        if abs(lex.get(s["old"].lower(), 0)) >= 1
    ]
    assert strong(out)  # the default does swap emotion words on the demo (angry -> furious)
    assert strong(kept) == [] and 0 < kept["is_augmented"].sum() < out["is_augmented"].sum()
    assert kept.attrs["lic_gpu"]["classes"]["arousal"]


def test_augment_frame_keeps_dtypes_and_takes_a_callable_strategy(demo):
    df = demo[["label", "category"]].assign(n=np.arange(len(demo)), extra=1.5)

    def two_rows_each(y):
        counts = pd.Series(y).value_counts()
        return {c: int(n) + 2 for c, n in counts.items()}

    # the strategy is the sampler's: without the encoder stage, which may drop some of the rows it made
    out = augment_frame(
        df, text="label", emotion="category", device="cpu", sampling_strategy=two_rows_each, encoder=False
    )
    new = out[out["is_augmented"]]
    assert new["augmented_for"].eq("category").all() and new["category"].value_counts().eq(2).all()
    assert out["n"].dtype == df["n"].dtype and out["extra"].dtype == df["extra"].dtype
    assert (out.loc[new.index, "n"].to_numpy() == df["n"].to_numpy()[new["source_row"]]).all()


def test_augment_frame_respects_splits(demo):
    df = demo.assign(split=demo["sub"].map({"S04": "dev", "S05": "test"}).fillna("train"))
    out = augment_frame(df, text="label", emotion="arousal", ids=IDS, device="cpu")
    n = len(df)
    new = out.iloc[n:]
    assert len(new) and set(df["split"].to_numpy()[new["source_row"]]) == {"train"}
    assert set(new["split"]) == {"train"} and not out.duplicated(IDS).any()
    assert out.iloc[:n]["label"].tolist() == df["label"].tolist()
    train = df[df["split"] == "train"]["arousal"].value_counts()
    counts = out[out["split"] == "train"]["arousal"].value_counts()
    assert counts.max() == train.max() and out.attrs["lic_gpu"]["splits"]["column"] == "split"
    with pytest.raises(LicGpuError, match=r"augment_splits=\['training'\] matches no row of column 'split'.*'dev'"):
        augment_frame(df, text="label", emotion="arousal", augment_splits=["training"], device="cpu")


# ---------------------------------------------------------------- LicResampler


def test_resampler_follows_sklearn_conventions(demo):
    r = LicResampler(k=5, device="cpu", overrides=("augment.guard.lexicon.enabled=false",))
    c = sklearn.clone(r)
    assert c.get_params() == r.get_params() and c is not r
    assert c.set_params(k=7).k == 7 and r.k == 5
    X, y = demo["label"], demo["arousal"].astype(int)
    Xr, yr = r.fit_resample(X, y)
    assert isinstance(Xr, pd.Series) and isinstance(yr, pd.Series) and Xr.name == "label"
    n = len(X)
    assert Xr.iloc[:n].tolist() == X.tolist() and yr.iloc[:n].tolist() == y.tolist()
    assert len(Xr) == len(yr) == len(r.sample_indices_) == len(r.provenance_) > n
    assert (r.sample_indices_[:n] == np.arange(n)).all()
    src = r.sample_indices_[n:]
    assert (yr.iloc[n:].to_numpy() == y.to_numpy()[src]).all()  # a new row keeps its source's class
    assert r.label_kind_ == "ordinal" and set(r.report_) == set(np.unique(y))
    assert not hasattr(c, "sample_indices_")  # the clone is unfitted


def test_resampler_containers(demo):
    texts, cats = demo["label"].tolist(), demo["category"].tolist()
    # the default's noun rule leaves the smallest class (11 sentences) no swap; "related" gives it two,
    # which the encoder stage (on by default) drops: off here, the containers are what this test checks
    r = LicResampler(
        device="cpu", sampling_strategy="minority", overrides=("augment.wordnet=related", "augment.encoder=false")
    )
    Xr, yr = r.fit_resample(texts, cats)
    assert isinstance(Xr, list) and isinstance(yr, np.ndarray) and r.label_kind_ == "categorical"
    assert set(yr[len(cats) :]) == {"surprise"}  # the smallest class only
    frame = demo[["label", "sub", "valence"]]
    rf = LicResampler(device="cpu", text_column="label")
    Xf, _ = rf.fit_resample(frame, np.array(cats))
    new = Xf.iloc[len(frame) :]
    assert list(Xf.columns) == list(frame.columns) and len(new)
    assert (new["sub"].to_numpy() == frame["sub"].to_numpy()[rf.sample_indices_[len(frame) :]]).all()
    assert (new["label"].to_numpy() != frame["label"].to_numpy()[rf.sample_indices_[len(frame) :]]).all()
    with pytest.raises(ValueError, match="X has 3 rows but y has 2"):
        LicResampler().fit_resample(["a", "b", "c"], [1, 2])
    with pytest.raises(ValueError, match="missing label at position 1"):
        LicResampler().fit_resample(["a", "b"], [1.0, np.nan])


def _pipeline(resampler):
    from imblearn.pipeline import make_pipeline
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    return make_pipeline(resampler, TfidfVectorizer(), LogisticRegression(max_iter=1000))


@pytest.mark.parametrize("label", ["arousal", "category"])
def test_cross_validate_on_an_imblearn_pipeline(demo, label):
    from sklearn.model_selection import StratifiedKFold, cross_validate

    X = demo["label"].to_numpy(dtype=object)
    y = demo[label].to_numpy() if label == "category" else demo[label].astype(int).to_numpy()
    res = cross_validate(
        _pipeline(LicResampler(device="cpu")),
        X,
        y,
        scoring="f1_macro",
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        error_score="raise",
    )
    assert len(res["test_score"]) == 3 and np.isfinite(res["test_score"]).all()


class RecordingResampler(LicResampler):
    """Records every text each fit saw (a class attribute: cross_validate fits clones)."""

    fitted_on: list = []

    def fit_resample(self, X, y):
        RecordingResampler.fitted_on.append(list(X))
        return super().fit_resample(X, y)


def test_resampler_never_sees_a_test_fold(demo):
    from sklearn.model_selection import StratifiedKFold, cross_validate

    X = demo["label"].to_numpy(dtype=object)
    y = demo["category"].to_numpy()
    cv = StratifiedKFold(3, shuffle=True, random_state=1)
    RecordingResampler.fitted_on.clear()
    cross_validate(_pipeline(RecordingResampler(device="cpu")), X, y, cv=cv, error_score="raise")
    folds = list(cv.split(X, y))
    assert len(RecordingResampler.fitted_on) == len(folds)  # fitted once per fold, never at predict time
    for seen, (train, test) in zip(RecordingResampler.fitted_on, folds):
        assert set(seen) == set(X[train])
        assert not set(seen) & set(X[test])


def test_an_option_of_the_wrong_type_is_one_line():
    from lic_gpu.errors import LicGpuError

    frame = pd.DataFrame({"text": ["a calm day", "a wild day", "a dull day"], "y": [1, 2, 3]})
    with pytest.raises(LicGpuError, match=r"^k='many': config value augment.k: Value 'many' .* Integer") as info:
        augment_frame(frame, text="text", emotion="y", k="many")
    assert "\n" not in str(info.value)
