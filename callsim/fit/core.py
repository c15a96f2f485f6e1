"""Estimating a scenario for an average selected day from a call log.

Owns :func:`fit_log`, :class:`FitResult` (every estimate, its uncertainty, the report
table) and the scenario writer (:meth:`FitResult.scenario_dict`,
:meth:`FitResult.write_scenario`). Imports :mod:`callsim.logs` and the estimators of
this package; never the simulation model (the scenario is a plain mapping that
:func:`callsim.config.validate` checks).

What the scenario holds (``engine="planned"``, the default):

- ``arrivals.by_call_type.T.per_interval``: mean calls per clock interval over the
  selected days (with the IVR: every call; without: calls that reached a queue), and
  ``arrivals.overdispersion`` (gamma busyness CV, 0 unless significant);
- ``call_types.T.handle_time``: the chosen distribution over the day (parametric if it
  passes the goodness-of-fit and short-call tests, else weighted empirical) and
  ``by_time`` blocks (by the caller's arrival clock) where there are enough calls;
- ``call_types.T.patience``: Kaplan–Meier survival table with an exponential tail
  (``{dist: survival, ...}``), per block where there are enough abandonments;
- ``ivr`` (``ivr="prompt"``, the default): one menu node whose prompt is the IVR time
  of callers who reached a queue, one key per call type, no hang-ups; the arrivals are
  the calls that reached a queue. IVR hang-ups are reported, not simulated: in the bank
  log they come in bursts (15 % of the 13:00 hour's calls against 5 % over the day), so
  a constant hang-up share would send too many callers to the queue in those hours
  (measured: P(abandon) MARE 0.35 -> 0.27, ASA 0.55 -> 0.46 with today's engine).
  ``ivr="menu"`` counts every call as an arrival and adds the day's hang-up share
  (``hangup``); ``ivr="none"`` leaves the IVR out (arrivals = calls reaching a queue);
- ``pools.agents``: one pool with every skill, fractional ``per_interval`` staffing =
  the ``available`` estimate when the log names its agents, else ``busy_waiting``
  (:mod:`callsim.fit.staffing`; ``staffing=`` chooses);
- with ``priority=True``: call types split into priority classes by the log's
  ``priority`` column (:mod:`callsim.fit.classes`), each with ``priority:``, and the
  pool serves higher priorities first (``policy: priority``);
- ``queue.short_abandon``: 0 unless asked, so KPIs keep the log's definitions.

The planned form is what callsim runs (and what :meth:`FitResult.write_scenario` and
``callsim fit`` write). ``engine="current"`` writes the older, coarser form: weighted
empirical and survival tables become 1,000 equally likely quantiles, ``by_time`` is left
out (the day fit applies) and fractional staffing becomes whole agents on tenths of
each interval (floor and ceil spread evenly, keeping the mean to a tenth of an agent).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from callsim.fit.arrivals import arrival_counts, overdispersion, parse_days, select_days
from callsim.fit.classes import priority_classes
from callsim.fit.dists import DurationFit, dist_quantiles, fit_duration
from callsim.fit.km import PatienceFit, fit_patience
from callsim.fit.report import FitReport
from callsim.fit.staffing import METHODS, infer_staffing
from callsim.logs import CallLog, LogError

Engine = Literal["planned", "current"]
DEFAULT_BLOCKS = tuple(f"{h:02d}:00" for h in range(0, 25, 3))


def _clock(t: float) -> str:
    return f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}"


def _secs(clock: str | float) -> float:
    if isinstance(clock, str):
        h, _, m = clock.partition(":")
        return int(h) * 3600.0 + int(m or 0) * 60.0
    return float(clock)


@dataclass
class BlockFit:
    """Handle time and patience of callers of one call type arriving in [start, end)."""

    start: float
    end: float
    handle: DurationFit | None
    patience: PatienceFit | None

    @property
    def label(self) -> str:
        """``HH:MM-HH:MM``."""
        return f"{_clock(self.start)}-{_clock(self.end)}"


@dataclass
class TypeFit:
    """Everything fitted for one call type."""

    name: str
    n_calls: int
    handle: DurationFit | None
    patience: PatienceFit
    blocks: list[BlockFit] = field(default_factory=list)


@dataclass
class FitResult:
    """A fitted scenario with every estimate and its uncertainty.

    Attributes
    ----------
    source : str
        The log file.
    days : pandas.DatetimeIndex
        The selected days the fit averages over.
    interval : float
        Seconds per arrival/staffing interval.
    arrivals : pandas.DataFrame
        Per interval and call type: ``clock``, ``call_type``, ``mean`` (calls per
        interval), ``sd`` (day to day), ``ci_low``, ``ci_high``.
    daily : pandas.Series
        Calls per selected day (all types).
    overdispersion : dict
        See :func:`callsim.fit.arrivals.overdispersion`.
    types : dict of str to TypeFit
        Handle time and patience per call type, with time blocks.
    ivr : dict or None
        ``time`` (a DurationFit of IVR times of callers who reached a queue), ``hangup``,
        ``hangup_low``, ``hangup_high``, ``n``; None when the log has no IVR data.
    staffing : pandas.DataFrame
        :func:`callsim.fit.staffing.infer_staffing` (``agents`` is the one used).
    options : dict
        The options of the fit.
    """

    source: str
    days: pd.DatetimeIndex
    interval: float
    arrivals: pd.DataFrame
    daily: pd.Series
    overdispersion: dict[str, float]
    types: dict[str, TypeFit]
    ivr: dict[str, Any] | None
    staffing: pd.DataFrame
    options: dict[str, Any]

    @property
    def report(self) -> FitReport:
        """Every estimate with its uncertainty, one row each (see :mod:`callsim.fit.report`)."""
        from callsim.fit.report import report_table

        return report_table(self)

    def scenario_dict(self, engine: Engine = "planned") -> dict[str, Any]:
        """The fitted scenario as a mapping (YAML-ready; see the module docstring)."""
        types = list(self.types)
        current = engine == "current"
        ct: dict[str, Any] = {}
        for name, tf in self.types.items():
            entry: dict[str, Any] = {}
            if tf.handle is not None:
                entry["handle_time"] = _for(tf.handle.dist(), current)
            else:  # no answered call of this type: borrow the pooled mean
                entry["handle_time"] = {"dist": "exponential", "mean": _pooled_aht(self)}
            pat = tf.patience.dist()
            if pat is not None:
                entry["patience"] = _for(pat, current)
            blocks = []
            for b in tf.blocks:
                blk: dict[str, Any] = {"start": _clock(b.start), "end": _clock(b.end)}
                if b.handle is not None:
                    blk["handle_time"] = b.handle.dist()
                if b.patience is not None and b.patience.dist() is not None:
                    blk["patience"] = b.patience.dist()
                if len(blk) > 2:
                    blocks.append(blk)
            if blocks and not current:
                entry["by_time"] = blocks
            prios = self.options.get("priority")
            if prios:
                entry["priority"] = int(prios.get(name, 0))
            ct[name] = entry
        arr = self.arrivals
        by_type = {}
        for name in types:
            per = arr.loc[arr["call_type"] == name, "mean"].to_numpy()
            by_type[name] = {"per_interval": [round(float(v), 4) for v in per],
                             "interval": self.interval}
        agents = self.staffing["agents"].to_numpy()
        staff_iv = self.interval
        per_int: list[float | int] = [round(float(a), 3) for a in agents]
        if current:
            per_int, staff_iv = _whole_agents(agents, self.interval)
        out: dict[str, Any] = {
            "name": Path(self.source).stem,
            "description": (f"Fitted from {self.source} by callsim.fit: an average of "
                            f"{len(self.days)} day(s) ({self.options['days_label']})."),
            "horizon": {"start": "00:00", "length": 86400.0, "interval": self.interval},
            "call_types": ct,
            "arrivals": {"by_call_type": by_type,
                         "overdispersion": round(float(self.overdispersion["estimate"]), 4)},
            "pools": {"agents": {"skills": types,
                                 "staffing": {"per_interval": per_int,
                                              "interval": staff_iv}}},
            "queue": {"short_abandon": float(self.options["short_abandon"])},
        }
        if self.options.get("priority"):
            out["pools"]["agents"]["policy"] = "priority"
        mode = self.options.get("ivr", "prompt")
        if self.ivr is not None and mode != "none":
            out["ivr"] = {"root": "menu", "nodes": {"menu": {
                "prompt": _for(self.ivr["time"].dist(), current),
                "hangup": round(float(self.ivr["hangup"]), 6) if mode == "menu" else 0.0,
                "options": {str(i + 1): {"queue": name} for i, name in enumerate(types)},
            }}}
        return out

    def write_scenario(self, path: str | Path, engine: Engine = "planned",
                       html: bool = True, figures: Mapping[str, Any] | None = None) -> Path:
        """Write the scenario YAML and, with *html*, ``<stem>.fit.html`` beside it (with
        *figures*, :meth:`figures` already drawn, if given)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(self.scenario_dict(engine), sort_keys=False,
                              default_flow_style=None, width=100)
        p.write_text(f"# fitted by callsim.fit from {self.source}\n{text}", encoding="utf-8")
        if html:
            from callsim.fit.html import write_fit_html

            write_fit_html(self, p.with_name(p.stem + ".fit.html"),
                           self.options.get("dropped"), self.options.get("flags"), figures)
        return p

    def figures(self) -> dict[str, Any]:
        """Every figure of the fit report: name -> matplotlib Figure."""
        from callsim.fit.figures import fit_figures

        return fit_figures(self)


def _whole_agents(agents: np.ndarray, interval: float, parts: int = 10
                  ) -> tuple[list[float | int], float]:
    """Fractional headcounts as whole agents on sub-intervals of ``interval / parts``:
    floor and ceil spread evenly within each interval, so its mean headcount is kept to
    ``1 / parts`` (today's engine takes whole agents only)."""
    sub = interval / parts
    while (86400.0 / sub) % 1 != 0 or sub < 60:
        parts -= 1
        sub = interval / parts
    out: list[float | int] = []
    for a in agents:
        lo = math.floor(a)
        k = round((a - lo) * parts)  # sub-intervals with one more agent
        out += [lo + (1 if (j + 1) * k // parts > j * k // parts else 0) for j in range(parts)]
    return out, sub


def _pooled_aht(fit: FitResult) -> float:
    means = [tf.handle.mean for tf in fit.types.values() if tf.handle is not None]
    return float(np.mean(means)) if means else 180.0


def _for(dist: dict[str, Any], current: bool) -> dict[str, Any]:
    """A distribution as the current engine accepts it (equally likely quantiles)."""
    if not current:
        return dist
    if dist["dist"] == "survival" or (dist["dist"] == "empirical" and "weights" in dist):
        q = dist_quantiles(dist, 1000)
        return {"dist": "empirical", "values": [float(f"{v:.6g}") for v in q]}
    return dist


def fit_log(
    log: CallLog, days: Any = None, interval: float | str = 3600.0, *, dates: Any = None,
    blocks: tuple[str, ...] | None = DEFAULT_BLOCKS,
    ivr: Literal["prompt", "menu", "none"] = "prompt",
    short_abandon: float = 0.0, short_call: float = 10.0, min_block_calls: int = 300,
    min_block_events: int = 50, min_at_risk: int = 30, seed: int = 0,
    priority: bool = False, staffing: str = "auto",
) -> FitResult:
    """Estimate a scenario for an average selected day from a call log.

    Parameters
    ----------
    log
        From :func:`callsim.logs.read_log`.
    days
        Weekdays to average over (``"sun,mon,tue"`` or a list); None = every day.
    interval
        Arrival and staffing interval (seconds or ``"60min"``); must divide a day.
    dates
        Exact dates to use instead of *days* (e.g. a training set).
    blocks
        Clock edges of the time blocks for handle time and patience (None: no blocks).
    ivr
        ``"prompt"``: a one-node IVR playing the IVR time, arrivals = calls reaching a
        queue; ``"menu"``: the same plus the day's hang-up share, arrivals = every call;
        ``"none"``: no IVR (see the module docstring).
    short_abandon
        Written to ``queue.short_abandon`` (0 keeps the log's KPI definitions).
    short_call
        Threshold (s) of the short-call test of handle-time fits.
    min_block_calls, min_block_events
        Answered calls (handle time) and abandonments (patience) a block needs.
    min_at_risk
        Callers still at risk where the survival table stops and the tail begins.
    seed
        Seed of the bootstrap of the overdispersion CI (and of the priority classes).
    priority
        Split call types into priority classes by the log's ``priority`` column
        (:func:`callsim.fit.classes.priority_classes`) and serve higher priorities first
        (``policy: priority``).
    staffing
        The staffing measure the scenario uses (see :mod:`callsim.fit.staffing`):
        ``auto`` (``available`` when the log names agents, else ``busy_waiting``),
        ``available``, ``busy_waiting``, ``busy`` or ``distinct``.

    Raises
    ------
    LogError
        When the selection leaves no calls, or an option is invalid.
    """
    src = log.source
    classes = None
    if priority:
        log, classes = priority_classes(log, seed=seed)
    try:
        iv = float(interval) if not isinstance(interval, str) else _duration(interval)
        wd = parse_days(days)
    except ValueError as exc:
        raise LogError(f"{src}: {exc}") from None
    if iv < 60 or (86400.0 / iv) % 1 != 0:
        raise LogError(f"{src}: interval {iv:g} s must be at least 60 s and divide a day")
    day_index = select_days(log.calls, wd, dates)
    calls = log.calls.loc[log.calls["day"].isin(day_index)].reset_index(drop=True)
    if len(calls) == 0:
        raise LogError(f"{src}: no calls on the selected days ({days or dates})")
    talk = (calls["outcome"] == "answered") & (calls["handle_time"] > 0)
    if not talk.any():
        raise LogError(f"{src}: no answered call with a handle time on the selected days "
                       f"({days or dates or 'all'}): handle times cannot be fitted")
    types = [str(t) for t in calls["call_type"].value_counts().index]
    if ivr not in ("prompt", "menu", "none"):
        raise LogError(f"{src}: ivr={ivr!r}; allowed: prompt, menu, none")
    has_ivr = bool((calls["outcome"] == "ivr_hangup").any() or (calls["ivr_time"] > 0).any())
    counted = calls if (ivr == "menu" and has_ivr) else calls.loc[
        calls["outcome"] != "ivr_hangup"]
    counts = arrival_counts(counted, day_index, iv, types)
    arrivals = _arrival_table(counts, iv, types)
    daily = pd.Series(counts.sum(axis=(1, 2)), index=day_index, name="calls")
    od = overdispersion(daily.to_numpy(), seed=seed)
    edges = [_secs(b) for b in blocks] if blocks else []
    fits = {t: _fit_type(calls.loc[calls["call_type"] == t], t, edges, short_call,
                         min_block_calls, min_block_events, min_at_risk) for t in types}
    ivr_fit = _fit_ivr(calls, short_call) if has_ivr else None
    if staffing != "auto" and staffing not in METHODS:
        raise LogError(f"{src}: staffing={staffing!r}; allowed: auto, {', '.join(METHODS)}")
    staff = infer_staffing(calls, day_index, iv, method=staffing)
    label = ",".join(wd) if wd else ("selected dates" if dates is not None else "all days")
    return FitResult(source=src, days=day_index, interval=iv, arrivals=arrivals,
                     daily=daily, overdispersion=od, types=fits, ivr=ivr_fit,
                     staffing=staff,
                     options={"days": wd, "days_label": label, "ivr": ivr,
                              "staffing": staff.attrs.get("method", staffing),
                              "priority": (dict(classes.priority) if classes is not None
                                           and len(set(classes.priority.values())) > 1
                                           else None),
                              "classes": classes,
                              "short_abandon": short_abandon, "short_call": short_call,
                              "blocks": list(blocks or []), "seed": seed,
                              "dropped": dict(log.dropped), "flags": dict(log.flags)})


def _duration(text: str) -> float:
    from callsim.config import parse_duration

    v = parse_duration(text)
    return float(v)


def _arrival_table(counts: np.ndarray, interval: float, types: list[str]) -> pd.DataFrame:
    n_days, n_int, _ = counts.shape
    mean = counts.mean(axis=0)
    sd = counts.std(axis=0, ddof=1) if n_days > 1 else np.zeros_like(mean)
    half = (stats.t.ppf(0.975, n_days - 1) * sd / math.sqrt(n_days) if n_days > 1
            else np.full_like(mean, np.nan))
    clocks = [_clock(i * interval) for i in range(n_int)]
    frames = [pd.DataFrame({"clock": clocks, "start": np.arange(n_int) * interval,
                            "call_type": t, "mean": mean[:, k], "sd": sd[:, k],
                            "ci_low": np.maximum(mean[:, k] - half[:, k], 0.0),
                            "ci_high": mean[:, k] + half[:, k]})
              for k, t in enumerate(types)]
    return pd.concat(frames, ignore_index=True)


def _fit_type(c: pd.DataFrame, name: str, edges: list[float], short: float, min_calls: int,
              min_events: int, min_at_risk: int) -> TypeFit:
    ans = (c["outcome"] == "answered").to_numpy()
    ht = c["handle_time"].to_numpy()
    has_ht = ans & ~np.isnan(ht)
    queued = c["outcome"].isin(("answered", "abandoned")).to_numpy()
    wait = c["wait"].to_numpy()
    ab = (c["outcome"] == "abandoned").to_numpy()
    handle = fit_duration(ht[has_ht], short=short) if has_ht.any() else None
    patience = fit_patience(wait[queued], ab[queued], min_at_risk=min_at_risk)
    clock = c["arrival"].to_numpy() % 86400.0
    out = TypeFit(name, len(c), handle, patience)
    for lo, hi in itertools.pairwise(edges):
        inb = (clock >= lo) & (clock < hi)
        h = (fit_duration(ht[has_ht & inb], short=short)
             if (has_ht & inb).sum() >= min_calls else None)
        q = queued & inb
        p = (fit_patience(wait[q], ab[q], min_at_risk=min_at_risk)
             if (ab & q).sum() >= min_events else None)
        if h is not None or p is not None:
            out.blocks.append(BlockFit(lo, hi, h, p))
    return out


def _fit_ivr(calls: pd.DataFrame, short: float) -> dict[str, Any]:
    hang = (calls["outcome"] == "ivr_hangup").to_numpy()
    n = int(hang.size)
    k = int(hang.sum())
    ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    times = calls.loc[~hang, "ivr_time"].to_numpy()
    return {"time": fit_duration(times, short=short), "hangup": k / n,
            "hangup_low": float(ci.low), "hangup_high": float(ci.high), "n": n}
