"""The report of a replay folder (``callsim replay LOG --design D.yaml --out DIR``): a
call log's recorded callers through a design, paired against the fitted base.

Owns the replay kind's finding (what was replayed, then the comparison's paired
finding), figures and tables (the comparison's, after the replay's facts), and
:func:`run_dir_of` (a replay in memory, for the command's first lines). A score of the
folder (``callsim score DIR LOG``) follows. Imports the compare and score report modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from callsim.io.reader import RunDir
from callsim.results import Comparison
from callsim.ui.report import compare, score
from callsim.ui.report.base import Renderer, ReportFigure, register
from callsim.ui.report.html import facts


def run_dir_of(comp: Comparison, replay: dict[str, Any], out: str | Path | None = None
               ) -> RunDir:
    """A replay in memory as the :class:`RunDir` its folder would be read back as."""
    run = compare.run_dir_of(comp, out)
    run.kind = "replay"
    run.doc = {**run.doc, "replay": replay, "scenario": replay.get("scenario", "replay")}
    run.heading = "replay of the log"
    return run


def findings(run: RunDir) -> list[str]:
    rep = run.doc.get("replay", {})
    days = rep.get("days") or []
    span = f"{days[0]} to {days[-1]}" if days else "?"
    talk = ("their recorded talk times" if rep.get("recorded_handle")
            else "talk times drawn from the fit")
    lead = (f"The log's {int(rep.get('calls', 0)):,} recorded callers of {len(days)} days "
            f"({span}), with {talk}, through {rep.get('design', '?')} and the fitted base "
            f"{rep.get('base', '?')}.")
    return [lead, *compare.findings(run), *score.findings(run)]


def figures(run: RunDir) -> list[ReportFigure]:
    return compare.figures(run)


def tables(run: RunDir) -> str:
    rep = run.doc.get("replay", {})
    part = ('<section id="replay"><h2>Replay</h2>' + facts([
        ("log", rep.get("log", "?")), ("format", rep.get("format", "?")),
        ("days", ", ".join(rep.get("days") or [])), ("recorded calls", rep.get("calls", "?")),
        ("base (fitted)", rep.get("base", "?")), ("design", rep.get("design", "?")),
        ("talk times", "recorded" if rep.get("recorded_handle") else "drawn"),
        ("trace", rep.get("trace", "?"))]) + "</section>")
    return part + compare.tables(run) + score.tables(run)


register(Renderer("replay", findings, figures, tables))
