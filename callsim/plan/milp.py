"""The shift-scheduling mixed-integer program (``scipy.optimize.milp``, HiGHS).

Owns :func:`cover_at_least_cost`: choose how many agents work each shift pattern so that
every slot's requirement is covered at the least cost, within each pattern's min/max
and the part-time limits. Imports numpy/scipy and the pattern type only; it must not
import anything that simulates.

The program, for one pool with patterns ``s`` (integer ``x_s`` agents each)::

    minimise    sum_s cost_s x_s + penalty * sum_j short_j
    subject to  sum_s cover[s, j] x_s + short_j >= required_j      for every slot j
                sum_{s part-time} x_s <= max_share * sum_s x_s
                sum_{s part-time} x_s <= max_part_time
                min_s <= x_s <= max_s,  short_j >= 0

``short_j`` lets the program say how far it falls short when the limits (a template's
``max``, the part-time share) make the requirement impossible; its penalty exceeds
the cost of any shift, so it is only used when nothing else works.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from callsim.errors import CallsimError, ConfigError
from callsim.plan.shifts import Pattern


@dataclass
class ShiftSolution:
    """The chosen shifts of one pool.

    Attributes
    ----------
    counts
        Agents per pattern (same order as the patterns given).
    covered
        Scheduled agents per slot (time averages: ``cover @ counts``).
    short
        Requirement the shifts cannot cover, per slot (0 when feasible).
    cost, hours
        Total cost and paid agent-hours.
    seconds
        Solver time.
    """

    counts: np.ndarray
    covered: np.ndarray
    short: np.ndarray
    cost: float
    hours: float
    status: str
    seconds: float

    @property
    def feasible(self) -> bool:
        """Whether every slot is covered."""
        return bool(np.all(self.short <= 1e-6))


def cover_at_least_cost(required: Sequence[float] | np.ndarray, patterns: Sequence[Pattern], *,
                        max_share: float = 1.0, max_part_time: int | None = None,
                        time_limit: float = 60.0) -> ShiftSolution:
    """Solve the program of the module docstring for one pool.

    Parameters
    ----------
    required
        Scheduled agents needed per slot.
    patterns
        The shifts the pool may staff.
    max_share, max_part_time
        Part-time limits (share of the pool's agents, number of agents).
    time_limit
        Solver time limit in seconds.

    Raises
    ------
    ConfigError
        If the templates' minimums cannot meet the part-time limits.
    CallsimError
        If the solver fails (not for an unreachable requirement: see ``short``).
    """
    req = np.asarray(required, dtype=float)
    n_j = req.size
    n_s = len(patterns)
    if n_s == 0:
        raise CallsimError("no shift pattern to choose from")
    cover = np.array([p.cover for p in patterns], dtype=float)  # (n_s, n_j)
    if cover.shape[1] != n_j:
        raise ValueError("patterns and requirement have different slots")
    cost = np.array([p.cost for p in patterns], dtype=float)
    penalty = 10.0 * (float(cost.max()) + 1.0) * max(1.0, float(cover.sum(axis=1).max()))
    c = np.concatenate([cost, np.full(n_j, penalty)])
    rows = [np.hstack([cover.T, np.eye(n_j)])]
    lbs = [req]
    ubs = [np.full(n_j, np.inf)]
    pt = np.array([p.part_time for p in patterns], dtype=float)
    if pt.any():
        if max_share < 1.0:
            rows.append(np.concatenate([pt - max_share, np.zeros(n_j)])[None, :])
            lbs.append(np.array([-np.inf]))
            ubs.append(np.array([0.0]))
        if max_part_time is not None:
            rows.append(np.concatenate([pt, np.zeros(n_j)])[None, :])
            lbs.append(np.array([-np.inf]))
            ubs.append(np.array([float(max_part_time)]))
    A = np.vstack(rows)
    lo = np.concatenate([[float(p.lo) for p in patterns], np.zeros(n_j)])
    hi = np.concatenate([[np.inf if p.hi is None else float(p.hi) for p in patterns],
                         np.full(n_j, np.inf)])
    integrality = np.concatenate([np.ones(n_s), np.zeros(n_j)])
    t0 = time.perf_counter()
    res = milp(c, constraints=LinearConstraint(A, np.concatenate(lbs), np.concatenate(ubs)),
               integrality=integrality, bounds=Bounds(lo, hi),
               options={"time_limit": time_limit, "disp": False})
    took = time.perf_counter() - t0
    if res.x is None:
        if res.status == 2:  # infeasible: the templates' minimums break the part-time limits
            raise ConfigError("shift templates: no schedule satisfies the templates' min and "
                              f"the part-time limits together (max_share {max_share:g}, "
                              f"max_agents {max_part_time}); lower a part-time template's "
                              "min or raise the limits")
        raise CallsimError(f"the shift program found no solution ({res.message})")
    counts = np.rint(res.x[:n_s]).astype(np.int64)
    covered = cover.T @ counts
    short = np.maximum(req - covered, 0.0)
    short[short < 1e-6] = 0.0
    return ShiftSolution(counts=counts, covered=covered, short=short,
                         cost=float(cost @ counts),
                         hours=float(np.dot([p.hours for p in patterns], counts)),
                         status=str(res.message), seconds=took)
