"""lic_gpu: LIC-guided, GPU-accelerated text augmentation for class-imbalanced emotion ratings."""

from typing import TYPE_CHECKING

from lic_gpu.errors import LicGpuError, LicGpuWarning

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time each name is imported on first use
    from lic_gpu.api import LicResampler, augment_frame
    from lic_gpu.augment import LicAugmenter
    from lic_gpu.device import resolve_device
    from lic_gpu.io.resource_cache import clear_resource_cache
    from lic_gpu.lic import LicResult, compute_lic
    from lic_gpu.scoring import score_swaps
    from lic_gpu.vectors.store import EmbeddingStore

__version__ = "0.1.0"
__all__ = [
    "augment_frame",
    "LicResampler",
    "compute_lic",
    "LicResult",
    "EmbeddingStore",
    "LicAugmenter",
    "resolve_device",
    "LicGpuError",
    "LicGpuWarning",
    "clear_resource_cache",
    "score_swaps",
]

# Imported on first use: ``import lic_gpu.gc_pause`` must not pull in torch (the entry scripts
# import torch with the garbage collector paused), and gensim and the sampler are not needed to
# compute LIC.
_LAZY = {
    "compute_lic": "lic_gpu.lic",
    "LicResult": "lic_gpu.lic",
    "resolve_device": "lic_gpu.device",
    "EmbeddingStore": "lic_gpu.vectors.store",
    "LicAugmenter": "lic_gpu.augment",
    "augment_frame": "lic_gpu.api",
    "LicResampler": "lic_gpu.api",
    "clear_resource_cache": "lic_gpu.io.resource_cache",
    "score_swaps": "lic_gpu.scoring",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
