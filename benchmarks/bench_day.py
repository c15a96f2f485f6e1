"""Time one replication of the 120 days, and what compiling once and a persistent pool save.

Usage::

    python benchmarks/bench_day.py [--reps N] [--jobs N] [--rounds N] [--skip-runner]

* **Per replication** (this process, one warm-up replication first, then ``--reps``,
  default 5, timed one by one; ``callsim.compile`` once, ``run_replication`` each, the
  results' tables included): the 120 base day (``configs/seoul120/two_level.yaml``) and
  the 80k surge day (``configs/seoul120/surge_80k.yaml``), best and mean seconds.
  Targets (issue 14): the base day in 0.15 s (best of 5), the surge day under 0.6 s.
* **Compile once**: ``callsim.simulate(path)`` per replication (read the YAML files,
  validate, compile, run) against ``callsim.simulate(compiled)``: what a replication
  pays when a scenario is not compiled once.
* **Persistent pool** (``--skip-runner`` leaves it out): a search-like loop of
  ``--rounds`` (default 6) batches of 8 replications of the base day, each with other
  staffing, on ``--jobs`` (default 2) worker processes: one :class:`Runner` for the
  whole loop (workers start once) against a new pool per batch; wall seconds and
  worker starts.

A markdown table goes to stdout; progress to stderr.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
SEOUL = REPO_ROOT / "configs" / "seoul120"
BASE = SEOUL / "two_level.yaml"
SURGE = SEOUL / "surge_80k.yaml"
TARGET_BASE_S = 0.15
TARGET_SURGE_S = 0.6


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _load() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not available
        return "?"


def per_replication(path: Path, reps: int) -> dict[str, Any]:
    """Best and mean seconds of *reps* replications of the compiled *path*."""
    import callsim
    from callsim.experiment.replication import run_replication

    cs = callsim.compile(path)
    run_replication(cs, 0, 1000)  # warm-up
    times = []
    calls = []
    for r in range(reps):
        t = time.perf_counter()
        res = run_replication(cs, 0, r)
        times.append(time.perf_counter() - t)
        calls.append(res.meta["n_calls"])
    _say(f"  {path.name}: " + ", ".join(f"{x:.3f}" for x in times) + " s")
    return {"best": min(times), "mean": statistics.fmean(times),
            "calls": statistics.fmean(calls)}


def compile_once(path: Path, reps: int) -> dict[str, float]:
    """Mean seconds of ``simulate(path)`` and of ``simulate(compiled)``."""
    import callsim

    cs = callsim.compile(path)
    callsim.simulate(cs, seed=0, replication=1000)  # warm-up
    out: dict[str, float] = {}
    for label, what in (("from the file", path), ("compiled once", cs)):
        times = []
        for r in range(reps):
            t = time.perf_counter()
            callsim.simulate(what, seed=0, replication=r)
            times.append(time.perf_counter() - t)
        out[label] = statistics.fmean(times)
    t = time.perf_counter()
    for _ in range(reps):
        callsim.compile(path)
    out["compile"] = (time.perf_counter() - t) / reps
    return out


def runner_loop(rounds: int, jobs: int) -> dict[str, dict[str, float]]:
    """A search-like loop of batches: one Runner for all, or a pool per batch."""
    import callsim
    from callsim.experiment import Runner, run_batch

    designs = [callsim.compile(BASE, {"pools.district_team.staffing.shifts.0.agents": 18 + i})
               for i in range(rounds)]
    out: dict[str, dict[str, float]] = {}
    _say(f"runner: {rounds} batches of 8 replications, one Runner ...")
    t = time.perf_counter()
    with Runner("processes", jobs) as runner:
        for cs in designs:
            run_batch(cs, reps=8, seed=0, runner=runner, progress=False)
        starts = runner.starts
    out["one Runner for the loop"] = {"seconds": time.perf_counter() - t, "starts": starts}
    _say(f"runner: {rounds} batches of 8 replications, a pool per batch ...")
    t = time.perf_counter()
    for cs in designs:
        run_batch(cs, reps=8, seed=0, backend="processes", jobs=jobs, progress=False)
    out["a new pool per batch"] = {"seconds": time.perf_counter() - t, "starts": rounds}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--skip-runner", action="store_true")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    load_before = _load()
    _say("per replication ...")
    base = per_replication(BASE, args.reps)
    surge = per_replication(SURGE, args.reps)
    _say("compile once ...")
    comp = compile_once(BASE, args.reps)
    runs = None if args.skip_runner else runner_loop(args.rounds, args.jobs)

    print(f"{platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs; load average (1, 5, 15 min) "
          f"{load_before} before, {_load()} after\n")
    print(f"### One replication (best and mean of {args.reps}, compiled once, results "
          "included)\n")
    print("| day | calls | best s | mean s | calls/s (best) | target | met |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, r, target in (("120 base day (`two_level.yaml`)", base, TARGET_BASE_S),
                             ("80k surge day (`surge_80k.yaml`)", surge, TARGET_SURGE_S)):
        met = "yes" if r["best"] <= target else "NO"
        print(f"| {label} | {r['calls']:,.0f} | {r['best']:.3f} | {r['mean']:.3f} | "
              f"{r['calls'] / r['best']:,.0f} | {target:.2f} s | {met} |")
    print("\n### Compile once (120 base day, mean of "
          f"{args.reps})\n")
    print("| replication | seconds |")
    print("|---|---:|")
    print(f"| `simulate(path)`: read, validate, compile, run | {comp['from the file']:.3f} |")
    print(f"| `simulate(callsim.compile(path))`: run | {comp['compiled once']:.3f} |")
    print(f"| `callsim.compile(path)` alone | {comp['compile']:.3f} |")
    if runs is not None:
        print(f"\n### Persistent pool: {args.rounds} batches of 8 replications "
              f"(other staffing each), {args.jobs} worker processes\n")
        print("| workers | wall s | worker starts |")
        print("|---|---:|---:|")
        for label, r in runs.items():
            print(f"| {label} | {r['seconds']:.1f} | {r['starts']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
