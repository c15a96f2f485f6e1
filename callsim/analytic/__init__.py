"""Exact textbook queueing formulas for call centres.

This module owns the closed-form (or exactly computable) steady-state models that the
simulator is validated against and that quick staffing estimates use:

* Erlang B (M/M/c/c blocking) and Erlang C (M/M/c waiting probability);
* :func:`erlang_c_metrics` -- M/M/c, no abandonment;
* :func:`erlang_a_metrics` -- M/M/c+M (Palm/Erlang A, exponential patience), exact;
* :func:`mmn_g_metrics` -- M/M/n+G (general patience) by the Baccelli--Hébuterne /
  Zeltyn--Mandelbaum formulas and numerical integration;
* staffing searches :func:`agents_for_service_level` and :func:`agents_for_answer_rate`.

Every function is pure and imports nothing from :mod:`callsim`. Units are fixed:
``arrival_rate`` is in calls per **hour**, ``aht`` (mean handle time) and ``patience``
(mean patience) are in **seconds**, waiting-time thresholds ``t`` are in seconds and
``load`` is in erlangs (``arrival_rate / 3600 * aht``).

All computations stay finite for thousands of agents: Erlang B uses its recursion,
birth--death probabilities are built in log space outward from the mode, and the
M/M/n+G integrals are scaled by their maximum before exponentiation.
"""

from __future__ import annotations

from callsim.analytic._common import QueueMetrics
from callsim.analytic.erlang import erlang_b, erlang_c, erlang_c_metrics
from callsim.analytic.erlang_a import erlang_a_metrics
from callsim.analytic.mmng import mmn_g_metrics
from callsim.analytic.staffing import agents_for_answer_rate, agents_for_service_level

__all__ = [
    "QueueMetrics",
    "agents_for_answer_rate",
    "agents_for_service_level",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "mmn_g_metrics",
]
