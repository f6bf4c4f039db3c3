"""What several test modules share: where the repository and ../shared are, and small vector stores.

Imported as ``from helpers import ...`` (pytest puts ``tests/`` on ``sys.path``); fixtures stay in
``conftest.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LIC_GPU_SHARED", ROOT.parent / "shared"))
EMOBANK = SHARED / "data" / "emobank"
REFERENCE = SHARED / "reference" / "seed_reference.py"

needs_shared = pytest.mark.skipif(
    not REFERENCE.exists() or not EMOBANK.exists(), reason="../shared (EmoBank, the reference) is not present"
)


def family_store(families, loose_words, dim: int = 16):
    """A small EmbeddingStore: each family of near-synonyms sits around its own axis; the loose
    words are random. Deterministic (seed 0), shared by the sampler and evaluation tests."""
    import numpy as np

    from lic_gpu.vectors.store import EmbeddingStore

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


# LicAugmenter's checks that made-up words cannot pass at their command-line defaults (conf/augment/
# diverse.yaml: a thesaurus, WordNet, reciprocity, the grammar, the rare-word floor, the guards, a per-source
# limit, the encoder stage): tests on toy vectors switch them off, {**PLAIN_FILTERS, **options}.
PLAIN_FILTERS = dict(
    guards=(),
    grammar=None,
    thesaurus=None,
    wordnet=False,
    reciprocal=False,
    max_rank_ratio=None,
    max_per_source=None,
    encoder=False,
)


def vectors_never_fit_on_a_gpu(monkeypatch) -> None:
    """Pretend a GPU was found (the ``meta`` device stands in for it) on which the word vectors never
    fit: ``EmbeddingStore.load`` raises CUDA's out-of-memory error on any device but the CPU."""
    import torch

    import lic_gpu.app.run_setup as run_setup
    from lic_gpu.device import DeviceChoice
    from lic_gpu.vectors.store import EmbeddingStore

    real_load = EmbeddingStore.load.__func__

    def load(cls, *args, device="cpu", **kwargs):
        if str(device) != "cpu":
            raise torch.OutOfMemoryError("simulated")
        return real_load(cls, *args, device=device, **kwargs)

    monkeypatch.setattr(EmbeddingStore, "load", classmethod(load))
    monkeypatch.setattr(run_setup, "resolve_device", lambda requested: DeviceChoice(torch.device("meta"), "cuda"))
