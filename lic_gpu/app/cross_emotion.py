"""Why an emotion augmented after another gets fewer rows than alone: no new row may repeat another,
across emotions (:func:`lic_gpu.app.pipeline.augment_corpus` shares one dedup set), so the distinct
swaps of a sentence already used for an earlier emotion's rows are not available again.

On the demo, ``emotion=[arousal,valence]`` made 89 valence rows against 151 for valence alone
(caps dropped none): valence's short classes draw on sentences that had already given arousal up to
``augment.max_per_source`` rows each. The shortfall reason (console line, ``summary.json``,
``report.md``, the API's warnings) and the emotion's notes say so.
"""

from __future__ import annotations

from typing import Sequence


def note_rows_made_earlier(run, earlier: Sequence) -> None:
    """Add to each short class of ``run`` how many new rows of the ``earlier`` emotions (this run's
    :class:`lic_gpu.app.pipeline.EmotionRun` objects) came from the class's own sentences; and a note."""
    if not earlier:
        return
    labels = run.labels
    total: dict[str, int] = {}
    for cls, rep in run.result.classes.items():
        if rep.requested <= 0 or rep.generated >= rep.requested:
            continue
        members = set((labels == cls).fillna(False).to_numpy().nonzero()[0].tolist())
        counts = {e.emotion: sum(1 for r in e.result.rows if r.source_row in members) for e in earlier}
        counts = {e: n for e, n in counts.items() if n}
        if not counts:
            continue
        made = ", ".join(f"{n} for {e}" for e, n in counts.items())
        rep.shortfall_reason = (
            f"{rep.shortfall_reason}; its sentences already gave {made} in this run, and no new row repeats "
            "another across emotions (augment this emotion alone for its full yield)"
        ).lstrip("; ")
        for e, n in counts.items():
            total[e] = total.get(e, 0) + n
    if total:
        names = ", ".join(total)
        run.notes.append(
            f"fewer rows than {run.emotion} alone: its short classes' sentences had already been used for "
            f"{names} ({sum(total.values())} rows), and a new row never repeats another across emotions "
            f"(run emotion={run.emotion} alone for its full yield)"
        )
