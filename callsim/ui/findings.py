"""Finding sentences: what a planner can repeat, each number with its confidence interval.

Owns the phrases every report and every command's first line are built from: a KPI's
level with its CI (:func:`level`), a paired difference in words (:func:`change`: "388
more answered calls a day (95 % CI 282 to 494)", "the answer rate rises 1.03 points
(95 % CI 0.48 to 1.58)"), what a count is counted over (:func:`per`), and the finding of
a paired comparison (:func:`paired_finding`), shared by ``compare``, ``staff --budget``
and ``optimise-menu``. Labels, units, directions and number formats all come from the KPI
registry (:mod:`callsim.results.kpis`, :mod:`callsim.results.kpi_format`); which KPIs
lead is the registry's :data:`~callsim.results.kpis.FINDING`. Imports
:mod:`callsim.results` only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from callsim.results import kpis as registry
from callsim.results.kpi_format import fmt, magnitude

DAY = 86400.0


def num(x: Any) -> float:
    """*x* as a float (NaN for ``None`` and anything that is not a number)."""
    try:
        return math.nan if x is None else float(x)
    except (TypeError, ValueError):
        return math.nan


def per(window: float | None) -> str:
    """What a count is counted over: ``"a day"``, ``"over the 7 days measured"``,
    ``"in the 3 h measured"``, or ``"per replication"`` (unknown window)."""
    w = num(window)
    if not (math.isfinite(w) and w > 0):
        return "per replication"
    days = w / DAY
    if abs(days - round(days)) < 1e-9 and round(days) >= 1:
        return "a day" if round(days) == 1 else f"over the {round(days)} days measured"
    return f"in the {w / 3600:g} h measured"


def where(name: str, window: float | None) -> str:
    """`` a day`` after a count whose window is known; nothing otherwise."""
    if registry.unit(name) != "calls" or window is None or not num(window) > 0:
        return ""
    return f" {per(window)}"


def ci_text(name: str, lo: float, hi: float, level: float = 0.95, diff: bool = False) -> str:
    """``95 % CI 77.34 % to 78.20 %`` (a difference: signed numbers, shares in points)."""
    lo, hi = num(lo), num(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "no CI: one replication"

    def one(v: float) -> str:
        if not diff:
            return fmt(name, v)
        text = magnitude(name, v, diff=True, words=False)
        text = text.replace(" pp", "")
        return ("-" if v < 0 else "") + text

    return f"{100 * level:g} % CI {one(lo)} to {one(hi)}"


def level(name: str, mean: float, lo: float, hi: float, level: float = 0.95,
          label: str | None = None, window: float | None = None) -> str:
    """A KPI's value with its CI: ``answer rate 77.77 % (95 % CI 77.34 % to 78.20 %)``;
    a count says what it is counted over: ``answered calls 11,104 a day (95 % CI ...)``.
    *label* ``""`` leaves the name out."""
    text = label if label is not None else registry.label(name)
    counted_over = where(name, window)
    return (f"{text} " if text else "") + (f"{fmt(name, num(mean))}{counted_over} "
                                           f"({ci_text(name, lo, hi, level)})")


def _rises(name: str, d: float) -> str:
    return "rises" if d > 0 else "falls"


def change(name: str, diff: float, lo: float, hi: float, significant: bool,
           window: float | None = None, level: float = 0.95,
           label: str | None = None) -> str:
    """A paired difference in words, with its CI.

    Counts: ``388 more answered calls a day (95 % CI 282 to 494)``; shares: ``the
    answer rate rises 1.03 points (95 % CI 0.48 to 1.58)``; other units: ``the mean
    wait of offered calls falls 1.4 s (95 % CI -1.9 to -0.9)``. A difference whose CI
    holds 0: ``no significant change in answered calls a day (+31, 95 % CI -20 to 80)``.
    """
    d = num(diff)
    text = label if label is not None else registry.label(name)
    unit = registry.unit(name)
    counted = unit == "calls"
    counted_over = where(name, window)
    ci = ci_text(name, lo, hi, level, diff=True)
    if not math.isfinite(d):
        return f"{text}: not available"
    if d == 0 and not significant:
        return f"no change in {'' if counted else 'the '}{text}{counted_over}"
    size = magnitude(name, d, diff=True, words=True)
    if not significant:
        sign = "+" if d > 0 else "-"
        the = "" if counted else "the "
        return f"no significant change in {the}{text}{counted_over} ({sign}{size}, {ci})"
    if counted:
        return f"{size} {'more' if d > 0 else 'fewer'} {text}{counted_over} ({ci})"
    if "," in text:  # "the ASA, mean wait of answered calls, falls ..."
        text += ","
    return f"the {text} {_rises(name, d)} {size} ({ci})"


def lead_kpis(names: Iterable[str], first: str | None = None) -> list[str]:
    """The KPIs a finding leads with: *first* (e.g. an objective), then the registry's
    :data:`~callsim.results.kpis.FINDING` among *names*."""
    present = [str(n) for n in names]
    out = [first] if first is not None and first in present else []
    out += [k for k in registry.FINDING if k in present and k not in out]
    return out or present[:1]


def paired_finding(diffs: pd.DataFrame, design: str, reference: str,
                   window: float | None = None, level: float = 0.95,
                   first: str | None = None, subject: str | None = None) -> str:
    """The finding of *design* against *reference* from a table of paired differences
    (rows with ``kpi``, ``difference``, ``ci_low``, ``ci_high``, ``significant``, and
    ``design`` when it holds several designs): ``one-level vs two-level: 388 more
    answered calls a day (95 % CI 282 to 494); the answer rate rises 1.03 points (95 % CI
    0.48 to 1.58).``"""
    d = diffs
    if "design" in d.columns:
        d = d[d["design"].astype(str) == str(design)]
    d = d[d["kpi"].astype(str).map(lambda k: "." not in k or k == first)]
    rows = {str(r["kpi"]): r for r in d.to_dict(orient="records")}
    parts = []
    for k in lead_kpis(rows, first):
        r = rows[k]
        sig = r.get("significant")
        parts.append(change(k, num(r.get("difference")), num(r.get("ci_low")),
                            num(r.get("ci_high")), bool(sig) if sig is not None else False,
                            window, level))
    who = subject if subject is not None else f"{design} vs {reference}"
    if not parts:
        return f"{who}: no KPI to compare."
    return f"{who}: {'; '.join(parts)}."
