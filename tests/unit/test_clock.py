"""Clock-of-day KPIs (issue 11, item 5): reporting intervals pooled by clock time over
days and replications, every rate a ratio of pooled counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import callsim
from callsim.ui.cli import main

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "examples" / "mmc_tiny.yaml"

#: three days, the first a warm-up, a busy day shape (calls/h and agents per hour)
RATES = [40] * 7 + [150] * 11 + [60] * 6
AGENTS = [3] * 7 + [9] * 11 + [4] * 6


def three_days() -> callsim.Scenario:
    return callsim.erlang_scenario(RATES, 180, AGENTS, patience=120, hours=72, warmup=24,
                                   service_levels=(20, 60))


@pytest.fixture(scope="module")
def day() -> callsim.ReplicationResult:
    return callsim.simulate(three_days(), seed=4)


def test_one_row_per_clock_interval_and_call_type(day: callsim.ReplicationResult) -> None:
    clk = day.clock
    assert list(dict.fromkeys(clk["clock"])) == [f"{h:02d}:00" for h in range(24)]
    assert sorted(set(clk["call_type"])) == ["all", "calls"]
    assert len(clk) == 48
    assert (clk["intervals"] == 2).all()  # two measured days (the warm-up day left out)
    for col in ("clock", "call_type", "offered", "answered", "abandoned", "abandon_rate",
                "asa", "sl_20", "sl_60", "sla_20", "mean_queue"):
        assert col in clk, col


def test_counts_are_the_measured_days_pooled(day: callsim.ReplicationResult) -> None:
    iv = day.intervals
    measured = iv[iv["start"] >= 86400].assign(hhmm=lambda d: d["clock"].str[-5:])
    pooled = measured.groupby(["call_type", "hhmm"])[
        ["arrivals", "offered", "answered", "abandoned"]].sum()
    clk = day.clock.set_index(["call_type", "clock"])
    for col in ("arrivals", "offered", "answered", "abandoned"):
        np.testing.assert_array_equal(clk.loc[pooled.index, col].to_numpy(),
                                      pooled[col].to_numpy())


def test_rates_come_from_pooled_counts(day: callsim.ReplicationResult) -> None:
    iv = day.intervals
    measured = iv[(iv["start"] >= 86400) & (iv["call_type"] == "all")].copy()
    measured["hhmm"] = measured["clock"].str[-5:]
    measured["wait_sum"] = measured["asa"] * measured["answered"]
    g = measured.groupby("hhmm")
    clk = day.clock[day.clock["call_type"] == "all"].set_index("clock")
    ratio = g["answered"].sum() / g["offered"].sum()
    np.testing.assert_allclose(clk["answer_rate"], ratio[clk.index], rtol=1e-12)
    asa = g["wait_sum"].sum() / g["answered"].sum()
    np.testing.assert_allclose(clk["asa"], asa[clk.index], rtol=1e-9)
    # not the mean of the two days' ratios (which weights a quiet day like a busy one)
    mean_of_ratios = g["answer_rate"].mean()[clk.index]
    assert not np.allclose(clk["answer_rate"], mean_of_ratios, rtol=1e-9)
    # all clock intervals together are the whole measurement window
    k = day.kpis
    assert clk["answered"].sum() == k["answered"] and clk["offered"].sum() == k["offered"]
    pooled_asa = (clk["asa"] * clk["answered"]).sum() / clk["answered"].sum()
    assert pooled_asa == pytest.approx(k["asa"], rel=1e-9)
    pooled_sl = (clk["sl_20"] * clk["answered"]).sum() / clk["answered"].sum()
    assert pooled_sl == pytest.approx(k["sl_20"], rel=1e-9)


def test_partial_last_interval_divides_by_the_time_covered() -> None:
    res = callsim.simulate(callsim.erlang_scenario(100, 180, 5, patience=120, hours=3.5),
                           seed=1)
    clk = res.clock[res.clock["call_type"] == "all"].set_index("clock")
    iv = res.intervals[res.intervals["call_type"] == "all"]
    np.testing.assert_allclose(clk["mean_queue"].to_numpy(), iv["mean_queue"].to_numpy(),
                               rtol=1e-12)  # the last interval is 30 min long
    assert list(clk.index) == ["00:00", "01:00", "02:00", "03:00"]


def test_batch_pools_over_replications() -> None:
    sc = three_days()
    batch = callsim.run_batch(sc, reps=3, seed=4, progress=False)
    reps = [callsim.simulate(sc, seed=4, replication=r).clock for r in range(3)]
    clk = batch.clock
    assert (clk["intervals"] == 6).all()  # 2 days x 3 replications
    for col in ("offered", "answered", "abandoned"):
        np.testing.assert_array_equal(clk[col].to_numpy(),
                                      sum(r[col].to_numpy() for r in reps))
    np.testing.assert_allclose(clk["answer_rate"], clk["answered"] / clk["offered"],
                               rtol=1e-15)
    wait = sum((r["asa"] * r["answered"]).fillna(0).to_numpy() for r in reps)
    np.testing.assert_allclose(clk["asa"].to_numpy(), wait / clk["answered"].to_numpy(),
                               rtol=1e-9)


def test_clock_csv_from_cli_and_api(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["run", str(TINY), "--reps", "3", "--seed", "2", "--out", str(out),
                 "--quiet"]) == 0
    written = pd.read_csv(out / "clock.csv")
    assert {"clock", "call_type", "offered", "answered", "abandoned", "abandon_rate", "asa",
            "sl_20"} <= set(written.columns)
    assert "all" in set(written["call_type"])
    api = callsim.run_batch(TINY, reps=3, seed=2, progress=False)
    pd.testing.assert_frame_equal(written, api.clock.reset_index(drop=True),
                                  check_dtype=False)
    # resumed from the run folder: the same pooled table, exactly
    again = callsim.run_batch(TINY, reps=3, seed=2, out=out, progress=False)
    assert again.info["replications_read"] == 3
    pd.testing.assert_frame_equal(again.clock, api.clock, check_exact=True)
