"""Shared fixtures: where ../shared is (EmoBank, the reference) and the reference module itself."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LIC_GPU_SHARED", ROOT.parent / "shared"))
EMOBANK = SHARED / "data" / "emobank"
REFERENCE = SHARED / "reference" / "seed_reference.py"



def pytest_configure(config):
    """Caches (embedding copies, searched neighbours) go to a fresh folder per test session: a
    user's ~/.cache is neither read nor written, and no test depends on an earlier session."""
    import tempfile

    os.environ["LIC_GPU_CACHE"] = tempfile.mkdtemp(prefix="lic_gpu-test-cache-")


needs_shared = pytest.mark.skipif(not REFERENCE.exists() or not EMOBANK.exists(),
                                  reason="../shared (EmoBank, the reference) is not present")


@pytest.fixture(scope="session")
def reference():
    """The notebook's algorithm (../shared/reference/seed_reference.py), imported, never copied."""
    if not REFERENCE.exists():
        pytest.skip("../shared/reference/seed_reference.py is not present")
    spec = importlib.util.spec_from_file_location("seed_reference", REFERENCE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def emobank_seed():
    """EmoBank in the notebook's two-CSV layout, loaded by lic_gpu."""
    if not EMOBANK.exists():
        pytest.skip("EmoBank is not present in ../shared")
    from lic_gpu.data import load_seed_csv

    return load_seed_csv(EMOBANK / "seed_format" / "words.csv", EMOBANK / "seed_format" / "ratings.csv",
                         rating_columns=["valence", "arousal", "dominance"])


def family_store(families, loose_words, dim: int = 16):
    """A small EmbeddingStore: each family of near-synonyms sits around its own axis; the loose
    words are random. Deterministic (seed 0), shared by the sampler and evaluation tests."""
    import numpy as np

    from lic_gpu.embeddings import EmbeddingStore

    rng = np.random.default_rng(0)
    words, vecs = [], []
    for i, members in enumerate(families):
        centre = np.zeros(dim)
        centre[i] = 1.0
        for w in members:
            words.append(w)
            vecs.append(centre + 0.15 * rng.standard_normal(dim))
    words += list(loose_words)
    vecs += list(rng.standard_normal((len(loose_words), dim)))
    return EmbeddingStore.from_array(words, np.array(vecs))
