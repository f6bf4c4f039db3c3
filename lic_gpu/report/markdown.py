"""Tables and ``report.md`` for a run folder (the figures are :mod:`lic_gpu.report.figures`).

Writes are atomic (temp file in the same folder, then ``os.replace``) so a crashed run never leaves
a half-written table or report behind.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lic_gpu.errors import LicGpuError
from lic_gpu.report.run_summary import RunSummary
from lic_gpu.io.atomic_files import atomic_write


def subject_column(option: str | None, columns, id_columns, frame: pd.DataFrame | None = None) -> str | None:
    """``report.subject_column``: ``auto`` is ``sub`` when the data has it, else the first column named for who
    spoke or wrote (:func:`lic_gpu.io.cells.speaker_column`, on ``frame``), else the first of several id columns
    (a single id column names sentences, and new rows get ids of their own); None: no table."""
    if option is None:
        return None
    if option == "auto":
        if "sub" in columns:
            return "sub"
        from lic_gpu.io.cells import speaker_column

        found = speaker_column(frame) if frame is not None else None
        return found or (id_columns[0] if len(id_columns) > 1 else None)
    if option not in columns:
        raise LicGpuError(
            f"report.subject_column {option!r} is not a column of the data; columns present: "
            f"{list(columns)} (or auto, or null for no rows-per-subject table)"
        )
    return option


def rows_per_subject(frame: pd.DataFrame, capped: pd.DataFrame, subject_column: str = "sub") -> pd.DataFrame:
    """Rows per subject: originals, after augmentation, after re-balance, plus a ``total`` row."""
    for name, data in (("augmented", frame), ("capped", capped)):
        if subject_column not in data.columns:
            raise LicGpuError(
                f"rows_per_subject: column {subject_column!r} is not in the {name} frame; "
                "set the subject column in the data config"
            )
    originals = frame.loc[~frame["is_augmented"].astype(bool), subject_column]
    table = pd.DataFrame(
        {
            "original": originals.value_counts(),
            "after_augmentation": frame[subject_column].value_counts(),
            "after_rebalance": capped[subject_column].value_counts(),
        }
    )
    table = table.fillna(0).astype("int64")
    try:
        table = table.sort_index()
    except TypeError:  # mixed subject types: keep them in first-seen order
        pass
    table.index = table.index.astype(object)
    table.loc["total"] = table.sum()
    table.index.name = subject_column
    return table


def write_table_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write a table (index included) as CSV, atomically."""
    return atomic_write(Path(path), lambda tmp: table.to_csv(tmp, encoding="utf-8"))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.3g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


# Markdown and HTML syntax in text from the data: escaped, so a sentence is shown as written, never
# turned into HTML, a link or an image. ``|`` and newlines are the table's (``_cell``); ``:`` and
# ``@`` stop GitHub's autolinks (``https://…``, ``javascript:…``, e-mail addresses).
_MARKDOWN_SPECIAL = set("\\`*_[]<>()!~&:@#{}")


def markdown_text(text: object) -> str:
    """``text`` as literal Markdown: every character Markdown or HTML could act on backslash-escaped
    (CommonMark lets any ASCII punctuation be escaped, and shows it as it is)."""
    out = "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in str(text))
    return out.replace("www.", "www\\.")


def markdown_table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A GitHub-style Markdown table; pipes and newlines in cells are escaped."""
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _frame_markdown(table: pd.DataFrame) -> str:
    header = [table.index.name or ""] + [str(c) for c in table.columns]
    rows = [[index, *values] for index, values in zip(table.index, table.itertuples(index=False))]
    return markdown_table(rows, header)


def _config_section(summary: RunSummary) -> list[str]:
    if not summary.config:
        return []
    return ["## Config", "", "```yaml", str(summary.config).rstrip(), "```"]


def _device_section(summary: RunSummary) -> list[str]:
    device = summary.device
    lines = ["## Device", "", f"- used: `{device.used}`", f"- requested: `{device.requested}`"]
    if device.fallback_reason:
        lines.append(f"- fallback: {device.fallback_reason}")
    return lines


def _timings_section(summary: RunSummary) -> list[str]:
    timings = summary.timings_s
    if not timings:
        return []
    rows = [[stage, f"{float(seconds):.2f}"] for stage, seconds in timings.items() if stage != "total"]
    # the run's own wall-clock total (it includes work between stages) wins over the sum of stages
    total = timings.get("total", sum(float(s) for s in timings.values()))
    rows.append(["**total**", f"{float(total):.2f}"])
    return ["## Timings", "", markdown_table(rows, ["stage", "seconds"])]


def _fill_rate(value: Any) -> str:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(rate) else f"{rate:.0%}"


def _fill_rates_section(summary: RunSummary) -> list[str]:
    if not summary.emotions:
        return []
    lines = ["## Fill rates", "", "Generated rows per class against the rows requested to balance it."]
    if len(summary.emotions) > 1:
        # trial 9: a valence class's `after` was 25 where balanced.csv held 38 rows of it
        lines += [
            "",
            "`after` counts the class's originals and the rows made for that emotion. `balanced.csv` holds every "
            "emotion's new rows, and a row made for one emotion carries its source's rating of the others, so a "
            "class can hold more rows there than `after` says (distributions.png counts balanced.csv).",
        ]
    for emotion, info in summary.emotions.items():
        if not info.classes:
            continue
        rows = [
            [
                cls,
                rep.before,
                rep.requested,
                rep.generated,
                rep.before + rep.generated,
                _fill_rate(rep.fill_rate),
                rep.shortfall_reason or "",
            ]
            for cls, rep in info.classes.items()
        ]
        lines += [
            "",
            f"### {emotion}",
            "",
            markdown_table(
                rows, ["class", "before", "requested", "generated", "after", "fill rate", "shortfall reason"]
            ),
        ]
    return lines


def _caps_section(summary: RunSummary) -> list[str]:
    caps = summary.caps
    lines = ["## Caps", "", f"- kind: `{caps.kind}`"]
    if caps.kind == "none":
        return lines + ["", "No caps: every generated row was kept."]
    if caps.region:
        lines.append("- region: " + ", ".join(f"`{e}` in [{lo}, {hi}]" for e, (lo, hi) in caps.region.items()))
    if caps.cap_per_class is not None:
        lines.append(
            f"- cap per class: `{caps.cap_per_class}` rows (in distributions.png: a dashed line, or a note when it "
            "lies far above every bar)"
        )
    rows = [[emo, cls, n] for emo, per_class in caps.dropped.items() for cls, n in per_class.items()]
    lines += ["", "### Dropped generated rows", ""]
    lines.append(markdown_table(rows, ["emotion", "class", "dropped"]) if rows else "None dropped.")
    rows = [[emo, cls, n] for emo, per_class in caps.unmet.items() for cls, n in per_class.items()]
    lines += ["", "### Caps not met", ""]
    if rows:
        lines += [
            "Too few generated rows inside the region to drop; these classes stay above the cap.",
            "",
            markdown_table(rows, ["emotion", "class", "rows above cap"]),
        ]
    else:
        lines.append("Every cap was met.")
    return lines


def _tables_section(tables: Mapping[str, tuple[pd.DataFrame, str]] | None, max_rows: int) -> list[str]:
    """``{title: (table, csv name)}``; a table longer than ``max_rows`` shows its first rows and its
    last (the total), and says where the whole table is."""
    lines: list[str] = []
    for title, (table, csv_name) in (tables or {}).items():
        shown, note = table, ""
        if len(table) > max_rows:
            shown = pd.concat([table.iloc[: max_rows - 1], table.iloc[-1:]])
            note = (
                f"First {max_rows - 1} of {len(table) - 1} rows and the last; the whole table is "
                f"`{csv_name}` (report.max_table_rows)."
            )
        lines += [f"## {title}", "", _frame_markdown(shown), ""]
        if note:
            lines += [note, ""]
    return lines[:-1] if lines else lines


def _quality_section(summary: RunSummary) -> list[str]:
    rows = []
    for emotion, info in summary.emotions.items():
        q = info.quality
        if not isinstance(q, Mapping) or not q.get("new_rows"):
            continue
        vps = q.get("variants_per_source") or {}
        pos = q.get("part_of_speech") or {}
        share = lambda v: "" if v is None else f"{100 * float(v):.1f} %"  # noqa: E731
        rows.append(
            [
                emotion,
                q.get("new_rows"),
                f"{vps.get('mean')} / {vps.get('max')}",
                share(pos.get("pos_kept")),
                share(pos.get("tag_kept")),
                pos.get("checked_swaps", 0),
                q.get("median_rank_ratio", ""),
                share(q.get("replacements_new_to_corpus")),
            ]
        )
    if not rows:
        return []
    return [
        "## Quality of the new rows",
        "",
        "Measured on the rows written, by checks the filters do not make (lic_gpu/report/quality.py): the new "
        "sentences are tagged again in context and the swapped word's tag compared with the old word's "
        "tag in the source. A tagger's check of grammar, not a reader's judgement: read blind, about five in "
        "six of the default's rows are fluent and rating-keeping (docs/quality.md).",
        "",
        markdown_table(
            rows,
            [
                "emotion",
                "new rows",
                "variants per source (mean / max)",
                "part of speech kept",
                "fine tag kept",
                "swaps checked",
                "median rank ratio new/old",
                "replacements new to the corpus",
            ],
        ),
    ]


# What each outcome of the candidate checks means (lic_gpu/augment/checks.py has the chain; trial 8: the
# report listed 22 codes without a word on them)
OUTCOME_MEANING = {
    "accepted": "passed every check (a candidate; the best-scored one per slot is used)",
    "below_min_similarity": "cosine below augment.min_similarity",
    "not_a_word": "not a plain word (digits, punctuation, a fragment)",
    "same_word": "the same word in another form or spelling",
    "stopword": "a stopword",
    "protected": "a negation, pronoun, number, name ... (never swapped)",
    "rare_word": "far rarer than the old word (augment.rare_words)",
    "not_in_thesaurus": "not listed as related in the thesaurus (Moby)",
    "not_in_wordnet": "no shared or neighbouring sense in WordNet",
    "gender": "another gender (daughter -> son would leave a 'she' behind)",
    "kind": "another body part, or a person for an animal",
    "antonym": "an antonym (lower -> higher)",
    "not_reciprocal": "the old word is not among the new word's own neighbours",
    "wrong_form": "cannot take the old word's form in its sentence",
    "same_form": "the same word once put in the old word's form",
    "narrower_noun": "a narrower or sibling noun in a noun's slot (cars -> buses)",
    "not_synonym": "no shared WordNet sense in a verb's or adverb's slot",
    "light_verb": "a light verb (make, take, get)",
    "rating_lean": "leans to another rating in this corpus (rating-lean guard)",
    "lexicon_flip": "opposite VADER valence",
    "affect_word": "an emotion word the lexicon rates strongly (guard.lexicon.keep_affect)",
    "low_fluency": "swap score below augment.min_fluency in its sentence",
    "low_fluency_row": "a row of several swaps scored below augment.min_fluency",
    "encoder_row": "a row the encoder stage scored below augment.encoder_min_fluency",
}


def _filters_section(summary: RunSummary) -> list[str]:
    q = summary.filters
    if not isinstance(q, Mapping) or not q.get("neighbours_checked"):
        return []
    shares = q.get("share_by_outcome") or {}
    lines = [
        "## What the filters refused",
        "",
        f"Outcome of the {q.get('neighbours_checked')} (word, neighbour) pairs checked "
        "(these count refusals; they cannot show the quality of what was accepted):",
        "",
        markdown_table(
            [[k, f"{100 * float(v):.1f} %", OUTCOME_MEANING.get(k, "")] for k, v in shares.items()],
            ["outcome", "share", "meaning"],
        ),
    ]
    skipped = q.get("source_tokens_skipped") or {}
    if skipped:
        lines += ["", "Positive-LIC source tokens never swapped: " + ", ".join(f"{k} {v}" for k, v in skipped.items())]
    return lines


def _fluency_section(summary: RunSummary) -> list[str]:
    """The learned swap score of the new rows (summary.json's filters.fluency)."""
    per_emotion = (summary.filters or {}).get("fluency") if isinstance(summary.filters, Mapping) else None
    if not per_emotion:
        return []
    lines = [
        "## Fluency score of the new rows",
        "",
        "The learned swap score (`fluency` column; lic_gpu.scoring): the estimated chance that a careful reader "
        "calls the row fluent and rating-keeping, fitted on blind readings (it ranks rows with a held-out AUC of "
        "about 0.77: a guide, not a guarantee; read the lowest rows below). Quantiles per class, then the "
        "lowest- and highest-scored rows.",
    ]
    for emotion, f in per_emotion.items():
        rows = [[c, v["n"], v["mean"], *v["quantiles"].values()] for c, v in f["per_class"].items()]
        qs = list(next(iter(f["per_class"].values()))["quantiles"])
        lines += ["", f"### {emotion}", "", markdown_table(rows, ["class", "rows", "mean", *[f"q{q}" for q in qs]]), ""]
        for name in ("lowest", "highest"):
            lines += [
                markdown_table(
                    [[x["class"], x["score"], x["source"], x["new"]] for x in f[name]],
                    ["class", f"{name} score", "source", "new"],
                ),
                "",
            ]
    return lines


def _swaps_section(swap_samples: Sequence[Mapping] | None) -> list[str]:
    if not swap_samples:
        return []

    # source and new are escaped already (their bold marks are the report's): lic_gpu.app.outputs.swap_samples
    def text(value):  # names from the data; numbers and None keep the table's formatting
        return markdown_text(value) if isinstance(value, str) else value

    rows = [
        [
            text(sample.get("emotion", "")),
            text(sample.get("class", "")),
            sample.get("source", ""),
            sample.get("new", ""),
        ]
        for sample in swap_samples
    ]
    return [
        "## Sample of new rows",
        "",
        "Swapped words in bold.",
        "",
        markdown_table(rows, ["emotion", "class", "source sentence", "new sentence"]),
    ]


def _images_section(out_dir: Path, images: Sequence[Path] | None) -> list[str]:
    if not images:
        return []
    lines = ["## Figures"]
    if any(Path(image).stem == "distributions" for image in images):
        lines += [
            "",
            "`distributions`: rows per level of every rating column. A new row keeps every rating of its source, so "
            "the rows made for one emotion also show as added in the other columns' panels.",
        ]
    for image in images:
        image = Path(image)
        link = Path(os.path.relpath(image.resolve(), Path(out_dir).resolve())).as_posix()
        lines += ["", f"![{image.stem}]({link})"]
    return lines


def write_report(
    out_dir: Path,
    summary: RunSummary,
    images: Sequence[Path] | None = None,
    tables: Mapping[str, tuple[pd.DataFrame, str]] | None = None,
    swap_samples: Sequence[Mapping] | None = None,
    max_table_rows: int = 50,
) -> Path:
    """Write ``out_dir/report.md``: device, timings, fill rates, caps, tables, quality, sample rows,
    filters, figures and, last, the config.

    ``tables``: ``{title: (table, name of its CSV in the run folder)}``, at most ``max_table_rows`` rows
    of each shown.

    Sections with nothing to show are left out. Image links are relative to ``out_dir`` so the run
    folder can be moved.

    Returns
    -------
    Path
        The report written.
    """
    out_dir = Path(out_dir)
    title = "# LIC augmentation report"
    if summary.emotions:
        title += ": " + ", ".join(str(e) for e in summary.emotions)
    sections = [
        [title],
        _device_section(summary),
        _timings_section(summary),
        _fill_rates_section(summary),
        _caps_section(summary),
        _tables_section(tables, max_table_rows),
        _quality_section(summary),
        _swaps_section(swap_samples),
        _filters_section(summary),
        _fluency_section(summary),
        _images_section(out_dir, images),
        _config_section(summary),
    ]
    text = "\n\n".join("\n".join(s) for s in sections if s) + "\n"
    # errors=backslashreplace: an undecodable file name in the config shows as \udcXX instead of failing
    return atomic_write(
        out_dir / "report.md", lambda tmp: tmp.write_text(text, encoding="utf-8", errors="backslashreplace")
    )
