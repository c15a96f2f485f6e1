"""The experiment API (issues 9 and 14): compiled scenarios accepted everywhere and never
recompiled per replication, one worker pool reused across calls, progress through a
protocol."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd
import pytest
import yaml

import callsim
from callsim.compiled import rates
from callsim.errors import ConfigError
from callsim.experiment import Progress, Runner, compare, run_batch, run_batches, sweep


def small(agents: int = 6) -> callsim.Scenario:
    return callsim.erlang_scenario(120, 180, agents, patience=120, hours=3,
                                   interval_minutes=30)


def assert_same(a: callsim.BatchResult, b: callsim.BatchResult) -> None:
    pd.testing.assert_frame_equal(a.replications, b.replications, check_exact=True)
    pd.testing.assert_frame_equal(a.intervals, b.intervals, check_exact=True)
    pd.testing.assert_frame_equal(a.agents, b.agents, check_exact=True)
    pd.testing.assert_frame_equal(a.clock, b.clock, check_exact=True)


# ------------------------------------------------------------ one worker pool


def test_one_runner_starts_its_workers_once() -> None:
    sc, sc7 = small(), small(7)
    with Runner("processes", jobs=2) as runner:
        a = run_batch(sc, reps=4, seed=1, runner=runner, progress=False)
        pids = runner.worker_pids()
        assert pids and all(_alive(p) for p in pids)  # left up for the next call
        b = run_batch(sc7, reps=4, seed=2, runner=runner, progress=False)
        both = run_batches({"six": sc, "seven": sc7}, reps=3, seed=1, runner=runner,
                           progress=False)
        grid = sweep(sc, {"pools.agents.staffing.agents": [5, 7]}, reps=3, seed=1,
                     runner=runner, progress=False)
        comp = compare({"six": sc, "seven": sc7}, reps=3, seed=1, runner=runner,
                       progress=False)
        assert runner.starts == 1 and runner.worker_pids() == pids
        assert a.info["workers"] == 2 and a.info["backend"] == "processes"
    assert not any(_alive(p) for p in pids)  # closed with the runner
    # the same numbers as separate runs, serial
    assert_same(a, run_batch(sc, reps=4, seed=1, progress=False))
    assert_same(b, run_batch(sc7, reps=4, seed=2, progress=False))
    assert_same(both["seven"], run_batch(sc7, reps=3, seed=1, progress=False))
    pd.testing.assert_frame_equal(grid.table, sweep(
        sc, {"pools.agents.staffing.agents": [5, 7]}, reps=3, seed=1,
        progress=False).table, check_exact=True)
    assert_same(comp.batches["six"], both["six"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) is not alive
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def test_a_serial_runner_is_reused_too() -> None:
    with Runner() as runner:
        a = run_batch(small(), reps=2, seed=1, runner=runner, progress=False)
        b = run_batch(small(), reps=2, seed=1, runner=runner, progress=False)
    assert runner.starts == 0  # nothing to start in this process
    assert_same(a, b)


def test_runner_or_backend_not_both() -> None:
    with Runner() as runner, pytest.raises(ConfigError, match="either runner="):
        run_batch(small(), reps=2, runner=runner, backend="processes", progress=False)


# ------------------------------------------------------- compiled scenarios


def test_every_entry_point_takes_a_compiled_scenario() -> None:
    sc = small()
    cs = callsim.compile(sc)
    pd.testing.assert_series_equal(pd.Series(callsim.simulate(cs, seed=2).kpis),
                                   pd.Series(callsim.simulate(sc, seed=2).kpis))
    assert_same(run_batch(cs, reps=3, seed=2, progress=False),
                run_batch(sc, reps=3, seed=2, progress=False))
    over = {"pools.agents.staffing.agents": 8}
    assert_same(run_batch(cs, reps=3, seed=2, overrides=over, progress=False),
                run_batch(sc, reps=3, seed=2, overrides=over, progress=False))
    assert_same(run_batches({"x": cs}, reps=3, seed=2, progress=False)["x"],
                run_batches({"x": sc}, reps=3, seed=2, progress=False)["x"])
    grid = {"arrivals.scale": [0.9, 1.1]}
    pd.testing.assert_frame_equal(sweep(cs, grid, reps=2, seed=2, progress=False).table,
                                  sweep(sc, grid, reps=2, seed=2, progress=False).table)
    comp = compare([cs, callsim.compile(small(7))], reps=2, seed=2, progress=False)
    assert len(comp.designs) == 2 and not comp.differences().empty


def test_a_compiled_scenario_without_its_source_cannot_take_overrides() -> None:
    import dataclasses

    bare = dataclasses.replace(callsim.compile(small()), source=None)
    run_batch(bare, reps=1, progress=False)  # runs as it is
    with pytest.raises(ConfigError, match="compiled from"):
        sweep(bare, {"arrivals.scale": [1, 2]}, reps=1, progress=False)


@pytest.fixture
def csv_scenario(tmp_path: Path) -> Path:
    (tmp_path / "calls.csv").write_text(
        "calls\n" + "\n".join(str(v) for v in [40, 60, 120, 150, 90, 50]) + "\n",
        encoding="utf-8")
    doc = {
        "name": "csv-profile",
        "horizon": {"length": "6h", "interval": "60min"},
        "call_types": {"calls": {"handle_time": {"dist": "exponential", "mean": 180},
                                 "patience": {"dist": "exponential", "mean": 120}}},
        "arrivals": {"csv": {"path": "calls.csv", "interval": "1h"}, "mix": {"calls": 1.0}},
        "pools": {"agents": {"skills": ["calls"], "staffing": 6}},
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_a_csv_profile_is_read_once_per_batch(csv_scenario: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    real = rates.read_numbers

    def counting(path: Path, *args: Any) -> list[float]:
        reads.append(str(path))
        return real(path, *args)

    monkeypatch.setattr(rates, "read_numbers", counting)
    run_batch(csv_scenario, reps=4, seed=1, progress=False)
    assert len(reads) == 1  # compiled once, not once per replication
    cs = callsim.compile(callsim.load_scenario(csv_scenario))
    assert len(reads) == 2
    batch = run_batch(cs, reps=4, seed=1, progress=False)
    assert len(reads) == 2  # a compiled scenario is never compiled again
    # workers get everything in the task: the file may go once compiled
    (csv_scenario.parent / "calls.csv").unlink()
    on_workers = run_batch(cs, reps=4, seed=1, backend="processes", jobs=2, progress=False)
    assert_same(batch, on_workers)


# ----------------------------------------------------------------- progress


class Recorder:
    """A :class:`Progress` of one's own: remembers what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def __enter__(self) -> Recorder:
        self.events.append(("enter", 0))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.events.append(("exit", 0))

    def extend(self, more: int, already_done: int = 0) -> None:
        self.events.append(("extend", more))

    def advance(self, n: int = 1) -> None:
        self.events.append(("advance", n))

    def describe(self, description: str) -> None:
        self.events.append(("describe", 0))


def test_progress_is_a_protocol_anyone_can_fill(tmp_path: Path) -> None:
    rec = Recorder()
    assert isinstance(rec, Progress)
    out = tmp_path / "run"
    run_batch(small(), reps=2, seed=1, out=out, progress=False)
    run_batch(small(), reps=3, seed=1, out=out, progress=rec)
    assert rec.events == [("enter", 0), ("extend", 3), ("advance", 1), ("exit", 0)]
