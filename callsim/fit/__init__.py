"""Fitting a scenario to a call log, and scoring simulations against the log.

Public API
----------
``fit_log(log, days=None, interval=3600, ...) -> FitResult``
    Estimate a scenario for an average selected day (:mod:`callsim.fit.core`):
    arrivals per interval and call type with day-to-day overdispersion, handle time
    (parametric or weighted empirical, chosen by tests) and patience (Kaplan–Meier with
    an exponential tail) per call type and time block, the IVR, and agents per interval.
``FitResult``
    ``.scenario_dict(engine="planned"|"current")``, ``.write_scenario(path)`` (YAML and
    ``<stem>.fit.html``), ``.report`` (a ``FitReport`` table: every estimate with its
    CI), ``.figures()``,
    ``.arrivals``, ``.staffing``, ``.types``, ``.ivr``, ``.overdispersion``.
``kaplan_meier(durations, events)``, ``fit_duration(values)``, ``infer_staffing(...)``
    The estimators on their own.
``clock_table(log)``, ``clock_table_from_results(results)``, ``erlang_a_clock(fit)``,
``score(observed, simulated) -> Score``
    KPIs by clock interval pooled over days, and observed-vs-predicted scores
    (:mod:`callsim.fit.score`).
``write_fit_html(fit, path)``
    The self-contained HTML fit report.
``write_trace(log, path, days=...) -> dict``
    The recorded arrivals as a CSV and the ``arrivals: {trace: ...}`` section that
    replays them (``callsim replay``).

Owns fitting and scoring. Imports :mod:`callsim.logs`, :mod:`callsim.analytic` and
(for parsing durations) :mod:`callsim.config`; never the simulation model: simulated
results come in as :class:`callsim.ReplicationResult` objects made by the caller.
"""

from __future__ import annotations

from callsim.fit.core import FitResult, fit_log
from callsim.fit.dists import DurationFit, fit_duration
from callsim.fit.html import write_fit_html
from callsim.fit.km import PatienceFit, exponential_mle, fit_patience, kaplan_meier
from callsim.fit.report import FitReport
from callsim.fit.score import (
    Score,
    clock_table,
    clock_table_from_results,
    erlang_a_clock,
    score,
)
from callsim.fit.staffing import infer_staffing
from callsim.fit.trace import write_trace

__all__ = ["DurationFit", "FitReport", "FitResult", "PatienceFit", "Score", "clock_table",
           "clock_table_from_results", "erlang_a_clock", "exponential_mle", "fit_duration",
           "fit_log", "fit_patience", "infer_staffing", "kaplan_meier", "score",
           "write_fit_html", "write_trace"]
