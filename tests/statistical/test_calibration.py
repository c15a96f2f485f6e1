"""The calibrated 120 base day reproduces the 2020 report (issue 13: the calibration is
``callsim calibrate``; configs/seoul120/two_level.yaml is its output).

The four fitted targets (inflow, answer rate, attempts / inflow, first-contact
resolution) are checked here on fresh replications, and so are the figures that were
not fitted (COVID share, the answered mix, shares of attempts): the table in
configs/seoul120/ASSUMPTIONS.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import callsim
from callsim.experiment import t_halfwidth

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "configs" / "seoul120" / "two_level.yaml"
#: the report's answered mix of non-COVID calls, % ([R])
REPORT_MIX = {"transport": 5.2, "water": 6.7, "city + directory + foreign": 25.2,
              "district": 62.9}


def calibration(reps: int, seed: int) -> dict[str, tuple[float, float, float]]:
    """Simulated mean, 95 % half-width and reported value of each calibration figure."""
    sc = callsim.load_scenario(SCENARIO)
    batch = callsim.run_batch(sc, reps=reps, seed=seed)
    rep = batch.replications
    s = batch.summary
    out: dict[str, tuple[float, float, float]] = {}
    out["inflow (offered) per day"] = (s.at["offered", "mean"], s.at["offered", "half_width"],
                                       14500.0)
    out["answer rate (answered / inflow), %"] = (100 * s.at["answer_rate", "mean"],
                                                100 * s.at["answer_rate", "half_width"], 77.6)
    m, hw, _ = t_halfwidth(100 * (rep["type.covid.arrivals"] / rep["arrivals"]).to_numpy())
    out["COVID code-0 share of calls, %"] = (m, hw, 20.5)
    iv = batch.intervals
    c = iv[iv["call_type"] == "covid"]
    before = float(c[c["start"] < 12 * 3600]["arrivals"].sum() / c["arrivals"].sum())
    out["COVID calls before noon, %"] = (100 * before, float("nan"), 37.7)
    for name, num, den, ref in (
        ("attempts / inflow", "arrivals", "offered", 2.5),
        ("inflow share of attempts, %", "offered", "arrivals", 40.0),
        ("answered share of attempts, %", "answered", "arrivals", 30.0),
    ):
        scale = 100.0 if "%" in name else 1.0
        m, hw, _ = t_halfwidth((scale * rep[num] / rep[den]).to_numpy())
        out[name] = (m, hw, ref)
    out["first-contact resolution, %"] = (100 * s.at["fcr", "mean"],
                                          100 * s.at["fcr", "half_width"], 83.6)
    answered = {t: rep[f"type.{t}.answered"] for t in sc.call_types if t != "covid"}
    total = sum(answered.values())
    groups = {"transport": ["transport"], "water": ["water"],
              "city + directory + foreign": ["city", "directory", "foreign"],
              "district": ["district"]}
    for label, members in groups.items():
        share = sum(answered[t] for t in members) / total
        m, hw, _ = t_halfwidth(100 * share.to_numpy())
        out[f"answered mix (non-COVID): {label}, %"] = (m, hw, REPORT_MIX[label])
    return out


def test_calibrated_file_states_the_fitted_values() -> None:
    """two_level.yaml is the output of callsim calibrate: it extends the uncalibrated
    design and marks every value that came from the search."""
    text = SCENARIO.read_text(encoding="utf-8")
    assert "extends: two_level_uncalibrated.yaml" in text
    assert "callsim calibrate configs/seoul120/two_level_uncalibrated.yaml" in text
    doc = json.loads((SCENARIO.parent / "calibration" / "calibration.json").read_text())
    fitted_lines = [line for line in text.splitlines()
                    if "# fitted by callsim calibrate" in line]
    assert len(fitted_lines) == len(doc["overrides"])
    sc = callsim.load_scenario(SCENARIO)
    assert sc.arrivals.daily_volume == doc["overrides"]["arrivals.daily_volume"]
    assert sc.redials is not None
    assert sc.redials.after_blocked == doc["overrides"]["redials.after_blocked"]


@pytest.mark.statistical
def test_two_level_base_day_matches_2020() -> None:
    rows = calibration(reps=20, seed=1)
    offered, _, reported = rows["inflow (offered) per day"]
    assert abs(offered - reported) / reported < 0.05
    rate, _, reported_rate = rows["answer rate (answered / inflow), %"]
    assert abs(rate - reported_rate) < 2.0
    share, _, _ = rows["COVID code-0 share of calls, %"]
    assert 19.0 <= share <= 22.0
    noon, _, reported_noon = rows["COVID calls before noon, %"]
    assert abs(noon - reported_noon) < 3.0
    ratio, _, _ = rows["attempts / inflow"]
    assert 2.2 <= ratio <= 2.8
    inflow_share, _, _ = rows["inflow share of attempts, %"]
    assert 35.0 <= inflow_share <= 45.0
    answered_share, _, _ = rows["answered share of attempts, %"]
    assert 26.0 <= answered_share <= 34.0
    fcr, _, reported_fcr = rows["first-contact resolution, %"]
    assert abs(fcr - reported_fcr) < 1.0
    for label in ("transport", "water", "city + directory + foreign", "district"):
        sim, _, rep = rows[f"answered mix (non-COVID): {label}, %"]
        assert abs(sim - rep) < 2.0, label


@pytest.mark.statistical
def test_compare_cli_writes_outputs(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    proc = subprocess.run(
        [sys.executable, "-m", "callsim", "compare", "configs/seoul120/two_level.yaml",
         "configs/seoul120/one_level.yaml", "--reps", "3", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Δ one-level" in proc.stdout
    data = json.loads((out / "comparison.json").read_text())
    assert data["reference"] == "two-level"
    assert set(data["designs"]) == {"two-level", "one-level"}
    diffs = {d["kpi"]: d for d in data["differences"]}
    assert diffs["ivr_time"]["difference"] < 0  # the flatter menu is shorter
    assert (out / "comparison.csv").stat().st_size > 0
    assert (out / "comparison.png").stat().st_size > 10_000
