"""The score of a results folder against a call log (``callsim score DIR LOG``), as report
sections of the folder it scores.

Owns :func:`findings` (one sentence per prediction: each KPI's mean absolute relative
error over the clock intervals scored, its bias and rank correlation) and :func:`tables`
(what was scored and the observed vs predicted table), which the run, compare and
replay renderers add after their own (nothing when the folder holds no score). The
figure (``score.png``) is embedded from the folder. Imports :mod:`callsim.io.reader`,
:mod:`callsim.ui.findings` and the report's HTML helpers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from callsim.io.reader import RunDir
from callsim.results import kpis as registry
from callsim.ui import findings as say
from callsim.ui.report.html import facts, frame_table

LABELS = {"answered_per_day": "answered calls a day"}
"""Words for scored quantities the KPI registry does not name."""


def _label(k: str) -> str:
    return LABELS.get(k, registry.label(k))


def _sentence(name: str, metrics: dict[str, Any], doc: dict[str, Any]) -> str:
    parts = []
    for k, m in metrics.items():
        mare, bias, rho = (say.num(m.get(x)) for x in ("mare", "bias", "spearman"))
        if mare != mare:  # NaN: nothing observed to score
            continue
        parts.append(f"{_label(k)} off by {100 * mare:.0f} % on average (bias "
                     f"{100 * bias:+.0f} %, rank correlation {rho:.2f})")
    hours = doc.get("hours") or [0, 23]
    days = doc.get("days")
    n = f"{len(days)} days" if isinstance(days, list) else "days"
    return (f"Against the log {doc.get('log', '?')} ({n}, intervals starting "
            f"{int(hours[0]):02d}:00-{int(hours[1]):02d}:00, {doc.get('call_type', 'all')} "
            f"calls), {name}: " + "; ".join(parts) + ".")


def findings(run: RunDir) -> list[str]:
    """The score sentences of *run* (none without a score)."""
    doc = run.doc.get("score")
    if not isinstance(doc, dict):
        return []
    preds = doc.get("predictions") or {}
    return [_sentence(name, p.get("metrics", {}), doc) for name, p in preds.items()
            if isinstance(p, dict)]


def tables(run: RunDir) -> str:
    """What was scored and the observed vs predicted table (empty without a score)."""
    doc = run.doc.get("score")
    if not isinstance(doc, dict):
        return ""
    hours = doc.get("hours") or [0, 23]
    parts = ['<section id="score"><h2>Score against the log</h2>', facts([
        ("log", doc.get("log", "?")), ("format", doc.get("format", "?")),
        ("days observed", len(doc.get("days") or []) or "?"),
        ("intervals scored", f"starting {int(hours[0]):02d}:00 to {int(hours[1]):02d}:00"),
        ("rows", doc.get("call_type", "all")),
        ("measures", "MARE: mean of |predicted - observed| / observed over the intervals; "
                     "bias: mean signed relative error; Spearman's rank correlation of the "
                     "two profiles")])]
    rows = []
    for name, p in (doc.get("predictions") or {}).items():
        for k, m in (p.get("metrics") or {}).items():
            rows.append({"prediction": name, "kpi": k, **m})
    if rows:
        parts.append(frame_table(pd.DataFrame(rows), lambda r, c: None))
    table = run.tables.get("score")
    if table is not None and len(table):
        parts += ["<h3>Observed vs predicted per clock interval (score.csv)</h3>",
                  frame_table(table, lambda r, c: None)]
    parts.append("</section>")
    return "".join(parts)


