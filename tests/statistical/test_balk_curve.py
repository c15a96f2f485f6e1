"""Callers told their position balk with the probability the announcement's curve gives."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import callsim
from callsim.config import scenario_from_dict

# the exact queue reconstruction of the unit tests
_spec = importlib.util.spec_from_file_location(
    "balking_unit", Path(__file__).resolve().parents[1] / "unit" / "test_balking.py")
assert _spec is not None and _spec.loader is not None
unit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(unit)


def curve(position: np.ndarray) -> np.ndarray:
    """The configured points [[1, 0], [6, 0.5]]: 0.1 per caller ahead, at most 0.5."""
    return np.clip(0.1 * (position - 1), 0.0, 0.5)


@pytest.mark.slow
@pytest.mark.statistical
def test_balk_share_by_announced_position_follows_the_curve() -> None:
    data = {
        "name": "balk-curve",
        "horizon": {"length": "5d", "interval": "60min"},
        "call_types": {"a": {"handle_time": {"dist": "exponential", "mean": 180},
                             "patience": {"dist": "exponential", "mean": 300},
                             "announce": {"mode": "position",
                                          "balk": [[1, 0.0], [6, 0.5]]}}},
        "arrivals": {"rate": 66, "mix": {"a": 1.0}},  # load 1.1 on 3 agents
        "pools": {"team": {"skills": ["a"], "staffing": 3}},
    }
    res = callsim.simulate(scenario_from_dict(data), seed=17, record_calls=True)
    calls = res.calls
    assert calls is not None
    heard = unit.announced(calls).to_numpy()
    position = unit.waiting_ahead(calls)[heard] + 1
    balked = (calls.outcome == "balked").to_numpy()[heard]
    assert res.kpis["balked"] == balked.sum()
    assert not balked[position == 1].any()  # probability 0: exactly none
    chi2, groups = 0.0, 0
    for pos in range(2, position.max() + 1):
        sel = position == pos
        n, p = int(sel.sum()), float(curve(np.array(pos)))
        if n < 30:
            continue
        chi2 += (balked[sel].sum() - n * p) ** 2 / (n * p * (1 - p))
        groups += 1
    assert groups >= 5
    assert stats.chi2.sf(chi2, groups) > 0.001, (chi2, groups)
    # the announcement matters: ignoring it (no balks) would be far off
    expected = curve(position).sum()
    assert expected > 500 and abs(balked.sum() - expected) < 4 * np.sqrt(expected)
