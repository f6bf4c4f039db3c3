"""Old home of the augmenter, kept so that ``from lic_gpu.sampler import ...`` keeps working.

The code lives in :mod:`lic_gpu.augment` (settings, results, neighbour tables, candidate checks, the
seed and diverse generators, the :class:`LicAugmenter` façade).
"""
from lic_gpu.augment import (GUARD_REASONS, MODES, AugmentResult, AugmentSettings, ClassReport,  # noqa: F401
                             JunkFilter, LicAugmenter, NewRow, Swap, check_mode, check_options, dedup_key,
                             match_case, originals_keys)
from lic_gpu.augment.positions import Position as _Position  # noqa: F401
from lic_gpu.strategy import check_sampling_strategy  # noqa: F401  (re-exported)
