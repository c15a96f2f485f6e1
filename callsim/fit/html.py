"""The self-contained HTML fit report (``SCENARIO.fit.html``).

Owns :func:`write_fit_html`: a title, what was fitted from which days, the log's
dropped and flagged rows, every figure as an embedded base64 PNG, and the report
table. Imports the fit's figures and report table only; no external assets.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.figure import Figure

if TYPE_CHECKING:
    from callsim.fit.core import FitResult

_CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}
th{background:#eee}img{max-width:100%}h2{margin-top:1.6em}"""


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _staffing_words(fit: FitResult) -> str:
    method = str(fit.staffing.attrs.get("method", fit.options.get("staffing", "")))
    if method == "available":
        a = fit.staffing.attrs.get("availability") or []
        return ("agents in a call plus, while nobody waits, idle agents weighted by how "
                "available an agent idle that long was (learnt from which idle agent took "
                "each call answered at once: " + ", ".join(f"{x:.2f}" for x in a)
                + " for idle 0-10 s, 10-20 s, 20-30 s, 30-60 s, 1-2, 2-3, 3-5, 5-10, 10-15, "
                "15-30 and 30-60 min)")
    return {"busy_waiting": "agents busy while someone waits",
            "busy": "mean busy agents", "distinct": "distinct agents"}.get(method, method)


def write_fit_html(fit: FitResult, path: str | Path, dropped: dict[str, int] | None = None,
                   flags: dict[str, int] | None = None,
                   figures: Mapping[str, Figure] | None = None) -> Path:
    """Write the fit report as one HTML file with embedded figures (*figures*, else
    ``fit.figures()``); return its path."""
    p = Path(path)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Fit of "
             f"{html.escape(fit.source)}</title><style>{_CSS}</style></head><body>",
             f"<h1>Fit of {html.escape(fit.source)}</h1>",
             f"<p>{len(fit.days)} selected days ({html.escape(fit.options['days_label'])}: "
             f"{fit.days.min().date()} to {fit.days.max().date()}), interval "
             f"{fit.interval / 60:g} min, {len(fit.types)} call types. Staffing in the "
             f"scenario: {html.escape(_staffing_words(fit))} (see the staffing "
             "figure).</p>"]
    for title, counts in (("Dropped rows", dropped), ("Flagged rows", flags)):
        if counts:
            items = "".join(f"<li>{html.escape(k)}: {v}</li>" for k, v in counts.items())
            parts.append(f"<h2>{title}</h2><ul>{items}</ul>")
    for name, fig in (fit.figures() if figures is None else figures).items():
        parts.append(f"<h2>{html.escape(name.replace('_', ' '))}</h2>"
                     f"<img alt='{html.escape(name)}' src='data:image/png;base64,"
                     f"{_png(fig)}'>")
    table = fit.report.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="",
                               border=0)
    parts.append(f"<h2>Every estimate</h2>{table}</body></html>")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n".join(parts), encoding="utf-8")
    return p
