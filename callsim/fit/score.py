"""KPIs by clock interval pooled over days, and scoring predictions against a log.

Owns :func:`clock_table` (from a :class:`~callsim.logs.CallLog`),
:func:`clock_table_from_results` (from callsim's per-call records of several
replications), :func:`erlang_a_clock` (the per-interval Erlang-A baseline from a fit),
:func:`score` and :class:`Score` (MARE, bias, Spearman; a figure; ``score.json`` and
``score.csv``). Imports :mod:`callsim.logs`, :mod:`callsim.analytic`, numpy, scipy,
pandas and matplotlib; never the simulation model.

Clock table: one row per clock interval (``HH:MM``) and call type, plus ``all``,
counting calls by their arrival clock, pooled over every day (and replication): rates
are ratios of pooled counts, not means of daily ratios. Definitions as in callsim:
``offered`` = answered + abandoned, less short abandons (abandoned within
``short_abandon`` s; none by default); ``abandon_rate`` = abandoned / offered;
``asa`` = mean wait of answered calls; ``sl_<t>`` = answered within t s / answered;
``answered_per_day`` = answered / ``n_days``. Blocked and IVR hang-ups are counted
but not offered.

Scores are over the intervals starting in the hours ``hours = (first, last)``
(inclusive; default 07:00 to 23:00, i.e. 07:00–24:00) of the ``all`` rows, for
``abandon_rate``, ``asa``, ``sl_20`` and ``answered_per_day``: MARE = mean of
``|predicted - observed| / observed`` over intervals with observed > 0, bias = mean
signed relative error, and Spearman's rank correlation of the two profiles.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from callsim.analytic import erlang_a_metrics
from callsim.fit.arrivals import parse_days, select_days
from callsim.logs import CallLog, LogError, calls_to_log

if TYPE_CHECKING:
    from callsim.fit.core import FitResult

METRICS = ("abandon_rate", "asa", "sl_20", "answered_per_day")


def _clock(t: float) -> str:
    return f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}"


def clock_table(log: CallLog, interval: float = 3600.0, days: Any = None, dates: Any = None,
                service_levels: Sequence[float] = (20.0,), short_abandon: float = 0.0,
                n_days: int | None = None) -> pd.DataFrame:
    """KPIs per clock interval and call type (plus ``all``), pooled over days.

    Parameters
    ----------
    log
        The calls.
    interval
        Seconds per clock interval (divides a day).
    days, dates
        Weekdays (``"sun,mon"``) or exact dates to keep; default every day of the log.
    service_levels
        Thresholds t (s) of the ``sl_<t>`` columns.
    short_abandon
        Abandoned within this many seconds of queueing: not offered (0: none).
    n_days
        Days pooled (default: the selected calendar days, empty ones included).

    Returns
    -------
    pandas.DataFrame
        Columns ``clock``, ``start``, ``call_type``, ``n_days``, ``arrivals``,
        ``ivr_hangups``, ``blocked``, ``offered``, ``answered``, ``abandoned``,
        ``answer_rate``, ``abandon_rate``, ``asa``, ``mean_wait``, ``sl_<t>``,
        ``answered_per_day``, ``offered_per_day``.
    """
    try:
        wd = parse_days(days)
    except ValueError as exc:
        raise LogError(f"{log.source}: {exc}") from None
    calls = log.calls
    if wd is not None or dates is not None:
        sel = select_days(calls, wd, dates)
        calls = calls.loc[calls["day"].isin(sel)]
        nd = len(sel)
    else:
        nd = int(calls["day"].nunique())
    nd = n_days if n_days is not None else nd
    n_int = round(86400.0 / interval)
    oc = calls["outcome"].to_numpy()
    wait = calls["wait"].to_numpy()
    ans = oc == "answered"
    ab = oc == "abandoned"
    short = ab & (wait < short_abandon) if short_abandon > 0 else np.zeros(oc.size, bool)
    cols: dict[str, np.ndarray] = {
        "arrivals": np.ones(oc.size), "ivr_hangups": (oc == "ivr_hangup").astype(float),
        "blocked": (oc == "blocked").astype(float), "answered": ans.astype(float),
        "abandoned": (ab & ~short).astype(float),
        "wait_ans": np.where(ans, wait, 0.0), "wait_off": np.where(ans | (ab & ~short),
                                                                   wait, 0.0)}
    for t in service_levels:
        cols[f"within_{t:g}"] = (ans & (wait <= t)).astype(float)
    frame = pd.DataFrame(cols)
    frame["interval"] = np.minimum((calls["arrival"].to_numpy() % 86400.0 // interval)
                                   .astype(int), n_int - 1)
    frame["call_type"] = calls["call_type"].to_numpy()
    types = [str(t) for t in calls["call_type"].value_counts().index]
    g = frame.groupby(["call_type", "interval"]).sum()
    ga = frame.drop(columns="call_type").groupby("interval").sum()
    ga["call_type"] = "all"
    ga = ga.reset_index().set_index(["call_type", "interval"])
    full = pd.MultiIndex.from_product([[*types, "all"], range(n_int)],
                                      names=["call_type", "interval"])
    tab = pd.concat([g, ga]).reindex(full, fill_value=0.0).reset_index()
    return _rates(tab, interval, nd, service_levels)


def _rates(tab: pd.DataFrame, interval: float, nd: int,
           service_levels: Sequence[float]) -> pd.DataFrame:
    with np.errstate(invalid="ignore", divide="ignore"):
        offered = tab["answered"] + tab["abandoned"]
        out = pd.DataFrame({
            "clock": [_clock(i * interval) for i in tab["interval"]],
            "start": tab["interval"] * interval, "call_type": tab["call_type"],
            "n_days": nd, "arrivals": tab["arrivals"], "ivr_hangups": tab["ivr_hangups"],
            "blocked": tab["blocked"], "offered": offered, "answered": tab["answered"],
            "abandoned": tab["abandoned"],
            "answer_rate": tab["answered"] / offered.where(offered > 0),
            "abandon_rate": tab["abandoned"] / offered.where(offered > 0),
            "asa": tab["wait_ans"] / tab["answered"].where(tab["answered"] > 0),
            "mean_wait": tab["wait_off"] / offered.where(offered > 0)})
        for t in service_levels:
            out[f"sl_{t:g}"] = tab[f"within_{t:g}"] / tab["answered"].where(tab["answered"] > 0)
    out["answered_per_day"] = out["answered"] / max(nd, 1)
    out["offered_per_day"] = out["offered"] / max(nd, 1)
    return out


def _start_of(result: Any) -> float:
    label = str(result.intervals["clock"].iloc[0]).split()[-1]
    h, _, m = label.partition(":")
    return int(h) * 3600.0 + int(m) * 60.0


def clock_table_from_results(results: Sequence[Any], interval: float = 3600.0,
                             start: float | str | None = None,
                             service_levels: Sequence[float] = (20.0,),
                             short_abandon: float = 0.0) -> pd.DataFrame:
    """The clock table of simulated replications, pooled over their days and replications.

    Parameters
    ----------
    results
        :class:`callsim.ReplicationResult` objects simulated with ``record_calls=True``.
    start
        Clock of the horizon start; default read from the results' interval table.
    """
    logs = []
    n_days = 0
    first = pd.Timestamp("2000-01-01")
    for r in results:
        if r.calls is None or len(r.calls) == 0:
            raise LogError("clock_table_from_results: a replication has no per-call "
                           "records; simulate with record_calls=True")
        s = _start_of(r) if start is None else start
        lg = calls_to_log(r.calls, start=s, first_day=first)  # each on its own days
        n_days += int(lg.calls["day"].nunique())
        first = lg.calls["day"].max() + pd.Timedelta(days=2)
        logs.append(lg.calls)
    merged = CallLog(pd.concat(logs, ignore_index=True), source="<simulation>")
    return clock_table(merged, interval, service_levels=service_levels,
                       short_abandon=short_abandon, n_days=n_days)


def clock_table_from_run(clock: pd.DataFrame) -> pd.DataFrame:
    """A run folder's ``clock.csv`` (:mod:`callsim.results.clock`: KPIs per clock interval
    pooled over days and replications) in the columns of :func:`clock_table`.

    ``n_days`` is the number of days x replications pooled (the ``intervals`` column),
    so ``answered_per_day`` is per simulated day.
    """
    need = {"clock", "call_type", "intervals", "answered", "abandoned"}
    missing = need - set(clock.columns)
    if missing:
        raise LogError(f"clock.csv: columns {', '.join(sorted(missing))} are missing; "
                       "rerun the simulation with this callsim (callsim run --out)")
    out = clock.copy()
    h = out["clock"].astype(str).str.slice(0, 2).astype(int)
    m = out["clock"].astype(str).str.slice(3, 5).astype(int)
    out["start"] = h * 3600.0 + m * 60.0
    n = out["intervals"].astype(float).where(out["intervals"] > 0)
    out["n_days"] = out["intervals"]
    out["answered_per_day"] = out["answered"] / n
    if "offered" in out.columns:
        out["offered_per_day"] = out["offered"] / n
    return out


def interval_of(table: pd.DataFrame) -> float:
    """The clock interval (s) of a clock table (the gap between its clock starts)."""
    starts = np.unique(table["start"].to_numpy(dtype=float))
    return float(np.min(np.diff(starts))) if starts.size > 1 else 86400.0


def write_scores(directory: str | Path, scores: Mapping[str, Score], context: Mapping[str, Any],
                 figure: Figure | None = None) -> list[Path]:
    """Write ``score.json`` (``kind: "score"``, *context*, and per prediction the summary
    per metric), ``score.csv`` (observed vs predicted per interval, metric and
    prediction) and, with *figure*, ``score.png`` into *directory*."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)

    def clean(v: Any) -> Any:
        return None if isinstance(v, float) and not math.isfinite(v) else v

    doc = {"kind": "score", **context,
           "predictions": {name: {"hours": list(sc.hours), "call_type": sc.call_type,
                                  "metrics": {m: {k: clean(v) for k, v in row.items()}
                                              for m, row in
                                              sc.summary.to_dict(orient="index").items()}}
                           for name, sc in scores.items()}}
    paths = [d / "score.json", d / "score.csv"]
    paths[0].write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    table = pd.concat([sc.table.assign(prediction=name) for name, sc in scores.items()],
                      ignore_index=True)
    table.to_csv(paths[1], index=False)
    if figure is not None:
        paths.append(d / "score.png")
        figure.savefig(paths[2], dpi=100)
    return paths


def _mix(metrics_lo: Any, metrics_hi: Any, f: float) -> dict[str, float]:
    """Floor/ceil mixture of two staffing levels (the engine honours the mean headcount)."""
    def get(m: Any, key: str) -> float:
        return float(getattr(m, key)) if m is not None else (1.0 if key == "p_abandon"
                                                             else math.nan)
    pa = (1 - f) * get(metrics_lo, "p_abandon") + f * get(metrics_hi, "p_abandon")
    ans_lo = 1 - get(metrics_lo, "p_abandon")
    ans_hi = 1 - get(metrics_hi, "p_abandon")
    w_lo, w_hi = (1 - f) * ans_lo, f * ans_hi
    tot = w_lo + w_hi
    asa = ((w_lo * (get(metrics_lo, "asa") if w_lo > 0 else 0.0)
            + w_hi * (get(metrics_hi, "asa") if w_hi > 0 else 0.0)) / tot if tot > 0
           else math.nan)
    sl_lo = metrics_lo.service_level(20.0) if metrics_lo is not None else 0.0
    sl_hi = metrics_hi.service_level(20.0) if metrics_hi is not None else 0.0
    sl = (w_lo * sl_lo + w_hi * sl_hi) / tot if tot > 0 else math.nan
    return {"p_abandon": pa, "asa": asa, "sl_20": sl}


def erlang_a_clock(fit: FitResult) -> pd.DataFrame:
    """Per-interval Erlang-A (M/M/c+M) predictions from a fit's inputs, as clock-table rows.

    Inputs per interval: arrival rate of calls reaching the queue (the fitted arrivals;
    with ``ivr="menu"`` less the IVR hang-up share), mean handle time (the
    arrival-weighted mean of each call type's fitted block or day mean), patience (the
    censored exponential MLE, pooled as an arrival-weighted hazard), agents (the fitted
    fractional staffing, as a floor/ceil mixture). Only ``all`` rows; counts are
    expected values over ``len(fit.days)`` days.
    """
    iv = fit.interval
    arr = fit.arrivals
    types = list(fit.types)
    n_int = round(86400.0 / iv)
    lam = np.stack([arr.loc[arr["call_type"] == t, "mean"].to_numpy() for t in types])
    if fit.ivr is not None and fit.options.get("ivr") == "menu":
        lam = lam * (1.0 - fit.ivr["hangup"])  # arrivals include IVR hang-ups
    rows = []
    nd = len(fit.days)
    for i in range(n_int):
        t0 = i * iv
        w = lam[:, i]
        total = float(w.sum())
        c = float(fit.staffing["agents"].iloc[i])
        if total <= 0:
            rows.append({"start": t0, "offered": 0.0})
            continue
        ahts, thetas = [], []
        for t in types:
            tf = fit.types[t]
            blk = next((b for b in tf.blocks if b.start <= t0 < b.end), None)
            h = (blk.handle if blk is not None and blk.handle is not None else tf.handle)
            p = (blk.patience if blk is not None and blk.patience is not None
                 else tf.patience)
            ahts.append(h.mean if h is not None else math.nan)
            thetas.append(1.0 / p.exp_mean if math.isfinite(p.exp_mean) else 0.0)
        ok = ~np.isnan(ahts)
        aht = float(np.average(np.asarray(ahts)[ok], weights=w[ok])) if w[ok].sum() > 0 \
            else float(np.nanmean(ahts))
        theta = float(np.average(thetas, weights=w))
        patience = 1.0 / theta if theta > 0 else None
        rate_h = total * 3600.0 / iv
        lo, f = math.floor(c), c - math.floor(c)
        m_lo = erlang_a_metrics(rate_h, aht, lo, patience) if lo >= 1 else None
        m_hi = erlang_a_metrics(rate_h, aht, lo + 1, patience) if f > 0 else None
        mix = _mix(m_lo, m_hi, f) if f > 0 else _mix(m_lo, m_lo, 0.0)
        offered = total * nd
        rows.append({"start": t0, "offered": offered, "answered": offered * (1 -
                     mix["p_abandon"]), "abandoned": offered * mix["p_abandon"],
                     "abandon_rate": mix["p_abandon"], "answer_rate": 1 - mix["p_abandon"],
                     "asa": mix["asa"], "sl_20": mix["sl_20"], "agents": c, "aht": aht,
                     "patience": patience if patience is not None else math.inf})
    out = pd.DataFrame(rows)
    out.insert(0, "clock", [_clock(s) for s in out["start"]])
    out.insert(2, "call_type", "all")
    out.insert(3, "n_days", nd)
    out["answered_per_day"] = out["answered"] / nd
    out["offered_per_day"] = out["offered"] / nd
    return out


@dataclass
class Score:
    """Observed vs predicted KPIs by clock interval, and their summary.

    Attributes
    ----------
    table : pandas.DataFrame
        ``clock``, ``metric``, ``observed``, ``predicted``, ``rel_error``.
    summary : pandas.DataFrame
        Per metric: ``n`` (intervals), ``mare``, ``bias``, ``spearman``, ``spearman_p``.
    hours : tuple of int
        First and last start hour scored.
    call_type : str
        The rows scored (``all`` by default).
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    hours: tuple[int, int]
    call_type: str

    def to_json(self, path: str | Path) -> Path:
        """Write ``score.json``: the summary per metric and what was scored."""
        p = Path(path)
        data = {"hours": list(self.hours), "call_type": self.call_type,
                "metrics": {m: {k: (None if isinstance(v, float) and not math.isfinite(v)
                                    else v) for k, v in row.items()}
                            for m, row in self.summary.to_dict(orient="index").items()}}
        p.write_text(json.dumps(data, indent=2), encoding="utf-8")
        return p

    def to_csv(self, path: str | Path) -> Path:
        """Write ``score.csv``: observed vs predicted per interval and metric."""
        p = Path(path)
        self.table.to_csv(p, index=False)
        return p

    def write(self, directory: str | Path) -> tuple[Path, Path]:
        """Write ``score.json`` and ``score.csv`` into *directory*."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        return self.to_json(d / "score.json"), self.to_csv(d / "score.csv")


def score(observed: pd.DataFrame, predicted: pd.DataFrame, hours: tuple[int, int] = (7, 23),
          call_type: str = "all", metrics: Sequence[str] = METRICS) -> Score:
    """Score a predicted clock table (simulation or formula) against the observed one."""
    def pick(t: pd.DataFrame) -> pd.DataFrame:
        h = t["start"].to_numpy() / 3600.0
        sel = (t["call_type"] == call_type) & (h >= hours[0]) & (h < hours[1] + 1)
        return t.loc[sel].set_index("clock")

    o, p = pick(observed), pick(predicted)
    clocks = [c for c in o.index if c in p.index]
    rows, summ = [], {}
    for m in metrics:
        ov = o.loc[clocks, m].to_numpy(dtype=float)
        pv = p.loc[clocks, m].to_numpy(dtype=float) if m in p.columns else np.full(
            len(clocks), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(ov > 0, (pv - ov) / np.where(ov > 0, ov, 1.0), np.nan)
        rows.append(pd.DataFrame({"clock": clocks, "metric": m, "observed": ov,
                                  "predicted": pv, "rel_error": rel}))
        ok = ~np.isnan(rel)
        both = ~np.isnan(ov) & ~np.isnan(pv)
        rho, pval = (stats.spearmanr(ov[both], pv[both]) if both.sum() > 2
                     else (math.nan, math.nan))
        summ[m] = {"n": int(ok.sum()), "mare": float(np.mean(np.abs(rel[ok]))) if ok.any()
                   else math.nan, "bias": float(np.mean(rel[ok])) if ok.any() else math.nan,
                   "spearman": float(rho), "spearman_p": float(pval)}
    return Score(pd.concat(rows, ignore_index=True), pd.DataFrame(summ).T, hours, call_type)


def score_figure(observed: pd.DataFrame, predictions: Mapping[str, pd.DataFrame],
                 hours: tuple[int, int] = (7, 23), call_type: str = "all",
                 metrics: Sequence[str] = METRICS) -> Figure:
    """Observed vs each prediction by clock interval, one panel per metric, with MARE."""
    fig = Figure(figsize=(11, 6.5), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    for ax, m in zip(axes, metrics, strict=False):
        for k, (name, pred) in enumerate([("observed", observed), *predictions.items()]):
            s = score(observed, pred, hours, call_type, [m])
            t = s.table
            x = [int(str(c)[:2]) + int(str(c)[3:]) / 60 for c in t["clock"]]
            y = t["observed"] if k == 0 else t["predicted"]
            mare = float(s.summary.at[m, "mare"])  # type: ignore[arg-type]
            label = name if k == 0 else f"{name} (MARE {mare:.2f})"
            ax.plot(x, y, marker="o" if k == 0 else None, color="k" if k == 0 else None,
                    label=label, lw=1.5)
        ax.set_title(m)
        ax.set_xlabel("clock hour")
        ax.legend(fontsize=7)
    return fig
