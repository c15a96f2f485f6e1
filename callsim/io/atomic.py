"""Writing files so that a reader sees the old file or the whole new one, never half.

Owns the one atomic write of callsim (a temporary file beside the target, then
``os.replace``), creating output folders, checking that a folder can be written before
any work is done, and turning the operating system's refusals (not a directory,
permission denied, read-only file system, disk full) into one clean
:class:`OutputError`. Imports :mod:`callsim.errors` only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from callsim.errors import Refusal


class OutputError(Refusal):
    """An output folder or file cannot be written (not a directory, permission denied,
    read-only file system, no space left). Nothing half-written is left behind."""


_WHY = {
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.ENAMETOOLONG: "the name is too long",
}


def _blocking_file(path: Path) -> Path | None:
    """The first existing ancestor of *path* that is not a directory."""
    for p in [path, *path.parents]:
        if p.exists():
            return None if p.is_dir() else p
    return None


def output_error(exc: OSError, path: Path, doing: str) -> OutputError:
    """A one-line :class:`OutputError` for *exc*, raised while *doing* *path*."""
    code = exc.errno if exc.errno is not None else -1
    why = _WHY.get(code, exc.strerror or str(exc))
    if code == errno.ENOTDIR:
        blocker = _blocking_file(path)
        if blocker is not None:
            why = f"{blocker} is a file, not a folder"
    if code in (errno.ENOSPC, errno.EDQUOT):
        hint = ("free some space and rerun the same command: finished replications are "
                "kept and the run resumes")
    else:
        hint = "choose another output folder (--out)"
    return OutputError(f"cannot {doing} {path}: {why}; {hint}")


def _mkdir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)


def _open_tmp(path: Path, binary: bool = False) -> IO[Any]:
    return open(path, "wb") if binary else open(path, "w", encoding="utf-8")


def make_dir(path: Path) -> Path:
    """Create folder *path* (and its parents) unless it exists; refuse a file there."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"cannot use {path} as an output folder: it exists and is not a "
                          "folder; choose another output folder (--out)")
    try:
        _mkdir(path)
    except OSError as exc:
        raise output_error(exc, path, "create the folder") from None
    return path


def check_writable(folder: Path) -> None:
    """Refuse now, before any work, if files cannot be created in *folder*."""
    probe = folder / f".callsim-probe.{os.getpid()}.{threading.get_ident()}"
    try:
        with _open_tmp(probe):
            pass
    except OSError as exc:
        raise output_error(exc, folder, "write into") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def atomic_write(path: Path, write: Callable[[IO[Any]], object], binary: bool = False
                 ) -> Path:
    """Write text file *path* with ``write(fh)`` so that readers see the old file or the
    whole new one.

    The text goes to a temporary file beside *path*, which then replaces it
    (``os.replace``, atomic on POSIX and Windows). On any error the temporary file is
    removed; operating-system errors become an :class:`OutputError`. *binary*: *fh*
    takes bytes.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with _open_tmp(tmp, binary) as fh:
            write(fh)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise output_error(exc, path, "write") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """:func:`atomic_write` of a string."""
    return atomic_write(path, lambda fh: fh.write(text))


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """:func:`atomic_write` of bytes (e.g. a PNG)."""
    return atomic_write(path, lambda fh: fh.write(data), binary=True)


def remove(path: Path) -> None:
    """Delete file *path* if it is there (e.g. a result a rerun will write again)."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise output_error(exc, path, "remove") from None
