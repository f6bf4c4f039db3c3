"""Whether a neighbour table fits in memory, asked before the search allocates it.

A huge ``augment.k`` (400 000) otherwise ends in a raw allocation failure, or the kernel's
out-of-memory killer, after minutes of work.
"""

from __future__ import annotations

from lic_gpu.errors import LicGpuError

# Per (query, neighbour): the float32 score and int64 id tensors (12 B) and the Python lists the
# sampler keeps of them (a list slot + an int object, a list slot + a float object: about 68 B).
BYTES_PER_NEIGHBOUR = 80
# Leave room for everything else the run holds (vectors, frames, the interpreter).
USABLE_FRACTION = 0.5


def available_bytes() -> int | None:
    """Memory the system can still give this process (Linux ``MemAvailable``), or None when unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_neighbour_table(
    n_queries: int, k: int, n_vectors: int, available: int | None = None, asked: int | None = None
) -> None:
    """One-line error when ``n_queries`` x ``k`` neighbours cannot fit in the memory available.

    Names the size asked, the memory available and the largest ``k`` that fits; ``asked`` is the
    ``k`` the user gave when the caller already capped it at the vocabulary size.
    """
    available = available_bytes() if available is None else available
    per_query = min(k, max(n_vectors - 1, 1))
    need = n_queries * per_query * BYTES_PER_NEIGHBOUR
    if available is None or n_queries == 0 or need <= available * USABLE_FRACTION:
        return
    fits = int(available * USABLE_FRACTION // (n_queries * BYTES_PER_NEIGHBOUR))
    raise LicGpuError(
        f"k={asked or k} (augment.k) asks for a neighbour table of {n_queries:,} words x {per_query:,} neighbours, about "
        f"{need / 1e9:.1f} GB, but only {available / 1e9:.1f} GB of memory is available (half of it usable): "
        f"k <= {fits:,} fits; lower augment.k"
    )
