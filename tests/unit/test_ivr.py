"""The IVR menu: path times, option shares, misroutes, config errors, paired comparison."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from scipy import stats

import callsim
from callsim.config import scenario_from_dict
from callsim.experiment import compare

BASE: dict[str, Any] = {
    "name": "menu",
    "horizon": {"length": "8h", "interval": "60min"},
    "call_types": {
        "a": {"handle_time": {"dist": "exponential", "mean": 60},
              "patience": {"dist": "exponential", "mean": 300}},
        "b": {"handle_time": {"dist": "exponential", "mean": 60},
              "patience": {"dist": "exponential", "mean": 300}},
    },
    "arrivals": {"rate": 600, "mix": {"a": 0.5, "b": 0.5}},
    "pools": {"pa": {"skills": ["a"], "staffing": 20}, "pb": {"skills": ["b"], "staffing": 20}},
    "ivr": {
        "root": "main",
        "nodes": {
            "main": {"prompt": 12, "options": {"1": {"queue": "a"}, "2": {"goto": "sub"}}},
            "sub": {"prompt": {"dist": "deterministic", "value": 7},
                    "options": {"1": {"queue": "b"}, "2": {"queue": "b"}}},
        },
    },
}


def scenario(**changes: Any) -> callsim.Scenario:
    data = copy.deepcopy(BASE)
    return scenario_from_dict(data, overrides=changes or None)


def test_ivr_time_is_the_sum_of_prompts_on_the_path() -> None:
    """With no errors or hang-ups, a caller's time in the IVR is the sum of its prompts."""
    res = callsim.simulate(scenario(), seed=1, record_calls=True)
    calls = res.calls
    assert calls is not None
    a = calls[calls.call_type == "a"]
    b = calls[calls.call_type == "b"]
    assert np.allclose(a.ivr_time, 12.0)
    assert np.allclose(b.ivr_time, 19.0)
    assert np.allclose(a.queued_at - a.arrival, 12.0)
    # every caller reached the queue of their intent
    assert (calls.queue == calls.call_type).all()
    assert res.kpis["misroutes"] == 0
    share_a = (a.arrival >= 0).sum() / len(calls)
    assert res.kpis["ivr_time"] == pytest.approx(12 * share_a + 19 * (1 - share_a), rel=1e-9)


def test_option_shares_match_weights_chi_square() -> None:
    """Callers split between two keys leading to their intent in proportion to weights."""
    sc = scenario(**{"ivr.nodes.sub.options": {"1": {"queue": "b", "weight": 3},
                                               "2": {"queue": "a", "intents": ["b"]},
                                               "3": {"queue": "b", "weight": 1}},
                     "pools.pa.skills": ["a", "b"]})
    res = callsim.simulate(sc, seed=3, record_calls=True)
    calls = res.calls
    assert calls is not None
    b = calls[calls.call_type == "b"]
    counts = np.array([(b.queue == "b").sum(), (b.queue == "a").sum()])
    # weights: key 1 = 3, key 2 = 1 (default), key 3 = 1 -> queue b 4/5, queue a 1/5
    expected = counts.sum() * np.array([0.8, 0.2])
    assert stats.chisquare(counts, expected).pvalue > 0.001


def test_error_and_hangup_rates_match_config() -> None:
    """Wrong keys at the root and hang-ups happen at the configured rates (binomial)."""
    sc = scenario(**{"ivr.nodes.main.error_rate": 0.1, "ivr.nodes.main.hangup": 0.05,
                     "pools.pa.skills": ["a", "b"], "pools.pb.skills": ["b", "a"]})
    res = callsim.simulate(sc, seed=5, record_calls=True)
    calls = res.calls
    assert calls is not None
    n = len(calls)
    hang = (calls.outcome == "ivr_hangup").sum()
    assert stats.binomtest(int(hang), n, 0.05).pvalue > 0.001
    reached = calls[calls.outcome != "ivr_hangup"]
    wrong = (reached.queue != reached.call_type).sum()
    assert stats.binomtest(int(wrong), len(reached), 0.1).pvalue > 0.001
    assert res.kpis["misroutes"] == wrong
    # multi-skill pools answer misrouted callers without a transfer
    assert res.kpis["transfers"] == 0


def test_misroutes_transfer_and_conserve_calls() -> None:
    """A misrouted caller is answered, transferred, and waits again; counts add up."""
    sc = scenario(**{"ivr.nodes.main.error_rate": 0.2, "misroute.transfer_time": 30})
    res = callsim.simulate(sc, seed=7, record_calls=True)
    calls = res.calls
    k = res.kpis
    assert calls is not None
    outcomes = calls.outcome.value_counts().to_dict()
    assert sum(outcomes.values()) == k["arrivals"] == len(calls)
    assert calls.call_id.is_unique
    assert k["misroutes"] == calls.misrouted.sum() > 0
    assert 0 < k["transfers"] <= k["misroutes"]
    # transferred callers end up in their own queue; their wait counts both queues
    moved = calls[calls.misrouted & (calls.outcome == "answered")]
    assert (moved.queue == moved.call_type).all()
    assert (moved.prior_wait >= 0).all()
    assert (moved.wait >= moved.prior_wait).all()
    assert k["answered"] + k["abandoned"] + k["unfinished"] == k["offered"]


def test_self_service_and_disconnect_outcomes() -> None:
    sc = scenario(**{"ivr.nodes.sub.options": {"1": {"queue": "b"},
                                               "8": {"self_service": {"b": 0.3}},
                                               "9": {"disconnect": True, "weight": 1}},
                     "ivr.nodes.main.timeout_rate": 0.1, "ivr.nodes.main.max_repeats": 0})
    res = callsim.simulate(sc, seed=2, record_calls=True)
    calls = res.calls
    assert calls is not None
    b = calls[calls.call_type == "b"]
    # b callers reaching the sub-menu: 90 % of them (10 % time out at the root)
    selfs = (b.outcome == "self_served").sum()
    reached_sub = (b.outcome != "disconnected").sum()
    assert stats.binomtest(int(selfs), int(reached_sub), 0.3).pvalue > 0.001
    assert res.kpis["self_served"] == selfs
    timeouts = (calls.outcome == "disconnected").sum()
    assert stats.binomtest(int(timeouts), len(calls), 0.1).pvalue > 0.001


def test_self_comparison_is_exactly_zero() -> None:
    sc = scenario(**{"ivr.nodes.main.error_rate": 0.1})
    comp = compare({"x": sc, "y": sc}, reps=3, seed=4)
    d = comp.differences()
    assert (d.difference == 0).all()
    assert (d.half_width == 0).all()
    assert not d.significant.any()


def test_designs_see_the_same_callers() -> None:
    """Common random numbers: two menus, same arrival times, intents and handle times."""
    one = scenario(**{"ivr.nodes.main.options": {"1": {"queue": "a"}, "2": {"queue": "b"}}})
    two = scenario(**{"ivr.nodes.main.error_rate": 0.05})
    c1 = callsim.simulate(one, seed=9, record_calls=True).calls
    c2 = callsim.simulate(two, seed=9, record_calls=True).calls
    assert c1 is not None and c2 is not None
    s1 = c1.sort_values("arrival").reset_index(drop=True)
    s2 = c2.sort_values("arrival").reset_index(drop=True)
    assert np.array_equal(s1.arrival.to_numpy(), s2.arrival.to_numpy())
    assert (s1.call_type == s2.call_type).all()


@pytest.mark.parametrize(("change", "needle"), [
    ({"ivr.nodes.sub.options": {"1": {"queue": "a"}}},
     "no menu path leads callers of b"),
    ({"ivr.nodes.main.options.2": {"goto": "nowhere"}},
     "ivr.nodes.main.options.2.goto: 'nowhere' is not a menu node"),
    ({"ivr.nodes.main.options.1": {"queue": "zz"}},
     "ivr.nodes.main.options.1.queue: 'zz' is not a call type"),
    ({"ivr.nodes.main.error_rate": 1.5}, "ivr.nodes.main.error_rate"),
    ({"ivr.nodes.main.hangup": -0.1}, "ivr.nodes.main.hangup"),
    ({"ivr.nodes.main.error_rate": 0.7, "ivr.nodes.main.timeout_rate": 0.5},
     "error_rate + timeout_rate"),
    ({"ivr.root": "start"}, "ivr.root: 'start' is not a menu node"),
    ({"ivr.nodes.main.on_timeout": "elsewhere"}, "ivr.nodes.main.on_timeout"),
    ({"ivr.nodes.sub.options.1": {"queue": "a", "intents": ["b"]}},
     "lacks the skill 'b'"),
])
def test_menu_errors_name_the_field(change: dict[str, Any], needle: str) -> None:
    with pytest.raises(callsim.ConfigError) as err:
        scenario(**change)
    assert needle in str(err.value)
