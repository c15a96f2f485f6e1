"""Batches at scale: backends, checkpoints and resume, sequential stopping, sweeps, progress.

The numbers a batch gives must not depend on where it ran: serially, on worker
processes or on a Dask cluster, uninterrupted or killed and resumed. These tests use
small Erlang scenarios so that each replication takes a few milliseconds.
"""

from __future__ import annotations

import io
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import callsim
from callsim.compiled import compile_scenario
from callsim.config import load_scenario
from callsim.errors import ConfigError, Refusal
from callsim.experiment import run_batch, run_batches, sweep
from callsim.experiment.backends import Runner
from callsim.experiment.replication import Task, execute
from callsim.io.fingerprint import fingerprint
from callsim.io.records import RepRecord
from callsim.io.rundir import CheckpointError, CheckpointStore
from callsim.io.writers import summary_dict
from callsim.results import BatchResult
from callsim.ui.cli import main
from callsim.ui.options import parse_precision
from callsim.ui.parsing import expand_values, parse_grid
from callsim.ui.progress import ProgressBar, progress_enabled

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "examples" / "mmc_tiny.yaml"


def small(agents: int = 6, rate: float = 120.0, hours: float = 4) -> callsim.Scenario:
    """An M/M/c+M scenario whose replications take a few milliseconds."""
    return callsim.erlang_scenario(rate, 180, agents, patience=120, hours=hours)


def assert_same_batch(a: BatchResult, b: BatchResult) -> None:
    """Bit-identical replications and tables."""
    pd.testing.assert_frame_equal(a.replications, b.replications, check_exact=True)
    pd.testing.assert_frame_equal(a.intervals, b.intervals, check_exact=True)
    pd.testing.assert_frame_equal(a.agents, b.agents, check_exact=True)
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)


# ----------------------------------------------------------------------- records


def test_record_survives_json_exactly() -> None:
    # no calls in the first hour: NaN ratios in the interval table
    cs = compile_scenario(callsim.erlang_scenario([0, 100, 100, 100], 180, 2, patience=60,
                                                  hours=4))
    rec = execute(Task("d", cs, 3, 1))
    back = RepRecord.from_json(json.loads(json.dumps(rec.to_json(), allow_nan=False)))
    assert back.kpis.keys() == rec.kpis.keys()
    for k, v in rec.kpis.items():
        w = back.kpis[k]
        assert (math.isnan(v) and math.isnan(w)) or v == w, k
    for name, table in rec.tables.items():
        pd.testing.assert_frame_equal(table.to_frame(), back.tables[name].to_frame(),
                                      check_exact=True)
    assert any(np.isnan(c).any() for c, k in zip(rec.tables["intervals"].data,
                                                  rec.tables["intervals"].kinds,
                                                  strict=True) if k == "float")


def test_checkpoint_file_is_the_records_json(tmp_path: Path) -> None:
    cs = compile_scenario(callsim.erlang_scenario([0, 100, 100, 100], 180, 2, patience=60,
                                                  hours=4))
    store = CheckpointStore(tmp_path / "run", cs, 3)
    rec = execute(Task("", cs, 3, 2))
    path = store.write(rec)
    assert path.name == "r000002.json"
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text  # strict JSON: NaN is written as null
    doc = json.loads(text)
    assert len(doc.pop("checksum")) == 64  # a SHA-256 over the content and the scenario
    assert doc == json.loads(json.dumps(rec.to_json(), allow_nan=False))
    assert store.finished() == {2}
    back = store.load([0, 1, 2])
    assert list(back) == [2]
    assert back[2].to_json() == rec.to_json()


def test_fingerprint_is_stable_and_tells_scenarios_apart() -> None:
    a = fingerprint(compile_scenario(small()))
    assert a == fingerprint(compile_scenario(small()))
    assert a != fingerprint(compile_scenario(small(agents=7)))
    assert a != fingerprint(compile_scenario(small(rate=121)))


# ---------------------------------------------------------------------- backends


@pytest.mark.slow
def test_serial_processes_and_dask_give_identical_results() -> None:
    distributed = pytest.importorskip("distributed")
    sc = small()
    serial = run_batch(sc, reps=6, seed=11, progress=False)
    procs = run_batch(sc, reps=6, seed=11, backend="processes", jobs=2, progress=False)
    assert procs.info["workers"] == 2
    assert_same_batch(serial, procs)
    # a real LocalCluster with worker processes, reached by its scheduler address
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        dask = run_batch(sc, reps=6, seed=11, backend="dask",
                         scheduler=cluster.scheduler_address, progress=False)
    assert dask.info["workers"] == 2
    assert_same_batch(serial, dask)


def test_dask_in_process_cluster_and_client_object() -> None:
    distributed = pytest.importorskip("distributed")
    sc = small()
    serial = run_batch(sc, reps=5, seed=2, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        dask = run_batch(sc, reps=5, seed=2, backend="dask", scheduler=client,
                         progress=False)
        assert client.status == "running"  # a client we were given is left open
    assert_same_batch(serial, dask)


def test_results_do_not_depend_on_completion_order() -> None:
    # replications folded in any arrival order give the same batch
    cs = compile_scenario(small())
    recs = [execute(Task("", cs, 4, r)) for r in range(5)]
    from callsim.experiment.batch import _Design

    a, b = _Design("", cs, 4, None), _Design("", cs, 4, None)
    a.target = b.target = 5
    for rec in recs:
        a.add(rec)
    for rec in reversed(recs):
        b.add(rec)
    assert_same_batch(a.result(0.95, {}), b.result(0.95, {}))


def test_dask_missing_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(Refusal, match=r"pip install 'callsim\[dask\]'"):
        Runner("dask")


def test_bad_backend_and_jobs_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="backend"):
        run_batch(small(), reps=2, backend="threads")
    with pytest.raises(ConfigError, match="jobs"):
        run_batch(small(), reps=2, backend="processes", jobs=0)
    with pytest.raises(ConfigError, match="scheduler"):
        run_batch(small(), reps=2, scheduler="tcp://127.0.0.1:1")


# ------------------------------------------------------------------- checkpoints


def test_checkpoint_resume_reads_instead_of_running(tmp_path: Path) -> None:
    sc = small()
    full = run_batch(sc, reps=6, seed=3, progress=False)
    part = run_batch(sc, reps=4, seed=3, out=tmp_path / "run", progress=False)
    assert sorted(p.name for p in (tmp_path / "run" / "reps").iterdir()) == [
        f"r{r:06d}.json" for r in range(4)]
    (tmp_path / "run" / "reps" / "r000001.json").unlink()  # as if lost mid-write
    resumed = run_batch(sc, reps=6, seed=3, out=tmp_path / "run", progress=False)
    assert resumed.info["replications_read"] == 3
    assert resumed.info["replications_run"] == 3
    assert_same_batch(full, resumed)
    assert_same_batch(run_batch(sc, reps=4, seed=3, progress=False), part)
    # nothing left to run: the backend is not even started
    again = run_batch(sc, reps=6, seed=3, out=tmp_path / "run", backend="processes",
                      progress=False)
    assert again.info["replications_run"] == 0
    assert_same_batch(full, again)


def test_directory_of_another_scenario_or_seed_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run_batch(small(), reps=2, seed=1, out=out, progress=False)
    with pytest.raises(CheckpointError, match="another scenario"):
        run_batch(small(agents=7), reps=2, seed=1, out=out, progress=False)
    with pytest.raises(CheckpointError, match="seed 1"):
        run_batch(small(), reps=2, seed=2, out=out, progress=False)
    # the refused runs wrote nothing
    assert len(list((out / "reps").iterdir())) == 2
    # replications without a manifest are not adopted either
    (tmp_path / "bare" / "reps").mkdir(parents=True)
    (tmp_path / "bare" / "reps" / "r000000.json").write_text("{}")
    with pytest.raises(CheckpointError, match="without a manifest"):
        CheckpointStore(tmp_path / "bare", compile_scenario(small()), 1)


def test_cli_refuses_other_scenario_directory(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "o")
    assert main(["run", str(TINY), "--reps", "2", "--out", out, "--quiet"]) == 0
    code = main(["run", str(TINY), "--reps", "2", "--out", out, "--quiet",
                 "--set", "pools.agents.staffing=7"])
    err = capsys.readouterr().err
    assert code == 2  # a refusal, like every bad input
    assert "another scenario" in err and "Traceback" not in err


def _wait_for_files(path: Path, n: int, proc: subprocess.Popen[bytes],
                    timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        have = len(list(path.glob("r*.json"))) if path.is_dir() else 0
        if have >= n:
            return have
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    raise AssertionError(f"only {have} replications written before the deadline / exit")


@pytest.mark.slow
def test_batch_killed_with_sigkill_resumes_to_same_summary(tmp_path: Path) -> None:
    reps = 24
    sets = ["--set", "arrivals.rate=500", "--set", "pools.agents.staffing=26",
            "--set", "horizon.length=16h"]
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "callsim", "run", str(TINY), "--reps", str(reps),
           "--seed", "9", "--jobs", "2", "--out", str(out), "--quiet", *sets]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        _wait_for_files(out / "reps", 3, proc)
        os.kill(proc.pid, signal.SIGKILL)  # the parent only, like `kill -9 PID`
    finally:
        proc.wait(timeout=30)
        assert proc.stderr is not None
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    written = sorted((out / "reps").glob("r*.json"))
    assert 3 <= len(written) < reps, "the batch was not interrupted mid-way"
    assert not (out / "summary.json").exists()
    for p in written:  # atomic writes: every file present is whole
        json.loads(p.read_text(encoding="utf-8"))

    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "resumed:" in done.stdout
    names = sorted(p.name for p in (out / "reps").glob("r*.json"))
    assert names == [f"r{r:06d}.json" for r in range(reps)]  # none lost, none twice
    assert not list((out / "reps").glob(".*tmp"))
    got = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    reps_csv = pd.read_csv(out / "replications.csv")
    assert reps_csv["replication"].tolist() == list(range(reps))

    ref = run_batch(load_scenario(TINY, [s for s in sets if s != "--set"]), reps=reps,
                    seed=9, progress=False)
    want = json.loads(json.dumps(summary_dict(ref)))
    assert got == want


# ----------------------------------------------------------- sequential stopping


@pytest.mark.slow
def test_sequential_stopping_reaches_requested_half_width() -> None:
    target = 0.01
    b = run_batch(small(), reps=4, seed=5, precision={"answer_rate": target}, max_reps=400,
                  progress=False)
    hw = b.summary.at["answer_rate", "half_width"]
    st = b.meta["stopping"]
    assert st["met"] and st["reason"] == "precision"
    assert hw <= target
    assert st["replications"] == len(b.replications) > 4
    assert st["half_widths"]["answer_rate"] == hw
    assert "precision reached" in (b.stopping or "")
    # the stopping rule sees only the numbers, so every backend stops at the same n
    again = run_batch(small(), reps=4, seed=5, precision=parse_precision(["answer_rate=0.01"]),
                      max_reps=400, backend="processes", jobs=2, progress=False)
    assert_same_batch(b, again)
    assert again.meta == b.meta


def test_sequential_stopping_reports_max_reps() -> None:
    b = run_batch(small(), reps=3, seed=5, precision={"answer_rate": 1e-6, "asa": 1e-6},
                  max_reps=9, progress=False)
    st = b.meta["stopping"]
    assert not st["met"] and st["reason"] == "max_reps"
    assert len(b.replications) == 9
    assert "max_reps (9) reached" in st["message"]


def test_precision_needs_known_kpi_and_sane_numbers() -> None:
    with pytest.raises(ConfigError, match="did you mean answer_rate"):
        run_batch(small(), reps=3, precision={"answer_rat": 0.01}, progress=False)
    with pytest.raises(ConfigError, match="no such KPI"):  # found before the sweep runs
        sweep(small(), {"arrivals.scale": [1, 2]}, reps=50, kpis=["answer"], progress=False)
    with pytest.raises(ConfigError, match="> 0"):
        parse_precision(["asa=-1"])
    with pytest.raises(ConfigError, match="KPI=HALF_WIDTH"):
        parse_precision(["asa"])
    with pytest.raises(ConfigError, match="max_reps"):
        run_batch(small(), reps=3, max_reps=10, progress=False)
    with pytest.raises(ConfigError, match="mapping"):  # strings are the command line's
        run_batch(small(), reps=3, precision=["asa=1"], progress=False)  # type: ignore[arg-type]


def test_cli_precision_prints_why_it_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(TINY), "--precision", "answer_rate=0.5", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert "stopped: precision reached after 10 replications" in out


# ------------------------------------------------------------------------ sweeps


def test_sweep_over_agents_gives_monotone_answer_rate(tmp_path: Path) -> None:
    res = sweep(small(rate=150), {"pools.agents.staffing.agents": [5, 6, 7, 8, 9]}, reps=4,
                seed=1, progress=False)
    t = res.table
    assert list(t.columns) == ["point", "pools.agents.staffing.agents", "kpi", "mean",
                               "half_width", "ci_low", "ci_high", "n"]
    ar = res.kpi("answer_rate")
    assert ar["pools.agents.staffing.agents"].tolist() == [5, 6, 7, 8, 9]
    assert np.all(np.diff(ar["mean"].to_numpy()) > 0)
    assert (ar["n"] == 4).all()
    # common random numbers: every point saw the same callers
    arrivals = res.kpi("arrivals")["mean"].to_numpy()
    assert np.all(arrivals == arrivals[0])
    # a point equals a plain batch of the overridden scenario
    one = run_batch(small(rate=150), reps=4, seed=1,
                    overrides={"pools.agents.staffing.agents": 7}, progress=False)
    assert_same_batch(res.batches[2], one)


def test_sweep_grid_is_cartesian_and_resumable(tmp_path: Path) -> None:
    grid = {"pools.agents.staffing.agents": [5, 7], "arrivals.scale": [0.8, 1.0, 1.2]}
    a = sweep(small(), grid, reps=3, seed=2, kpis=["answer_rate", "asa"],
              out=tmp_path / "sw", progress=False)
    assert [tuple(p.values()) for p in a.points] == [
        (5, 0.8), (5, 1.0), (5, 1.2), (7, 0.8), (7, 1.0), (7, 1.2)]
    assert len(a.table) == 6 * 2
    doc = json.loads((tmp_path / "sw" / "sweep.json").read_text(encoding="utf-8"))
    assert len(doc["points"]) == 6
    b = sweep(small(), grid, reps=3, seed=2, kpis=["answer_rate", "asa"],
              out=tmp_path / "sw", backend="processes", jobs=2, progress=False)
    assert b.info["workers"] == 2
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    assert all(x.info["replications_read"] == 3 for x in b.batches)
    with pytest.raises(CheckpointError, match="sweep"):
        run_batch(small(), reps=2, out=tmp_path / "sw", progress=False)


def test_run_batches_shares_seed_across_designs() -> None:
    out = run_batches({"five": small(5), "seven": small(7)}, reps=3, seed=4, progress=False)
    assert list(out) == ["five", "seven"]
    assert (out["five"].replications["arrivals"]
            == out["seven"].replications["arrivals"]).all()
    assert out["five"].kpis["answer_rate"] < out["seven"].kpis["answer_rate"]


def test_sweep_values_and_ranges() -> None:
    assert expand_values("100:200:10") == list(range(100, 201, 10))
    assert expand_values("0.8:1.4:0.1") == [0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4]
    assert expand_values("1,2,[3,4]") == [1, 2, [3, 4]]
    assert expand_values("x,'09:00'") == ["x", "09:00"]
    assert parse_grid(["a.b=1:3:1", "c=0.5"]) == {"a.b": [1, 2, 3], "c": [0.5]}
    with pytest.raises(ConfigError, match="twice"):
        parse_grid(["a=1", "a=2"])
    with pytest.raises(ConfigError, match="listed twice"):
        sweep(small(), {"arrivals.scale": [1, 1]}, reps=2, progress=False)


def test_cli_sweep_prints_table_and_writes_csv(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sw"
    code = main(["sweep", str(TINY), "--set", "pools.agents.staffing=4:6:1", "--reps", "3",
                 "--out", str(out), "--quiet"])
    stdout = capsys.readouterr().out
    assert code == 0
    assert "3 grid points" in stdout and "answer_rate" in stdout
    table = pd.read_csv(out / "sweep.csv")
    assert sorted(set(table["pools.agents.staffing"])) == [4, 5, 6]
    assert main(["sweep", str(TINY), "--reps", "2"]) == 2  # no --set


# ---------------------------------------------------------------------- progress


def test_progress_is_off_when_stderr_is_not_a_tty(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress_enabled(None) is False
    assert progress_enabled(True) is True
    assert progress_enabled(False) is False
    monkeypatch.undo()

    run_batch(small(), reps=3, progress=None)  # pytest captures stderr: not a TTY
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_progress_bar_shows_rate_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    run_batch(small(), reps=3, progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "reps/s" in err


def test_progress_bar_disabled_is_a_no_op() -> None:
    with ProgressBar(False) as bar:
        bar.extend(10, 2)
        bar.advance(3)
        bar.describe("x")
