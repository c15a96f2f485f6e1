#!/usr/bin/env python3
"""Fit the Anonymous Bank log and score predictions against it (issue 11, data side).

    python scripts/bank_fit_score.py [--reps 20] [--out runs/bank] [--log PATH]

Reads ``../shared/data/anonymous_bank/anonymous_bank_1999_02.tsv`` (format
``anonymous-bank``), and for two set-ups

* **month**: fit on every weekday (Sun–Thu, 20 days), score on the same days;
* **split**: fit on the weekdays of 1–14 Feb, score on those of 15–28 Feb;

scores over the weekday hours 07:00–24:00 (clock intervals starting 07:00 … 23:00):

* the per-hour **Erlang-A** baseline with the fit's inputs (:func:`callsim.fit.erlang_a_clock`);
* a **simulation with today's engine** of the fit's ``engine="current"`` scenario
  (``--reps`` one-day replications; no time blocks, staffing rounded, tables as
  quantiles): a stand-in until the planned scenario features exist.

Writes ``OUT/<setup>/bank.yaml`` (planned forms), ``bank.fit.html``, ``bank_current.yaml``,
``score_<predictor>/score.{json,csv}``, ``score.png`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import callsim
from callsim.config import scenario_from_dict
from callsim.fit import clock_table, clock_table_from_results, erlang_a_clock, fit_log, score
from callsim.fit.score import score_figure
from callsim.logs import read_log

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT.parent / "shared" / "data" / "anonymous_bank" / "anonymous_bank_1999_02.tsv"
WEEKDAYS = "sun,mon,tue,wed,thu"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bank")
    ap.add_argument("--log", type=Path, default=LOG)
    args = ap.parse_args()
    log = read_log(args.log, format="anonymous-bank")
    print(f"read {len(log.calls):,} calls; dropped {log.dropped}; flags {log.flags}")
    days = pd.DatetimeIndex(sorted(log.calls["day"].unique()))
    weekday = days[[d.day_name()[:3].lower() in WEEKDAYS.split(",") for d in days]]
    setups = {"month": (weekday, weekday),
              "split": (weekday[weekday.day <= 14], weekday[weekday.day > 14])}
    rows = []
    for name, (train, test) in setups.items():
        out = args.out / name
        fit = fit_log(log, dates=train)
        fit.write_scenario(out / "bank.yaml")
        fit.write_scenario(out / "bank_current.yaml", engine="current", html=False)
        observed = clock_table(log, dates=test)
        sc = scenario_from_dict(fit.scenario_dict("current"), source=str(out / "bank_current"))
        results = [callsim.simulate(sc, seed=0, replication=r, record_calls=True)
                   for r in range(args.reps)]
        preds = {"Erlang A": erlang_a_clock(fit),
                 "simulation (today's engine)": clock_table_from_results(results)}
        for pname, pred in preds.items():
            s = score(observed, pred)
            s.write(out / f"score_{pname.split()[0].lower()}")
            for m, r in s.summary.iterrows():
                rows.append({"setup": name, "predictor": pname, "metric": m, **r.to_dict()})
        score_figure(observed, preds).savefig(out / "score.png", dpi=90)
        print(f"{name}: fitted on {len(train)} days, scored on {len(test)} days; "
              f"overdispersion {fit.overdispersion['estimate']:.3f}; peak agents "
              f"{fit.staffing['agents'].max():.2f}")
    tab = pd.DataFrame(rows)
    wide = tab.pivot_table(index=["setup", "predictor"], columns="metric", values="mare",
                           sort=False)
    rho = tab.pivot_table(index=["setup", "predictor"], columns="metric", values="spearman",
                          sort=False)
    print("\nMARE over weekday hours 07-23 (Spearman in brackets)\n")
    cols = ["abandon_rate", "asa", "sl_20", "answered_per_day"]
    print("| setup | predictor | " + " | ".join(cols) + " |")
    print("|---|---|" + "---:|" * len(cols))
    for (setup, pred), r in wide.iterrows():
        cells = [f"{r[c]:.3f} ({rho.loc[(setup, pred), c]:.2f})" for c in cols]
        print(f"| {setup} | {pred} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
