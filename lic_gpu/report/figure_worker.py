"""The run's figures drawn in a second process while the run goes on (issue 23).

Drawing ``distributions.png`` and ``top_lic_*.png`` takes ~0.7 s of a warm run, plus ~0.3 s to import
matplotlib, all on one core while the other idles. :class:`FigureWorker` starts ``python -m
lic_gpu.report.figure_worker`` when the job starts (it imports matplotlib while the run reads data and
makes rows), the run hands it each figure's plain data as soon as it has it, writes its tables, and
collects the figures before the run folder is committed. The worker runs the very functions of
:mod:`lic_gpu.report.figures`, so the files are the same.

Nothing is lost if the worker cannot help: a worker that does not start, dies, or fails on a figure
leaves that figure to be drawn in the run's own process, which then fails (or not) exactly as it would
have without a worker. The two processes talk over the worker's stdin/stdout with pickles that only
they write (length-prefixed); the worker ends when its stdin closes, so it never outlives the run.
"""

from __future__ import annotations

import logging
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path
from functools import partial
from typing import IO, Any, Callable, Sequence

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<Q")
# A figure the worker has not finished in this long is drawn here instead (the worker is stopped).
WAIT_S = 300.0


def _send(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(read: Callable[[int], bytes]) -> Any:
    """One length-prefixed pickle, read with ``read(n)`` (n bytes, fewer only where the pipe closes)."""
    head = read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("the figure worker closed its pipe")
    (size,) = _HEADER.unpack(head)
    data = read(size)
    if len(data) < size:
        raise EOFError("the figure worker closed its pipe mid-message")
    return pickle.loads(data)  # noqa: S301  written by our own worker process, never read from a file


def _read_exactly(fd: int, size: int) -> bytes:
    """``size`` bytes from the pipe ``fd``, fewer only where it closes.

    ``os.read`` rather than the pipe's buffered reader: that reader takes whatever the pipe holds (a
    later reply too) into its own buffer, where ``select`` cannot see it, and the next reply's wait
    would run to its timeout although the reply is there.
    """
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _readable(stream: IO[bytes] | int, timeout: float) -> bool:
    """Whether ``stream`` has something to read within ``timeout`` seconds (True where pipes cannot be
    polled: then the read itself waits)."""
    import select

    try:
        return bool(select.select([stream], [], [], timeout)[0])
    except (OSError, ValueError):
        return True


class FigureWorker:
    """A second process that draws :mod:`lic_gpu.report.figures` figures; see the module docstring.

    ``submit(name, *args, **kwargs)`` queues ``figures.<name>(*args, **kwargs)`` and returns the job's
    ticket; a job equal to one already handed to the worker (the same pickle) is not drawn twice, its
    ticket is returned again, so a figure may be handed over as soon as its data is known and asked
    for again where the files are written. ``results(tickets)`` returns those jobs' return values
    (every job's, in submission order, without ``tickets``), drawing here whatever the worker did not.
    """

    def __init__(self, proc: subprocess.Popen | None):
        self._proc = proc
        self._jobs: list[tuple[str, tuple, dict]] = []
        self._answers: list[tuple | None] = []  # the worker's replies so far, in submission order
        self._sent: dict[bytes, int] = {}  # pickled job -> its ticket

    @classmethod
    def start(cls) -> "FigureWorker":
        """Start the worker process; a worker that cannot start draws everything in this process."""
        root = str(Path(__file__).resolve().parents[2])  # the folder holding the lic_gpu package
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "lic_gpu.report.figure_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                # its own session: Ctrl-C (SIGINT to the terminal's process group) reaches the run only, which
                # says one line; the worker printed a KeyboardInterrupt traceback first (trial 8). It ends when
                # its stdin closes, so it never outlives the run either way.
                start_new_session=True,
            )
        except OSError as err:
            log.debug("figure worker not started (%s); figures are drawn in this process", err)
            proc = None
        return cls(proc)

    def submit(self, name: str, *args: Any, **kwargs: Any) -> int:
        job = (name, args, kwargs)
        if self._proc is None:
            self._jobs.append(job)
            return len(self._jobs) - 1
        try:
            data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as err:
            log.debug("figure job not picklable (%s); drawing here", err)
            self._stop()
            self._jobs.append(job)
            return len(self._jobs) - 1
        if data in self._sent:
            return self._sent[data]
        self._jobs.append(job)
        self._sent[data] = ticket = len(self._jobs) - 1
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(_HEADER.pack(len(data)) + data)
            self._proc.stdin.flush()
        except (OSError, ValueError) as err:
            log.debug("figure worker unreachable (%s); drawing here", err)
            self._stop()
        return ticket

    def results(self, tickets: Sequence[int] | None = None) -> list[Any]:
        """The return values of the jobs ``tickets`` (default: every job, in submission order): the
        worker's, or drawn here. The worker answers in order, so every earlier job's answer is read too."""
        from lic_gpu.report import figures

        tickets = range(len(self._jobs)) if tickets is None else tickets
        out: list[Any] = []
        for ticket in tickets:
            while len(self._answers) <= ticket:
                self._answers.append(self._answer())
            name, args, kwargs = self._jobs[ticket]
            answer = self._answers[ticket]
            if answer is not None and answer[0] == "ok":
                for level, logger, message in answer[2]:
                    logging.getLogger(logger).log(level, "%s", message)
                out.append(answer[1])
                continue
            if answer is not None:
                log.debug("the figure worker failed on %s (%s); drawing it here", name, answer[1])
            out.append(getattr(figures, name)(*args, **kwargs))
        return out

    def _answer(self) -> tuple | None:
        if self._proc is None:
            return None
        try:
            stdout = self._proc.stdout
            assert stdout is not None
            try:
                fd: int | None = stdout.fileno()
            except (OSError, ValueError):  # no descriptor (an in-memory stream): read it as a stream
                fd = None
            if not _readable(stdout if fd is None else fd, WAIT_S):
                raise EOFError(f"no answer in {WAIT_S:.0f} s")
            # os.read on a real pipe (see _read_exactly); an in-memory stream is read as one
            return _receive(stdout.read if fd is None else partial(_read_exactly, fd))
        except (OSError, EOFError, pickle.UnpicklingError) as err:
            log.debug("figure worker gone (%s); drawing here", err)
            self._stop()
            return None

    def kill(self) -> None:
        """Stop the worker now, whatever it is drawing; the jobs left are forgotten."""
        if self._proc is not None:
            self._proc.kill()
        self._stop()
        self._jobs.clear()
        self._answers.clear()
        self._sent.clear()

    def close(self) -> None:
        """Close the worker's stdin: it exits on its own (its exit is not waited for, which would
        put the worker's interpreter teardown on the run's clock)."""
        self._stop(wait=False)

    def _stop(self, wait: bool = True) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        if not wait:
            proc.poll()  # reaped now if it has ended; else subprocess reaps it later
            return
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> "FigureWorker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Collect(logging.Handler):
    """The worker's log records, sent back with each figure so they reach the run's log."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[tuple[int, str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.name, record.getMessage()))


def main() -> None:
    """The worker: figures in, results out, until stdin closes."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run is interrupted, not its worker (see start)
    inbox, outbox = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed must not corrupt the replies
    from lic_gpu.report import figures

    figures.subplots(1, 1)  # imports matplotlib's Figure and Agg canvas now, not at the first figure
    collect = _Collect()
    logging.getLogger().addHandler(collect)
    logging.getLogger().setLevel(logging.INFO)
    while True:
        try:
            name, args, kwargs = _receive(inbox.read)
        except EOFError:
            return
        collect.records = []
        try:
            reply: tuple = ("ok", getattr(figures, name)(*args, **kwargs), collect.records)
        except Exception as err:  # noqa: BLE001  the run draws it again itself, and fails there if it must
            reply = ("error", f"{type(err).__name__}: {err}")
        try:
            _send(outbox, reply)
        except (OSError, ValueError):
            return


if __name__ == "__main__":
    main()
