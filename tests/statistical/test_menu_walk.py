"""The menu walk against the menu's exact absorbing Markov chain.

A caller's walk is a Markov chain on (node, repeats so far): each visit ends in a hang-up
(while the prompt plays, or after it), a timeout (the node repeats, or ``on_timeout``
applies), a wrong key, a self-service exit or a right key, with probabilities the menu
gives. Solving the chain gives, per intent, the exact probability of each way out
(each queue, hang-up, self-service, disconnect) and the mean time in the IVR. The
walker's callers (``MenuWalker.walk``) must match both, within Bonferroni-corrected
99 % bounds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

import callsim
from callsim.compiled.menu import DISCONNECT, GOTO, QUEUE, SELF, CompiledIvr
from callsim.config import scenario_from_dict
from callsim.engine.call import NO_OUTCOME, Outcome
from callsim.engine.menu import MenuWalker
from callsim.rng import Streams

U = (5.0, 10.0)  # the main prompt: uniform seconds

MENU: dict[str, Any] = {
    "name": "menu-walk",
    "horizon": {"length": "2h", "interval": "60min"},
    "call_types": {t: {"handle_time": 100, "patience": 100} for t in "abcd"},
    "arrivals": {"rate": 100, "mix": {"a": 0.25, "b": 0.25, "c": 0.25, "d": 0.25}},
    "pools": {"p": {"skills": ["a", "b", "c", "d"], "staffing": 5}},
    "ivr": {"root": "main", "nodes": {
        "main": {"prompt": {"dist": "uniform", "low": U[0], "high": U[1]},
                 "decision": {"dist": "exponential", "mean": 2}, "error_rate": 0.2,
                 "timeout_rate": 0.15, "max_repeats": 2, "on_timeout": "sub2",
                 "hangup_hazard": 0.01, "hangup": 0.05,
                 "options": {"1": {"queue": "a", "weight": 2}, "2": {"goto": "sub1"},
                             "3": {"queue": "a", "weight": 1}, "4": {"goto": "sub2"},
                             "5": {"self_service": {"a": 0.3, "b": 0.1}}}},
        "sub1": {"prompt": 4, "error_rate": 0.3, "timeout_rate": 0.3, "max_repeats": 0,
                 "on_timeout": "main",
                 "options": {"1": {"queue": "b"}, "2": {"queue": "c", "intents": ["c", "b"]},
                             "9": {"disconnect": True}}},
        "sub2": {"prompt": {"dist": "uniform", "low": 1, "high": 3}, "error_rate": 0.1,
                 "timeout_rate": 0.2, "max_repeats": 1, "on_timeout": "disconnect",
                 "hangup": 0.1, "options": {"1": {"queue": "d"}, "2": {"goto": "main"}}},
    }},
}
PROMPT_MEAN = {"main": sum(U) / 2, "sub1": 4.0, "sub2": 2.0}
DECISION_MEAN = {"main": 2.0, "sub1": 0.0, "sub2": 0.0}
N = 100_000


def _hazard_terms(name: str, h: float) -> tuple[float, float]:
    """(P(no hang-up while the prompt plays), E[min(prompt, hang-up time)])."""
    if h == 0.0:
        return 1.0, PROMPT_MEAN[name]
    if name == "main":  # uniform prompt
        a, b = U
        survive = (math.exp(-h * a) - math.exp(-h * b)) / (h * (b - a))
    else:
        raise AssertionError("the hazard is only on the main node here")
    return survive, (1.0 - survive) / h


def exact(ivr: CompiledIvr, intent: int) -> tuple[dict[tuple[int, int], float], float]:
    """Exact probabilities of each (outcome, queue) and the mean IVR time of *intent*."""
    nodes = ivr.nodes
    states = [(i, r) for i, n in enumerate(nodes) for r in range(n.max_repeats + 1)]
    index = {s: j for j, s in enumerate(states)}
    ends: dict[tuple[int, int], int] = {}
    S = len(states)
    P = np.zeros((S, S))
    R: list[dict[int, float]] = [{} for _ in range(S)]  # absorbing probabilities
    visit = np.zeros(S)  # expected time of one visit

    def end(key: tuple[int, int]) -> int:
        return ends.setdefault(key, len(ends))

    def action(j: int, kind: int, target: int, p: float) -> None:
        if kind == QUEUE:
            R[j][end((NO_OUTCOME, target))] = R[j].get(end((NO_OUTCOME, target)), 0.0) + p
        elif kind == GOTO:
            P[j, index[(target, 0)]] += p
        elif kind == SELF:
            e = end((int(Outcome.SELF_SERVED), -1))
            R[j][e] = R[j].get(e, 0.0) + p
        else:
            assert kind == DISCONNECT
            e = end((int(Outcome.DISCONNECTED), -1))
            R[j][e] = R[j].get(e, 0.0) + p

    hang = end((int(Outcome.IVR_HANGUP), -1))
    for j, (i, r) in enumerate(states):
        n = nodes[i]
        survive, t_prompt = _hazard_terms(n.name, n.hazard)
        go_on = survive * (1.0 - n.hangup)  # still there when the key is due
        R[j][hang] = 1.0 - go_on
        visit[j] = t_prompt + go_on * DECISION_MEAN[n.name]
        if r + 1 <= n.max_repeats:
            P[j, index[(i, r + 1)]] += go_on * n.timeout_rate
        else:
            action(j, *n.on_timeout, go_on * n.timeout_rate)
        wrong, ok = n.wrong[intent], n.correct[intent]
        p_wrong = n.error_rate if wrong else 0.0
        for o in wrong:
            action(j, *n.actions[o], go_on * p_wrong / len(wrong))
        p_right = go_on * (1.0 - n.timeout_rate - p_wrong)
        so, share = n.self_option[intent]
        if so >= 0:
            action(j, *n.actions[so], p_right * share)
            p_right *= 1.0 - share
        if ok:
            cw = np.diff(np.concatenate(([0.0], n.correct_cw[intent])))
            for o, w in zip(ok, cw, strict=True):
                action(j, *n.actions[o], p_right * w)
        else:  # lost: any key
            for a in n.actions:
                action(j, *a, p_right / len(n.actions))
    A = np.zeros((S, len(ends)))
    for j, row in enumerate(R):
        for e, p in row.items():
            A[j, e] = p
    fundamental = np.linalg.inv(np.eye(S) - P)
    absorb = fundamental @ A
    mean_time = (fundamental @ visit)[index[(0, 0)]]
    keys = sorted(ends, key=ends.__getitem__)
    return {k: float(absorb[index[(0, 0)], ends[k]]) for k in keys}, float(mean_time)


@pytest.mark.statistical
def test_menu_walk_matches_the_exact_chain() -> None:
    cs = callsim.compile(scenario_from_dict(MENU))
    assert cs.ivr is not None
    K = len(cs.call_types)
    checks: list[tuple[str, float, float, float]] = []  # (what, estimate, exact, se)
    for k in range(K):
        walker = MenuWalker(cs.ivr, Streams(1, k))
        walks = [walker.walk(k) for _ in range(N)]
        out, q, t = (np.array(x) for x in zip(*walks, strict=True))
        probs, mean_t = exact(cs.ivr, k)
        assert abs(sum(probs.values()) - 1.0) < 1e-12
        seen = set(zip(out.tolist(), q.tolist(), strict=True))
        assert seen <= set(probs), f"intent {k}: ways out the chain does not have"
        for (o, queue), p in probs.items():
            est = float(np.mean((out == o) & (q == queue)))
            checks.append((f"intent {k} -> {(o, queue)}", est, p, math.sqrt(p * (1 - p) / N)))
        checks.append((f"intent {k} mean IVR time", float(t.mean()), mean_t,
                       float(t.std(ddof=1)) / math.sqrt(N)))
    z = stats.norm.ppf(1 - 0.01 / (2 * len(checks)))  # family-wise 99 %
    bad = [(w, est, want) for w, est, want, se in checks if abs(est - want) > z * se + 1e-12]
    assert not bad, bad
    assert len(checks) > 25
