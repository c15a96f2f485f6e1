"""Ready-made scenarios built in Python (no YAML): the textbook queues.

Owns :func:`erlang_scenario`, the one-queue, one-pool builder that users and the
validation tests compare with exact formulas. Imports :mod:`callsim.config` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from callsim.config.loading import scenario_from_dict
from callsim.config.schema import Scenario


def erlang_scenario(
    arrival_rate: float | Sequence[float],
    aht: float,
    agents: int | Sequence[int],
    patience: float | None = None,
    hours: float = 24,
    warmup: float = 0,
    interval_minutes: int = 60,
    capacity: int | None = None,
    service_levels: Sequence[float] = (20.0,),
) -> Scenario:
    """A one-queue, one-pool scenario with exponential handle time and patience.

    Parameters
    ----------
    arrival_rate
        Calls per hour: a number (constant Poisson rate), or a list of rates, one per
        interval of *interval_minutes* from 00:00 (a time-varying profile; one day of
        entries repeats daily).
    aht
        Mean handle time, seconds (exponential).
    agents
        Agents: a number, or a list of headcounts per interval (like *arrival_rate*).
    patience
        Mean patience, seconds (exponential); ``None`` means callers never abandon
        (M/M/c, Erlang C); a number gives M/M/c+M (Erlang A).
    hours
        Length of the arrival period, hours.
    warmup
        Leading hours left out of the KPIs (for steady-state comparisons).
    interval_minutes
        Reporting interval (and the length of each profile entry), minutes.
    capacity
        Most waiting calls (``None`` = unlimited; 0 with no patience = Erlang B).
    service_levels
        Service-level thresholds, seconds.
    """
    interval = interval_minutes * 60.0
    if isinstance(arrival_rate, int | float):
        arrivals: dict[str, Any] = {"rate": float(arrival_rate)}
    else:
        arrivals = {"per_interval": [float(r) * interval / 3600.0 for r in arrival_rate],
                    "interval": interval}
    if isinstance(agents, int):
        staffing: dict[str, Any] = {"agents": agents}
    else:
        staffing = {"per_interval": [int(a) for a in agents], "interval": interval}
    call_type: dict[str, Any] = {"handle_time": {"dist": "exponential", "mean": aht}}
    if patience is not None:
        call_type["patience"] = {"dist": "exponential", "mean": patience}
    data = {
        "name": "erlang" + ("-a" if patience is not None else "-c"),
        "description": "one queue, one pool, exponential handle time and patience",
        "horizon": {"length": hours * 3600.0, "warmup": warmup * 3600.0,
                    "interval": interval},
        "call_types": {"calls": call_type},
        "arrivals": {**arrivals, "mix": {"calls": 1.0}},
        "pools": {"agents": {"skills": ["calls"], "staffing": staffing}},
        "queue": {"capacity": capacity},
        "kpis": {"service_levels": list(service_levels)},
    }
    return scenario_from_dict(data, source="<erlang_scenario>")
