"""Figures (issue 5, item 1): each plot runs on real results and draws what it should."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.collections import LineCollection, PathCollection, PolyCollection, QuadMesh
from matplotlib.figure import Figure

import callsim
from callsim.experiment import compare
from callsim.results import ReplicationResult, t_halfwidth
from callsim.results import kpis as registry
from callsim.ui import plots

#: two call types, two pools, a clock that starts at 09:00 (so clock axes are tested)
SCENARIO: dict[str, Any] = {
    "name": "plots-test",
    "horizon": {"start": "09:00", "length": "3h", "interval": "30min"},
    "call_types": {
        "sales": {"handle_time": {"dist": "exponential", "mean": 150},
                  "patience": {"dist": "exponential", "mean": 90}},
        "support": {"handle_time": {"dist": "exponential", "mean": 240},
                    "patience": {"dist": "exponential", "mean": 120}},
    },
    "arrivals": {"rate": 120, "mix": {"sales": 0.6, "support": 0.4}},
    "pools": {"front": {"skills": ["sales"], "staffing": 3},
              "back": {"skills": ["support", "sales"], "staffing": 4}},
    "kpis": {"service_levels": [20]},
}
REPS = 4


@pytest.fixture(scope="module")
def scenario_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plots") / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reps(scenario_path: Path) -> list[ReplicationResult]:
    return plots.replications(scenario_path, reps=REPS, seed=3, record_calls=True)


def bands(ax: Any) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def tick_texts(ax: Any) -> list[str]:
    fig = ax.get_figure(root=True)
    fig.canvas.draw()
    lo, hi = ax.get_xlim()
    return [t.get_text() for t in ax.get_xticklabels()
            if t.get_text() and lo - 1e-9 <= t.get_position()[0] <= hi + 1e-9]


def assert_labelled(ax: Any) -> None:
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_replications_are_the_batch_replications(scenario_path: Path,
                                                 reps: list[ReplicationResult]) -> None:
    batch = callsim.run_batch(scenario_path, reps=REPS, seed=3, progress=False)
    mine = pd.DataFrame([r.flat_kpis() for r in reps])
    for k in ("answered", "asa", "mean_queue"):
        np.testing.assert_allclose(mine[k].to_numpy(), batch.replications[k].to_numpy())


def test_clock_start_read_from_labels() -> None:
    assert plots.clock_start(pd.DataFrame({"start": [0.0], "clock": ["d1 09:00"]})) == 32400
    assert plots.clock_start(pd.DataFrame({"start": [1800.0],
                                           "clock": ["d2 00:30"]})) == 86400
    assert plots.clock_start(pd.DataFrame({"start": [0.0], "clock": ["?"]})) == 0


def test_band_is_the_t_interval() -> None:
    rng = np.random.default_rng(1)
    v = rng.normal(size=7)
    df = pd.DataFrame({"start": 0.0, "x": v})
    b = plots.band(df, "x", ["start"])
    mean, hw, n = t_halfwidth(v)
    assert b["mean"].iloc[0] == pytest.approx(mean)
    assert b["hi"].iloc[0] - b["mean"].iloc[0] == pytest.approx(hw)
    assert b["n"].iloc[0] == n == 7


def test_waiting_calls(reps: list[ReplicationResult]) -> None:
    fig = plots.waiting_calls(reps)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["sales", "support"]
    assert len(bands(ax)) == 2  # one CI band per queue
    assert_labelled(ax)
    assert "4 replications" in ax.get_title() and "95 % CI" in ax.get_title()
    assert "waiting calls" in ax.get_ylabel()
    assert tick_texts(ax)[0] == "09:00"  # clock time, not hours from start
    assert ax.get_xlim() == pytest.approx((9.0, 12.0))
    # the line is the mean over replications of each interval's time-average queue
    _, y = ax.get_lines()[0].get_data()
    expected = np.mean([r.intervals.query("call_type == 'sales'")["mean_queue"].to_numpy()
                        for r in reps], axis=0)
    np.testing.assert_allclose(np.asarray(y)[:-1], expected)


def test_one_replication_has_no_band(reps: list[ReplicationResult]) -> None:
    fig = plots.waiting_calls(reps[0], queues="sales")
    assert len(fig.axes[0].get_lines()) == 1 and not bands(fig.axes[0])


def test_batch_means_have_no_band(scenario_path: Path) -> None:
    batch = callsim.run_batch(scenario_path, reps=2, seed=3, progress=False)
    fig = plots.interval_kpi(batch, "answer_rate")
    assert not bands(fig.axes[0])
    assert "mean of 2 replications" in fig.axes[0].get_title()


def test_draws_on_given_axes(reps: list[ReplicationResult]) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.waiting_calls(reps, ax=ax) is fig
    assert len(ax.get_lines()) == 2


def test_interval_kpi_units(reps: list[ReplicationResult]) -> None:
    ax = plots.interval_kpi(reps, "answer_rate", ["all", "sales"]).axes[0]
    assert ax.get_ylabel() == "answer rate (%)"
    assert ax.get_ylim()[1] > 100 - 1e-9
    y = ax.get_lines()[0].get_ydata()
    assert np.nanmin(y) >= 0 and np.nanmax(y) <= 100  # in %
    assert len(bands(ax)) == 2
    ax = plots.interval_kpi(reps, "asa").axes[0]
    assert ax.get_ylabel().endswith("(s)")
    with pytest.raises(ValueError, match="no column"):
        plots.interval_kpi(reps, "nope")
    with pytest.raises(ValueError, match="unknown call type"):
        plots.interval_kpi(reps, "asa", "nope")


def test_interval_overview(reps: list[ReplicationResult]) -> None:
    fig = plots.interval_overview(reps)
    assert len(fig.axes) == 3
    assert [a.get_title(loc="left") for a in fig.axes] == [
        "Offered calls", "Answer rate", "ASA (average speed of answer)"]
    assert [a.get_ylabel() for a in fig.axes] == [
        "offered calls (calls per interval)", "answer rate (%)",
        "ASA, mean wait of answered calls (s)"]
    for a in fig.axes:
        assert len(a.get_lines()) == 1 and len(bands(a)) == 1
    assert fig.axes[-1].get_xlabel() == "time of day (HH:MM)"
    assert fig.get_suptitle()


def test_agents_by_pool(reps: list[ReplicationResult]) -> None:
    fig = plots.agents_by_pool(reps)
    visible = [a for a in fig.axes if a.get_visible()]
    assert len(visible) == 2
    for a, pool in zip(visible, ["front", "back"], strict=True):
        assert a.get_title().startswith(f"{pool} - occupancy ")
        assert [ln.get_label() for ln in a.get_lines()] == ["staffed", "busy"]
        staffed = a.get_lines()[0].get_ydata()
        np.testing.assert_allclose(staffed, 3 if pool == "front" else 4, rtol=0.05)
        busy = np.asarray(a.get_lines()[1].get_ydata())
        assert np.all(busy <= np.asarray(staffed) + 1e-9)
        assert bands(a)  # busy varies across replications
        assert a.get_ylabel() == "agents"
    fig = Figure()
    ax = fig.add_subplot()
    plots.agents_by_pool(reps, ax=ax)
    assert len(ax.get_lines()) == 4
    assert ax.get_legend() is not None


def test_answer_rate_heatmap(reps: list[ReplicationResult]) -> None:
    fig = plots.answer_rate_heatmap(reps)
    ax = fig.axes[0]
    mesh = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(mesh) == 1
    assert mesh[0].get_array().shape == (2, 6)  # queues × intervals
    assert [t.get_text() for t in ax.get_yticklabels()] == ["sales", "support"]
    assert fig.axes[1].get_ylabel() == "answer rate (%)"  # the colour bar
    assert mesh[0].get_clim() == (0, 100)
    assert_labelled(ax)


def test_wait_survival(reps: list[ReplicationResult]) -> None:
    fig = plots.wait_survival(reps, t_max=120)
    ax = fig.axes[0]
    labels = [ln.get_label() for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert [lab.split(" (")[0] for lab in labels] == ["sales", "support", "all"]
    assert len(bands(ax)) == 3
    assert ax.get_ylabel() == "P(wait > t) (%)" and ax.get_xlabel() == "waiting time t (s)"
    # 1 - P(wait > 20 s) among answered calls is the service level sl_20
    one = plots.wait_survival(reps[0], t_max=60).axes[0]
    t, s = one.get_lines()[2].get_data()
    at20 = float(np.asarray(s)[np.searchsorted(t, 20.0)])
    assert 100 - at20 == pytest.approx(100 * reps[0].kpis["sl_20"])
    y = np.asarray(s)
    assert y[0] <= 100 and np.all(np.diff(y) <= 1e-12)  # a survival curve falls


def test_wait_survival_needs_calls(scenario_path: Path) -> None:
    res = callsim.simulate(scenario_path, seed=1)
    with pytest.raises(ValueError, match="record_calls=True"):
        plots.wait_survival(res)


@pytest.fixture(scope="module")
def comparison(scenario_path: Path) -> Any:
    more = callsim.load_scenario(scenario_path, {"pools.back.staffing": 6})
    return compare({"base": scenario_path, "more agents": more}, reps=REPS, seed=3,
                   progress=False)


def test_forest(comparison: Any) -> None:
    fig = plots.forest(comparison)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    # the registry's headline KPIs, most telling first
    assert rows[:3] == ["answer rate", "ASA, mean wait of answered calls", "abandon rate"]
    diffs = comparison.differences().set_index("kpi")
    assert any(isinstance(c, LineCollection) for c in ax.collections)  # the CIs
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    n_sig = int(diffs.loc[[r for r in registry.headline(diffs.index)
                           if diffs.at[r, "reference_mean"] != 0], "significant"].sum())
    assert len(points[0].get_offsets()) == n_sig  # filled = significant
    assert "difference from base" in ax.get_xlabel() and ax.get_title()
    # more agents answer more calls: the answer rate's difference is to the right of 0
    assert diffs.at["answer_rate", "difference"] > 0
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("+") and "pp" in t for t in texts)
    # the same from the differences table, raw units, chosen KPIs
    fig = plots.forest(comparison.differences(), ["asa", "mean_wait"], relative=False)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [
        "ASA, mean wait of answered calls", "mean wait of offered calls"]


def test_comparison_day_still_works(comparison: Any) -> None:
    fig = plots.comparison_day(comparison)
    assert [len(a.get_lines()) for a in fig.axes] == [2, 2]
    assert tick_texts(fig.axes[0])[0] == "09:00"


def test_sweep_kpi(scenario_path: Path) -> None:
    res = callsim.experiment.sweep(scenario_path, {"pools.back.staffing": [3, 4, 5]},
                                   reps=3, seed=1, progress=False)
    fig = plots.sweep_kpi(res, "answer_rate", target=0.8)
    ax = fig.axes[0]
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), [3, 4, 5])
    means = res.kpi("answer_rate")["mean"].to_numpy()
    np.testing.assert_allclose(line.get_ydata(), 100 * means)
    assert len(bands(ax)) == 1
    assert ax.get_xlabel() == "agents in pool back" and ax.get_ylabel() == "answer rate (%)"
    assert ax.get_lines()[1].get_ydata()[0] == pytest.approx(80)  # the target
    # a table with two swept parameters: one line per value of the other
    t = res.table.assign(extra=1)
    t2 = pd.concat([t, t.assign(extra=2, mean=t["mean"] * 0.9)], ignore_index=True)
    ax2 = plots.sweep_kpi(t2, "asa", "pools.back.staffing").axes[0]
    assert len(ax2.get_lines()) == 2 and len(bands(ax2)) == 2
    with pytest.raises(ValueError, match="param"):
        plots.sweep_kpi(t2, "asa")


def test_ci_convergence(scenario_path: Path) -> None:
    batch = callsim.run_batch(scenario_path, reps=6, seed=2, progress=False)
    ax = plots.ci_convergence(batch, "asa").axes[0]
    running = ax.get_lines()[1].get_ydata()
    assert running[-1] == pytest.approx(batch.replications["asa"].mean())
    assert len(bands(ax)) == 1
    assert ax.get_xlabel() == "replications (n)"


def test_no_pyplot_figures_left_behind(reps: list[ReplicationResult]) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plots.waiting_calls(reps)
    plots.interval_overview(reps)
    assert plt.get_fignums() == before
    assert matplotlib.get_backend()  # untouched; no backend switch forced on users


def test_save_png(tmp_path: Path, reps: list[ReplicationResult]) -> None:
    p = plots.save(plots.answer_rate_heatmap(reps), tmp_path / "h.png")
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert math.isfinite(p.stat().st_size)


def test_clock_axis_crosses_midnight() -> None:
    ax = Figure().add_subplot()
    plots.clock_axis(ax, 20.0, 28.0)
    assert tick_texts(ax) == ["20:00", "21:00", "22:00", "23:00", "00:00", "01:00", "02:00",
                              "03:00", "04:00"]
    ax = Figure().add_subplot()
    plots.clock_axis(ax, 0.0, 24.0)
    assert tick_texts(ax)[-1] == "24:00"
    ax = Figure().add_subplot()
    plots.clock_axis(ax, 0.0, 72.0)
    assert tick_texts(ax)[:2] == ["d1 00:00", "d1 12:00"]
    assert ax.get_xlabel() == "day and time (HH:MM)"
