"""The size guard's memory estimate against the measured peak memory of one replication.

Usage::

    python benchmarks/bench_size_guard.py [--calls N ...]

For each number of calls per day (default 200,000 and 800,000) an M/M/c+M day is run
once without and once with per-call records, each in a fresh interpreter; the peak RSS
(``ru_maxrss``) is printed beside :func:`callsim.compiled.estimate_size`'s figures, so
the bytes-per-call constants of :mod:`callsim.compiled.size` can be checked (the
estimate should be at or above the measurement). A markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = """
import json, resource, sys, time
import callsim
from callsim.compiled import estimate_size
calls, record = float(sys.argv[1]), sys.argv[2] == "1"
rate = calls / 24
cs = callsim.compile(callsim.erlang_scenario(rate, 180, int(rate * 180 / 3600 * 1.1) + 5,
                                             patience=120, hours=24))
est = estimate_size(cs)
t = time.perf_counter()
callsim.simulate(cs, seed=1, record_calls=record)
print(json.dumps({"rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "est": est.memory + (est.record_memory if record else 0.0),
                  "s": time.perf_counter() - t}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=float, nargs="+", default=[200_000, 800_000])
    args = ap.parse_args()
    print("| calls/day | records | peak RSS (MiB) | estimate (MiB) | seconds |")
    print("|---:|:---:|---:|---:|---:|")
    for calls in args.calls:
        for record in (False, True):
            out = subprocess.run([sys.executable, "-c", CHILD, str(calls), str(int(record))],
                                 capture_output=True, text=True, check=True).stdout
            r = json.loads(out)
            print(f"| {calls:,.0f} | {'yes' if record else 'no'} | {r['rss'] / 2**20:,.0f} "
                  f"| {r['est'] / 2**20:,.0f} | {r['s']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
