"""Shared fixtures (the reference module, EmoBank, a fresh cache folder); plain helpers live in helpers.py."""

from __future__ import annotations

import importlib.util
import os

import pytest

from helpers import EMOBANK, REFERENCE  # noqa: E402  (tests/ is on sys.path)


def pytest_configure(config):
    """Caches (embedding copies, searched neighbours) go to a fresh folder per test session: a
    user's ~/.cache is neither read nor written, and no test depends on an earlier session."""
    import tempfile

    os.environ["LIC_GPU_CACHE"] = tempfile.mkdtemp(prefix="lic_gpu-test-cache-")


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
    from lic_gpu.io.data import load_seed_csv

    return load_seed_csv(
        EMOBANK / "seed_format" / "words.csv",
        EMOBANK / "seed_format" / "ratings.csv",
        rating_columns=["valence", "arousal", "dominance"],
    )


@pytest.fixture(autouse=True)
def _fresh_resource_cache():
    """Each test loads its own vectors, thesaurus and tagger (lic_gpu.io.resource_cache keeps them for a
    process): a test that replaces EmbeddingStore.load sees its replacement called."""
    from lic_gpu.io.resource_cache import clear_resource_cache

    clear_resource_cache()
    yield
