"""How long runs report progress, without knowing how it is shown.

Owns the :class:`Progress` protocol that batches, sweeps and comparisons report to
(how many replications are planned, done, and a label), the no-op :class:`NoProgress`,
:class:`Shared` (one display followed by many batches: a search or a staffing plan shows
one bar for its whole run), and the hook through which the public API supplies the progress bar
(:func:`set_progress_factory`; ``callsim`` registers :mod:`callsim.ui.progress`'s rich
bar), so that experiments never import the UI. Imports nothing from callsim.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, runtime_checkable


@runtime_checkable
class Progress(Protocol):
    """Something that follows a run: entered before the first replication, left after
    the last (also on errors)."""

    def __enter__(self) -> Progress: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def extend(self, more: int, already_done: int = 0) -> None:
        """*more* replications are planned, *already_done* of them finished (read)."""

    def advance(self, n: int = 1) -> None:
        """*n* more replications finished."""

    def describe(self, description: str) -> None:
        """Change the label."""


class NoProgress:
    """A :class:`Progress` that shows nothing."""

    def __enter__(self) -> NoProgress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None

    def extend(self, more: int, already_done: int = 0) -> None:
        return None

    def advance(self, n: int = 1) -> None:
        return None

    def describe(self, description: str) -> None:
        return None


class Shared:
    """A :class:`Progress` already entered by its owner, lent to the batches of a longer
    run (a search, a staffing plan): entering and leaving it does nothing, so the
    owner's display stays up from the first batch to the last.

    Parameters
    ----------
    owner
        The owner's progress display (entered and left by the owner).
    plan
        Whether the batches add their replications to the total (``True``), or the
        owner planned the total itself (``False``: batches only advance it).
    """

    def __init__(self, owner: Progress, plan: bool = True) -> None:
        self.owner = owner
        self.plan = plan

    def __enter__(self) -> Shared:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None

    def extend(self, more: int, already_done: int = 0) -> None:
        if self.plan:
            self.owner.extend(more, already_done)
        elif already_done:
            self.owner.advance(already_done)

    def advance(self, n: int = 1) -> None:
        self.owner.advance(n)

    def describe(self, description: str) -> None:
        self.owner.describe(description)


ProgressFactory = Callable[[bool | None, str], Progress]
"""``factory(enabled, label)``: the progress display for ``progress=enabled``
(``None``: decide, e.g. on when stderr is a terminal)."""

_factory: ProgressFactory | None = None


def set_progress_factory(factory: ProgressFactory | None) -> None:
    """Make *factory* what ``progress=True``/``None`` shows (``None``: nothing)."""
    global _factory
    _factory = factory


def make_progress(progress: bool | Progress | None, label: str) -> Progress:
    """The :class:`Progress` for a run's ``progress=`` argument: the object itself, no
    progress for ``False``, else the registered factory's."""
    if isinstance(progress, Progress) and not isinstance(progress, bool):
        return progress
    if progress is False or _factory is None:
        return NoProgress()
    return _factory(progress, label)
