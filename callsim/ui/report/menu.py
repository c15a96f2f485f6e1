"""The report of a menu search (``callsim optimise-menu -o DIR``: ``menu_search.json``).

Owns the optimise-menu kind's finding (the best layout against the input menu: the
objective's and the lead KPIs' paired differences with CIs; how many layouts were
searched and how many finalists tie with the best), figure (the finalists' paired
differences from the input) and tables (the search's facts, the ranking, every KPI of
every finalist, every layout searched), and :func:`menu_run_dir` (a menu search in
memory, for ``callsim optimise-menu``'s first line). Imports :mod:`callsim.ui.plots`,
:mod:`callsim.io` and :mod:`callsim.results`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from callsim.io.reader import FOLDER_KINDS, RunDir
from callsim.ui import findings as say
from callsim.ui import plots
from callsim.ui.report.base import Renderer, ReportFigure, attempt, register
from callsim.ui.report.html import esc, facts, frame_table


def menu_run_dir(doc: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                 out: str | Path | None = None) -> RunDir:
    """A menu search's ``menu_search.json`` document and tables as a :class:`RunDir`."""
    return RunDir(Path(out) if out is not None else Path("."), "optimise-menu", dict(doc),
                  tables=dict(tables), window=say.num(doc.get("window_s")),
                  heading=FOLDER_KINDS["optimise-menu"].title)


def _selection(run: RunDir) -> dict[str, Any]:
    sel = run.doc.get("selection")
    return sel if isinstance(sel, dict) else {}


def _objective(run: RunDir) -> str:
    return str(_selection(run).get("objective") or run.doc.get("objective", "")
               ).split(":")[-1]


def _frame(run: RunDir, name: str, key: str) -> pd.DataFrame:
    t = run.tables.get(name)
    return t if t is not None else pd.DataFrame(_selection(run).get(key, []))


def findings(run: RunDir) -> list[str]:
    sel = _selection(run)
    layouts = run.doc.get("layouts", {})
    ranking = _frame(run, "selection", "ranking")
    kpis = _frame(run, "kpis", "kpis")
    if ranking.empty or kpis.empty:
        return ["The menu search recorded no ranking."]
    obj = _objective(run)
    best, reference = str(sel.get("best")), str(sel.get("reference", "input"))
    reps, seed = sel.get("replications", "?"), sel.get("seed", "?")
    out = []
    if best != reference:
        subject = (f"The best menu, {best} ({layouts.get(best, '?')}), vs the {reference} "
                   f"menu ({reps} paired replications, seed {seed})")
        out.append(say.paired_finding(kpis, best, reference, run.window, first=obj,
                                      subject=subject))
    else:
        rivals = [str(x) for x in ranking["design"] if str(x) != reference]
        text = f"No layout beat the {reference} menu on {obj} ({reps} paired replications, " \
               f"seed {seed})"
        if rivals:
            text = say.paired_finding(kpis, rivals[0], reference, run.window, first=obj,
                                      subject=f"{text}; the runner-up, {rivals[0]} "
                                              f"({layouts.get(rivals[0], '?')})")
        out.append(text if text.endswith(".") else text + ".")
    st = run.doc.get("settings", {}) if isinstance(run.doc.get("settings"), dict) else {}
    tied = int(ranking["tied_with_best"].astype(bool).sum()) - 1 \
        if "tied_with_best" in ranking else 0
    others = len(ranking) - 1
    ties = (f"every other finalist ({others}) is significantly worse than the best"
            if tied <= 0 else f"{tied} of the other {others} finalists "
            f"{'is' if tied == 1 else 'are'} not significantly worse than the best")
    out.append(f"{run.doc.get('layouts_evaluated', '?')} of "
               f"{st.get('layouts_possible', '?')} possible layouts searched by successive "
               f"halving ({st.get('rounds', '?')} rounds of {st.get('reps', '?')} "
               f"replications); {ties}.")
    return out


def figures(run: RunDir) -> list[ReportFigure]:
    out: list[ReportFigure] = []
    ranking = _frame(run, "selection", "ranking")
    layouts = run.doc.get("layouts", {})
    labels = {k: f"{k}: {v}" for k, v in layouts.items()}
    reference = str(_selection(run).get("reference", "input"))
    obj = _objective(run)
    attempt(out, "design_ranking", f"Each finalist's paired difference from the {reference} "
            f"menu in {obj}, with its 95 % CI (fresh replications); filled: the CI excludes "
            "0.", lambda: plots.design_ranking(ranking, obj, reference, labels))
    return out


def _kpi_cols(row: Mapping[str, Any], col: str) -> str | None:
    k = str(row.get("kpi"))
    if col == "mean":
        return k
    if col in ("half_width", "difference", "difference_hw", "ci_low", "ci_high"):
        return f"Δ{k}"
    return None


def tables(run: RunDir) -> str:
    d = run.doc
    st = d.get("settings", {}) if isinstance(d.get("settings"), dict) else {}
    rule = d.get("prompt_rule", {}) if isinstance(d.get("prompt_rule"), dict) else {}
    dest = d.get("destinations", {}) if isinstance(d.get("destinations"), dict) else {}
    items: list[tuple[str, Any]] = [
        ("scenario", d.get("scenario", "?")), ("objective", d.get("objective", "?")),
        ("constraints", ", ".join(map(str, d.get("constraints", []))) or "–"),
        ("best layout", f"{d.get('best')}: {d.get('best_layout')}"),
        ("settings", ", ".join(f"{k} {v}" for k, v in st.items())),
        ("prompt rule", rule.get("text", "–")),
        ("destinations (share of calls)", ", ".join(
            f"{k} {100 * say.num(v.get('share')):.1f} %" for k, v in dest.items()
            if isinstance(v, dict))),
        ("command", d.get("command") or "–")]
    parts = ['<section id="scenario"><h2>Menu search</h2>', facts(items), "</section>"]
    obj = _objective(run)
    for name, key, title, kpi_of in (
            ("selection", "ranking", "Ranking and selection (selection.csv)",
             lambda r, c: obj if c in ("objective",) else (
                 f"Δ{obj}" if c in ("objective_hw", "vs_reference", "vs_reference_hw",
                                    "vs_best", "vs_best_hw") else None)),
            ("kpis", "kpis", "KPIs of the finalists (kpis.csv)", _kpi_cols),
            ("layouts", "", "Every layout searched (layouts.csv)", None)):
        t = run.tables.get(name)
        if t is None and key:
            t = pd.DataFrame(_selection(run).get(key, []))
        if t is not None and len(t):
            parts.append(f'<section id="table-{name}"><h2>{esc(title)}</h2>'
                         f"{frame_table(t, kpi_of)}</section>")
    return "".join(parts)


register(Renderer("optimise-menu", findings, figures, tables))
