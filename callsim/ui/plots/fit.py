"""Figures of a fit to a call log, drawn from its estimates table (``SCENARIO.fit.json``).

Owns :func:`fit_estimate_by_clock`: one quantity of the fit's every-estimate table
(e.g. ``arrivals per interval`` per call type, or the agents on the phones) by clock
interval, with its 95 % CI band. The fit's own figures against the data
(``callsim.fit.figures``) need the log; these need only the document. Imports nothing
from callsim but the plots' common helpers.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from callsim.ui.plots.common import _new


def _hours(block: pd.Series) -> pd.Series:
    parts = block.astype(str).str.split(":", expand=True)
    return parts[0].astype(float) + parts[1].astype(float) / 60.0


def fit_estimate_by_clock(estimates: pd.DataFrame, quantity: str, ylabel: str,
                          interval_s: float = 3600.0, ax: Axes | None = None) -> Figure:
    """The rows of *quantity* whose block is a clock time (``HH:MM``), by call type,
    as steps over the day with their 95 % CI bands.

    Raises
    ------
    ValueError
        When the table has no such rows.
    """
    rows = estimates[(estimates["quantity"] == quantity)
                     & estimates["block"].astype(str).str.fullmatch(r"\d{1,2}:\d{2}")]
    if rows.empty:
        raise ValueError(f"no {quantity!r} rows by clock interval")
    fig, ax = _new((9, 3.6), ax)
    step = interval_s / 3600.0
    for ct, g in rows.groupby("call_type", sort=False):
        g = g.assign(h=_hours(g["block"])).sort_values("h")
        # every interval of the day, zeros where the fit reports none
        full = pd.DataFrame({"h": [i * step for i in range(round(24 / step))]})
        g = full.merge(g, on="h", how="left").fillna({"estimate": 0.0, "ci_low": 0.0,
                                                       "ci_high": 0.0})
        x = [*g["h"], 24.0]
        line = ax.step(x, [*g["estimate"], g["estimate"].iloc[-1]], where="post",
                       label=str(ct))[0]
        ax.fill_between(x, [*g["ci_low"], g["ci_low"].iloc[-1]],
                        [*g["ci_high"], g["ci_high"].iloc[-1]], step="post", alpha=0.2,
                        color=line.get_color())
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlabel("clock hour")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, ncols=2)
    return fig
