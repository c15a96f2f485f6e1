"""Profile one scenario's replications: cProfile's top entries, or instruction counts.

Usage::

    python benchmarks/profile_engine.py [SCENARIO] [--reps N] [--top N] [--sort KEY]
    python benchmarks/profile_engine.py [SCENARIO] --callgrind

``SCENARIO`` is a YAML file (default ``configs/seoul120/two_level.yaml``) or ``erlang``
(the Erlang-A big day of ``bench_engine.py``: 300 agents, ≈141k calls).

* Default: a cProfile of ``--reps`` (default 3) replications of the compiled scenario
  (one unprofiled warm-up first), its ``--top`` (default 20) entries by ``--sort``
  (``tottime`` or ``cumtime``) as a markdown table for ``benchmarks/README.md``.
* ``--callgrind``: instructions per replication, counted by ``valgrind --tool=callgrind``
  (noise-free on a shared machine, where wall times vary by ±15 % or more): the
  difference between a process running two replications and one running one
  (imports, compiling and the first-call warm-up cancel out). Needs ``valgrind``; takes
  about 100x the replication's time. ``OPENBLAS_NUM_THREADS=1`` is set for the child.

Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DEFAULT_SCENARIO = "configs/seoul120/two_level.yaml"


def compiled(scenario: str) -> Any:
    """The compiled scenario named on the command line."""
    sys.path.insert(0, str(REPO_ROOT))
    import callsim

    if scenario == "erlang":
        rate = 0.98 * 300 / 180.0 * 3600.0  # bench_engine.BIG_DAY
        return callsim.compile(callsim.erlang_scenario(
            arrival_rate=rate, aht=180.0, agents=300, patience=120.0, hours=24.0))
    return callsim.compile(REPO_ROOT / scenario if not Path(scenario).is_absolute()
                           else Path(scenario))


def run(cs: Any, first: int, reps: int) -> None:
    """Replications *first* ... *first* + *reps* - 1 of *cs*, seed 0."""
    from callsim.experiment.replication import run_replication

    for r in range(first, first + reps):
        run_replication(cs, 0, r)


def _short(path: str) -> str:
    for root in (str(REPO_ROOT) + os.sep, sys.prefix + os.sep):
        path = path.replace(root, "")
    return re.sub(r"^.*site-packages/", "", path)


def profile(scenario: str, reps: int, top: int, sort: str) -> str:
    """The cProfile table (markdown)."""
    cs = compiled(scenario)
    run(cs, 100, 1)  # warm-up, not profiled
    t = time.perf_counter()
    run(cs, 0, reps)
    wall = time.perf_counter() - t
    prof = cProfile.Profile()
    prof.enable()
    run(cs, 0, reps)
    prof.disable()
    st = pstats.Stats(prof)
    total = st.total_tt  # type: ignore[attr-defined]
    rows = []
    entries = st.stats  # type: ignore[attr-defined]
    key = 2 if sort == "tottime" else 3
    for (file, line, fn), (cc, nc, tt, ct, _) in sorted(
            entries.items(), key=lambda kv: -kv[1][key])[:top]:
        where = fn if file == "~" else f"{_short(file)}:{line}({fn})"
        calls = f"{nc}" if nc == cc else f"{nc}/{cc}"
        rows.append(f"| `{where}` | {calls} | {tt:.3f} | {100 * tt / total:.1f} % "
                    f"| {ct:.3f} |")
    head = (f"{reps} replication(s) of {scenario}: {wall / reps:.3f} s each unprofiled, "
            f"{total / reps:.3f} s under cProfile; top {top} by {sort}\n\n"
            "| function | calls | own s | own % | cumulative s |\n|---|---:|---:|---:|---:|")
    return head + "\n" + "\n".join(rows)


def instructions(scenario: str, reps: int) -> int:
    """Instructions (callgrind's Ir) of a process compiling *scenario* and running *reps*
    replications (the child mode of ``--callgrind``)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
             __file__, scenario, "--child", str(reps)],
            capture_output=True, text=True, env=env, check=True)
        m = re.search(r"Collected : (\d+)", proc.stderr)
        if m is None:
            raise RuntimeError(f"no instruction count in valgrind's output:\n{proc.stderr}")
        return int(m.group(1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--sort", choices=("tottime", "cumtime"), default="tottime")
    ap.add_argument("--callgrind", action="store_true",
                    help="count instructions per replication with valgrind")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        run(compiled(args.scenario), 0, args.child)
        return 0
    if args.callgrind:
        if shutil.which("valgrind") is None:
            print("valgrind is not installed", file=sys.stderr)
            return 1
        print(f"callgrind: {args.scenario}, 1 and 2 replications ...", file=sys.stderr)
        one = instructions(args.scenario, 1)
        two = instructions(args.scenario, 2)
        print(f"{args.scenario}: {(two - one) / 1e9:.3f} G instructions per replication "
              f"(replication 1 of seed 0; {one / 1e9:.3f} G for imports, compiling and "
              "replication 0)")
        return 0
    print(profile(args.scenario, args.reps, args.top, args.sort))
    return 0


if __name__ == "__main__":
    sys.exit(main())
