"""A progress display for the planner: what it is doing and how many simulations it ran.

Owns :class:`PlanProgress`, a rich progress line on stderr (phase, simulations run,
elapsed time) that is off when stderr is not a terminal (or when asked). Imports rich
only; it must not import callsim.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


def tty() -> bool:
    """Whether stderr is a terminal."""
    stream = sys.stderr
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


class PlanProgress:
    """Shows the planner's phase and the simulations it has run.

    Parameters
    ----------
    enabled
        ``None``: on when stderr is a terminal; ``False``: every method is a no-op.
    """

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = tty() if enabled is None else bool(enabled)
        self.simulations = 0
        self._progress: Progress | None = None
        self._task: int | None = None

    def __enter__(self) -> PlanProgress:
        if self.enabled:
            self._progress = Progress(
                SpinnerColumn(), TextColumn("[progress.description]{task.description}"),
                TextColumn("[progress.data.speed]{task.completed:,.0f} simulations"),
                TimeElapsedColumn(), console=Console(stderr=True), transient=False)
            self._progress.start()
            self._task = self._progress.add_task("planning", total=None)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def say(self, text: str) -> None:
        """Show what the planner does now."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=text)  # type: ignore[arg-type]

    def ran(self, n: int) -> None:
        """*n* more simulations finished."""
        self.simulations += n
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self.simulations)  # type: ignore[arg-type]
