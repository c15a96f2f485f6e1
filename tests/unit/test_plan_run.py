"""The staffing planner end to end on small scenarios (issue 12): files written, plan.yaml
loads and runs, shift plans, unmet targets (exit 2, files still written), redeploy keeps
the agent-hours, common random numbers, progress display."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import callsim
from callsim.config import load_scenario
from callsim.plan import plan, write_plan
from callsim.plan.evaluate import Evaluator
from callsim.plan.problem import build_setup
from callsim.ui.cli import main

#: two call types, a single-skill pool and a two-skill pool (one group), 4 hours in
#: 30-minute slots, a rush in the second hour
SMALL: dict[str, Any] = {
    "name": "small",
    "horizon": {"length": "4h", "interval": "30min"},
    "call_types": {
        "a": {"handle_time": {"dist": "exponential", "mean": 120},
              "patience": {"dist": "exponential", "mean": 90}},
        "b": {"handle_time": {"dist": "exponential", "mean": 180},
              "patience": {"dist": "exponential", "mean": 120}},
    },
    "arrivals": {"per_interval": [60, 60, 120, 120, 60, 60, 40, 40], "interval": "30min",
                 "mix": {"a": 0.7, "b": 0.3}},
    "pools": {
        "team_a": {"skills": ["a"], "absenteeism": 0.1,
                   "staffing": {"shifts": [{"start": "00:00", "end": "04:00", "agents": 4}]}},
        "team_ab": {"skills": ["b", "a"],
                    "staffing": {"shifts": [{"start": "00:00", "end": "04:00", "agents": 3}]}},
    },
}


def write(tmp_path: Path, data: dict[str, Any], name: str = "small.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_plan_files_and_plan_yaml_runs(tmp_path: Path) -> None:
    src = write(tmp_path, SMALL)
    res = plan(src, ["answer_rate>=0.85"], reps=6, seed=5, progress=False)
    assert res.mode == "requirements" and res.verified and res.verify_seed == 6
    assert [g.name for g in res.setup.groups] == ["team_a+team_ab"]
    out = tmp_path / "out"
    paths = write_plan(res, out)
    assert [p.name for p in paths] == ["plan.yaml", "requirements.csv", "verification.csv",
                                       "plan.json", "plan.png"]
    assert all(p.stat().st_size > 0 for p in paths)
    text = (out / "plan.yaml").read_text()
    assert "extends: ../small.yaml" in text
    planned = load_scenario(out / "plan.yaml")
    assert planned.name == "small-plan"
    for p in ("team_a", "team_ab"):
        st = planned.pools[p].staffing
        assert st.shifts is None and st.per_interval == res.staffing[p]["per_interval"]
        assert planned.pools[p].skills == load_scenario(src).pools[p].skills
    assert planned.pools["team_a"].absenteeism == 0.1  # the rest comes from the base
    batch = callsim.run_batch(planned, reps=2, seed=0)
    assert batch.summary.loc["answered", "mean"] > 0
    req = pd.read_csv(out / "requirements.csv")
    assert list(req.columns) == ["pool", "slot", "clock", "judged", "today", "erlang_a_present",
                                 "erlang_a", "simulated", "required", "scheduled", "present"]
    assert len(req) == 2 * 48 and req["judged"].sum() == 2 * 8
    ver = pd.read_csv(out / "verification.csv")
    assert len(ver) == 8 and ver["met"].all() and (ver["ci_low"] >= 0.85).all()
    summary = json.loads((out / "plan.json").read_text())
    assert summary["verified"] is True and summary["targets"] == ["answer_rate>=0.85"]
    assert summary["simulations"] == res.simulations > 0
    assert summary["agent_hours"]["total"]["today"] == 28.0
    assert summary["verdicts"] == [{"target": "answer_rate>=0.85", "slots": 8, "met": 8}]


@pytest.mark.slow
def test_shift_plan_covers_the_requirement_at_least_cost(tmp_path: Path) -> None:
    src = write(tmp_path, SMALL)
    shifts = {"templates": [
        {"name": "long", "starts": {"from": "00:00", "to": "01:00", "every": "30min"},
         "length": "3h"},
        {"name": "short", "starts": {"from": "00:00", "to": "03:00", "every": "30min"},
         "length": "1h", "part_time": True, "cost_per_hour": 1.2}],
        "part_time": {"max_share": 0.5}}
    res = plan(src, ["answer_rate>=0.85", "asa<=30s"], reps=6, seed=5, shifts=shifts,
               progress=False)
    assert res.schedule is not None and res.verified
    for p, sol in res.schedule.solutions.items():
        covered = res.setup.extra["covered"]
        assert np.all(sol.covered[covered] >= res.schedule.required[p][covered] - 1e-9)
        assert sol.feasible and "shifts" in res.staffing[p]
    write_plan(res, tmp_path / "out", figure=False)
    planned = load_scenario(tmp_path / "out" / "plan.yaml")
    assert planned.pools["team_a"].staffing.shifts is not None
    summary = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert summary["cost"] > 0 and set(summary["shifts"]) == {"team_a", "team_ab"}


def test_unmet_target_exit_2_names_the_interval_and_writes_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, SMALL)
    out = tmp_path / "out"
    code = main(["staff", str(src), "--target", "answer_rate>=0.95", "--max-agents", "2",
                 "--reps", "4", "--jobs", "1", "-o", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot be met" in err and "best reached" in err and "01:00" in err
    assert "Traceback" not in err
    for name in ("plan.yaml", "requirements.csv", "verification.csv", "plan.json", "plan.png"):
        assert (out / name).is_file()
    summary = json.loads((out / "plan.json").read_text())
    assert summary["verified"] is False and summary["misses"]
    assert all(m["agents"] == {"team_a": 2, "team_ab": 2} for m in summary["misses"])


@pytest.mark.slow
def test_redeploy_keeps_the_agent_hours(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, SMALL)
    out = tmp_path / "out"
    code = main(["staff", str(src), "--budget", "same", "--reps", "4", "--jobs", "1",
                 "-o", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    summary = json.loads((out / "plan.json").read_text())
    hours = summary["agent_hours"]["total"]
    assert abs(hours["planned"] - hours["today"]) <= 1.0
    assert summary["redeploy"]["objective"] == "answer_rate"
    gain = summary["redeploy"]["gain"]
    assert gain["ci_low"] <= gain["difference"] <= gain["ci_high"]
    planned = load_scenario(out / "plan.yaml")
    per = planned.pools["team_a"].staffing.per_interval
    assert per is not None and len(per) == 48
    res = plan(src, budget=12, reps=4, progress=False, redeploy_rounds=1)
    assert res.agent_hours()["total"]["planned"] == pytest.approx(12.0, abs=1.0)


def test_candidates_share_callers_and_are_not_run_twice() -> None:
    sc = callsim.erlang_scenario([300, 600], 120, [12, 12], patience=60, hours=2)
    su = build_setup(sc)
    ev = Evaluator(su, reps=2)
    low = {"agents": np.full(24, 12)}
    high = {"agents": np.full(24, 20)}
    a = ev.run({"low": ev.candidate(low), "high": ev.candidate(high)}, seed=3)
    again = ev.run({"x": ev.candidate(low)}, seed=3)["x"]
    assert again is a["low"] and ev.batches == 1 and ev.simulations == 4
    # common random numbers: the same callers arrive in both designs
    offered = [e.batch.replications["arrivals"].tolist() for e in a.values()]
    assert offered[0] == offered[1]
    s_low, s_high = (a[k].kpi("answer_rate", ("calls",)) for k in ("low", "high"))
    assert np.all(s_high.mean[:2] > s_low.mean[:2])


def test_plan_reports_to_one_progress_display(tmp_path: Path) -> None:
    """The planner shows one progress display (the experiment layer's protocol): its
    phases as the label, every simulation counted once."""

    class Recorder:
        def __init__(self) -> None:
            self.entered = 0
            self.total = 0
            self.done = 0
            self.labels: list[str] = []

        def __enter__(self) -> Recorder:
            self.entered += 1
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def extend(self, more: int, already_done: int = 0) -> None:
            self.total += more
            self.done += already_done

        def advance(self, n: int = 1) -> None:
            self.done += n

        def describe(self, description: str) -> None:
            self.labels.append(description)

    bar = Recorder()
    res = plan(write(tmp_path, SMALL), ["answer_rate>=0.85"], reps=4, seed=5, progress=bar)
    assert bar.entered == 1
    assert bar.total == bar.done == res.simulations > 0
    assert any(t.startswith("requirements, batch 1") for t in bar.labels)
    assert any("verif" in t for t in bar.labels)


def test_a_slot_more_agents_cannot_help_is_reported_not_staffed_to_the_cap(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A fifth of team A's callers press the wrong key and wait in queue B, which nobody
    answers: A's answer rate cannot reach 99 % however many agents A has."""
    data: dict[str, Any] = {
        "name": "menu",
        "horizon": {"length": "2h", "interval": "60min"},
        "call_types": {t: {"handle_time": {"dist": "exponential", "mean": 120},
                           "patience": {"dist": "exponential", "mean": 60}} for t in "ab"},
        "arrivals": {"rate": 120, "mix": {"a": 0.9, "b": 0.1}},
        "pools": {"pa": {"skills": ["a"], "staffing": 5},
                  "pb": {"skills": ["b"], "staffing": 0}},
        "ivr": {"root": "main", "nodes": {"main": {
            "prompt": 5, "decision": 1, "error_rate": 0.2,
            "options": {"1": {"queue": "a"}, "2": {"queue": "b"}}}}},
    }
    src = write(tmp_path, data, "menu.yaml")
    code = main(["staff", str(src), "--target", "type.a.answer_rate>=0.99", "--pools", "pa",
                 "--reps", "4", "--jobs", "1", "-o", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "more agents do not help" in err
    summary = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert all(max(m["agents"].values()) < 20 for m in summary["misses"])  # cap: 20
