"""callsim.fit: Kaplan–Meier, distribution choice, overdispersion, staffing, clock tables,
scores, the Erlang-A baseline and the scenario writer (quick tests)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from callsim.analytic import erlang_a_metrics
from callsim.config import scenario_from_dict
from callsim.fit import (
    clock_table,
    erlang_a_clock,
    exponential_mle,
    fit_duration,
    fit_log,
    fit_patience,
    infer_staffing,
    kaplan_meier,
    score,
    write_trace,
)
from callsim.fit.arrivals import overdispersion
from callsim.fit.dists import dist_quantiles
from callsim.logs import CallLog, LogError

# hand-computed case: times 1 2 2 3 4 5 5 6, events e e c e c e e c
KM_T = np.array([1, 2, 2, 3, 4, 5, 5, 6], dtype=float)
KM_E = np.array([1, 1, 0, 1, 0, 1, 1, 0], dtype=bool)


def test_kaplan_meier_hand_computed() -> None:
    km = kaplan_meier(KM_T, KM_E)
    assert km["time"].tolist() == [1, 2, 3, 5]
    assert km["at_risk"].tolist() == [8, 7, 5, 3]
    assert km["events"].tolist() == [1, 1, 1, 2]
    # S = 7/8, 7/8*6/7, *4/5, *1/3
    assert np.allclose(km["survival"], [0.875, 0.75, 0.6, 0.2])
    # Greenwood: S * sqrt(sum d / (n (n - d)))
    g = np.cumsum([1 / 56, 1 / 42, 1 / 20, 2 / 3])
    assert np.allclose(km["se"], np.array([0.875, 0.75, 0.6, 0.2]) * np.sqrt(g))
    assert km["se"].iloc[-1] == pytest.approx(0.1741647, abs=1e-6)
    # log-log limits at t=1 (by hand: exp(-0.133531 * exp(1.959964 * 1.000747)))
    assert km["ci_low"].iloc[0] == pytest.approx(0.38703, abs=2e-4)
    assert (km["ci_low"] <= km["survival"]).all() and (km["survival"] <= km["ci_high"]).all()
    assert exponential_mle(KM_T, KM_E)[0] == pytest.approx(28 / 5)


def test_kaplan_meier_matches_lifelines() -> None:
    lifelines = pytest.importorskip("lifelines", reason="lifelines not installed: "
                                    "cross-check skipped")
    rng = np.random.default_rng(1)
    t = np.round(rng.exponential(100, 500))
    e = rng.random(500) < 0.3
    km = kaplan_meier(t, e)
    kmf = lifelines.KaplanMeierFitter().fit(t, e)
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    assert np.allclose(km["survival"], sf.loc[km["time"]].to_numpy())
    assert np.allclose(km["ci_low"], ci.iloc[:, 0].loc[km["time"]].to_numpy(), atol=1e-9)
    assert np.allclose(km["ci_high"], ci.iloc[:, 1].loc[km["time"]].to_numpy(), atol=1e-9)


def test_patience_table_form_and_tail() -> None:
    rng = np.random.default_rng(0)
    pat = rng.exponential(200, 5000)
    served = rng.exponential(100, 5000)
    wait = np.minimum(pat, served)
    fit = fit_patience(wait, pat < served, min_at_risk=30, max_steps=100)
    d = fit.dist()
    assert d is not None and d["dist"] == "survival"
    t, s = np.array(d["times"]), np.array(d["survival"])
    assert len(t) <= 100 and (np.diff(t) > 0).all() and (np.diff(s) <= 0).all()
    assert 0 < s[-1] < s[0] < 1
    assert d["tail"]["dist"] == "exponential"
    # exponential patience: the tail mean and the MLE both estimate 200
    assert fit.exp_low < 200 < fit.exp_high
    assert fit.tail_mean == pytest.approx(200, rel=0.35)
    # the quantiles sample the table: P(q <= t) ~ 1 - S(t)
    q = dist_quantiles(d, 1000)
    assert np.allclose(np.mean(q[:, None] <= t[None, :], axis=0), 1 - s, atol=0.002)
    assert np.isclose(np.mean(q), fit.mean, rtol=0.02)
    none = fit_patience(np.array([1.0, 2.0]), np.array([False, False]))
    assert none.dist() is None and not none.abandons


def test_duration_choice() -> None:
    rng = np.random.default_rng(4)
    logn = rng.lognormal(np.log(150), 0.8, 4000)
    f = fit_duration(logn)
    assert f.chosen == "lognormal"
    assert f.dist()["mean"] == pytest.approx(150 * math.exp(0.32), rel=0.05)
    spiked = np.concatenate([logn, rng.uniform(1, 4, 600)])  # a short-call mass
    g = fit_duration(spiked)
    assert g.chosen == "empirical"
    assert g.short_share == pytest.approx(600 / 4600 + (logn < 10).mean() * 4000 / 4600,
                                          abs=1e-9)
    d = g.dist()
    assert sum(d["weights"]) == 4600 and len(d["values"]) == len(d["weights"])


def test_overdispersion() -> None:
    rng = np.random.default_rng(7)
    poisson = rng.poisson(1000, 30)
    assert overdispersion(poisson)["estimate"] == 0.0
    busy = rng.poisson(1000 * rng.gamma(1 / 0.15**2, 0.15**2, 60))
    od = overdispersion(busy)
    assert od["p_value"] < 0.05 and od["ci_low"] < 0.15 < od["ci_high"]


def _log(rows: list[tuple[str, float, float, float, str, float, str]]) -> CallLog:
    """(day, arrival, wait, queue_entry, outcome, handle, agent) rows of type A."""
    df = pd.DataFrame(rows, columns=["day", "arrival", "wait", "queue_entry", "outcome",
                                     "handle_time", "agent"])
    df["day"] = pd.to_datetime(df["day"])
    df["call_id"] = range(len(df))
    df["ivr_time"] = 0.0
    df["call_type"] = "A"
    return CallLog(df)


def test_staffing_measures_by_hand() -> None:
    # two agents busy 09:00-09:30 with two callers waiting 09:10-09:30; one agent 09:30-10:30
    t9 = 9 * 3600.0
    log = _log([
        ("2024-01-01", t9, 0, t9, "answered", 1800, "ann"),
        ("2024-01-01", t9, 0, t9, "answered", 1800, "bob"),
        ("2024-01-01", t9 + 600, 1200, t9 + 600, "answered", 3600, "ann"),
        ("2024-01-01", t9 + 600, 1200, t9 + 600, "abandoned", math.nan, ""),
    ])
    day = pd.DatetimeIndex(["2024-01-01"])
    st = infer_staffing(log.calls, day, 3600.0, method="busy_waiting").set_index("clock")
    assert st.loc["09:00", "busy"] == pytest.approx(1.5)
    assert st.loc["09:00", "busy_waiting"] == pytest.approx(2.0)
    assert st.loc["09:00", "agents"] == pytest.approx(2.0)
    assert st.loc["09:00", "distinct"] == 2
    assert st.loc["10:00", "busy"] == pytest.approx(0.5)  # ann's second call ends 10:30
    assert st.loc["10:00", "agents"] == 1 and st.loc["10:00", "fallback_share"] == 1
    # available (the default with named agents): bob never takes another call, so after
    # 09:30 only ann is on the phones; nobody is idle between two calls
    auto = infer_staffing(log.calls, day, 3600.0).set_index("clock")
    assert auto.attrs["method"] == "available"
    assert auto.loc["09:00", "available"] == pytest.approx(1.5)
    assert auto.loc["09:00", "agents"] == pytest.approx(1.5)
    assert auto.loc["10:00", "agents"] == pytest.approx(0.5)


def test_availability_by_hand() -> None:
    """Four answers at once, each time with one agent idle 15 s and one idle 400 s: the
    recently freed one is chosen 3 times, the long-idle one once, so its availability is
    a third (maximum likelihood of the choices); idle time counts by that weight."""
    from callsim.fit.availability import BINS, availability, idle_segments, weighted_level

    rows = []
    for k in range(4):  # events at 1000 s apart; ann and bob idle before each
        t = 10_000.0 + 1000.0 * k
        fresh, stale = ("ann", "bob") if k < 2 else ("bob", "ann")
        chosen = fresh if k != 3 else stale
        other = stale if chosen == fresh else fresh
        idle = {fresh: 15.0, stale: 400.0}
        rows.append((chosen, t - idle[chosen] - 60, t - idle[chosen], 0, False))
        rows.append((chosen, t, t + 30, 0, True))  # the answer at once
        rows.append((other, t - idle[other] - 60, t - idle[other], 0, False))
        rows.append((other, t + 200, t + 230, 0, False))  # its gap goes on past t
    agent, start, end, day, imm = (np.array(x) for x in zip(*rows, strict=True))
    seg = idle_segments(agent, start, end, day, imm)
    a, n = availability(*seg)
    assert n == 4
    b15, b400 = (int(np.searchsorted(BINS, g, side="right") - 1) for g in (15, 400))
    assert a[b15] == pytest.approx(1.0) and a[b400] == pytest.approx(1 / 3, rel=1e-6)
    ss, se, sb = seg[0], seg[1], seg[2]
    level = weighted_level(ss, se, a[sb], np.array([10_000.0 - 1.0]))
    assert level[0] == pytest.approx(1.0 + a[b400])  # one fresh, one stale idle agent


def test_clock_table_pools_counts() -> None:
    t8 = 8 * 3600.0
    log = _log([
        ("2024-01-01", t8, 10, t8, "answered", 100, "a"),
        ("2024-01-01", t8 + 5, 30, t8 + 5, "abandoned", math.nan, ""),
        ("2024-01-02", t8 + 9, 50, t8 + 9, "answered", 100, "a"),
        ("2024-01-02", t8 + 60, 2, t8 + 60, "abandoned", math.nan, ""),
        ("2024-01-02", t8 + 70, math.nan, math.nan, "ivr_hangup", math.nan, ""),
    ])
    ct = clock_table(log).set_index(["call_type", "clock"])
    row = ct.loc[("all", "08:00")]
    assert row["offered"] == 4 and row["answered"] == 2 and row["abandoned"] == 2
    assert row["abandon_rate"] == 0.5 and row["asa"] == 30 and row["sl_20"] == 0.5
    assert row["n_days"] == 2 and row["answered_per_day"] == 1 and row["ivr_hangups"] == 1
    assert ct.loc[("A", "08:00"), "asa"] == 30
    short = clock_table(log, short_abandon=5).set_index(["call_type", "clock"])
    assert short.loc[("all", "08:00"), "offered"] == 3  # the 2 s abandonment is short


def test_score_by_hand() -> None:
    obs = pd.DataFrame({"clock": ["07:00", "08:00", "09:00"], "start": [25200, 28800, 32400],
                        "call_type": "all", "abandon_rate": [0.1, 0.2, 0.4],
                        "asa": [10, 20, 0], "sl_20": [0.9, 0.8, 0.5],
                        "answered_per_day": [10, 20, 30]})
    pred = obs.copy()
    pred["abandon_rate"] = [0.12, 0.18, 0.4]
    pred["asa"] = [20, 20, 5]
    s = score(obs, pred)
    assert s.summary.loc["abandon_rate", "mare"] == pytest.approx((0.2 + 0.1 + 0) / 3)
    assert s.summary.loc["abandon_rate", "bias"] == pytest.approx((0.2 - 0.1) / 3)
    assert s.summary.loc["asa", "n"] == 2  # observed 0 is left out of the relative errors
    assert s.summary.loc["sl_20", "mare"] == 0 and s.summary.loc["sl_20", "spearman"] == 1


def test_erlang_a_clock_matches_formula() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for day in ("2024-01-01", "2024-01-02"):
        for _ in range(200):
            a = 10 * 3600 + rng.uniform(0, 3600)
            w = rng.exponential(20)
            ab = rng.random() < 0.1
            rows.append((day, a, w, a, "abandoned" if ab else "answered",
                         math.nan if ab else rng.exponential(120), "x"))
    log = _log(rows)
    fit = fit_log(log, blocks=None)
    fit.staffing.loc[10, "agents"] = 7.0
    ea = erlang_a_clock(fit).set_index("clock")
    tf = fit.types["A"]
    assert tf.handle is not None
    m = erlang_a_metrics(200.0, tf.handle.mean, 7, tf.patience.exp_mean)
    assert ea.loc["10:00", "abandon_rate"] == pytest.approx(m.p_abandon)
    assert ea.loc["10:00", "asa"] == pytest.approx(m.asa)
    fit.staffing.loc[10, "agents"] = 7.25  # floor/ceil mixture, 75/25
    m8 = erlang_a_metrics(200.0, tf.handle.mean, 8, tf.patience.exp_mean)
    ea = erlang_a_clock(fit).set_index("clock")
    assert ea.loc["10:00", "abandon_rate"] == pytest.approx(0.75 * m.p_abandon
                                                            + 0.25 * m8.p_abandon)


def test_fit_options_are_checked() -> None:
    log = _log([("2024-01-01", 3600.0, 1.0, 3600.0, "answered", 60.0, "a")])
    with pytest.raises(LogError, match="'xyz' is not a weekday"):
        fit_log(log, days="mon,xyz")
    with pytest.raises(LogError, match="no calls on the selected days"):
        fit_log(log, days="sun")  # 2024-01-01 is a Monday
    with pytest.raises(LogError, match="divide a day"):
        fit_log(log, interval=7000)


def _small_fit_log() -> CallLog:
    rng = np.random.default_rng(5)
    rows = []
    for d in pd.date_range("2024-01-01", periods=6):
        for _ in range(400):
            a = rng.uniform(8 * 3600, 20 * 3600)
            pat, w = rng.exponential(120), rng.exponential(30)
            ab = pat < w
            rows.append((str(d.date()), a, min(pat, w), a + 8, "abandoned" if ab else
                         "answered", math.nan if ab else rng.gamma(2, 90), "x"))
    log = _log(rows)
    log.calls.loc[::25, ["outcome", "wait", "queue_entry", "handle_time"]] = [
        "ivr_hangup", math.nan, math.nan, math.nan]
    log.calls["ivr_time"] = 8.0
    return log


def test_scenario_forms(tmp_path: Path) -> None:
    fit = fit_log(_small_fit_log(), days="mon,tue,wed,thu,fri,sat,sun",
                  min_block_calls=100, min_block_events=20)
    planned = fit.scenario_dict()
    ct = planned["call_types"]["A"]
    assert ct["patience"]["dist"] == "survival"
    assert {"times", "survival", "tail"} <= set(ct["patience"])
    assert ct["by_time"] and all({"start", "end"} <= set(b) for b in ct["by_time"])
    staffing = planned["pools"]["agents"]["staffing"]
    assert len(staffing["per_interval"]) == 24 and staffing["interval"] == 3600
    assert any(not float(v).is_integer() for v in staffing["per_interval"])
    assert planned["queue"] == {"short_abandon": 0.0}
    assert planned["ivr"]["nodes"]["menu"]["options"] == {"1": {"queue": "A"}}
    assert planned["ivr"]["nodes"]["menu"]["hangup"] == 0.0  # default: hang-ups not simulated
    n_arr = sum(planned["arrivals"]["by_call_type"]["A"]["per_interval"])
    menu = fit_log(_small_fit_log(), ivr="menu").scenario_dict()
    assert menu["ivr"]["nodes"]["menu"]["hangup"] == pytest.approx(1 / 25, abs=1e-3)
    assert sum(menu["arrivals"]["by_call_type"]["A"]["per_interval"]) == pytest.approx(
        n_arr * 25 / 24, rel=1e-3)  # every call, IVR hang-ups included
    assert "ivr" not in fit_log(_small_fit_log(), ivr="none").scenario_dict()
    assert len(planned["arrivals"]["by_call_type"]["A"]["per_interval"]) == 24
    # the planned form validates and runs (by_time, survival, fractional staffing)
    import callsim

    day = callsim.simulate(scenario_from_dict(planned), seed=1)
    assert day.kpis["answered"] > 0 and day.kpis["abandoned"] > 0
    # the older 'current' form is still written on request
    current = fit.scenario_dict("current")
    sc = scenario_from_dict(current)
    assert sc.call_types["A"].patience is not None
    st_c = current["pools"]["agents"]["staffing"]
    assert st_c["interval"] == 360 and all(isinstance(v, int) for v in st_c["per_interval"])
    per = np.asarray(st_c["per_interval"], dtype=float).reshape(24, 10).mean(axis=1)
    assert np.allclose(per, staffing["per_interval"], atol=0.051)
    assert all(isinstance(v, int) for v in current["pools"]["agents"]["staffing"]
               ["per_interval"])
    out = fit.write_scenario(tmp_path / "centre.yaml")
    assert yaml.safe_load(out.read_text())["call_types"]["A"]["patience"]["dist"] == "survival"
    html = (tmp_path / "centre.fit.html").read_text()
    assert html.count("data:image/png;base64,") == 5 and "Every estimate" in html
    rep = fit.report
    assert {"quantity", "estimate", "ci_low", "ci_high", "n", "method"} <= set(rep.columns)
    assert "overdispersion (busyness CV)" in set(rep["quantity"])


def test_trace_file_and_section(tmp_path: Path) -> None:
    log = _small_fit_log()
    sec = write_trace(log, tmp_path / "traces" / "calls.csv", days="mon,tue",
                      relative_to=tmp_path)
    assert sec == {"trace": {"path": "traces/calls.csv", "time_column": "arrival",
                             "type_column": "call_type", "day_column": "day",
                             "handle_column": "handle_time"}}
    t = pd.read_csv(tmp_path / "traces" / "calls.csv")
    kept = log.calls.loc[log.calls["day"].dt.day_of_week.isin([0, 1])
                         & (log.calls["outcome"] != "ivr_hangup")]
    assert len(t) == len(kept) and set(t["day"]) == {"2024-01-01", "2024-01-02"}
    assert np.allclose(np.sort(t["arrival"]), np.sort(kept["arrival"]))
    assert (t.groupby("day")["arrival"].diff().dropna() >= 0).all()
    assert t["handle_time"].notna().sum() == (kept["outcome"] == "answered").sum()


def test_patience_of_callers_who_all_abandon_at_once_is_positive() -> None:
    """Abandonments all at wait 0 give an exponential mean of 0 (no exposure); the fit
    floors it at the log's resolution so the scenario is valid."""
    from callsim.fit.km import MIN_MEAN

    p = fit_patience(np.zeros(5), np.array([True, True, True, False, False]))
    dist = p.dist()
    assert dist == {"dist": "exponential", "mean": MIN_MEAN} and p.mean == MIN_MEAN
