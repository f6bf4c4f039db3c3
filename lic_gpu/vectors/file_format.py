"""Which kind of word-vector file a path holds, from its first bytes: the format sniffed (never a pickle) or
checked against the one named, and a byte-order mark refused."""

from __future__ import annotations

import gzip
from pathlib import Path

from lic_gpu.errors import LicGpuError

FORMATS = ("auto", "word2vec_bin", "word2vec_text", "glove_text", "fasttext_vec", "gensim_kv")


def check_head(path: Path, head: bytes) -> None:
    """Refuse a file that starts with a UTF-8 byte-order mark: gensim would read the mark into the header (then
    refused as GloVe) or into the first word (``\\ufeffthe``)."""
    if head.startswith(b"\xef\xbb\xbf"):
        raise LicGpuError(
            f"{path}: starts with a UTF-8 byte-order mark, which word-vector readers take as part of the first "
            "word; save the file without it (e.g. sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)"
        )


def read_head(path: Path, size: int = 1 << 16) -> bytes:
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                return fh.read(size)
        with open(path, "rb") as fh:
            return fh.read(size)
    except (OSError, EOFError) as err:
        raise LicGpuError(f"{path}: cannot read the file ({one_line(err)})") from None


def _header(head: bytes) -> tuple[int, int] | None:
    """``(count, dim)`` when the first line is a word2vec/fastText header."""
    first = head.split(b"\n", 1)[0].split()
    if len(first) == 2 and all(part.isdigit() for part in first):
        return int(first[0]), int(first[1])
    return None


def _looks_like_text(data: bytes) -> bool:
    if not data:
        return True
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        # A multi-byte character cut by the read size is still text.
        if err.start < len(data) - 4:
            return False
        text = data[: err.start].decode("utf-8")
    return not any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text)


def sniff_format(path: Path, head: bytes) -> str:
    name = path.name.lower().removesuffix(".gz")
    # never "gensim_kv": a pickle runs code when it is read, so only the user may name that format
    if head.startswith(b"\x80") or name.endswith((".kv", ".model", ".wv", ".pkl", ".pickle")):
        raise LicGpuError(
            f"{path}: looks like a pickle (a gensim .kv/.model file), which format='auto' never reads: "
            "reading a pickle runs any code it holds; for a file you trust pass embeddings.format=gensim_kv "
            "embeddings.allow_pickle=true"
        )
    if not head.strip():
        raise LicGpuError(f"{path}: the file is empty; pass a word-vector file")
    if _header(head) is not None:
        body = head.split(b"\n", 1)[1] if b"\n" in head else b""
        if not _looks_like_text(body[:4096]):
            return "word2vec_bin"
        return "fasttext_vec" if name.endswith(".vec") else "word2vec_text"
    if _looks_like_text(head):
        return "glove_text"
    raise LicGpuError(
        f"{path}: format='auto' found neither a word2vec/fastText header, GloVe text nor a gensim file; "
        f"pass format= one of {list(FORMATS[1:])}"
    )


def check_format_matches(path: Path, fmt: str, head: bytes) -> None:
    """Refuse an explicit format that the first bytes contradict (gensim would misread silently)."""
    if fmt == "gensim_kv":
        return
    if not head.strip():
        raise LicGpuError(f"{path}: the file is empty; pass a word-vector file (format={fmt!r})")
    header = _header(head)
    body = head.split(b"\n", 1)[1] if b"\n" in head else b""
    if fmt == "glove_text" and header is not None:
        raise LicGpuError(
            f"{path}: format='glove_text' expects no header but the first line is {header[0]} {header[1]}; "
            "use format='word2vec_text' or 'fasttext_vec'"
        )
    if fmt in ("word2vec_bin", "word2vec_text", "fasttext_vec") and header is None:
        if head.startswith(b"\x80"):  # trial 7: the message quoted a pickle's raw bytes
            raise LicGpuError(
                f"{path}: format={fmt!r} expects a first line '<count> <dim>' but the file is a pickle (a gensim "
                ".kv/.model file or other Python objects), not a word-vector file; it is not read"
            )
        line = head.split(b"\n", 1)[0]
        first = line[:40].decode("utf-8", "replace")
        first = repr(first) if first.isprintable() else f"with binary data ({len(line)} bytes before a line break)"
        raise LicGpuError(
            f"{path}: format={fmt!r} expects a first line '<count> <dim>' but it starts {first}; "
            "use format='glove_text' for headerless text or check the file"
        )
    if fmt == "word2vec_bin" and body and _looks_like_text(body[:4096]):
        raise LicGpuError(f"{path}: format='word2vec_bin' but the vectors are text; use format='word2vec_text'")


def one_line(err: BaseException) -> str:
    """An error's text on one line, at most 300 characters."""
    return " ".join(str(err).split())[:300]
