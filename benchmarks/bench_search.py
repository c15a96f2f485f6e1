"""Time the searches of issue 13 on the 120 base day.

Usage::

    python benchmarks/bench_search.py [--jobs N] [--skip-calibrate] [--skip-menu]
                                      [--quick]

* **calibration**: ``callsim.search.calibrate`` of
  ``configs/seoul120/two_level_uncalibrated.yaml`` with the 3 free parameters and 4
  targets of the shipped calibration (see ``configs/seoul120/two_level.yaml``), on
  ``--jobs`` (default 2) worker processes: wall seconds, candidates, replications,
  the misfit reached. Target: under 5 minutes on 2 cores.
* **menu search**: ``callsim.search.optimise_menu`` of ``configs/seoul120/two_level.yaml``
  (objective ``caller_answer_rate``, keys 0 = COVID-19 and 9 = foreign language fixed,
  up to 9 options, one or two levels): wall seconds and the number of layouts
  evaluated. Target: at least 50 layouts in under 10 minutes.

Each run's peak RSS of this process (``VmHWM``, the workers not included) is printed
too. ``--quick`` uses fewer replications (for a smoke test, not for the figures). A
markdown table goes to stdout; progress to stderr.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
SEOUL = REPO_ROOT / "configs" / "seoul120"

TARGETS = ["offered=14500±300", "answer_rate=0.776±0.005", "arrivals/offered=2.5±0.1",
           "fcr=0.836±0.005"]
FREE = ["arrivals.daily_volume=12000:20000", "call_types.*.patience.scale*=0.6:1.6",
        "redials.after_blocked=0.6:0.99"]
TARGET_CALIBRATE_S = 300.0
TARGET_MENU_S = 600.0


def peak_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_calibrate(jobs: int, quick: bool) -> dict[str, Any]:
    from callsim.search import Execution, calibrate

    t0 = time.perf_counter()
    res = calibrate(SEOUL / "two_level_uncalibrated.yaml", TARGETS, FREE,
                    reps=2 if quick else 4, final_reps=4 if quick else 40, seed=0,
                    execution=Execution("processes", jobs), progress=None)
    wall = time.perf_counter() - t0
    return {"what": "calibration, 3 free parameters, 4 targets", "seconds": wall,
            "target": TARGET_CALIBRATE_S, "count": f"{len(res.history)} candidates",
            "replications": res.counter.replications, "result": f"misfit {res.misfit:.2f}",
            "peak_mb": peak_mb()}


def bench_menu(jobs: int, quick: bool) -> dict[str, Any]:
    from callsim.search import Execution, optimise_menu

    t0 = time.perf_counter()
    res = optimise_menu(SEOUL / "two_level.yaml", "caller_answer_rate",
                        fixed="0=covid,9=foreign", max_options=9, levels="auto",
                        reps=1 if quick else 3, final_reps=4 if quick else 20, seed=0,
                        execution=Execution("processes", jobs), progress=None)
    wall = time.perf_counter() - t0
    return {"what": "menu search, levels auto, 0 and 9 fixed", "seconds": wall,
            "target": TARGET_MENU_S, "count": f"{len(res.candidates)} layouts",
            "replications": res.counter.replications,
            "result": "best " + res.layouts[res.best].text().replace("|", "\\|"),
            "peak_mb": peak_mb()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-calibrate", action="store_true")
    ap.add_argument("--skip-menu", action="store_true")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rows = []
    if not args.skip_calibrate:
        rows.append(bench_calibrate(args.jobs, args.quick))
    if not args.skip_menu:
        rows.append(bench_menu(args.jobs, args.quick))
    print(f"python {platform.python_version()}, {args.jobs} worker processes"
          + (" (quick: not the figures)" if args.quick else ""))
    print("| search | wall time | target | evaluated | replications | result | peak RSS |")
    print("|---|---:|---:|---|---:|---|---:|")
    ok = True
    for r in rows:
        met = r["seconds"] <= r["target"]
        ok &= met
        print(f"| {r['what']} | {r['seconds']:.0f} s | < {r['target']:.0f} s "
              f"{'(met)' if met else '(MISSED)'} | {r['count']} | {r['replications']} | "
              f"{r['result']} | {r['peak_mb']:.0f} MB |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
