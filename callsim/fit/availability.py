"""How available an idle agent is, learnt from which idle agent the ACD gave a call to.

Owns :func:`idle_segments` (each named agent's idle gaps between two of its calls on a
day, cut into idle-duration bins), :func:`availability` (the availability of an agent
by how long it has been idle) and :func:`available_level` (expected agents on the
phones over time). Imports numpy and pandas only.

The idea: when a call is answered at once (no wait), the ACD gave it to one of the
agents who were idle at that moment. Idle agents who are really away (a break, other
work, wrap-up after a call) are never chosen. If the ACD picks uniformly among the
agents who are available, an idle agent is chosen with probability proportional to
its availability ``a(g)``, where ``g`` is how long it has been idle. The choices made
at every immediate answer give ``a`` by maximum likelihood (a conditional logit with
one parameter per idle-duration bin, fitted by Newton's method on the counts of idle
agents per bin at each answer), scaled so that the most available bin is 1.

In the Anonymous Bank log (weekdays, February 1999), agents idle for 10 s to 3 min are
the most often chosen (0.86-1); those who finished a call less than 10 s ago about 0.29
as often (wrap-up), and availability falls to 0.69 at 3-5 min, 0.43 at 5-10 min, 0.28
at 10-15 min and about 0.2 beyond (breaks).

Expected agents on the phones at time t: agents in a call, plus (when nobody waits)
the sum of ``a(g)`` over idle agents; while a caller waits no idle agent is available
(the ACD would have given them the call), so only agents in a call count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BINS = np.array([0.0, 10.0, 20.0, 30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 900.0, 1800.0,
                 3600.0])
"""Edges (s) of the idle-duration bins; idle gaps of an hour or more count as away."""


def idle_segments(agent: np.ndarray, start: np.ndarray, end: np.ndarray, day: np.ndarray,
                  immediate: np.ndarray, bins: np.ndarray = BINS
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Idle gaps of named agents cut into bins of idle duration.

    Parameters
    ----------
    agent, start, end, day, immediate
        Per answered call: agent name ("" = unnamed, left out), service start and end
        (seconds on one time line), day index, and whether it was answered at once.

    Returns
    -------
    seg_start, seg_end, seg_bin
        Segments ``[start, end)`` of idle time and the bin of idle duration each lies in.
    choice_time, choice_bin
        For every gap that ended with an immediate answer by that agent: the answer's
        time and the bin of the gap's length (the chosen agent's idle duration).
    """
    named = agent != ""
    a, s, e, dd, imm = agent[named], start[named], end[named], day[named], immediate[named]
    order = np.lexsort((s, a))
    a, s, e, dd, imm = a[order], s[order], e[order], dd[order], imm[order]
    codes = pd.factorize(a)[0]
    ends = pd.Series(e).groupby(codes).cummax().to_numpy()  # overlapping records
    same = (codes[1:] == codes[:-1]) & (dd[1:] == dd[:-1])
    gs, ge = ends[:-1], s[1:]
    ok = same & (ge > gs) & (ge - gs < bins[-1])
    gs, ge, chosen = gs[ok], ge[ok], imm[1:][ok]
    parts_s, parts_e, parts_b = [], [], []
    for k in range(bins.size - 1):
        xs = gs + bins[k]
        xe = np.minimum(gs + bins[k + 1], ge)
        m = xe > xs
        parts_s.append(xs[m])
        parts_e.append(xe[m])
        parts_b.append(np.full(int(m.sum()), k))
    cbin = np.searchsorted(bins, ge[chosen] - gs[chosen], side="right") - 1
    return (np.concatenate(parts_s), np.concatenate(parts_e), np.concatenate(parts_b),
            ge[chosen], cbin)


def weighted_level(starts: np.ndarray, ends: np.ndarray, w: np.ndarray, at: np.ndarray
                    ) -> np.ndarray:
    """Sum of the weights of the intervals ``[start, end)`` covering each point of *at*."""
    o1 = np.argsort(starts, kind="stable")
    o2 = np.argsort(ends, kind="stable")
    c1 = np.concatenate(([0.0], np.cumsum(w[o1])))
    c2 = np.concatenate(([0.0], np.cumsum(w[o2])))
    return (c1[np.searchsorted(starts[o1], at, side="right")]
            - c2[np.searchsorted(ends[o2], at, side="right")])


def _counts_at(seg_start: np.ndarray, seg_end: np.ndarray, seg_bin: np.ndarray,
               at: np.ndarray, n_bins: int) -> np.ndarray:
    """Idle agents per bin at each time of *at* (events x bins, small whole numbers)."""
    out = np.zeros((at.size, n_bins), dtype=np.int32)
    for k in range(n_bins):
        m = seg_bin == k
        if m.any():
            s, e = np.sort(seg_start[m]), np.sort(seg_end[m])
            out[:, k] = (np.searchsorted(s, at, side="right")
                         - np.searchsorted(e, at, side="right"))
    return out


def availability(seg_start: np.ndarray, seg_end: np.ndarray, seg_bin: np.ndarray,
                 choice_time: np.ndarray, choice_bin: np.ndarray, n_bins: int = BINS.size - 1,
                 iterations: int = 100, tol: float = 1e-9) -> tuple[np.ndarray, int]:
    """Availability of an idle agent per idle-duration bin (max 1) and the events used.

    Maximum likelihood of the choices (see the module docstring) by Newton's method on
    the log-availabilities (a concave likelihood; steps halved until it rises). A bin
    never chosen gets 0; a bin never at risk takes the value of the bin before it.
    """
    n_events = int(choice_time.size)
    if n_events == 0 or seg_start.size == 0:
        return np.ones(n_bins), n_events
    # idle agents per bin just before each answer (the chosen one's gap ends at it)
    counts_at = _counts_at(seg_start, seg_end, seg_bin, choice_time - 1e-6, n_bins)
    seen = counts_at[np.arange(n_events), choice_bin] >= 1  # the chosen one among them
    informative = seen & (counts_at.sum(axis=1) > 1)  # a lone idle agent tells nothing
    chosen = np.bincount(choice_bin[informative], minlength=n_bins).astype(float)
    # events with the same idle agents per bin enter the likelihood alike: keep each
    # pattern once with its multiplicity
    patterns, mult = np.unique(counts_at[informative], axis=0, return_counts=True)
    del counts_at
    n_at = patterns.astype(float)
    mult = mult.astype(float)
    exposed = n_at.sum(axis=0) > 0
    free = np.flatnonzero((chosen > 0) & exposed)
    theta = np.full(n_bins, -np.inf)
    theta[free] = 0.0
    if free.size > 1:
        ref = free[int(np.argmax(chosen[free]))]
        var = np.array([k for k in free if k != ref])

        def loglik(t: np.ndarray) -> float:
            w = np.exp(t)
            return float(np.dot(chosen[free], t[free])
                         - np.dot(mult, np.log(n_at[:, free] @ w[free])))

        current = loglik(theta)
        scale = max(1.0, float(chosen.sum()))
        for _ in range(iterations):
            w = np.exp(theta)
            p = n_at[:, var] * w[var] / (n_at[:, free] @ w[free])[:, None]
            grad = chosen[var] - mult @ p
            if np.max(np.abs(grad)) < tol * scale:
                break
            hess = (p * mult[:, None]).T @ p - np.diag(mult @ p)
            step = np.linalg.solve(hess, -grad)
            for _half in range(40):
                trial = theta.copy()
                trial[var] += step
                new = loglik(trial)
                if new >= current:
                    theta, current = trial, new
                    break
                step = step / 2.0
            else:
                break  # no step improves: at the maximum to rounding
    a = np.where(np.isfinite(theta), np.exp(theta - np.max(theta[free])), 0.0)
    a[~exposed] = np.nan
    for k in range(n_bins):  # bins never at risk: the bin before
        if np.isnan(a[k]):
            a[k] = a[k - 1] if k > 0 else 1.0
    return a, n_events


def available_level(busy: np.ndarray, waiting: np.ndarray, idle_weighted: np.ndarray
                    ) -> np.ndarray:
    """Expected agents on the phones: in a call, plus the available idle ones when nobody
    waits."""
    return busy + np.where(waiting, 0.0, idle_weighted)
