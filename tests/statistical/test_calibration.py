"""The two-level 120 base day reproduces the 2020 report (issue: calibration targets)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from calibrate_seoul120 import calibration  # noqa: E402


@pytest.mark.statistical
def test_two_level_base_day_matches_2020() -> None:
    rows = calibration(reps=20, seed=0)
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
