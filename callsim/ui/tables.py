"""Terminal tables: a batch's KPIs, per call type and pool, and a paired comparison.

Owns turning results into rich tables. Which KPIs, in which order, how each value is
formatted and when an optional KPI is shown all come from the KPI registry
(:mod:`callsim.results.kpis`, :mod:`callsim.results.kpi_format`); files are written by
:mod:`callsim.io.writers`. Imports :mod:`callsim.results`; the library itself never
prints (the CLI does, through this module).
"""

from __future__ import annotations

import math
from typing import cast

import pandas as pd
from rich.table import Table

from callsim.results import BatchResult, Comparison
from callsim.results import kpis as registry
from callsim.results.kpi_format import fmt, fmt_diff, fmt_hw


def num(frame: pd.DataFrame, row: object, col: str) -> float:
    """``frame.at[row, col]`` as a float (for typed access to summary tables)."""
    return float(cast(float, frame.at[row, col]))


def means(summary: pd.DataFrame) -> dict[str, float]:
    """Overall KPI means of a summary table, by name."""
    return {str(k): num(summary, k, "mean") for k in summary.index if "." not in str(k)}


def ordered_kpis(summary: pd.DataFrame, hide_empty: bool = False) -> list[str]:
    """Overall KPI names of *summary* in the registry's display order; *hide_empty*
    leaves out optional KPIs the registry does not show for it (no menu, no redials...)."""
    names = registry.ordered(str(k) for k in summary.index)
    if not hide_empty:
        return names
    m = [means(summary)]
    return [k for k in names if registry.shown(k, m)]


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
    names: dict[str, int] = {}
    for i, k in enumerate(s.index):
        parts = str(k).split(".")
        if parts[0] == prefix and len(parts) == 3:
            names.setdefault(parts[1], i)
    table = Table(title=title)
    table.add_column(first_col)
    for c in cols:
        table.add_column(c, justify="right")
    for name in sorted(names, key=names.__getitem__):
        table.add_row(name, *[fmt(f"{prefix}.{name}.{c}",
                                  s.get(f"{prefix}.{name}.{c}", math.nan)) for c in cols])
    return table


def type_columns(names: list[str]) -> list[str]:
    """The per-call-type columns of the tables, given the KPI names of a summary:
    volumes, then the headline KPIs a call type has."""
    overall = {k.split(".")[-1] for k in names if k.startswith("type.")}
    return [k for k in ("arrivals", "offered", "answered", "abandoned") if k in overall] + [
        k for k in registry.headline(overall, 4) if k != "occupancy"]


def pool_columns() -> list[str]:
    """The per-pool columns: the registry's pool KPIs."""
    return [k.name for k in registry.POOL_KPIS]


def type_table(batch: BatchResult) -> Table:
    """Per-call-type volumes, answer rate, ASA and service level (means)."""
    cols = type_columns([str(k) for k in batch.summary.index])
    return _group_table(batch, "type", "call type", cols, "by call type (means)")


def pool_table(batch: BatchResult) -> Table:
    """Per-pool calls, ASA, occupancy and staffing (means)."""
    return _group_table(batch, "pool", "pool", pool_columns(), "by agent pool (means)")


def channel_columns() -> list[str]:
    """The per-channel columns: the registry's channel KPIs."""
    return [k.name for k in registry.CHANNEL_KPIS]


def channel_table(batch: BatchResult) -> Table | None:
    """Per contact channel: attempts, containment, fallbacks (means); None without
    channels."""
    if not any(str(k).startswith("channel.") for k in batch.summary.index):
        return None
    return _group_table(batch, "channel", "channel", channel_columns(),
                        "by contact channel (means)")


def comparison_kpis(comp: Comparison, all_kpis: bool = False) -> list[str]:
    """The KPIs of a comparison table: the registry's brief ones that some design shows
    (every overall KPI with *all_kpis*, but not one undefined in every design), in
    display order."""
    names = registry.ordered(comp.kpi_names())
    if len(comp.designs) > 1:
        defined = set(comp.differences()["kpi"])
        names = [k for k in names if k in defined]
    if all_kpis:
        return names
    m = [means(b.summary) for b in comp.batches.values()]
    return [k for k in registry.brief(names) if registry.shown(k, m)]


def comparison_table(comp: Comparison, all_kpis: bool = False) -> Table:
    """Each KPI per design (mean ± half-width) and each design's paired difference
    from the reference, marked when significant."""
    diffs = comp.differences()
    kpis = comparison_kpis(comp, all_kpis)
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
            sel = diffs[(diffs.design == name) & (diffs.kpi == k)]
            if sel.empty:  # undefined in both designs
                row.append("")
                continue
            d = sel.iloc[0]
            txt = fmt_diff(k, float(d.difference), float(d.half_width))
            row.append(f"[bold]{txt} *[/]" if d.significant else txt)
        table.add_row(*row)
    table.caption = "* the 95 % CI of the paired difference excludes 0"
    return table
