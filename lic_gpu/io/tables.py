"""Reading one table file, bounded and checked: its format by suffix, a snapshot of its bytes (hashed as
read, refused when it changes or is no regular file), decompression within ``data.max_bytes``, at most
``data.max_rows`` rows, and the encoding and header checks. :mod:`lic_gpu.io.data` builds a corpus on it.

Inputs are only read, never written.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import stat
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from lic_gpu.errors import LicGpuError

log = logging.getLogger(__name__)

TABLE_FORMATS = ("csv", "tsv", "parquet", "jsonl")
# Suffix -> format; a compression suffix (.gz, .bz2, .xz, .zip, .zst) before it is allowed for text formats.
_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zip", ".zst")


def table_format(path: str | Path) -> str:
    """``csv``, ``tsv``, ``parquet`` or ``jsonl``, from the file's suffix (``csv`` when unknown).

    A parquet file is recognised by its first bytes whatever its name.
    """
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            if fh.read(4) == b"PAR1":
                return "parquet"
    except OSError:
        pass
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    return _SUFFIX_FORMATS.get(suffixes[-1], "csv") if suffixes else "csv"


def read_table(
    path: str | Path,
    encoding: str = "utf-8",
    what: str = "CSV",
    sep: str | None = None,
    max_rows: int | None = None,
    max_bytes: int | None = None,
) -> pd.DataFrame:
    """Read a CSV, TSV, parquet or JSON-lines file (by suffix, see :func:`table_format`) as strings.

    No value becomes NaN: a missing value is ``""``. ``sep`` overrides the delimiter of a CSV/TSV
    (``","`` / tab by default). ``utf-8`` also accepts a byte-order mark; CRLF and quoted fields with
    commas/newlines are handled by the csv parser. Errors name the file. ``max_rows`` and
    ``max_bytes`` (decompressed) bound what is read (default: ``data.max_rows`` / ``data.max_bytes``
    of ``conf/data/csv.yaml``); see :func:`read_table_snapshot`.
    """
    return read_table_snapshot(path, encoding, what, sep, max_rows, max_bytes)[0]


def input_limits(max_rows: int | None = None, max_bytes: int | None = None) -> tuple[int, int]:
    """``(max_rows, max_bytes)``, each from ``conf/data/csv.yaml`` when not given; validated."""
    from lic_gpu.io.conf_files import group_defaults

    defaults = group_defaults("data", "csv")
    out = []
    for key, value in (("max_rows", max_rows), ("max_bytes", max_bytes)):
        value = defaults[key] if value is None else value
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise LicGpuError(f"data.{key} must be an integer >= 1; got {value!r}")
        out.append(int(value))
    return out[0], out[1]


def read_table_snapshot(
    path: str | Path,
    encoding: str = "utf-8",
    what: str = "CSV",
    sep: str | None = None,
    max_rows: int | None = None,
    max_bytes: int | None = None,
) -> tuple[pd.DataFrame, str]:
    """:func:`read_table`, and the SHA-256 of the bytes it read.

    The file is read once, whole, into memory (at most ``max_bytes``) and parsed from that copy, so
    the checksum describes exactly what was parsed; a file that changes while it is read is refused.
    Compressed files are inflated here, at most ``max_bytes`` of them (a small ``.gz`` cannot grow
    into gigabytes), and go through the same byte-level checks as plain ones. A FIFO, device or
    socket is refused (reading one would block or never end).
    """
    max_rows, max_bytes = input_limits(max_rows, max_bytes)
    p = Path(path).expanduser()
    if not p.exists():
        raise LicGpuError(
            f"{what} file not found: {p}; check the path (a relative path starts from "
            "the folder the command was run in)"
        )
    if p.is_dir():
        raise LicGpuError(f"{what} path is a folder, not a file: {p}")
    if not stat.S_ISREG(p.stat().st_mode):
        raise LicGpuError(f"{what} path {p} is not a regular file (a FIFO, device or socket); pass a file")
    if sep == "\\t":  # data.sep='\t' on a command line arrives as a backslash and a t
        sep = "\t"
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1):
        raise LicGpuError(f"data.sep must be one character such as ',' ';' or '\\t', or null; got {sep!r}")
    limits = f"(data.max_rows={max_rows}, data.max_bytes={max_bytes})"
    raw, digest = _snapshot(p, max_bytes, limits)
    data = _decompress(raw, p, max_bytes, limits)
    fmt = "parquet" if data[:4] == b"PAR1" else table_format(p)
    if data[:4] == b"PK\x03\x04" or data[:4] == b"\xd0\xcf\x11\xe0":  # zip (xlsx, ods) or OLE (xls)
        # trial 8: an .xlsx was refused as "NUL bytes ... check its encoding"
        raise LicGpuError(
            f"{p} is a spreadsheet workbook (Excel/OpenDocument) or another zip file, not a text table: save it as "
            "CSV (UTF-8) from the spreadsheet, or read it with pandas.read_excel and pass the frame to "
            "lic_gpu.augment_frame"
        )
    if fmt in ("parquet", "jsonl"):
        return _read_typed_table(p, data, fmt, encoding, what, max_rows, limits), digest
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        "".encode(enc)
    except LookupError:
        raise LicGpuError(f"unknown encoding {encoding!r} for {p} (try utf-8 or latin1)") from None
    delimiter = sep if sep is not None else ("\t" if fmt == "tsv" else ",")
    _check_wide_encoding(p, data[: 1 << 16], enc, encoding)
    try:
        df = pd.read_csv(
            io.BytesIO(data),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding=enc,
            sep=delimiter,
            nrows=max_rows + 1,
        )
    except UnicodeDecodeError as err:
        import codecs

        wide = codecs.lookup(enc).name.startswith(("utf-16", "utf-32"))
        other = "latin1" if enc.startswith("utf") and not wide else "utf-8"
        raise LicGpuError(
            f"cannot decode {p} as {encoding} (byte {err.object[err.start : err.start + 1]!r} at "
            f"offset {err.start}); set the encoding option, e.g. data.encoding={other}"
        ) from None
    except UnicodeError as err:  # e.g. "UTF-16 stream does not start with BOM" (a compressed file)
        raise LicGpuError(
            f"cannot decode {p} as {encoding} ({_first_line(err)}); set the encoding option, e.g. data.encoding=utf-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise LicGpuError(f"{what} file is empty: {p}") from None
    except (pd.errors.ParserError, csv.Error) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        head = data[: 1 << 12].split(b"\n", 1)[0].decode(enc, "replace")
        other = max((";", "\t", "|"), key=head.count)
        hint = (
            f'the header line holds {head.count(other)} {other!r}: set "data.sep={other!r}"'
            if head.count(other) > head.count(delimiter)
            else "set data.sep if the file uses another delimiter"
        )
        raise LicGpuError(f"cannot parse {p} as {fmt.upper()} (delimiter {delimiter!r}): {first}; {hint}") from None
    _check_rows(len(df), p, max_rows, limits)
    if _single_byte(enc) and _is_utf8_with_non_ascii(data):
        raise LicGpuError(
            f"{p} is UTF-8 (it has multi-byte UTF-8 characters) but was to be read as {encoding}, "
            "which would garble them; set data.encoding=utf-8"
        )
    df.columns = [str(c).strip() for c in df.columns]
    if enc != "utf-8-sig" and df.columns.size and df.columns[0].startswith(("ï»¿", "\ufeff")):
        raise LicGpuError(
            f"{p} starts with a UTF-8 byte-order mark but was read as {encoding}; use data.encoding=utf-8"
        )
    _check_unique_header(p, data, enc, delimiter)
    return df, digest


def _snapshot(p: Path, max_bytes: int, limits: str) -> tuple[bytes, str]:
    """The file's bytes and their SHA-256, read once; refused when larger than ``max_bytes`` or when
    it changed while it was read (its size, modification or change time moved)."""
    import hashlib

    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except PermissionError:
        raise LicGpuError(f"no permission to read {p}") from None
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise LicGpuError(f"{p} is not a regular file (a FIFO, device or socket); pass a file")
        if before.st_size > max_bytes:
            raise LicGpuError(
                f"{p}: {before.st_size} bytes, more than data.max_bytes allows {limits}; "
                "raise data.max_bytes if the file is meant to be this large"
            )
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, 1 << 22)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        after = os.fstat(fd)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    moved = (before.st_size, before.st_mtime_ns, before.st_ctime_ns) != (
        after.st_size,
        after.st_mtime_ns,
        after.st_ctime_ns,
    )
    if moved or len(data) != after.st_size:
        raise LicGpuError(f"{p} changed while it was read (another program writing it?); run again once it is complete")
    return data, hashlib.sha256(data).hexdigest()


def _decompress(raw: bytes, p: Path, max_bytes: int, limits: str) -> bytes:
    """``raw`` inflated by the file's compression suffix, at most ``max_bytes`` of it."""
    suffix = p.suffix.lower()
    if suffix not in _COMPRESSION_SUFFIXES:
        return raw
    stream: io.BufferedIOBase | IO[bytes]  # each codec's reader; only read(n) is used
    try:
        if suffix == ".gz":
            import gzip

            stream = gzip.GzipFile(fileobj=io.BytesIO(raw))
        elif suffix == ".bz2":
            import bz2

            stream = bz2.BZ2File(io.BytesIO(raw))
        elif suffix == ".xz":
            import lzma

            stream = lzma.LZMAFile(io.BytesIO(raw))
        elif suffix == ".zip":
            import zipfile

            archive = zipfile.ZipFile(io.BytesIO(raw))
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if len(names) != 1:
                raise LicGpuError(f"{p}: a .zip input must hold exactly one file; it holds {len(names)}")
            stream = archive.open(names[0])
        else:  # .zst
            try:
                import zstandard
            except ImportError:
                raise LicGpuError(f"{p}: reading .zst needs the zstandard package (pip install zstandard)") from None
            stream = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw))
        chunks, size = [], 0
        while size <= max_bytes:  # read() of these streams may return less than asked: loop
            chunk = stream.read(min(1 << 22, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except LicGpuError:
        raise
    except Exception as err:  # noqa: BLE001  each codec raises its own types for a damaged file
        raise LicGpuError(f"cannot decompress {p}: {' '.join(str(err).split())[:200] or type(err).__name__}") from None
    if size > max_bytes:
        raise LicGpuError(
            f"{p}: more than {max_bytes} bytes once decompressed {limits}; raise data.max_bytes "
            "if the file is meant to be this large"
        )
    return b"".join(chunks)


def _check_rows(n: int, p: Path, max_rows: int, limits: str) -> None:
    if n > max_rows:
        raise LicGpuError(
            f"{p}: more than {max_rows} rows {limits}; raise data.max_rows if the file is meant to be this large"
        )


def _read_typed_table(
    p: Path, data: bytes, fmt: str, encoding: str, what: str, max_rows: int, limits: str
) -> pd.DataFrame:
    """A parquet or JSON-lines file (its bytes), every value turned into a string like the CSV reader's."""
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            # the row count is in the file's footer: a huge table is refused before it is inflated
            _check_rows(pq.ParquetFile(io.BytesIO(data)).metadata.num_rows, p, max_rows, limits)
            df = pd.read_parquet(io.BytesIO(data))
        else:
            head = data[:64].lstrip()
            if not head:
                raise LicGpuError(f"{what} file is empty: {p}")
            _check_rows(data.count(b"\n") - 1, p, max_rows, limits)
            # ``.json`` may hold one array of records instead of one record per line
            df = pd.read_json(io.BytesIO(data), lines=not head.startswith(b"["), dtype=False, encoding=encoding)
    except LicGpuError:
        raise
    except Exception as err:  # pyarrow / json raise many types; each means "not this format"
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        kind = "parquet" if fmt == "parquet" else "JSON lines (one object per line)"
        hint = ""
        if fmt == "parquet" and not data.startswith(b"PAR1"):
            try:  # a text file named .parquet (a CSV renamed): say so
                data[:4096].decode("utf-8")
                first, hint = first.rstrip("."), "; the file holds text, not parquet (a CSV? name it .csv)"
            except UnicodeDecodeError:
                pass
        if fmt != "parquet":
            first = _bad_json_line(data, encoding) or first
        raise LicGpuError(f"cannot read {p} as {kind}: {first}{hint}") from None
    if len(df.columns) == 0:
        raise LicGpuError(f"{what} file is empty: {p}")
    _check_rows(len(df), p, max_rows, limits)
    _refuse_lists(df, p)
    return frame_as_strings(df)


def _bad_json_line(data: bytes, encoding: str) -> str | None:
    """The first line of a JSON-lines file that is not one JSON object, named by its line number (pandas says
    only a byte position: trial 10's truncated line 137 was "... at position 21186")."""
    import json

    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    if text.lstrip().startswith("["):
        return None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as err:
            return f"line {n} is not one JSON object ({getattr(err, 'msg', err)}: {line.strip()[:60]!r})"
        if not isinstance(value, dict):
            return f"line {n} is not one JSON object (it holds a {type(value).__name__}: {line.strip()[:60]!r})"
    return None


def _refuse_lists(df: pd.DataFrame, p: Path) -> None:
    """A Parquet or JSON column of lists (tokens, tags) would become numpy's printout, ``"['WHY' 'is' ...]"``, in
    every output (trial 10): refused, naming the column and the first such row."""
    from lic_gpu.io.cells import refuse_containers

    for c in df.columns:
        name = str(c)
        fix = f"join a text column's tokens into one text first (df[{name!r}] = df[{name!r}].str.join(' ')), or drop the column"
        refuse_containers(df[c], name, f"{p}: column", "data row {i}", "one text or number", fix)


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:200]


def frame_as_strings(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as a string (missing -> ``""``; integral floats such as ``3.0`` keep their text)."""
    out = {}
    for c in df.columns:
        col = df[c]
        missing = col.isna().to_numpy()
        text = col.astype(object).where(~missing, "").map(str)
        out[str(c).strip()] = text.to_numpy(dtype=object)
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def _check_wide_encoding(path: Path, head: bytes, enc: str, encoding: str) -> None:
    """Refuse a UTF-16/32 file read with a byte encoding (or the reverse) with the encoding to use:
    every byte encoding "works" on it and garbles it (latin1 would turn it into NUL-filled text).
    ``head``: the file's first (decompressed) bytes."""
    import codecs

    wide = codecs.lookup(enc).name.startswith(("utf-16", "utf-32"))
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        guess = "utf-32"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        guess = "utf-16"
    elif head.count(0) * 8 >= len(head):
        # text in UTF-16 without a byte-order mark is about half NULs (ASCII); a stray NUL byte in a
        # UTF-8 file is not that, and is reported as NUL bytes below, not as another encoding
        odd, even = head[1::2].count(0), head[0::2].count(0)
        guess = "utf-16-le" if odd > 4 * even else "utf-16-be" if even > 4 * odd else ""
    else:
        guess = ""
    if not head:
        return
    if wide:
        if not guess and b"\x00" not in head:
            # no byte-order mark and no NUL byte: this is a byte encoding, not UTF-16/32
            try:
                head.decode("utf-8")
                other = "utf-8"
            except UnicodeDecodeError as err:
                other = "utf-8" if err.start >= len(head) - 4 else "latin1"
            raise LicGpuError(
                f"{path} is not {encoding}-encoded text (no byte-order mark, no NUL bytes); set data.encoding={other}"
            )
        return
    if guess:
        raise LicGpuError(f"{path} is {guess.upper()}-encoded text (not {encoding}); set data.encoding={guess}")
    if b"\x00" in head:
        raise LicGpuError(
            f"{path} holds NUL bytes (the first at byte {head.index(0)}): not a text CSV in "
            f"{encoding}; check the file or its encoding"
        )


def _check_unique_header(path: Path, data: bytes, enc: str, delimiter: str) -> None:
    """pandas would silently rename a repeated column to ``name.1`` (and take it as a rating)."""
    text = io.TextIOWrapper(io.BytesIO(data[: 1 << 20]), encoding=enc, errors="replace", newline="")
    header = [name.strip() for name in next(csv.reader(text, delimiter=delimiter), [])]
    seen: dict[str, int] = {}
    for name in header:
        seen[name] = seen.get(name, 0) + 1
    repeated = [name for name, n in seen.items() if n > 1]
    if repeated:
        raise LicGpuError(
            f"{path}: the header names column {repeated[0]!r} {seen[repeated[0]]} times; give every column its own name"
        )


def _single_byte(encoding: str) -> bool:
    import codecs

    return codecs.lookup(encoding).name in {"latin-1", "iso8859-1", "cp1252", "iso8859-15"}


def _is_utf8_with_non_ascii(data: bytes) -> bool:
    """True when the bytes decode as UTF-8 and have non-ASCII bytes: reading them as latin1 garbles them."""
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
