"""Running replications: one simulation, batches with confidence intervals, sweeps.

Owns seeds per replication, batches of replications (on any backend of
:mod:`callsim.runner`, with checkpoints and sequential stopping), summaries across
replications and parameter sweeps. Imports the model layer and :mod:`callsim.runner`;
nothing below imports it.

A batch is always replications ``0 .. n-1`` of one root seed; replication *r* gets the
same random streams whatever the backend or worker count, and replications are
combined in replication order, so a batch gives bit-identical figures serially, on
local processes and on Dask, uninterrupted or resumed from a checkpoint directory.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from callsim.config import Scenario, load_scenario, with_overrides
from callsim.errors import ConfigError
from callsim.metrics import ReplicationResult
from callsim.runner import (
    CheckpointError,
    CheckpointStore,
    ProgressBar,
    RepRecord,
    Runner,
    TableMean,
    Task,
    atomic_write_text,
    fingerprint,
    progress_enabled,
    run_replication,
)
from callsim.scenario import CompiledScenario, compile_scenario

__all__ = [
    "BatchResult",
    "ScenarioLike",
    "SweepResult",
    "expand_values",
    "parse_grid",
    "parse_precision",
    "run_batch",
    "run_batches",
    "run_replication",
    "simulate",
    "summarize",
    "sweep",
    "t_halfwidth",
]

ScenarioLike = Scenario | CompiledScenario | str | Path

#: First round of a batch with a precision target, when no replication count is given.
DEFAULT_FIRST_ROUND = 10
#: Most replications of a batch with a precision target, when none is given.
DEFAULT_MAX_REPS = 1000


def _compiled(scenario: ScenarioLike,
              overrides: Mapping[str, Any] | list[str] | None = None) -> CompiledScenario:
    if isinstance(scenario, CompiledScenario):
        if overrides:
            raise ValueError("overrides need a Scenario, not a CompiledScenario")
        return scenario
    if isinstance(scenario, str | Path):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        scenario = with_overrides(scenario, overrides)
    return compile_scenario(scenario)


def simulate(scenario: ScenarioLike, seed: int = 0, record_calls: bool = False,
             overrides: Mapping[str, Any] | list[str] | None = None,
             replication: int = 0) -> ReplicationResult:
    """Simulate one replication of *scenario*.

    Parameters
    ----------
    scenario
        A :class:`~callsim.config.Scenario`, a path to a YAML file, or a compiled scenario.
    seed
        Root seed; the same seed gives the same callers in every design.
    record_calls
        Keep one row per call in ``result.calls``.
    overrides
        Dotted-path what-ifs, e.g. ``{"pools.general.staffing.agents": 40}``.
    replication
        Which replication of the seed to run (0 = the first).
    """
    return run_replication(_compiled(scenario, overrides), seed, replication, record_calls)


def t_halfwidth(values: np.ndarray, level: float = 0.95) -> tuple[float, float, int]:
    """Mean and Student-t confidence half-width of *values* (NaNs dropped)."""
    v = values[~np.isnan(values)]
    n = v.size
    if n == 0:
        return math.nan, math.nan, 0
    mean = float(v.mean())
    if n == 1:
        return mean, math.nan, 1
    sd = float(v.std(ddof=1))
    return mean, float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)), n


def summarize(reps: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean and CI of every column of *reps* (a row per replication)."""
    rows = {}
    for col in reps.columns:
        if col == "replication":
            continue
        mean, hw, n = t_halfwidth(reps[col].to_numpy(dtype=float), level)
        rows[col] = {"mean": mean, "half_width": hw, "ci_low": mean - hw,
                     "ci_high": mean + hw, "n": n}
    out = pd.DataFrame.from_dict(rows, orient="index",
                                 columns=["mean", "half_width", "ci_low", "ci_high", "n"])
    out.index.name = "kpi"
    return out


@dataclass
class BatchResult:
    """Replications of one scenario.

    Attributes
    ----------
    replications
        One row per replication, one column per KPI (overall, ``type.*``, ``pool.*``).
    summary
        Indexed by KPI: ``mean``, ``half_width``, ``ci_low``, ``ci_high``, ``n`` (95 %).
    intervals
        Interval table averaged over replications (means only).
    agents
        Agent table averaged over replications.
    meta
        Facts about the results that a rerun reproduces; with a precision target,
        ``meta["stopping"]`` says whether the target was met or ``max_reps`` reached.
    info
        How this run went (backend, workers, replications read from a checkpoint
        directory or run, wall time); not part of the results.
    """

    scenario: str
    seed: int
    replications: pd.DataFrame
    intervals: pd.DataFrame
    agents: pd.DataFrame
    level: float = 0.95
    meta: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def summary(self) -> pd.DataFrame:
        """KPI means with confidence intervals."""
        return summarize(self.replications, self.level)

    @property
    def kpis(self) -> dict[str, float]:
        """Mean of each overall KPI across replications."""
        s = self.summary
        return {str(k): float(v) for k, v in s["mean"].items() if "." not in str(k)}

    @property
    def stopping(self) -> str | None:
        """One line on why a batch with a precision target stopped (else ``None``)."""
        st = self.meta.get("stopping")
        return None if st is None else str(st["message"])


# --------------------------------------------------------------------- precision


def parse_precision(items: Mapping[str, float] | Iterable[str] | None) -> dict[str, float]:
    """Precision targets ``{kpi: half-width}`` from a mapping or ``"kpi=H"`` strings.

    Raises
    ------
    ConfigError
        On a malformed item or a half-width that is not a positive number.
    """
    if items is None:
        return {}
    pairs: list[tuple[str, Any]] = []
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        for text in items:
            kpi, sep, raw = str(text).partition("=")
            if not sep or not kpi.strip():
                raise ConfigError(f"--precision {text!r}: write KPI=HALF_WIDTH, e.g. "
                                  "answer_rate=0.002")
            pairs.append((kpi.strip(), raw.strip()))
    out: dict[str, float] = {}
    for kpi, raw in pairs:
        try:
            h = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"--precision {kpi}={raw}: the half-width must be a number, "
                              "e.g. answer_rate=0.002") from None
        if not h > 0 or math.isinf(h):
            raise ConfigError(f"--precision {kpi}={raw}: the half-width must be > 0")
        out[kpi] = h
    return out


def _check_kpis(names: Iterable[str], available: Sequence[str], what: str) -> None:
    for k in names:
        if k not in available:
            close = difflib.get_close_matches(k, available, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            overall = ", ".join(a for a in available if "." not in a)
            raise ConfigError(f"{what} {k!r}: no such KPI{hint} (overall KPIs: {overall}; "
                              "per type/pool: type.<name>.<kpi>, pool.<name>.<kpi>)")


# ------------------------------------------------------------------ batch engine


class _Design:
    """The state of one design while its replications run and are folded in order."""

    def __init__(self, key: str, cs: CompiledScenario, seed: int,
                 store: CheckpointStore | None) -> None:
        self.key = key
        self.cs = cs
        self.seed = seed
        self.store = store
        self.rows: list[dict[str, float]] = []
        self.tables: dict[str, TableMean] = {}
        self.pending: dict[int, RepRecord] = {}
        self.planned = 0  # replications 0 .. planned-1 are done or under way
        self.target = 0
        self.loaded = 0
        self.ran = 0
        self.stopping: dict[str, Any] | None = None

    @property
    def folded(self) -> int:
        return len(self.rows)

    def add(self, rec: RepRecord) -> None:
        """Keep *rec*; fold every record that is next in replication order."""
        self.pending[rec.replication] = rec
        while self.folded in self.pending:
            r = self.pending.pop(self.folded)
            self.rows.append({"replication": r.replication, **r.kpis})
            for name, table in r.tables.items():
                self.tables.setdefault(name, TableMean(name)).add(table, r.replication)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows).set_index("replication")

    def result(self, level: float, info: dict[str, Any]) -> BatchResult:
        if self.pending or self.folded != self.target:
            raise AssertionError(f"design {self.key!r}: {self.folded} replications folded, "
                                 f"{self.target} planned")
        meta: dict[str, Any] = {}
        if self.stopping is not None:
            meta["stopping"] = self.stopping
        empty = TableMean("")
        return BatchResult(
            scenario=self.cs.name, seed=self.seed, replications=self.frame(),
            intervals=self.tables.get("intervals", empty).result(),
            agents=self.tables.get("agents", empty).result(),
            level=level, meta=meta,
            info={**info, "replications_read": self.loaded, "replications_run": self.ran,
                  **({"out": str(self.store.root)} if self.store else {})},
        )


def _next_target(d: _Design, precision: dict[str, float], max_reps: int,
                 level: float, rounds: int) -> int:
    """Decide after a round: the design's new replication target (== planned: stop)."""
    n = d.folded
    df = d.frame()
    _check_kpis(precision, list(df.columns), "--precision")
    hws = {k: t_halfwidth(df[k].to_numpy(dtype=float), level)[1] for k in precision}
    met = all(not math.isnan(hws[k]) and hws[k] <= h for k, h in precision.items())
    if met or n >= max_reps:
        if met:
            why = (f"precision reached after {n} replications: "
                   + ", ".join(f"{k} ± {hws[k]:.4g} <= {h:g}" for k, h in precision.items()))
        else:
            miss = [k for k, h in precision.items() if not hws[k] <= h]
            why = (f"max_reps ({max_reps}) reached before the precision target: "
                   + ", ".join(f"{k} ± {hws[k]:.4g} > {precision[k]:g}" for k in miss))
        d.stopping = {
            "rule": "precision", "met": met,
            "reason": "precision" if met else "max_reps",
            "targets": dict(precision),
            "half_widths": {k: None if math.isnan(v) else v for k, v in hws.items()},
            "replications": n, "rounds": rounds, "max_reps": max_reps, "level": level,
            "message": why,
        }
        return n
    need = n
    for k, h in precision.items():
        hw = hws[k]
        # half-width shrinks like 1/sqrt(n): aim 10 % past the estimate; unknown -> double
        need = max(need, 2 * n if math.isnan(hw) else math.ceil(1.1 * n * (hw / h) ** 2))
    return min(max_reps, max(n + 2, min(4 * n, need)))


def _execute(designs: list[_Design], first: int, *, precision: dict[str, float],
             max_reps: int, level: float, backend: str, jobs: int | None, scheduler: Any,
             progress: bool | None, label: str,
             kpis: Sequence[str] | None = None) -> dict[str, Any]:
    """Run rounds of replications of *designs* until each has what it needs.

    KPI names (*precision*'s and *kpis*) are checked against the first replication
    that comes back, so a typo stops the run at once rather than after a round.
    """
    for d in designs:
        d.target = first
    checked = False

    def check(rec: RepRecord) -> None:
        nonlocal checked
        if not checked:
            names = list(rec.kpis)
            _check_kpis(precision, names, "--precision")
            _check_kpis(kpis or (), names, "kpi")
            checked = True
    t0 = time.perf_counter()
    rounds = 0
    runner = Runner(backend, jobs, scheduler)
    bar = ProgressBar(progress_enabled(progress), label)
    with runner, bar:
        while True:
            rounds += 1
            tasks: list[Task] = []
            by_key = {d.key: d for d in designs}
            read = 0
            for d in designs:
                todo = range(d.planned, d.target)
                have = d.store.load(todo) if d.store is not None else {}
                for r in todo:
                    if r in have:
                        check(have[r])
                        d.add(have[r])
                    else:
                        tasks.append(Task(d.key, d.cs, d.seed, r))
                d.loaded += len(have)
                read += len(have)
                d.planned = d.target
            bar.extend(len(tasks) + read, read)
            for rec in runner.run(tasks):
                check(rec)
                d = by_key[rec.design]
                if d.store is not None:
                    d.store.write(rec)
                d.add(rec)
                d.ran += 1
                bar.advance()
            if not precision:
                break
            grew = False
            for d in designs:
                if d.stopping is None:
                    d.target = _next_target(d, precision, max_reps, level, rounds)
                    grew |= d.target > d.planned
            if not grew:
                break
        workers = runner.workers
    return {"backend": backend, "workers": workers, "rounds": rounds,
            "seconds": time.perf_counter() - t0}


def _resolve_counts(reps: int | None, precision: dict[str, float],
                    max_reps: int | None) -> tuple[int, int]:
    if reps is None:
        reps = DEFAULT_FIRST_ROUND if precision else 10
    if reps < 1:
        raise ValueError(f"reps must be >= 1 (got {reps})")
    if not precision:
        if max_reps is not None:
            raise ConfigError("max_reps (--max-reps) only applies with a precision target "
                              "(--precision KPI=H)")
        return reps, reps
    if reps < 2:
        raise ConfigError(f"with a precision target the first round needs at least 2 "
                          f"replications (reps={reps})")
    top = DEFAULT_MAX_REPS if max_reps is None else max_reps
    if top < reps:
        raise ConfigError(f"max_reps ({top}) is below the first round's reps ({reps})")
    return reps, top


def run_batches(
    designs: Mapping[str, ScenarioLike], reps: int | None = 10, seed: int = 0,
    level: float = 0.95, *, backend: str = "serial", jobs: int | None = None,
    scheduler: Any = None, out: str | Path | None = None,
    precision: Mapping[str, float] | Iterable[str] | None = None,
    max_reps: int | None = None, progress: bool | None = None,
) -> dict[str, BatchResult]:
    """Run batches of several designs on one backend, with the same seed (common random numbers).

    Every design gets replications ``0 .. n-1`` of *seed*; all replications share one
    pool of workers. With *out*, design ``name`` is checkpointed in ``out/name``.
    The other parameters are as for :func:`run_batch`; with *precision*, each design
    stops on its own.

    Returns
    -------
    dict[str, BatchResult]
        Design name → its batch, in the order given.
    """
    if not designs:
        raise ValueError("run_batches needs at least one design")
    prec = parse_precision(precision)
    first, top = _resolve_counts(reps, prec, max_reps)
    states = []
    for key, sc in designs.items():
        cs = _compiled(sc)
        store = CheckpointStore(Path(out) / _safe_name(key), cs, seed) if out else None
        states.append(_Design(key, cs, seed, store))
    info = _execute(states, first, precision=prec, max_reps=top, level=level,
                    backend=backend, jobs=jobs, scheduler=scheduler, progress=progress,
                    label=f"{len(states)} designs")
    return {d.key: d.result(level, info) for d in states}


def run_batch(scenario: ScenarioLike, reps: int | None = 10, seed: int = 0,
              overrides: Mapping[str, Any] | list[str] | None = None,
              level: float = 0.95, *, backend: str = "serial", jobs: int | None = None,
              scheduler: Any = None, out: str | Path | None = None,
              precision: Mapping[str, float] | Iterable[str] | None = None,
              max_reps: int | None = None, progress: bool | None = None) -> BatchResult:
    """Run replications ``0 .. reps-1`` of *scenario* with root seed *seed*.

    Parameters
    ----------
    scenario
        A :class:`~callsim.config.Scenario`, a YAML path, or a compiled scenario.
    reps
        Replications; with *precision*, the size of the first round (default 10).
    seed
        Root seed.
    overrides
        Dotted-path what-ifs applied to *scenario* first.
    level
        Confidence level of the summary's intervals.
    backend
        ``"serial"`` (default), ``"processes"`` or ``"dask"`` (see
        :class:`~callsim.runner.Runner`); the figures are bit-identical on all of them.
    jobs
        Worker processes / Dask workers (default: the CPUs available).
    scheduler
        Dask only: ``"tcp://host:port"`` of a running scheduler, or a
        ``distributed.Client`` (default: a new ``LocalCluster``).
    out
        Checkpoint directory: each finished replication is written to
        ``out/reps/rNNNNNN.json`` as it completes; rerunning the same call reads them
        instead of running them again, and gives exactly the same result. A directory
        holding another scenario's or seed's replications is refused
        (:class:`~callsim.runner.CheckpointError`).
    precision
        Sequential stopping: ``{"answer_rate": 0.002}`` or ``["answer_rate=0.002"]``.
        Replications run in rounds until the confidence half-width of every named KPI
        is at most its target, or *max_reps* is reached; ``meta["stopping"]`` says which.
    max_reps
        Most replications with *precision* (default 1000).
    progress
        Show a progress bar on stderr: ``None`` (default) when stderr is a terminal or
        in a notebook.

    Returns
    -------
    BatchResult
    """
    cs = _compiled(scenario, overrides)
    prec = parse_precision(precision)
    first, top = _resolve_counts(reps, prec, max_reps)
    store = CheckpointStore(Path(out), cs, seed) if out is not None else None
    d = _Design("", cs, seed, store)
    info = _execute([d], first, precision=prec, max_reps=top, level=level, backend=backend,
                    jobs=jobs, scheduler=scheduler, progress=progress, label=cs.name)
    batch = d.result(level, info)
    if store is not None and batch.meta:
        store.write_meta("stopping.json", batch.meta)
    return batch


# ------------------------------------------------------------------------ sweeps


def _safe_name(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._=-]+", "_", str(text)).strip("._")
    return s or "design"


_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"\s*({_NUM})\s*:\s*({_NUM})\s*:\s*({_NUM})\s*")


def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets/braces/quotes."""
    parts: list[str] = []
    cur: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def expand_values(text: str) -> list[Any]:
    """The values of one sweep axis: ``"10,20,30"``, ``"100:200:10"`` (inclusive), or a mix.

    Each comma-separated item is read as YAML (``[1, 2]``, ``null``, ``"09:00"``);
    ``start:stop:step`` with numbers and ``step > 0`` is an inclusive range
    (``0.8:1.4:0.1`` gives 0.8, 0.9, ..., 1.4; integers stay integers).
    """
    values: list[Any] = []
    for item in _split_top(text):
        m = _RANGE.fullmatch(item)
        if m:
            a, b, s = (yaml.safe_load(g) for g in m.groups())
            a, b, s = (float(x) if isinstance(x, str) else x for x in (a, b, s))
            if s > 0 and b >= a:
                n = math.floor((b - a) / s + 1e-9) + 1
                if all(isinstance(x, int) for x in (a, b, s)):
                    values += [a + i * s for i in range(n)]
                else:
                    digits = max(_decimals(x) for x in m.groups())
                    values += [round(a + i * s, digits + 6) for i in range(n)]
                continue
        if not item.strip():
            raise ConfigError(f"sweep values {text!r}: an empty item")
        try:
            values.append(yaml.safe_load(item))
        except yaml.YAMLError as exc:
            raise ConfigError(f"sweep value {item!r} is not valid YAML ({exc})") from None
    return values


def _decimals(num: str) -> int:
    mant, _, exp = num.lower().partition("e")
    d = len(mant.partition(".")[2])
    return max(0, d - int(exp or 0))


def parse_grid(items: Iterable[str]) -> dict[str, list[Any]]:
    """A sweep grid from ``"path=v1,v2,..."`` strings (as given to ``callsim sweep --set``)."""
    grid: dict[str, list[Any]] = {}
    for text in items:
        path, sep, raw = text.partition("=")
        path = path.strip()
        if not sep or not path:
            raise ConfigError(f"--set {text!r}: write path=v1,v2,... or path=start:stop:step")
        if path in grid:
            raise ConfigError(f"--set {path}: given twice; list every value in one --set")
        grid[path] = expand_values(raw)
    return grid


@dataclass
class SweepResult:
    """A grid of what-ifs, each run as a batch with the same seed (common random numbers).

    Attributes
    ----------
    grid
        Swept path → its values, in the order given.
    points
        One ``{path: value}`` per grid point (the cartesian product, last path fastest).
    batches
        The batch of each grid point, in the order of *points*.
    kpis
        KPIs in :attr:`table` (``None``: every overall KPI).
    """

    scenario: str
    seed: int
    grid: dict[str, list[Any]]
    points: list[dict[str, Any]]
    batches: list[BatchResult]
    kpis: list[str] | None = None
    level: float = 0.95
    info: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """Tidy: one row per grid point × KPI, with ``point``, one column per swept path,
        ``kpi``, ``mean``, ``half_width``, ``ci_low``, ``ci_high``, ``n``."""
        frames = []
        for i, (pt, batch) in enumerate(zip(self.points, self.batches, strict=True)):
            s = batch.summary
            names = (self.kpis if self.kpis is not None
                     else [k for k in s.index if "." not in str(k)])
            f = s.loc[names].reset_index()
            for path in reversed(list(self.grid)):
                f.insert(0, path, [pt[path]] * len(f))
            f.insert(0, "point", i)
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def kpi(self, name: str) -> pd.DataFrame:
        """Rows of :attr:`table` for KPI *name* (one per grid point)."""
        t = self.table
        return t[t["kpi"] == name].reset_index(drop=True)


def sweep(scenario: Scenario | str | Path, grid: Mapping[str, Sequence[Any]],
          reps: int | None = 10, seed: int = 0, *,
          overrides: Mapping[str, Any] | list[str] | None = None,
          kpis: Sequence[str] | None = None, level: float = 0.95,
          backend: str = "serial", jobs: int | None = None, scheduler: Any = None,
          out: str | Path | None = None,
          precision: Mapping[str, float] | Iterable[str] | None = None,
          max_reps: int | None = None, progress: bool | None = None) -> SweepResult:
    """Run *scenario* at every point of a grid of overrides, with common random numbers.

    Parameters
    ----------
    scenario
        The base scenario (a :class:`~callsim.config.Scenario` or a YAML path).
    grid
        Dotted path → values, e.g. ``{"pools.agents.staffing.agents": range(8, 15)}``;
        every combination (cartesian product) is a grid point, applied with
        :func:`~callsim.config.with_overrides`.
    reps, seed, level, backend, jobs, scheduler, precision, max_reps, progress
        As for :func:`run_batch`; every grid point uses the same *seed* and
        replication numbers, so differences between points are not sampling noise in
        the callers. All grid points' replications share one pool of workers.
    overrides
        Fixed what-ifs applied before the grid.
    kpis
        KPIs in :attr:`SweepResult.table` (default: every overall KPI).
    out
        Checkpoint directory: grid point *i* is kept in ``out/points/<fingerprint>``
        (so a point shared by two grids is reused), ``out/sweep.json`` lists the grid.

    Returns
    -------
    SweepResult
    """
    if isinstance(scenario, str | Path):
        base = load_scenario(scenario, overrides)
    elif isinstance(scenario, Scenario):
        base = with_overrides(scenario, overrides)
    else:
        raise TypeError("sweep needs a Scenario or a YAML path (not a compiled scenario)")
    axes = {str(k): list(v) for k, v in grid.items()}
    if not axes:
        raise ConfigError("a sweep needs at least one path with values")
    for path, values in axes.items():
        if not values:
            raise ConfigError(f"sweep {path}: no values")
        seen = [json.dumps(v, sort_keys=True, default=str) for v in values]
        if len(set(seen)) != len(seen):
            raise ConfigError(f"sweep {path}: a value is listed twice ({values})")
    prec = parse_precision(precision)
    first, top = _resolve_counts(reps, prec, max_reps)
    points = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    root = Path(out) if out is not None else None
    if root is not None:
        _open_sweep_dir(root, base.name, seed, axes)
    states = []
    dirs = []
    for i, pt in enumerate(points):
        try:
            sc = with_overrides(base, pt)
        except ConfigError as exc:
            raise ConfigError(f"sweep point {_point_label(pt)}: {exc}") from None
        cs = compile_scenario(sc)
        store = None
        if root is not None:
            fp = fingerprint(cs)
            pdir = root / "points" / f"{fp[:16]}-s{seed}"
            store = CheckpointStore(pdir, cs, seed, kind="sweep-point",
                                    extra={"overrides": _jsonable(pt)})
            dirs.append(str(pdir.relative_to(root)))
        states.append(_Design(str(i), cs, seed, store))
    if kpis is not None:
        kpis = list(kpis)
    info = _execute(states, first, precision=prec, max_reps=top, level=level,
                    backend=backend, jobs=jobs, scheduler=scheduler, progress=progress,
                    label=f"{base.name}: {len(points)} points", kpis=kpis)
    batches = [d.result(level, info) for d in states]
    result = SweepResult(scenario=base.name, seed=seed, grid=axes, points=points,
                         batches=batches, kpis=kpis, level=level, info=info)
    if root is not None:
        doc = {"kind": "sweep", "scenario": base.name, "seed": seed, "grid": _jsonable(axes),
               "points": [{"overrides": _jsonable(pt), "dir": d,
                           "replications": len(b.replications),
                           **({"stopping": b.meta["stopping"]} if b.meta else {})}
                          for pt, d, b in zip(points, dirs, batches, strict=True)]}
        atomic_write_text(root / "sweep.json", json.dumps(doc, indent=2, default=str))
    return result


def _jsonable(v: Any) -> Any:
    return json.loads(json.dumps(v, default=str))


def _point_label(pt: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in pt.items())


def _open_sweep_dir(root: Path, name: str, seed: int, axes: dict[str, list[Any]]) -> None:
    if (root / "manifest.json").exists():
        raise CheckpointError(f"{root} holds a callsim batch run (manifest.json), not a "
                              "sweep; use another output directory")
    root.mkdir(parents=True, exist_ok=True)
