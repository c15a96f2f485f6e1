"""A report planners can open: run directories → PNG figures and one HTML file.

Owns choosing the figures that apply to a run folder read by
:func:`callsim.io.reader.load_run_dir` (:func:`figures`), writing them as PNGs beside the
results (:func:`write_pngs`, ``callsim plot``) and rendering one self-contained HTML
document (:func:`render_html`, :func:`write_report`, ``callsim report``): the scenario
summary, the KPI table with confidence intervals, every figure embedded as a base64
PNG, and for a comparison a verdict per KPI. The document loads nothing from anywhere
(no scripts, fonts, stylesheets or images outside the file) and needs no server.

What each kind of folder gives (the layout is :mod:`callsim.io.rundir`'s):

- a run: waiting calls per queue, the day by interval, staffed vs busy agents, the
  answer-rate heatmap, and how the CI narrowed. Bands across replications come from
  the checksummed records in ``reps/``; without them the figures show interval means.
- a comparison: the forest plot of paired differences (and ``comparison.png``, the day
  per design, when there).
- a sweep: the headline KPIs against the swept parameter.

Every KPI's label, format and better/worse direction come from the KPI registry
(:mod:`callsim.results.kpis`), so the report shows the same values and differences as
the terminal. Imports :mod:`callsim.ui.plots`, :mod:`callsim.io` and
:mod:`callsim.results`; nothing imports it but the CLI.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import html
import io
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from callsim.io.atomic import atomic_write_text, make_dir
from callsim.io.reader import RunDir, load_run_dir
from callsim.results import kpis as registry
from callsim.results.kpi_format import fmt, fmt_diff, fmt_hw
from callsim.ui import plots
from callsim.ui.tables import channel_columns, ordered_kpis, pool_columns, type_columns

__all__ = ["RunDir", "figures", "load_run_dir", "render_html", "verdict", "write_pngs",
           "write_report"]

#: The verdict on a paired difference (the registry's; kept here for notebooks).
verdict = registry.verdict

# ------------------------------------------------------------------------ figures


@dataclass
class ReportFigure:
    """A figure of a report: file stem, caption and the figure itself."""

    name: str
    caption: str
    figure: Figure


def _kpi_table(doc: Mapping[str, Any]) -> pd.DataFrame:
    kpis = doc.get("kpis", {})
    df = pd.DataFrame.from_dict(kpis, orient="index", dtype=float)
    df.index.name = "kpi"
    return df


def _try(out: list[ReportFigure], name: str, caption: str, make: Callable[[], Figure]) -> None:
    """Add a figure; data that does not support it (e.g. no such column) is skipped."""
    with contextlib.suppress(ValueError, KeyError, TypeError):
        out.append(ReportFigure(name, caption, make()))


def figures(run: RunDir) -> list[ReportFigure]:
    """The figures that apply to *run*, in report order."""
    out: list[ReportFigure] = []
    if run.n_reps <= 1:
        band = "One replication, so no confidence band."
    elif run.per_replication:
        band = "Bands: 95 % confidence interval of the mean across replications."
    else:
        band = ("Interval means across replications (no per-replication tables in the "
                "directory, so no confidence band).")
    if run.kind == "run" and run.intervals is not None:
        iv = run.intervals
        _try(out, "waiting_calls", "Calls waiting in each queue over the day "
             "(time-average per interval). " + band, lambda: plots.waiting_calls(iv))
        _try(out, "day_by_interval", "Offered calls, answer rate and ASA by the interval "
             "calls arrived in. " + band, lambda: plots.interval_overview(iv))
        _try(out, "answer_rate_heatmap", "Answer rate by interval and queue; red cells are "
             "where callers are lost.", lambda: plots.answer_rate_heatmap(iv))
        if "channel_attempts" in iv and float(iv["channel_attempts"].sum()) > 0:
            _try(out, "containment", "Containment (customers helped in a channel / those "
                 "who tried one) by the interval they turned up in. " + band,
                 lambda: plots.interval_kpi(iv, "containment"))
    if run.kind == "run" and run.agents is not None:
        ag = run.agents
        _try(out, "agents_by_pool", "Staffed (dashed) vs busy (solid) agents per pool; "
             "the gap is idle time. " + band, lambda: plots.agents_by_pool(ag))
    if run.kind == "run" and run.replications is not None and len(run.replications) > 2:
        reps = run.replications
        _try(out, "ci_answer_rate", "The answer-rate estimate as replications are added: "
             "the confidence interval narrows like 1/sqrt(n).",
             lambda: plots.ci_convergence(reps, "answer_rate"))
    if run.kind == "comparison" and run.differences is not None:
        diffs = run.differences
        _try(out, "forest", "Each KPI's paired difference from the reference design with "
             "its 95 % CI, as % of the reference's mean. Filled: the CI excludes 0.",
             lambda: plots.forest(diffs))
    if run.kind == "sweep" and run.sweep_table is not None:
        table = run.sweep_table
        grid = list(run.doc.get("grid", {}))
        param = grid[0] if grid else None
        for k in registry.headline(table["kpi"].astype(str), 5):
            name = registry.label(k)
            _try(out, f"sweep_{k}", f"{name[:1].upper()}{name[1:]} at each grid "
                 "point, with its 95 % CI band.",
                 functools.partial(plots.sweep_kpi, table, k, param))
    return out


def write_pngs(run: RunDir, out: str | Path | None = None, dpi: int = 110) -> list[Path]:
    """Write each figure of *run* as ``NAME.png`` into *out* (default: beside the results)."""
    dest = make_dir(Path(out) if out is not None else run.path)
    paths = []
    for f in figures(run):
        paths.append(plots.save(f.figure, dest / f"{f.name}.png", dpi=dpi))
    return paths


# ------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1100px;padding:1.5rem 2rem;color:#1d2430;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;
border-bottom:1px solid #d5dae1;padding-bottom:.2rem}h3{font-size:1.05rem}
.sub{color:#5a6472;margin-top:0}table{border-collapse:collapse;margin:.6rem 0;
font-size:.9rem}th,td{padding:.25rem .7rem;border-bottom:1px solid #e3e7ec;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f3f5f8}
td.kpi{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
table.run td:nth-child(2){text-align:left;color:#5a6472}
figure{margin:1.2rem 0}img{max-width:100%;height:auto;border:1px solid #e3e7ec}
figcaption{color:#5a6472;font-size:.9rem}.better{color:#1a7f37;font-weight:600}
.worse{color:#c0392b;font-weight:600}.neutral{color:#5a6472}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{color:#5a6472}
dd{margin:0}footer{margin-top:2.5rem;color:#8a93a0;font-size:.8rem}
@media print{figure{break-inside:avoid}}
"""


def _num(x: Any) -> float:
    """*x* as a float (NaN for missing values)."""
    try:
        return math.nan if x is None else float(x)
    except (TypeError, ValueError):
        return math.nan


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _png(fig: Figure, dpi: int = 100) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _table(header: Iterable[str], rows: Iterable[Iterable[str]], cls: str = "",
           first_kpi: bool = True) -> str:
    """An HTML table; *header* and *rows* are HTML already (escape text with :func:`_e`)."""
    out = [f'<table class="{cls}">' if cls else "<table>", "<thead><tr>"]
    out += [f"<th>{h}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = list(row)
        out.append("<tr>")
        for i, c in enumerate(cells):
            klass = ' class="kpi"' if i == 0 and first_kpi else ""
            out.append(f"<td{klass}>{c}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _ci(name: str, lo: float, hi: float) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    return f"{_e(fmt(name, lo))} … {_e(fmt(name, hi))}"


def _kpi_rows(s: pd.DataFrame, names: Iterable[str], label: Callable[[str], str] = str
              ) -> list[list[str]]:
    rows = []
    for k in names:
        mean, hw, lo, hi, n = (_num(s.at[k, c]) for c in
                               ("mean", "half_width", "ci_low", "ci_high", "n"))
        rows.append([f'<span id="kpi-{_e(k)}">{_e(label(k))}</span>',
                     _e(registry.label(k)), _e(fmt(k, mean)), _e(fmt_hw(k, hw)), _ci(k, lo, hi),
                     _e(int(n) if math.isfinite(n) else "")])
    return rows


def _scenario_section(run: RunDir) -> str:
    d = run.doc
    facts: list[tuple[str, str]] = [
        ("scenario", str(d.get("scenario", "?"))), ("root seed", str(d.get("seed", "?"))),
        ("replications", str(run.n_reps)),
        ("confidence level", f"{100 * _num(d.get('level', 0.95)):g} %")]
    iv = run.intervals
    if iv is not None and len(iv):
        clocks = list(dict.fromkeys(iv["clock"].astype(str)))
        starts = sorted(set(iv["start"].astype(float)))
        step = (starts[1] - starts[0]) if len(starts) > 1 else float("nan")
        facts.append(("horizon", f"{clocks[0]} to the end of {clocks[-1]} "
                                 f"({len(starts)} intervals of {step / 60:g} min)"))
        types = [t for t in dict.fromkeys(iv["call_type"].astype(str)) if t != "all"]
        facts.append(("call types (queues)", ", ".join(types)))
    ag = run.agents
    if ag is not None and len(ag):
        peak = ag.groupby(["pool", "start"], sort=False)["staffed"].mean().groupby(
            level=0, sort=False).max()
        facts.append(("agent pools (peak staffed)",
                      ", ".join(f"{p} ({v:.0f})" for p, v in peak.items())))
    stop = d.get("meta", {}).get("stopping") if isinstance(d.get("meta"), dict) else None
    if isinstance(stop, dict) and stop.get("message"):
        facts.append(("stopping", str(stop["message"])))
    body = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    return f'<section id="scenario"><h2>Scenario</h2><dl>{body}</dl></section>'


def _run_sections(run: RunDir) -> str:
    s = _kpi_table(run.doc)
    header = ["KPI", "what it is", "mean", "± half-width", "95&nbsp;% CI", "n"]
    overall = ordered_kpis(s)
    parts = ['<section id="kpis"><h2>Key performance indicators</h2>',
             '<p class="sub">Over the measurement window, mean across replications with '
             "the Student-t confidence interval.</p>",
             _table(header, _kpi_rows(s, overall), "kpis run")]
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
            row = [_e(g)]
            for c in present:
                k = f"{prefix}.{g}.{c}"
                if k in s.index:
                    row.append(f"{_e(fmt(k, _num(s.at[k, 'mean'])))} "
                               f"<small>{_e(fmt_hw(k, _num(s.at[k, 'half_width'])))}</small>")
                else:
                    row.append("")
            rows.append(row)
        parts.append(f"<h3>{_e(title)}</h3>")
        parts.append(_table([_e(prefix.replace("type", "call type")),
                             *map(_e, present)], rows))
    parts.append("</section>")
    return "".join(parts)


def _comparison_sections(run: RunDir) -> str:
    d = run.differences if run.differences is not None else pd.DataFrame()
    designs = list(run.doc.get("designs", {}))
    reference = str(run.doc.get("reference", designs[0] if designs else "?"))
    others = [x for x in designs if x != reference]
    per = {name: pd.DataFrame.from_dict(v, orient="index", dtype=float)
           for name, v in run.doc.get("designs", {}).items()}
    overall = d[d["kpi"].astype(str).map(lambda k: "." not in k)] if len(d) else d
    kpis = list(dict.fromkeys(overall["kpi"].astype(str))) if len(overall) else (
        list(per[reference].index) if reference in per else [])
    parts = ['<section id="scenario"><h2>Designs</h2><dl>',
             f"<dt>reference</dt><dd>{_e(reference)}</dd>",
             f"<dt>compared</dt><dd>{_e(', '.join(others))}</dd>",
             f"<dt>root seed</dt><dd>{_e(run.doc.get('seed', '?'))}</dd>",
             f"<dt>paired replications</dt><dd>{run.n_reps}</dd>",
             "<dt>method</dt><dd>every design sees the same callers (common random "
             "numbers); a difference is estimated from paired replications</dd></dl>"
             "</section>"]
    header = ["KPI", *[_e(f"{x} (mean ± hw)") for x in designs]]
    for x in others:
        header += [_e(f"Δ {x} − {reference} (95 % CI)"), "p", "verdict"]
    rows = []
    for k in kpis:
        row = [f'<span id="kpi-{_e(k)}" title="{_e(registry.label(k))}">{_e(k)}</span>']
        for name in designs:
            s = per.get(name)
            if s is not None and k in s.index:
                row.append(_e(f"{fmt(k, _num(s.at[k, 'mean']))} "
                              f"{fmt_hw(k, _num(s.at[k, 'half_width']))}".strip()))
            else:
                row.append("")
        for name in others:
            r = overall[(overall["design"] == name) & (overall["kpi"] == k)]
            if r.empty:
                row += ["", "", ""]
                continue
            x = r.iloc[0]
            diff, hw = _num(x["difference"]), _num(x["half_width"])
            sig = bool(x["significant"]) if not pd.isna(x["significant"]) else False
            text = registry.verdict(k, diff, hw, sig)
            klass = {"better": "better", "worse": "worse"}.get(text, "neutral")
            p = _num(x["p_value"])
            row += [f'<span class="diff">{_e(fmt_diff(k, diff, hw))}</span>',
                    _e(f"{p:.3g}" if math.isfinite(p) else "–"),
                    f'<span class="{klass}">{_e(text)}</span>']
        rows.append(row)
    parts += ['<section id="kpis"><h2>KPIs and verdicts</h2>',
              '<p class="sub">Verdict: better/worse for callers when the 95 % CI of the '
              "paired difference excludes 0 (higher/lower for volumes and occupancy); "
              "otherwise no significant difference.</p>",
              _table(header, rows, "kpis"), "</section>"]
    return "".join(parts)


def _sweep_sections(run: RunDir) -> str:
    t = run.sweep_table if run.sweep_table is not None else pd.DataFrame()
    grid = list(run.doc.get("grid", {})) or [c for c in t.columns if c not in (
        "point", "kpi", "mean", "half_width", "ci_low", "ci_high", "n")]
    facts = "".join(f"<dt>{_e(p)}</dt><dd>{_e(', '.join(map(str, v)))}</dd>"
                    for p, v in run.doc.get("grid", {}).items())
    parts = ['<section id="scenario"><h2>Sweep</h2><dl>',
             f"<dt>scenario</dt><dd>{_e(run.doc.get('scenario', '?'))}</dd>",
             f"<dt>root seed</dt><dd>{_e(run.doc.get('seed', '?'))}</dd>", facts,
             f"<dt>replications per point</dt><dd>{run.n_reps}</dd></dl></section>"]
    kpis = list(dict.fromkeys(t["kpi"].astype(str))) if len(t) else []
    rows = []
    by = ["point"] if "point" in t else grid
    for _, g in t.groupby(by, sort=False):
        first = g.iloc[0]
        row = [_e(first[p]) for p in grid]
        for k in kpis:
            r = g[g["kpi"] == k]
            row.append(_e(f"{fmt(k, float(r['mean'].iloc[0]))} "
                          f"{fmt_hw(k, float(r['half_width'].iloc[0]))}".strip())
                       if len(r) else "")
        rows.append(row)
    header = [*map(_e, grid), *[f'<span id="kpi-{_e(k)}">{_e(k)}</span>' for k in kpis]]
    parts += ['<section id="kpis"><h2>KPIs at each grid point (mean ± 95 % half-width)</h2>',
              _table(header, rows, "kpis", first_kpi=False), "</section>"]
    return "".join(parts)


def render_html(run: RunDir, figs: list[ReportFigure] | None = None, dpi: int = 100) -> str:
    """The self-contained HTML document of *run* (figures made if not given)."""
    from callsim import __version__

    figs = figures(run) if figs is None else figs
    if run.kind == "comparison":
        body = _comparison_sections(run)
    elif run.kind == "sweep":
        body = _sweep_sections(run)
    else:
        body = _scenario_section(run) + _run_sections(run)
    fig_html = []
    for f in figs:
        fig_html.append(f'<figure id="fig-{_e(f.name)}"><img alt="{_e(f.caption)}" '
                        f'src="data:image/png;base64,{_png(f.figure, dpi)}">'
                        f"<figcaption>{_e(f.caption)}</figcaption></figure>")
    for name, p in run.extra_images.items():
        data = base64.b64encode(p.read_bytes()).decode("ascii")
        fig_html.append(f'<figure id="fig-{_e(name)}"><img alt="{_e(p.name)}" '
                        f'src="data:image/png;base64,{data}"><figcaption>{_e(p.name)}: the '
                        "day per design (answer rate and waiting calls by interval)."
                        "</figcaption></figure>")
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{_e(run.title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(run.title)}</h1><p class=\"sub\">callsim {__version__} · "
        f"results in {_e(run.path.resolve())} · written {when}</p></header>"
        f"{body}"
        f'<section id="figures"><h2>Figures</h2>{"".join(fig_html) or "<p>none</p>"}'
        "</section>"
        "<footer>A discrete-event simulation of call-centre routing; every figure is a "
        "mean over replications, with 95 % confidence intervals where shown.</footer>"
        "</body></html>\n"
    )


def write_report(path: str | Path, out: str | Path | None = None, dpi: int = 100) -> Path:
    """Read the results in *path* and write their HTML report to *out*
    (default ``path/report.html``)."""
    run = load_run_dir(path)
    dest = Path(out) if out is not None else run.path / "report.html"
    make_dir(dest.parent)
    return atomic_write_text(dest, render_html(run, dpi=dpi))
