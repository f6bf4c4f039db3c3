"""Figures a researcher can put in a paper (issue 24): headroom above the bars, a target line, a cap far
above the bars said rather than drawn, LIC word charts without one-off words, and evaluation figures
with a single budget that keep their title and legend."""

from __future__ import annotations

import pandas as pd
import pytest

from lic_gpu.report import figures


@pytest.fixture
def drawn(monkeypatch):
    """The figures drawn, kept open for inspection instead of being written."""
    kept = []

    def keep(fig, path, dpi=figures.DPI):
        kept.append(fig)
        return path

    monkeypatch.setattr(figures, "save_figure", keep)
    yield kept
    for fig in kept:
        figures.pyplot().close(fig)


def _frame():
    levels = [1] * 5 + [2] * 20 + [3] * 12
    added = [1] * 10 + [3] * 6
    return pd.DataFrame({"arousal": levels + added, "is_augmented": [False] * len(levels) + [True] * len(added)})


def _bar_tops(ax) -> float:
    return max(p.get_y() + p.get_height() for p in ax.patches)


def test_bars_have_headroom_and_a_target_line(drawn, tmp_path):
    frame = _frame()
    figures.plot_level_distributions(
        frame, None, None, None, ["arousal"], tmp_path / "d.png", targets={"arousal": {1: 20, 2: 20, 3: 20}}
    )
    ax = drawn[0].axes[0]
    assert ax.get_ylim()[1] > _bar_tops(ax) * 1.05  # not touching the frame
    targets = [c for c in ax.collections if c.get_label().startswith("target")]
    assert len(targets) == 1
    ys = sorted({round(seg[0][1]) for seg in targets[0].get_segments()})
    assert ys == [20]
    assert ax.get_ylim()[1] > 20


def test_a_cap_far_above_the_bars_is_said_not_drawn(drawn, tmp_path):
    frame = _frame()
    figures.plot_level_distributions(
        frame, None, None, None, ["arousal"], tmp_path / "d.png", cap_per_class={"arousal": 2000}
    )
    ax = drawn[0].axes[0]
    assert ax.get_ylim()[1] < 100  # the bars are not flattened by the cap
    assert any("cap 2,000" in t.get_text() for t in ax.texts)
    figures.plot_level_distributions(
        frame, None, None, None, ["arousal"], tmp_path / "d.png", cap_per_class={"arousal": 25}
    )
    ax = drawn[1].axes[0]
    assert any(line.get_label() == "cap per class" for line in ax.lines)
    assert ax.get_ylim()[1] > 25


def test_sentence_counts_count_each_sentence_once():
    seen = figures.sentence_counts(["Anaheim Anaheim won", "we won", "They WON again", float("nan")])
    assert seen["Anaheim"] == 1 and seen["won"] == 2 and seen["WON"] == 1 and seen["again"] == 1


def test_top_word_chart_says_which_words_it_shows(drawn, tmp_path):
    top = {1: [("calm", 3.0), ("quiet", 2.0)], 2: [("wild", 5.0)]}
    figures.plot_top_lic_words(top, "arousal", tmp_path / "t.png", k=2, min_sentences=3)
    fig = drawn[0]
    assert "at least 3 sentences" in fig._suptitle.get_text()
    ax = fig.axes[1]
    assert ax.get_xlim()[1] > 5.0  # room right of the longest bar


def test_min_word_sentences_is_a_checked_option():
    from lic_gpu.app.config import compose_config
    from lic_gpu.errors import LicGpuError
    from lic_gpu.app.run_setup import settings_from_config

    assert settings_from_config(compose_config([])).report["min_word_sentences"] >= 1
    with pytest.raises(LicGpuError, match="report.min_word_sentences"):
        settings_from_config(compose_config(["report.min_word_sentences=0"]))


def test_run_chart_leaves_out_words_of_fewer_sentences(tmp_path):
    """Through the command line's writer: no word in the chart is seen in fewer sentences than asked."""
    from lic_gpu.app.augment_job import run_augment
    from lic_gpu.app.config import compose_config

    captured = {}
    real = figures.plot_top_lic_words

    def spy(top, emotion, path, k=10, min_sentences=1):
        captured[emotion] = (top, min_sentences)
        return real(top, emotion, path, k=k, min_sentences=min_sentences)

    import lic_gpu.app.outputs as outputs

    mp = pytest.MonkeyPatch()
    mp.setattr(outputs.figures, "plot_top_lic_words", spy)
    try:
        run_augment(compose_config(["device=cpu", "report.min_word_sentences=4", "augment=seed"]), tmp_path / "out")
    finally:
        mp.undo()
    from lic_gpu.io.data import load_demo
    from lic_gpu.text import check_tokeniser

    # counted as the run tokenises (seed mode: the notebook's whitespace split)
    seen = figures.sentence_counts(load_demo().frame["label"].tolist(), check_tokeniser("whitespace"))
    top, n = captured["arousal"]
    words = [w for pairs in top.values() for w, _ in pairs]
    assert n == 4 and words and all(seen[w] >= 4 for w in words)
    assert (tmp_path / "out" / "top_lic_arousal.png").is_file()


def test_single_budget_evaluation_figure_keeps_title_and_legend(tmp_path, monkeypatch):
    from lic_gpu.evaluation import report as eval_report

    kept = []
    monkeypatch.setattr(figures, "save_figure", lambda fig, path, dpi=110: kept.append(fig) or path)
    rows = []
    for method in ("none", "oversample", "class_weight", "lic_diverse", "random_positions"):
        for fraction, n in ((0.5, 190), (1.0, 384)):
            rows.append(
                {
                    "emotion": "arousal",
                    "classifier": "tfidf_logreg",
                    "metric": "f1_macro",
                    "budget": "auto",
                    "method": method,
                    "fraction": fraction,
                    "n_train_originals": n,
                    "mean": 0.3 + 0.01 * len(rows),
                    "ci_low": 0.25,
                    "ci_high": 0.35,
                }
            )
    summary = pd.DataFrame(rows)
    eval_report.plot_learning_curves(summary, tmp_path / "c.png", [("arousal", "tfidf_logreg", "f1_macro")])
    fig = kept[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    for artist in [fig._suptitle, *fig.legends]:
        ext = artist.get_window_extent(renderer)
        assert ext.x0 >= box.x0 - 1 and ext.x1 <= box.x1 + 1 and ext.y0 >= box.y0 - 1 and ext.y1 <= box.y1 + 1
    figures.pyplot().close(fig)
