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
one parameter per idle-duration bin, fitted by the minorise-maximise updates of
Hunter (2004), vectorised over events), scaled so that the most available bin is 1.

In the Anonymous Bank log (weekdays, February 1999), agents idle for 10 s-2 min are
the most often chosen; those who finished a call less than 10 s ago are chosen about a
quarter as often (wrap-up), and availability falls to about 0.6 after 3 min, 0.35 after
5 min, 0.2 after 10 min and 0.1 after 15 min of idleness (breaks).

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


def availability(seg_start: np.ndarray, seg_end: np.ndarray, seg_bin: np.ndarray,
                 choice_time: np.ndarray, choice_bin: np.ndarray, n_bins: int = BINS.size - 1,
                 iterations: int = 500, tol: float = 1e-9) -> tuple[np.ndarray, int]:
    """Availability of an idle agent per idle-duration bin (max 1) and the events used.

    Maximum likelihood of the choices (see the module docstring). A bin never chosen
    gets 0; a bin never at risk takes the value of the bin before it.
    """
    n_events = int(choice_time.size)
    if n_events == 0 or seg_start.size == 0:
        return np.ones(n_bins), n_events
    at = choice_time - 1e-6  # the chosen agent's gap ends at the answer
    order = np.argsort(at, kind="stable")
    at = at[order]
    counts = np.bincount(choice_bin, minlength=n_bins).astype(float)
    a = np.ones(n_bins)
    for _ in range(iterations):
        denom = weighted_level(seg_start, seg_end, a[seg_bin], at)
        inv = np.concatenate(([0.0], np.cumsum(1.0 / np.maximum(denom, 1e-300))))
        per_seg = (inv[np.searchsorted(at, seg_end, side="left")]
                   - inv[np.searchsorted(at, seg_start, side="left")])
        exposure = np.bincount(seg_bin, per_seg, minlength=n_bins).astype(float)
        new = np.where(exposure > 0, counts / np.where(exposure > 0, exposure, 1.0), np.nan)
        top = np.nanmax(new) if np.isfinite(new).any() else 1.0
        new = new / top
        for k in range(n_bins):  # bins never at risk: the bin before
            if np.isnan(new[k]):
                new[k] = new[k - 1] if k > 0 else 1.0
        done = np.max(np.abs(new - a)) < tol
        a = new
        if done:
            break
    return a, n_events


def available_level(busy: np.ndarray, waiting: np.ndarray, idle_weighted: np.ndarray
                    ) -> np.ndarray:
    """Expected agents on the phones: in a call, plus the available idle ones when nobody
    waits."""
    return busy + np.where(waiting, 0.0, idle_weighted)
