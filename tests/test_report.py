"""Report: PNGs are written and readable, tables count right, report.md has its sections."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from lic_gpu.errors import LicGpuError
from lic_gpu.io.atomic_files import atomic_write
from lic_gpu.caps import cap_rectangle
from lic_gpu.report.run_summary import CapsSummary, DeviceSummary, EmotionSummary, RunSummary
from lic_gpu.augment import ClassReport
from lic_gpu.report.figures import display_levels, plot_level_distributions, plot_top_lic_words
from lic_gpu.report.markdown import markdown_table, rows_per_subject, write_report, write_table_csv

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def augmented():
    """A small augmented frame: 40 originals then 120 arousal rows; joy is a raw float rating."""
    rng = np.random.default_rng(0)
    n_orig, n_new = 40, 120
    n = n_orig + n_new
    frame = pd.DataFrame(
        {
            "sub": rng.choice(["s01", "s02", "s03"], n),
            "episode": rng.integers(1, 3, n),
            "segment": np.arange(n),
            "label": [f"sentence {i}" for i in range(n)],
            "arousal": np.concatenate([rng.integers(1, 8, n_orig), rng.integers(3, 7, n_new)]),
            "valence": np.concatenate([rng.integers(1, 8, n_orig), rng.integers(2, 6, n_new)]),
            "joy": rng.uniform(0, 4, n).round(2),
        }
    )
    frame.loc[5, "joy"] = np.nan
    frame["is_augmented"] = np.arange(n) >= n_orig
    frame["row_id"] = np.arange(n)
    frame["source_row"] = np.where(frame["is_augmented"], rng.integers(0, n_orig, n), np.arange(n))
    frame["augmented_for"] = np.where(frame["is_augmented"], "arousal", "")
    frame["swaps"] = "[]"
    classes = frame[["arousal", "valence"]].astype("Int64")
    return frame, classes


@pytest.fixture
def capped(augmented):
    frame, classes = augmented
    return cap_rectangle(frame, classes, {"valence": [2, 5], "arousal": [3, 6]}, 12, seed=42)


def _assert_png(path: Path) -> np.ndarray:
    assert path.is_file() and path.stat().st_size > 1000
    assert path.read_bytes()[:8] == PNG_MAGIC
    image = mpimg.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 300
    return image


def _no_temp_files(folder: Path) -> None:
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_level_distributions_png_for_every_rating_column(tmp_path, augmented, capped):
    frame, classes = augmented
    path = plot_level_distributions(
        frame,
        capped.frame,
        classes,
        capped.classes,
        ["arousal", "valence", "joy"],
        tmp_path / "levels.png",
        cap_per_class={"arousal": 12, "valence": 12},
    )
    image = _assert_png(path)
    # Three panels side by side: wider than tall.
    assert image.shape[1] > image.shape[0]
    _no_temp_files(tmp_path)


def test_level_distributions_without_caps_and_with_empty_column(tmp_path, augmented):
    frame, classes = augmented
    frame = frame.assign(anger=np.nan)
    path = plot_level_distributions(
        frame, None, classes, None, ["arousal", "anger", "missing"], tmp_path / "before.png"
    )
    _assert_png(path)


def test_level_distributions_rejects_no_known_column(tmp_path, augmented):
    frame, classes = augmented
    with pytest.raises(LicGpuError, match="rating columns"):
        plot_level_distributions(frame, None, classes, None, ["nope"], tmp_path / "x.png")


def test_round_half_up_not_bankers():
    levels = display_levels(pd.Series([0.5, 1.5, 2.5, 2.49, 3.0, None, "x"]))
    assert levels.tolist()[:5] == [1, 2, 3, 2, 3]
    assert levels.isna().tolist()[5:] == [True, True]


def test_top_lic_words_png(tmp_path):
    top = {cls: [(f"word{cls}_{i}", 1.0 / (i + 1)) for i in range(12)] for cls in range(1, 8)}
    top[4] = []
    path = plot_top_lic_words(top, "arousal", tmp_path / "top_lic_arousal.png")
    _assert_png(path)
    _no_temp_files(tmp_path)


def test_top_lic_words_needs_a_class(tmp_path):
    with pytest.raises(LicGpuError, match="arousal"):
        plot_top_lic_words({}, "arousal", tmp_path / "x.png")


def test_rows_per_subject_counts_and_csv(tmp_path):
    frame = pd.DataFrame(
        {"sub": ["a", "a", "b", "a", "b", "b", "c"], "is_augmented": [False, False, False, True, True, True, True]}
    )
    capped = frame.iloc[[0, 1, 2, 4]]

    table = rows_per_subject(frame, capped)

    assert list(table.columns) == ["original", "after_augmentation", "after_rebalance"]
    assert table.loc["a"].tolist() == [2, 3, 2]
    assert table.loc["b"].tolist() == [1, 3, 2]
    assert table.loc["c"].tolist() == [0, 1, 0]
    assert table.loc["total"].tolist() == [3, 7, 4]
    assert table.index[-1] == "total" and table.index.name == "sub"

    path = write_table_csv(table, tmp_path / "rows_per_subject.csv")
    back = pd.read_csv(path, index_col=0)
    assert back.loc["total"].tolist() == [3, 7, 4]


def test_rows_per_subject_names_missing_column():
    frame = pd.DataFrame({"is_augmented": [False]})
    with pytest.raises(LicGpuError, match="'speaker'"):
        rows_per_subject(frame, frame, subject_column="speaker")


REGION = {"valence": [2, 5], "arousal": [3, 6]}
QUALITY = {
    "new_rows": 31,
    "variants_per_source": {"sources": 20, "mean": 1.5, "max": 4},
    "part_of_speech": {"checked_swaps": 30, "pos_kept": 0.97, "tag_kept": 0.9},
    "median_rank_ratio": 1.8,
    "replacements_new_to_corpus": 0.4,
}


def _summary(cap_result, kind="rectangle", **fields) -> RunSummary:
    """Built as the run builds it: DeviceSummary.from_choice, CapsSummary.from_result, ClassReports."""
    import torch

    from lic_gpu.device import DeviceChoice

    classes = {
        1: ClassReport(before=5, requested=20, generated=20),
        2: ClassReport(before=3, requested=22, generated=11, shortfall_reason="too few sentences with | LIC words"),
    }
    return RunSummary(
        emotions={"arousal": EmotionSummary(label_kind="ordinal", binning="integer", classes=classes, quality=QUALITY)},
        device=DeviceSummary.from_choice(DeviceChoice(torch.device("cpu"), "cuda", "CUDA is not available")),
        caps=CapsSummary.from_result(kind, cap_result, REGION, 12),
        config="emotion: arousal\ncaps:\n  kind: rectangle\n  cap_per_class: 12\n",
        timings_s={"load": 0.5, "lic": 1.25, "sample": 3.0},
        **fields,
    )


def test_write_report_has_every_section(tmp_path, augmented, capped):
    frame, classes = augmented
    figures = tmp_path / "figures"
    levels = plot_level_distributions(
        frame, capped.frame, classes, capped.classes, ["arousal", "valence"], figures / "levels.png"
    )
    table = rows_per_subject(frame, capped.frame)
    swaps = [{"emotion": "arousal", "class": 3, "source": "i am **happy**\ntoday", "new": "i am **glad**\ntoday"}]

    path = write_report(tmp_path, _summary(capped), [levels], {"Rows per subject": (table, "rows.csv")}, swaps)

    text = path.read_text(encoding="utf-8")
    assert path == tmp_path / "report.md"
    for heading in [
        "# LIC augmentation report: arousal",
        "## Config",
        "## Device",
        "## Timings",
        "## Fill rates",
        "### arousal",
        "## Caps",
        "### Dropped generated rows",
        "## Rows per subject",
        "## Quality of the new rows",
        "## Sample of new rows",
        "## Figures",
    ]:
        assert heading in text, heading
    assert "```yaml\nemotion: arousal" in text
    assert text.index("## Config") > text.index("## Figures")  # the config comes last
    assert "- requested: `cuda`" in text and "- fallback: CUDA is not available" in text
    assert "- region: `valence` in [2, 5], `arousal` in [3, 6]" in text and "- cap per class: `12`" in text
    assert "| **total** | 4.75 |" in text
    assert "| 2 | 3 | 22 | 11 | 14 | 50% | too few sentences with \\| LIC words |" in text
    assert "![levels](figures/levels.png)" in text
    assert "| arousal | 3 | i am **happy** today | i am **glad** today |" in text
    assert "| arousal | 31 | 1.5 / 4 | 97.0 % | 90.0 % | 30 | 1.8 | 40.0 % |" in text
    assert f"| total | 40 | {len(frame)} | {len(capped.frame)} |" in text
    for emotion, per_class in capped.dropped.items():
        for cls, n in per_class.items():
            assert f"| {emotion} | {cls} | {n} |" in text
    _no_temp_files(tmp_path)


def test_long_tables_are_cut_in_report_md(tmp_path, capped):
    table = pd.DataFrame(
        {"original": range(200)}, index=pd.Index([f"s{i}" for i in range(199)] + ["total"], name="sub")
    )
    text = write_report(
        tmp_path, _summary(capped), tables={"Rows per subject": (table, "rows_per_subject.csv")}, max_table_rows=10
    ).read_text()
    assert "| s8 | 8 |" in text and "| s9 |" not in text and "| total | 199 |" in text
    assert "First 9 of 199 rows and the last; the whole table is `rows_per_subject.csv`" in text


def test_subject_column_option():
    from lic_gpu.report.markdown import subject_column

    assert subject_column("auto", ["sub", "text"], ()) == "sub"
    assert subject_column("auto", ["id", "text"], ("id",)) is None  # one id column names sentences
    assert subject_column("auto", ["doc", "line", "text"], ("doc", "line")) == "doc"
    assert subject_column(None, ["sub"], ()) is None
    assert subject_column("speaker", ["speaker", "text"], ()) == "speaker"
    with pytest.raises(LicGpuError, match="report.subject_column 'nope' is not a column"):
        subject_column("nope", ["sub", "text"], ())


def test_summary_json_carries_what_the_report_shows(capped):
    as_json = _summary(capped).as_dict()
    assert as_json["device_fallback"] == "CUDA is not available" and as_json["requested_device"] == "cuda"
    caps = as_json["caps"]
    assert caps["region"] == REGION and caps["cap_per_class"] == 12 and caps["emotions"] == ["valence", "arousal"]
    assert as_json["emotions"]["arousal"]["classes"]["2"]["generated"] == 11


def test_write_report_reports_unmet_caps(tmp_path, capped):
    import dataclasses

    summary = _summary(capped)
    summary.caps = dataclasses.replace(summary.caps, dropped={}, unmet={"valence": {3: 7}})
    text = write_report(tmp_path, summary).read_text()
    assert "### Caps not met" in text and "| valence | 3 | 7 |" in text
    assert "None dropped." in text


def test_write_report_skips_empty_sections(tmp_path, capped):
    summary = _summary(capped, kind="none")
    summary.emotions["arousal"].quality = {}
    summary.timings_s, summary.config = {}, ""
    text = write_report(tmp_path, summary).read_text()
    assert text.startswith("# LIC augmentation report")
    assert "No caps" in text and "## Timings" not in text and "## Config" not in text
    assert "## Quality" not in text and "## Fill rates" in text and "region" not in text


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def fail(tmp):
        tmp.write_text("half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_text() == "old"
    _no_temp_files(tmp_path)


def test_markdown_table_escapes():
    text = markdown_table([["a|b", "x\ny", 0.123456, None]], ["h1", "h2", "h3", "h4"])
    assert text.splitlines()[2] == "| a\\|b | x y | 0.123 |  |"


def test_every_refusal_reason_the_checks_name_has_a_meaning_in_the_report():
    import re

    import lic_gpu.augment.checks as checks
    from lic_gpu.report.markdown import OUTCOME_MEANING

    named = set(re.findall(r"``([a-z_]+)``", checks.__doc__.split("=====", 1)[1])) - {"augment", "min_similarity"}
    named = {n for n in named if not n.startswith("augment")}
    assert named and named <= set(OUTCOME_MEANING), sorted(named - set(OUTCOME_MEANING))


def test_fill_rates_of_several_emotions_say_what_after_counts(tmp_path, capped):
    """Trial 9: with two emotions, balanced.csv held more rows of a class than its `after`; the report says why."""
    one = _summary(capped)
    info = one.emotions["arousal"]
    two = _summary(capped)
    two.emotions = {"arousal": info, "valence": info}
    say = "a class can hold more rows there than `after` says"
    assert say not in write_report(tmp_path / "one", one, [], {}, []).read_text(encoding="utf-8")
    assert say in write_report(tmp_path / "two", two, [], {}, []).read_text(encoding="utf-8")
