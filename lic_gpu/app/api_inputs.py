"""What the Python API checks and says that the command line says in its own way: values passed from
Python are taken literally, text is ``str``, numeric labels are ratings within the command line's
limits, a user's columns are never overwritten, errors use the caller's names, and every class that
got fewer new rows than asked is a warning.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lic_gpu.errors import LicGpuError, LicGpuWarning

log = logging.getLogger("lic_gpu.api")

_INTERPOLATION = re.compile(r"(\\*)\$\{")


def literal(value: Any) -> Any:
    """``value`` with every ``${`` escaped, so that OmegaConf keeps it as text: a value passed from
    Python (a column name, a path) is never resolved as an interpolation (``${oc.env:TOKEN}`` would
    put a secret into the config and into error messages)."""
    if isinstance(value, str):
        # backslashes before ``${`` are doubled: OmegaConf reads ``\\${`` as a backslash + interpolation
        return _INTERPOLATION.sub(lambda m: m.group(1) * 2 + "\\${", value)
    if isinstance(value, Mapping):
        return {k: literal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [literal(v) for v in value]
    return value


def check_overrides_literal(overrides: Sequence[str]) -> None:
    """Refuse an override with ``${...}``: from Python it would be resolved (environment variables
    included); the value itself is what to pass."""
    if isinstance(overrides, str):
        raise LicGpuError(f"overrides must be a list of 'group.key=value' strings; got the string {overrides!r}")
    for i, item in enumerate(overrides):
        if isinstance(item, str) and "${" in item:
            key = item.split("=", 1)[0]
            raise LicGpuError(
                f"overrides[{i}] ({key}=...) holds an interpolation '${{...}}', which is not resolved "
                "in values passed from Python; pass the value itself"
            )


# --------------------------------------------------------------------------- text and labels


def check_text_values(values: pd.Series, column: str, what: str = "column") -> None:
    """Refuse ``bytes`` in a text or id column (they would be written as ``"b'...'"``): one line that
    says how to decode them."""
    for i, v in enumerate(values.tolist()):
        if isinstance(v, (bytes, bytearray)):
            raise LicGpuError(
                f"{what} {column!r} holds bytes at row {i} ({bytes(v[:20])!r}); texts must be str: decode them "
                f"first with their encoding, e.g. df[{column!r}] = df[{column!r}].str.decode('utf-8')"
            )
    from lic_gpu.io.cells import refuse_containers

    refuse_containers(values, column, what, "row {i}")


def check_numeric_labels(values: np.ndarray, name: str = "y") -> None:
    """Numeric labels are ratings: finite and within the command line's ±1e15 (``data.to_ratings``)."""
    from lic_gpu.io.data import MAX_RATING

    bad = ~(np.abs(values) <= MAX_RATING) & ~np.isnan(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LicGpuError(
            f"{name}[{i}] = {float(values[i])!r} is not a usable rating: numeric labels must be finite and "
            f"within +-{MAX_RATING:.0e}"
        )


# --------------------------------------------------------------------------- columns


def set_aside_output_columns(df: pd.DataFrame, source: str = "DataFrame") -> tuple[pd.DataFrame, dict[str, str]]:
    """The command line's rule for input columns named like the provenance columns a run adds
    (``swaps``, ``row_id``, ``is_augmented``, ``source_row``, ``augmented_for``): kept as
    ``previous_<name>``, with a warning, instead of being overwritten."""
    from lic_gpu.io.data import _set_aside_provenance

    frame, renamed = _set_aside_provenance(df, source)
    if renamed:
        warnings.warn(
            f"{source}: columns {sorted(renamed)} are names the output's provenance columns take; "
            f"kept as {[renamed[c] for c in sorted(renamed)]}",
            LicGpuWarning,
            stacklevel=3,
        )
    return frame, renamed


def user_names(message: str, option_paths: Mapping[str, str], label: str | None = None, label_name: str = "y") -> str:
    """An error message in the caller's terms: a hint ``data.binning=...`` names the keyword option
    (``binning=...``), a hint about another config key says ``overrides=['lic.method=log_odds']``,
    and the internal label column is ``label_name``, with no advice about emotions or bin edges."""
    message = re.sub(r"np\.\w+\(([^()]*)\)", r"\1", message)  # numpy scalars' reprs: np.int64(1) -> 1
    if label:
        one_class = re.search(rf"'{re.escape(label)}' of .*? has only one class \(([^)]*)\)", message)
        if one_class:
            return f"{label_name} has only one class ({one_class.group(1)}); there is nothing to balance"
        message = re.sub(rf"(emotion|column) '{re.escape(label)}'( of [^:;,]*? input)?", label_name, message)
        message = message.replace(f"'{label}'", label_name).replace(label, label_name)
    for option, path in sorted(option_paths.items(), key=lambda kv: -len(kv[1])):
        message = re.sub(rf"(?<![\w.']){re.escape(path)}(?==|\s+edges)", option, message)
    message = re.sub(
        r"(?<![\w.'\[])((?:augment|data|lic|caps|embeddings|report|stopwords)\.[\w.]+=[^\s;,)]+)",
        r"overrides=['\1']",
        message,
    )
    return message


# --------------------------------------------------------------------------- yields


def shortfalls(runs) -> list[dict]:
    """Every class that got fewer new rows than asked, from the runs' :class:`ClassReport` objects:
    ``{emotion, class, requested, generated, reason, message}``."""
    out = []
    for run in runs:
        for cls, rep in run.result.classes.items():
            if rep.requested > 0 and rep.generated < rep.requested:
                reason = rep.shortfall_reason or "no reason recorded"
                out.append(
                    {
                        "emotion": run.emotion,
                        "class": cls,
                        "requested": int(rep.requested),
                        "generated": int(rep.generated),
                        "reason": reason,
                        "message": f"class {cls!r}: made {rep.generated} of {rep.requested} new rows asked "
                        f"({100 * rep.fill_rate:.0f} %): {reason}",
                    }
                )
    return out


def warn_shortfalls(found: list[dict], caller: str, what: str | None = None) -> None:
    """One :class:`LicGpuWarning` naming each short class, the rows asked and made and why, a line each (one
    warning per class made eight in a row for a 1-9 scale: trial 7): the command line prints these in its
    console line; a notebook sees them too. The log gets them at debug level only: Python prints an
    unconfigured logger's warnings too, which showed each one twice."""
    lines = [f"{_where(s, what)}, {s['message']}" for s in found]
    if not lines:
        return
    if len(lines) == 1:
        text = f"{caller}: {lines[0]}"
    else:
        text = f"{caller}: {len(lines)} classes got fewer new rows than asked:\n" + "\n".join(f"  {x}" for x in lines)
    log.debug("%s", text)
    warnings.warn(text, LicGpuWarning, stacklevel=3)


def _where(short: dict, what: str | None) -> str:
    return f"labels {what}" if what is not None else f"emotion {short['emotion']!r}"


def corpus_from_frame(
    df: pd.DataFrame,
    text: str,
    labels: Sequence[str],
    id_columns: Sequence[str] = (),
    rating_columns: Sequence[str] | None = None,
    non_rating_columns: Sequence[str] = (),
    source: str = "DataFrame",
):
    """A :class:`~lic_gpu.io.data.Corpus` over a user's frame, as :func:`lic_gpu.io.data.load_csv` reads a file;
    the frame itself is not changed.

    Rating columns (None: every numeric column but the text, the ids and ``non_rating_columns``)
    become floats; every other column keeps its dtype.
    """
    from lic_gpu.io.data import Corpus, frame_as_strings, rating_columns_of, require_columns, to_ratings

    if not isinstance(df, pd.DataFrame):
        raise LicGpuError(f"expected a pandas DataFrame; got {type(df).__name__}")
    require_columns(df, [text, *id_columns], source, "text/id")
    missing = [c for c in labels if c not in df.columns]
    if missing:
        from lic_gpu.io.cells import closest_columns

        close = closest_columns(missing[0], [], [c for c in df.columns if c != text])
        raise LicGpuError(
            f"{source}: no label column {missing[0]!r}"
            + (f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else "")
            + f"; columns present: {list(df.columns)}"
        )
    for c in [text, *id_columns]:
        check_text_values(df[c], c, "text column" if c == text else "id column")
    frame = df.reset_index(drop=True).copy()
    frame.columns = [str(c) for c in frame.columns]
    # the command line's rule: a column named like a provenance column is kept as previous_<name>
    frame, renamed = set_aside_output_columns(frame, source)
    if renamed:
        text = renamed.get(text, text)
        id_columns = [renamed.get(c, c) for c in id_columns]
        non_rating_columns = [*non_rating_columns, *renamed.values()]
        if rating_columns is not None:
            rating_columns = [renamed.get(c, c) for c in rating_columns]
    as_text = frame_as_strings(frame)
    if rating_columns is None:
        rating_columns = rating_columns_of(as_text, [text, *id_columns, *non_rating_columns], source)
    for c in rating_columns:
        frame[c] = to_ratings(as_text[c], c, source)
    frame[text] = as_text[text]
    return Corpus(frame, text, tuple(id_columns), tuple(rating_columns), source)
