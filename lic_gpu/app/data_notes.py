"""What a run says about its data on the console: category labels written alike, and why an emotion got no row."""

from __future__ import annotations

import logging

import pandas as pd

log = logging.getLogger(__name__)


def warn_names(emotion: str, cl, raw: pd.Series | None = None) -> None:
    """Category labels: one warning for names written with spaces around them (``'joy '`` counts as ``joy``),
    one for names that differ only in case or inner spacing (``Joy`` and ``joy`` are two classes), one for a
    class of a single row (augmented from that one sentence)."""
    if cl.kind != "categorical":
        return
    if raw is not None and not pd.api.types.is_numeric_dtype(raw.dtype):
        written = raw.dropna().map(str)
        padded = written[(written != written.str.strip()) & (written.str.strip() != "")]
        if len(padded):
            # trial 10: five 'joy ' rows were balanced as joy, silently, and written back as 'joy '
            example = padded.iloc[0]
            log.warning(
                "%s: %d label(s) have spaces around them (e.g. %r, data row %d); they count as %r; the outputs "
                "keep them as written",
                emotion,
                len(padded),
                example,
                int(raw.index.get_loc(padded.index[0])) + 1,
                example.strip(),
            )
    counts = cl.labels.value_counts()
    by_folded: dict[str, list[str]] = {}
    for name in counts.index:
        by_folded.setdefault(" ".join(str(name).casefold().split()), []).append(str(name))
    alike = [sorted(names) for names in by_folded.values() if len(names) > 1]
    if alike:
        log.warning(
            "%s: labels that differ only in case or spacing are separate classes: %s; make them one spelling "
            "if they are one class",
            emotion,
            "; ".join(" / ".join(repr(n) for n in names) for names in alike[:5]),
        )
    single = [str(name) for name, n in counts.items() if n == 1]
    if single and len(counts) > len(single):
        log.warning(
            "%s: %s %s %s a single row; %s augmented from that one sentence (a typo? or too rare to balance)",
            emotion,
            "class" if len(single) == 1 else "classes",
            ", ".join(repr(n) for n in single[:5]) + (" ..." if len(single) > 5 else ""),
            "has" if len(single) == 1 else "have",
            "it is" if len(single) == 1 else "each is",
        )


# Fewer words than this and a vector file was likely trained on the user's own small corpus: its neighbours are
# co-occurring words more than synonyms (trial 7: 858 words, 80 % of the neighbours not in the thesaurus, no row)
SMALL_VOCABULARY = 50_000


def say_why_none(emotion: str, result, n_words: int) -> None:
    """No new row where rows were asked: one warning with the checks' commonest refusals and, for a small
    vocabulary, what to try instead (the per-class reasons follow in the console's fill line)."""
    if result.rows or not any(rep.requested > 0 for rep in result.classes.values()):
        return
    total = sum(result.refusals.values())
    top = (
        ", ".join(f"{reason} {100 * n / total:.0f} %" for reason, n in result.refusals.most_common(3)) if total else ""
    )
    small = (
        f"; the vectors hold only {n_words:,} words: vectors trained on a small corpus put related words, not "
        "synonyms, next to each other (a large pretrained file such as the packaged GloVe, embeddings=glove50, does better)"
        if n_words < SMALL_VOCABULARY
        else ""
    )
    log.warning(
        "%s: no new row%s%s (docs/quality.md lists the checks; a run's summary.json has every share)",
        emotion,
        f": of {total:,} neighbours checked, refused as {top}" if top else "",
        small,
    )
