"""Reports planners can open: any results folder → a finding, PNG figures and one HTML file.

Every command's results open in ``callsim report DIR``, which leads with the finding in
sentences a planner can repeat (each number with its CI), then the figures, then the
full tables; ``callsim plot DIR`` writes the figures as PNGs beside the results; and the
command that wrote the folder prints the same finding first (:func:`print_findings` of
the result as a :class:`~callsim.io.reader.RunDir` in memory).

Owns the page order and the entry points (:func:`findings_of`, :func:`figures`,
:func:`write_pngs`, :func:`render_html`, :func:`write_report`). Each kind of folder is
recognised and read by :mod:`callsim.io.reader` and rendered by the
:class:`~callsim.ui.report.base.Renderer` registered under its name in a module of this
package: :mod:`.run`, :mod:`.compare`, :mod:`.sweep`, :mod:`.staff`, :mod:`.calibrate`,
:mod:`.menu` (``optimise-menu``), :mod:`.fit` (``callsim fit``), :mod:`.replay`
(``callsim replay``; a ``callsim score`` of a run, compare or replay folder adds
:mod:`.score`'s sections). Adding a kind: a :class:`~callsim.io.reader.FolderKind` in the reader, a
renderer module here, imported below). Every KPI's label, format and direction come
from the KPI registry (:mod:`callsim.results.kpis`). Imports :mod:`callsim.ui.plots`,
:mod:`callsim.io` and :mod:`callsim.results`; nothing imports it but the CLI.
"""

from __future__ import annotations

import base64
from pathlib import Path

from rich.console import Console

from callsim.io.atomic import atomic_write_text, make_dir
from callsim.io.reader import RunDir, load_run_dir
from callsim.results import kpis as registry
from callsim.ui import plots

# the kinds: each module registers its renderer when imported
from callsim.ui.report import calibrate as _calibrate  # noqa: F401
from callsim.ui.report import compare as _compare  # noqa: F401
from callsim.ui.report import fit as _fit  # noqa: F401
from callsim.ui.report import menu as _menu  # noqa: F401
from callsim.ui.report import replay as _replay  # noqa: F401
from callsim.ui.report import run as _run  # noqa: F401
from callsim.ui.report import staff as _staff  # noqa: F401
from callsim.ui.report import sweep as _sweep  # noqa: F401
from callsim.ui.report.base import (
    RENDERERS,
    Renderer,
    ReportFigure,
    register,
    renderer_for,
)
from callsim.ui.report.html import page, png

__all__ = ["RENDERERS", "Renderer", "ReportFigure", "RunDir", "figures", "findings_of",
           "load_run_dir", "print_findings", "register", "render_html", "renderer_for",
           "verdict", "write_pngs", "write_report"]

#: The verdict on a paired difference (the registry's; kept here for notebooks).
verdict = registry.verdict


def findings_of(run: RunDir) -> list[str]:
    """The finding sentences of *run* (a folder read back, or a result in memory)."""
    return renderer_for(run).findings(run)


def print_findings(console: Console, run: RunDir) -> None:
    """Print the finding of *run* on *console*, as the first lines of a command."""
    for sentence in findings_of(run):
        console.print(sentence, highlight=False, markup=False, soft_wrap=True)


def figures(run: RunDir) -> list[ReportFigure]:
    """The figures drawn from *run*'s results, in report order."""
    return renderer_for(run).figures(run)


def write_pngs(run: RunDir, out: str | Path | None = None, dpi: int = 110) -> list[Path]:
    """Write each figure of *run* as ``NAME.png`` into *out* (default: beside the results)."""
    dest = make_dir(Path(out) if out is not None else run.path)
    return [plots.save(f.figure, dest / f"{f.name}.png", dpi=dpi) for f in figures(run)]


_IMAGE_CAPTIONS = {
    "comparison_day": "comparison.png: the day per design (answer rate and waiting calls by "
                      "interval).",
    "score": "score.png: observed (the log) vs predicted KPIs by clock interval, with each "
             "prediction's MARE (callsim score).",
    "plan": "plan.png: the planner's figure (agents per slot: today, Erlang A, the "
            "simulated requirement and the plan; the KPI under the plan against its target).",
}


def render_html(run: RunDir, figs: list[ReportFigure] | None = None, dpi: int = 100) -> str:
    """The self-contained HTML document of *run*: the finding, the figures (made if not
    given; then the figures already in the folder), the tables."""
    r = renderer_for(run)
    figs = r.figures(run) if figs is None else figs
    shown = [(f.name, f.caption, png(f.figure, dpi)) for f in figs]
    for name, p in run.extra_images.items():
        shown.append((name, _IMAGE_CAPTIONS.get(name, p.name),
                      base64.b64encode(p.read_bytes()).decode("ascii")))
    return page(run, r.findings(run), shown, r.tables(run))


def write_report(path: str | Path, out: str | Path | None = None, dpi: int = 100) -> Path:
    """Read the results in *path* and write their HTML report to *out*
    (default ``path/report.html``)."""
    run = load_run_dir(path)
    dest = Path(out) if out is not None else run.path / "report.html"
    make_dir(dest.parent)
    return atomic_write_text(dest, render_html(run, dpi=dpi))

