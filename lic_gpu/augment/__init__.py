"""Making new rows: the settings, the neighbour tables, the chain of candidate checks, the two
generators (the notebook's rule, and the default diverse one) and :class:`LicAugmenter` choosing
between them.

=================  ====================================================================
module             what it holds
=================  ====================================================================
``settings``       :class:`AugmentSettings`: the options, checked once; their validators
``results``        :class:`Swap`, :class:`NewRow`, :class:`ClassReport`, :class:`AugmentResult`
``neighbours``     :class:`NeighbourTables`: top-k and reverse tables; plausible replacements
``checks``         the chain of named candidate checks and their refusal reasons
``positions``      where a swap may go; :func:`apply_swaps`
``parts``          :class:`SwapParts`: what both generators share
``seed``           :class:`SeedGenerator` (``augment.mode=seed``)
``diverse``        :class:`DiverseGenerator` (``augment.mode=diverse``)
``augmenter``      :class:`LicAugmenter`, the façade
=================  ====================================================================
"""

from lic_gpu.augment.augmenter import LicAugmenter
from lic_gpu.augment.checks import (
    Candidate,
    CandidateCheck,
    CandidateFilter,
    FormFit,
    JunkFilter,
    cheap_checks,
    first_refusal,
    match_case,
    word_checks,
)
from lic_gpu.augment.diverse import GUARD_REASONS, DiverseGenerator
from lic_gpu.augment.neighbours import NeighbourTables
from lic_gpu.augment.parts import SwapParts
from lic_gpu.augment.positions import Position, all_variants, apply_swaps, count_variants
from lic_gpu.augment.results import AugmentResult, ClassReport, NewRow, Swap, dedup_key, originals_keys
from lic_gpu.augment.seed import SeedGenerator
from lic_gpu.augment.settings import MODES, AugmentSettings, RareWords, check_mode, check_options

__all__ = [
    "LicAugmenter",
    "AugmentSettings",
    "RareWords",
    "MODES",
    "check_mode",
    "check_options",
    "Swap",
    "NewRow",
    "ClassReport",
    "AugmentResult",
    "dedup_key",
    "originals_keys",
    "NeighbourTables",
    "Candidate",
    "CandidateCheck",
    "CandidateFilter",
    "FormFit",
    "JunkFilter",
    "cheap_checks",
    "word_checks",
    "first_refusal",
    "match_case",
    "Position",
    "apply_swaps",
    "all_variants",
    "count_variants",
    "SwapParts",
    "SeedGenerator",
    "DiverseGenerator",
    "GUARD_REASONS",
]
