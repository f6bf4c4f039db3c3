"""Output table formats (``output.format``): CSV or parquet, written atomically.

Inputs are read by :func:`lic_gpu.io.data.read_table` (CSV, TSV, parquet, JSON lines, by suffix).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lic_gpu.errors import LicGpuError
from lic_gpu.io.atomic_files import atomic_write

OUTPUT_FORMATS = {"csv": ".csv", "parquet": ".parquet"}


def check_output_format(value: str) -> str:
    """Validate ``output.format``."""
    if value not in OUTPUT_FORMATS:
        raise LicGpuError(f"output.format must be one of {list(OUTPUT_FORMATS)}; got {value!r}")
    return value


def write_table(frame: pd.DataFrame, path: str | Path, fmt: str = "csv") -> Path:
    """Write ``frame`` without its index to ``path`` with the format's suffix (``.csv``/``.parquet``).

    CSV is UTF-8; parquet keeps the column types (nullable integers, booleans). Atomic: a reader
    sees the old file or the whole new one.
    """
    fmt = check_output_format(fmt)
    target = Path(path).with_suffix(OUTPUT_FORMATS[fmt])
    if fmt == "csv":
        return atomic_write(target, lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8"))
    return atomic_write(target, lambda tmp: _parquet_ready(frame).to_parquet(tmp, index=False))


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding mixed Python types become strings (parquet needs one type per column)."""
    out = frame
    for c in frame.columns:
        col = frame[c]
        if col.dtype == object:
            kinds = {type(v) for v in col.dropna().tolist()}
            if len(kinds) > 1:
                out = out.copy() if out is frame else out
                out[c] = col.map(lambda v: v if v is None or v is pd.NA else str(v))
    return out
