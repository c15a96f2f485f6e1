"""The HTML of a report: one self-contained page, and the helpers kinds build tables with.

Owns the page (:func:`page`: the title, the finding sentences first, then the figures,
then the facts and full tables; every figure embedded as a base64 PNG, nothing loaded
from anywhere: no scripts, fonts, stylesheets or images outside the file) and the
helpers :func:`esc`, :func:`table`, :func:`facts`, :func:`frame_table`, :func:`ci`.
Imports :mod:`callsim.results` (formats) and :mod:`callsim.io.reader` (the run type).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from callsim.io.reader import RunDir
from callsim.results.kpi_format import fmt, signed
from callsim.ui.findings import num

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
section#finding{background:#f3f7fb;border-left:4px solid #2b6cb0;padding:.4rem 1rem;
margin-top:1rem}p.finding{font-size:1.1rem;margin:.5rem 0}
figure{margin:1.2rem 0}img{max-width:100%;height:auto;border:1px solid #e3e7ec}
figcaption{color:#5a6472;font-size:.9rem}.better{color:#1a7f37;font-weight:600}
.worse{color:#c0392b;font-weight:600}.neutral{color:#5a6472}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{color:#5a6472}
dd{margin:0}footer{margin-top:2.5rem;color:#8a93a0;font-size:.8rem}
@media print{figure{break-inside:avoid}}
"""


def esc(x: Any) -> str:
    """*x* as escaped HTML text."""
    return html.escape(str(x), quote=True)


def png(fig: Figure, dpi: int = 100) -> str:
    """*fig* as base64 PNG data."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def table(header: Iterable[str], rows: Iterable[Iterable[str]], cls: str = "",
          first_kpi: bool = True) -> str:
    """An HTML table; *header* and *rows* are HTML already (escape text with :func:`esc`)."""
    out = [f'<table class="{cls}">' if cls else "<table>", "<thead><tr>"]
    out += [f"<th>{h}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for i, c in enumerate(row):
            klass = ' class="kpi"' if i == 0 and first_kpi else ""
            out.append(f"<td{klass}>{c}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def facts(items: Iterable[tuple[str, Any]]) -> str:
    """A definition list of (name, value) facts (plain text, escaped here)."""
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items) + "</dl>"


def ci(name: str, lo: float, hi: float) -> str:
    """``lo … hi`` formatted as KPI *name* (empty when unknown)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    return f"{esc(fmt(name, lo))} … {esc(fmt(name, hi))}"


def cell(v: Any, kpi: str | None = None) -> str:
    """One value of a table: a KPI value formatted by the registry (*kpi* ``"Δname"``:
    as a difference of ``name``), numbers to a few digits, anything else as text."""
    if kpi is not None and isinstance(v, int | float) and not isinstance(v, bool):
        if kpi.startswith("Δ"):
            return esc(signed(kpi[1:], float(v)))
        return esc(fmt(kpi, float(v)))
    if isinstance(v, float):
        if not math.isfinite(v):
            return "–"
        return esc(f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}")
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return esc(v)


def frame_table(df: pd.DataFrame, kpi_of: Callable[[Mapping[str, Any], str], str | None]
                | None = None, columns: Sequence[str] | None = None, cls: str = "full"
                ) -> str:
    """A DataFrame as an HTML table; ``kpi_of(row, column)`` names the KPI whose format a
    cell takes (``"Δkpi"``: a difference of it; ``None``: plain)."""
    cols = list(columns) if columns is not None else [str(c) for c in df.columns]
    rows = []
    for rec in df.to_dict(orient="records"):
        r = {str(k): v for k, v in rec.items()}
        rows.append([cell(r.get(c), kpi_of(r, c) if kpi_of else None) for c in cols])
    return table([esc(c) for c in cols], rows, cls, first_kpi=False)


def page(run: RunDir, findings: Sequence[str], figures: Sequence[tuple[str, str, str]],
         tables: str) -> str:
    """The whole document: title, *findings* (plain sentences), *figures* (name,
    caption, base64 PNG), then *tables* (HTML)."""
    from callsim import __version__

    fig_html = [f'<figure id="fig-{esc(name)}"><img alt="{esc(caption)}" '
                f'src="data:image/png;base64,{data}"><figcaption>{esc(caption)}</figcaption>'
                "</figure>" for name, caption, data in figures]
    lead = "".join(f'<p class="finding">{esc(s)}</p>' for s in findings)
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{esc(run.title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{esc(run.title)}</h1><p class=\"sub\">callsim {__version__} · "
        f"results in {esc(run.path.resolve())} · written {when}</p></header>"
        f'<section id="finding"><h2>Finding</h2>{lead or "<p>none</p>"}</section>'
        f'<section id="figures"><h2>Figures</h2>{"".join(fig_html) or "<p>none</p>"}'
        "</section>"
        f'<section id="tables">{tables}</section>'
        "<footer>A discrete-event simulation of call-centre routing; every figure is a "
        "mean over replications, with 95 % confidence intervals where shown.</footer>"
        "</body></html>\n"
    )


__all__ = ["ci", "esc", "facts", "frame_table", "num", "page", "png", "table"]
