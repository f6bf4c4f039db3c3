"""Swap guards: refuse replacements that would change a sentence's rating (see issue 8).

Filled in by the rating-consistency work; until then no guard is configured.
"""
from __future__ import annotations

from typing import Any


def build_guards(aug_cfg: dict, store=None, stopwords=frozenset()) -> tuple[list, dict[str, Any]]:
    """Guards named in ``augment.guard`` (none yet) and a description for the summary."""
    return [], {"enabled": False}
