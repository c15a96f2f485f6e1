"""The KPI registry (issue 9): one place for every KPI's definition, unit, direction,
label and format, read by the terminal, the files, the figures and the HTML report."""

from __future__ import annotations

import html
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.table import Table

import callsim
from callsim.io.reader import load_run_dir
from callsim.results import kpis as registry
from callsim.results.counts import ratio
from callsim.results.kpi_format import axis_label, fmt, fmt_diff, fmt_hw, signed
from callsim.ui import plots, report
from callsim.ui.cli import main
from callsim.ui.tables import comparison_table, kpi_table

#: redials, transfers and referrals: the KPIs the old HTML report formatted as counts
SCENARIO: dict[str, Any] = {
    "name": "registry-test",
    "horizon": {"start": "08:00", "length": "4h", "interval": "60min"},
    "call_types": {
        "general": {"handle_time": {"dist": "exponential", "mean": 150},
                    "patience": {"dist": "exponential", "mean": 90},
                    "transfer_out": 0.05, "referral": 0.03},
        "tax": {"handle_time": {"dist": "exponential", "mean": 240},
                "patience": {"dist": "exponential", "mean": 120}},
    },
    "arrivals": {"rate": 140, "mix": {"general": 0.7, "tax": 0.3}},
    "pools": {"desk": {"skills": ["general", "tax"], "staffing": 6}},
    "redials": {"after_abandon": 0.5, "delay": 300, "max_attempts": 3},
    "kpis": {"service_levels": [20, 60]},
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("registry")
    a = root / "a.yaml"
    a.write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
    b = root / "b.yaml"
    b.write_text(yaml.safe_dump({**SCENARIO, "name": "registry-test-7", "pools": {
        "desk": {"skills": ["general", "tax"], "staffing": 7}}}), encoding="utf-8")
    return {"a": a, "b": b, "root": root}


def test_every_computed_kpi_is_in_the_registry(files: dict[str, Path]) -> None:
    res = callsim.simulate(files["a"], seed=1)
    names = list(res.flat_kpis())
    unknown = [k for k in names if registry.spec(k) is None]
    assert not unknown
    for k in names:
        spec = registry.spec(k)
        assert spec is not None and spec.label and spec.unit in (
            "calls", "share", "seconds", "waiting", "agents")
        assert spec.direction in (-1, 0, 1)
    # every overall KPI of a replication is in display order, families in place
    order = registry.ordered(res.kpis)
    assert order.index("asa") < order.index("sl_20") < order.index("sl_60") \
        < order.index("sla_20") < order.index("mean_wait")
    assert set(order) == set(res.kpis)


def test_patterns_and_labels() -> None:
    assert registry.label("sl_2_5") == "service level 2.5 s (of answered)"
    assert registry.label("sla_20") == "service level 20 s (of offered)"
    assert registry.label("wait_p90") == "wait, 90th percentile"
    assert registry.label("type.tax.answer_rate") == "tax calls: answer rate"
    assert registry.label("pool.desk.mean_staffed") == "pool desk: staffed agents (time-average)"
    assert registry.unit("type.tax.asa") == "seconds"
    assert registry.unit("pool.desk.occupancy") == "share"
    assert registry.spec("nope") is None and registry.spec("pool.desk.nope") is None
    assert registry.direction("fcr") == registry.HIGHER
    assert registry.direction("redial_share") == registry.LOWER
    assert registry.direction("pool.desk.answered") == registry.NEUTRAL  # not "better"


@pytest.mark.parametrize(("kpi", "value", "text"), [
    ("answer_rate", 0.7777, "77.77 %"),
    ("fcr", 0.8373, "83.73 %"),
    ("redial_share", 0.004, "0.40 %"),
    ("asa", 18.04, "18.0 s"),
    ("callback_delay", 61.2, "61.2 s"),
    ("arrivals", 37010.4, "37,010"),
    ("mean_queue", 4.333, "4.33"),
    ("pool.x.mean_busy", 12.345, "12.35"),
    ("sl_20", math.nan, "–"),
])
def test_one_format_per_unit(kpi: str, value: float, text: str) -> None:
    assert fmt(kpi, value) == text


def test_differences_of_shares_are_in_points() -> None:
    # the bug of issue 9: the HTML report showed fcr and redial_share differences as counts
    assert signed("fcr", 0.0003) == "+0.03 pp"
    assert fmt_diff("redial_share", 0.004, 0.001) == "+0.40 pp ± 0.10 pp"
    assert fmt_diff("asa", -0.7, 0.4) == "-0.7 s ± 0.4 s"
    assert fmt_diff("answered", 388.2, 106.1) == "+388 ± 106"
    assert fmt_diff("answered", 3.0, math.nan) == "+3.00"
    assert fmt_hw("answer_rate", 0.0043) == "± 0.43 %"
    assert axis_label("fcr") == ("first-contact resolution (%)", 100.0)
    assert axis_label("offered", " per interval") == ("offered calls (calls per interval)", 1.0)
    assert plots.is_rate("redial_share") and plots.is_seconds("callback_delay")


@pytest.mark.parametrize(("kpi", "diff", "hw", "sig", "word"), [
    ("fcr", 0.01, 0.002, True, "better"),
    ("redial_share", 0.01, 0.002, True, "worse"),
    ("caller_answer_rate", -0.02, 0.01, True, "worse"),
    ("type.tax.asa", -2.0, 1.0, True, "better"),
    ("pool.desk.answered", 20.0, 5.0, True, "higher"),
    ("asa", math.nan, math.nan, False, "not available"),
])
def test_verdict_follows_direction(kpi: str, diff: float, hw: float, sig: bool,
                                   word: str) -> None:
    assert registry.verdict(kpi, diff, hw, sig) == word


def test_optional_kpis_shown_when_they_apply() -> None:
    plain = {"redials": 0.0, "fcr": 1.0, "ivr_time": 0.0, "blocked": 0.0}
    assert not registry.shown("caller_answer_rate", [plain])
    assert not registry.shown("fcr", [plain]) and not registry.shown("ivr_time", [plain])
    assert registry.shown("answer_rate", [plain])  # not optional
    busy = {"redials": 12.0, "fcr": 0.97, "ivr_time": 30.0, "blocked": math.nan}
    assert registry.shown("caller_answer_rate", [plain, busy])
    assert registry.shown("fcr", [busy]) and registry.shown("ivr_time", [busy])
    assert not registry.shown("blocked", [busy])  # NaN is not a value
    assert registry.headline(["occupancy", "sl_60", "sl_20", "asa", "answer_rate"]) == [
        "answer_rate", "asa", "sl_20", "occupancy"]
    assert registry.brief(["sl_20", "sl_60", "arrivals", "p_wait"]) == ["arrivals", "sl_20"]


# ------------------------------------------------- the terminal and HTML agree


def _terminal_cells(table: Table) -> dict[str, list[str]]:
    """KPI → its difference cells, without the markup of significance."""
    cols = [list(c.cells) for c in table.columns]
    diff_cols = [i for i, c in enumerate(table.columns) if str(c.header).startswith("Δ ")]
    out = {}
    for r, kpi in enumerate(cols[0]):
        out[str(kpi)] = [re.sub(r" \*$", "", re.sub(r"\[/?(?:bold)?\]", "", str(cols[i][r])))
                         for i in diff_cols]
    return out


def _html_cells(text: str) -> dict[str, list[str]]:
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", text):
        kpi = re.search(r'id="kpi-([^"]+)"', row)
        if kpi:
            out[kpi.group(1)] = [html.unescape(c) for c in
                                 re.findall(r'<span class="diff">([^<]*)</span>', row)]
    return out


def test_html_comparison_shows_the_terminals_differences(files: dict[str, Path]) -> None:
    out = files["root"] / "cmp"
    assert main(["compare", str(files["a"]), str(files["b"]), "--reps", "4", "--seed", "2",
                 "--out", str(out), "--quiet"]) == 0
    comp = callsim.compare({"registry-test": files["a"], "registry-test-7": files["b"]},
                           reps=4, seed=2, progress=False)
    terminal = _terminal_cells(comparison_table(comp, all_kpis=True))
    page = _html_cells(report.render_html(load_run_dir(out), figs=[]))
    assert {"fcr", "redial_share", "answer_rate", "asa", "sl_20"} <= set(terminal)
    assert set(terminal) == set(page)  # every overall KPI in both
    for kpi, cells in terminal.items():
        assert cells == page[kpi], kpi
    # the two KPIs the old report got wrong, in percentage points in both
    assert terminal["fcr"][0].endswith("pp") and terminal["redial_share"][0].endswith("pp")
    # the brief terminal table shows them too: this scenario has redials and transfers
    brief = _terminal_cells(comparison_table(comp))
    assert {"fcr", "caller_answer_rate", "redials"} <= set(brief)
    assert all(brief[k] == terminal[k] for k in brief)


# ------------------------------------------------------------- adding a KPI


def test_a_new_kpi_is_one_registry_entry(files: dict[str, Path], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    new = registry.Kpi("answered_per_arrival", "answered per arrival", "share",
                       registry.HIGHER, lambda c: ratio(c.answered, c.arrivals), brief=True)
    monkeypatch.setattr(registry, "KPIS", (*registry.KPIS, new))
    res = callsim.simulate(files["a"], seed=3)
    assert res.kpis["answered_per_arrival"] == pytest.approx(
        res.kpis["answered"] / res.kpis["arrivals"])
    assert "answered_per_arrival" in res.by_call_type and "answered_per_arrival" in res.clock
    out = tmp_path / "run"
    batch = callsim.run_batch(files["a"], reps=2, seed=3, out=out, progress=False)
    rows = {str(c) for c in kpi_table(batch).columns[0].cells}
    assert "answered_per_arrival" in rows
    mean = batch.summary.at["answered_per_arrival", "mean"]
    assert fmt("answered_per_arrival", mean).endswith(" %")
    page = report.render_html(load_run_dir(out), figs=[])
    assert 'id="kpi-answered_per_arrival"' in page and "answered per arrival" in page
    assert plots.kpi_label("answered_per_arrival") == ("answered per arrival (%)", 100.0)
    assert registry.verdict("answered_per_arrival", 0.1, 0.01, True) == "better"
