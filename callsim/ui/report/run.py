"""The report of a run folder (``callsim run --out``): a batch of one scenario.

Owns the run kind's finding (the lead KPIs' means with CIs), figures (waiting calls per
queue, the day by interval, the answer-rate heatmap, staffed vs busy agents, how the CI
narrowed; bands across replications come from the checksummed records in ``reps/``,
without them the figures show interval means) and tables (scenario facts, every KPI with
its CI, per call type and pool), and :func:`run_dir_of` (a batch in memory as a
:class:`~callsim.io.reader.RunDir`, for the command's first line). Imports
:mod:`callsim.ui.plots`, :mod:`callsim.io` and :mod:`callsim.results`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from callsim.io.reader import RunDir
from callsim.io.writers import summary_dict
from callsim.results import BatchResult
from callsim.results import kpis as registry
from callsim.results.kpi_format import fmt, fmt_hw
from callsim.ui import findings as say
from callsim.ui import plots
from callsim.ui.report import score
from callsim.ui.report.base import Renderer, ReportFigure, attempt, register
from callsim.ui.report.html import ci, esc, facts, table
from callsim.ui.tables import channel_columns, ordered_kpis, pool_columns, type_columns


def run_dir_of(batch: BatchResult, out: str | Path | None = None) -> RunDir:
    """*batch* as the :class:`RunDir` its folder would be read back as (no file read)."""
    return RunDir(Path(out) if out is not None else Path("."), "run", summary_dict(batch),
                  replications=batch.replications,
                  window=say.num(batch.meta.get("window")))


def kpi_frame(doc: Mapping[str, Any]) -> pd.DataFrame:
    """The ``kpis`` of a summary document as a table indexed by KPI."""
    df = pd.DataFrame.from_dict(doc.get("kpis", {}), orient="index", dtype=float)
    df.index.name = "kpi"
    return df


def summary_finding(s: pd.DataFrame, window: float | None, level: float = 0.95) -> str:
    """The lead KPIs of a summary table with their CIs, ``; ``-separated."""
    parts = [say.level(k, say.num(s.at[k, "mean"]), say.num(s.at[k, "ci_low"]),
                       say.num(s.at[k, "ci_high"]), level, window=window)
             for k in say.lead_kpis(str(i) for i in s.index)]
    return "; ".join(parts)


def findings(run: RunDir) -> list[str]:
    s = kpi_frame(run.doc)
    n = run.n_reps
    level = say.num(run.doc.get("level", 0.95))
    out = [f"{run.doc.get('scenario', run.path.name)} ({n} replication{'s' if n != 1 else ''}"
           f", seed {run.doc.get('seed', '?')}): {summary_finding(s, run.window, level)}."]
    stop = run.doc.get("meta", {}).get("stopping") if isinstance(run.doc.get("meta"),
                                                                 dict) else None
    if isinstance(stop, dict) and stop.get("message"):
        out.append(f"Stopped: {stop['message']}.")
    return out + score.findings(run)  # a callsim score of the folder, if any


def figures(run: RunDir) -> list[ReportFigure]:
    out: list[ReportFigure] = []
    if run.n_reps <= 1:
        band = "One replication, so no confidence band."
    elif run.per_replication:
        band = "Bands: 95 % confidence interval of the mean across replications."
    else:
        band = ("Interval means across replications (no per-replication tables in the "
                "directory, so no confidence band).")
    if run.intervals is not None:
        iv = run.intervals
        attempt(out, "waiting_calls", "Calls waiting in each queue over the day "
                "(time-average per interval). " + band, lambda: plots.waiting_calls(iv))
        attempt(out, "day_by_interval", "Offered calls, answer rate and ASA by the interval "
                "calls arrived in. " + band, lambda: plots.interval_overview(iv))
        attempt(out, "answer_rate_heatmap", "Answer rate by interval and queue; red cells "
                "are where callers are lost.", lambda: plots.answer_rate_heatmap(iv))
        if "channel_attempts" in iv and float(iv["channel_attempts"].sum()) > 0:
            attempt(out, "containment", "Containment (customers helped in a channel / "
                    "those who tried one) by the interval they turned up in. " + band,
                    lambda: plots.interval_kpi(iv, "containment"))
    if run.agents is not None:
        ag = run.agents
        attempt(out, "agents_by_pool", "Staffed (dashed) vs busy (solid) agents per pool; "
                "the gap is idle time. " + band, lambda: plots.agents_by_pool(ag))
    if run.replications is not None and len(run.replications) > 2:
        reps = run.replications
        attempt(out, "ci_answer_rate", "The answer-rate estimate as replications are "
                "added: the confidence interval narrows like 1/sqrt(n).",
                lambda: plots.ci_convergence(reps, "answer_rate"))
    return out


def kpi_rows(s: pd.DataFrame, names: Iterable[str], label: Callable[[str], str] = str
             ) -> list[list[str]]:
    """Rows of a KPI table: name, what it is, mean, half-width, CI, n."""
    rows = []
    for k in names:
        mean, hw, lo, hi, n = (say.num(s.at[k, c]) for c in
                               ("mean", "half_width", "ci_low", "ci_high", "n"))
        rows.append([f'<span id="kpi-{esc(k)}">{esc(label(k))}</span>',
                     esc(registry.label(k)), esc(fmt(k, mean)), esc(fmt_hw(k, hw)),
                     ci(k, lo, hi), esc(int(n) if n == n else "")])
    return rows


def _scenario_facts(run: RunDir) -> str:
    d = run.doc
    items: list[tuple[str, str]] = [
        ("scenario", str(d.get("scenario", "?"))), ("root seed", str(d.get("seed", "?"))),
        ("replications", str(run.n_reps)),
        ("confidence level", f"{100 * say.num(d.get('level', 0.95)):g} %")]
    iv = run.intervals
    if iv is not None and len(iv):
        clocks = list(dict.fromkeys(iv["clock"].astype(str)))
        starts = sorted(set(iv["start"].astype(float)))
        step = (starts[1] - starts[0]) if len(starts) > 1 else float("nan")
        items.append(("horizon", f"{clocks[0]} to the end of {clocks[-1]} "
                                 f"({len(starts)} intervals of {step / 60:g} min)"))
        types = [t for t in dict.fromkeys(iv["call_type"].astype(str)) if t != "all"]
        items.append(("call types (queues)", ", ".join(types)))
    ag = run.agents
    if ag is not None and len(ag):
        peak = ag.groupby(["pool", "start"], sort=False)["staffed"].mean().groupby(
            level=0, sort=False).max()
        items.append(("agent pools (peak staffed)",
                      ", ".join(f"{p} ({v:.0f})" for p, v in peak.items())))
    if run.window is not None:
        items.append(("measured per replication", f"{run.window / 3600:g} h"))
    stop = d.get("meta", {}).get("stopping") if isinstance(d.get("meta"), dict) else None
    if isinstance(stop, dict) and stop.get("message"):
        items.append(("stopping", str(stop["message"])))
    return f'<section id="scenario"><h2>Scenario</h2>{facts(items)}</section>'


def tables(run: RunDir) -> str:
    s = kpi_frame(run.doc)
    header = ["KPI", "what it is", "mean", "± half-width", "95&nbsp;% CI", "n"]
    parts = [_scenario_facts(run), '<section id="kpis"><h2>Key performance indicators</h2>',
             '<p class="sub">Over the measurement window, mean across replications with '
             "the Student-t confidence interval.</p>",
             table(header, kpi_rows(s, ordered_kpis(s)), "kpis run")]
    for prefix, title, cols in (
            ("type", "By call type", type_columns([str(k) for k in s.index])),
            ("pool", "By agent pool", pool_columns()),
            ("channel", "By contact channel", channel_columns())):
        groups = list(dict.fromkeys(str(k).split(".")[1] for k in s.index
                                    if str(k).startswith(prefix + ".")))
        present = [c for c in cols if any(f"{prefix}.{g}.{c}" in s.index for g in groups)]
        if not groups or not present:
            continue
        rows = []
        for g in groups:
            row = [esc(g)]
            for c in present:
                k = f"{prefix}.{g}.{c}"
                row.append(f"{esc(fmt(k, say.num(s.at[k, 'mean'])))} "
                           f"<small>{esc(fmt_hw(k, say.num(s.at[k, 'half_width'])))}</small>"
                           if k in s.index else "")
            rows.append(row)
        parts.append(f"<h3>{esc(title)}</h3>")
        parts.append(table([esc(prefix.replace("type", "call type")), *map(esc, present)],
                           rows))
    parts.append("</section>")
    return "".join(parts) + score.tables(run)


register(Renderer("run", findings, figures, tables))
