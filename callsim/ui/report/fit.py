"""The report of a fit to a call log (``callsim fit``: ``SCENARIO.fit.json`` beside the scenario).

Owns the fit kind's finding (what was fitted from which days: calls a day and the
day-to-day busyness with their CIs; handle time and patience of the busiest call types;
the agents on the phones and the measure used), figures (arrivals and agents by clock
interval with their CI bands, drawn from the document; the fit's own figures against the
data, ``SCENARIO.fit.<figure>.png``, follow) and tables (the facts, rows left out and
flagged, every estimate with its CI), and :func:`fit_run_dir` (a fit in memory, for
``callsim fit``'s first lines). Imports :mod:`callsim.ui.plots` and :mod:`callsim.io`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from callsim.io.reader import FOLDER_KINDS, RunDir
from callsim.ui import findings as say
from callsim.ui import plots
from callsim.ui.report.base import Renderer, ReportFigure, attempt, register
from callsim.ui.report.html import esc, facts, frame_table


def fit_run_dir(doc: Mapping[str, Any], out: str | Path) -> RunDir:
    """A fit's ``SCENARIO.fit.json`` document as a :class:`RunDir` (folder of *out*)."""
    run = RunDir(Path(out).parent, "fit", dict(doc), heading=FOLDER_KINDS["fit"].title)
    run.tables["estimates"] = pd.DataFrame(doc.get("estimates") or [])
    return run


def _est(run: RunDir) -> pd.DataFrame:
    t = run.tables.get("estimates")
    return t if t is not None else pd.DataFrame(run.doc.get("estimates") or [])


def _ci(row: Mapping[str, Any], digits: int = 0, unit: str = "") -> str:
    e, lo, hi = (say.num(row.get(k)) for k in ("estimate", "ci_low", "ci_high"))
    text = f"{e:,.{digits}f}{unit}"
    if math.isfinite(lo) and math.isfinite(hi):
        text += f" (95 % CI {lo:,.{digits}f} to {hi:,.{digits}f})"
    return text


def _row(est: pd.DataFrame, quantity: str, call_type: str, block: str = "day"
         ) -> dict[str, Any] | None:
    r = est[(est["quantity"] == quantity) & (est["call_type"].astype(str) == call_type)
            & (est["block"].astype(str) == block)]
    return None if r.empty else dict(r.iloc[0])


def findings(run: RunDir) -> list[str]:
    d = run.doc
    est = _est(run)
    if est.empty:
        return [f"A fit of {d.get('log', '?')} with no estimates."]
    days = d.get("days") or []
    opts = d.get("options") or {}
    span = f", {days[0]} to {days[-1]}" if days else ""
    per_type = est[(est["quantity"] == "calls per day") & (est["call_type"] != "all")]
    out = []
    total = _row(est, "calls per day", "all")
    od = d.get("overdispersion") or {}
    first = (f"Fitted to {len(days)} days ({opts.get('days_label', 'all days')}{span}) of "
             f"{d.get('log', '?')}: ")
    first += (_ci(total, 0, " calls a day") if total else "calls") + \
        f" in {len(per_type)} call type{'s' if len(per_type) != 1 else ''}"
    if od:
        first += (f"; day-to-day busyness CV {say.num(od.get('estimate')):.3f} "
                  f"(95 % CI {say.num(od.get('ci_low')):.3f} to "
                  f"{say.num(od.get('ci_high')):.3f})")
    out.append(first + ".")
    parts = []
    for r in per_type.sort_values("estimate", ascending=False).head(3).to_dict("records"):
        ct = str(r["call_type"])
        bits = [f"{ct} ({say.num(r['estimate']):,.0f} a day)"]
        h = _row(est, "handle_time mean (s)", ct)
        if h:
            bits.append(f"handle time {_ci(h, 0, ' s')}")
        p = _row(est, "patience fitted mean (s)", ct) or _row(
            est, "patience exponential mean (s)", ct)
        if p:
            bits.append(f"mean patience {_ci(p, 0, ' s')}")
        parts.append(": ".join([bits[0], ", ".join(bits[1:])]) if len(bits) > 1 else bits[0])
    if parts:
        more = len(per_type) - len(parts)
        out.append("Busiest call types, " + "; ".join(parts)
                   + (f" (and {more} more in the table)." if more > 0 else "."))
    st = d.get("staffing") or {}
    agents = [say.num(a) for a in st.get("agents") or []]
    if agents:
        iv = say.num(d.get("interval_s") or d.get("interval") or 3600.0)
        peak = max(range(len(agents)), key=agents.__getitem__)
        clock = f"{int(peak * iv // 3600):02d}:{int(peak * iv % 3600 // 60):02d}"
        out.append(f"Agents on the phones ({st.get('method', '?')}): at most "
                   f"{agents[peak]:.2f} (the {clock} interval), "
                   f"{sum(agents) * iv / 3600:,.0f} agent-hours a day; the scenario is "
                   f"{d.get('scenario_file', '?')}.")
    return out


def figures(run: RunDir) -> list[ReportFigure]:
    est = _est(run)
    iv = say.num(run.doc.get("interval_s") or run.doc.get("interval") or 3600.0)
    out: list[ReportFigure] = []
    attempt(out, "fit_arrivals", "Fitted calls per interval by call type (the mean over "
            "the selected days, 95 % CI band).",
            lambda: plots.fit_estimate_by_clock(est, "arrivals per interval",
                                                f"calls per {iv / 60:g} min", iv))
    method = (run.doc.get("staffing") or {}).get("method", "available")
    attempt(out, "fit_agents", f"Agents on the phones per interval, as the scenario has "
            f"them (measure: {method}; 95 % CI band over the days).",
            lambda: plots.fit_estimate_by_clock(est, f"agents ({method})", "agents", iv))
    return out


def tables(run: RunDir) -> str:
    d = run.doc
    opts = d.get("options") or {}
    items: list[tuple[str, Any]] = [
        ("log", f"{d.get('log', '?')} (format {d.get('format', '?')}, "
                f"{say.num(d.get('calls')):,.0f} calls read)"),
        ("scenario written", d.get("scenario_file", "?")),
        ("fit report with the data", d.get("report", "?")),
        ("days", f"{len(d.get('days') or [])} ({opts.get('days_label', 'all days')})"),
        ("interval", f"{say.num(d.get('interval_s') or d.get('interval')) / 60:g} min"),
        ("IVR form", opts.get("ivr", "?")),
        ("staffing measure", (d.get("staffing") or {}).get("method", "?")),
        ("short abandon", f"{say.num(opts.get('short_abandon', 0)):g} s"),
    ]
    for name in ("dropped", "flags"):
        counts = d.get(name) or {}
        if counts:
            items.append(("rows left out" if name == "dropped" else "rows flagged",
                          ", ".join(f"{k} {v:,}" for k, v in counts.items())))
    est = _est(run)
    return (facts(items) + "<h3>Every estimate (95 % CI)</h3>"
            + (frame_table(est) if len(est) else f"<p>{esc('no estimates')}</p>"))


register(Renderer("fit", findings, figures, tables))
