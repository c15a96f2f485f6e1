"""A report planners can open: run directories → PNG figures and one HTML file.

Owns reading what ``callsim run/compare/sweep --out DIR`` wrote (:func:`load_run_dir`),
choosing the figures that apply to it (:func:`figures`), writing them as PNGs beside the
results (:func:`write_pngs`, ``callsim plot``) and rendering one self-contained HTML
document (:func:`render_html`, :func:`write_report`, ``callsim report``): the scenario
summary, the KPI table with confidence intervals, every figure embedded as a base64
PNG, and for a comparison a verdict per KPI. The document loads nothing from anywhere
(no scripts, fonts, stylesheets or images outside the file) and needs no server.

What each kind of directory gives:

- a batch (``summary.json``, ``replications.csv``, ``intervals.csv``, ``agents.csv``,
  and ``reps/r*.json`` when it was checkpointed): waiting calls per queue, the day by
  interval, staffed vs busy agents, the answer-rate heatmap, and how the CI narrowed.
  Bands across replications come from the per-replication tables in ``reps/``; without
  them the figures show the interval means only.
- a comparison (``comparison.json``, ``comparison.csv``, ``summary.csv``): the forest
  plot of paired differences (and ``comparison.png``, the day per design, when there).
- a sweep (``sweep.csv``, ``sweep.json``): the main KPIs against the swept parameter.

Imports :mod:`callsim.ui.plots` and :mod:`callsim.ui.tables` (formatting); nothing imports it
but the CLI.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import html
import io
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from callsim.errors import ConfigError
from callsim.ui import plots
from callsim.ui.tables import fmt, fmt_hw, ordered_kpis

#: KPIs drawn against a swept parameter, when the sweep has them
SWEEP_KPIS = ("answer_rate", "asa", "abandon_rate", "sl_20", "occupancy")

#: Direction in which a KPI is better: +1 higher, -1 lower (others are neutral).
_HIGHER = {"answer_rate", "answered"}
_LOWER = {
    "abandon_rate", "abandoned", "asa", "mean_wait", "p_wait", "mean_queue", "blocked",
    "short_abandons", "ivr_time", "ivr_hangups", "ivr_hangup_rate", "disconnected",
    "misroutes", "misroute_rate", "transfers", "unfinished",
}


def better_direction(kpi: str) -> int:
    """+1 if a higher *kpi* is better for callers, -1 if lower, 0 if neither
    (volumes, occupancy)."""
    base = kpi.rsplit(".", 1)[-1]
    if base in _HIGHER or base.startswith(("sl_", "sla_")):
        return 1
    if base in _LOWER or base.startswith("wait_p"):
        return -1
    return 0


def verdict(kpi: str, difference: float, half_width: float, significant: bool) -> str:
    """One word or phrase on a paired difference: ``better``, ``worse``, ``higher``,
    ``lower``, ``identical`` or ``no significant difference``."""
    if not math.isfinite(difference):
        return "not available"
    if difference == 0 and (half_width == 0 or not math.isfinite(half_width)):
        return "identical"
    if not significant:
        return "no significant difference"
    d = better_direction(kpi)
    if d == 0:
        return "higher" if difference > 0 else "lower"
    return "better" if d * difference > 0 else "worse"


# ------------------------------------------------------------------------ loading


@dataclass
class RunDir:
    """What a ``--out`` directory holds, read back.

    Attributes
    ----------
    kind
        ``"run"``, ``"comparison"`` or ``"sweep"``.
    doc
        ``summary.json``, ``comparison.json`` or ``sweep.json``.
    replications
        Per-replication KPIs (a batch).
    intervals, agents
        Interval and agent tables with a ``replication`` column: one replication per
        ``reps/`` file, or the means (``replication`` 0) when there are none.
    per_replication
        Whether ``intervals``/``agents`` hold each replication (bands can be drawn).
    differences, design_summary
        A comparison's paired differences and per-design summaries.
    sweep_table
        A sweep's tidy table.
    """

    path: Path
    kind: str
    doc: dict[str, Any]
    replications: pd.DataFrame | None = None
    intervals: pd.DataFrame | None = None
    agents: pd.DataFrame | None = None
    per_replication: bool = False
    differences: pd.DataFrame | None = None
    design_summary: pd.DataFrame | None = None
    sweep_table: pd.DataFrame | None = None
    extra_images: dict[str, Path] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """A title for the directory's report."""
        if self.kind == "comparison":
            return f"{' vs '.join(self.doc.get('designs', {}))}: design comparison"
        if self.kind == "sweep":
            return f"{self.doc.get('scenario', self.path.name)}: what-if sweep"
        return f"{self.doc.get('scenario', self.path.name)}: simulation results"

    @property
    def n_reps(self) -> int:
        """Replications (per design or grid point, the most of any)."""
        if self.kind == "run":
            return int(self.doc.get("replications", 0))
        if self.kind == "comparison" and self.differences is not None and len(
                self.differences):
            return int(self.differences["n"].max())
        if self.sweep_table is not None and len(self.sweep_table):
            return int(self.sweep_table["n"].max())
        return 0


def _read_json(p: Path) -> dict[str, Any]:
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{p}: cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a JSON object")
    return data


def _per_replication_tables(root: Path, n: int) -> dict[str, pd.DataFrame]:
    """``reps/r*.json`` of replications 0 .. n-1 as long tables (empty if incomplete)."""
    reps = root / "reps"
    files = [reps / f"r{r:06d}.json" for r in range(n)]
    if n < 1 or not all(f.is_file() for f in files):
        return {}
    try:
        from callsim.io.records import RepRecord
    except ImportError:  # pragma: no cover - the runner is part of callsim
        return {}
    frames: dict[str, list[pd.DataFrame]] = {"intervals": [], "agents": []}
    for r, f in enumerate(files):
        try:
            rec = RepRecord.from_json(json.loads(f.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        for name in frames:
            if name not in rec.tables:
                return {}
            t = rec.tables[name].to_frame()
            t["replication"] = r
            frames[name].append(t)
    return {k: pd.concat(v, ignore_index=True) for k, v in frames.items()}


def load_run_dir(path: str | Path) -> RunDir:
    """Read a directory written by ``callsim run/compare/sweep --out``.

    Raises
    ------
    ConfigError
        When *path* is not a directory or holds none of those results.
    """
    root = Path(path)
    if not root.is_dir():
        raise ConfigError(f"{root}: no such directory (give the --out directory of "
                          "`callsim run`, `compare` or `sweep`)")
    if (root / "comparison.json").is_file():
        run = RunDir(root, "comparison", _read_json(root / "comparison.json"))
        if (root / "comparison.csv").is_file():
            run.differences = pd.read_csv(root / "comparison.csv")
        else:
            run.differences = pd.DataFrame(run.doc.get("differences", []))
        if (root / "summary.csv").is_file():
            run.design_summary = pd.read_csv(root / "summary.csv")
        if (root / "comparison.png").is_file():
            run.extra_images["comparison_day"] = root / "comparison.png"
        return run
    if (root / "sweep.csv").is_file():
        doc = _read_json(root / "sweep.json") if (root / "sweep.json").is_file() else {}
        return RunDir(root, "sweep", doc, sweep_table=pd.read_csv(root / "sweep.csv"))
    if (root / "summary.json").is_file():
        run = RunDir(root, "run", _read_json(root / "summary.json"))
        if (root / "replications.csv").is_file():
            run.replications = pd.read_csv(root / "replications.csv", index_col=0)
        tables = _per_replication_tables(root, run.n_reps)
        if tables:
            run.intervals, run.agents = tables["intervals"], tables["agents"]
            run.per_replication = True
        else:
            for name in ("intervals", "agents"):
                p = root / f"{name}.csv"
                if p.is_file():
                    setattr(run, name, pd.read_csv(p).assign(replication=0))
        return run
    raise ConfigError(f"{root}: no callsim results here (expected summary.json, "
                      "comparison.json or sweep.csv, as written by `callsim run/compare/"
                      "sweep --out`)")


# ------------------------------------------------------------------------ figures


@dataclass
class ReportFigure:
    """A figure of a report: file stem, caption and the figure itself."""

    name: str
    caption: str
    figure: Figure


def _kpi_table(doc: Mapping[str, Any]) -> pd.DataFrame:
    kpis = doc.get("kpis", {})
    df = pd.DataFrame.from_dict(kpis, orient="index", dtype=float)
    df.index.name = "kpi"
    return df


def _try(out: list[ReportFigure], name: str, caption: str, make: Callable[[], Figure]) -> None:
    """Add a figure; data that does not support it (e.g. no such column) is skipped."""
    with contextlib.suppress(ValueError, KeyError, TypeError):
        out.append(ReportFigure(name, caption, make()))


def figures(run: RunDir) -> list[ReportFigure]:
    """The figures that apply to *run*, in report order."""
    out: list[ReportFigure] = []
    if run.n_reps <= 1:
        band = "One replication, so no confidence band."
    elif run.per_replication:
        band = "Bands: 95 % confidence interval of the mean across replications."
    else:
        band = ("Interval means across replications (no per-replication tables in the "
                "directory, so no confidence band).")
    if run.kind == "run" and run.intervals is not None:
        iv = run.intervals
        _try(out, "waiting_calls", "Calls waiting in each queue over the day "
             "(time-average per interval). " + band, lambda: plots.waiting_calls(iv))
        _try(out, "day_by_interval", "Offered calls, answer rate and ASA by the interval "
             "calls arrived in. " + band, lambda: plots.interval_overview(iv))
        _try(out, "answer_rate_heatmap", "Answer rate by interval and queue; red cells are "
             "where callers are lost.", lambda: plots.answer_rate_heatmap(iv))
    if run.kind == "run" and run.agents is not None:
        ag = run.agents
        _try(out, "agents_by_pool", "Staffed (dashed) vs busy (solid) agents per pool; "
             "the gap is idle time. " + band, lambda: plots.agents_by_pool(ag))
    if run.kind == "run" and run.replications is not None and len(run.replications) > 2:
        reps = run.replications
        _try(out, "ci_answer_rate", "The answer-rate estimate as replications are added: "
             "the confidence interval narrows like 1/sqrt(n).",
             lambda: plots.ci_convergence(reps, "answer_rate"))
    if run.kind == "comparison" and run.differences is not None:
        diffs = run.differences
        _try(out, "forest", "Each KPI's paired difference from the reference design with "
             "its 95 % CI, as % of the reference's mean. Filled: the CI excludes 0.",
             lambda: plots.forest(diffs))
    if run.kind == "sweep" and run.sweep_table is not None:
        table = run.sweep_table
        grid = list(run.doc.get("grid", {}))
        param = grid[0] if grid else None
        for k in SWEEP_KPIS:
            if k in set(table["kpi"]):
                name = plots.kpi_name(k)
                _try(out, f"sweep_{k}", f"{name[:1].upper()}{name[1:]} at each grid "
                     "point, with its 95 % CI band.",
                     functools.partial(plots.sweep_kpi, table, k, param))
    return out


def write_pngs(run: RunDir, out: str | Path | None = None, dpi: int = 110) -> list[Path]:
    """Write each figure of *run* as ``NAME.png`` into *out* (default: beside the results)."""
    dest = Path(out) if out is not None else run.path
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in figures(run):
        paths.append(plots.save(f.figure, dest / f"{f.name}.png", dpi=dpi))
    return paths


# ------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1100px;padding:1.5rem 2rem;color:#1d2430;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;
border-bottom:1px solid #d5dae1;padding-bottom:.2rem}h3{font-size:1.05rem}
.sub{color:#5a6472;margin-top:0}table{border-collapse:collapse;margin:.6rem 0;
font-size:.9rem}th,td{padding:.25rem .7rem;border-bottom:1px solid #e3e7ec;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f3f5f8}
td.kpi{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
table.run td:nth-child(2){text-align:left;color:#5a6472}
figure{margin:1.2rem 0}img{max-width:100%;height:auto;border:1px solid #e3e7ec}
figcaption{color:#5a6472;font-size:.9rem}.better{color:#1a7f37;font-weight:600}
.worse{color:#c0392b;font-weight:600}.neutral{color:#5a6472}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{color:#5a6472}
dd{margin:0}footer{margin-top:2.5rem;color:#8a93a0;font-size:.8rem}
@media print{figure{break-inside:avoid}}
"""


def _num(x: Any) -> float:
    """*x* as a float (NaN for missing values)."""
    try:
        return math.nan if x is None else float(x)
    except (TypeError, ValueError):
        return math.nan


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _png(fig: Figure, dpi: int = 100) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _table(header: Iterable[str], rows: Iterable[Iterable[str]], cls: str = "",
           first_kpi: bool = True) -> str:
    """An HTML table; *header* and *rows* are HTML already (escape text with :func:`_e`)."""
    out = [f'<table class="{cls}">' if cls else "<table>", "<thead><tr>"]
    out += [f"<th>{h}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = list(row)
        out.append("<tr>")
        for i, c in enumerate(cells):
            klass = ' class="kpi"' if i == 0 and first_kpi else ""
            out.append(f"<td{klass}>{c}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _ci(name: str, lo: float, hi: float) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    return f"{_e(fmt(name, lo))} … {_e(fmt(name, hi))}"


def _kpi_rows(s: pd.DataFrame, names: Iterable[str], label: Callable[[str], str] = str
              ) -> list[list[str]]:
    rows = []
    for k in names:
        mean, hw, lo, hi, n = (_num(s.at[k, c]) for c in
                               ("mean", "half_width", "ci_low", "ci_high", "n"))
        rows.append([f'<span id="kpi-{_e(k)}">{_e(label(k))}</span>',
                     _e(plots.kpi_name(k)), _e(fmt(k, mean)), _e(fmt_hw(k, hw)), _ci(k, lo, hi),
                     _e(int(n) if math.isfinite(n) else "")])
    return rows


def _scenario_section(run: RunDir) -> str:
    d = run.doc
    facts: list[tuple[str, str]] = [
        ("scenario", str(d.get("scenario", "?"))), ("root seed", str(d.get("seed", "?"))),
        ("replications", str(run.n_reps)),
        ("confidence level", f"{100 * _num(d.get('level', 0.95)):g} %")]
    iv = run.intervals
    if iv is not None and len(iv):
        clocks = list(dict.fromkeys(iv["clock"].astype(str)))
        starts = sorted(set(iv["start"].astype(float)))
        step = (starts[1] - starts[0]) if len(starts) > 1 else float("nan")
        facts.append(("horizon", f"{clocks[0]} to the end of {clocks[-1]} "
                                 f"({len(starts)} intervals of {step / 60:g} min)"))
        types = [t for t in dict.fromkeys(iv["call_type"].astype(str)) if t != "all"]
        facts.append(("call types (queues)", ", ".join(types)))
    ag = run.agents
    if ag is not None and len(ag):
        peak = ag.groupby(["pool", "start"], sort=False)["staffed"].mean().groupby(
            level=0, sort=False).max()
        facts.append(("agent pools (peak staffed)",
                      ", ".join(f"{p} ({v:.0f})" for p, v in peak.items())))
    stop = d.get("meta", {}).get("stopping") if isinstance(d.get("meta"), dict) else None
    if isinstance(stop, dict) and stop.get("message"):
        facts.append(("stopping", str(stop["message"])))
    body = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    return f'<section id="scenario"><h2>Scenario</h2><dl>{body}</dl></section>'


def _run_sections(run: RunDir) -> str:
    s = _kpi_table(run.doc)
    header = ["KPI", "what it is", "mean", "± half-width", "95&nbsp;% CI", "n"]
    overall = ordered_kpis(s)
    parts = ['<section id="kpis"><h2>Key performance indicators</h2>',
             '<p class="sub">Over the measurement window, mean across replications with '
             "the Student-t confidence interval.</p>",
             _table(header, _kpi_rows(s, overall), "kpis run")]
    for prefix, title, cols in (
            ("type", "By call type", ("offered", "answer_rate", "asa", "sl_20", "abandoned")),
            ("pool", "By agent pool", ("answered", "asa", "mean_staffed", "mean_busy",
                                        "occupancy"))):
        groups = list(dict.fromkeys(str(k).split(".")[1] for k in s.index
                                    if str(k).startswith(prefix + ".")))
        present = [c for c in cols if any(f"{prefix}.{g}.{c}" in s.index for g in groups)]
        if not groups or not present:
            continue
        rows = []
        for g in groups:
            row = [_e(g)]
            for c in present:
                k = f"{prefix}.{g}.{c}"
                if k in s.index:
                    row.append(f"{_e(fmt(c, _num(s.at[k, 'mean'])))} "
                               f"<small>{_e(fmt_hw(c, _num(s.at[k, 'half_width'])))}</small>")
                else:
                    row.append("")
            rows.append(row)
        parts.append(f"<h3>{_e(title)}</h3>")
        parts.append(_table([_e(prefix.replace("type", "call type")),
                             *map(_e, present)], rows))
    parts.append("</section>")
    return "".join(parts)


def _comparison_sections(run: RunDir) -> str:
    d = run.differences if run.differences is not None else pd.DataFrame()
    designs = list(run.doc.get("designs", {}))
    reference = str(run.doc.get("reference", designs[0] if designs else "?"))
    others = [x for x in designs if x != reference]
    per = {name: pd.DataFrame.from_dict(v, orient="index", dtype=float)
           for name, v in run.doc.get("designs", {}).items()}
    overall = d[d["kpi"].astype(str).map(lambda k: "." not in k)] if len(d) else d
    kpis = list(dict.fromkeys(overall["kpi"].astype(str))) if len(overall) else (
        list(per[reference].index) if reference in per else [])
    parts = ['<section id="scenario"><h2>Designs</h2><dl>',
             f"<dt>reference</dt><dd>{_e(reference)}</dd>",
             f"<dt>compared</dt><dd>{_e(', '.join(others))}</dd>",
             f"<dt>root seed</dt><dd>{_e(run.doc.get('seed', '?'))}</dd>",
             f"<dt>paired replications</dt><dd>{run.n_reps}</dd>",
             "<dt>method</dt><dd>every design sees the same callers (common random "
             "numbers); a difference is estimated from paired replications</dd></dl>"
             "</section>"]
    header = ["KPI", *[_e(f"{x} (mean ± hw)") for x in designs]]
    for x in others:
        header += [_e(f"Δ {x} − {reference} (95 % CI)"), "p", "verdict"]
    rows = []
    for k in kpis:
        row = [f'<span id="kpi-{_e(k)}" title="{_e(plots.kpi_name(k))}">{_e(k)}</span>']
        for name in designs:
            s = per.get(name)
            if s is not None and k in s.index:
                row.append(_e(f"{fmt(k, _num(s.at[k, 'mean']))} "
                              f"{fmt_hw(k, _num(s.at[k, 'half_width']))}".strip()))
            else:
                row.append("")
        for name in others:
            r = overall[(overall["design"] == name) & (overall["kpi"] == k)]
            if r.empty:
                row += ["", "", ""]
                continue
            x = r.iloc[0]
            diff, hw = _num(x["difference"]), _num(x["half_width"])
            sig = bool(x["significant"]) if not pd.isna(x["significant"]) else False
            text = verdict(k, diff, hw, sig)
            klass = {"better": "better", "worse": "worse"}.get(text, "neutral")
            p = _num(x["p_value"])
            hw_text = (f" ± {plots.signed_difference(k, hw)[1:]}" if math.isfinite(hw)
                       else "")
            row += [_e(plots.signed_difference(k, diff) + hw_text),
                    _e(f"{p:.3g}" if math.isfinite(p) else "–"),
                    f'<span class="{klass}">{_e(text)}</span>']
        rows.append(row)
    parts += ['<section id="kpis"><h2>KPIs and verdicts</h2>',
              '<p class="sub">Verdict: better/worse for callers when the 95 % CI of the '
              "paired difference excludes 0 (higher/lower for volumes and occupancy); "
              "otherwise no significant difference.</p>",
              _table(header, rows, "kpis"), "</section>"]
    return "".join(parts)


def _sweep_sections(run: RunDir) -> str:
    t = run.sweep_table if run.sweep_table is not None else pd.DataFrame()
    grid = list(run.doc.get("grid", {})) or [c for c in t.columns if c not in (
        "point", "kpi", "mean", "half_width", "ci_low", "ci_high", "n")]
    facts = "".join(f"<dt>{_e(p)}</dt><dd>{_e(', '.join(map(str, v)))}</dd>"
                    for p, v in run.doc.get("grid", {}).items())
    parts = ['<section id="scenario"><h2>Sweep</h2><dl>',
             f"<dt>scenario</dt><dd>{_e(run.doc.get('scenario', '?'))}</dd>",
             f"<dt>root seed</dt><dd>{_e(run.doc.get('seed', '?'))}</dd>", facts,
             f"<dt>replications per point</dt><dd>{run.n_reps}</dd></dl></section>"]
    kpis = list(dict.fromkeys(t["kpi"].astype(str))) if len(t) else []
    rows = []
    by = ["point"] if "point" in t else grid
    for _, g in t.groupby(by, sort=False):
        first = g.iloc[0]
        row = [_e(first[p]) for p in grid]
        for k in kpis:
            r = g[g["kpi"] == k]
            row.append(_e(f"{fmt(k, float(r['mean'].iloc[0]))} "
                          f"{fmt_hw(k, float(r['half_width'].iloc[0]))}".strip())
                       if len(r) else "")
        rows.append(row)
    header = [*map(_e, grid), *[f'<span id="kpi-{_e(k)}">{_e(k)}</span>' for k in kpis]]
    parts += ['<section id="kpis"><h2>KPIs at each grid point (mean ± 95 % half-width)</h2>',
              _table(header, rows, "kpis", first_kpi=False), "</section>"]
    return "".join(parts)


def render_html(run: RunDir, figs: list[ReportFigure] | None = None, dpi: int = 100) -> str:
    """The self-contained HTML document of *run* (figures made if not given)."""
    from callsim import __version__

    figs = figures(run) if figs is None else figs
    if run.kind == "comparison":
        body = _comparison_sections(run)
    elif run.kind == "sweep":
        body = _sweep_sections(run)
    else:
        body = _scenario_section(run) + _run_sections(run)
    fig_html = []
    for f in figs:
        fig_html.append(f'<figure id="fig-{_e(f.name)}"><img alt="{_e(f.caption)}" '
                        f'src="data:image/png;base64,{_png(f.figure, dpi)}">'
                        f"<figcaption>{_e(f.caption)}</figcaption></figure>")
    for name, p in run.extra_images.items():
        data = base64.b64encode(p.read_bytes()).decode("ascii")
        fig_html.append(f'<figure id="fig-{_e(name)}"><img alt="{_e(p.name)}" '
                        f'src="data:image/png;base64,{data}"><figcaption>{_e(p.name)}: the '
                        "day per design (answer rate and waiting calls by interval)."
                        "</figcaption></figure>")
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{_e(run.title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(run.title)}</h1><p class=\"sub\">callsim {__version__} · "
        f"results in {_e(run.path.resolve())} · written {when}</p></header>"
        f"{body}"
        f'<section id="figures"><h2>Figures</h2>{"".join(fig_html) or "<p>none</p>"}'
        "</section>"
        "<footer>A discrete-event simulation of call-centre routing; every figure is a "
        "mean over replications, with 95 % confidence intervals where shown.</footer>"
        "</body></html>\n"
    )


def write_report(path: str | Path, out: str | Path | None = None, dpi: int = 100) -> Path:
    """Read the results in *path* and write their HTML report to *out*
    (default ``path/report.html``)."""
    run = load_run_dir(path)
    dest = Path(out) if out is not None else run.path / "report.html"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(render_html(run, dpi=dpi), encoding="utf-8")
    return dest
