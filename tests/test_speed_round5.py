"""Issue 23, speed round 5: the top-LIC charts drawn while rows are made, shared word look-ups and
memoised word checks give the same answers and files as before, and a failed run leaves nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from hydra import compose, initialize_config_dir

from helpers import ROOT
from lic_gpu.report import figure_worker as fw

TOP = {1: [("calm", 1.5), ("quiet", 1.1)], 3: [("furious", 2.0), ("wild", 0.7)]}


def _cfg(*overrides):
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        return compose(config_name="augment", overrides=["device=cpu", *overrides])


def test_a_job_handed_over_twice_is_drawn_once_and_answered_by_ticket(tmp_path, monkeypatch):
    with fw.FigureWorker.start() as worker:
        assert worker._proc is not None
        first = worker.submit("plot_top_lic_words", TOP, "arousal", tmp_path / "t.png", k=2)
        other = worker.submit("plot_top_lic_words", TOP, "valence", tmp_path / "v.png", k=2)
        again = worker.submit("plot_top_lic_words", TOP, "arousal", tmp_path / "t.png", k=2)
        assert (first, other, again) == (0, 1, 0)
        from lic_gpu.report import figures

        def not_here(*args, **kwargs):
            raise AssertionError("drawn in the run's own process")

        monkeypatch.setattr(figures, "plot_top_lic_words", not_here)  # every answer is the worker's
        assert worker.results([other, first]) == [tmp_path / "v.png", tmp_path / "t.png"]
        assert worker.results([first]) == [tmp_path / "t.png"]  # answered again from what was read
    assert (tmp_path / "t.png").stat().st_size > 0


def test_without_a_worker_every_submission_is_its_own_job(tmp_path):
    worker = fw.FigureWorker(None)
    tickets = [worker.submit("plot_top_lic_words", TOP, "arousal", tmp_path / "t.png", k=2) for _ in range(2)]
    assert tickets == [0, 1]
    assert worker.results(tickets[1:]) == [tmp_path / "t.png"]


def test_the_top_lic_chart_is_handed_over_before_any_row_is_made(tmp_path, monkeypatch):
    """The chart goes to the worker from augment_corpus's on_lic, before fit_resample; the files are
    those of a library call, which draws everything at the end in its own process."""
    from lic_gpu.app import augment_job
    from lic_gpu.augment.augmenter import LicAugmenter

    events: list[str] = []
    real_submit, real_fit = fw.FigureWorker.submit, LicAugmenter.fit_resample

    def submit(self, name, *args, **kwargs):
        events.append(name)
        return real_submit(self, name, *args, **kwargs)

    def fit_resample(self, *args, **kwargs):
        events.append("rows")
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(fw.FigureWorker, "submit", submit)
    monkeypatch.setattr(LicAugmenter, "fit_resample", fit_resample)
    cfg = _cfg("augment=seed")
    augment_job.run_augment(cfg, tmp_path / "cli", figure_worker=True)
    assert events[:2] == ["plot_top_lic_words", "rows"]
    assert events.count("plot_top_lic_words") == 2  # handed over twice, drawn once (the ticket test)
    augment_job.run_augment(cfg, tmp_path / "lib")
    for name in ("distributions.png", "top_lic_arousal.png", "report.md"):
        here, there = (tmp_path / "cli" / name).read_bytes(), (tmp_path / "lib" / name).read_bytes()
        if name == "report.md":  # the timings differ
            here, there = (b"\n".join(ln for ln in t.splitlines() if b" | " not in ln) for t in (here, there))
        assert here == there, name


def test_a_run_that_fails_after_the_chart_was_handed_over_leaves_no_folder(tmp_path, monkeypatch):
    from lic_gpu.app import augment_job
    from lic_gpu.augment.augmenter import LicAugmenter
    from lic_gpu.errors import LicGpuError

    def fit_resample(self, *args, **kwargs):
        raise LicGpuError("stopped on purpose")

    monkeypatch.setattr(LicAugmenter, "fit_resample", fit_resample)
    out = tmp_path / "deep" / "run"
    with pytest.raises(LicGpuError, match="on purpose"):
        augment_job.run_augment(_cfg("augment=seed"), out, figure_worker=True)
    assert list(tmp_path.iterdir()) == []  # the staging folder, the run folder and its parent: gone


def test_the_store_and_the_swap_score_share_the_packaged_words_and_their_rows():
    from lic_gpu.scoring import features
    from lic_gpu.vectors import files, word_index
    from lic_gpu.vectors.store import EmbeddingStore

    store = EmbeddingStore.load(files.PACKAGED_GLOVE, device="cpu")
    assert word_index.packaged_glove_words() is store.words
    features._glove.cache_clear()
    index, emb = features._glove()
    assert index is store.index
    assert len(index) == len(store.words) == emb.shape[0]
    assert [index[w] for w in ("the", "happy", "sad")] == [store.words.index(w) for w in ("the", "happy", "sad")]


def test_word_rows_keeps_the_first_row_of_a_repeated_word_and_one_dict_per_list():
    from lic_gpu.vectors.word_index import word_rows

    words = ["a", "b", "a", "c"]
    rows = word_rows(words)
    assert rows == {"a": 0, "b": 1, "c": 3}
    assert word_rows(words) is rows
    assert word_rows(list(words)) is not rows and word_rows(list(words)) == rows


def test_memoised_word_checks_count_every_refusal_as_before():
    """The word checks' answer is kept per (word, row, neighbour); refusals are still counted per call."""
    from lic_gpu.augment.checks import CandidateCheck, CandidateFilter

    calls = Counter()

    def test(c):
        calls[c.new] += 1
        return "odd" if c.new.startswith("x") else None

    flt = CandidateFilter([CandidateCheck("t", test)], None)
    table = {7: [("xylo", 0.9), ("good", 0.8), ("fine", 0.7)]}
    first, second = Counter(), Counter()
    assert flt.options(1, "word", 7, None, table, first) == [("good", 0.8), ("fine", 0.7)]
    assert flt.options(2, "word", 7, None, table, second) == [("good", 0.8), ("fine", 0.7)]
    assert first == second == Counter({"odd": 1, "accepted": 2})
    assert calls == Counter({"xylo": 1, "good": 1, "fine": 1})
