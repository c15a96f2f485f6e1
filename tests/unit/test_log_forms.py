"""Scenario forms of issue 11 (exact checks): ``by_time`` blocks, weighted empirical and
survival-table configs, fractional staffing, trace arrivals (with recorded talk times),
their errors and warnings, and that they are off by default."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import set_key, two_types, write_yaml

import callsim
from callsim import distributions as d
from callsim.compiled import compile_scenario, estimate_size
from callsim.compiled.sanity import scenario_warnings
from callsim.config import load_scenario, scenario_from_dict
from callsim.errors import ConfigError

DAY = 86400.0


def one_type(**extra: Any) -> dict[str, Any]:
    """One call type, one pool of many agents, a 1-day horizon from 00:00."""
    data: dict[str, Any] = {
        "horizon": {"length": "1d", "interval": "60min"},
        "call_types": {"a": {"handle_time": 100.0}},
        "arrivals": {"rate": 30, "mix": {"a": 1.0}},
        "pools": {"p": {"skills": ["a"], "staffing": 200}},
    }
    data.update(extra)
    return data


# ------------------------------------------------------------------ by_time blocks


def test_by_time_blocks_apply_by_arrival_clock() -> None:
    """Deterministic talk time and patience per block: every call shows its block's."""
    data = one_type()
    data["horizon"]["start"] = "06:00"
    data["call_types"]["a"] = {
        "handle_time": 100.0, "patience": 1000.0, "after_call_work": 5.0,
        "by_time": [{"start": "08:00", "end": "12:00", "handle_time": 200.0},
                    {"start": "12:00", "end": "13:30", "patience": 7.0,
                     "after_call_work": 9.0},
                    {"start": "20:00", "end": "24:00", "handle_time": 300.0,
                     "patience": 3.0}]}
    r = callsim.simulate(scenario_from_dict(data), seed=3, record_calls=True)
    c = r.calls
    assert c is not None and len(c) > 500
    clock = (6 * 3600.0 + c["arrival"].to_numpy()) % DAY
    ans = (c["outcome"] == "answered").to_numpy()
    talk = (c["ended_at"] - c["answered_at"]).to_numpy()
    want_talk = np.select([(clock >= 8 * 3600) & (clock < 12 * 3600), clock >= 20 * 3600],
                          [200.0, 300.0], 100.0)
    assert ans.all()  # 200 agents: nobody waits
    assert np.allclose(talk, want_talk)
    assert {100.0, 200.0, 300.0} == set(np.round(talk))
    # patience: with nobody on the phones every caller abandons at its patience
    data["pools"]["p"]["staffing"] = 0
    r0 = callsim.simulate(scenario_from_dict(data), seed=3, record_calls=True)
    c0 = r0.calls
    assert c0 is not None
    clock0 = (6 * 3600.0 + c0["arrival"].to_numpy()) % DAY
    lost = c0.loc[c0["outcome"] == "abandoned"]
    assert len(lost) == len(c0)
    want = np.select([(clock0 >= 12 * 3600) & (clock0 < 13.5 * 3600), clock0 >= 20 * 3600],
                     [7.0, 3.0], 1000.0)
    assert np.allclose(lost["wait"].to_numpy(), want)


def test_after_call_work_by_block_keeps_agents_busy(tmp_path: Path) -> None:
    """One agent, pairs of recorded calls 90 s apart: after a 60 s call the agent is free
    at once outside the block, but wraps up 240 s inside it (10:00-11:00), so the
    second caller of the pair waits exactly 60 + 240 - 90 = 210 s."""
    pd.DataFrame({"arrival": [9 * 3600.0, 9 * 3600.0 + 90, 10 * 3600.0, 10 * 3600.0 + 90]}
                 ).to_csv(tmp_path / "t.csv", index=False)
    data = one_type(arrivals={"trace": {"path": "t.csv", "type_column": None}})
    data["call_types"]["a"] = {"handle_time": 60.0, "by_time": [
        {"start": "10:00", "end": "11:00", "after_call_work": 240.0}]}
    data["pools"]["p"]["staffing"] = 1
    c = callsim.simulate(load_scenario(write_yaml(tmp_path, data)), record_calls=True).calls
    assert c is not None
    assert c.sort_values("arrival")["wait"].tolist() == [0.0, 0.0, 0.0, 210.0]


def test_blocks_are_checked() -> None:
    def blocks(b: list[dict[str, Any]]) -> dict[str, Any]:
        return set_key(two_types(), "call_types.a.by_time", b)

    with pytest.raises(ConfigError, match="overlap"):
        scenario_from_dict(blocks([{"start": "08:00", "end": "10:00", "handle_time": 5},
                                   {"start": "09:00", "end": "11:00", "handle_time": 5}]))
    with pytest.raises(ConfigError, match="must be after start"):
        scenario_from_dict(blocks([{"start": "10:00", "end": "08:00", "handle_time": 5}]))
    with pytest.raises(ConfigError, match="after 24:00"):
        scenario_from_dict(blocks([{"start": "22:00", "end": "25:00", "handle_time": 5}]))
    with pytest.raises(ConfigError, match="at least one of handle_time"):
        scenario_from_dict(blocks([{"start": "08:00", "end": "10:00"}]))
    with pytest.raises(ConfigError, match=r"call_types\.a\.by_time"):
        scenario_from_dict(blocks([{"start": "08:00", "end": "10:00", "handle_time":
                                    {"dist": "gamma", "mean": -1, "cv": 1}}]))
    ok = scenario_from_dict(blocks([{"start": "08:00", "end": "10:00", "patience": 30}]))
    paths = [p for p, _ in ok.distributions()]
    assert "call_types.a.by_time[0].patience" in paths


def test_block_warning_names_the_block() -> None:
    data = set_key(two_types(), "call_types.a.by_time", [
        {"start": "00:00", "end": "01:00", "handle_time": {"dist": "weibull", "shape": 0.001,
                                                           "scale": 1}}])
    warns = scenario_warnings(compile_scenario(scenario_from_dict(data)))
    assert any(w.startswith("call_types.a.by_time[0].handle_time: ") for w in warns)


# ------------------------------------------------------------ distribution configs


def test_weighted_empirical_and_survival_configs(tmp_path: Path) -> None:
    sc = scenario_from_dict(set_key(two_types(), "call_types.a.handle_time", {
        "dist": "empirical", "values": [10, 20, 30], "weights": [1, 0, 3]}))
    cs = compile_scenario(sc)
    h = cs.call_types[0].handle
    assert isinstance(h, d.WeightedEmpirical) and h.mean == pytest.approx(25.0)
    x = h.sample(np.random.default_rng(0), 1000)
    assert set(np.unique(x)) == {10.0, 30.0}
    (tmp_path / "h.csv").write_text("secs,n\n5,1\n50,1\n", encoding="utf-8")
    data = set_key(two_types(), "call_types.a.handle_time", {
        "dist": "empirical", "file": "h.csv", "column": "secs", "weight_column": "n"})
    f = compile_scenario(load_scenario(write_yaml(tmp_path, data))).call_types[0].handle
    assert isinstance(f, d.WeightedEmpirical) and f.mean == pytest.approx(27.5)
    surv = {"dist": "survival", "times": [0, 10, 60], "survival": [0.9, 0.5, 0.2],
            "tail": {"dist": "exponential", "mean": 100}}
    p = compile_scenario(scenario_from_dict(set_key(two_types(), "call_types.a.patience",
                                                    surv))).call_types[0].patience
    assert isinstance(p, d.SurvivalTable)
    # mean = 0*1 + 10*0.9 + 50*0.5 + 0.2*100
    assert p.mean == pytest.approx(9 + 25 + 20)


@pytest.mark.parametrize(("dist", "message"), [
    ({"dist": "empirical", "values": [1, 2], "weights": [1]}, "one weight per value"),
    ({"dist": "empirical", "values": [1, 2], "weights": [0, 0]}, "sum to 0"),
    ({"dist": "empirical", "file": "x.csv", "weights": [1]}, "go with 'values'"),
    ({"dist": "empirical", "values": [1], "weight_column": "w"}, "needs a 'file'"),
    ({"dist": "survival", "times": [5, 3], "survival": [0.5, 0.2],
      "tail": {"dist": "exponential", "mean": 1}}, "'times' must increase"),
    ({"dist": "survival", "times": [1, 2], "survival": [0.2, 0.5],
      "tail": {"dist": "exponential", "mean": 1}}, "may not rise"),
    ({"dist": "survival", "times": [1, 2], "survival": [0.5]}, "one survival per time"),
    ({"dist": "survival", "times": [1, 2], "survival": [0.5, 0.3]}, "give a 'tail'"),
    ({"dist": "survival", "times": [1], "survival": [1.5]}, "less than or equal to 1"),
])
def test_distribution_config_errors(dist: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        scenario_from_dict(set_key(two_types(), "call_types.a.patience", dist))
    assert "call_types.a.patience" in str(info.value)


def test_survival_without_tail_when_it_ends_at_zero() -> None:
    cfg = {"dist": "survival", "times": [5, 15], "survival": [0.5, 0.0]}
    p = compile_scenario(scenario_from_dict(set_key(two_types(), "call_types.a.patience",
                                                    cfg))).call_types[0].patience
    x = p.sample(np.random.default_rng(2), 10_000)
    assert set(np.unique(x)) == {5.0, 15.0} and p.mean == pytest.approx(10.0)


# ---------------------------------------------------------------- fractional staffing


@pytest.mark.parametrize("profile", [
    [2.25] * 24,
    [0.0] * 7 + [1.5, 3.75, 6.1, 5.9, 5.0, 4.4, 4.4, 0.3] + [2.0] * 8 + [0.95],
])
def test_fractional_staffing_mean_headcount_is_exact(profile: list[float]) -> None:
    data = one_type(arrivals={"rate": 0.0001, "mix": {"a": 1.0}})
    data["horizon"] = {"length": "2d", "interval": "60min"}
    data["pools"]["p"]["staffing"] = {"per_interval": profile}
    cs = compile_scenario(scenario_from_dict(data))
    pool = cs.pools[0]
    for k in range(48):
        assert pool.staffed_area(k * 3600.0, (k + 1) * 3600.0) == pytest.approx(
            profile[k % 24] * 3600.0, abs=1e-6)
    assert all(isinstance(h, int) for h in pool.headcounts)
    # the engine staffs the schedule (no calls, so nobody stays on to finish one)
    r = callsim.simulate(cs, seed=0)
    got = r.agents["staffed"].to_numpy()
    assert np.allclose(got, np.tile(profile, 2), atol=1e-9)
    assert float(np.mean(got)) == pytest.approx(float(np.mean(profile)))


def test_fractional_constant_and_its_placement() -> None:
    data = one_type(arrivals={"rate": 0.0001, "mix": {"a": 1.0}})
    data["pools"]["p"]["staffing"] = {"agents": 3.5}
    pool = compile_scenario(scenario_from_dict(data)).pools[0]
    assert pool.staffed_area(0, DAY) == pytest.approx(3.5 * DAY)
    assert pool.staffed_area(7 * 3600, 8 * 3600) == pytest.approx(3.5 * 3600)
    # a rising profile gets its extra agent at the end of the interval, a falling one at
    # the start
    data["pools"]["p"]["staffing"] = {"per_interval": [1, 2.5, 4] + [4] * 21}
    pool = compile_scenario(scenario_from_dict(data)).pools[0]
    assert pool.headcount_at(3600 + 100) == 2 and pool.headcount_at(2 * 3600 - 100) == 3
    data["pools"]["p"]["staffing"] = {"per_interval": [4, 2.5, 1] + [1] * 21}
    pool = compile_scenario(scenario_from_dict(data)).pools[0]
    assert pool.headcount_at(3600 + 100) == 3 and pool.headcount_at(2 * 3600 - 100) == 2


def test_whole_staffing_compiles_as_before() -> None:
    data = one_type()
    data["pools"]["p"]["staffing"] = {"per_interval": [3] * 12 + [5] * 12}
    pool = compile_scenario(scenario_from_dict(data)).pools[0]
    assert pool.change_times[:3] == (0.0, 43200.0, 86400.0)
    assert pool.headcounts[:3] == (3, 5, 3) and len(pool.pieces) == 48  # one per hour


def test_staffing_numbers_are_checked() -> None:
    for bad, msg in ((-1.5, "greater than or equal to 0"), (True, "is a boolean"),
                     ("inf", "finite number")):
        with pytest.raises(ConfigError, match=msg):
            scenario_from_dict(set_key(two_types(), "pools.p1.staffing", {"agents": bad}))


# -------------------------------------------------------------------- traces


def _trace(tmp_path: Path, rows: list[tuple[str, float, str, float | None]],
           **cfg: Any) -> Path:
    df = pd.DataFrame(rows, columns=["day", "arrival", "call_type", "handle_time"])
    df.to_csv(tmp_path / "calls.csv", index=False)
    data = two_types()
    data["horizon"] = {"length": "2d", "start": "06:00", "interval": "60min"}
    data["arrivals"] = {"trace": {"path": "calls.csv", "day_column": "day",
                                  "handle_column": "handle_time", **cfg}}
    data["pools"]["p1"]["staffing"] = 100
    return write_yaml(tmp_path, data)


def test_trace_arrivals_reproduce_recorded_times(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    rows: list[tuple[str, float, str, float | None]] = []
    for day in ("1999-02-02", "1999-02-01"):  # out of order in the file
        for t in np.sort(rng.uniform(6 * 3600, 23 * 3600, 300)):
            kind = "a" if rng.random() < 0.7 else "b"
            rows.append((day, float(np.round(t, 3)), kind,
                         float(np.round(rng.uniform(10, 400), 1)) if rng.random() < 0.8
                         else None))
    rows.append(("1999-02-01", 3600.0, "a", 50.0))  # 01:00, before the 06:00 start
    path = _trace(tmp_path, rows)
    sc = load_scenario(path)
    cs = compile_scenario(sc)
    assert cs.trace is not None and cs.trace.n_days == 2 and cs.trace.left_out == 1
    assert "1 of the trace's calls fall outside" in " ".join(scenario_warnings(cs))
    assert estimate_size(cs).calls == pytest.approx(600)
    df = pd.DataFrame(rows[:-1], columns=["day", "arrival", "call_type", "handle_time"])
    day0 = df["day"] == "1999-02-01"
    want = np.sort(np.where(day0, df["arrival"], df["arrival"] + DAY) - 6 * 3600.0)
    for seed in (0, 1):
        r = callsim.simulate(cs, seed=seed, record_calls=True)
        c = r.calls
        assert c is not None and len(c) == 600
        assert np.array_equal(np.sort(c["arrival"].to_numpy()), want)  # exactly
        # call types and recorded talk times, matched by arrival time
        m = c.assign(key=np.round(c["arrival"], 6)).set_index("key")
        ref = df.assign(key=np.round(np.where(day0, df["arrival"], df["arrival"] + DAY)
                                     - 6 * 3600.0, 6)).set_index("key")
        assert (m["call_type"] == ref.loc[m.index, "call_type"]).all()
        talk = (m["ended_at"] - m["answered_at"]).to_numpy()
        rec = ref.loc[m.index, "handle_time"].to_numpy()
        has = ~np.isnan(rec)
        assert (m["outcome"] == "answered").all()
        assert np.allclose(talk[has], rec[has])
        assert np.isclose(talk[~has], 50.0).sum() < (~has).sum()  # drawn, not a default
    b = (m["call_type"] == "b").to_numpy()
    assert np.allclose(talk[b & ~has], 50.0)  # type b: deterministic 50 s, drawn


def test_trace_without_handle_column_draws_talk_times(tmp_path: Path) -> None:
    path = _trace(tmp_path, [("d1", 7 * 3600.0, "b", 999.0), ("d1", 8 * 3600.0, "b", 999.0)],
                  handle_column=None)
    c = callsim.simulate(load_scenario(path), record_calls=True).calls
    assert c is not None
    assert np.allclose((c["ended_at"] - c["answered_at"]).to_numpy(), 50.0)


@pytest.mark.parametrize(("csv", "cfg", "message"), [
    ("day,arrival,call_type\nd1,10,a\nd1,x,a\n", {}, r"line 3, column 'arrival': 'x'"),
    ("day,arrival,call_type\nd1,10,a\nd1,-5,a\n", {}, r"line 3, column 'arrival'"),
    ("day,arrival,call_type\nd1,10,zz\n", {}, r"line 2, column 'call_type': 'zz' is not "
                                              r"a call type; allowed: a, b"),
    ("day,when,call_type\nd1,10,a\n", {}, r"has no column 'arrival'; its columns: day, "
                                          r"when, call_type"),
    ("day,arrival,call_type\n", {}, "has no calls"),
    ("day,arrival\nd1,10\n", {"type_column": None}, "name the column of call types"),
    ("day,arrival,call_type,h\nd1,10,a,-3\n", {"handle_column": "h"},
     r"line 2, column 'h'"),
    ("day,arrival,call_type\n,10,a\n", {}, r"line 2, column 'day': empty"),
])
def test_trace_errors_name_file_line_and_column(tmp_path: Path, csv: str, cfg: dict[str, Any],
                                                message: str) -> None:
    (tmp_path / "t.csv").write_text(csv, encoding="utf-8")
    data = two_types()
    data["arrivals"] = {"trace": {"path": "t.csv", "day_column": "day", **cfg}}
    path = write_yaml(tmp_path, data)
    with pytest.raises(ConfigError, match=message) as info:
        compile_scenario(load_scenario(path))
    assert "arrivals.trace: file" in str(info.value) or "arrivals.trace." in str(info.value)


def test_trace_section_is_checked(tmp_path: Path) -> None:
    data = two_types()
    data["arrivals"] = {"trace": {"path": "t.csv"}, "overdispersion": 0.1}
    with pytest.raises(ConfigError, match="trace cannot be combined with overdispersion"):
        scenario_from_dict(data)
    data["arrivals"] = {"trace": {"path": "nope.csv"}}
    with pytest.raises(ConfigError, match="not found"):
        compile_scenario(load_scenario(write_yaml(tmp_path, data)))


def test_trace_horizon_longer_than_trace_warns(tmp_path: Path) -> None:
    path = _trace(tmp_path, [("d1", 7 * 3600.0, "a", None)])
    data = load_scenario(path).raw
    data["horizon"]["length"] = "3d"
    cs = compile_scenario(load_scenario(write_yaml(tmp_path, data, "long.yaml")))
    assert any("the horizon is 3 days but the trace has 1" in w
               for w in scenario_warnings(cs))
    assert math.isclose(float(cs.expected_arrivals(0, cs.horizon).sum()), 1.0)
