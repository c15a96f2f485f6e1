"""The planning layer on the experiment layer: a search or a staffing plan starts its
workers once (one persistent Runner), gets per-replication tables from the batch layer
(not from checkpoint files), shows one progress display, and gives the same numbers on
every backend."""

from __future__ import annotations

import copy
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from test_plan_run import SMALL
from test_search import MENU, QUEUE

import callsim
from callsim.config import scenario_from_dict
from callsim.experiment import backends
from callsim.experiment.progress import NoProgress, Shared
from callsim.io.reader import replication_tables
from callsim.plan import plan
from callsim.search import Execution, calibrate, optimise_menu


class Recorder:
    """A progress display that remembers what it was told."""

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


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the worker pools started (one entry per ProcessPoolExecutor)."""
    started: list[int] = []

    class Counting(ProcessPoolExecutor):
        def __init__(self, *a: Any, **kw: Any) -> None:
            started.append(1)
            super().__init__(*a, **kw)

    monkeypatch.setattr(backends, "ProcessPoolExecutor", Counting)
    return started


def test_keep_tables_hands_back_each_replications_tables(tmp_path: Path) -> None:
    sc = scenario_from_dict(copy.deepcopy(QUEUE))
    out = tmp_path / "cmp"
    batches = callsim.run_batches({"a": sc}, reps=3, seed=4, out=out, keep_tables=True,
                                  progress=False)
    b = batches["a"]
    kept = b.per_replication
    assert set(kept) >= {"intervals", "agents", "clock"}
    on_disk = replication_tables(out / "a", 3)
    for name in ("intervals", "agents"):
        assert sorted(kept[name]["replication"].unique()) == [0, 1, 2]
        pd.testing.assert_frame_equal(kept[name].reset_index(drop=True),
                                      on_disk[name].reset_index(drop=True), check_dtype=False)
    # the batch's mean table is their mean
    mean = kept["intervals"].groupby(["call_type", "start"], sort=False)["offered"].mean()
    assert np.allclose(mean.to_numpy(), b.intervals["offered"].to_numpy())
    # resumed from the folder: the same tables, read from the records
    again = callsim.run_batches({"a": sc}, reps=3, seed=4, out=out, keep_tables=True,
                                progress=False)["a"]
    assert again.info["replications_read"] == 3
    pd.testing.assert_frame_equal(again.per_replication["intervals"], kept["intervals"])
    # not asked: nothing kept
    assert callsim.run_batch(sc, reps=2, seed=4, progress=False).per_replication == {}
    assert b.meta["window"] == 8 * 3600


def test_shared_progress_is_entered_once_by_its_owner() -> None:
    bar = Recorder()
    with bar:
        for _ in range(3):
            with Shared(bar) as lent:
                lent.extend(4)
                lent.advance(4)
        with Shared(bar, plan=False) as lent:  # the owner planned the total
            lent.extend(5, 2)
            lent.advance(3)
    assert bar.entered == 1 and bar.total == 12 and bar.done == 17
    assert isinstance(NoProgress(), type(NoProgress()))


@pytest.mark.slow
def test_a_plan_starts_its_workers_once_with_the_same_numbers(
        tmp_path: Path, pools: list[int]) -> None:
    src = tmp_path / "small.yaml"
    src.write_text(yaml.safe_dump(SMALL, sort_keys=False), encoding="utf-8")
    bar = Recorder()
    par = plan(src, ["answer_rate>=0.85"], reps=8, seed=5, backend="processes", jobs=2,
               progress=bar)
    assert len(pools) == 1 and par.batches > 2
    assert bar.entered == 1 and bar.total == bar.done == par.simulations
    ser = plan(src, ["answer_rate>=0.85"], reps=8, seed=5, progress=False)
    assert len(pools) == 1  # serial: no pool
    pd.testing.assert_frame_equal(par.verification(), ser.verification())
    assert par.agent_hours() == ser.agent_hours()
    # a runner of the caller's is used as it is, and left open
    with callsim.Runner("processes", 2) as r:
        again = plan(src, ["answer_rate>=0.85"], reps=8, seed=5, runner=r, progress=False)
        assert r.starts == 1 and r.worker_pids()
    pd.testing.assert_frame_equal(again.verification(), ser.verification())


@pytest.mark.slow
def test_a_search_starts_its_workers_once_with_the_same_numbers(pools: list[int]) -> None:
    kw: dict[str, Any] = {"reps": 2, "final_reps": 3, "rounds": 2}
    targets, free = ["answer_rate=0.8±0.02"], ["pools.p.staffing.shifts.*.agents*=0.7:1.5"]
    q = scenario_from_dict(copy.deepcopy(QUEUE))
    bar = Recorder()
    par = calibrate(q, targets, free, execution=Execution("processes", 2), progress=bar, **kw)
    assert len(pools) == 1 and par.counter.batches > 3
    assert bar.entered == 1 and bar.done == par.counter.replications == bar.total
    ser = calibrate(q, targets, free, progress=False, **kw)
    pd.testing.assert_frame_equal(par.residuals, ser.residuals)
    pd.testing.assert_frame_equal(par.history, ser.history)
    m = scenario_from_dict(copy.deepcopy(MENU))
    mkw: dict[str, Any] = {"trials": 6, "reps": 2, "final_reps": 3, "finalists": 2}
    mpar = optimise_menu(m, "min:ivr_time", execution=Execution("processes", 2),
                         progress=False, **mkw)
    assert len(pools) == 2  # one more search, one more pool
    mser = optimise_menu(m, "min:ivr_time", progress=False, **mkw)
    pd.testing.assert_frame_equal(mpar.selection.table, mser.selection.table)
