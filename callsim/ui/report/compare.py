"""The report of a comparison folder (``callsim compare --out``): designs on the same callers.

Owns the compare kind's finding (per design, the lead KPIs' paired differences from the
reference with their CIs), figures (the forest plot of paired differences; the day per
design, ``comparison.png``, when the folder has it) and tables (the designs, every KPI
per design with each paired difference, p-value and verdict), and :func:`run_dir_of` (a
comparison in memory). Imports :mod:`callsim.ui.plots`, :mod:`callsim.io` and
:mod:`callsim.results`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from callsim.io.reader import RunDir
from callsim.io.writers import comparison_doc
from callsim.results import Comparison
from callsim.results import kpis as registry
from callsim.results.kpi_format import fmt, fmt_diff, fmt_hw
from callsim.ui import findings as say
from callsim.ui import plots
from callsim.ui.report import score
from callsim.ui.report.base import Renderer, ReportFigure, attempt, register
from callsim.ui.report.html import esc, facts, frame_table, table


def run_dir_of(comp: Comparison, out: str | Path | None = None) -> RunDir:
    """*comp* as the :class:`RunDir` its folder would be read back as (no file read)."""
    first = next(iter(comp.batches.values()))
    return RunDir(Path(out) if out is not None else Path("."), "compare",
                  comparison_doc(comp), differences=comp.differences(overall_only=False),
                  window=say.num(first.meta.get("window")))


def _designs(run: RunDir) -> tuple[list[str], str, list[str]]:
    designs = [str(x) for x in run.doc.get("designs", {})]
    reference = str(run.doc.get("reference", designs[0] if designs else "?"))
    return designs, reference, [x for x in designs if x != reference]


def findings(run: RunDir) -> list[str]:
    _, reference, others = _designs(run)
    d = run.differences if run.differences is not None else pd.DataFrame()
    level = say.num(run.doc.get("level", 0.95))
    out = []
    for x in others:
        out.append(say.paired_finding(
            d, x, reference, run.window, level,
            subject=f"{x} vs {reference} ({run.n_reps} paired replications, seed "
                    f"{run.doc.get('seed', '?')})"))
    if run.kind == "compare":  # a replay adds its score after its own lead
        out += score.findings(run)
    return out


def figures(run: RunDir) -> list[ReportFigure]:
    out: list[ReportFigure] = []
    if run.differences is not None:
        diffs = run.differences
        attempt(out, "forest", "Each KPI's paired difference from the reference design "
                "with its 95 % CI, as % of the reference's mean. Filled: the CI excludes 0.",
                lambda: plots.forest(diffs))
    return out


def tables(run: RunDir) -> str:
    d = run.differences if run.differences is not None else pd.DataFrame()
    designs, reference, others = _designs(run)
    per = {name: pd.DataFrame.from_dict(v, orient="index", dtype=float)
           for name, v in run.doc.get("designs", {}).items()}
    overall = d[d["kpi"].astype(str).map(lambda k: "." not in k)] if len(d) else d
    kpis = list(dict.fromkeys(overall["kpi"].astype(str))) if len(overall) else (
        list(per[reference].index) if reference in per else [])
    parts = ['<section id="scenario"><h2>Designs</h2>', facts([
        ("reference", reference), ("compared", ", ".join(others)),
        ("root seed", run.doc.get("seed", "?")), ("paired replications", run.n_reps),
        ("method", "every design sees the same callers (common random numbers); a "
                   "difference is estimated from paired replications")]), "</section>"]
    header = ["KPI", *[esc(f"{x} (mean ± hw)") for x in designs]]
    for x in others:
        header += [esc(f"Δ {x} − {reference} (95 % CI)"), "p", "verdict"]
    rows = []
    for k in kpis:
        row = [f'<span id="kpi-{esc(k)}" title="{esc(registry.label(k))}">{esc(k)}</span>']
        for name in designs:
            s = per.get(name)
            if s is not None and k in s.index:
                row.append(esc(f"{fmt(k, say.num(s.at[k, 'mean']))} "
                               f"{fmt_hw(k, say.num(s.at[k, 'half_width']))}".strip()))
            else:
                row.append("")
        for name in others:
            r = overall[(overall["design"] == name) & (overall["kpi"] == k)]
            if r.empty:
                row += ["", "", ""]
                continue
            rec = r.iloc[0]
            diff, hw = say.num(rec["difference"]), say.num(rec["half_width"])
            sig = bool(rec["significant"]) if not pd.isna(rec["significant"]) else False
            text = registry.verdict(k, diff, hw, sig)
            klass = {"better": "better", "worse": "worse"}.get(text, "neutral")
            p = say.num(rec["p_value"])
            row += [f'<span class="diff">{esc(fmt_diff(k, diff, hw))}</span>',
                    esc(f"{p:.3g}" if math.isfinite(p) else "–"),
                    f'<span class="{klass}">{esc(text)}</span>']
        rows.append(row)
    parts += ['<section id="kpis"><h2>KPIs and verdicts</h2>',
              '<p class="sub">Verdict: better/worse for callers when the 95 % CI of the '
              "paired difference excludes 0 (higher/lower for volumes and occupancy); "
              "otherwise no significant difference.</p>",
              table(header, rows, "kpis"), "</section>"]
    detail = d[d["kpi"].astype(str).str.contains(".", regex=False)] if len(d) else d
    if len(detail):
        parts += ['<section id="table-detail"><h2>Per call type and agent pool '
                  "(comparison.csv)</h2>",
                  frame_table(detail, _detail_kpi, [c for c in (
                      "design", "kpi", "reference_mean", "design_mean", "difference",
                      "half_width", "p_value", "significant") if c in detail]), "</section>"]
    if run.kind == "compare":
        parts.append(score.tables(run))
    return "".join(parts)


def _detail_kpi(row: Mapping[str, Any], col: str) -> str | None:
    k = str(row.get("kpi"))
    if col in ("reference_mean", "design_mean"):
        return k
    if col in ("difference", "half_width"):
        return f"Δ{k}"
    return None


register(Renderer("compare", findings, figures, tables))
