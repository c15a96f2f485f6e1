"""The ``callsim`` command line: exit codes, clean errors, output files (issue 2, item 7, 10)."""

from __future__ import annotations

import copy
import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import set_key, two_types, write_yaml

from callsim.ui.cli import main

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "examples" / "mmc_tiny.yaml"

BASE: dict[str, Any] = two_types(name="cli-test")


def write(tmp_path: Path, data: dict[str, Any], name: str = "s.yaml") -> Path:
    return write_yaml(tmp_path, data, name)


def mutated(path: str, value: Any) -> dict[str, Any]:
    return set_key(copy.deepcopy(BASE), path, value)


def _unserved() -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["call_types"]["c"] = {"handle_time": 10}
    data["arrivals"]["mix"] = {"a": 0.5, "b": 0.5, "c": 0.0}
    return data


BAD_FILES: dict[str, tuple[dict[str, Any], str]] = {
    "unknown_key": (mutated("horizon.lenght", 5), "horizon.lenght"),
    "negative_rate": (mutated("arrivals.rate", -5), "arrivals.rate"),
    "zero_rate": (mutated("arrivals.rate", 0), "arrivals.rate"),
    "mix_sum": (mutated("arrivals.mix", {"a": 0.5, "b": 0.4}), "must sum to 1"),
    "routing_unknown_pool": (mutated("routing", {"a": ["nope"]}), "routing.a[0]"),
    "call_type_nobody_serves": (_unserved(), "call_types.c"),
    "staffing_short": (mutated("pools.p1.staffing", {"per_interval": [2]}),
                       "pools.p1.staffing.per_interval"),
    "bad_distribution": (mutated("call_types.a.handle_time", {"dist": "normal", "mean": 5}),
                         "'normal'"),
    "bad_duration": (mutated("horizon.length", "2 weeks"), "horizon.length"),
    "bad_clock": (mutated("horizon.start", "25:99"), "horizon.start"),
    "empirical_file_missing": (
        mutated("call_types.a.handle_time", {"dist": "empirical", "file": "missing.csv"}),
        "missing.csv"),
}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------ bad inputs


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_run_bad_scenario_exits_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    data, needle = BAD_FILES[case]
    path = write(tmp_path, data, f"{case}.yaml")
    code, _out, err = run_cli(capsys, "run", str(path))
    assert code == 2
    assert "Traceback" not in err
    assert "error" in err
    assert needle in err
    assert str(path) in err


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_validate_bad_scenario_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    data, needle = BAD_FILES[case]
    path = write(tmp_path, data, f"{case}.yaml")
    code, _out, err = run_cli(capsys, "validate", str(path))
    assert code == 2
    assert "Traceback" not in err
    assert needle in err and str(path) in err


def test_validate_reports_bad_empirical_file_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "h.csv").write_text("10\nabc\n", encoding="utf-8")
    data = mutated("call_types.a.handle_time", {"dist": "empirical", "file": "h.csv"})
    path = write(tmp_path, data)
    code, _out, err = run_cli(capsys, "validate", str(path))
    assert code == 2
    assert "Traceback" not in err
    assert "call_types.a.handle_time" in err and "h.csv" in err and "line 2" in err


@pytest.mark.parametrize("which", ["scenario", "data"])
def test_non_utf8_file_exits_2_without_traceback(tmp_path: Path, which: str) -> None:
    if which == "scenario":
        path = tmp_path / "korean.yaml"
        path.write_bytes(("# 서울 120\n" + yaml.safe_dump(BASE)).encode("cp949"))
    else:
        (tmp_path / "h.csv").write_bytes("처리시간\n10\n20\n".encode("cp949"))
        path = write(tmp_path, mutated("call_types.a.handle_time",
                                       {"dist": "empirical", "file": "h.csv"}))
    proc = _python_m("validate", str(path), cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2


def test_missing_scenario_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for cmd in ("run", "validate"):
        code, _out, err = run_cli(capsys, cmd, str(tmp_path / "nothere.yaml"))
        assert code == 2
        assert "nothere.yaml" in err and "not found" in err
        assert "Traceback" not in err


def test_unsafe_yaml_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(BASE) + "description: !!python/object/apply:os.getcwd []\n",
                    encoding="utf-8")
    code, _out, err = run_cli(capsys, "validate", str(path))
    assert code == 2
    assert "Traceback" not in err and "evil.yaml" in err


@pytest.mark.parametrize(("args", "needle"), [
    (["--reps", "0"], "--reps"),
    (["--reps", "-3"], "--reps"),
    (["--seed", "-1"], "--seed"),
    (["--set", "garbage"], "path=value"),
    (["--set", "pools.agents.staffing.agents=-2"], "pools.agents.staffing.agents"),
    (["--set", "pools.agents.staffing.agents=abc"], "'abc'"),
    (["--set", "arrivals.rat=100"], "'rat'"),
])
def test_run_bad_options_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    code, out, err = run_cli(capsys, "run", str(TINY), *args)
    assert code == 2
    assert "Traceback" not in err
    assert needle in err
    assert "KPI" not in out  # nothing was simulated


def test_argparse_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["run"], ["run", str(TINY), "--reps", "many"], ["nonsense"], []):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("args", [
    ["--rate", "-5", "--aht", "180", "--agents", "30"],
    ["--rate", "500", "--aht", "0", "--agents", "30"],
    ["--rate", "500", "--aht", "180", "--agents", "0"],
    ["--rate", "500", "--aht", "180"],
    ["--rate", "500", "--aht", "180", "--agents", "20"],  # unstable without patience
    ["--rate", "500", "--aht", "180", "--target-ar", "0.9"],  # needs --patience
])
def test_erlang_bad_input_exits_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, _out, err = run_cli(capsys, "erlang", *args)
    assert code == 2
    assert "error" in err and "Traceback" not in err


# -------------------------------------------------------------------------- commands


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "validate", str(TINY))
    assert code == 0
    assert "valid" in out and "mmc-tiny" in out
    assert err == ""


def test_validate_with_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, BASE)
    code, _out, _err = run_cli(capsys, "validate", str(path), "--set", "arrivals.rate=30")
    assert code == 0


def test_schema_is_json_with_properties(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run_cli(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    props = schema["properties"]
    for key in ("horizon", "call_types", "arrivals", "pools", "routing", "queue", "kpis"):
        assert key in props
    assert set(schema["required"]) >= {"call_types", "arrivals", "pools"}


def test_erlang_prints_figures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run_cli(capsys, "erlang", "--rate", "500", "--aht", "180", "--agents", "30")
    assert code == 0
    assert "Erlang C" in out
    assert "25.00 erlangs" in out  # 500/h x 180 s = 25 erlangs
    for label in ("answer rate", "P(wait)", "ASA", "service level (20 s)", "occupancy",
                  "mean queue"):
        assert label in out
    assert "83.33 %" in out  # occupancy = 25 / 30


def test_erlang_a_and_staffing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run_cli(capsys, "erlang", "--rate", "500", "--aht", "180", "--agents",
                              "24", "--patience", "120")
    assert code == 0 and "Erlang A" in out
    code, out, _err = run_cli(capsys, "erlang", "--rate", "500", "--aht", "180",
                              "--target-sl", "0.8")
    assert code == 0 and "fewest agents" in out


def _read_intervals(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_run_prints_table_and_writes_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run_cli(capsys, "run", str(TINY), "--reps", "3", "--seed", "4",
                             "--out", str(out_dir))
    assert code == 0, err
    assert "Traceback" not in err
    for kpi in ("arrivals", "answer_rate", "asa", "sl_20", "occupancy"):
        assert kpi in out
    assert "95 % CI" in out  # several replications: CIs shown
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    kpis = summary["kpis"]
    for name in ("arrivals", "offered", "answered", "answer_rate", "asa", "sl_20", "sla_20",
                 "p_wait", "occupancy", "wait_p90"):
        entry = kpis[name]
        assert {"mean", "half_width", "n"} <= set(entry)
        assert entry["n"] == 3
        assert isinstance(entry["mean"], float) and math.isfinite(entry["mean"])
        assert entry["half_width"] is None or entry["half_width"] >= 0
    assert 0 <= kpis["answer_rate"]["mean"] <= 1
    assert kpis["answered"]["mean"] <= kpis["offered"]["mean"] <= kpis["arrivals"]["mean"]
    rows = _read_intervals(out_dir / "intervals.csv")
    assert rows
    assert {"interval", "call_type", "arrivals", "answered"} <= set(rows[0])
    # 8 h in 30-min intervals, one call type plus "all"
    assert len(rows) == 16 * 2
    all_rows = [r for r in rows if r["call_type"] == "all"]
    assert math.isclose(sum(float(r["arrivals"]) for r in all_rows),
                        kpis["arrivals"]["mean"], rel_tol=1e-9)


def test_run_single_replication_has_no_ci(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, BASE)
    code, out, _err = run_cli(capsys, "run", str(path), "--out", str(tmp_path / "o"),
                              "--set", "pools.p1.staffing.agents=4")
    assert code == 0
    assert "95 % CI" not in out and "answer_rate" in out
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["kpis"]["arrivals"]["n"] == 1
    assert summary["kpis"]["arrivals"]["half_width"] is None
    assert summary["kpis"]["pool.p1.mean_staffed"]["mean"] == pytest.approx(4.0)


def test_run_is_reproducible(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outs = []
    for name in ("x", "y"):
        code, _out, _err = run_cli(capsys, "run", str(TINY), "--seed", "7", "--out",
                                   str(tmp_path / name))
        assert code == 0
        outs.append(json.loads((tmp_path / name / "summary.json").read_text("utf-8")))
    assert outs[0] == outs[1]


# ------------------------------------------------------------------------ subprocess


def _python_m(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "callsim", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_subprocess_run_writes_summary(tmp_path: Path) -> None:
    proc = _python_m("run", str(TINY), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "answer_rate" in proc.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["kpis"]["answer_rate"]["n"] == 1
    assert (tmp_path / "out" / "intervals.csv").is_file()


@pytest.mark.slow
def test_subprocess_bad_input_exit_2_no_traceback(tmp_path: Path) -> None:
    data, _ = BAD_FILES["mix_sum"]
    path = write(tmp_path, data)
    proc = _python_m("run", str(path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert str(path) in proc.stderr and "must sum to 1" in proc.stderr
    proc = _python_m("run", str(TINY), "--reps", "0", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "--reps" in proc.stderr
