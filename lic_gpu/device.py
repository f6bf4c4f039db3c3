"""One place decides the device; everything downstream receives a ``torch.device``."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from lic_gpu.errors import LicGpuError

log = logging.getLogger(__name__)

DEVICE_CHOICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class DeviceChoice:
    """The device used, what was asked for, and why they differ (empty when they don't)."""

    device: torch.device
    requested: str
    fallback_reason: str = ""


def check_device(requested: str | torch.device) -> str:
    """Validate ``device``: ``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (N = 0, 1, ...); returns it
    lower-cased. Whether CUDA is there is :func:`resolve_device`'s business."""
    text = str(requested).strip().lower()
    kind, _, index = text.partition(":")
    if (
        isinstance(requested, bool)
        or not isinstance(requested, (str, torch.device))
        or kind not in DEVICE_CHOICES
        or (":" in text and (kind != "cuda" or not index.isascii() or not index.isdigit()))
    ):
        raise LicGpuError(
            f"device must be one of {list(DEVICE_CHOICES)} or cuda:N with N = 0, 1, ...; got {requested!r}"
        )
    return text


_WARNED: set[str] = set()  # the requested devices whose fallback was already said


def resolve_device(requested: str | torch.device = "auto") -> DeviceChoice:
    """Turn ``"auto" | "cpu" | "cuda" | "cuda:N"`` into a device, falling back to CPU once, loudly.

    Parameters
    ----------
    requested : str or torch.device
        ``auto`` takes CUDA when present; ``cuda`` without CUDA falls back to CPU with one warning.

    Returns
    -------
    DeviceChoice
    """
    text = check_device(requested)
    kind = text.split(":", 1)[0]
    has_cuda = torch.cuda.is_available()
    if kind == "cpu":
        return DeviceChoice(torch.device("cpu"), text)
    if kind == "auto":
        return DeviceChoice(torch.device("cuda" if has_cuda else "cpu"), text)
    if not has_cuda:
        reason = "CUDA is not available on this machine (torch.cuda.is_available() is False); using cpu"
        # once per process: cross_validate fits a clone per fold, each resolving its device again
        (log.debug if text in _WARNED else log.warning)("device=%s requested: %s", text, reason)
        _WARNED.add(text)
        return DeviceChoice(torch.device("cpu"), text, reason)
    device = torch.device(text)
    if device.index is not None and device.index >= torch.cuda.device_count():
        raise LicGpuError(f"device={text!r}: only {torch.cuda.device_count()} CUDA device(s) present (cuda:0..)")
    return DeviceChoice(device, text)


def as_device(device: str | torch.device | DeviceChoice) -> torch.device:
    """Accept a device name, a ``torch.device`` or a :class:`DeviceChoice` in public APIs."""
    if isinstance(device, DeviceChoice):
        return device.device
    if isinstance(device, torch.device):
        return device
    return resolve_device(device).device
