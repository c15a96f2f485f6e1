"""Time callsim against plain SimPy and Ciw on an Erlang-A (M/M/c+M) day.

Usage::

    python benchmarks/bench_engine.py [--quick] [--repeat N] [--skip-ciw] [--skip-simpy]
                                      [--skip-callsim] [--seed S]

Two days are timed, both at load 0.98 with AHT 180 s and mean patience 120 s over 24 h:

* big day: 300 agents (about 141k calls);
* small day: 20 agents (about 9.4k calls).

Engines: ``callsim.simulate`` (if importable), plain SimPy and Ciw (``benchmarks/reference.py``).
Ciw is slow (~20k calls/s), so ``--quick`` drops it from the big day; ``--quick`` also makes
the default number of repeats 1 instead of 3.

Every run happens in a fresh process (``multiprocessing`` spawn context) so that its peak RSS
belongs to one engine and one run only (see :func:`_maxrss_kib` for why Linux uses ``VmHWM``
rather than ``ru_maxrss``).  Reported per engine and day: calls/s (arrivals / wall seconds of
the simulate call, median over the repeats), peak RSS (maximum over the repeats) and how much
of it the run itself added over the interpreter with the engine imported, mean answer rate and
ASA (mean wait of the answered calls) next to the exact Erlang-A values, and the speed-up of
callsim over each engine.

The markdown table goes to stdout (paste it into a README); progress goes to stderr.
Exit status is 1 if an engine's mean answer rate is further from Erlang A than the
tolerance, else 0.  The tolerance is four standard deviations of the mean of the runs (one
day's answer rate varies by about 0.16 points on the big day and 0.63 on the small day), but
at least 0.5 percentage point on the big day and 1.0 on the small day: 0.5 / 1.45 points with
the default 3 runs.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent

ENGINES: tuple[str, ...] = ("callsim", "simpy", "ciw")
ENGINE_LABELS: dict[str, str] = {
    "callsim": "callsim",
    "simpy": "plain SimPy",
    "ciw": "Ciw",
}


@dataclass(frozen=True)
class Day:
    """One Erlang-A day to simulate."""

    key: str
    label: str
    agents: int
    aht: float = 180.0
    patience: float = 120.0
    load: float = 0.98
    hours: float = 24.0
    # Check of the mean answer rate against Erlang A: |diff| <= max(tolerance_pp,
    # 4 * day_sd_pp / sqrt(runs)), where day_sd_pp is the measured standard deviation of one
    # day's answer rate (plain SimPy and Ciw, 30-60 seeds), in percentage points.
    tolerance_pp: float = 0.5
    day_sd_pp: float = 0.16

    def tolerance_for(self, runs: int) -> float:
        """Allowed |mean answer rate - Erlang A| in points for ``runs`` runs."""
        return max(self.tolerance_pp, 4.0 * self.day_sd_pp / math.sqrt(runs))

    @property
    def arrival_rate_per_s(self) -> float:
        """Arrival rate giving the offered load ``load * agents`` Erlangs."""
        return self.load * self.agents / self.aht

    @property
    def expected_calls(self) -> float:
        """Expected number of arrivals over the day."""
        return self.arrival_rate_per_s * self.hours * 3600.0


BIG_DAY = Day(key="big", label="big day (300 agents)", agents=300, tolerance_pp=0.5, day_sd_pp=0.16)
SMALL_DAY = Day(
    key="small", label="small day (20 agents)", agents=20, tolerance_pp=1.0, day_sd_pp=0.63
)


@dataclass
class RunResult:
    """One run of one engine on one day, measured in its own process."""

    arrivals: int
    answer_rate: float
    asa: float
    wall_s: float
    rss_peak_kib: int
    rss_before_kib: int

    @property
    def calls_per_s(self) -> float:
        """Arrivals per wall-clock second of the simulate call."""
        return self.arrivals / self.wall_s if self.wall_s > 0 else float("inf")


@dataclass
class Cell:
    """All runs of one engine on one day (or why there are none)."""

    engine: str
    day: Day
    runs: list[RunResult] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True if at least one run finished."""
        return bool(self.runs) and self.error is None

    @property
    def calls_per_s(self) -> float:
        """Median calls/s over the runs."""
        return statistics.median(r.calls_per_s for r in self.runs)

    @property
    def arrivals(self) -> float:
        """Mean number of arrivals over the runs."""
        return statistics.fmean(r.arrivals for r in self.runs)

    @property
    def answer_rate(self) -> float:
        """Mean answer rate over the runs."""
        return statistics.fmean(r.answer_rate for r in self.runs)

    @property
    def asa(self) -> float:
        """Mean ASA over the runs (seconds)."""
        return statistics.fmean(r.asa for r in self.runs)

    @property
    def rss_peak_mib(self) -> float:
        """Largest peak RSS over the runs."""
        return max(r.rss_peak_kib for r in self.runs) / 1024.0

    @property
    def rss_run_mib(self) -> float:
        """Largest growth of peak RSS during the run itself."""
        return max(r.rss_peak_kib - r.rss_before_kib for r in self.runs) / 1024.0


# --------------------------------------------------------------------------------------------
# Child-process side
# --------------------------------------------------------------------------------------------


def _ensure_paths() -> None:
    """Make ``callsim`` (repo root) and ``reference`` (this folder) importable."""
    for p in (str(REPO_ROOT), str(BENCH_DIR)):
        if p not in sys.path:
            sys.path.insert(0, p)


def _maxrss_kib() -> int:
    """Peak resident set size of this process so far, in KiB.

    On Linux this is ``VmHWM`` from ``/proc/self/status``.  ``getrusage(RUSAGE_SELF).ru_maxrss``
    is *not* used there: Linux carries the pre-``exec`` high-water mark into it, so a spawned
    child's ``ru_maxrss`` starts at the parent's RSS at fork time (measured: a child of a
    126 MiB parent reported 126 MiB while its own peak, ``VmHWM``, was 28 MiB).  ``VmHWM``
    belongs to the new address space only.  Elsewhere, ``ru_maxrss`` is the fallback.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])  # "VmHWM:    28784 kB"
    except (OSError, ValueError, IndexError):
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # macOS reports bytes


def _run_in_child(engine: str, day: Day, seed: int) -> RunResult:
    """Run one engine once on one day; executed in a fresh spawned process."""
    _ensure_paths()
    lam = day.arrival_rate_per_s
    kpis: Any
    if engine == "callsim":
        import callsim

        scenario = callsim.erlang_scenario(
            arrival_rate=lam * 3600.0,
            aht=day.aht,
            agents=day.agents,
            patience=day.patience,
            hours=day.hours,
        )
        rss_before = _maxrss_kib()
        t0 = time.perf_counter()
        result = callsim.simulate(scenario, seed=seed)
        wall = time.perf_counter() - t0
        kpis = result.kpis
    else:
        import reference

        runner = reference.run_plain_simpy if engine == "simpy" else reference.run_ciw
        if engine == "ciw":
            import ciw  # noqa: F401  (imported before the baseline RSS, like simpy)
        rss_before = _maxrss_kib()
        t0 = time.perf_counter()
        kpis = runner(lam, day.aht, day.agents, day.patience, day.hours, seed)
        wall = time.perf_counter() - t0
    return RunResult(
        arrivals=int(kpis["arrivals"]),
        answer_rate=float(kpis["answer_rate"]),
        asa=float(kpis["asa"]),
        wall_s=wall,
        rss_peak_kib=_maxrss_kib(),
        rss_before_kib=rss_before,
    )


# --------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------


def _log(msg: str) -> None:
    """Progress message on stderr (stdout carries only the report)."""
    print(msg, file=sys.stderr, flush=True)


def callsim_unavailable_reason() -> str | None:
    """None if ``callsim.simulate`` and ``callsim.erlang_scenario`` import, else why not."""
    _ensure_paths()
    try:
        import callsim

        for name in ("simulate", "erlang_scenario"):
            if not callable(getattr(callsim, name, None)):
                return f"callsim has no callable {name!r}"
    except Exception as exc:  # the package is being written: any error means "not yet"
        return f"{type(exc).__name__}: {exc}"
    return None


@dataclass(frozen=True)
class Exact:
    """Exact Erlang-A values for one day and where they came from."""

    answer_rate: float
    asa: float
    source: str
    note: str | None = None


def exact_erlang_a(day: Day) -> Exact:
    """Exact Erlang A from ``callsim.analytic`` if importable, else from ``reference``.

    When both are available they are cross-checked and a disagreement is noted.
    """
    _ensure_paths()
    import reference

    own = reference.erlang_a_exact(day.arrival_rate_per_s, day.aht, day.agents, day.patience)
    try:
        from callsim.analytic import erlang_a_metrics

        m = erlang_a_metrics(day.arrival_rate_per_s * 3600.0, day.aht, day.agents, day.patience)
        theirs = Exact(float(m.answer_rate), float(m.asa), "callsim.analytic")
    except Exception as exc:
        return Exact(
            own.answer_rate,
            own.asa,
            "benchmarks/reference.py",
            note=f"callsim.analytic.erlang_a_metrics not usable ({type(exc).__name__}: {exc})",
        )
    note = None
    if abs(theirs.answer_rate - own.answer_rate) > 1e-6 or abs(theirs.asa - own.asa) > 1e-4:
        note = (
            f"callsim.analytic disagrees with the benchmark's own chain on the {day.label}: "
            f"answer rate {theirs.answer_rate:.6f} vs {own.answer_rate:.6f}, "
            f"ASA {theirs.asa:.4f} s vs {own.asa:.4f} s"
        )
    return Exact(theirs.answer_rate, theirs.asa, theirs.source, note)


def run_cell(engine: str, day: Day, seeds: Sequence[int]) -> Cell:
    """Run ``engine`` on ``day`` once per seed, each run in a fresh spawned process."""
    cell = Cell(engine=engine, day=day)
    ctx = multiprocessing.get_context("spawn")
    for seed in seeds:
        try:
            with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
                res = pool.submit(_run_in_child, engine, day, seed).result()
        except Exception as exc:
            cell.error = f"{type(exc).__name__}: {exc}"
            _log(f"  {ENGINE_LABELS[engine]:>11} | {day.label} | seed {seed}: FAILED {cell.error}")
            return cell
        cell.runs.append(res)
        _log(
            f"  {ENGINE_LABELS[engine]:>11} | {day.label} | seed {seed}: "
            f"{res.arrivals} calls in {res.wall_s:.2f} s = {res.calls_per_s:,.0f} calls/s, "
            f"answer rate {res.answer_rate:.4f}, ASA {res.asa:.2f} s, "
            f"peak RSS {res.rss_peak_kib / 1024:.0f} MiB"
        )
    return cell


def _fmt_int(x: float) -> str:
    return f"{x:,.0f}"


def _fmt_pct(x: float) -> str:
    return f"{100.0 * x:.2f} %"


def render_table(cells: Sequence[Cell], exact: dict[str, Exact]) -> str:
    """The results as a markdown table (one row per day and engine)."""
    header = (
        "| Day | Engine | Calls | Calls/s | Peak RSS (MiB) | Run RSS (MiB) "
        "| Answer rate | Erlang A | ASA (s) | Erlang A ASA (s) | callsim speed-up |"
    )
    lines = [header, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    by_day: dict[str, dict[str, Cell]] = {}
    for c in cells:
        by_day.setdefault(c.day.key, {})[c.engine] = c
    for c in cells:
        ex = exact[c.day.key]
        label = ENGINE_LABELS[c.engine]
        if not c.ok:
            why = (c.error or "not run").replace("|", "/")[:60]
            lines.append(
                f"| {c.day.label} | {label} | — | — | — | — | — | {_fmt_pct(ex.answer_rate)} "
                f"| — | {ex.asa:.2f} | {why} |"
            )
            continue
        ours = by_day[c.day.key].get("callsim")
        if c.engine == "callsim":
            speedup = "—"
        elif ours is not None and ours.ok:
            speedup = f"{ours.calls_per_s / c.calls_per_s:.1f}×"
        else:
            speedup = "n/a"
        lines.append(
            f"| {c.day.label} | {label} | {_fmt_int(c.arrivals)} | {_fmt_int(c.calls_per_s)} "
            f"| {c.rss_peak_mib:.0f} | {c.rss_run_mib:.0f} "
            f"| {_fmt_pct(c.answer_rate)} | {_fmt_pct(ex.answer_rate)} "
            f"| {c.asa:.2f} | {ex.asa:.2f} | {speedup} |"
        )
    return "\n".join(lines)


def _versions() -> str:
    parts = [f"Python {platform.python_version()}"]
    for dist in ("simpy", "ciw", "numpy"):
        try:
            parts.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(
        description="Time callsim against plain SimPy and Ciw on Erlang-A days.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="skip Ciw on the big day and default to 1 repeat",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=None,
        metavar="N",
        help="runs per engine and day (default 3, or 1 with --quick); calls/s is the median",
    )
    p.add_argument("--skip-ciw", action="store_true", help="do not run Ciw")
    p.add_argument("--skip-simpy", action="store_true", help="do not run plain SimPy")
    p.add_argument("--skip-callsim", action="store_true", help="do not run callsim")
    p.add_argument("--seed", type=int, default=0, help="first seed; repeats use seed, seed+1, …")
    args = p.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    args = parse_args(argv)
    seeds = [args.seed + i for i in range(args.repeat)]

    engines = [
        e
        for e in ENGINES
        if not (
            (e == "ciw" and args.skip_ciw)
            or (e == "simpy" and args.skip_simpy)
            or (e == "callsim" and args.skip_callsim)
        )
    ]
    notes: list[str] = []
    if "callsim" in engines:
        reason = callsim_unavailable_reason()
        if reason is not None:
            msg = f"callsim.simulate is not importable yet ({reason}): timing the references only."
            _log(msg)
            notes.append(msg)
            engines.remove("callsim")

    days = [BIG_DAY, SMALL_DAY]
    exact = {d.key: exact_erlang_a(d) for d in days}
    for ex in exact.values():
        if ex.note and ex.note not in notes:
            notes.append(ex.note)

    plan = [
        (e, d) for d in days for e in engines if not (e == "ciw" and d is BIG_DAY and args.quick)
    ]
    _log(f"bench_engine: {len(plan)} engine×day cells × {args.repeat} repeat(s), seeds {seeds}")
    for d in days:
        _log(
            f"  {d.label}: {d.arrival_rate_per_s * 3600:,.0f} calls/h, "
            f"~{d.expected_calls:,.0f} calls expected; Erlang A answer rate "
            f"{exact[d.key].answer_rate:.4%}, ASA {exact[d.key].asa:.2f} s ({exact[d.key].source})"
        )
    t_start = time.perf_counter()
    cells = []
    for engine, day in plan:
        cells.append(run_cell(engine, day, seeds))
    total = time.perf_counter() - t_start

    print()
    print(
        f"Erlang-A day: load 0.98, AHT {BIG_DAY.aht:.0f} s, mean patience "
        f"{BIG_DAY.patience:.0f} s, 24 h; exponential everything; "
        f"{args.repeat} run(s) per cell (seeds {seeds[0]}…{seeds[-1]}), each in a fresh process."
    )
    print(
        f"{_versions()}; {platform.machine()} {platform.system()}, "
        f"{os.cpu_count()} CPUs; total {total:.0f} s."
    )
    print()
    print(render_table(cells, exact))
    print()
    print(
        "Calls/s = arrivals / wall time of the simulate call (median of runs); Peak RSS = "
        "high-water RSS of the run's own process (VmHWM on Linux, max of runs); Run RSS = growth "
        "of that peak during the simulate call (the rest is the interpreter and the engine's "
        "imports); answer rate and ASA (mean wait of answered calls) are means of runs; exact "
        "values "
        f"from {exact[BIG_DAY.key].source}; speed-up = callsim calls/s ÷ engine calls/s."
    )

    status = 0
    checks: list[str] = []
    for c in cells:
        if not c.ok:
            continue
        diff_pp = 100.0 * (c.answer_rate - exact[c.day.key].answer_rate)
        tol = c.day.tolerance_for(len(c.runs))
        good = abs(diff_pp) <= tol
        status |= 0 if good else 1
        checks.append(
            f"- {'OK ' if good else 'OFF'} {ENGINE_LABELS[c.engine]}, {c.day.label}: answer rate "
            f"{diff_pp:+.2f} pp from Erlang A (tolerance ±{tol:.2f} pp)"
        )
    if checks:
        print()
        print("\n".join(checks))
    for n in notes:
        print(f"\nNote: {n}")
    return status


if __name__ == "__main__":
    sys.exit(main())
