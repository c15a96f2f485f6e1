"""Time batches of replications on each backend, and peak memory against the horizon.

Usage::

    python benchmarks/bench_batch.py [--quick] [--scenario PATH] [--serial-reps N]
                                     [--reps N] [--jobs N] [--days D]
                                     [--skip-dask] [--skip-rss]

Measured on the 120 base day (``configs/seoul120/two_level.yaml`` unless ``--scenario``):

* replications per second serially (``--serial-reps``, default 100);
* with ``--jobs`` (default 2) worker processes, and with Dask on a ``LocalCluster`` of
  ``--jobs`` single-threaded worker processes (``--reps``, default 1000, each), wall time
  from the call to the result, worker start-up included (the cluster's start-up is timed
  apart); the processes run once more with checkpoints (``--out``) to show their cost;
* the figures are checked to be bit-identical across the backends (exit status 1 if not);
* peak RSS (``VmHWM``) of one replication of a 1-day and of a ``--days``-day (default 365)
  horizon, each in a fresh interpreter, and their ratio.

Targets (issue 14, was 2 minutes in issue 4): 1,000 replications of the base day in
under 60 s on 2 cores; the 365-day run under 300 MB peak RSS and within 1.5x of the 1-day run's.
``--quick`` runs 20 serial / 100 parallel replications and a 30-day horizon.

A markdown table goes to stdout (for the README); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DEFAULT_SCENARIO = REPO_ROOT / "configs" / "seoul120" / "two_level.yaml"

TARGET_SECONDS_1000 = 60.0  # issue 14 (issue 4: 120 s)
TARGET_RSS_MB = 300.0
TARGET_RSS_RATIO = 1.5

_RSS_CHILD = r"""
import json, sys, time
def hwm():
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
from callsim.config import load_scenario
from callsim.experiment import simulate
before = hwm()
sc = load_scenario(sys.argv[1], [f"horizon.length={sys.argv[2]}d"])
t = time.perf_counter()
res = simulate(sc, seed=0)
print(json.dumps({"days": int(sys.argv[2]), "seconds": time.perf_counter() - t,
                  "calls": res.meta["n_calls"], "imported_mb": before, "peak_mb": hwm()}))
"""


@dataclass
class Timing:
    """One timed batch."""

    label: str
    reps: int
    seconds: float
    workers: int
    cpu_per_rep: float = 0.0
    note: str = ""

    @property
    def rate(self) -> float:
        return self.reps / self.seconds

    @property
    def for_1000(self) -> float:
        return 1000.0 / self.rate


def _load() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not available
        return "?"


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _timed_batch(label: str, cs: Any, reps: int, **kw: Any) -> tuple[Timing, Any]:
    from callsim.experiment import run_batch

    _say(f"{label}: {reps} replications ...")
    t = time.perf_counter()
    cpu = time.process_time()
    batch = run_batch(cs, reps=reps, seed=0, progress=False, **kw)
    dt = time.perf_counter() - t
    timing = Timing(label, reps, dt, int(batch.info["workers"]),
                    cpu_per_rep=(time.process_time() - cpu) / reps)
    _say(f"  {dt:.1f} s, {timing.rate:.1f} reps/s (load average {_load()})")
    return timing, batch


def _same(a: Any, b: Any, n: int) -> bool:
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(a.replications.iloc[:n], b.replications.iloc[:n],
                                      check_exact=True)
    except AssertionError:
        return False
    return True


def _rss(scenario: Path, days: int) -> dict[str, Any]:
    _say(f"peak RSS: {days}-day horizon in a fresh interpreter ...")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(scenario), str(days)],
                         capture_output=True, text=True, env=env, check=True)
    rec: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    _say(f"  {rec['calls']:,} calls in {rec['seconds']:.1f} s, peak {rec['peak_mb']:.0f} MB")
    return rec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short run (20/100 reps, 30 days)")
    ap.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    ap.add_argument("--serial-reps", type=int)
    ap.add_argument("--reps", type=int, help="replications on processes and on Dask")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--days", type=int, help="long horizon for the memory check")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--skip-rss", action="store_true")
    args = ap.parse_args(argv)
    serial_reps = args.serial_reps or (20 if args.quick else 100)
    reps = args.reps or (100 if args.quick else 1000)
    days = args.days or (30 if args.quick else 365)

    sys.path.insert(0, str(REPO_ROOT))
    from callsim.experiment import to_compiled as _compiled

    cs = _compiled(args.scenario)
    timings: list[Timing] = []
    ok = True
    load_before = _load()
    t_serial, b_serial = _timed_batch("serial", cs, serial_reps)
    t_serial.note = (f"CPU {t_serial.cpu_per_rep:.3f} s/rep, i.e. "
                     f"{1 / t_serial.cpu_per_rep:.1f} reps/s per uncontended core")
    timings.append(t_serial)
    t_proc, b_proc = _timed_batch(f"processes, {args.jobs} workers", cs, reps,
                                  backend="processes", jobs=args.jobs)
    timings.append(t_proc)
    ok &= _same(b_serial, b_proc, serial_reps)
    with tempfile.TemporaryDirectory() as tmp:
        t_ck, b_ck = _timed_batch(f"processes, {args.jobs} workers, checkpoints", cs, reps,
                                  backend="processes", jobs=args.jobs, out=Path(tmp) / "run")
        size = sum(p.stat().st_size for p in (Path(tmp) / "run" / "reps").iterdir())
        t_ck.note = f"{size / reps / 1024:.0f} KiB per replication on disk"
        timings.append(t_ck)
        ok &= _same(b_serial, b_ck, serial_reps)
    if not args.skip_dask:
        import distributed

        _say(f"dask: starting a LocalCluster of {args.jobs} worker processes ...")
        import dask

        t0 = time.perf_counter()
        with dask.config.set({"distributed.worker.profile.enabled": False}), \
                distributed.LocalCluster(n_workers=args.jobs, threads_per_worker=1,
                                         processes=True, dashboard_address=None) as cluster:
            startup = time.perf_counter() - t0
            t_dask, b_dask = _timed_batch(f"dask, {args.jobs} workers", cs, reps,
                                          backend="dask", scheduler=cluster.scheduler_address)
        t_dask.note = f"cluster start-up {startup:.1f} s not included"
        timings.append(t_dask)
        ok &= _same(b_serial, b_dask, serial_reps)

    print(f"### Batches: {cs.name} ({args.scenario.relative_to(REPO_ROOT)}), "
          f"~{b_serial.kpis['arrivals']:,.0f} calls per replication\n")
    print(f"{platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs; wall time includes worker "
          f"start-up; load average (1, 5, 15 min) {load_before} before, {_load()} after\n")
    print("| backend | replications | wall s | reps/s | 1,000 reps (s) | note |")
    print("|---|---:|---:|---:|---:|---|")
    for t in timings:
        print(f"| {t.label} | {t.reps} | {t.seconds:.1f} | {t.rate:.1f} | "
              f"{t.for_1000:.0f} | {t.note} |")
    best = min(t.for_1000 for t in timings[1:])
    print(f"\nTarget 1,000 replications in < {TARGET_SECONDS_1000:.0f} s on {args.jobs} "
          f"cores: best {best:.0f} s -> {'met' if best < TARGET_SECONDS_1000 else 'NOT met'}"
          + ("" if reps >= 1000 else f" (extrapolated from {reps} replications)"))
    print(f"Bit-identical across backends: {'yes' if ok else 'NO'}")

    if not args.skip_rss:
        one = _rss(args.scenario, 1)
        long = _rss(args.scenario, days)
        ratio = long["peak_mb"] / one["peak_mb"]
        print("\n### Peak RSS of one replication (fresh interpreter, VmHWM)\n")
        print("| horizon | calls | seconds | after imports MB | peak MB |")
        print("|---|---:|---:|---:|---:|")
        for r in (one, long):
            print(f"| {r['days']} d | {r['calls']:,} | {r['seconds']:.1f} | "
                  f"{r['imported_mb']:.0f} | {r['peak_mb']:.0f} |")
        met = long["peak_mb"] < TARGET_RSS_MB and ratio <= TARGET_RSS_RATIO
        print(f"\n{days}-day / 1-day peak: {ratio:.2f}x; target < {TARGET_RSS_MB:.0f} MB and "
              f"<= {TARGET_RSS_RATIO}x -> {'met' if met else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
