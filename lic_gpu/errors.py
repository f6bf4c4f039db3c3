"""The one exception type a user is meant to read."""

from __future__ import annotations


class LicGpuError(ValueError):
    """A user-facing error: one line that names the file, column or value and what to do.

    Entry scripts print ``str(err)`` and exit non-zero without a traceback; library callers can
    catch it like any ``ValueError``.
    """


class Refused(BaseException):
    """A :class:`LicGpuError` from a Hydra callback, carried past Hydra (which turns an ``Exception``
    from a callback into a warning and goes on) to :func:`lic_gpu.app.entry.run_hydra_app`."""

    def __init__(self, error: LicGpuError):
        super().__init__(str(error))
        self.error = error


class LicGpuWarning(UserWarning):
    """Something a user should know that is not an error: a class that got fewer new rows than asked,
    an input column set aside. Filter it with ``warnings.simplefilter("ignore", LicGpuWarning)``."""
