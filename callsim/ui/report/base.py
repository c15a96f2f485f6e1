"""The report-section registry: how each kind of results folder is rendered.

Owns :class:`Renderer` (a kind's finding sentences, figures and full tables),
:func:`register` and :func:`renderer_for`, and :class:`ReportFigure`. A kind is
recognised and read by :mod:`callsim.io.reader` (its :class:`~callsim.io.reader.FolderKind`);
it is rendered by the :class:`Renderer` registered under the same name, in a module of
this package (``callsim/ui/report/<kind>.py``, imported by the package). Imports
:mod:`callsim.io.reader` and matplotlib's Figure type only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.figure import Figure

from callsim.errors import ConfigError
from callsim.io.reader import RunDir


@dataclass
class ReportFigure:
    """A figure of a report: file stem, caption and the figure itself."""

    name: str
    caption: str
    figure: Figure


@dataclass(frozen=True)
class Renderer:
    """How one kind of results folder is rendered.

    Attributes
    ----------
    kind
        The :attr:`RunDir.kind <callsim.io.reader.RunDir.kind>` it renders.
    findings
        ``findings(run)``: the sentence(s) a planner can repeat, each number with its
        CI (plain text; built with :mod:`callsim.ui.findings`). The command that wrote
        the folder prints the same sentences first.
    figures
        ``figures(run)``: the figures drawn from the results, in report order
        (``callsim plot`` writes them as PNGs; figures already in the folder,
        ``run.extra_images``, are embedded after them).
    tables
        ``tables(run)``: HTML of the facts and every full table (escaped; see
        :mod:`callsim.ui.report.html`).
    """

    kind: str
    findings: Callable[[RunDir], list[str]]
    figures: Callable[[RunDir], list[ReportFigure]]
    tables: Callable[[RunDir], str]


#: Renderers by kind.
RENDERERS: dict[str, Renderer] = {}


def register(renderer: Renderer) -> Renderer:
    """Render folders of ``renderer.kind`` with *renderer*."""
    RENDERERS[renderer.kind] = renderer
    return renderer


def renderer_for(run: RunDir) -> Renderer:
    """The renderer of *run*'s kind.

    Raises
    ------
    ConfigError
        When no renderer is registered for it.
    """
    r = RENDERERS.get(run.kind)
    if r is None:
        raise ConfigError(f"{run.path}: callsim cannot render {run.kind!r} results (known: "
                          f"{', '.join(RENDERERS)})")
    return r


def attempt(out: list[ReportFigure], name: str, caption: str,
            make: Callable[[], Figure]) -> None:
    """Add a figure; data that does not support it (e.g. no such column) is skipped."""
    with contextlib.suppress(ValueError, KeyError, TypeError, IndexError):
        out.append(ReportFigure(name, caption, make()))
