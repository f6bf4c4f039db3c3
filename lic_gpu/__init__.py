"""lic_gpu: LIC-guided, GPU-accelerated text augmentation for class-imbalanced emotion ratings."""
from lic_gpu.errors import LicGpuError, LicGpuWarning

__version__ = "0.1.0"
__all__ = ["augment_frame", "LicResampler", "compute_lic", "LicResult", "EmbeddingStore", "LicAugmenter",
           "resolve_device", "LicGpuError", "LicGpuWarning", "clear_resource_cache"]

# Imported on first use: ``import lic_gpu.gc_pause`` must not pull in torch (the entry scripts
# import torch with the garbage collector paused), and gensim and the sampler are not needed to
# compute LIC.
_LAZY = {"compute_lic": "lic_gpu.lic", "LicResult": "lic_gpu.lic", "resolve_device": "lic_gpu.device",
         "EmbeddingStore": "lic_gpu.embeddings", "LicAugmenter": "lic_gpu.sampler",
         "augment_frame": "lic_gpu.api", "LicResampler": "lic_gpu.api",
         "clear_resource_cache": "lic_gpu.resource_cache"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
