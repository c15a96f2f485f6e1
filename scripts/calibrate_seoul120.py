#!/usr/bin/env python3
"""Print the 120 calibration table (simulated two-level base day vs the 2020 report).

    python scripts/calibrate_seoul120.py [--reps 20] [--seed 0]

The output is the table in configs/seoul120/ASSUMPTIONS.md; rerun it after changing
the 120 scenarios and paste the result there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import callsim

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "configs" / "seoul120" / "two_level.yaml"

#: (label, reported value, how it is read from the simulation)
REPORT_MIX = {"transport": 5.2, "water": 6.7, "city + directory + foreign": 25.2,
              "district": 62.9}


def calibration(reps: int, seed: int) -> dict[str, tuple[float, float, float]]:
    """Simulated mean, half-width and reported value of each calibration figure."""
    sc = callsim.load_scenario(SCENARIO)
    batch = callsim.run_batch(sc, reps=reps, seed=seed)
    rep = batch.replications
    s = batch.summary
    out: dict[str, tuple[float, float, float]] = {}
    out["inflow (offered) per day"] = (s.at["offered", "mean"], s.at["offered", "half_width"],
                                       14500.0)
    out["answer rate (answered / inflow), %"] = (100 * s.at["answer_rate", "mean"],
                                                100 * s.at["answer_rate", "half_width"], 77.6)
    covid = rep["type.covid.arrivals"] / rep["arrivals"]
    m, hw, _ = callsim.experiment.t_halfwidth(100 * covid.to_numpy())
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
        ratio = (scale * rep[num] / rep[den]).to_numpy()
        m, hw, _ = callsim.experiment.t_halfwidth(ratio)
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
        m, hw, _ = callsim.experiment.t_halfwidth(100 * share.to_numpy())
        out[f"answered mix (non-COVID): {label}, %"] = (m, hw, REPORT_MIX[label])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rows = calibration(args.reps, args.seed)
    print(f"| figure | simulated (mean ± 95 % CI, {args.reps} reps) | reported 2020 |")
    print("|---|---:|---:|")
    for name, (m, hw, ref) in rows.items():
        d = 2 if m < 10 else 1
        ci = f" ± {hw:,.{d}f}" if hw == hw else ""
        print(f"| {name} | {m:,.{d}f}{ci} | {ref:,.{d}f} |")


if __name__ == "__main__":
    main()
