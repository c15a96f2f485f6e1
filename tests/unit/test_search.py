"""callsim.search (issue 13): parameter spaces, KPI objectives and targets, calibration,
menu layouts, ranking and selection, and the calibrate / optimise-menu commands."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import callsim
from callsim.config import scenario_from_dict, with_overrides
from callsim.errors import ConfigError
from callsim.search import (
    Constraint,
    Execution,
    Objective,
    ParameterSpace,
    PromptRule,
    Target,
    calibrate,
    evaluate,
    menu_units,
    optimise_menu,
    search,
)
from callsim.search.kpis import KpiExpr, check_constraints
from callsim.search.layout import build_ivr, enumerate_layouts
from callsim.search.surface import Quadratic, curvature
from callsim.search.yamlout import overlay
from callsim.ui.cli import main

# A single queue for calibration: 6 agents, exponential handle time and patience.
QUEUE: dict[str, Any] = {
    "name": "queue",
    "horizon": {"length": "8h", "interval": "60min"},
    "call_types": {"a": {"handle_time": {"dist": "exponential", "mean": 180},
                         "patience": {"dist": "exponential", "mean": 120},
                         "transfer_out_time": 30}},
    "arrivals": {"rate": 120, "mix": {"a": 1.0}},
    "pools": {"p": {"skills": ["a"],
                    "staffing": {"shifts": [{"start": "00:00", "end": "04:00", "agents": 6},
                                            {"start": "04:00", "end": "08:00", "agents": 6}]}}},
}

# A menu of four intents (shares 40/30/20/10 %); "d" has its own service sub-menu (two
# keys, one queue). Prompts are exactly 4 s + 2 s per option at the root and 3 s + 2 s per
# option in a sub-menu; plenty of agents, so only the menu matters for ivr_time.
MENU: dict[str, Any] = {
    "name": "toy-menu",
    "horizon": {"length": "4h", "interval": "60min"},
    "call_types": {t: {"handle_time": {"dist": "exponential", "mean": 60},
                       "patience": {"dist": "exponential", "mean": 300}} for t in "abcd"},
    "arrivals": {"rate": 600, "mix": {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1}},
    "pools": {f"p{t}": {"skills": [t], "staffing": 30} for t in "abcd"},
    "ivr": {"root": "main", "nodes": {
        "main": {"prompt": 8, "error_rate": 0.02, "options": {
            "1": {"queue": "a", "label": "A"}, "2": {"goto": "group", "label": "others"}}},
        "group": {"prompt": {"dist": "uniform", "low": 9, "high": 9}, "error_rate": 0.02,
                  "on_timeout": "b", "options": {
                      "1": {"queue": "b", "label": "B"}, "2": {"queue": "c", "label": "C"},
                      "3": {"goto": "d_menu", "label": "D"}}},
        "d_menu": {"prompt": 7, "options": {"1": {"queue": "d"}, "2": {"queue": "d"}}},
    }},
}


def queue(**changes: Any) -> callsim.Scenario:
    return scenario_from_dict(copy.deepcopy(QUEUE), changes or None)


def menu() -> callsim.Scenario:
    return scenario_from_dict(copy.deepcopy(MENU))


def write(tmp_path: Path, data: dict[str, Any], name: str) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------ parameter space


def test_space_kinds_wildcards_factors_and_overrides() -> None:
    sc = menu()
    sp = ParameterSpace.from_specs([
        "arrivals.rate=300:900",                       # integer: bounds and value are
        "call_types.*.patience.mean*=0.5:2",           # a factor on four paths
        "ivr.nodes.main.error_rate=0:0.1",             # continuous
        "pools.pa.staffing=10,20,30",                  # choices
    ], sc)
    assert [p.kind for p in sp.params] == ["int", "factor", "float", "choice"]
    assert sp.paths["call_types.*.patience.mean*"] == [
        f"call_types.{t}.patience.mean" for t in "abcd"]
    point = {"arrivals.rate": 451, "call_types.*.patience.mean*": 1.5,
             "ivr.nodes.main.error_rate": 0.05, "pools.pa.staffing": 20}
    ov = sp.overrides(point)
    assert ov["arrivals.rate"] == 451
    assert ov["call_types.c.patience.mean"] == pytest.approx(450.0)
    assert ov["pools.pa.staffing"] == 20
    changed = with_overrides(sc, ov)
    assert changed.call_types["d"].patience.mean == pytest.approx(450.0)  # type: ignore[union-attr]
    assert sp.start()["arrivals.rate"] == 600
    assert sp.decode(list(sp.encode(point)))["arrivals.rate"] == 451


def test_space_default_field_resolves() -> None:
    """A field the file leaves at its default (absenteeism) can be free."""
    sp = ParameterSpace.from_specs(["pools.p.absenteeism=0:0.2"], queue())
    assert sp.start() == {"pools.p.absenteeism": 0.0}


@pytest.mark.parametrize(("spec", "needle"), [
    ("arrivals.rat=1:2", "arrivals.rat does not exist in the scenario (there: rate, mix"),
    ("pools.nobody.staffing=1:5", "pools.nobody does not exist"),
    ("arrivals.rate.x=1:2", "arrivals.rate is a value"),
    ("arrivals.mix=1:2", "not a number"),
    ("arrivals.rate=5:1", "LO must be below HI"),
    ("arrivals.rate*=-1:2", "a factor must be >= 0"),
    ("arrivals.rate=-5:100", "not valid at arrivals.rate=-5"),
    ("arrivals.rate", "write PATH=LO:HI"),
    ("pools.*.nothing=1:2", "pools.p.nothing does not exist"),
])
def test_space_bad_specs_are_one_clear_error(spec: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=None) as err:
        ParameterSpace.from_specs([spec], queue())
    assert needle in str(err.value)


# ---------------------------------------------------------------- KPIs and targets


def test_target_and_constraint_parsing() -> None:
    t = Target.parse("offered=14500±300")
    assert (str(t.kpi), t.value, t.tol) == ("offered", 14500.0, 300.0)
    assert Target.parse("arrivals/offered=2.5+-0.1").kpi == KpiExpr("arrivals", "offered")
    assert Target.parse("asa=20±10%").tol == pytest.approx(2.0)
    assert Target.parse("asa=20").tol == pytest.approx(1.0)  # default 5 %
    assert Objective.parse("answer_rate").maximise
    assert not Objective.parse("ivr_time").maximise
    assert not Objective.parse("min:occupancy").maximise
    c = Constraint.parse("answer_rate>=0.8")
    assert c.violation(0.75) == pytest.approx(0.05) and c.violation(0.9) == 0.0
    reps = pd.DataFrame({"arrivals": [10.0, 20.0], "offered": [5.0, 0.0]})
    v = KpiExpr("arrivals", "offered").values(reps)
    assert v[0] == 2.0 and np.isnan(v[1])


@pytest.mark.parametrize(("make", "needle"), [
    (lambda: Target.parse("answer_rate=77.6"), "write 0.776 for 77.6 %"),
    (lambda: Target.parse("asa=-3"), "never negative"),
    (lambda: Target.parse("asa=0"), "tolerance must be > 0"),
    (lambda: Target.parse("offered"), "write KPI=VALUE"),
    (lambda: Constraint.parse("answer_rate>=1.2"), "share between 0 and 1"),
    (lambda: Constraint.parse("asa<=-1"), "can never be <= -1"),
    (lambda: Constraint.parse("answer_rate>0.8"), "write KPI>=VALUE"),
    (lambda: Objective.parse("occupancy"), "max:occupancy or min:occupancy"),
    (lambda: check_constraints([Constraint.parse("asa>=30"), Constraint.parse("asa<=20")]),
     "cannot both hold"),
    (lambda: KpiExpr("offerd").check(["offered", "answered"], "--target"),
     "no such KPI 'offerd'; did you mean offered"),
])
def test_bad_kpi_input_is_one_clear_error(make: Any, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        make()
    assert needle in str(err.value)


# -------------------------------------------------------------- surfaces, YAML out


def test_quadratic_surface_and_curvature() -> None:
    rng = np.random.default_rng(0)
    u = rng.random((30, 2))
    y = 1 + 2 * u[:, 0] - u[:, 1] + 3 * u[:, 0] * u[:, 1] + 0.5 * u[:, 1] ** 2
    q = Quadratic.fit(u, y)
    assert q(np.array([0.3, 0.7]))[0] == pytest.approx(1 + 0.6 - 0.7 + 0.63 + 0.245)
    assert q.gradient(np.array([0.3, 0.7])) == pytest.approx([2 + 2.1, -1 + 0.9 + 0.7])
    # two targets see parameter 0 only: parameter 1 is not identifiable
    cv = curvature(np.array([[2.0, 0.0], [1.0, 0.0]]))
    assert cv.profile[0] == pytest.approx(1 / np.sqrt(5)) and np.isinf(cv.profile[1])
    # one target sees the sum: both trade off against each other
    cv = curvature(np.array([[1.0, 1.0]]))
    assert np.isinf(cv.profile).all() and cv.partners(0) == [1]


def test_overlay_writes_whole_lists() -> None:
    base = {"pools": {"p": {"staffing": {"shifts": [{"agents": 1}, {"agents": 2}]}}},
            "arrivals": {"rate": 5}}
    tree, where = overlay(base, {"pools.p.staffing.shifts.1.agents": 7, "arrivals.rate": 9})
    assert tree == {"pools": {"p": {"staffing": {"shifts": [{"agents": 1}, {"agents": 7}]}}},
                    "arrivals": {"rate": 9}}
    assert where["pools.p.staffing.shifts.1.agents"] == "pools.p.staffing.shifts"


# ------------------------------------------------------------------- menu layouts


def test_menu_units_prompt_rule_and_layouts() -> None:
    sc = menu()
    parts = menu_units(sc)
    assert list(parts.units) == ["a", "b", "c", "d"]
    assert parts.units["d"].nodes == ("d_menu",)          # a service sub-menu stays
    assert parts.input_groups == (("b", "c", "d"),)
    rule = PromptRule.from_menu(sc)
    assert rule.fitted
    assert (rule.greeting, rule.intro, rule.per_option) == pytest.approx((4.0, 3.0, 2.0))
    share = {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1}
    every = list(enumerate_layouts(list(parts.units), share, [], "auto", 9))
    assert len(every) == 15 and len(set(every)) == 15
    assert len(list(enumerate_layouts(list(parts.units), share, [], "1", 9))) == 1
    assert all(lay.levels == 2 for lay in enumerate_layouts(list(parts.units), share, [],
                                                            "2", 9))
    # five free destinations: 52 layouts (the 120 menu with 0 and 9 fixed)
    five = {k: 0.2 for k in "vwxyz"}
    assert len(list(enumerate_layouts(list(five), five, [], "auto", 9))) == 52
    flat = next(lay for lay in every if lay.levels == 1)
    assert flat.text() == "1 a | 2 b | 3 c | 4 d"       # most frequent first
    ivr = build_ivr(flat, parts, rule, share)
    flat_sc = with_overrides(sc, {"ivr": ivr})
    root = ivr["nodes"][ivr["root"]]
    assert root["prompt"] == 12.0                        # 4 s + 4 options x 2 s
    assert root["options"]["4"] == {"goto": "d_menu", "label": "D"}
    assert flat_sc.ivr is not None and "group" not in flat_sc.ivr.nodes


def test_crn_same_layout_scores_identically_and_layouts_share_callers() -> None:
    sc = menu()
    parts = menu_units(sc)
    share = {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1}
    rule = PromptRule.from_menu(sc)
    lays = list(enumerate_layouts(list(parts.units), share, [], "auto", 9))
    designs = {f"L{i}": with_overrides(sc, {"ivr": build_ivr(lay, parts, rule, share)})
               for i, lay in enumerate(lays[:3])}
    first = evaluate(designs, 2, 11, Execution())
    again = evaluate({"again": designs["L1"]}, 2, 11, Execution())["again"]
    pd.testing.assert_frame_equal(first["L1"], again)
    # common random numbers: every layout sees the same callers (first attempts)
    assert (first["L0"]["callers"] == first["L2"]["callers"]).all()
    assert not first["L0"]["ivr_time"].equals(first["L1"]["ivr_time"])


# ------------------------------------------------------------------ CLI bad input


@pytest.mark.parametrize(("args", "needle"), [
    (["calibrate", "{q}", "--target", "offered=900", "--free", "arrivals.rat=60:240",
      "-o", "{o}"], "arrivals.rat does not exist in the scenario"),
    (["calibrate", "{q}", "--target", "offerd=900", "--free", "arrivals.rate=60:240",
      "-o", "{o}"], "no such KPI 'offerd'"),
    (["calibrate", "{q}", "--target", "answer_rate=83", "--free", "arrivals.rate=60:240",
      "-o", "{o}"], "share between 0 and 1"),
    (["calibrate", "{q}", "--free", "arrivals.rate=60:240", "-o", "{o}"],
     "at least one --target"),
    (["optimise-menu", "{m}", "--objective", "answer_rate", "--constraint",
      "answer_rate>=1.5", "-o", "{o}"], "share between 0 and 1"),
    (["optimise-menu", "{m}", "--objective", "max:answer_rat", "-o", "{o}"],
     "no such KPI 'answer_rat'; did you mean answer_rate"),
    (["optimise-menu", "{m}", "--objective", "answer_rat", "-o", "{o}"],
     "did you mean answer_rate or caller_answer_rate? Else say whether to maximise"),
    (["optimise-menu", "{m}", "--objective", "ivr_time", "--fixed", "0=zz", "-o", "{o}"],
     "'zz' is not a destination of the menu; allowed: a, b, c, d"),
    (["optimise-menu", "{q}", "--objective", "ivr_time", "-o", "{o}"], "needs a scenario "
     "with an 'ivr:' menu"),
    (["optimise-menu", "{m}", "--objective", "ivr_time", "--levels", "1", "--max-options",
      "3", "-o", "{o}"], "no layout of 4 destinations fits"),
])
def test_cli_bad_input_exits_2_with_one_message(tmp_path: Path, capsys: pytest.CaptureFixture[
        str], args: list[str], needle: str) -> None:
    q = write(tmp_path, QUEUE, "q.yaml")
    m = write(tmp_path, MENU, "m.yaml")
    argv = [a.format(q=q, m=m, o=tmp_path / "out") for a in args] + ["--quiet", "--reps", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in " ".join(err.split())
    assert "Traceback" not in err and err.startswith("error:")
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- slow: end to end


@pytest.mark.slow
def test_calibration_recovers_perturbed_parameters_within_reported_uncertainty() -> None:
    """Identifiability: targets are the true scenario's own KPIs (another seed); the
    calibration starts from two perturbed values and comes back to the truth within
    the range it reports; a parameter no target depends on is flagged."""
    truth = callsim.run_batch(queue(), reps=40, seed=99).summary
    targets = [Target(KpiExpr("offered"), truth.at["offered", "mean"],
                      0.02 * truth.at["offered", "mean"]),
               Target(KpiExpr("answer_rate"), truth.at["answer_rate", "mean"], 0.01),
               Target(KpiExpr("asa"), truth.at["asa", "mean"], 0.05 * truth.at["asa", "mean"])]
    start = queue(**{"arrivals.rate": 170, "call_types.a.patience.mean": 70})
    res = calibrate(start, targets, ["arrivals.rate=60:240",
                                     "call_types.a.patience.mean=30:300",
                                     "call_types.a.transfer_out_time=10:60"],
                    reps=5, final_reps=20, seed=0, progress=False)
    p = res.parameters.set_index("parameter")
    for name, true in (("arrivals.rate", 120), ("call_types.a.patience.mean", 120)):
        assert bool(p.at[name, "identifiable"]), name
        assert p.at[name, "range_low"] <= true <= p.at[name, "range_high"], (name, p.loc[name])
        assert p.at[name, "plus_minus"] < 0.1 * (p.at[name, "hi"] - p.at[name, "lo"])
    assert not bool(p.at["call_types.a.transfer_out_time", "identifiable"])
    assert any("transfer_out_time is not identifiable" in w and "no target moves it" in w
               for w in res.warnings)
    assert res.fitted["call_types.a.transfer_out_time"] == 30  # kept at the input value
    assert res.residuals["within"].all()
    assert res.misfit < 3.0


@pytest.mark.slow
def test_menu_search_finds_known_best_layouts(tmp_path: Path) -> None:
    """Flat menu when nine keys are allowed; with three, the two most frequent intents
    keep first-level keys and the rare ones share a sub-menu."""
    sc = menu()
    flat = optimise_menu(sc, "ivr_time", reps=2, final_reps=6, finalists=3, progress=False)
    assert flat.layouts[flat.best].text() == "1 a | 2 b | 3 c | 4 d"
    assert flat.selection.table.set_index("design").at[flat.best, "vs_reference"] < 0
    three = optimise_menu(sc, "ivr_time", max_options=3, reps=2, final_reps=6, finalists=3,
                          progress=False)
    assert three.layouts[three.best].text() == "1 a | 2 b | 3 [c, d]"
    again = optimise_menu(sc, "ivr_time", max_options=3, reps=2, final_reps=6, finalists=3,
                          progress=False)
    pd.testing.assert_frame_equal(three.selection.table, again.selection.table)


@pytest.mark.slow
def test_optimise_menu_cli_best_yaml_reproduces_in_compare(tmp_path: Path, capsys:
                                                           pytest.CaptureFixture[str]) -> None:
    m = write(tmp_path, MENU, "m.yaml")
    out = tmp_path / "menu"
    assert main(["optimise-menu", str(m), "--objective", "caller_answer_rate",
                 "--fixed", "1=a", "--reps", "2", "--final-reps", "5", "--finalists", "2",
                 "--seed", "3", "-o", str(out), "--quiet"]) == 0
    doc = json.loads((out / "menu_search.json").read_text())
    assert doc["layouts_evaluated"] == 5 and doc["settings"]["fixed"] == {"1": "a"}
    best = doc["best"]
    ranking = {r["design"]: r for r in doc["selection"]["ranking"]}
    assert (out / "layouts.csv").stat().st_size > 0 and (out / "selection.csv").exists()
    if best != "input":
        assert (out / "finalists" / f"{best}.yaml").exists()
    comp = callsim.compare({"input": m, "best": out / "best.yaml"}, reps=5, seed=3)
    mean = comp.batches["best"].replications["caller_answer_rate"].mean()
    assert mean == ranking[best]["objective"]  # the same numbers, exactly


@pytest.mark.slow
def test_calibrate_cli_writes_an_extending_scenario(tmp_path: Path) -> None:
    q = write(tmp_path, QUEUE, "q.yaml")
    out = tmp_path / "cal" / "fitted.yaml"
    assert main(["calibrate", str(q), "--target", "answer_rate=0.9±0.01",
                 "--free", "pools.p.staffing.shifts.*.agents=4:10", "--reps", "2",
                 "--final-reps", "4", "--rounds", "2", "-o", str(out), "--quiet"]) == 0
    text = out.read_text()
    assert "extends: ../q.yaml" in text and "fitted by callsim calibrate" in text
    doc = json.loads((tmp_path / "cal" / "fitted_calibration" / "calibration.json").read_text())
    agents = doc["fitted"]["pools.p.staffing.shifts.*.agents"]
    fitted = callsim.load_scenario(out)
    assert [s.agents for s in fitted.pools["p"].staffing.shifts or []] == [agents, agents]
    assert doc["residuals"][0]["target"] == "answer_rate"
    assert pd.read_csv(tmp_path / "cal" / "fitted_calibration" / "history.csv").shape[0] >= 16


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["sobol", "tpe"])
def test_generic_search_meets_constraint_and_is_deterministic(strategy: str) -> None:
    """Busiest agents (fewest of them) with an answer rate of at least 0.9: the
    brute-force answer on the same replications is found."""
    if strategy == "tpe":
        pytest.importorskip("optuna")
    sc = queue()
    kw: dict[str, Any] = {"trials": 8, "batch_size": 4, "reps": 3, "final_reps": 6,
                          "finalists": 3, "seed": 1, "strategy": strategy, "progress": False}
    res = search(sc, ["pools.p.staffing.shifts.*.agents=4:10"], "max:occupancy",
                 ["answer_rate>=0.9"], **kw)
    best = res.best_point["pools.p.staffing.shifts.*.agents"]
    grid = {n: with_overrides(sc, {"pools.p.staffing.shifts.0.agents": n,
                                   "pools.p.staffing.shifts.1.agents": n})
            for n in range(4, 11)}
    brute = evaluate(grid, 6, 1, Execution())
    ok = [n for n in grid if brute[n]["answer_rate"].mean() >= 0.9]
    assert best == min(ok)
    again = search(sc, ["pools.p.staffing.shifts.*.agents=4:10"], "max:occupancy",
                   ["answer_rate>=0.9"], **kw)
    assert again.history().equals(res.history())


@pytest.mark.slow
def test_evaluate_gives_the_same_numbers_on_every_backend() -> None:
    """The one evaluation function passes the backend through: processes and Dask give
    the serial figures bit for bit."""
    pytest.importorskip("distributed")
    designs = {"a": queue(), "b": queue(**{"arrivals.rate": 100})}
    serial = evaluate(designs, 3, 5, Execution())
    for ex in (Execution("processes", 2), Execution("dask", 2)):
        other = evaluate(designs, 3, 5, ex)
        for name in designs:
            pd.testing.assert_frame_equal(serial[name], other[name])


def test_tpe_accepts_an_input_point_outside_the_space() -> None:
    """The input's own values (told to the strategy first) may lie outside the ranges or
    choices; they are evaluated but not added to optuna's trials."""
    pytest.importorskip("optuna")
    from callsim.search.strategies import make_strategy

    sp = ParameterSpace.from_specs(
        ["arrivals.rate=200:300", "pools.p.staffing.shifts.0.agents=7,8"], queue())
    strat = make_strategy("tpe", sp, 0, 10)
    strat.tell([sp.start()], [1.0])
    pts = strat.ask(3)
    assert all(200 <= p["arrivals.rate"] <= 300
               and p["pools.p.staffing.shifts.0.agents"] in (7, 8) for p in pts)
    strat.tell(pts, [0.5, 0.4, 0.3])
