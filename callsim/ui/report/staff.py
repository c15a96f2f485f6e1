"""The report of a staffing plan (``callsim staff -o DIR``: ``plan.json`` and its tables).

Owns the staff kind's finding (requirements: the agent-hours planned against today's and
whether every target is met on the verification seed, with the tightest slot's KPI and
CI; a redeploy: the paired gain over today with CIs), figures (agents per slot: plan,
today, requirement; each checked KPI per slot against its target), tables (the plan's
facts, agent-hours per pool, verdicts, misses, a redeploy's paired differences, then
the full ``requirements.csv`` and ``verification.csv``), and :func:`plan_run_dir` (a
plan in memory, for ``callsim staff``'s first line). Imports :mod:`callsim.ui.plots`,
:mod:`callsim.io` and :mod:`callsim.results`; the plan's result type only for typing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from callsim.io.reader import FOLDER_KINDS, RunDir
from callsim.results import kpis as registry
from callsim.ui import findings as say
from callsim.ui import plots
from callsim.ui.report.base import Renderer, ReportFigure, attempt, register
from callsim.ui.report.html import esc, facts, frame_table, table

if TYPE_CHECKING:
    from callsim.plan import PlanResult


def plan_run_dir(res: PlanResult, out: str | Path | None = None) -> RunDir:
    """*res* as the :class:`RunDir` its folder would be read back as (no file read)."""
    doc = res.summary()
    return RunDir(Path(out) if out is not None else Path("."), "staff", doc,
                  tables={"requirements": res.requirements(),
                          "verification": res.verification()},
                  window=say.num(doc.get("window_s")), heading=FOLDER_KINDS["staff"].title)


def _hours(doc: Mapping[str, Any]) -> tuple[float, float]:
    total = doc.get("agent_hours", {}).get("total", {})
    return say.num(total.get("planned")), say.num(total.get("today"))


def _margin(row: Mapping[str, Any]) -> float:
    """How far a slot's CI bound is inside its target (negative: a miss)."""
    label = str(row.get("target", ""))
    value = say.num(row.get("target_value"))
    if "<=" in label:
        return value - say.num(row.get("ci_high"))
    return say.num(row.get("ci_low")) - value


def _tightest(run: RunDir) -> list[str]:
    ver = run.tables.get("verification")
    if ver is None or ver.empty or "target" not in ver:
        return []
    out = []
    level = say.num(run.doc.get("level", 0.95))
    for label in run.doc.get("targets", []):
        rows = [{str(c): v for c, v in r.items()} for r in ver.to_dict(orient="records")
                if str(r.get("target")) == label and math.isfinite(say.num(r.get("mean")))]
        if not rows:
            continue
        r = min(rows, key=_margin)
        kpi = str(r["kpi"])
        out.append(f"Tightest slot for {label}: {r['clock']} ({r['group']}), "
                   + say.level(kpi, r["mean"], r["ci_low"], r["ci_high"], level) + ".")
    return out


def findings(run: RunDir) -> list[str]:
    d = run.doc
    planned, today = _hours(d)
    level = say.num(d.get("level", 0.95))
    seed_text = (f"verification seed {d.get('verify_seed')}, {d.get('verify_reps')} "
                 f"replications, {100 * level:g} % CI")
    if d.get("mode") == "redeploy":
        red = d.get("redeploy", {})
        budget = sum(say.num(v) for v in red.get("budget_hours", {}).values())
        obj = str(red.get("objective") or "answer_rate")
        diffs = pd.DataFrame(red.get("differences", []))
        if diffs.empty:
            return [f"Redeploy of {budget:,.1f} agent-hours a day: no comparison recorded."]
        design = str(diffs["design"].iloc[0])
        reference = str(diffs["reference"].iloc[0])
        subject = (f"Reshaping {budget:,.1f} agent-hours a day for the "
                   f"{registry.label(obj)}, against {reference} ({d.get('verify_reps')} "
                   f"paired replications on verification seed {d.get('verify_seed')}, "
                   f"{100 * level:g} % CI)")
        return [say.paired_finding(diffs, design, reference, run.window, level, first=obj,
                                   subject=subject)]
    verdicts = d.get("verdicts", [])
    checks = sum(int(v.get("slots", 0)) for v in verdicts)
    met = sum(int(v.get("met", 0)) for v in verdicts)
    targets = ", ".join(str(t) for t in d.get("targets", []))
    head = (f"The plan schedules {planned:,.1f} agent-hours a day ({planned - today:+,.1f} "
            f"vs today's {today:,.1f})")
    if d.get("verified"):
        slots = max((int(v.get("slots", 0)) for v in verdicts), default=0)
        head += (f" and meets every target ({targets}) in all {slots} judged slots on a "
                 f"fresh seed ({seed_text} bound).")
    else:
        head += (f" but misses {checks - met} of {checks} slot targets ({targets}) on a "
                 f"fresh seed ({seed_text} bound).")
    out = [head, *_tightest(run)]
    misses = d.get("misses", [])
    if misses:
        out.append(f"First miss: {misses[0].get('message')}.")
    return out


def figures(run: RunDir) -> list[ReportFigure]:
    out: list[ReportFigure] = []
    req = run.tables.get("requirements")
    if req is not None:
        attempt(out, "staffing_by_slot", "Scheduled agents per slot and pool: the plan "
                "(solid), today (dotted) and the simulated requirement (dashed).",
                lambda: plots.staffing_by_slot(req))
    ver = run.tables.get("verification")
    if ver is not None:
        attempt(out, "targets_by_slot", "Each checked KPI per slot under the plan on the "
                "verification seed, with its 95 % CI band, against its target (dashed).",
                lambda: plots.targets_by_slot(ver))
    return out


def _kpi_of(row: Mapping[str, Any], col: str) -> str | None:
    if col in ("mean", "ci_low", "ci_high", "target_value", "today_mean", "today_ci_low",
               "today_ci_high"):
        return str(row.get("kpi"))
    return None


def _diff_kpi(row: Mapping[str, Any], col: str) -> str | None:
    if col in ("reference_mean", "design_mean"):
        return str(row.get("kpi"))
    if col in ("difference", "half_width", "ci_low", "ci_high"):
        return f"Δ{row.get('kpi')}"
    return None


def tables(run: RunDir) -> str:
    d = run.doc
    items: list[tuple[str, Any]] = [
        ("scenario", d.get("scenario", "?")), ("input file", d.get("source") or "–"),
        ("mode", d.get("mode", "?")), ("targets", ", ".join(d.get("targets", [])) or "–"),
        ("confidence level", f"{100 * say.num(d.get('level', 0.95)):g} %"),
        ("search", f"seed {d.get('seed')}, {d.get('reps')} replications per candidate"),
        ("verification", f"seed {d.get('verify_seed')}, {d.get('verify_reps')} "
                         "replications"),
        ("planning interval", f"{say.num(d.get('interval_s')) / 60:g} min"),
        ("pools planned", ", ".join(d.get("pools", []))),
        ("simulations", f"{d.get('simulations')} in {d.get('batches')} batches, "
                        f"{say.num(d.get('seconds')):.0f} s")]
    if "cost" in d:
        items.append(("shift cost", f"{say.num(d['cost']):,.1f}"))
    parts = ['<section id="scenario"><h2>Plan</h2>', facts(items), "</section>",
             '<section id="kpis"><h2>Agent-hours a day</h2>']
    cols = ["today", "erlang_a", "required", "planned"]
    rows = []
    for pool, row in d.get("agent_hours", {}).items():
        rows.append([esc(pool), *[esc(f"{say.num(row.get(c)):,.1f}") if c in row else "–"
                                  for c in cols],
                     esc(f"{say.num(row.get('planned')) - say.num(row.get('today')):+,.1f}")])
    parts.append(table(["pool", "today", "Erlang A", "simulated requirement", "plan",
                        "change"], rows, "kpis"))
    if d.get("verdicts"):
        parts.append("<h3>Targets on the verification seed</h3>")
        parts.append(table(["target", "judged slots", "met"],
                           [[esc(v["target"]), esc(v["slots"]), esc(v["met"])]
                            for v in d["verdicts"]], "kpis"))
    if d.get("misses"):
        parts.append("<h3>Slots that miss a target</h3><ul>" + "".join(
            f"<li>{esc(m.get('message'))}</li>" for m in d["misses"]) + "</ul>")
    red = d.get("redeploy")
    if isinstance(red, dict) and red.get("differences"):
        diffs = pd.DataFrame(red["differences"])
        parts.append("<h3>Redeploy vs today (paired differences)</h3>")
        parts.append(frame_table(diffs, _diff_kpi, [
            c for c in ("kpi", "reference_mean", "design_mean", "difference", "half_width",
                        "ci_low", "ci_high", "p_value", "significant") if c in diffs]))
    parts.append("</section>")
    for name, title in (("verification", "Verification per slot (verification.csv)"),
                        ("requirements", "Requirements per pool and slot "
                                         "(requirements.csv)")):
        t = run.tables.get(name)
        if t is not None:
            parts.append(f'<section id="table-{name}"><h2>{esc(title)}</h2>'
                         f"{frame_table(t, _kpi_of)}</section>")
    return "".join(parts)


register(Renderer("staff", findings, figures, tables))
