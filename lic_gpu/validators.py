"""Validators shared by every layer's options: one function per kind of value, so one message."""

from __future__ import annotations

from typing import Any

from lic_gpu.errors import LicGpuError


def check_bool(value: Any, name: str) -> bool:
    """An option that is ``true`` or ``false`` (``name``: the option as the user types it)."""
    if not isinstance(value, bool):
        raise LicGpuError(f"{name} must be true or false; got {value!r}")
    return value
