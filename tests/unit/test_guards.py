"""The size guard and the sanity warnings (issue 10): estimates, refusals, the exact menu
chain against simulation, and no warning for the shipped scenarios."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import set_key, shipped_scenarios, two_types

import callsim
from callsim.compiled import (
    ScenarioTooLarge,
    allowing_large,
    check_size,
    compile_scenario,
    estimate_size,
)
from callsim.compiled import size as size_mod
from callsim.compiled.sanity import MAX_MENU_VISITS, menu_losses, scenario_warnings
from callsim.config import scenario_from_dict
from callsim.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def compiled(data: dict[str, Any]) -> callsim.CompiledScenario:
    return compile_scenario(scenario_from_dict(data))


# --------------------------------------------------------------------- estimates


def test_estimate_is_rate_times_hours_and_peak_agents() -> None:
    cs = callsim.compile(callsim.erlang_scenario([100, 300] * 12, 180, [4, 9] * 12,
                                                 hours=48))
    est = estimate_size(cs)
    assert est.calls == pytest.approx(200 * 48)
    assert est.calls_busiest_day == pytest.approx(200 * 24)
    assert est.agents == 9
    assert est.record_memory == pytest.approx(size_mod.BYTES_PER_RECORD * 200 * 48)


def test_estimate_counts_redials_and_transfer_legs() -> None:
    data = two_types()
    data["redials"] = {"after_abandon": 0.5, "max_attempts": 3}
    data["call_types"]["a"].update(transfer_to="b", transfer_share=0.2)
    est = estimate_size(compiled(data))
    assert est.calls == pytest.approx(120 * (1 + 0.5 + 0.25) * 1.2)


def test_estimate_matches_simulated_arrivals() -> None:
    cs = callsim.compile(callsim.erlang_scenario(600, 120, 12, patience=60, hours=4))
    got = [callsim.simulate(cs, seed=3, replication=r).kpis["arrivals"] for r in range(5)]
    # Poisson(2400) per replication: the mean of 5 is within 4.5 standard errors
    assert abs(np.mean(got) - estimate_size(cs).calls) < 4.5 * math.sqrt(2400 / 5)


# ---------------------------------------------------------------------- refusals


def test_too_many_calls_is_refused_naming_field_and_way_out() -> None:
    data = set_key(two_types(), "arrivals", {"by_call_type": {"a": {"rate": 1e9},
                                                              "b": {"rate": 1}}})
    sc = scenario_from_dict(data, source="big.yaml")
    with pytest.raises(ScenarioTooLarge) as info:
        compile_scenario(sc)
    msg = str(info.value)
    assert isinstance(info.value, ConfigError)
    assert msg.startswith("big.yaml: too large to run")
    assert "arrivals.by_call_type.a: about 2,000,000,002 calls" in msg
    assert "--allow-large" in msg and "allow_large=True" in msg
    assert compile_scenario(sc, allow_large=True).name == "t"
    with allowing_large():
        assert callsim.compile(sc).name == "t"
    with pytest.raises(ScenarioTooLarge):  # the allowance ends with the block
        callsim.compile(sc)


def test_too_many_agents_is_refused() -> None:
    data = set_key(two_types(), "pools.p2", {"skills": ["a"], "staffing": 250_000})
    with pytest.raises(ScenarioTooLarge, match=r"pools\.p2\.staffing: 250,003 agents"):
        compiled(data)


def test_per_call_records_checked_against_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    cs = callsim.compile(callsim.erlang_scenario(600, 120, 12, hours=4))
    est = check_size(cs)
    monkeypatch.setattr(size_mod, "MAX_MEMORY", est.memory + est.record_memory / 2)
    check_size(cs)  # without records it fits
    with pytest.raises(ScenarioTooLarge, match="per-call records of 2,400 calls"):
        callsim.simulate(cs, record_calls=True)
    res = callsim.simulate(cs, record_calls=True, allow_large=True)
    assert res.calls is not None and len(res.calls) > 0


def test_memory_of_the_busiest_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(size_mod, "MAX_MEMORY", size_mod.BASE_BYTES + 1000)
    with pytest.raises(ScenarioTooLarge, match="calls on the busiest day"):
        callsim.compile(callsim.erlang_scenario(600, 120, 12, hours=4))


def test_shipped_scenarios_pass_the_guard() -> None:
    for f in shipped_scenarios(leaves_only=True):
        est = check_size(callsim.compile(callsim.load_scenario(f)), record_calls=True)
        assert est.calls < size_mod.MAX_CALLS


# ---------------------------------------------------------------------- warnings


def test_shipped_scenarios_have_no_warnings() -> None:
    for f in shipped_scenarios(leaves_only=True):
        assert scenario_warnings(callsim.compile(callsim.load_scenario(f))) == [], f


MENU: dict[str, Any] = {
    "root": "main",
    "nodes": {
        "main": {"prompt": 4, "timeout_rate": 0.3, "max_repeats": 1, "error_rate": 0.2,
                 "hangup_hazard": 0.02,
                 "options": {"1": {"queue": "a"}, "2": {"goto": "sub"}}},
        "sub": {"prompt": 3, "timeout_rate": 0.4, "max_repeats": 0, "on_timeout": "main",
                "error_rate": 0.3,
                "options": {"1": {"queue": "b"}, "8": {"goto": "main"},
                            "9": {"disconnect": True}}},
    },
}


def test_menu_chain_matches_simulated_disconnects() -> None:
    data = two_types(ivr=MENU)
    data["arrivals"]["rate"] = 6000
    data["pools"]["p1"]["staffing"] = 200
    cs = compiled(data)
    exact = menu_losses(cs.ivr, np.asarray(cs.expected_arrivals(0, cs.horizon))).disconnected
    res = callsim.simulate(cs, seed=11)
    n = res.kpis["callers"]
    share = res.kpis["disconnected"] / n
    assert 0.05 < exact < 0.5
    assert abs(share - exact) < 4.5 * math.sqrt(exact * (1 - exact) / n), (share, exact)


def test_timeout_loop_warns_and_is_cut_like_the_engine() -> None:
    menu = {"root": "main", "nodes": {"main": {
        "prompt": 2, "timeout_rate": 1.0, "on_timeout": "main",
        "options": {"1": {"queue": "a"}, "2": {"queue": "b"}}}}}
    cs = compiled(two_types(ivr=menu))
    losses = menu_losses(cs.ivr, np.array([1.0, 1.0]))
    assert losses.cut[0] == pytest.approx(1.0) and losses.disconnected == pytest.approx(1.0)
    (w,) = scenario_warnings(cs)
    assert w.startswith("ivr.nodes.main: 100% of the callers")
    assert f"cut after {MAX_MENU_VISITS} menu visits" in w
    res = callsim.simulate(cs, seed=2)
    assert res.kpis["disconnected"] == res.kpis["callers"] > 0  # the engine agrees


def test_menu_that_disconnects_a_minority_is_quiet() -> None:
    menu = {"root": "main", "nodes": {"main": {
        "prompt": 2, "timeout_rate": 0.4, "max_repeats": 0,
        "options": {"1": {"queue": "a"}, "2": {"queue": "b"}}}}}
    assert scenario_warnings(compiled(two_types(ivr=menu))) == []
    menu["nodes"]["main"]["timeout_rate"] = 0.7  # 70 % time out once: disconnected
    (w,) = scenario_warnings(compiled(two_types(ivr=menu)))
    assert "70%" in w and "on_timeout: disconnect" in w


def test_pool_never_staffed() -> None:
    data = two_types()
    data["pools"] = {"p1": {"skills": ["a"], "staffing": 3},
                     "p2": {"skills": ["b", "a"], "staffing": 0}}
    (w,) = scenario_warnings(compiled(data))
    assert w.startswith("pools.p2.staffing: no agent is ever scheduled")
    assert "(a, b)" in w and "only pool answering b" in w
    data["pools"]["p2"] = {"skills": ["b"], "staffing": 4, "shrinkage": 1.0}
    (w,) = scenario_warnings(compiled(data))
    assert "shrinkage/absenteeism" in w


@pytest.mark.parametrize(("dist", "needle"), [
    ({"dist": "weibull", "shape": 0.001, "scale": 60}, "overflows"),
    ({"dist": "weibull", "shape": 0.08, "scale": 60}, "stated mean"),
])
def test_distribution_with_off_mean_warns(dist: dict[str, Any], needle: str) -> None:
    data = set_key(two_types(), "call_types.a.patience", dist)
    (w,) = scenario_warnings(compiled(data))
    assert w.startswith("call_types.a.patience: ") and needle in w


@pytest.mark.parametrize("dist", [
    {"dist": "weibull", "shape": 0.3, "scale": 60},
    {"dist": "lognormal", "mean": 60, "cv": 20},
    {"dist": "gamma", "mean": 60, "cv": 5},
])
def test_heavy_but_sound_distributions_are_quiet(dist: dict[str, Any]) -> None:
    data = set_key(two_types(), "call_types.a.handle_time", dist)
    assert scenario_warnings(compiled(data)) == []
