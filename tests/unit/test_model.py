"""The call-centre model: outcomes, randomness, shifts, blocking, KPI definitions.

Each test checks the model against the per-call records it produces (``record_calls``)
or against exact, hand-computed schedules; no simulation output is pinned as truth.
"""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import callsim
from callsim.analytic import erlang_b
from callsim.config import Scenario, deep_merge, scenario_from_dict

ALLOWED_OUTCOMES = {"answered", "abandoned", "blocked", "short_abandon", "unfinished"}

ONE_TYPE: dict[str, Any] = {
    "name": "one",
    "horizon": {"length": "6h", "interval": "30min"},
    "call_types": {
        "calls": {
            "handle_time": {"dist": "exponential", "mean": 180},
            "patience": {"dist": "exponential", "mean": 120},
        },
    },
    "arrivals": {"rate": 100, "mix": {"calls": 1.0}},
    "pools": {"agents": {"skills": ["calls"], "staffing": 5}},
    "kpis": {"service_levels": [20, 60]},
}

# three call types, two pools with overflow, ACW, a queue limit and short abandons
MULTI: dict[str, Any] = {
    "name": "multi",
    "horizon": {"length": "8h", "interval": "60min"},
    "call_types": {
        "a": {"handle_time": {"dist": "lognormal", "mean": 200, "cv": 0.8},
              "after_call_work": 15,
              "patience": {"dist": "weibull", "shape": 0.8, "scale": 90}},
        "b": {"handle_time": {"dist": "gamma", "mean": 120, "cv": 0.6},
              "patience": {"dist": "exponential", "mean": 60}},
        "c": {"handle_time": {"dist": "uniform", "low": 60, "high": 300},
              "patience": {"dist": "uniform", "low": 5, "high": 200}},
    },
    "arrivals": {"rate": 140, "mix": {"a": 0.5, "b": 0.3, "c": 0.2}},
    "pools": {
        "generalists": {"skills": ["a", "b", "c"], "staffing": 2},
        "specialists": {"skills": ["a", "b"], "staffing": 4},
    },
    "routing": {"a": ["specialists", "generalists"], "b": ["specialists", "generalists"]},
    "queue": {"capacity": 6, "short_abandon": 8},
    "kpis": {"service_levels": [20, 45]},
}


def make(data: dict[str, Any], **top: Any) -> Scenario:
    return scenario_from_dict(deep_merge(copy.deepcopy(data), top))


def sim(sc: Scenario, seed: int = 1, **kw: Any) -> callsim.ReplicationResult:
    return callsim.simulate(sc, seed=seed, record_calls=True, **kw)


def left_queue(calls: pd.DataFrame) -> np.ndarray:
    ans = calls["outcome"].to_numpy() == "answered"
    return np.where(ans, calls["answered_at"].to_numpy(), calls["ended_at"].to_numpy())


def kpis_equal(a: dict[str, float], b: dict[str, float]) -> bool:
    if a.keys() != b.keys():
        return False
    return all((math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


def recompute(calls: pd.DataFrame, warmup: float, horizon: float,
              thresholds: tuple[float, ...]) -> dict[str, float]:
    """The call-count KPIs, straight from their written definitions on per-call records."""
    arr = calls["arrival"].to_numpy()
    m = calls[(arr >= warmup) & (arr < horizon)]
    out = m["outcome"].to_numpy()
    wait = (left_queue(m) - m["queued_at"].to_numpy())
    answered = out == "answered"
    offered = np.isin(out, ["answered", "abandoned", "unfinished"])
    n_ans, n_off = answered.sum(), offered.sum()
    r: dict[str, float] = {
        "arrivals": len(m),
        "offered": n_off,
        "blocked": (out == "blocked").sum(),
        "short_abandons": (out == "short_abandon").sum(),
        "answered": n_ans,
        "abandoned": (out == "abandoned").sum(),
        "answer_rate": n_ans / n_off,
        "abandon_rate": (out == "abandoned").sum() / n_off,
        "asa": wait[answered].mean(),
        "mean_wait": wait[offered].mean(),
        "p_wait": (offered & (wait > 0)).sum() / n_off,
    }
    for t in thresholds:
        within = (answered & (wait <= t)).sum()
        name = f"{t:g}".replace(".", "_")
        r[f"sl_{name}"] = within / n_ans
        r[f"sla_{name}"] = within / n_off
    return {k: float(v) for k, v in r.items()}


def assert_kpis_match(kpis: dict[str, float], expected: dict[str, float]) -> None:
    for name, value in expected.items():
        assert kpis[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name


# ------------------------------------------------------------------ outcomes


@pytest.mark.parametrize(("data", "seed"), [(ONE_TYPE, 1), (MULTI, 2), (MULTI, 3)])
def test_every_call_ends_in_exactly_one_outcome(data: dict[str, Any], seed: int) -> None:
    res = sim(make(data), seed)
    calls = res.calls
    assert calls is not None and len(calls) > 100
    n = len(calls)
    assert calls["call_id"].is_unique
    assert sorted(calls["call_id"]) == list(range(n))
    assert set(calls["outcome"]) <= ALLOWED_OUTCOMES
    counts = calls["outcome"].value_counts()
    assert counts.sum() == n
    k = res.kpis
    assert k["arrivals"] == n  # warmup 0: every call is measured
    assert k["offered"] + k["blocked"] + k["short_abandons"] == k["arrivals"]
    assert k["answered"] + k["abandoned"] + k["unfinished"] == k["offered"]
    for outcome, kpi in (("answered", "answered"), ("abandoned", "abandoned"),
                         ("blocked", "blocked"), ("short_abandon", "short_abandons")):
        assert k[kpi] == counts.get(outcome, 0)
    assert k["unfinished"] == 0  # the run drains: every call ends
    # each outcome's fields are consistent
    ans = calls[calls["outcome"] == "answered"]
    assert ans["answered_at"].notna().all() and (ans["pool"] != "").all()
    assert (ans["answered_at"] >= ans["queued_at"]).all()
    assert (ans["ended_at"] > ans["answered_at"]).all()
    rest = calls[calls["outcome"] != "answered"]
    assert rest["answered_at"].isna().all() and (rest["pool"] == "").all()
    blocked = calls[calls["outcome"] == "blocked"]
    assert (blocked["ended_at"] == blocked["queued_at"]).all()
    assert (calls["queued_at"] >= calls["arrival"]).all()
    assert ((calls["arrival"] >= 0) & (calls["arrival"] < res.meta["t_end"])).all()


def test_routing_respects_skills() -> None:
    calls = sim(make(MULTI), 4).calls
    assert calls is not None
    c_calls = calls[(calls["call_type"] == "c") & (calls["outcome"] == "answered")]
    assert len(c_calls) > 0
    assert set(c_calls["pool"]) == {"generalists"}  # specialists lack skill c
    ab = calls[calls["call_type"].isin(["a", "b"]) & (calls["outcome"] == "answered")]
    assert set(ab["pool"]) == {"generalists", "specialists"}


def test_fcfs_within_a_queue() -> None:
    calls = sim(make(ONE_TYPE, pools={"agents": {"staffing": 4}}), 5).calls
    assert calls is not None
    ans = calls[calls["outcome"] == "answered"].sort_values("arrival")
    assert (ans["wait"] > 0).sum() > 50
    assert np.all(np.diff(ans["answered_at"].to_numpy()) >= 0)


# --------------------------------------------------------------- randomness


def test_same_seed_same_results() -> None:
    sc = make(MULTI)
    a, b = sim(sc, 11), sim(sc, 11)
    assert kpis_equal(a.kpis, b.kpis)
    pd.testing.assert_frame_equal(a.intervals, b.intervals)
    pd.testing.assert_frame_equal(a.agents, b.agents)
    assert a.calls is not None and b.calls is not None
    pd.testing.assert_frame_equal(a.calls, b.calls)
    # recording calls does not change the outcome
    assert kpis_equal(callsim.simulate(sc, seed=11).kpis, a.kpis)


def test_different_seeds_and_replications_differ() -> None:
    sc = make(MULTI)
    base = sim(sc, 11)
    other_seed = sim(sc, 12)
    other_rep = sim(sc, 11, replication=1)
    for other in (other_seed, other_rep):
        assert not kpis_equal(base.kpis, other.kpis)
        assert other.calls is not None and base.calls is not None
        n = min(len(base.calls), len(other.calls))
        assert not np.array_equal(base.calls["arrival"].to_numpy()[:n],
                                  other.calls["arrival"].to_numpy()[:n])


@pytest.mark.slow
def test_results_do_not_depend_on_the_process(tmp_path: Path) -> None:
    """Same seed, same numbers in fresh interpreters with different string-hash salts."""
    code = (
        "import json, sys, callsim\n"
        "from callsim.config import scenario_from_dict\n"
        f"data = json.loads({json.dumps(json.dumps(MULTI))})\n"
        "k = callsim.simulate(scenario_from_dict(data), seed=11).kpis\n"
        "print(json.dumps({n: float(v) for n, v in k.items()}))\n"
    )
    root = Path(__file__).resolve().parents[2]
    outs = []
    for salt in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": salt, "PYTHONPATH": str(root)}
        proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        outs.append(json.loads(proc.stdout))
    here = {n: float(v) for n, v in callsim.simulate(make(MULTI), seed=11).kpis.items()}
    assert kpis_equal(outs[0], outs[1])
    assert kpis_equal(outs[0], here)


def test_common_random_numbers_across_staffing() -> None:
    few = sim(make(MULTI), 21)
    many = sim(make(MULTI, pools={"generalists": {"staffing": 6},
                                  "specialists": {"staffing": {"per_interval": [3, 9] * 12}}}),
               21)
    a, b = few.calls, many.calls
    assert a is not None and b is not None
    assert len(a) == len(b)
    np.testing.assert_array_equal(a["arrival"].to_numpy(), b["arrival"].to_numpy())
    np.testing.assert_array_equal(a["call_type"].to_numpy(), b["call_type"].to_numpy())
    assert not a["outcome"].equals(b["outcome"])  # staffing mattered
    # the same caller brings the same handle time and patience in both designs
    both_ans = (a["outcome"] == "answered") & (b["outcome"] == "answered")
    assert both_ans.sum() > 100
    ha = (a["ended_at"] - a["answered_at"])[both_ans].to_numpy()
    hb = (b["ended_at"] - b["answered_at"])[both_ans].to_numpy()
    np.testing.assert_allclose(ha, hb, rtol=1e-9, atol=1e-6)
    both_ab = a["outcome"].isin(["abandoned", "short_abandon"]) & b["outcome"].isin(
        ["abandoned", "short_abandon"])
    assert both_ab.sum() > 5
    np.testing.assert_allclose(a["wait"][both_ab].to_numpy(), b["wait"][both_ab].to_numpy(),
                               rtol=1e-9, atol=1e-6)


def test_call_type_streams_depend_on_its_name_only() -> None:
    data = {
        "horizon": {"length": "4h"},
        "call_types": {"a": {"handle_time": 60}, "b": {"handle_time": 60}},
        "arrivals": {"by_call_type": {"a": {"rate": 60}, "b": {"rate": 30}}},
        "pools": {"p": {"skills": ["a", "b"], "staffing": 5}},
    }
    one = sim(scenario_from_dict(data), 8).calls
    data2 = deep_merge(data, {"arrivals": {"by_call_type": {"b": {"rate": 200}}}})
    two = sim(scenario_from_dict(data2), 8).calls
    assert one is not None and two is not None
    ta = one.loc[one["call_type"] == "a", "arrival"].to_numpy()
    tb = two.loc[two["call_type"] == "a", "arrival"].to_numpy()
    np.testing.assert_array_equal(ta, tb)
    assert (two["call_type"] == "b").sum() > (one["call_type"] == "b").sum()


# ------------------------------------------------------------------- shifts


SHIFT_END: dict[str, Any] = {
    "name": "shift-end",
    "horizon": {"length": "2h", "interval": "30min"},
    "call_types": {"calls": {"handle_time": 1000, "patience": 900}},
    "arrivals": {"rate": 40, "mix": {"calls": 1.0}},
    "pools": {"agents": {"skills": ["calls"], "staffing": {"shifts": [
        {"start": "00:00", "end": "01:00", "agents": 2}]}}},
}


def test_agent_whose_shift_ends_finishes_the_current_call() -> None:
    res = sim(scenario_from_dict(SHIFT_END), 3)
    calls = res.calls
    assert calls is not None
    ans = calls[calls["outcome"] == "answered"]
    assert len(ans) >= 4
    # nobody answers after the shift end, but calls in progress run to completion
    assert (ans["answered_at"] < 3600).all()
    np.testing.assert_allclose(ans["ended_at"] - ans["answered_at"], 1000.0, rtol=0, atol=1e-6)
    overtime = ans[ans["ended_at"] > 3600]
    assert len(overtime) >= 1, "seed gives no call running past the shift end"
    assert set(calls["outcome"]) <= {"answered", "abandoned"}
    # staffed time: 2 agents until 01:00, then each agent until its call ends
    ag = res.agents.set_index("interval")
    assert ag.loc[0, "staffed"] == pytest.approx(2.0)
    assert ag.loc[1, "staffed"] == pytest.approx(2.0)
    s, e = ans["answered_at"].to_numpy(), ans["ended_at"].to_numpy()
    over_area = np.sum(np.clip(e, 3600, 5400) - np.clip(s, 3600, 5400))
    assert over_area > 0
    assert ag.loc[2, "staffed"] * 1800 == pytest.approx(over_area, rel=1e-9)
    assert ag.loc[2, "busy"] == pytest.approx(ag.loc[2, "staffed"], rel=1e-9)
    assert ag.loc[2, "occupancy"] == pytest.approx(1.0)
    assert ag.loc[3, "staffed"] == 0.0  # all overtime ended by 01:00 + 1000 s
    assert math.isnan(ag.loc[3, "occupancy"])
    # overall occupancy: busy / staffed, overtime included in both
    busy = np.sum(np.clip(e, 0, 7200) - np.clip(s, 0, 7200))
    staffed = 2 * 3600 + over_area
    assert res.kpis["occupancy"] == pytest.approx(busy / staffed, rel=1e-9)
    assert 0 < res.kpis["occupancy"] <= 1
    assert res.by_pool.loc["agents", "mean_staffed"] == pytest.approx(staffed / 7200, rel=1e-9)


def test_headcount_drop_first_free_agent_leaves() -> None:
    data = deep_merge(SHIFT_END, {
        "call_types": {"calls": {"handle_time": 500, "patience": 2000}},
        "arrivals": {"rate": 30},
    })
    data["pools"]["agents"]["staffing"] = {"per_interval": [2, 1], "interval": "1h"}
    data["horizon"] = {"length": "2h", "interval": "30min", "drain_limit": "3h"}
    res = sim(scenario_from_dict(data), 9)
    calls = res.calls
    assert calls is not None
    ans = calls[calls["outcome"] == "answered"]
    s, e = ans["answered_at"].to_numpy(), ans["ended_at"].to_numpy()
    running = (s < 3600) & (e > 3600)
    # the agent who leaves is the first to become free at or after 01:00
    t1 = e[running].min() if running.sum() == 2 else 3600.0
    assert not ((s >= 3600) & (s < t1)).any()
    late = np.sort(np.concatenate([s[s >= t1], e[s >= t1]]))
    assert late.size > 0
    # after t1 at most one call is in service at any time
    starts_late, ends_late = s[s >= t1], e[s >= t1]
    for t in starts_late:
        in_service = np.sum((s <= t) & (e > t))
        assert in_service <= 1
    assert np.all(ends_late >= starts_late)
    ag = res.agents.set_index("interval")
    expected = (1800 + (t1 - 3600)) / 1800  # one agent all along, one until t1
    assert ag.loc[2, "staffed"] == pytest.approx(expected, rel=1e-9)


def _zero_traffic(staffing: dict[str, Any], horizon: dict[str, Any]) -> Scenario:
    return scenario_from_dict({
        "horizon": horizon,
        "call_types": {"c": {"handle_time": 60}},
        "arrivals": {"per_interval": [0] * 24, "mix": {"c": 1.0}},
        "pools": {"p": {"skills": ["c"], "staffing": staffing}},
    })


def test_per_interval_staffing_is_exact() -> None:
    sc = _zero_traffic({"per_interval": [10 + h for h in range(24)], "interval": "1h"},
                       {"start": "06:00", "length": "6h", "interval": "30min"})
    res = callsim.simulate(sc)
    ag = res.agents
    assert list(ag["clock"][:3]) == ["d1 06:00", "d1 06:30", "d1 07:00"]
    expected = [10 + 6 + i // 2 for i in range(12)]
    np.testing.assert_allclose(ag["staffed"].to_numpy(), expected, rtol=0, atol=1e-12)
    assert (ag["busy"] == 0).all()
    assert res.by_pool.loc["p", "mean_staffed"] == pytest.approx(np.mean(expected))


def test_per_interval_staffing_finer_than_reporting() -> None:
    heads = [(i * 7) % 5 for i in range(96)]  # 15-min entries for one day
    sc = _zero_traffic({"per_interval": heads, "interval": "15min"},
                       {"length": "24h", "interval": "60min"})
    ag = callsim.simulate(sc).agents
    expected = np.asarray(heads, dtype=float).reshape(24, 4).mean(axis=1)
    np.testing.assert_allclose(ag["staffed"].to_numpy(), expected, rtol=0, atol=1e-12)


def test_per_interval_staffing_over_two_days() -> None:
    heads = list(range(48))  # covers the whole 2-day horizon: no daily repeat
    sc = _zero_traffic({"per_interval": heads, "interval": "1h"},
                       {"length": "48h", "interval": "60min"})
    ag = callsim.simulate(sc).agents
    np.testing.assert_allclose(ag["staffed"].to_numpy(), heads, rtol=0, atol=1e-12)


def test_one_day_of_staffing_repeats_daily() -> None:
    heads = [h % 7 for h in range(24)]
    sc = _zero_traffic({"per_interval": heads}, {"length": "48h", "interval": "60min"})
    ag = callsim.simulate(sc).agents
    np.testing.assert_allclose(ag["staffed"].to_numpy(), heads * 2, rtol=0, atol=1e-12)


def test_shifts_give_exact_staffing_including_past_midnight() -> None:
    shifts = [
        {"start": "08:00", "end": "12:00", "agents": 2},
        {"start": "10:00", "end": "14:00", "agents": 3},
        {"start": "22:00", "end": "02:00", "agents": 1},   # passes midnight
        {"start": "13:30", "end": "25:00", "agents": 4},   # end written past 24:00
    ]
    sc = _zero_traffic({"shifts": shifts}, {"length": "48h", "interval": "30min"})
    ag = callsim.simulate(sc).agents
    assert len(ag) == 96

    def heads(t: float) -> int:  # clock seconds of the day
        h = t / 3600
        return (2 * (8 <= h < 12) + 3 * (10 <= h < 14) + 1 * (h >= 22 or h < 2)
                + 4 * (h >= 13.5 or h < 1))

    # every shift edge is on a half hour, so each 30-min interval has one headcount;
    # shifts repeat daily, so the overnight shifts of the day before cover 00:00-02:00
    expected = [heads((i * 1800) % 86400) for i in range(96)]
    np.testing.assert_allclose(ag["staffed"].to_numpy(), expected, rtol=0, atol=1e-12)


def test_shifts_with_clock_start() -> None:
    shifts = [{"start": "09:00", "end": "17:00", "agents": 5}]
    sc = _zero_traffic({"shifts": shifts},
                       {"start": "08:00", "length": "3h", "interval": "60min"})
    ag = callsim.simulate(sc).agents
    np.testing.assert_allclose(ag["staffed"].to_numpy(), [0, 5, 5], rtol=0, atol=1e-12)
    assert math.isnan(ag["occupancy"].iloc[0])


# ----------------------------------------------------------- queue capacity


def _busy_at(calls: pd.DataFrame, t: float) -> int:
    ans = calls[calls["outcome"] == "answered"]
    return int(((ans["answered_at"] <= t) & (ans["ended_at"] > t)).sum())


def test_capacity_zero_blocks_exactly_when_all_agents_busy() -> None:
    c = 4
    sc = make(ONE_TYPE, call_types={"calls": {"patience": None}},
              pools={"agents": {"staffing": c}}, queue={"capacity": 0})
    res = sim(sc, 6)
    calls = res.calls
    assert calls is not None
    assert set(calls["outcome"]) == {"answered", "blocked"}
    ans = calls[calls["outcome"] == "answered"]
    assert (ans["wait"] == 0).all()  # nobody ever waits
    for _, call in calls.iterrows():
        busy = _busy_at(calls[calls["call_id"] != call["call_id"]], call["arrival"])
        if call["outcome"] == "blocked":
            assert busy == c
        else:
            assert busy < c
    k = res.kpis
    assert k["blocked"] > 0
    assert k["offered"] == k["answered"] == k["arrivals"] - k["blocked"]
    assert k["answer_rate"] == 1.0
    assert k["p_wait"] == 0.0


def test_capacity_zero_blocking_near_erlang_b() -> None:
    # M/M/5/5 with 4 erlangs: loss probability B(5, 4) = 0.199...
    sc = callsim.erlang_scenario(80, 180, 5, hours=120, capacity=0)
    k = callsim.simulate(sc, seed=2).kpis
    assert k["blocked"] / k["arrivals"] == pytest.approx(erlang_b(5, 4.0), abs=0.03)


def test_capacity_blocks_when_queue_full() -> None:
    cap, c = 3, 2
    sc = make(ONE_TYPE, pools={"agents": {"staffing": c}}, queue={"capacity": cap})
    res = sim(sc, 7)
    calls = res.calls
    assert calls is not None
    assert (calls["outcome"] == "blocked").sum() > 10
    q0, q1 = calls["queued_at"].to_numpy(), left_queue(calls)
    queued = calls["outcome"].to_numpy() != "blocked"
    for _, call in calls.iterrows():
        t = call["arrival"]
        others = queued & (calls["call_id"].to_numpy() != call["call_id"])
        waiting = int(np.sum(others & (q0 < t) & (q1 > t)))
        if call["outcome"] == "blocked":
            assert waiting == cap
            assert _busy_at(calls, t) == c
        else:
            assert waiting < cap or call["wait"] == 0
            assert waiting <= cap


def test_per_call_type_queue_capacity() -> None:
    sc = make(MULTI, queue={"capacity": None},
              call_types={"c": {"queue_capacity": 0}})
    calls = sim(sc, 8).calls
    assert calls is not None
    blocked = calls[calls["outcome"] == "blocked"]
    assert len(blocked) > 0
    assert set(blocked["call_type"]) == {"c"}
    c_ans = calls[(calls["call_type"] == "c") & (calls["outcome"] == "answered")]
    assert (c_ans["wait"] == 0).all()


# ------------------------------------------------------------ short abandons


def test_short_abandons_counted_separately_and_not_offered() -> None:
    sc = make(ONE_TYPE, call_types={"calls": {"patience": {"dist": "exponential", "mean": 30}}},
              pools={"agents": {"staffing": 4}}, queue={"short_abandon": 10})
    res = sim(sc, 9)
    calls = res.calls
    assert calls is not None
    gone = calls[calls["outcome"].isin(["abandoned", "short_abandon"])]
    short = gone["outcome"] == "short_abandon"
    assert short.sum() > 10 and (~short).sum() > 10
    assert (gone.loc[short, "wait"] <= 10).all()
    assert (gone.loc[~short, "wait"] > 10).all()
    k = res.kpis
    assert k["short_abandons"] == short.sum()
    assert k["abandoned"] == (~short).sum()
    assert k["offered"] == k["arrivals"] - k["short_abandons"] - k["blocked"]
    assert k["answer_rate"] == pytest.approx(k["answered"] / k["offered"], rel=1e-12)
    # the same callers without the threshold: every hang-up is an abandon
    res0 = sim(make(ONE_TYPE,
                    call_types={"calls": {"patience": {"dist": "exponential", "mean": 30}}},
                    pools={"agents": {"staffing": 4}}), 9)
    k0 = res0.kpis
    assert k0["short_abandons"] == 0
    assert k0["abandoned"] == k["abandoned"] + k["short_abandons"]
    assert k0["offered"] == k["offered"] + k["short_abandons"]


# ---------------------------------------------------------------- warm-up


def test_warmup_excludes_early_arrivals() -> None:
    sc = make(MULTI, horizon={"warmup": "3h"})
    res = sim(sc, 10)
    calls = res.calls
    assert calls is not None
    late = (calls["arrival"] >= 3 * 3600).sum()
    assert 0 < late < len(calls)
    assert res.kpis["arrivals"] == late
    assert_kpis_match(res.kpis, recompute(calls, 3 * 3600.0, 8 * 3600.0, (20.0, 45.0)))
    # the same run without warm-up measures every call
    res0 = sim(make(MULTI), 10)
    assert res0.kpis["arrivals"] == len(calls)


# ---------------------------------------------------------- KPI definitions


@pytest.mark.parametrize(("data", "seed", "warmup"), [
    (MULTI, 12, 0.0), (ONE_TYPE, 13, 0.0), (MULTI, 14, 5400.0)])
def test_kpis_match_their_definitions_on_call_records(
    data: dict[str, Any], seed: int, warmup: float
) -> None:
    sc = make(data, horizon={"warmup": warmup})
    res = sim(sc, seed)
    calls = res.calls
    assert calls is not None
    horizon = sc.horizon.length
    thresholds = tuple(sc.kpis.service_levels)
    assert_kpis_match(res.kpis, recompute(calls, warmup, horizon, thresholds))
    # per call type
    for ct in sc.call_types:
        sub = calls[calls["call_type"] == ct]
        row = res.by_call_type.loc[ct].to_dict()
        assert_kpis_match(row, recompute(sub, warmup, horizon, thresholds))
    # wait percentiles of answered calls, from a 0.25 s histogram
    m = calls[(calls["arrival"] >= warmup) & (calls["arrival"] < horizon)]
    w = m.loc[m["outcome"] == "answered", "wait"].to_numpy()
    for q in (50, 90, 95):
        exact = float(np.quantile(w, q / 100, method="inverted_cdf"))
        assert abs(res.kpis[f"wait_p{q}"] - exact) <= 0.25 + 1e-9
    # mean queue: time-average number waiting in [warmup, horizon)
    queued = calls["outcome"].to_numpy() != "blocked"
    s, e = calls["queued_at"].to_numpy()[queued], left_queue(calls)[queued]
    area = np.sum(np.clip(e, warmup, horizon) - np.clip(s, warmup, horizon))
    assert res.kpis["mean_queue"] == pytest.approx(area / (horizon - warmup), rel=1e-9)
    # per pool: answered and ASA of measured calls
    ans = m[m["outcome"] == "answered"]
    for pool in sc.pools:
        mine = ans[ans["pool"] == pool]
        assert res.by_pool.loc[pool, "answered"] == len(mine)
        assert res.by_pool.loc[pool, "asa"] == pytest.approx(mine["wait"].mean(), rel=1e-9)


def test_occupancy_matches_busy_over_staffed() -> None:
    sc = make(MULTI, horizon={"warmup": "1h"})
    res = sim(sc, 15)
    calls = res.calls
    assert calls is not None
    acw = {"a": 15.0, "b": 0.0, "c": 0.0}
    ans = calls[calls["outcome"] == "answered"]
    lo, hi = 3600.0, 8 * 3600.0
    total_busy = 0.0
    for pool, heads in (("generalists", 2), ("specialists", 4)):
        mine = ans[ans["pool"] == pool]
        s = mine["answered_at"].to_numpy()
        e = mine["ended_at"].to_numpy() + mine["call_type"].map(acw).to_numpy()
        busy = np.sum(np.clip(e, lo, hi) - np.clip(s, lo, hi))
        total_busy += busy
        assert res.by_pool.loc[pool, "occupancy"] == pytest.approx(
            busy / (heads * (hi - lo)), rel=1e-9)
        assert res.by_pool.loc[pool, "mean_staffed"] == pytest.approx(heads, rel=1e-12)
    assert res.kpis["occupancy"] == pytest.approx(total_busy / (6 * (hi - lo)), rel=1e-9)


def test_service_level_denominators() -> None:
    res = sim(make(MULTI), 16)
    k = res.kpis
    for t in ("20", "45"):
        assert k[f"sla_{t}"] * k["offered"] == pytest.approx(k[f"sl_{t}"] * k["answered"])
        assert k[f"sla_{t}"] <= k[f"sl_{t}"]
    assert k["sl_20"] <= k["sl_45"]


# ---------------------------------------------------------------- intervals


def test_interval_table_sums_to_overall_counts() -> None:
    sc = make(MULTI)
    res = sim(sc, 17)
    it = res.intervals
    n_int = 8
    assert set(it["call_type"]) == {"a", "b", "c", "all"}
    assert (it.groupby("call_type").size() == n_int).all()
    counts = ["arrivals", "offered", "blocked", "short_abandons", "answered", "abandoned"]
    all_rows = it[it["call_type"] == "all"]
    for col in counts:
        assert all_rows[col].sum() == pytest.approx(res.kpis[col], abs=1e-9), col
        by_type = it[it["call_type"] != "all"].groupby("interval")[col].sum().to_numpy()
        np.testing.assert_allclose(by_type, all_rows[col].to_numpy(), atol=1e-9)
    for ct in sc.call_types:
        rows = it[it["call_type"] == ct]
        for col in counts:
            assert rows[col].sum() == pytest.approx(res.by_call_type.loc[ct, col], abs=1e-9)
    # arrivals by the interval they arrived in
    calls = res.calls
    assert calls is not None
    per_int = np.bincount((calls["arrival"] // 3600).astype(int), minlength=n_int)
    np.testing.assert_array_equal(all_rows["arrivals"].to_numpy(), per_int)
    # queue area per interval adds up to the overall mean queue
    assert (all_rows["mean_queue"] * 3600).sum() / (8 * 3600) == pytest.approx(
        res.kpis["mean_queue"], rel=1e-9)


def test_interval_kpis_match_definitions() -> None:
    sc = make(MULTI)
    res = sim(sc, 18)
    calls = res.calls
    assert calls is not None
    it = res.intervals
    for i in (0, 3, 7):
        sub = calls[(calls["arrival"] // 3600).astype(int) == i]
        row = it[(it["call_type"] == "all") & (it["interval"] == i)].iloc[0].to_dict()
        assert_kpis_match(row, recompute(sub, 0.0, math.inf, (20.0, 45.0)))


# --------------------------------------------------------------- arrivals


def test_by_call_type_arrivals() -> None:
    data = {
        "horizon": {"length": "10h", "interval": "60min"},
        "call_types": {"a": {"handle_time": 30}, "b": {"handle_time": 30}},
        "arrivals": {"by_call_type": {"a": {"rate": 60},
                                      "b": {"per_interval": [240] * 24}}},
        "pools": {"p": {"skills": ["a", "b"], "staffing": 20}},
    }
    res = sim(scenario_from_dict(data), 19)
    for ct, mean in (("a", 600.0), ("b", 2400.0)):
        n = res.by_call_type.loc[ct, "arrivals"]
        assert abs(n - mean) < 5 * math.sqrt(mean), (ct, n)
    calls = res.calls
    assert calls is not None
    assert set(calls["call_type"]) == {"a", "b"}
    assert np.all(np.diff(calls["arrival"].to_numpy()) >= 0)  # ids in arrival order


def _expected_vs_counts(res: callsim.ReplicationResult, expected: np.ndarray) -> None:
    got = res.intervals.loc[res.intervals["call_type"] == "all", "arrivals"].to_numpy()
    assert got.shape == expected.shape
    sd = np.sqrt(np.maximum(expected, 1e-12))
    assert np.all(np.abs(got - expected) < 5 * sd + 1e-9), (got, expected)


def test_daily_volume_with_hourly_shape_and_clock_start() -> None:
    shape = [1] * 6 + [5] * 6 + [10] * 6 + [0] * 6
    sc = scenario_from_dict({
        "horizon": {"start": "05:30", "length": "30h", "interval": "30min"},
        "call_types": {"c": {"handle_time": 1}},
        "arrivals": {"daily_volume": 20000, "hourly_shape": shape, "mix": {"c": 1.0}},
        "pools": {"p": {"skills": ["c"], "staffing": 50}},
    })
    res = callsim.simulate(sc, seed=40)
    clock_hours = ((5.5 * 3600 + 1800 * np.arange(60)) % 86400) // 3600
    expected = 20000 * np.asarray(shape)[clock_hours.astype(int)] / sum(shape) / 2
    _expected_vs_counts(res, expected)
    assert res.intervals["clock"].iloc[0] == "d1 05:30"


def test_arrivals_from_csv_profile(tmp_path: Path) -> None:
    counts = [0] * 12 + [300] * 12
    (tmp_path / "acd.csv").write_text(
        "hour,calls\n" + "".join(f"{h},{c}\n" for h, c in enumerate(counts)), encoding="utf-8")
    data = {
        "horizon": {"length": "24h", "interval": "60min"},
        "call_types": {"c": {"handle_time": 1}},
        "arrivals": {"csv": {"path": "acd.csv", "column": "calls"}, "mix": {"c": 1.0}},
        "pools": {"p": {"skills": ["c"], "staffing": 20}},
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    res = callsim.simulate(callsim.load_scenario(path), seed=41)
    _expected_vs_counts(res, np.asarray(counts, dtype=float))
    got = res.intervals.loc[res.intervals["call_type"] == "all", "arrivals"].to_numpy()
    assert got[:12].sum() == 0


def test_arrival_scale_what_if() -> None:
    data = copy.deepcopy(ONE_TYPE)
    n1 = sim(scenario_from_dict(data), 20).kpis["arrivals"]
    n2 = sim(make(ONE_TYPE, arrivals={"scale": 2.0}), 20).kpis["arrivals"]
    assert abs(n1 - 600) < 5 * math.sqrt(600)
    assert abs(n2 - 1200) < 5 * math.sqrt(1200)


def test_overdispersion_runs_and_spreads_daily_volumes() -> None:
    def daily_counts(cv: float) -> np.ndarray:
        sc = scenario_from_dict({
            "horizon": {"length": "40d", "interval": "60min"},
            "call_types": {"c": {"handle_time": 60, "patience": 100}},
            "arrivals": {"rate": 10, "mix": {"c": 1.0}, "overdispersion": cv},
            "pools": {"p": {"skills": ["c"], "staffing": 2}},
        })
        res = sim(sc, 23)
        assert res.calls is not None
        assert res.kpis["arrivals"] == len(res.calls)
        assert set(res.calls["outcome"]) <= ALLOWED_OUTCOMES
        assert math.isfinite(res.kpis["answer_rate"])
        return np.bincount((res.calls["arrival"] // 86400).astype(int), minlength=40)

    plain = daily_counts(0.0)
    over = daily_counts(0.5)
    # Poisson days: variance/mean near 1; gamma busyness with cv 0.5 at 240 calls a day
    # gives about 1 + 240 * 0.25 = 61
    assert plain.var(ddof=1) / plain.mean() < 3
    assert over.var(ddof=1) / over.mean() > 10
    assert abs(over.mean() - 240) < 5 * math.sqrt(240 * (1 + 240 * 0.25) / 40)


# ------------------------------------------------------------------ batches


def test_run_batch_replications_match_simulate() -> None:
    sc = make(ONE_TYPE, horizon={"length": "2h"})
    batch = callsim.run_batch(sc, reps=3, seed=5)
    assert list(batch.replications.index) == [0, 1, 2]
    for r in range(3):
        one = callsim.simulate(sc, seed=5, replication=r)
        for k in ("arrivals", "answered", "asa"):
            assert batch.replications.loc[r, k] == pytest.approx(one.kpis[k], nan_ok=True)
    s = batch.summary
    assert {"mean", "half_width", "ci_low", "ci_high", "n"} <= set(s.columns)
    assert s.loc["arrivals", "n"] == 3
    assert s.loc["arrivals", "mean"] == pytest.approx(batch.replications["arrivals"].mean())
    assert s.loc["arrivals", "ci_low"] <= s.loc["arrivals", "mean"] <= s.loc["arrivals",
                                                                              "ci_high"]


def test_run_batch_rejects_zero_reps() -> None:
    with pytest.raises(callsim.ConfigError):  # bad input: a clean refusal (exit 2)
        callsim.run_batch(make(ONE_TYPE), reps=0)


# --------------------------------------------------------- work conservation


MULTI_ACW = {"a": 15.0, "b": 0.0, "c": 0.0}
MULTI_HEADS = {"generalists": 2, "specialists": 4}
MULTI_SKILLS = {"generalists": {"a", "b", "c"}, "specialists": {"a", "b"}}


def _busy_intervals(calls: pd.DataFrame, pool: str) -> tuple[np.ndarray, np.ndarray]:
    ans = calls[(calls["outcome"] == "answered") & (calls["pool"] == pool)]
    s = ans["answered_at"].to_numpy()
    e = ans["ended_at"].to_numpy() + ans["call_type"].map(MULTI_ACW).to_numpy()
    return s, e


def test_no_call_waits_while_a_skilled_agent_is_idle() -> None:
    calls = sim(make(MULTI), 31).calls
    assert calls is not None
    busy = {p: _busy_intervals(calls, p) for p in MULTI_HEADS}
    waited = calls[(calls["outcome"] != "blocked") & (calls["wait"] > 0)]
    assert len(waited) > 100
    for t, ct in zip(waited["queued_at"], waited["call_type"], strict=True):
        for pool, skills in MULTI_SKILLS.items():
            if ct in skills:
                s, e = busy[pool]
                assert np.sum((s <= t) & (e > t)) == MULTI_HEADS[pool], (t, ct, pool)


def test_routing_prefers_first_pool_when_both_idle() -> None:
    calls = sim(make(MULTI), 32).calls
    assert calls is not None
    s, e = _busy_intervals(calls, "specialists")
    direct = calls[(calls["outcome"] == "answered") & (calls["wait"] == 0)
                   & calls["call_type"].isin(["a", "b"]) & (calls["pool"] == "generalists")]
    assert len(direct) > 0
    for t in direct["answered_at"]:
        assert np.sum((s <= t) & (e > t)) == MULTI_HEADS["specialists"]


def test_freed_agent_takes_a_waiting_call_at_once() -> None:
    calls = sim(make(MULTI), 33).calls
    assert calls is not None
    q0, q1 = calls["queued_at"].to_numpy(), left_queue(calls)
    ctype = calls["call_type"].to_numpy()
    queued = calls["outcome"].to_numpy() != "blocked"
    checked = 0
    for pool, skills in MULTI_SKILLS.items():
        s, e = _busy_intervals(calls, pool)
        starts = np.sort(s)
        served = queued & np.isin(ctype, list(skills))
        for t in e:  # (t is rebuilt from ended_at + ACW: equal to the model's to ~1e-9)
            if np.any(served & (q0 < t - 1e-6) & (q1 > t + 1e-6)):
                checked += 1
                i = np.searchsorted(starts, t - 1e-6)
                assert i < starts.size and abs(starts[i] - t) < 1e-6, (pool, t)
    assert checked > 50


def test_new_agents_take_waiting_calls_when_staffing_rises() -> None:
    sc = scenario_from_dict({
        "horizon": {"length": "2h", "interval": "30min"},
        "call_types": {"c": {"handle_time": 100}},
        "arrivals": {"rate": 20, "mix": {"c": 1.0}},
        "pools": {"p": {"skills": ["c"], "staffing": {"per_interval": [0, 3], "interval": "1h"}}},
    })
    res = sim(sc, 34)
    calls = res.calls
    assert calls is not None
    early = calls[calls["arrival"] < 3600]
    assert len(early) > 3
    assert (early["outcome"] == "answered").all()
    assert (early["answered_at"] >= 3600).all()
    assert (early["answered_at"] == 3600).sum() == 3  # three agents start at 01:00
    ag = res.agents
    np.testing.assert_allclose(ag["staffed"].to_numpy(), [0, 0, 3, 3])


def test_unstaffed_queue_drains_as_unfinished() -> None:
    sc = scenario_from_dict({
        "horizon": {"length": "1h", "interval": "30min", "drain_limit": "1h"},
        "call_types": {"c": {"handle_time": 100}},
        "arrivals": {"rate": 20, "mix": {"c": 1.0}},
        "pools": {"p": {"skills": ["c"], "staffing": 0}},
    })
    res = sim(sc, 35)
    calls = res.calls
    assert calls is not None and len(calls) > 0
    assert set(calls["outcome"]) == {"unfinished"}
    assert (calls["ended_at"] == 7200).all()  # the end of the drain limit
    k = res.kpis
    assert k["unfinished"] == k["offered"] == k["arrivals"] == len(calls)
    assert k["answer_rate"] == 0.0
    assert math.isnan(k["occupancy"])


def test_wiggly_staffing_never_has_more_busy_than_staffed() -> None:
    rng = np.random.default_rng(36)
    heads = rng.integers(0, 5, 96).tolist()
    sc = scenario_from_dict({
        "horizon": {"length": "24h", "interval": "15min"},
        "call_types": {"c": {"handle_time": {"dist": "exponential", "mean": 300},
                             "patience": {"dist": "exponential", "mean": 200}}},
        "arrivals": {"rate": 30, "mix": {"c": 1.0}},
        "pools": {"p": {"skills": ["c"],
                        "staffing": {"per_interval": heads, "interval": "15min"}}},
    })
    res = sim(sc, 36)
    ag = res.agents
    assert (ag["busy"] <= ag["staffed"] + 1e-9).all()
    assert (ag["staffed"] >= np.asarray(heads) - 1e-9).all()  # leavers add, never remove
    assert (ag["staffed"] > np.asarray(heads) + 1e-9).any()   # some overtime happened
    assert 0 < res.kpis["occupancy"] <= 1
