"""20 replications of the fitted Anonymous Bank month (20 weekdays as the horizon).

Usage::

    python benchmarks/bench_bank_month.py [--reps 20] [--jobs 2] [--log PATH]

Fits the bank log (``../shared/data/anonymous_bank/``, weekdays Sun-Thu, the default
options: planned forms, available staffing), then times ``run_batch`` of the fitted
scenario with a 20-day horizon: ``--reps`` replications on ``--jobs`` worker processes,
the pool's start-up included (what ``callsim run bank.yaml --set horizon.length=20d
--reps 20 --jobs 2`` spends simulating). Also times one replication in this process.
Prints seconds, calls per second and this process's peak RSS; exit status 1 if the
batch takes 30 s or more (issue 11's target), 0 with a message if the log is absent.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOG = REPO.parent / "shared" / "data" / "anonymous_bank" / "anonymous_bank_1999_02.tsv"


def _vmhwm_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--log", type=Path, default=LOG)
    args = ap.parse_args()
    if not args.log.is_file():
        print(f"{args.log} not found: the bank log is not here, nothing to time")
        return 0
    import callsim
    from callsim.config import scenario_from_dict
    from callsim.experiment import run_batch
    from callsim.fit import fit_log
    from callsim.logs import read_log

    t0 = time.perf_counter()
    log = read_log(args.log, format="anonymous-bank")
    fit = fit_log(log, days="sun,mon,tue,wed,thu")
    data = fit.scenario_dict()
    data["horizon"]["length"] = f"{len(fit.days)}d"
    sc = scenario_from_dict(data)
    t1 = time.perf_counter()
    one = callsim.simulate(sc, seed=0)
    t2 = time.perf_counter()
    batch = run_batch(sc, reps=args.reps, seed=0, jobs=args.jobs,
                      backend="processes" if args.jobs > 1 else "serial", progress=False)
    t3 = time.perf_counter()
    calls = float(batch.summary.loc["arrivals", "mean"]) * args.reps
    print(f"read + fit: {t1 - t0:.1f} s; one replication of {len(fit.days)} days "
          f"({one.kpis['arrivals']:,.0f} calls): {t2 - t1:.2f} s")
    print(f"{args.reps} replications, --jobs {args.jobs}: {t3 - t2:.1f} s "
          f"({calls / (t3 - t2):,.0f} calls/s); peak RSS of this process "
          f"{_vmhwm_mib():.0f} MiB")
    ok = t3 - t2 < 30
    print("target (< 30 s):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
