"""Routing policies, overflow, reservation, redials, callbacks, transfers out, absence."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from scipy import stats

import callsim
from callsim.config import scenario_from_dict

TWO: dict[str, Any] = {
    "name": "two-pools",
    "horizon": {"length": "12h", "interval": "60min"},
    "call_types": {
        "a": {"handle_time": {"dist": "exponential", "mean": 180},
              "patience": {"dist": "exponential", "mean": 120}},
        "b": {"handle_time": {"dist": "exponential", "mean": 180},
              "patience": {"dist": "exponential", "mean": 120}},
    },
    "arrivals": {"rate": 200, "mix": {"a": 0.5, "b": 0.5}},
    "pools": {"pa": {"skills": ["a"], "staffing": 5}, "pb": {"skills": ["b"], "staffing": 5}},
}


def make(**changes: Any) -> callsim.Scenario:
    return scenario_from_dict(copy.deepcopy(TWO), overrides=changes or None)


def kpis(sc: callsim.Scenario, seed: int = 3) -> dict[str, float]:
    return callsim.simulate(sc, seed=seed).flat_kpis()


def same(x: dict[str, float], y: dict[str, float], keys: list[str]) -> bool:
    return all(x[k] == y[k] or (np.isnan(x[k]) and np.isnan(y[k])) for k in keys)


KEYS = ["arrivals", "answered", "abandoned", "asa", "sl_20", "mean_queue", "occupancy",
        "type.a.answered", "type.b.asa"]


def test_overflow_after_zero_equals_full_pooling() -> None:
    pooled = make(**{"pools.pa.skills": ["a", "b"], "pools.pb.skills": ["b", "a"],
                     "routing": {"a": ["pa", "pb"], "b": ["pb", "pa"]}})
    overflow0 = make(**{"pools.pa.skills": ["a", "b"], "pools.pb.skills": ["b", "a"],
                        "routing": {"a": ["pa", {"pool": "pb", "after": 0}],
                                    "b": ["pb", {"pool": "pa", "after": 0}]}})
    assert same(kpis(pooled), kpis(overflow0), KEYS)


def test_overflow_after_infinity_equals_separate_pools() -> None:
    separate = make()
    never = make(**{"pools.pa.skills": ["a", "b"], "pools.pb.skills": ["b", "a"],
                    "routing": {"a": ["pa", {"pool": "pb", "after": 1e12}],
                                "b": ["pb", {"pool": "pa", "after": 1e12}]}})
    assert same(kpis(separate), kpis(never), KEYS)


def test_overflow_helps_in_between() -> None:
    separate = kpis(make())
    pooled = kpis(make(**{"pools.pa.skills": ["a", "b"], "pools.pb.skills": ["b", "a"]}))
    mid = kpis(make(**{"pools.pa.skills": ["a", "b"], "pools.pb.skills": ["b", "a"],
                       "routing": {"a": ["pa", {"pool": "pb", "after": 30}],
                                   "b": ["pb", {"pool": "pa", "after": 30}]}}))
    assert separate["answer_rate"] < mid["answer_rate"]
    # calls waited at least 30 s before the other pool could take them
    assert mid["answer_rate"] <= pooled["answer_rate"] + 0.01


def test_priority_policy_serves_the_high_priority_type_first() -> None:
    sc = make(**{"pools": {"both": {"skills": ["a", "b"], "staffing": 9,
                                    "policy": "priority"}},
                 "call_types.a.priority": 5})
    k = kpis(sc)
    assert k["type.a.asa"] < k["type.b.asa"]
    assert k["type.a.answer_rate"] > k["type.b.answer_rate"]


def test_longest_weighted_wait_favours_the_heavier_queue() -> None:
    sc = make(**{"pools": {"both": {"skills": ["a", "b"], "staffing": 9}},
                 "call_types.a.wait_weight": 4.0})
    k = kpis(sc)
    assert k["type.a.asa"] < k["type.b.asa"]


def test_reservation_keeps_agents_for_the_reserved_type() -> None:
    """With 3 agents kept for a, b is only answered while more than 3 are idle."""
    base = {"pools": {"both": {"skills": ["a", "b"], "staffing": 10}}}
    free = kpis(make(**base))
    kept = kpis(make(**base, **{"pools.both.reserve": {"a": 3}}))
    assert kept["type.a.asa"] < free["type.a.asa"]
    assert kept["type.b.asa"] > free["type.b.asa"]


def test_redials_are_new_calls_of_the_same_caller() -> None:
    sc = make(**{"redials": {"after_abandon": 0.8, "delay": 120, "max_attempts": 4},
                 "pools.pa.staffing": 3})
    res = callsim.simulate(sc, seed=5, record_calls=True)
    calls = res.calls
    assert calls is not None
    k = res.kpis
    assert calls.call_id.is_unique and len(calls) == k["arrivals"]
    assert k["redials"] == (calls.attempt > 1).sum() > 0
    assert k["callers"] == (calls.attempt == 1).sum()
    for _, att in calls.groupby("caller"):
        att = att.sort_values("attempt")
        assert list(att.attempt) == list(range(1, len(att) + 1))
        assert att.call_type.nunique() == 1
        # each attempt starts 120 s after the previous one ended (abandoned)
        prev = att.iloc[:-1]
        assert (prev.outcome.isin(["abandoned", "short_abandon"])).all()
        assert np.allclose(att.arrival.iloc[1:].to_numpy(), prev.ended_at.to_numpy() + 120)
    assert k["caller_answer_rate"] >= k["answer_rate"]
    assert 0 < k["redial_share"] < 1


def test_callbacks_are_never_lost() -> None:
    sc = make(**{"pools.cb": {"skills": ["a", "b"], "staffing": {"shifts": [
                    {"start": "06:00", "end": "09:00", "agents": 2}]}},
                 "routing": {"a": ["pa"], "b": ["pb"]},
                 "callbacks": {"offer_when_waiting": 2, "accept": 0.6, "pool": "cb"},
                 "pools.pa.staffing": 3})
    res = callsim.simulate(sc, seed=2, record_calls=True)
    calls = res.calls
    k = res.kpis
    assert calls is not None
    assert k["callbacks_accepted"] > 0
    assert k["callbacks_accepted"] == k["callbacks_completed"] + k["callbacks_open"]
    done = calls[calls.outcome == "callback"]
    assert (done.pool == "cb").all()
    assert (done.answered_at >= done.ended_at).all()  # called back after hanging up
    # the callback team works 06:00-09:00 only
    clock = done.answered_at % 86400
    assert ((clock >= 6 * 3600) & (clock <= 9 * 3600)).all()
    offered = calls.callback_offered.sum()
    assert k["callbacks_offered"] == offered
    accepted = calls.outcome.isin(["callback", "callback_open"]).sum()
    assert stats.binomtest(int(accepted), int(offered), 0.6).pvalue > 0.001
    assert sum((calls.outcome == o).sum() for o in calls.outcome.unique()) == k["arrivals"]


def test_transfers_out_and_first_contact_resolution() -> None:
    sc = make(**{"call_types.a.transfer_out": 0.108, "call_types.b.transfer_out": 0.108,
                 "call_types.a.transfer_out_time": 45})
    res = callsim.simulate(sc, seed=8, record_calls=True)
    k = res.kpis
    calls = res.calls
    assert calls is not None
    ans = calls[calls.outcome == "answered"]
    out = int(ans.transferred_out.sum())
    assert k["transferred_out"] == out
    assert k["fcr"] == pytest.approx(1 - out / len(ans))
    assert stats.binomtest(out, len(ans), 0.108).pvalue > 0.001
    a_out = ans[(ans.call_type == "a") & ans.transferred_out]
    # the caller stays on the line through the 45 s transfer
    assert (a_out.ended_at - a_out.answered_at >= 45).all()


def test_absenteeism_zero_is_the_schedule_and_positive_removes_agents() -> None:
    shifts = {"shifts": [{"start": "00:00", "end": "06:00", "agents": 6},
                         {"start": "06:00", "end": "12:00", "agents": 8}]}
    plain = callsim.simulate(make(**{"pools.pa.staffing": shifts}), seed=1)
    zero = callsim.simulate(make(**{"pools.pa.staffing": shifts,
                                    "pools.pa.absenteeism": 0.0}), seed=1)
    assert plain.by_pool.loc["pa", "mean_staffed"] == 7.0
    assert zero.by_pool.loc["pa", "mean_scheduled"] == zero.by_pool.loc["pa", "mean_staffed"]
    assert same(plain.flat_kpis(), zero.flat_kpis(), KEYS)
    absent = [callsim.simulate(make(**{"pools.pa.staffing": shifts,
                                       "pools.pa.absenteeism": 0.25}), seed=s)
              for s in range(30)]
    staffed = np.array([r.by_pool.loc["pa", "mean_staffed"] for r in absent])
    assert (staffed <= 7.0).all()
    # each scheduled agent absent with probability 0.25: mean staffed = 0.75 * 7
    assert abs(staffed.mean() - 5.25) < 4 * staffed.std(ddof=1) / np.sqrt(staffed.size)
    agents = absent[0].agents
    assert {"scheduled", "staffed", "busy"} <= set(agents.columns)


def test_shrinkage_takes_a_share_off_the_phones() -> None:
    res = callsim.simulate(make(**{"pools.pa.staffing": 10, "pools.pa.shrinkage": 0.2}))
    assert res.by_pool.loc["pa", "mean_staffed"] == 8.0
    assert res.by_pool.loc["pa", "mean_scheduled"] == 10.0


def test_transfer_to_another_queue_is_a_new_leg_of_the_same_caller() -> None:
    """Medical questions put through to a nurses' pool: a second, internal leg."""
    data = copy.deepcopy(TWO)
    data["call_types"]["nurse"] = {"handle_time": {"dist": "exponential", "mean": 300},
                                   "patience": {"dist": "exponential", "mean": 600}}
    data["arrivals"]["mix"]["nurse"] = 0.0
    data["pools"]["nurses"] = {"skills": ["nurse"], "staffing": 2}
    data["call_types"]["a"].update({"transfer_to": "nurse", "transfer_share": 0.2,
                                    "transfer_out_time": 20})
    res = callsim.simulate(scenario_from_dict(data), seed=4, record_calls=True)
    k = res.kpis
    calls = res.calls
    assert calls is not None
    legs = calls[calls.internal]
    firsts = calls[calls.transferred_internal]
    horizon = 12 * 3600
    # KPIs count calls arriving in the period; a leg arrives when the first call ends
    assert k["transfers_in"] == (legs.arrival < horizon).sum() > 0
    assert k["transferred_internal"] == (firsts.arrival < horizon).sum()
    assert len(firsts) == len(legs)
    assert (legs.call_type == "nurse").all()
    by_id = firsts.set_index("call_id")
    for _, leg in legs.iterrows():
        first = by_id.loc[leg.caller]
        # the agent talked, spent 20 s putting the caller through, then the leg began
        assert leg.arrival == pytest.approx(first.ended_at, abs=1e-6)
        assert leg.arrival >= first.answered_at + 20
    assert (legs[legs.outcome == "answered"].pool == "nurses").all()
    # counts: every call has one outcome; arrivals count calls to the number only
    assert (calls.arrival < horizon).sum() == k["arrivals"] + k["transfers_in"]
    ans_a = calls[(calls.call_type == "a") & (calls.outcome == "answered")]
    assert stats.binomtest(len(firsts), len(ans_a), 0.2).pvalue > 0.001
    assert k["fcr"] == pytest.approx(1 - len(firsts) / k["answered"])
