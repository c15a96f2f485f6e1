#!/usr/bin/env python3
"""Fit the Anonymous Bank log, simulate, and score against the log next to Erlang A (issue 11).

    python scripts/bank_fit_score.py [--reps 20] [--jobs 2] [--out runs/bank] [--log PATH]

Reads ``../shared/data/anonymous_bank/anonymous_bank_1999_02.tsv`` (format
``anonymous-bank``; weekdays Sun-Thu, 20 days) and for three set-ups

* **month**: fit on every weekday, score on the same days (a description of the month);
* **split**: fit on the weekdays of 1-14 Feb, score those of 15-28 Feb;
* **alternate**: fit on the 1st, 3rd, 5th ... weekday, score the 2nd, 4th, ...;

scores the weekday hours 07:00-24:00 (clock intervals starting 07:00 ... 23:00) of the
scored days with these predictors:

* **Erlang A**: per hour, M/M/c+M with the fit's inputs (arrivals, mean handle time,
  exponential patience, the fractional staffing as a floor/ceil mixture);
* **simulation**: the fitted scenario (planned forms: Poisson arrivals with the fitted
  day-to-day overdispersion, handle time and Kaplan-Meier patience by time block,
  fractional staffing), ``--reps`` replications over as many days as scored;
* **simulation, priority classes**: the same fitted with ``priority=True`` (priority 2
  customers, then regular, then unidentified new customers);
* **replay**: the scored days' recorded callers (arrival times, call types and talk
  times; ``arrivals: {trace: ...}``) through the fitted staffing and patience, next to
  **Erlang A, scored days' volumes**: Erlang A given the scored days' hourly arrivals
  and mean talk times (the same information).

Nothing is tuned to the scored days: every choice of the model was made before (see the
README, "From a call log"). Writes ``OUT/<setup>/bank.yaml`` (+ ``.fit.html``),
``OUT/<setup>/score_<predictor>/score.{json,csv}``, ``OUT/<setup>/score.png``,
``OUT/scores.csv`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import time
from pathlib import Path
from typing import Any

import pandas as pd

from callsim.config import scenario_from_dict
from callsim.experiment import run_batch
from callsim.fit import FitResult, clock_table, erlang_a_clock, fit_log, score, write_trace
from callsim.fit.score import clock_table_from_run, score_figure
from callsim.logs import CallLog, read_log

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT.parent / "shared" / "data" / "anonymous_bank" / "anonymous_bank_1999_02.tsv"
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu")
METRICS = ["abandon_rate", "asa", "sl_20", "answered_per_day"]


def weekdays(log: CallLog) -> pd.DatetimeIndex:
    """The log's Sunday-Thursday days."""
    days = pd.DatetimeIndex(sorted(log.calls["day"].unique()))
    return days[[d.day_name()[:3].lower() in WEEKDAYS for d in days]]


def simulate(data: dict[str, Any], n_days: int, reps: int, jobs: int, where: Path
             ) -> pd.DataFrame:
    """The clock table of *reps* replications of *data* over *n_days* days."""
    d = copy.deepcopy(data)
    d["horizon"]["length"] = f"{n_days}d"
    sc = scenario_from_dict(d, source=str(where))
    batch = run_batch(sc, reps=reps, seed=0, jobs=jobs,
                      backend="processes" if jobs > 1 else "serial", progress=False)
    return clock_table_from_run(batch.clock)


def erlang_inputs(train: FitResult, scored: FitResult) -> FitResult:
    """The training fit with the scored days' arrivals and mean talk times."""
    types = {}
    for name, tf in train.types.items():
        sf = scored.types.get(name)
        if sf is None:
            types[name] = tf
            continue
        blocks = [dataclasses.replace(b, handle=next((s.handle for s in sf.blocks
                                                      if s.start == b.start), b.handle))
                  for b in tf.blocks]
        types[name] = dataclasses.replace(tf, handle=sf.handle or tf.handle, blocks=blocks)
    return dataclasses.replace(train, arrivals=scored.arrivals, types=types)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bank")
    ap.add_argument("--log", type=Path, default=LOG)
    ap.add_argument("--setups", default="month,split,alternate")
    ap.add_argument("--staffing", default="auto",
                    help="staffing measure of the fits (auto: available; busy_waiting ...)")
    args = ap.parse_args()
    log = read_log(args.log, format="anonymous-bank")
    print(f"read {len(log.calls):,} calls; dropped {log.dropped}; flags {log.flags}")
    wk = weekdays(log)
    setups = {"month": (wk, wk), "split": (wk[wk.day <= 14], wk[wk.day > 14]),
              "alternate": (wk[::2], wk[1::2])}
    rows = []
    for name in args.setups.split(","):
        train, test = setups[name]
        out = args.out / name
        t0 = time.perf_counter()
        fit = fit_log(log, dates=train, staffing=args.staffing)
        fit.write_scenario(out / "bank.yaml")
        fit_p = fit_log(log, dates=train, priority=True, staffing=args.staffing)
        fit_p.write_scenario(out / "bank_priority.yaml", html=False)
        scored = fit_log(log, dates=test, staffing=args.staffing) if name != "month" else fit
        observed = clock_table(log, dates=test)
        replay = fit.scenario_dict()
        replay["arrivals"] = write_trace(log, out / "trace.csv", dates=test,
                                         relative_to=out)
        preds = {
            "Erlang A": erlang_a_clock(fit),
            "simulation": simulate(fit.scenario_dict(), len(test), args.reps, args.jobs,
                                   out / "bank.yaml"),
            "simulation, priority classes": simulate(fit_p.scenario_dict(), len(test),
                                                     args.reps, args.jobs,
                                                     out / "bank_priority.yaml"),
            "Erlang A, scored days' volumes": erlang_a_clock(erlang_inputs(fit, scored)),
            "replay": simulate(replay, len(test), args.reps, args.jobs,
                               out / "replay.yaml"),
        }
        for pname, pred in preds.items():
            s = score(observed, pred)
            s.write(out / f"score_{pname.split(',')[0].replace(' ', '_').lower()}"
                    f"{'_p' if 'priority' in pname else ''}"
                    f"{'_v' if 'volumes' in pname else ''}")
            for m, r in s.summary.iterrows():
                rows.append({"setup": name, "predictor": pname, "metric": m, **r.to_dict()})
        score_figure(observed, {k: v for k, v in preds.items()
                                if k in ("Erlang A", "simulation", "replay")}
                     ).savefig(out / "score.png", dpi=90)
        print(f"{name}: fitted on {len(train)} days, scored on {len(test)}; overdispersion "
              f"{fit.overdispersion['estimate']:.3f}; agents ({fit.options['staffing']}) "
              f"peak {fit.staffing['agents'].max():.2f}; {time.perf_counter() - t0:.0f} s")
    tab = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    tab.to_csv(args.out / "scores.csv", index=False)
    wide = tab.pivot_table(index=["setup", "predictor"], columns="metric", values="mare",
                           sort=False)
    bias = tab.pivot_table(index=["setup", "predictor"], columns="metric", values="bias",
                           sort=False)
    print("\nMARE over weekday hours 07-23 (bias in brackets)\n")
    print("| set-up | predictor | " + " | ".join(METRICS) + " |")
    print("|---|---|" + "---:|" * len(METRICS))
    for (setup, pred), r in wide.iterrows():
        cells = [f"{r[c]:.3f} ({bias.loc[(setup, pred), c]:+.2f})" for c in METRICS]
        print(f"| {setup} | {pred} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
