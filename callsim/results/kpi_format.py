"""KPI values as people read them, by the unit the registry gives each KPI.

Owns the one format of every KPI value, half-width and paired difference (terminal
tables, the HTML report and figure annotations all call these, so they show the same
text) and figure axis labels. Imports :mod:`callsim.results.kpis` only.

- ``share``: ``77.77 %``; a difference or its half-width in percentage points
  (``+1.03 pp ± 0.55 pp``);
- ``seconds``: ``18.0 s``;
- ``waiting`` (time-average waiting calls) and ``agents``: two decimals;
- ``calls``: whole numbers from 100 up (``37,010``), two decimals below.
"""

from __future__ import annotations

import math
from typing import Any

from callsim.results.kpis import label, unit

#: What a missing value (NaN, None) is shown as.
MISSING = "–"


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _magnitude(name: str, v: float, diff: bool, words: bool = False) -> str:
    u = unit(name)
    if u == "share":
        return f"{100 * v:.2f} {('points' if words else 'pp') if diff else '%'}"
    if u == "seconds":
        return f"{v:.1f} s"
    if u in ("waiting", "agents"):
        return f"{v:.2f}"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"


def fmt(name: str, value: float) -> str:
    """*value* of KPI *name*: ``77.77 %``, ``18.0 s``, ``37,010``, ``4.33``."""
    if _missing(value):
        return MISSING
    return _magnitude(name, float(value), diff=False)


def fmt_hw(name: str, hw: float) -> str:
    """A confidence half-width of a mean of *name*: ``± 0.43 %`` (empty when unknown)."""
    if _missing(hw):
        return ""
    return "± " + _magnitude(name, abs(float(hw)), diff=False)


def signed(name: str, value: float) -> str:
    """A difference of *name* with its sign: ``+1.03 pp``, ``-9.9 s``, ``+306``."""
    if _missing(value) or not math.isfinite(value):
        return MISSING
    sign = "-" if value < 0 else "+"
    return sign + _magnitude(name, abs(float(value)), diff=True)


def magnitude(name: str, value: float, diff: bool = False, words: bool = False) -> str:
    """*value* of *name* without a sign: a level (``77.77 %``) or, with *diff*, a
    difference (``1.03 pp``; ``1.03 points`` with *words*, for sentences)."""
    if _missing(value) or not math.isfinite(value):
        return MISSING
    return _magnitude(name, abs(float(value)), diff, words)


def fmt_diff(name: str, difference: float, half_width: float) -> str:
    """A paired difference and its half-width: ``+1.03 pp ± 0.55 pp``."""
    text = signed(name, difference)
    if text != MISSING and not _missing(half_width) and math.isfinite(half_width):
        text += " ± " + _magnitude(name, abs(float(half_width)), diff=True)
    return text


def axis_label(name: str, per: str = "") -> tuple[str, float]:
    """An axis label with its unit for *name*, and the factor to multiply values by.

    Shares are drawn in %, durations in seconds; *per* qualifies counts (e.g.
    ``" per interval"``).
    """
    u = unit(name)
    text = label(name)
    if u == "share":
        return f"{text} (%)", 100.0
    if u == "seconds":
        return f"{text} (s)", 1.0
    if u == "waiting":
        return f"{text} (calls)", 1.0
    if u == "agents":
        return f"{text} (agents)", 1.0
    return f"{text} (calls{per})", 1.0
