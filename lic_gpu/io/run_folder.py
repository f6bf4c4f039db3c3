"""The run folder: checked before the work, and the run's files moved into it all or nothing.

File names built from the data (emotions) go through :func:`lic_gpu.io.file_names.safe_file_names`,
and every path is checked to stay inside the run folder (:func:`lic_gpu.io.file_names.inside`).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from lic_gpu.io.atomic_files import fsync_folder
from lic_gpu.errors import LicGpuError
from lic_gpu.io.file_names import inside, safe_file_names
from lic_gpu.io.formats import OUTPUT_FORMATS

log = logging.getLogger(__name__)

_ELSEWHERE = "write elsewhere with hydra.run.dir=PATH"
FIXED_OUTPUTS = (
    "balanced.csv",
    "capped.csv",
    "balanced.parquet",
    "capped.parquet",
    "rows_per_subject.csv",
    "distributions.png",
    "report.md",
    "summary.json",
)
# What an earlier run leaves in a folder: a run refuses such a folder (and never deletes from it:
# a file of that name may be someone's own).
EARLIER_OUTPUTS = (
    "augmented_*.csv",
    "augmented_*.parquet",
    "top_lic_*.png",
    "exports/*.csv",
    "exports/*.parquet",
    *FIXED_OUTPUTS,
)


def output_files(emotions: Iterable[str], output_format: str = "csv") -> dict[str, dict[str, str]]:
    """Per emotion, its files' names relative to the run folder (safe names, distinct per run)."""
    suffix = OUTPUT_FORMATS[output_format]
    return {
        emo: {
            "augmented": f"augmented_{name}{suffix}",
            "export": f"exports/{name}{suffix}",
            "top_lic": f"top_lic_{name}.png",
        }
        for emo, name in safe_file_names(emotions).items()
    }


def planned_outputs(emotions: Iterable[str]) -> list[str]:
    """Every file a run for ``emotions`` may write, relative to its run folder."""
    return [
        name for fmt in OUTPUT_FORMATS for files in output_files(emotions, fmt).values() for name in files.values()
    ] + list(FIXED_OUTPUTS)


def earlier_outputs(folder: Path) -> list[str]:
    """Files in ``folder`` that look like another run's outputs (relative names, sorted)."""
    found = {str(p.relative_to(folder)) for pattern in EARLIER_OUTPUTS for p in folder.glob(pattern)}
    return sorted(found)


def prepare_run_folder(
    out_dir: str | Path, emotions: Sequence[str], inputs: Mapping[str, Path], before_hydra: bool = False
) -> Path:
    """Check the run folder before any work (without creating it); returns it.

    Refused, each with one line: an input file that is one of the run's output paths (it would be
    overwritten), a folder that cannot be created or written (or is a file), a folder that already
    holds another run's outputs (the two sets would mix), and a run folder, ``.hydra/`` or log file
    that is a symbolic link (Hydra writes its own files through links). ``before_hydra``: called
    before Hydra writes ``.hydra/`` (the config callback), when an existing ``.hydra/`` is another
    run's, which this run's would overwrite.
    """
    final = Path(out_dir)
    _refuse_links(final)
    for option, path in inputs.items():
        for rel in planned_outputs(emotions):
            if _same_file(path, final / rel):
                raise LicGpuError(
                    f"{option} {path} is also an output of this run ({rel} in the run folder "
                    f"{final}) and would be overwritten; {_ELSEWHERE}"
                )
    # the folder, or the first of its parents that exists, must take a new entry (a probe, removed
    # at once: os.access says yes to root where a read-only or virtual file system says no)
    existing = final
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise LicGpuError(f"output folder is not writable: {existing} is a file; {_ELSEWHERE}")
        os.rmdir(tempfile.mkdtemp(prefix=".probe-", dir=existing))
    except OSError as err:
        raise LicGpuError(f"output folder is not writable: {final} ({err.strerror or err}); {_ELSEWHERE}") from None
    if existing != final:
        return final  # created when the outputs are written
    earlier = earlier_outputs(final)
    if before_hydra and os.path.lexists(final / ".hydra"):
        earlier = [".hydra/", *earlier]
    if earlier:
        shown = ", ".join(earlier[:3]) + (f" and {len(earlier) - 3} more" if len(earlier) > 3 else "")
        raise LicGpuError(
            f"run folder {final} already holds another run's outputs ({shown}); the two would "
            f"mix: {_ELSEWHERE} (by default every run gets a folder of its own) or remove them"
        )
    return final


def _refuse_links(final: Path) -> None:
    """Hydra opens the run folder's log and ``.hydra/*.yaml`` following symbolic links (a planted
    link would lead its writes elsewhere); the run's own files are renamed into place, never written
    through a link, but a linked run folder is refused too: the outputs would land where it points."""
    names = [
        final,
        final / ".hydra",
        *(final.glob("*.log") if final.is_dir() and not final.is_symlink() else ()),
        *((final / ".hydra").glob("*.yaml") if (final / ".hydra").is_dir() else ()),
    ]
    for path in names:
        if os.path.islink(path):
            what = "run folder" if path == final else str(path.relative_to(final))
            raise LicGpuError(
                f"the {what} {path} is a symbolic link; a run writes only into a folder of its own "
                f"(links would lead Hydra's writes elsewhere): {_ELSEWHERE}"
            )


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return os.path.realpath(a) == os.path.realpath(b)
    except OSError:
        return False


# ---------------------------------------------------------------- after the work


def staged_run(out_dir: Path, write) -> dict:
    """Call ``write(stage)`` (returns the run summary) on a hidden staging folder inside ``out_dir``,
    then move its files into place all or none (:func:`publish`); the staging folder is always removed."""
    final = Path(out_dir)
    made = [p for p in (final, *final.parents) if not p.exists()]  # removed again if the run fails
    try:
        final.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=final))
    except OSError as err:
        raise LicGpuError(f"output folder is not writable: {final} ({err.strerror or err}); {_ELSEWHERE}") from None
    try:
        summary = write(stage)
        n_files = publish(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        for folder in made:  # a failed run leaves no folder it made (unless something else wrote there)
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    shutil.rmtree(stage, ignore_errors=True)
    log.info(
        "wrote %d files to %s (%d new rows, %.1f s)",
        n_files,
        final,
        summary["rows"]["generated"],
        summary["timings_s"]["total"],
    )
    return summary


def publish(stage: Path, final: Path) -> int:
    """Move every file of ``stage`` to the same place under ``final``: all of them or, after any
    failure, none (those already moved are taken back). Nothing at a target is ever replaced, so two
    runs cannot mix their files; ``summary.json`` comes last, so a reader who sees it sees the whole
    set. Returns the number of files."""
    last = {"report.md": 1, "summary.json": 2}
    files = sorted(
        (p.relative_to(stage) for p in stage.rglob("*") if p.is_file()),
        key=lambda rel: (last.get(str(rel), 0), str(rel)),
    )
    placed: list[Path] = []
    made: list[Path] = []
    current = None
    try:
        for rel in files:
            current = rel
            target = inside(final, rel)
            if not target.parent.is_dir():
                target.parent.mkdir(parents=True)
                made.append(target.parent)
            _place(stage / rel, target)
            placed.append(target)
        for folder in {final, *made}:
            fsync_folder(folder)
    except BaseException as err:  # Ctrl-C and SIGTERM too: rollback is complete for any exception
        for target in reversed(placed):
            try:
                target.unlink()
            except OSError:
                pass
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass
        if isinstance(err, LicGpuError) or not isinstance(err, OSError):
            raise
        if isinstance(err, FileExistsError):
            raise LicGpuError(
                f"run folder {final} already holds {current} (another run writing into the same "
                f"folder?); none of this run's files was left there: {_ELSEWHERE}"
            ) from None
        raise LicGpuError(
            f"could not move {current} into {final}: {err.strerror or err}; none of this run's "
            f"files was left there: free space or {_ELSEWHERE}"
        ) from None
    return len(files)


def _place(source: Path, target: Path) -> None:
    """Put ``source`` at ``target`` without replacing anything there (``FileExistsError`` if a file
    or folder is in the way): a hard link, or where a file system has none, an exclusive claim of
    the name that the rename then fills."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.replace(source, target)
