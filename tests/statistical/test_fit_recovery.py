"""Self-consistency of the fit: simulate a known scenario with per-call records, write it
as a log, read and fit it, and recover what was simulated (fixed seeds, CI-based
tolerances)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import callsim
from callsim.config import scenario_from_dict
from callsim.fit import (
    FitResult,
    clock_table,
    clock_table_from_results,
    fit_log,
    kaplan_meier,
    score,
)
from callsim.fit.dists import dist_cdf
from callsim.logs import CallLog, calls_to_log, read_log

pytestmark = [pytest.mark.slow, pytest.mark.statistical]

DAYS = 14
A_PROFILE = [0] * 7 + [40, 80, 100, 100, 90, 80, 90, 100, 90, 80, 60, 50, 40, 30, 20, 0, 0]
B_PROFILE = [0] * 7 + [10, 20, 30, 30, 30, 20, 20, 20, 20, 20, 20, 10, 10, 10, 10, 0, 0]
STAFF = [0] * 7 + [4, 6, 8, 8, 8, 8, 8, 8, 8, 8, 6, 6, 5, 4, 3, 0, 0]
TRUTH: dict[str, Any] = {
    "horizon": {"start": "00:00", "length": f"{DAYS}d"},
    "call_types": {
        "A": {"handle_time": {"dist": "lognormal", "mean": 180, "cv": 1.0},
              "patience": {"dist": "exponential", "mean": 240}},
        "B": {"handle_time": {"dist": "exponential", "mean": 300},
              "patience": {"dist": "gamma", "mean": 400, "cv": 0.7}}},
    "arrivals": {"by_call_type": {"A": {"per_interval": A_PROFILE},
                                  "B": {"per_interval": B_PROFILE}}},
    "pools": {"p": {"skills": ["A", "B"], "staffing": {"per_interval": STAFF}}},
    "ivr": {"root": "m", "nodes": {"m": {"prompt": {"dist": "uniform", "low": 5, "high": 15},
                                         "hangup": 0.05,
                                         "options": {"1": {"queue": "A"},
                                                     "2": {"queue": "B"}}}}},
}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[CallLog, FitResult]:
    pytest.importorskip("pyarrow")
    r = callsim.simulate(scenario_from_dict(TRUTH), seed=11, record_calls=True)
    assert r.calls is not None
    path = tmp_path_factory.mktemp("log") / "sim.parquet"
    calls_to_log(r.calls, start=0.0, first_day="2024-01-01", path=path)
    log = read_log(path)
    return log, fit_log(log, min_block_calls=300, min_block_events=50, ivr="menu")


def test_arrival_rates_recovered(fitted: tuple[CallLog, FitResult]) -> None:
    _, fit = fitted
    z2 = []
    for name, prof in (("A", A_PROFILE), ("B", B_PROFILE)):
        got = fit.arrivals.loc[fit.arrivals["call_type"] == name, "mean"].to_numpy()
        true = np.asarray(prof, dtype=float)
        assert (got[true == 0] == 0).all()
        on = true > 0
        z2.extend(((got[on] - true[on]) / np.sqrt(true[on] / DAYS)) ** 2)
    # Poisson counts: the sum of squared z-scores is chi-square with one dof per interval
    assert stats.chi2.sf(sum(z2), len(z2)) > 0.001
    assert fit.overdispersion["ci_low"] < 0.05  # truth 0


def _dkw(n: int, alpha: float = 0.001) -> float:
    return math.sqrt(math.log(2 / alpha) / (2 * n))


def test_handle_time_distribution_recovered(fitted: tuple[CallLog, FitResult]) -> None:
    _, fit = fitted
    truth = {"A": stats.lognorm(math.sqrt(math.log(2.0)), scale=180 / math.sqrt(2.0)),
             "B": stats.expon(scale=300)}
    for name, true in truth.items():
        h = fit.types[name].handle
        assert h is not None
        x = np.linspace(0, 2000, 2001)
        ks = float(np.max(np.abs(dist_cdf(h.dist(), x) - true.cdf(x))))
        assert ks < _dkw(h.n), (name, h.chosen, ks)
        assert h.mean_low < true.mean() < h.mean_high
        assert h.chosen != "empirical"  # a clean parametric sample passes the tests
        blocks = [b for b in fit.types[name].blocks if b.handle is not None]
        assert name == "B" or len(blocks) >= 3
        for b in blocks:  # blocks see the same distribution
            if b.handle is not None:
                bx = np.max(np.abs(dist_cdf(b.handle.dist(), x) - true.cdf(x)))
                assert bx < _dkw(b.handle.n), (name, b.label)


def test_patience_recovered(fitted: tuple[CallLog, FitResult]) -> None:
    log, fit = fitted
    truth = {"A": stats.expon(scale=240), "B": stats.gamma(1 / 0.49, scale=400 * 0.49)}
    c = log.calls
    for name, true in truth.items():
        q = c.loc[(c["call_type"] == name) & c["outcome"].isin(["answered", "abandoned"])]
        km = kaplan_meier(q["wait"].to_numpy(), (q["outcome"] == "abandoned").to_numpy(),
                          level=0.999)
        km = km.loc[km["at_risk"] >= 50]
        pick = km.iloc[np.linspace(0, len(km) - 1, 8).astype(int)]
        s_true = true.sf(pick["time"].to_numpy())
        # the true survival lies in the pointwise 99.9 % log-log band (8 points)
        assert ((pick["ci_low"] <= s_true) & (s_true <= pick["ci_high"])).all(), name
        p = fit.types[name].patience
        t = np.asarray(p.times)
        assert np.max(np.abs(p.sf(t) - true.sf(t))) < 6 * np.max(km["se"])
    a = fit.types["A"].patience
    assert a.exp_low < 240 < a.exp_high  # exponential: the censored MLE's exact CI


def test_staffing_ivr_recovered(fitted: tuple[CallLog, FitResult]) -> None:
    _, fit = fitted
    st = fit.staffing
    checked = 0
    for i in range(8, 22):
        # an hour whose headcount did not just drop (agents finishing calls after their
        # shift count as busy) and where callers waited every day
        if STAFF[i] == STAFF[i - 1] and \
                st["fallback_share"].iloc[i] == 0:
            assert st["agents"].iloc[i] == pytest.approx(STAFF[i], abs=0.05), i
            checked += 1
    assert checked >= 5
    assert fit.ivr is not None
    assert fit.ivr["hangup_low"] < 0.05 < fit.ivr["hangup_high"]
    assert fit.ivr["time"].mean_low < 10 < fit.ivr["time"].mean_high


def test_overdispersion_recovered() -> None:
    data = {**TRUTH, "horizon": {"start": "00:00", "length": "60d"},
            "arrivals": {**TRUTH["arrivals"], "overdispersion": 0.2}}
    r = callsim.simulate(scenario_from_dict(data), seed=5, record_calls=True)
    assert r.calls is not None
    od = fit_log(calls_to_log(r.calls), blocks=None).overdispersion
    assert od["p_value"] < 0.01 and od["ci_low"] < 0.2 < od["ci_high"]


def test_fitted_scenario_reproduces_the_log(fitted: tuple[CallLog, FitResult],
                                            tmp_path: Path) -> None:
    """Simulate the fitted scenario (the planned forms: by_time blocks, survival-table
    patience, weighted empirical handle times where chosen, fractional staffing) and
    score it against the log."""
    log, fit = fitted
    planned = fit.scenario_dict()
    assert planned["call_types"]["A"]["patience"]["dist"] == "survival"
    assert planned["call_types"]["A"].get("by_time")
    sc = scenario_from_dict({**planned, "horizon": {"start": "00:00", "length": f"{DAYS}d"}})
    results = [callsim.simulate(sc, seed=100 + k, record_calls=True) for k in range(2)]
    sim = clock_table_from_results(results)
    obs = clock_table(log)
    o = obs.loc[obs["call_type"] == "all"].sum(numeric_only=True)
    s = sim.loc[sim["call_type"] == "all"].sum(numeric_only=True)
    # pooled abandonment: the difference of two binomial proportions within 4 SE
    po, ps = o["abandoned"] / o["offered"], s["abandoned"] / s["offered"]
    se = math.sqrt(po * (1 - po) / o["offered"] + ps * (1 - ps) / s["offered"])
    assert abs(po - ps) < 4 * se
    # answered per day: Poisson-like counts, within 4 SE
    ao, asim = o["answered"] / DAYS, s["answered"] / (2 * DAYS)
    assert abs(ao - asim) < 4 * math.sqrt(ao / DAYS + asim / (2 * DAYS))
    sc_ = score(obs, sim, hours=(8, 20))
    assert sc_.summary.loc["answered_per_day", "spearman"] > 0.9
    j, c = sc_.write(tmp_path)
    assert j.is_file() and c.is_file()
