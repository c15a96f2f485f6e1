"""The staffing planner's inputs and pure parts (issue 12): targets, shift templates, the
shift program on a hand-solved case, the ratio CI, budgets, the plan's setup, and bad
input refused with one message before anything is simulated."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from callsim.config import load_scenario, with_overrides
from callsim.config.builders import erlang_scenario
from callsim.errors import ConfigError
from callsim.plan import cover_at_least_cost, parse_shift_file, parse_target, parse_targets, plan
from callsim.plan.erlang import Load, agents_needed, effective_rate, kpi_value
from callsim.plan.evaluate import ratio_ci
from callsim.plan.problem import build_setup
from callsim.plan.redeploy import _units, parse_objective, split_budget
from callsim.plan.search import erlang_start, group_checks
from callsim.plan.shifts import coverage, patterns_for, shifts_yaml
from callsim.plan.targets import check_targets
from callsim.ui.cli import main

ROOT = Path(__file__).resolve().parents[2]
TWO_LEVEL = ROOT / "configs" / "seoul120" / "two_level.yaml"
SHIFTS = ROOT / "configs" / "seoul120" / "shifts.yaml"


# ------------------------------------------------------------------------- targets


@pytest.mark.parametrize(("text", "kpi", "op", "value", "ctype"), [
    ("sl_20>=0.8", "sl_20", ">=", 0.8, None),
    ("answer_rate >= 90%", "answer_rate", ">=", 0.9, None),
    ("abandon_rate<=0.05", "abandon_rate", "<=", 0.05, None),
    ("asa<=30s", "asa", "<=", 30.0, None),
    ("asa<=1min", "asa", "<=", 60.0, None),
    ("mean_wait<=45", "mean_wait", "<=", 45.0, None),
    ("type.covid.answer_rate>=0.9", "answer_rate", ">=", 0.9, "covid"),
    ("type.city.sla_60=>0.7", "sla_60", ">=", 0.7, "city"),
])
def test_targets_parse(text: str, kpi: str, op: str, value: float, ctype: str | None) -> None:
    t = parse_target(text)
    assert (t.kpi, t.op, t.call_type) == (kpi, op, ctype)
    assert t.value == pytest.approx(value)


@pytest.mark.parametrize(("text", "says"), [
    ("occupancy>=0.8", "unknown KPI 'occupancy'"),
    ("answer_rate<=0.9", "must be bounded with >="),
    ("asa>=30", "must be bounded with <="),
    ("answer_rate>=1.2", "between 0 and 1"),
    ("answer_rate>=ninety", "is not a value"),
    ("asa<=soon", "is not a value"),
    ("answer_rate", "not understood"),
    ("answer_rate>0.9", "the operator must be >="),
    ("caller_answer_rate>=0.8", "a whole-day KPI"),
])
def test_bad_targets_name_what_is_allowed(text: str, says: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_target(text)
    assert says in str(exc.value) and text in str(exc.value)


def test_targets_checked_against_the_scenario() -> None:
    sc = load_scenario(TWO_LEVEL)
    types, sls = list(sc.call_types), sc.kpis.service_levels
    check_targets(parse_targets(["sl_20>=0.8", "type.covid.sla_60>=0.5"]), types, sls)
    with pytest.raises(ConfigError, match=r"'taxes' is not a call type.*allowed: covid"):
        check_targets(parse_targets(["type.taxes.answer_rate>=0.9"]), types, sls)
    with pytest.raises(ConfigError, match=r"not 30 s; allowed: sl_20, sl_60"):
        check_targets(parse_targets(["sl_30>=0.8"]), types, sls)
    with pytest.raises(ConfigError, match="targeted twice"):
        parse_targets(["asa<=30", "asa<=20"])
    assert [t.label for t in parse_targets({"answer_rate": 0.9, "asa<=": 20})] == [
        "answer_rate>=0.9", "asa<=20"]


# -------------------------------------------------------------------------- Erlang


def test_erlang_requirement_and_calibration() -> None:
    t = parse_target("answer_rate>=0.9")
    load = Load(600.0, 120.0, 60.0)
    need = agents_needed([t], [load], 100)
    assert need is not None
    assert kpi_value(t, load, need) >= 0.9 > kpi_value(t, load, need - 1)
    assert agents_needed([t], [Load(0.0, 120.0, 60.0)], 100) == 0
    assert agents_needed([t], [load], 5) is None  # the cap is not enough
    # calibration inverts the formula: the rate that gives a value is the one that made it
    value = kpi_value(t, Load(750.0, 120.0, 60.0), need)
    assert effective_rate(t, load, need, value) == pytest.approx(750.0, rel=1e-3)


# --------------------------------------------------------------------------- stats


def test_ratio_ci_is_the_pooled_ratio_with_a_delta_method_interval() -> None:
    num = np.array([[90.0, 0.0], [80.0, 0.0], [95.0, 0.0], [85.0, 0.0]])
    den = np.array([[100.0, 0.0], [90.0, 0.0], [100.0, 0.0], [95.0, 0.0]])
    r, lo, hi = ratio_ci(num, den, 0.95)
    ratio = num[:, 0].sum() / den[:, 0].sum()
    resid = num[:, 0] - ratio * den[:, 0]
    from scipy import stats
    hw = stats.t.ppf(0.975, 3) * resid.std(ddof=1) / 2 / den[:, 0].mean()
    assert r[0] == pytest.approx(ratio) and hi[0] - r[0] == pytest.approx(hw)
    assert lo[0] == pytest.approx(ratio - hw)
    assert math.isnan(r[1])  # no calls offered: nothing to judge


# ------------------------------------------------------------------ shift templates


def test_shift_file_refuses_unknown_fields_with_one_message() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_shift_file({"templates": [{"name": "day", "starts": ["08:00"], "length": "9h",
                                         "colour": "red"}], "part_time": {"share": 0.2}})
    msg = str(exc.value)
    assert "(2 problems)" in msg
    assert "templates[0].colour: unknown key 'colour'; allowed keys here: name, starts" in msg
    assert "part_time.share: unknown key 'share'; allowed keys here: max_share" in msg


@pytest.mark.parametrize(("data", "says"), [
    ({"templates": [{"name": "d", "starts": ["8am"], "length": "9h"}]},
     "templates[0].starts[0]: '8am' is not a clock time"),
    ({"templates": [{"name": "d", "starts": ["08:00"]}]}, "give exactly one of length"),
    ({"templates": [{"name": "d", "starts": ["08:00"], "length": "4h",
                     "breaks": [{"after": "4h", "length": "30min"}]}]}, "does not fit inside"),
    ({"templates": [{"name": "d", "starts": ["08:00"], "length": "4h", "min": 3, "max": 2}]},
     "max (2) is below min (3)"),
    ({"templates": []}, "templates"),
    ({"templatez": []}, "unknown key 'templatez'"),
])
def test_shift_file_bad_values(data: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError, match="invalid shift templates") as exc:
        parse_shift_file(data)
    assert says in str(exc.value)


def test_patterns_cover_slots_and_pay_hours() -> None:
    sf = parse_shift_file({"templates": [
        {"name": "day", "starts": {"from": "07:30", "to": "08:30", "every": "60min"},
         "length": "9h", "breaks": [{"after": "4h", "length": "30min"}],
         "cost_per_hour": 2.0},
        {"name": "night", "starts": ["22:00"], "length": "8h", "pools": ["other"]}]})
    pats = patterns_for(sf, "agents", 3600.0)
    assert [p.label for p in pats] == ["day 07:30+9h", "day 08:30+9h"]
    p = pats[0]
    assert p.hours == 8.5 and p.cost == 17.0
    assert p.cover.sum() == pytest.approx(8.5)
    assert p.cover[7] == 0.5 and p.cover[11] == 0.5 and p.cover[16] == 0.5
    assert p.pieces == ((27000.0, 41400.0), (43200.0, 59400.0))
    night = patterns_for(sf, "other", 3600.0)[-1]
    assert night.cover[22:].tolist() == [1.0, 1.0] and night.cover[:6].tolist() == [1.0] * 6
    assert coverage([(22 * 3600.0, 30 * 3600.0)], 1800.0).sum() == pytest.approx(16.0)
    assert shifts_yaml([night], [3]) == [{"start": "22:00", "end": "06:00", "agents": 3}]


def test_milp_hand_solved_case() -> None:
    """Six hours; full-time 4 h shifts (cost 1/h) at 00:00, 01:00, 02:00; part-time 2 h
    shifts (1.5/h) at every hour. By hand: for requirement [2,2,3,3,1,1] only full-time
    shifts can reach the lower bound of 12 agent-hours x 1 = 12: two at 00:00 and one at
    02:00 (x0 = 2 from hour 0, x2 = 1 from hour 5, x1 = 0 from hour 1). For
    [1,1,3,3,1,1] one full-time shift at 00:00 and one at 02:00 plus a part-timer at
    02:00 cover it exactly for 4 + 4 + 3 = 11; without part-timers (share 25 % of three
    agents allows none) the best is three full-time shifts, 12."""
    sf = parse_shift_file({"templates": [
        {"name": "ft", "starts": ["00:00", "01:00", "02:00"], "length": "4h"},
        {"name": "pt", "starts": {"from": "00:00", "to": "04:00"}, "length": "2h",
         "part_time": True, "cost_per_hour": 1.5}]})
    pats = patterns_for(sf, "p", 3600.0)

    def solve(req: list[int], share: float = 1.0) -> tuple[float, dict[str, int]]:
        r = np.zeros(24)
        r[:6] = req
        sol = cover_at_least_cost(r, pats, max_share=share)
        assert sol.feasible and np.all(sol.covered >= r - 1e-9)
        return sol.cost, {p.label: int(n) for p, n in zip(pats, sol.counts, strict=True)
                          if n}

    assert solve([2, 2, 3, 3, 1, 1]) == (12.0, {"ft 00:00+4h": 2, "ft 02:00+4h": 1})
    assert solve([1, 1, 3, 3, 1, 1]) == (11.0, {"ft 00:00+4h": 1, "ft 02:00+4h": 1,
                                                "pt 02:00+2h": 1})
    cost, counts = solve([1, 1, 3, 3, 1, 1], share=0.25)
    assert cost == 12.0 and not any(k.startswith("pt") for k in counts)


def test_milp_says_how_far_the_limits_fall_short() -> None:
    sf = parse_shift_file({"templates": [{"name": "ft", "starts": ["00:00"], "length": "4h",
                                          "max": 2}]})
    r = np.zeros(24)
    r[:4] = [1, 3, 3, 1]
    sol = cover_at_least_cost(r, patterns_for(sf, "p", 3600.0))
    assert not sol.feasible and sol.short[:4].tolist() == [0.0, 1.0, 1.0, 0.0]


# ------------------------------------------------------------------- setup, budget


def test_setup_groups_loads_and_today() -> None:
    sc = load_scenario(TWO_LEVEL)
    su = build_setup(sc, pools=["district_team", "covid_team"])
    assert su.planned == ["covid_team", "district_team"]
    assert [g.types for g in su.groups] == [("covid",), ("district",)]
    assert su.today["covid_team"][9] == 18 and su.today["covid_team"][0] == 5
    assert su.agent_hours({"covid_team": su.today["covid_team"]}) == 213.0
    assert su.presence["covid_team"] == pytest.approx(0.95)
    assert sc.arrivals.daily_volume is not None and sc.arrivals.mix is not None
    assert su.lam["covid"].sum() == pytest.approx(sc.arrivals.daily_volume
                                                  * sc.arrivals.mix["covid"])
    assert su.window(23, 3) == [23]  # a one-day horizon does not wrap
    multi = build_setup(load_scenario(ROOT / "configs" / "seoul120" / "multiskill.yaml"))
    assert {g.name: len(g.types) for g in multi.groups}["multi_team"] == 5
    with pytest.raises(ConfigError, match=r"--pools: 'taxes' is not an agent pool of "
                                          r"two-level; allowed: covid_team"):
        build_setup(load_scenario(TWO_LEVEL), pools=["taxes"])
    with pytest.raises(ConfigError, match="divide a day"):
        build_setup(load_scenario(TWO_LEVEL), interval="7min")


def test_overall_targets_apply_to_every_group_and_type_targets_to_one() -> None:
    su = build_setup(load_scenario(TWO_LEVEL), pools=["covid_team", "city_team"])
    checks = group_checks(su, parse_targets(["sl_20>=0.8", "type.covid.asa<=30"]))
    assert {g: [(c.target.kpi, c.types) for c in cs] for g, cs in checks.items()} == {
        "covid_team": [("sl_20", ("covid",)), ("asa", ("covid",))],
        "city_team": [("sl_20", ("city",))]}
    with pytest.raises(ConfigError, match="no target applies to the calls they answer"):
        group_checks(su, parse_targets(["type.covid.asa<=30"]))
    with pytest.raises(ConfigError, match="no planned pool answers 'water'"):
        group_checks(su, parse_targets(["sl_20>=0.8", "type.water.asa<=30"]))


def test_budget_split_and_whole_agent_units() -> None:
    su = build_setup(load_scenario(TWO_LEVEL))
    same = split_budget(su, "same")
    assert same["district_team"] == 396.0 and sum(same.values()) == 944.0
    half = split_budget(su, 472)
    assert sum(half.values()) == pytest.approx(472.0)
    assert half["covid_team"] == pytest.approx(213 / 2)
    assert sum(_units(su, half).values()) == 472
    for bad in ("lots", "-5", 0):
        with pytest.raises(ConfigError, match="--budget"):
            split_budget(su, bad)
    assert parse_objective("type.covid.sl_20", su.types, [20, 60]).call_type == "covid"
    assert parse_objective("caller_answer_rate", su.types, [20]).op == ">="
    with pytest.raises(ConfigError, match="unknown KPI 'occupancy'"):
        parse_objective("occupancy", su.types, [20])


# --------------------------------------------------------------- refused up front


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"targets": ["answer_rate>=0.9"], "pools": ["nope"]}, "'nope' is not an agent pool"),
    ({"targets": None}, "give at least one target"),
    ({"targets": ["answer_rate>=0.9"], "reps": 1}, "at least 2 replications"),
    ({"targets": ["answer_rate>=0.9"], "budget": "same", "shifts": SHIFTS},
     "--shifts applies to planning by targets"),
    ({"targets": ["answer_rate>=0.9"], "max_agents": {"nope": 3}}, "max_agents: 'nope'"),
    ({"targets": ["answer_rate>=0.9"], "verify_seed": 0}, "a seed other than the search's"),
])
def test_plan_refuses_bad_input_before_simulating(kwargs: dict[str, object],
                                                  says: str) -> None:
    sc = erlang_scenario(300, 120, 10, patience=60, hours=2)
    targets = kwargs.pop("targets")
    with pytest.raises(ConfigError, match=says):
        plan(sc, targets, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("argv", "says"), [
    (["--target", "occupancy>=0.9"], "unknown KPI 'occupancy'"),
    (["--target", "answer_rate>=0.9", "--pools", "taxes"], "'taxes' is not an agent pool"),
    (["--target", "type.taxes.asa<=30"], "'taxes' is not a call type"),
    (["--target", "answer_rate>=0.9", "--budget", "lots"], "--budget 'lots'"),
    (["--target", "answer_rate>=0.9", "--reps", "0"], "--reps: 0 is not allowed"),
    (["--target", "answer_rate>=0.9", "--interval", "7min"], "divide a day"),
    (["--target", "answer_rate>=0.9", "--objective", "asa"], "--objective applies to"),
    ([], "staff needs --target"),
])
def test_cli_bad_input_exit_2_one_line(argv: list[str], says: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["staff", str(TWO_LEVEL), "-o", str(tmp_path / "out"), "--quiet", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert says in err and "Traceback" not in err
    assert len([ln for ln in err.splitlines() if ln.startswith("error:")]) == 1


def test_cli_unknown_shift_field_exit_2(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "shifts.yaml"
    bad.write_text(yaml.safe_dump({"templates": [{"name": "d", "starts": ["08:00"],
                                                  "length": "9h", "lunch": "1h"}]}))
    code = main(["staff", str(TWO_LEVEL), "--target", "answer_rate>=0.9", "--shifts",
                 str(bad), "-o", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown key 'lunch'" in err and str(bad) in err
    code = main(["staff", str(TWO_LEVEL), "--target", "answer_rate>=0.9", "--shifts",
                 str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "out"), "--quiet"])
    assert code == 2 and "shift template file not found" in capsys.readouterr().err


def test_closed_hours_take_their_callers_out_of_the_queue_load() -> None:
    """A queue's callers count in the slots it is open; after hours they count where
    the treatment forwards them (another queue), or nowhere (an outside number)."""
    sc = load_scenario(TWO_LEVEL)  # foreign: open 09:00-22:00, else to the 1330 line
    su = build_setup(sc)
    always = build_setup(with_overrides(sc, {"hours": None}))
    closed = [j for j in range(24) if j < 9 or j >= 22]
    assert su.lam["foreign"][closed].tolist() == [0.0] * len(closed)
    assert always.lam["foreign"][closed].min() > 0
    opened = [j for j in range(24) if j not in closed]
    assert su.lam["foreign"][opened] == pytest.approx(always.lam["foreign"][opened])
    assert su.lam["city"] == pytest.approx(always.lam["city"])
    # forwarded to another queue: its load moves there, the total stays
    base = {"name": "fwd", "horizon": {"length": "1d", "interval": "60min"},
            "call_types": {"a": {"handle_time": 100, "patience": 100},
                           "b": {"handle_time": 100, "patience": 100}},
            "arrivals": {"rate": 60, "mix": {"a": 0.5, "b": 0.5}},
            "pools": {"pa": {"skills": ["a"], "staffing": 2},
                      "pb": {"skills": ["b", "a"], "staffing": 2}},
            "hours": {"queues": {"a": {"open": ["08:00-20:00"],
                                       "after_hours": {"queue": "b"}}}}}
    from callsim.config import scenario_from_dict

    fwd = build_setup(scenario_from_dict(base))
    assert fwd.lam["a"][[7, 8, 19, 20]].tolist() == pytest.approx([0, 30, 30, 0])
    assert fwd.lam["b"][[7, 8, 19, 20]].tolist() == pytest.approx([60, 30, 30, 60])
    assert (fwd.lam["a"] + fwd.lam["b"]).sum() == pytest.approx(60 * 24)
    # the planner's start (Erlang A) staffs no one for a closed queue
    checks = group_checks(su, parse_targets(["answer_rate>=0.9"]))
    sched, _present = erlang_start(su, checks, {p: 1000 for p in su.planned})
    assert sched["foreign_team"][closed].tolist() == [0] * len(closed)
    assert sched["foreign_team"][opened].min() >= 1
