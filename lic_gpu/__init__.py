"""lic_gpu: LIC-guided, GPU-accelerated text augmentation for class-imbalanced emotion ratings."""
from lic_gpu.device import resolve_device
from lic_gpu.errors import LicGpuError
from lic_gpu.lic import LicResult, compute_lic

__version__ = "0.1.0"
__all__ = ["compute_lic", "LicResult", "EmbeddingStore", "LicAugmenter", "resolve_device", "LicGpuError"]


def __getattr__(name):
    # Imported on first use: gensim and the sampler are not needed to compute LIC.
    if name == "EmbeddingStore":
        from lic_gpu.embeddings import EmbeddingStore

        return EmbeddingStore
    if name == "LicAugmenter":
        from lic_gpu.sampler import LicAugmenter

        return LicAugmenter
    raise AttributeError(name)
