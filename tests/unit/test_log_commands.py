"""``callsim fit``, ``callsim replay`` and ``callsim score`` on a small synthetic log made
with callsim itself: the files they write, what they contain, paired replays, bad logs
(one message, exit code 2), and priority classes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import callsim
from callsim.config import load_scenario, scenario_from_dict
from callsim.fit.classes import priority_classes
from callsim.logs import CallLog, calls_to_log, write_log
from callsim.ui.cli import main

PROFILE = [0] * 8 + [30, 50, 60, 60, 50, 40, 50, 60, 50, 40, 30, 20] + [0] * 4
TRUTH: dict[str, Any] = {
    "horizon": {"start": "00:00", "length": "4d"},
    "call_types": {"A": {"handle_time": {"dist": "lognormal", "mean": 200, "cv": 1.0},
                         "patience": {"dist": "exponential", "mean": 150}},
                   "B": {"handle_time": {"dist": "exponential", "mean": 120},
                         "patience": {"dist": "exponential", "mean": 300}}},
    "arrivals": {"by_call_type": {"A": {"per_interval": PROFILE},
                                  "B": {"per_interval": [v / 3 for v in PROFILE]}}},
    "pools": {"p": {"skills": ["A", "B"],
                    "staffing": {"per_interval": [0] * 8 + [4] * 12 + [0] * 4}}},
}


@pytest.fixture(scope="module")
def synthetic_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four simulated days written as a callsim log (CSV)."""
    r = callsim.simulate(scenario_from_dict(TRUTH), seed=7, record_calls=True)
    assert r.calls is not None
    path = tmp_path_factory.mktemp("log") / "calls.csv"
    calls_to_log(r.calls, start=0.0, first_day="2024-03-04", path=path)
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_fit_run_score_replay_end_to_end(synthetic_log: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    fitted = tmp_path / "centre.yaml"
    code, out, err = run(["fit", synthetic_log, "-o", fitted], capsys)
    assert code == 0, err
    assert "fitted 4 days" in out
    doc = json.loads(fitted.with_name("centre.fit.json").read_text())
    assert doc["kind"] == "fit" and doc["days"][0] == "2024-03-04" and len(doc["days"]) == 4
    assert doc["scenario_file"] == "centre.yaml" and doc["interval_s"] == 3600.0
    assert doc["staffing"]["method"] == "busy_waiting"  # the log names no agents
    assert any(r["quantity"].startswith("agents") for r in doc["estimates"])
    assert fitted.with_name("centre.fit.html").is_file()
    # the fit opens in callsim report (the document or its folder), finding first
    from callsim.io.reader import load_run_dir
    from callsim.ui.report import findings_of

    fit_run = load_run_dir(fitted.with_name("centre.fit.json"))
    sentences = findings_of(fit_run)
    assert out.splitlines()[0] == sentences[0]  # the command printed it first
    calls = next(r for r in doc["estimates"]
                 if r["quantity"] == "calls per day" and r["call_type"] == "all")
    assert sentences[0].startswith(f"Fitted to 4 days (all days, 2024-03-04 to 2024-03-07) "
                                   f"of {synthetic_log}: {calls['estimate']:,.0f} calls a day "
                                   f"(95 % CI {calls['ci_low']:,.0f} to ")
    assert sentences[-1].startswith("Agents on the phones (busy_waiting): at most ")
    assert sorted(fit_run.extra_images) == ["fit_arrivals", "fit_handle_time", "fit_ivr",
                                            "fit_patience", "fit_staffing"]
    code, _, err = run(["report", tmp_path], capsys)  # one fit in the folder
    assert code == 0, err
    page = (tmp_path / "report.html").read_text()
    assert page.index('id="finding"') < page.index("Fitted to 4 days") < page.index(
        'id="figures"') < page.index('id="fig-fit_arrivals"') < page.index('id="tables"')
    assert "Every estimate" in page
    code, _, err = run(["plot", fitted.with_name("centre.fit.json")], capsys)
    assert code == 0 and (tmp_path / "fit_arrivals.png").is_file(), err
    sc = load_scenario(fitted)  # the planned forms validate
    assert sc.call_types["A"].patience is not None
    # run the fitted scenario over as many days and score it against the log
    rundir = tmp_path / "run"
    code, _, err = run(["run", fitted, "--set", "horizon.length=4d", "--reps", "3",
                        "--out", rundir, "--quiet"], capsys)
    assert code == 0, err
    code, out, err = run(["score", rundir, synthetic_log, "--hours", "8-19"], capsys)
    assert code == 0, err
    assert out.startswith(f"Against the log {synthetic_log} (4 days, intervals starting "
                          "08:00-19:00, all calls), simulation: abandon rate off by ")
    score = json.loads((rundir / "score.json").read_text())
    assert score["kind"] == "score" and score["interval"] == 3600.0
    assert score["hours"] == [8, 19] and score["scenario"] == "calls"
    assert score["scores"]["asa"]["n"] == 12
    metrics = score["predictions"]["simulation"]["metrics"]
    assert set(metrics) == {"abandon_rate", "asa", "sl_20", "answered_per_day"}
    assert all(metrics[m]["n"] == 12 for m in metrics)
    # a fit of a simulated log predicts it: answered per day within 10 %, ranks agree
    assert metrics["answered_per_day"]["mare"] < 0.1
    assert metrics["answered_per_day"]["spearman"] > 0.8
    table = pd.read_csv(rundir / "score.csv")
    assert set(table["prediction"]) == {"simulation"} and len(table) == 4 * 12
    assert (rundir / "score.png").is_file()
    # replay the recorded callers through a design with 3 more agents 10:00-14:00
    data = yaml.safe_load(fitted.read_text())
    per = data["pools"]["agents"]["staffing"]["per_interval"]
    more = [v + 3 if 10 <= i < 14 else v for i, v in enumerate(per)]
    design = tmp_path / "more.yaml"
    design.write_text(yaml.safe_dump({"extends": "centre.yaml", "pools": {"agents": {
        "staffing": {"per_interval": more, "interval": 3600.0}}}}))
    rep = tmp_path / "rep"
    code, out, err = run(["replay", synthetic_log, "--design", design, "--reps", "4",
                          "--out", rep, "--quiet"], capsys)
    assert code == 0, err
    info = json.loads((rep / "replay.json").read_text())
    assert info["kind"] == "replay" and len(info["days"]) == 4
    assert info["base"] == str(fitted) and info["recorded_handle"] is True
    log = pd.read_csv(synthetic_log)
    reached = log.loc[log["outcome"] != "ivr_hangup"]
    assert info["calls"] == len(reached)
    comp = json.loads((rep / "comparison.json").read_text())
    base, more_d = comp["designs"]["base"], comp["designs"]["more"]
    assert base["offered"]["mean"] == more_d["offered"]["mean"] == len(reached)  # same callers
    diff = {d["kpi"]: d for d in comp["differences"]} if isinstance(
        comp["differences"], list) else comp["differences"]
    assert more_d["abandoned"]["mean"] < base["abandoned"]["mean"]
    assert diff is not None
    assert out.startswith(f"The log's {len(reached):,} recorded callers of 4 days "
                          "(2024-03-04 to 2024-03-07), with their recorded talk times, "
                          f"through {design} and the fitted base {fitted}.")
    # score and report read the replay folder
    code, out, err = run(["score", rep, synthetic_log, "--hours", "8-19", "--days",
                          "mon,tue"], capsys)
    assert code == 0, err
    both = json.loads((rep / "score.json").read_text())
    assert set(both["predictions"]) == {"base", "more"}
    assert both["days"] == ["2024-03-04", "2024-03-05"] and both["weekdays"] == "mon,tue"
    assert "(2 days, intervals starting 08:00-19:00" in out
    from callsim.io.reader import load_run_dir
    from callsim.ui.report import findings_of

    replay_run = load_run_dir(rep)
    assert replay_run.kind == "replay" and replay_run.title.endswith("replay of the log")
    sentences = findings_of(replay_run)
    assert sentences[0].startswith("The log's") and len(sentences) == 4  # + 2 scores
    assert "(4 paired replications, seed 0)" in sentences[1]
    assert sentences[2].endswith(".") and ", base: " in sentences[2]
    code, out, err = run(["report", rep], capsys)
    assert code == 0, err
    page = (rep / "report.html").read_text()
    assert page.index('id="finding"') < page.index("The log&#x27;s") < page.index(
        'id="figures"') and "Score against the log" in page and 'id="fig-score"' in page
    code, out, err = run(["report", rundir], capsys)
    assert code == 0, err
    assert "Score against the log" in (rundir / "report.html").read_text()
    assert findings_of(load_run_dir(rundir))[-1].startswith("Against the log")


def _write_bad(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


HEADER = ("call_id,day,arrival,ivr_time,queue_entry,wait,outcome,handle_time,agent,"
          "call_type\n")
BAD_LOGS = {
    "missing_columns.csv": ("call_id,day,arrival\n1,2024-01-01,100\n", "missing column"),
    "unparsable_time.csv": (HEADER + "1,2024-01-01,abc,0,100,5,answered,60,x,A\n",
                            "arrival"),
    "negative_duration.csv": (HEADER + "1,2024-01-01,100,0,100,-5,answered,60,x,A\n",
                              "wait"),
    "empty.csv": ("", "empty"),
    "infinite_time.csv": (HEADER + "1,2024-01-01,1e400,0,100,5,answered,60,x,A\n",
                          "not a finite number"),
}


def test_fit_refuses_a_log_with_no_talk_time(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing to fit handle times from: one message (replay and score need none)."""
    log = _write_bad(tmp_path, "blocked.csv", HEADER + "1,2024-01-01,100,0,,,blocked,,,A\n")
    code, _out, err = run(["fit", log, "-o", tmp_path / "x.yaml"], capsys)
    assert code == 2 and str(log) in err and "no answered call with a handle time" in err


@pytest.mark.parametrize("name", sorted(BAD_LOGS))
@pytest.mark.parametrize("command", ["fit", "replay", "score"])
def test_bad_logs_exit_2_with_one_message(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          name: str, command: str) -> None:
    text, words = BAD_LOGS[name]
    log = _write_bad(tmp_path, name, text)
    design = tmp_path / "d.yaml"
    design.write_text(yaml.safe_dump(TRUTH))
    rundir = tmp_path / "run"
    if command == "score":  # a real run folder, so the log is what fails
        assert main(["run", str(design), "--set", "horizon.length=1d", "--out", str(rundir),
                     "--quiet"]) == 0
        capsys.readouterr()
    argv = {"fit": ["fit", log, "-o", tmp_path / "x.yaml"],
            "replay": ["replay", log, "--design", design, "--base", design],
            "score": ["score", rundir, log]}[command]
    code, _out, err = run(argv, capsys)
    assert code == 2
    lines = [x for x in err.splitlines() if x.strip()]
    assert lines and lines[0].startswith("error: ") and "Traceback" not in err
    assert str(log) in err and words in err.lower()


def test_command_options_are_checked(synthetic_log: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        (["fit", synthetic_log, "--days", "mon,xyz", "-o", tmp_path / "a.yaml"],
         "'xyz' is not a weekday"),
        (["fit", synthetic_log, "--dates", "2024-13-40", "-o", tmp_path / "a.yaml"],
         "--dates"),
        (["fit", synthetic_log, "--interval", "7min", "-o", tmp_path / "a.yaml"],
         "divide a day"),
        (["score", tmp_path, synthetic_log], "no callsim results"),
        (["replay", synthetic_log, "--design", tmp_path / "nope.yaml"], "not found"),
    ]
    for argv, words in cases:
        code, _, err = run(argv, capsys)
        assert code == 2 and words in err, (argv, err)


def test_replay_refuses_a_design_that_changes_arrivals(synthetic_log: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    fitted = tmp_path / "f.yaml"
    assert main(["fit", str(synthetic_log), "-o", str(fitted)]) == 0
    design = tmp_path / "d.yaml"
    design.write_text(yaml.safe_dump({"extends": "f.yaml", "arrivals": {"scale": 1.2}}))
    code, _, err = run(["replay", synthetic_log, "--design", design], capsys)
    assert code == 2 and "may not change arrivals" in err


def test_priority_classes_rules() -> None:
    """A priority value that never waits is spread over its type's other classes in
    proportion; tiny classes join the largest; higher values are served first."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(3000):
        p = int(rng.choice([0, 1, 2], p=[0.4, 0.2, 0.4]))
        wait = 0.0 if p == 0 else float(rng.exponential(30)) + 1.0
        rows.append(("2024-01-01", 36000.0 + i, wait, "answered", "A", p))
    for i in range(300):  # type B: priority 0 queues normally, one call of priority 2
        rows.append(("2024-01-01", 40000.0 + i, 5.0, "answered", "B", 2 if i == 0 else 0))
    df = pd.DataFrame(rows, columns=["day", "arrival", "wait", "outcome", "call_type",
                                     "priority"])
    df["day"] = pd.to_datetime(df["day"])
    df["queue_entry"] = df["arrival"]
    df["handle_time"] = 60.0
    df["ivr_time"] = 0.0
    df["agent"] = ""
    df["call_id"] = range(len(df))
    log, info = priority_classes(CallLog(df))
    assert info.split and info.reassigned == {"A_p0": int((df["call_type"].eq("A")
                                                           & df["priority"].eq(0)).sum())}
    assert info.merged == {"B_p2": 1}
    assert info.priority == {"A_p1": 1, "A_p2": 2, "B": 0}
    counts = log.calls["call_type"].value_counts()
    n1 = int((df["call_type"].eq("A") & df["priority"].eq(1)).sum())
    n2 = int((df["call_type"].eq("A") & df["priority"].eq(2)).sum())
    share = counts["A_p2"] / (counts["A_p1"] + counts["A_p2"])
    assert abs(share - n2 / (n1 + n2)) < 4 * math.sqrt(0.25 / 3000)
    assert log.calls.equals(priority_classes(CallLog(df))[0].calls)  # same log, same classes


def test_fit_with_priority_writes_classes_and_policy(tmp_path: Path) -> None:
    from callsim.fit import fit_log

    r = callsim.simulate(scenario_from_dict(TRUTH), seed=3, record_calls=True)
    assert r.calls is not None
    log = calls_to_log(r.calls, start=0.0, first_day="2024-03-04")
    df = log.calls.copy()
    df["priority"] = np.where(df["call_type"] == "A", 2, 1)
    write_log(CallLog(df), tmp_path / "p.csv")
    fit = fit_log(CallLog(df), priority=True)
    d = fit.scenario_dict()
    assert d["pools"]["agents"]["policy"] == "priority"
    assert {k: v["priority"] for k, v in d["call_types"].items()} == {"A": 2, "B": 1}
    callsim.simulate(scenario_from_dict(d), seed=0)
