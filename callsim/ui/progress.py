"""The progress bar of long runs (rich, on stderr), or nothing.

Owns when a progress bar is shown (a terminal or a notebook, unless turned off) and
the bar itself, a :class:`~callsim.experiment.progress.Progress` that ``callsim``
registers as what batches, sweeps and comparisons show (:func:`rich_progress`).
Imports :mod:`callsim.experiment.progress` (the protocol) only.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from callsim.experiment.progress import NoProgress
from callsim.experiment.progress import Progress as Following


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel."""
    return bool(Console(stderr=True).is_jupyter)


def progress_enabled(progress: bool | None) -> bool:
    """Resolve ``progress=None`` (auto): on in a terminal (stderr a TTY) or a notebook."""
    if progress is not None:
        return bool(progress)
    stream = sys.stderr
    if stream is None:
        return False
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or in_notebook()


class _RateColumn(ProgressColumn):
    """Replications per second."""

    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("– reps/s", style="progress.data.speed")
        return Text(f"{speed:,.1f} reps/s", style="progress.data.speed")


class ProgressBar:
    """A rich progress bar (count, rate, elapsed, ETA) on stderr, or nothing.

    Parameters
    ----------
    enabled
        ``False`` makes every method a no-op.
    description
        Text left of the bar.
    """

    def __init__(self, enabled: bool, description: str = "replications") -> None:
        self.enabled = enabled
        self.description = description
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[progress.description]{task.description}"), BarColumn(),
                MofNCompleteColumn(), _RateColumn(), TimeElapsedColumn(),
                TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False,
            )
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def extend(self, more: int, already_done: int = 0) -> None:
        """Add *more* replications to the total, *already_done* of them finished (read)."""
        if self._progress is None:
            return
        if self._task is None:
            self._task = self._progress.add_task(self.description, total=more,
                                                 completed=already_done)
            return
        task = self._progress.tasks[self._task]
        self._progress.update(self._task, total=(task.total or 0) + more,
                              advance=already_done)

    def advance(self, n: int = 1) -> None:
        """*n* more replications finished."""
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)

    def describe(self, description: str) -> None:
        """Change the text left of the bar."""
        self.description = description
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=description)


def rich_progress(enabled: bool | None, label: str) -> Following:
    """The progress display for ``progress=enabled`` (``None``: on in a terminal or a
    notebook): a :class:`ProgressBar`, or nothing."""
    if not progress_enabled(enabled):
        return NoProgress()
    return ProgressBar(True, label)
