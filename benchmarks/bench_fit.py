"""Read and fit a synthetic 1-million-call log made with callsim itself.

Usage::

    python benchmarks/bench_fit.py [--calls 1000000] [--dir runs/bench_fit] [--keep]

Makes (once, cached in ``--dir``) a log of about ``--calls`` calls: a two-type centre
with a one-node IVR (5 % hang-ups), lognormal and exponential handle times, exponential
and gamma patience and ~250 agents by the hour, simulated day after day with per-call
records and written by :func:`callsim.logs.calls_to_log` as Parquet and as CSV (agents
named by :func:`agent_names`, so the ``available`` staffing estimate runs). Then, in
a fresh process per file, times ``read_log`` and ``fit_log`` (weekdays, 60 min) and
reports seconds and the process's peak RSS (``VmHWM``: the child's own high-water mark).

Targets (issue 11): under 30 s and under 1 GB on 2 cores. Prints a markdown table;
exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PER_DAY = 50_000


def scenario(days: int) -> dict[str, Any]:
    """~PER_DAY calls a day between 07:00 and 23:00; staffing sized for ~90 % load."""
    shape = [0.0] * 7 + [3, 6, 8, 9, 9, 8, 8, 8, 8, 7, 6, 5, 4, 4, 3, 2] + [0.0]
    total = sum(shape)
    a = [round(PER_DAY * 0.75 * s / total, 1) for s in shape]
    b = [round(PER_DAY * 0.25 * s / total, 1) for s in shape]
    staff = [round((x * 180 + y * 300) / 3600 * 1.02) for x, y in zip(a, b, strict=True)]
    return {
        "horizon": {"start": "00:00", "length": f"{days}d"},
        "call_types": {
            "A": {"handle_time": {"dist": "lognormal", "mean": 180, "cv": 1.0},
                  "patience": {"dist": "exponential", "mean": 240}},
            "B": {"handle_time": {"dist": "exponential", "mean": 300},
                  "patience": {"dist": "gamma", "mean": 400, "cv": 0.7}}},
        "arrivals": {"by_call_type": {"A": {"per_interval": a}, "B": {"per_interval": b}}},
        "pools": {"p": {"skills": ["A", "B"], "staffing": {"per_interval": staff}}},
        "ivr": {"root": "m", "nodes": {"m": {
            "prompt": {"dist": "uniform", "low": 5, "high": 15}, "hangup": 0.05,
            "options": {"1": {"queue": "A"}, "2": {"queue": "B"}}}}},
    }


def _vmhwm_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def agent_names(df: Any) -> Any:
    """Name the agents of the answered calls (callsim's records name the pool only): each
    call goes to the agent who has been free the shortest time, with ids reused, so the
    log has realistic per-agent call sequences for the staffing estimate."""
    import heapq

    import numpy as np

    day0 = df["day"].min()
    off = (df["day"] - day0).dt.days.to_numpy() * 86400.0
    ans = (df["outcome"] == "answered").to_numpy() & df["handle_time"].notna().to_numpy()
    start = off + df["queue_entry"].to_numpy() + df["wait"].to_numpy()
    end = start + df["handle_time"].to_numpy()
    names = np.full(len(df), "", dtype=object)
    busy: list[tuple[float, int]] = []  # (free at, agent)
    free: list[int] = []  # free agents, most recently freed last
    n = 0
    for i in np.flatnonzero(ans)[np.argsort(start[ans], kind="stable")]:
        while busy and busy[0][0] <= start[i]:
            free.append(heapq.heappop(busy)[1])
        if free:
            a = free.pop()
        else:
            a, n = n, n + 1
        names[i] = f"agent{a:04d}"
        heapq.heappush(busy, (end[i], a))
    return names


def make(directory: Path, calls: int) -> None:
    """Simulate and write the log (run in a child: its memory is not measured)."""
    import pandas as pd

    import callsim
    from callsim.config import scenario_from_dict
    from callsim.logs import calls_to_log, write_log

    days = max(1, round(calls / PER_DAY))
    sc = scenario_from_dict(scenario(days))
    frames = []
    for week in range(0, days, 7):  # a week at a time keeps the records' memory modest
        n = min(7, days - week)
        sc_w = scenario_from_dict({**scenario(n)})
        r = callsim.simulate(sc_w, seed=week, record_calls=True)
        assert r.calls is not None
        lg = calls_to_log(r.calls, start=0.0,
                          first_day=pd.Timestamp("2024-01-01") + pd.Timedelta(days=week))
        frames.append(lg.calls)
    del sc
    df = pd.concat(frames, ignore_index=True)
    df["call_id"] = range(len(df))
    df["agent"] = agent_names(df)
    directory.mkdir(parents=True, exist_ok=True)
    write_log(df, directory / "log.parquet")
    write_log(df, directory / "log.csv")
    print(f"made {len(df):,} calls over {days} days in {directory}", file=sys.stderr)


def fit_child(path: Path) -> None:
    """Read and fit one file; print a JSON line with seconds and peak RSS."""
    t0 = time.perf_counter()
    from callsim.fit import fit_log
    from callsim.logs import read_log

    t1 = time.perf_counter()
    log = read_log(path)
    t2 = time.perf_counter()
    fit = fit_log(log, days="mon,tue,wed,thu,fri")
    _ = fit.report
    t3 = time.perf_counter()
    print(json.dumps({"file": path.name, "rows": len(log.calls), "import_s": t1 - t0,
                      "read_s": t2 - t1, "fit_s": t3 - t2, "total_s": t3 - t1,
                      "peak_mib": _vmhwm_mib(),
                      "agents_peak": float(fit.staffing["agents"].max())}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=REPO / "runs" / "bench_fit")
    ap.add_argument("--make-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--fit-one", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.fit_one:
        fit_child(args.fit_one)
        return 0
    if args.make_only:
        make(args.dir, args.calls)
        return 0
    if not (args.dir / "log.parquet").is_file():
        subprocess.run([sys.executable, __file__, "--make-only", "--calls", str(args.calls),
                        "--dir", str(args.dir)], check=True)
    rows = []
    for name in ("log.parquet", "log.csv"):
        out = subprocess.run([sys.executable, __file__, "--fit-one", str(args.dir / name)],
                             check=True, capture_output=True, text=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| file | rows | read s | fit s | read + fit s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    ok = True
    for r in rows:
        print(f"| {r['file']} | {r['rows']:,} | {r['read_s']:.1f} | {r['fit_s']:.1f} | "
              f"{r['total_s']:.1f} | {r['peak_mib']:.0f} |")
        ok &= r["total_s"] < 30 and r["peak_mib"] < 1024
    print("targets (< 30 s, < 1 GiB):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
