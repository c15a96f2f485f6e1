"""Warnings for scenarios that run but are almost surely not what was meant.

Owns :func:`scenario_warnings`: each warning is one line naming the field, what was
found and why it looks wrong. ``callsim validate`` and ``callsim run`` print them;
``callsim validate --strict`` turns them into errors. The checks:

* a menu node that disconnects most of the callers who reach it (a ``disconnect``
  option they press, ``on_timeout: disconnect`` after timeouts, or a loop — e.g. a
  timeout that goes back to the same node with ``timeout_rate: 1`` — that runs until the
  walk is cut after :data:`MAX_MENU_VISITS` visits); computed exactly from the menu's
  Markov chain per intent, weighted by each call type's expected arrivals;
* a pool that never has an agent while call types it answers have arrivals;
* a handle-time, after-call-work or patience distribution (``by_time`` blocks included)
  whose sampled mean is far from its stated mean, or that overflows (e.g. Weibull
  ``shape: 0.001``);
* a trace (``arrivals.trace``) whose days do not match the horizon: calls left out, or
  days after the trace with no calls.

Imports :mod:`callsim.compiled` modules, :mod:`callsim.distributions` and numpy only.
Randomness: one fixed :class:`numpy.random.SeedSequence`, so the warnings of a scenario
never change from one call to the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from callsim import distributions as d
from callsim.compiled.menu import DISCONNECT, GOTO, QUEUE, SELF, CompiledIvr, CompiledNode
from callsim.compiled.scenario import CompiledScenario

MAX_MENU_VISITS = 50
"""The engine cuts a caller's menu walk after this many node visits (engine.menu)."""
DISCONNECT_SHARE = 0.5
"""Warn about a node that disconnects more than this share of the callers reaching it."""
MEAN_SAMPLES = 100_000
"""Draws used to compare a distribution's sampled mean with its stated mean."""
MEAN_TOLERANCE = 0.25
"""Warn when the sampled mean is off by more than this share of the stated mean."""
_SEED = np.random.SeedSequence(20_240_917)


def scenario_warnings(cs: CompiledScenario) -> list[str]:
    """Lines ``"field.path: what looks wrong"`` for *cs*; empty when nothing does."""
    weights = np.asarray(cs.expected_arrivals(0.0, cs.horizon), dtype=float)
    out: list[str] = []
    if cs.ivr is not None:
        out += _menu_warnings(cs.ivr, weights)
    out += _pool_warnings(cs, weights)
    out += _distribution_warnings(cs)
    out += _trace_warnings(cs)
    return out


def _trace_warnings(cs: CompiledScenario) -> list[str]:
    """A trace whose days do not match the horizon (calls left out, or empty days)."""
    tr = cs.trace
    if tr is None:
        return []
    out: list[str] = []
    days = cs.horizon / 86400.0
    if tr.left_out:
        out.append(f"arrivals.trace: {tr.left_out:,} of the trace's calls fall outside the "
                   f"horizon ({days:g} days from {_hhmm(cs.clock_start)}; the trace has "
                   f"{tr.n_days} days) and are not replayed; is that meant?")
    elif days > tr.n_days + 1e-9:
        out.append(f"arrivals.trace: the horizon is {days:g} days but the trace has "
                   f"{tr.n_days}; the days after it have no calls; is that meant?")
    return out


def _hhmm(t: float) -> str:
    return f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}"


# ------------------------------------------------------------------------ menu


def _prompt_hangup(node: CompiledNode) -> float:
    """P(hang up while the prompt plays) = 1 - E[exp(-hazard x prompt length)]."""
    if node.hazard <= 0.0:
        return 0.0
    with np.errstate(all="ignore"):
        x = node.prompt.sample(np.random.default_rng(_SEED), 4096)
        return float(1.0 - np.mean(np.exp(-node.hazard * np.nan_to_num(x, posinf=1e300))))


class _Chain:
    """One intent's walk as a Markov chain over (node, repeats) states."""

    def __init__(self, ivr: CompiledIvr, k: int) -> None:
        nodes = ivr.nodes
        self.R = 1 + max(n.max_repeats for n in nodes)
        S = len(nodes) * self.R
        self.T = np.zeros((S, S))
        self.disc_option = np.zeros(S)
        self.disc_timeout = np.zeros(S)
        for i, node in enumerate(nodes):
            stay = (1.0 - _prompt_hangup(node)) * (1.0 - node.hangup)
            acts = self._key_probs(node, k)
            for r in range(node.max_repeats + 1):
                s = i * self.R + r
                t = node.timeout_rate
                if r + 1 <= node.max_repeats:
                    self.T[s, s + 1] += stay * t
                else:
                    self._act(s, i, node.on_timeout, stay * t, timeout=True)
                for opt, p in acts.items():
                    self._act(s, i, node.actions[opt], stay * (1.0 - t) * p, timeout=False)

    def _act(self, s: int, node: int, action: tuple[int, int], p: float, timeout: bool) -> None:
        kind, target = action
        if p <= 0.0 or kind in (QUEUE, SELF):
            return
        if kind == GOTO:
            self.T[s, target * self.R] += p
        elif kind == DISCONNECT:
            (self.disc_timeout if timeout else self.disc_option)[s] += p

    @staticmethod
    def _key_probs(node: CompiledNode, k: int) -> dict[int, float]:
        """P(option) given that the caller presses a key (no timeout)."""
        t = node.timeout_rate
        probs: dict[int, float] = {}
        wrong = node.wrong[k]
        e = node.error_rate / (1.0 - t) if t < 1.0 else 0.0
        if wrong:
            for o in wrong:
                probs[o] = probs.get(o, 0.0) + e / len(wrong)
        else:
            e = 0.0
        rest = 1.0 - e
        so, share = node.self_option[k]
        if so >= 0:
            probs[so] = probs.get(so, 0.0) + rest * share
            rest *= 1.0 - share
        ok = node.correct[k]
        if ok:
            cw = (0.0, *node.correct_cw[k])
            for j, o in enumerate(ok):
                probs[o] = probs.get(o, 0.0) + rest * (cw[j + 1] - cw[j])
        else:
            for o in range(len(node.actions)):
                probs[o] = probs.get(o, 0.0) + rest / len(node.actions)
        return probs

    def run(self, absorb: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Disconnect mass per state (option, timeout), mass cut by the visit limit per
        state, and (with *absorb*) the probability of ever entering that node."""
        S = self.T.shape[0]
        T = self.T
        if absorb is not None:
            T = T.copy()
            T[:, absorb * self.R] = 0.0  # entering the node ends the walk: counted
            into = self.T[:, absorb * self.R]
        if absorb == 0:  # every walk starts at the root
            return np.zeros(S), np.zeros(S), np.zeros(S), 1.0
        v = np.zeros(S)
        v[0] = 1.0
        reached = 0.0
        disc = np.zeros(S)
        tout = np.zeros(S)
        for _ in range(MAX_MENU_VISITS):
            disc += v * self.disc_option
            tout += v * self.disc_timeout
            if absorb is not None:
                reached += float(v @ into)
            v = v @ T
        return disc, tout, v, reached


@dataclass(frozen=True, slots=True)
class MenuLosses:
    """Per menu node (index order of the compiled menu), shares of all callers."""

    reach: np.ndarray
    """Callers who enter the node at least once."""
    option: np.ndarray
    """Disconnected there by pressing a ``disconnect`` option."""
    timeout: np.ndarray
    """Disconnected there after the last timeout (``on_timeout: disconnect``)."""
    cut: np.ndarray
    """Still walking after :data:`MAX_MENU_VISITS` visits, last seen there (disconnected)."""

    @property
    def disconnected(self) -> float:
        """Share of all callers the menu disconnects (hang-ups not included)."""
        return float(self.option.sum() + self.timeout.sum() + self.cut.sum())


def menu_losses(ivr: CompiledIvr, weights: np.ndarray) -> MenuLosses:
    """Exact disconnect shares of the menu walk (a Markov chain per intent), callers of
    each intent weighted by *weights* (e.g. expected arrivals per call type)."""
    N = len(ivr.nodes)
    total = float(np.sum(weights))
    w = np.asarray(weights, dtype=float) / total if total > 0 else np.zeros(len(weights))
    opt_d = np.zeros(N)
    tout_d = np.zeros(N)
    cut_d = np.zeros(N)
    reach = np.zeros(N)
    for k, wk in enumerate(w):
        if wk <= 0:
            continue
        chain = _Chain(ivr, k)
        disc, tout, cut, _ = chain.run()
        opt_d += wk * disc.reshape(N, chain.R).sum(axis=1)
        tout_d += wk * tout.reshape(N, chain.R).sum(axis=1)
        cut_d += wk * cut.reshape(N, chain.R).sum(axis=1)
        for n in range(N):
            reach[n] += wk * chain.run(absorb=n)[3]
    return MenuLosses(reach, opt_d, tout_d, cut_d)


def _menu_warnings(ivr: CompiledIvr, weights: np.ndarray) -> list[str]:
    losses = menu_losses(ivr, weights)
    reach, opt_d, tout_d, cut_d = losses.reach, losses.option, losses.timeout, losses.cut
    out: list[str] = []
    for n, node in enumerate(ivr.nodes):
        lost = opt_d[n] + tout_d[n] + cut_d[n]
        if reach[n] <= 1e-9 or lost / reach[n] <= DISCONNECT_SHARE:
            continue
        parts = []
        if cut_d[n] > 1e-9:
            kind, target = node.on_timeout
            how = (f"on_timeout goes back to {ivr.nodes[target].name!r}" if kind == GOTO
                   else "options lead back")
            parts.append(f"{cut_d[n] / reach[n]:.0%} caught in a loop ({how}, timeout_rate "
                         f"{node.timeout_rate:g}) until the walk is cut after "
                         f"{MAX_MENU_VISITS} menu visits")
        if tout_d[n] > 1e-9:
            tries = node.max_repeats + 1
            parts.append(f"{tout_d[n] / reach[n]:.0%} after {tries} timeout"
                         f"{'s' if tries != 1 else ''} "
                         f"(timeout_rate {node.timeout_rate:g}, on_timeout: disconnect)")
        if opt_d[n] > 1e-9:
            parts.append(f"{opt_d[n] / reach[n]:.0%} by pressing a disconnect option")
        out.append(f"ivr.nodes.{node.name}: {lost / reach[n]:.0%} of the callers who reach "
                   f"this node are disconnected there ({'; '.join(parts)}); is that meant?")
    return out


# ----------------------------------------------------------------------- pools


def _pool_warnings(cs: CompiledScenario, weights: np.ndarray) -> list[str]:
    out: list[str] = []
    for i, pool in enumerate(cs.pools):
        during = [h for t, h in zip(pool.change_times, pool.headcounts, strict=True)
                  if t < cs.horizon]
        peak = max(during, default=0) * (1.0 - pool.shrinkage) * (1.0 - pool.absenteeism)
        if round(peak) > 0:
            continue
        served = [k for k, route in enumerate(cs.routing) if i in route and weights[k] > 0]
        if not served:
            continue
        calls = sum(float(weights[k]) for k in served)
        names = ", ".join(cs.call_types[k].name for k in served)
        why = ("no agent is ever scheduled" if max(during, default=0) == 0 else
               "shrinkage/absenteeism take every scheduled agent off the phones")
        alone = [cs.call_types[k].name for k in served if cs.routing[k] == (i,)]
        extra = (f"; it is the only pool answering {', '.join(alone)}, whose callers can "
                 "only wait and abandon" if alone else "")
        out.append(f"pools.{pool.name}.staffing: {why} in this pool during the horizon, "
                   f"but the call types it answers ({names}) expect about {calls:,.0f} "
                   f"calls{extra}")
    return out


# --------------------------------------------------------------- distributions


def _stated_mean(dist: d.Distribution) -> float:
    try:
        return float(dist.mean)
    except (OverflowError, ValueError):
        return math.inf


def mean_problem(dist: d.Distribution) -> str | None:
    """Why *dist*'s samples do not have its stated mean, or None when they do."""
    if isinstance(dist, d.Never):
        return None
    stated = _stated_mean(dist)
    with np.errstate(all="ignore"):
        x = dist.sample(np.random.default_rng(_SEED), MEAN_SAMPLES)
        finite = bool(np.all(np.isfinite(x)))
        got = float(np.mean(x)) if finite else math.inf
    if not math.isfinite(stated) or not finite:
        return ("the distribution overflows: its mean or some draws are too large for a "
                "float (e.g. a Weibull shape far below 1); the simulated values are "
                "meaningless")
    if stated > 0 and abs(got / stated - 1.0) > MEAN_TOLERANCE:
        return (f"its stated mean is {stated:,.6g} s, but {MEAN_SAMPLES:,} draws average "
                f"{got:,.6g} s: the tail is so heavy that a run sees a different mean")
    return None


def _distribution_warnings(cs: CompiledScenario) -> list[str]:
    out: list[str] = []
    for ct in cs.call_types:
        for field, dist in (("handle_time", ct.handle), ("after_call_work", ct.acw),
                            ("patience", ct.patience)):
            if dist is None:
                continue
            problem = mean_problem(dist)
            if problem:
                out.append(f"call_types.{ct.name}.{field}: {problem}")
        for j, blk in enumerate(ct.blocks):
            for field, bd in (("handle_time", blk.handle), ("after_call_work", blk.acw),
                              ("patience", blk.patience)):
                problem = mean_problem(bd) if bd is not None else None
                if problem:
                    out.append(f"call_types.{ct.name}.by_time[{j}].{field}: {problem}")
    return out
