"""The one exception type a user is meant to read."""
from __future__ import annotations


class LicGpuError(ValueError):
    """A user-facing error: one line that names the file, column or value and what to do.

    Entry scripts print ``str(err)`` and exit non-zero without a traceback; library callers can
    catch it like any ``ValueError``.
    """
