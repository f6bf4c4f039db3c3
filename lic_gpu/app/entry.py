"""What the entry scripts share around ``@hydra.main``: every mistake a user can fix ends in one line
on stderr, ``error: <message>``, and exit code 2; Ctrl-C in ``interrupted: ...`` and exit code 130.

Three layers, from the outside in:

- :func:`quiet_interrupts` covers the imports at the top of a script (torch, pandas and Hydra take
  about a second, and nothing has been written yet);
- :func:`run_hydra_app` calls the ``@hydra.main`` function with Hydra told to raise instead of
  printing its own traceback, and turns what Hydra raises (an override it cannot parse or merge, an
  interpolation it cannot resolve, a run folder or log file it cannot create) into the one line;
- :func:`main_guarded` runs the job itself.

:class:`lic_gpu.app.config.RunFolderCheck`, a Hydra callback named in ``conf/augment.yaml``, validates
the whole config and the run folder after composition but before Hydra creates the folder, its log
and ``.hydra/``.

Imports nothing heavy at module level: the scripts import it before torch.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from lic_gpu.errors import LicGpuError, Refused

INTERRUPTED = "interrupted: no output file was left half-written"
# One interrupt path for Ctrl-C, ``kill``/``timeout``/SLURM (SIGTERM) and a closed terminal (SIGHUP):
# each becomes :class:`Interrupted` (a KeyboardInterrupt), so every ``finally`` and rollback runs,
# then one line and the shell's exit status for that signal (128 + its number).
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
_WHAT = {"SIGINT": "interrupted", "SIGTERM": "terminated (SIGTERM)", "SIGHUP": "hung up (SIGHUP)"}


class Interrupted(KeyboardInterrupt):
    """A signal that ends the run (SIGINT, SIGTERM, SIGHUP), raised where the program was."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def interrupt_line(err: BaseException | None = None) -> str:
    """The one line a signal ends with (:data:`INTERRUPTED` for Ctrl-C)."""
    signum = getattr(err, "signum", signal.SIGINT)
    return INTERRUPTED.replace("interrupted", _WHAT.get(signal.Signals(signum).name, "interrupted"), 1)


def interrupt_status(err: BaseException | None = None) -> int:
    """128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + int(getattr(err, "signum", signal.SIGINT))


def _raise_interrupted(signum, frame) -> None:  # noqa: ARG001
    # a second signal must not cut short the cleanup the first one started
    for sig in _SIGNALS:
        try:
            signal.signal(sig, signal.SIG_IGN)
        except (ValueError, OSError):
            pass
    raise Interrupted(signum)


def install_interrupt_handlers() -> None:
    """SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` in the main thread (entry scripts only:
    a library caller's signals are its own)."""
    for sig in _SIGNALS:
        try:
            signal.signal(sig, _raise_interrupted)
        except (ValueError, OSError):  # not the main thread
            return


_ELSEWHERE = "write elsewhere with hydra.run.dir=PATH"

_finished_single_run = False  # set by main_guarded when a non-sweep Hydra run succeeds


@contextmanager
def quiet_interrupts() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM or SIGHUP prints its line and ends the process at once
    (meant for the imports at the top of an entry script, before anything is written); after it,
    they raise :class:`Interrupted` (:func:`install_interrupt_handlers`)."""

    def stop(signum, frame):  # noqa: ARG001
        err = Interrupted(signum)
        _say(interrupt_line(err))
        os._exit(interrupt_status(err))

    try:
        for sig in _SIGNALS:
            signal.signal(sig, stop)
    except ValueError:  # not the main thread: leave the signals alone
        yield
        return
    try:
        yield
    finally:
        install_interrupt_handlers()


def run_hydra_app(main: Callable[[], Any]) -> None:
    """Call a ``@hydra.main`` function; Hydra's own failures become one ``error:`` line and exit 2.

    ``verbose=true`` on the command line (or ``HYDRA_FULL_ERROR=1``) shows the traceback instead.
    """
    verbose = os.environ.get("HYDRA_FULL_ERROR") == "1" or any(
        arg.replace(" ", "").lower() in ("verbose=true", "verbose=yes", "verbose=1") for arg in sys.argv[1:]
    )
    # Hydra then raises (to us) instead of printing its stack trace and exiting with 1.
    os.environ["HYDRA_FULL_ERROR"] = "1"
    # the YAML names schemas from Hydra's ConfigStore: register them before Hydra composes, whatever
    # else the entry point happened to import (scripts/evaluate.py imported nothing that did)
    from lic_gpu.app.schema import note_swept_keys, register

    register()
    sys.argv[1:] = multirun_flag_first(sys.argv[1:])
    note_swept_keys(sys.argv[1:])  # a sweep's jobs are named after the swept values first
    skip_mode_composition(sys.argv[1:])
    try:
        main()
    except Refused as refused:
        if verbose:
            raise refused.error from None
        _say(f"error: {refused.error}")
        sys.exit(2)
    except KeyboardInterrupt as err:
        _say(interrupt_line(err))
        sys.exit(interrupt_status(err))
    except Exception as err:  # noqa: BLE001  sorted below: what is not a user's mistake is re-raised
        message = hydra_error_message(err)
        if message is None or verbose:
            raise
        _say(f"error: {message}")
        sys.exit(2)


def multirun_flag_first(args: Sequence[str]) -> list[str]:
    """``-m``/``--multirun`` moved before the overrides. Hydra's argparse takes the overrides as one run of
    positional arguments, so ``augment.py data=csv -m emotion=a,b`` ended in its ten-line usage text and
    ``unrecognized arguments`` (trial 9); the flag takes no value, so where it stands says nothing else."""
    flags = [a for a in args if a in ("-m", "--multirun")]
    if not flags:
        return list(args)
    return [flags[0], *(a for a in args if a not in ("-m", "--multirun"))]


# Command-line arguments that may bring in a config setting hydra.mode: then Hydra's own look-up runs.
_MODE_SOURCES = ("hydra.mode", "--config-dir", "-cd", "--config-path", "-cp", "--config-name", "-cn")


def skip_mode_composition(args: Sequence[str]) -> bool:
    """Spare Hydra its first composition when it can only find ``hydra.mode`` unset.

    Before running a job Hydra composes the whole config once just to read ``hydra.mode`` (None unless
    a config or an override sets it; failures there are swallowed and met again in the real
    composition), then composes it again for the job: ~0.25 s of every run. Our configs never set
    ``hydra.mode`` (tests/test_speed_startup.py checks), so unless the command line names it or brings
    other config files, the answer is known: None, and Hydra goes by ``-m``/``--multirun`` as it
    always does then. Returns whether the look-up was replaced (False with a Hydra that lacks it).
    """
    if any(arg.lstrip("+~").startswith(src) for arg in args for src in _MODE_SOURCES):
        return False
    try:
        from hydra._internal.hydra import Hydra
    except ImportError:
        return False
    if not callable(getattr(Hydra, "get_mode", None)):
        return False

    def get_mode(self, config_name, overrides):  # noqa: ARG001  same signature as Hydra's
        return None

    Hydra.get_mode = get_mode  # type: ignore[method-assign]
    return True


def hydra_error_message(err: BaseException) -> str | None:
    """One line for a failure before the job ran (composition, interpolation, the run folder or its
    log), or None for anything else (a bug: its traceback is worth seeing)."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from lic_gpu.app.config import config_error_message

    if isinstance(err, LicGpuError):
        return str(err)
    if _started:
        return None  # the job ran: main_guarded has said all a user can act on
    if isinstance(err, OmegaConfBaseException):
        return config_error_message(err)
    if isinstance(err, HydraException):
        first = _first_line(err)
        cause = err.__cause__
        if isinstance(cause, OmegaConfBaseException):
            first += f": {config_error_message(cause)}"
        if "LexerNoViableAltException" in first or "no viable alternative" in first:
            # trial 8: data.sep=';' (the shell took the quotes) and hydra.run.dir=runs/Données failed with only this
            first += (
                " (Hydra cannot read that override: quote a value holding ; = , { } [ ] ( ) spaces or non-ASCII "
                "letters for Hydra, and the whole override for the shell: \"data.sep=';'\", "
                "\"hydra.run.dir='runs/Données'\")"
            )
        bare = re.match(r"Error parsing override '([^'=]*)'$", first)
        if bare:
            first += _spaces_hint(bare[1], sys.argv[1:])
        missing = re.search(r"Could not find '(\w+)/([^']+)'", first)
        if missing:
            first += _group_options_hint(missing[1], missing[2])
        if any(any(0xDC80 <= ord(ch) <= 0xDCFF for ch in arg) for arg in sys.argv[1:]):
            # Hydra's override grammar takes bytes that are not UTF-8 (a file name) only when quoted
            first += "; a value with bytes that are not UTF-8 must be quoted: key='\"value\"'"
        return first
    os_error = err if isinstance(err, OSError) else _os_cause(err)
    if os_error is not None:
        where = os_error.filename or "the run folder"
        if isinstance(os_error, (FileExistsError, NotADirectoryError)):
            return f"output folder is not writable: {where} is a file; {_ELSEWHERE}"
        return f"output folder is not writable: {where} ({os_error.strerror or os_error}); {_ELSEWHERE}"
    return None


def _spaces_hint(word: str, args: Sequence[str]) -> str:
    """For an argument that is no override (``data/therapy``): the shell split a value at its spaces (trial 9:
    ``data.path=/work/my data/therapy set.csv`` unquoted). Names the override as it should have been quoted."""
    if word not in args:
        return ""
    i = list(args).index(word)
    start = i
    while start > 0 and "=" not in args[start - 1] and not args[start - 1].startswith("-"):
        start -= 1
    if start == 0 or "=" not in args[start - 1]:
        return ": an override is key=value (quote a value holding spaces for the shell)"
    end = i + 1
    while end < len(args) and "=" not in args[end] and not args[end].startswith("-"):
        end += 1
    key, _, value = args[start - 1].partition("=")
    whole = " ".join([value, *args[start:end]])
    return f": it is not key=value; the shell split a value at its spaces: quote it, \"{key}='{whole}'\""


def _group_options_hint(group: str, option: str) -> str:
    """``data=cvs``: the group's options and the nearest one (Hydra names only the file it did not find)."""
    import difflib

    from lic_gpu.io.conf_files import config_dir

    names = sorted(p.stem for p in (config_dir() / group).glob("*.yaml") if not p.stem.startswith("base_"))
    if not names:
        return ""
    near = difflib.get_close_matches(option, names, n=1)
    return f"; {group}= options are {names}" + (f" (did you mean {group}={near[0]}?)" if near else "")


_started = False  # main_guarded has been entered: the job's own errors are its business


def main_guarded(fn: Callable[[Any], Any], cfg) -> None:
    """Run ``fn(cfg)``; a :class:`LicGpuError`, a config value that cannot be resolved, running out of
    memory or Ctrl-C becomes one line on stderr and exit code 2 (130), unless ``verbose=true``
    asks for the traceback."""
    global _finished_single_run, _started
    from omegaconf.errors import OmegaConfBaseException

    from lic_gpu.app.config import config_error_message

    _started = True
    try:
        fn(cfg)
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.RUN:
            _finished_single_run = True
    except (LicGpuError, OmegaConfBaseException) as err:
        if _verbose(cfg):
            raise
        _say_and_log(f"error: {err if isinstance(err, LicGpuError) else config_error_message(err)}")
        sys.exit(2)
    except MemoryError as err:
        # Out of memory outside the chunked search (loading vectors, LIC): a user-fixable size problem.
        if _verbose(cfg):
            raise
        _say_and_log(
            f"error: out of memory ({_first_line(err)}); use embeddings.dtype=float16, embeddings.limit=N or device=cpu"
        )
        sys.exit(2)
    except RuntimeError as err:
        if type(err).__name__ != "OutOfMemoryError" or _verbose(cfg):  # torch's OutOfMemoryError
            raise
        _say_and_log(
            f"error: out of memory ({_first_line(err)}); use embeddings.dtype=float16, embeddings.limit=N or device=cpu"
        )
        sys.exit(2)
    except KeyboardInterrupt as err:
        _say_and_log(interrupt_line(err))
        sys.exit(interrupt_status(err))


def exit_after_single_run() -> None:
    """End the process now (exit status 0) if it has just finished one single, non-sweep run.

    Every output is written and closed by then, but the interpreter's teardown would still take
    about 0.5 s, mostly torch's destructors, on every run. Logs and the standard streams are
    flushed first. Sweeps (``-m``) and library use return normally: a launcher may still own
    worker processes, and a caller's process is not ours to end.
    """
    if not _finished_single_run:
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the stream closed (``>&-``): Python sets it to None
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``) or stream: nothing left to say
            pass
    os._exit(0)


def _verbose(cfg) -> bool:
    try:
        return bool(cfg.get("verbose", False))
    except Exception:  # noqa: BLE001  the config's own value may be what is broken
        return False


def _os_cause(err: BaseException | None) -> OSError | None:
    """The OSError behind an error (logging wraps a log file it cannot open in a ValueError)."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OSError):
            return err
        err = err.__cause__ or err.__context__
    return None


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return " ".join(text.splitlines()[0].split()).rstrip(".") if text else type(err).__name__


def _say_and_log(line: str) -> None:
    """``line`` on stderr and at the end of the run's log file (Hydra's ``<job>.log``): a failed run's folder,
    which holds only ``.hydra/`` and that log, then says why it stopped."""
    import logging

    record = logging.LogRecord("lic_gpu", logging.ERROR, __file__, 0, line, None, None)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            try:
                handler.handle(record)
            except Exception:  # a log that cannot be written must not hide the error itself
                pass
    _say(line)


def _say(line: str) -> None:
    if sys.stderr is None:  # started with stderr closed: the exit code still says it
        return
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):  # a closed stderr: the exit code still says it
        pass
