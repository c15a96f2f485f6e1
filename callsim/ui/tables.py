"""Text output: KPI tables for the terminal and files for a run directory.

Owns turning results into rich tables, JSON and CSV. Imports the experiment layer's
result types; the library itself never prints (the CLI does, through this module).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, cast

import pandas as pd
from rich.table import Table

from callsim.results import BatchResult, Comparison

#: KPIs shown in the terminal table, in this order (others stay in the files)
MAIN_KPIS = (
    "arrivals", "offered", "blocked", "short_abandons", "answered", "abandoned",
    "answer_rate", "abandon_rate", "asa", "mean_wait", "p_wait", "wait_p50", "wait_p90",
    "wait_p95", "mean_queue", "occupancy", "ivr_time", "ivr_hangups", "ivr_hangup_rate",
    "self_served", "disconnected", "misroutes", "misroute_rate", "transfers",
    "callers", "redials", "redial_share", "caller_answer_rate", "callbacks_offered",
    "callbacks_accepted", "callbacks_completed", "callbacks_open", "callback_delay",
    "transferred_out", "referred", "transferred_internal", "transfers_in", "fcr",
)
#: KPIs shown only when some design has them (a menu, redials, callbacks, transfers)
OPTIONAL = {
    "ivr_time", "ivr_hangups", "ivr_hangup_rate", "self_served", "disconnected",
    "misroutes", "misroute_rate", "transfers", "redials", "redial_share",
    "caller_answer_rate", "callers", "callbacks_offered", "callbacks_accepted",
    "callbacks_completed", "callbacks_open", "callback_delay", "transferred_out", "fcr",
    "blocked", "short_abandons", "referred", "transferred_internal", "transfers_in",
}


def _shown(summaries: list[pd.DataFrame], k: str) -> bool:
    """Optional KPIs are shown when any design has a non-zero value, or fcr < 1."""
    if k not in OPTIONAL:
        return True
    if k == "caller_answer_rate" or k == "callers":
        return any(num(s, "redials", "mean") > 0 for s in summaries if "redials" in s.index)
    if k == "fcr":
        return any(num(s, "fcr", "mean") < 1 for s in summaries if "fcr" in s.index)
    vals = [num(s, k, "mean") for s in summaries if k in s.index]
    return any(v == v and v != 0 for v in vals)
RATES = {"answer_rate", "abandon_rate", "p_wait", "occupancy", "fcr", "redial_share"}


def num(frame: pd.DataFrame, row: object, col: str) -> float:
    """``frame.at[row, col]`` as a float (for typed access to summary tables)."""
    return float(cast(float, frame.at[row, col]))


def fmt(name: str, value: float) -> str:
    """Format a KPI value for people: rates in %, seconds with one decimal, counts whole."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    base = name.rsplit(".", 1)[-1]
    if base in RATES or base.startswith(("sl_", "sla_")) or base.endswith("_rate"):
        return f"{100 * value:.2f} %"
    if base in ("asa", "mean_wait", "ivr_time", "callback_delay") or base.startswith("wait_p"):
        return f"{value:.1f} s"
    if base in ("mean_queue", "mean_staffed", "mean_busy"):
        return f"{value:.2f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def fmt_hw(name: str, hw: float) -> str:
    """Format a half-width like its KPI."""
    if hw is None or (isinstance(hw, float) and math.isnan(hw)):
        return ""
    return "± " + fmt(name, hw)


def ordered_kpis(summary: pd.DataFrame, hide_empty: bool = False) -> list[str]:
    """Overall KPI names in display order (main ones first, then service levels);
    *hide_empty* leaves out optional KPIs that are all zero (no menu, no redials...)."""
    names = [k for k in MAIN_KPIS if k in summary.index]
    extra = [k for k in summary.index if "." not in str(k) and k not in names
             and k != "unfinished"]
    sl = [k for k in extra if str(k).startswith(("sl_", "sla_"))]
    out = names[:9] + sl + names[9:] + [k for k in extra if k not in sl]
    return [k for k in out if not hide_empty or _shown([summary], k)]


def kpi_table(batch: BatchResult, title: str | None = None) -> Table:
    """The overall KPI table of a batch, with 95 % CIs when there are several replications."""
    s = batch.summary
    reps = int(s["n"].max()) if len(s) else 0
    table = Table(title=title or f"{batch.scenario}: {reps} replication"
                  f"{'s' if reps != 1 else ''}, seed {batch.seed}")
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    if reps > 1:
        table.add_column("95 % CI", justify="right")
    for k in ordered_kpis(s, hide_empty=True):
        row = [k, fmt(k, num(s, k, "mean"))]
        if reps > 1:
            row.append(fmt_hw(k, num(s, k, "half_width")))
        table.add_row(*row)
    return table


def _group_table(batch: BatchResult, prefix: str, first_col: str, cols: list[str],
                 title: str) -> Table:
    """Means of ``<prefix>.<name>.<kpi>`` columns: one row per name, in scenario order."""
    s = batch.summary["mean"]
    order = list(s.index)
    names: dict[str, int] = {}
    for i, k in enumerate(order):
        parts = str(k).split(".")
        if parts[0] == prefix and len(parts) == 3:
            names.setdefault(parts[1], i)
    table = Table(title=title)
    table.add_column(first_col)
    for c in cols:
        table.add_column(c, justify="right")
    for name in sorted(names, key=names.__getitem__):
        table.add_row(name, *[fmt(c, s.get(f"{prefix}.{name}.{c}", math.nan)) for c in cols])
    return table


def type_table(batch: BatchResult) -> Table:
    """Per-call-type answer rate, ASA and service level (means)."""
    s = batch.summary["mean"]
    sl = next((k for k in s.index if str(k).startswith("sl_")), None)
    cols = ["arrivals", "offered", "answered", "answer_rate", "asa"] + ([str(sl)] if sl else [])
    return _group_table(batch, "type", "call type", cols, "by call type (means)")


def pool_table(batch: BatchResult) -> Table:
    """Per-pool staffing and occupancy (means)."""
    cols = ["answered", "asa", "mean_scheduled", "mean_staffed", "mean_busy", "occupancy"]
    return _group_table(batch, "pool", "pool", cols, "by agent pool (means)")


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def summary_dict(batch: BatchResult) -> dict[str, Any]:
    """``{"scenario", "seed", "replications", "kpis": {name: {mean, half_width, n, ...}}}``."""
    s = batch.summary
    return {
        "scenario": batch.scenario,
        "seed": batch.seed,
        "replications": int(s["n"].max()) if len(s) else 0,
        "level": batch.level,
        "kpis": {
            str(k): {c: _jsonable(num(s, k, c)) if c != "n" else int(num(s, k, c))
                     for c in ("mean", "half_width", "ci_low", "ci_high", "n")}
            for k in s.index
        },
        **({"meta": batch.meta} if batch.meta else {}),
    }


def write_run(batch: BatchResult, out: Path) -> list[Path]:
    """Write ``summary.json``, ``replications.csv``, ``intervals.csv``, ``agents.csv``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "summary.json", out / "replications.csv", out / "intervals.csv",
             out / "agents.csv"]
    paths[0].write_text(json.dumps(summary_dict(batch), indent=2), encoding="utf-8")
    batch.replications.to_csv(paths[1])
    batch.intervals.to_csv(paths[2], index=False)
    batch.agents.to_csv(paths[3], index=False)
    return paths


#: KPIs of a comparison table, in order
COMPARE_KPIS = (
    "arrivals", "callers", "redials", "ivr_time", "ivr_hangups", "self_served", "offered",
    "blocked", "short_abandons", "answered", "abandoned", "answer_rate",
    "caller_answer_rate", "asa", "sl_20", "mean_wait", "mean_queue", "misroutes",
    "transfers", "callbacks_accepted", "callbacks_completed", "transferred_out", "referred",
    "transferred_internal", "transfers_in", "fcr", "occupancy",
)


def comparison_table(comp: Comparison, all_kpis: bool = False) -> Table:
    """Each KPI per design (mean ± half-width) and each design's paired difference
    from the reference, marked when significant."""
    diffs = comp.differences()
    summaries = [b.summary for b in comp.batches.values()]
    kpis = comp.kpi_names() if all_kpis else [k for k in COMPARE_KPIS
                                               if k in comp.kpi_names() and _shown(summaries, k)]
    reps = len(next(iter(comp.batches.values())).replications)
    table = Table(title=f"{' vs '.join(comp.designs)}: {reps} paired replications, seed "
                  f"{comp.seed}, 95 % CIs; difference = design - {comp.reference}")
    table.add_column("KPI")
    for name in comp.designs:
        table.add_column(name, justify="right")
    for name in comp.designs[1:]:
        table.add_column(f"Δ {name}", justify="right")
    for k in kpis:
        row = [k]
        for name in comp.designs:
            s = comp.batches[name].summary
            row.append(f"{fmt(k, num(s, k, 'mean'))} {fmt_hw(k, num(s, k, 'half_width'))}".strip())
        for name in comp.designs[1:]:
            d = diffs[(diffs.design == name) & (diffs.kpi == k)].iloc[0]
            txt = f"{_signed(k, d.difference)} {fmt_hw(k, d.half_width)}".strip()
            row.append(f"[bold]{txt} *[/]" if d.significant else txt)
        table.add_row(*row)
    table.caption = "* the 95 % CI of the paired difference excludes 0"
    return table


def _signed(name: str, value: float) -> str:
    text = fmt(name, value)
    return text if text.startswith("-") or text == "–" else "+" + text


def write_comparison(comp: Comparison, out: Path) -> list[Path]:
    """Write ``comparison.json``, ``comparison.csv`` (paired differences, every KPI),
    ``summary.csv`` (per design) and ``comparison.png`` (the day, per design)."""
    from callsim.ui.plots import comparison_day

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "comparison.json", out / "comparison.csv", out / "summary.csv",
             out / "comparison.png"]
    paths[0].write_text(json.dumps(comp.to_dict(), indent=2), encoding="utf-8")
    comp.differences(overall_only=False).to_csv(paths[1], index=False)
    comp.summary.to_csv(paths[2], index=False)
    fig = comparison_day(comp)
    fig.savefig(paths[3], dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return paths
