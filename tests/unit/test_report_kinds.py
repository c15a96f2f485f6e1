"""Every command's results open in `callsim report`, which leads with the finding (with its
CI), then the figures, then the full tables; the command prints the same finding first.

For each kind of folder (run, compare, sweep, staff, staff --budget, calibrate,
optimise-menu) the folder is made by the real command on a small scenario, the finding's
numbers are checked against the result files, the terminal's first lines against the
report, and the report is opened in a headless browser."""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from test_plan_run import SMALL
from test_report_html import SCENARIO, assert_self_contained, browser  # noqa: F401
from test_search import MENU, QUEUE

from callsim.errors import ConfigError
from callsim.io import reader
from callsim.io.reader import FolderKind, RunDir, load_run_dir, register_folder_kind
from callsim.ui import report
from callsim.ui.cli import main
from callsim.ui.report.base import RENDERERS, Renderer, ReportFigure

KINDS = ["run", "compare", "sweep", "staff", "redeploy", "calibrate", "optimise-menu"]
NUMBER = r"(-?[\d,]+(?:\.\d+)?)"


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(copy.deepcopy(data), sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[str]]]:
    """Each kind's folder, made by its command, and the command's standard output lines."""
    root = tmp_path_factory.mktemp("kinds")
    a = _write(root / "a.yaml", SCENARIO)
    b = _write(root / "b.yaml", {**SCENARIO, "name": "report-test-7", "pools": {
        "desk": {"skills": ["general", "tax"], "staffing": 7}}})
    small = _write(root / "small.yaml", SMALL)
    q = _write(root / "queue.yaml", QUEUE)
    m = _write(root / "menu.yaml", MENU)
    commands: dict[str, tuple[list[str], Path]] = {
        "run": (["run", str(a), "--reps", "3", "--seed", "1"], root / "run"),
        "compare": (["compare", str(a), str(b), "--reps", "3"], root / "cmp"),
        "sweep": (["sweep", str(a), "--set", "pools.desk.staffing=5,6,7", "--reps", "3"],
                  root / "sweep"),
        "staff": (["staff", str(small), "--target", "answer_rate>=0.85", "--reps", "4",
                   "--jobs", "1", "-o"], root / "staff"),
        "redeploy": (["staff", str(small), "--budget", "same", "--reps", "4", "--jobs", "1",
                      "-o"], root / "redeploy"),
        "calibrate": (["calibrate", str(q), "--target", "answer_rate=0.85±0.02", "--free",
                       "pools.p.staffing.shifts.*.agents*=0.7:1.5", "--reps", "2",
                       "--final-reps", "3", "--rounds", "2", "--report-dir",
                       str(root / "cal"), "-o", str(root / "cal.yaml")], root / "cal"),
        "optimise-menu": (["optimise-menu", str(m), "--objective", "min:ivr_time",
                           "--trials", "6", "--reps", "2", "--final-reps", "3",
                           "--finalists", "2", "-o"], root / "menu"),
    }
    out = {}
    for kind, (argv, folder) in commands.items():
        if argv[0] in ("run", "compare", "sweep"):
            argv = [*argv, "--out"]
        if argv[-1] in ("-o", "--out"):
            argv = [*argv, str(folder)]
        stdout = root / f"{kind}.out"
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main([*argv, "--quiet"]) == 0, kind
        stdout.write_text(buf.getvalue(), encoding="utf-8")
        out[kind] = (folder, buf.getvalue().splitlines())
    return out


def num(text: str) -> float:
    return float(text.replace(",", ""))


def close(text: str, value: float, share: bool = False) -> None:
    """*text* (as the sentence shows it) is *value* rounded as the registry formats it."""
    shown = num(text)
    v = 100 * value if share else value
    step = 0.005 if share or abs(v) < 100 else 0.5
    if "." in text and not share and abs(v) >= 100:
        step = 0.05
    assert abs(shown - v) <= step + 1e-9, (text, value)


@pytest.mark.parametrize("kind", KINDS)
def test_the_command_prints_the_reports_finding_first(
        made: dict[str, tuple[Path, list[str]]], kind: str) -> None:
    folder, lines = made[kind]
    run = load_run_dir(folder)
    assert run.kind == ("staff" if kind == "redeploy" else kind)
    sentences = report.findings_of(run)
    assert sentences and all(s.endswith(".") for s in sentences)
    assert lines[:len(sentences)] == sentences
    assert all("95 % CI" in s or "CI bound" in s for s in sentences[:1])


def _finding(made: dict[str, tuple[Path, list[str]]], kind: str) -> tuple[Path, str]:
    folder, _ = made[kind]
    return folder, " ".join(report.findings_of(load_run_dir(folder)))


def test_run_finding_numbers(made: dict[str, tuple[Path, list[str]]]) -> None:
    folder, text = _finding(made, "run")
    k = json.loads((folder / "summary.json").read_text())["kpis"]
    m = re.search(rf"answered calls {NUMBER} in the 3 h measured \(95 % CI {NUMBER} to "
                  rf"{NUMBER}\)", text)
    assert m, text
    for got, col in zip(m.groups(), ("mean", "ci_low", "ci_high"), strict=True):
        close(got, k["answered"][col])
    m = re.search(rf"answer rate {NUMBER} % \(95 % CI {NUMBER} % to {NUMBER} %\)", text)
    assert m, text
    for got, col in zip(m.groups(), ("mean", "ci_low", "ci_high"), strict=True):
        close(got, k["answer_rate"][col], share=True)
    assert text.startswith("report-test (3 replications, seed 1)")


def test_compare_finding_numbers(made: dict[str, tuple[Path, list[str]]]) -> None:
    folder, text = _finding(made, "compare")
    d = pd.read_csv(folder / "comparison.csv").set_index("kpi")
    ans, rate = d.loc["answered"], d.loc["answer_rate"]
    assert bool(ans["significant"]) and ans["difference"] > 0
    m = re.search(rf"{NUMBER} more answered calls in the 3 h measured \(95 % CI {NUMBER} to "
                  rf"{NUMBER}\)", text)
    assert m, text
    for got, col in zip(m.groups(), ("difference", "ci_low", "ci_high"), strict=True):
        close(got, float(ans[col]))
    m = re.search(rf"the answer rate rises {NUMBER} points \(95 % CI {NUMBER} to {NUMBER}\)",
                  text)
    assert m, text
    for got, col in zip(m.groups(), ("difference", "ci_low", "ci_high"), strict=True):
        close(got, float(rate[col]), share=True)
    assert text.startswith("report-test-7 vs report-test (3 paired replications")


def test_sweep_finding_numbers(made: dict[str, tuple[Path, list[str]]]) -> None:
    folder, text = _finding(made, "sweep")
    t = pd.read_csv(folder / "sweep.csv")
    rate = t[t["kpi"] == "answer_rate"].set_index("pools.desk.staffing")
    m = re.search(rf"the answer rate from {NUMBER} % \(95 % CI {NUMBER} % to {NUMBER} %\) to "
                  rf"{NUMBER} % \(95 % CI {NUMBER} % to {NUMBER} %\)", text)
    assert m, text
    got = m.groups()
    for i, col in enumerate(("mean", "ci_low", "ci_high")):
        close(got[i], float(rate.at[5, col]), share=True)
        close(got[3 + i], float(rate.at[7, col]), share=True)
    assert "from pools.desk.staffing = 5 to 7" in text


def test_staff_finding_numbers(made: dict[str, tuple[Path, list[str]]]) -> None:
    folder, text = _finding(made, "staff")
    plan = json.loads((folder / "plan.json").read_text())
    hours = plan["agent_hours"]["total"]
    m = re.search(rf"schedules {NUMBER} agent-hours a day \(\+{NUMBER} vs today's {NUMBER}\)",
                  text)
    assert m, text
    close(m.group(1), hours["planned"])
    close(m.group(2), hours["planned"] - hours["today"])
    close(m.group(3), hours["today"])
    assert plan["verified"] and "meets every target (answer_rate>=0.85) in all 8 judged" in text
    ver = pd.read_csv(folder / "verification.csv")
    tight = ver.loc[(ver["ci_low"] - ver["target_value"]).idxmin()]
    m = re.search(rf"Tightest slot for answer_rate>=0.85: (\d\d:\d\d) .*?answer rate {NUMBER} % "
                  rf"\(95 % CI {NUMBER} % to {NUMBER} %\)", text)
    assert m, text
    assert m.group(1) == tight["clock"]
    for got, col in zip(m.groups()[1:], ("mean", "ci_low", "ci_high"), strict=True):
        close(got, float(tight[col]), share=True)


def test_redeploy_finding_numbers(made: dict[str, tuple[Path, list[str]]]) -> None:
    folder, text = _finding(made, "redeploy")
    red = json.loads((folder / "plan.json").read_text())["redeploy"]
    rows = {r["kpi"]: r for r in red["differences"]}
    rate = rows["answer_rate"]
    assert rate["significant"], rate
    m = re.search(rf"the answer rate (rises|falls) {NUMBER} points \(95 % CI {NUMBER} to "
                  rf"{NUMBER}\)", text)
    assert m, text
    assert (m.group(1) == "rises") == (rate["difference"] > 0)
    close(m.group(2), abs(rate["difference"]), share=True)
    close(m.group(3), rate["ci_low"], share=True)
    close(m.group(4), rate["ci_high"], share=True)
    assert text.startswith(f"Reshaping {sum(red['budget_hours'].values()):,.1f} agent-hours")
    # the objective leads
    assert text.index("the answer rate") < text.index("answered calls")


def test_calibrate_finding_numbers(made: dict[str, tuple[Path, list[str]]]) -> None:
    folder, text = _finding(made, "calibrate")
    res = pd.read_csv(folder / "residuals.csv").iloc[0]
    within = int(pd.read_csv(folder / "residuals.csv")["within"].sum())
    assert f"matches {within} of 1 reported figures" in text
    m = re.search(rf"answer rate {NUMBER} % \(95 % CI {NUMBER} % to {NUMBER} %\) vs "
                  rf"{NUMBER} % ± {NUMBER} % reported", text)
    assert m, text
    fitted, hw = float(res["fitted"]), float(res["fitted_hw"])
    for got, v in zip(m.groups(), (fitted, fitted - hw, fitted + hw, 0.85, 0.02), strict=True):
        close(got, v, share=True)
    params = pd.read_csv(folder / "parameters.csv").iloc[0]
    m = re.search(r"agents\* = ([\d.]+) \(range ([\d.]+) to ([\d.]+)\)", text)
    assert m, text
    for got, col in zip(m.groups(), ("fitted", "range_low", "range_high"), strict=True):
        assert abs(float(got) - float(params[col])) <= 1e-4 * max(1, abs(float(params[col])))


def test_menu_finding_numbers(made: dict[str, tuple[Path, list[str]]]) -> None:
    folder, text = _finding(made, "optimise-menu")
    sel = pd.read_csv(folder / "selection.csv")
    best = str(sel.iloc[0]["design"])
    doc = json.loads((folder / "menu_search.json").read_text())
    assert doc["best"] == best != "input"
    row = pd.read_csv(folder / "kpis.csv").set_index(["design", "kpi"]).loc[(best, "ivr_time")]
    m = re.search(rf"The best menu, {best} \((.*?)\), vs the input menu .*?the time in the "
                  rf"menu falls {NUMBER} s \(95 % CI {NUMBER} s to {NUMBER} s\)", text)
    assert m, text
    assert m.group(1) == doc["layouts"][best]
    for got, v in zip(m.groups()[1:], (-row["difference"], row["ci_low"], row["ci_high"]),
                      strict=True):
        assert abs(num(got) - v) <= 0.05 + 1e-9, (got, v)


@pytest.fixture(scope="module")
def pages(made: dict[str, tuple[Path, list[str]]]) -> dict[str, tuple[Path, str]]:
    out = {}
    for kind, (folder, _) in made.items():
        assert main(["report", str(folder)]) == 0
        dest = folder / "report.html"
        out[kind] = (dest, dest.read_text(encoding="utf-8"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_report_leads_with_the_finding_then_figures_then_tables(
        made: dict[str, tuple[Path, list[str]]], pages: dict[str, tuple[Path, str]],
        kind: str) -> None:
    folder, _ = made[kind]
    _, text = pages[kind]
    assert_self_contained(text)
    where = [text.index(f'<section id="{s}">') for s in ("finding", "figures", "tables")]
    assert where == sorted(where)
    shown = [html.unescape(s) for s in re.findall(r'<p class="finding">(.*?)</p>', text)]
    run = load_run_dir(folder)
    assert shown == report.findings_of(run)
    figs = report.figures(run)
    assert figs, kind
    for f in figs:
        assert f'id="fig-{f.name}"' in text
    assert text.count("<img ") == len(figs) + len(run.extra_images)
    assert text.count("<table") >= (1 if kind == "sweep" else 2)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_plot_writes_every_kinds_figures(made: dict[str, tuple[Path, list[str]]], kind: str,
                                         tmp_path: Path) -> None:
    folder, _ = made[kind]
    assert main(["plot", str(folder), "-o", str(tmp_path), "--dpi", "50"]) == 0
    names = sorted(p.stem for p in tmp_path.glob("*.png"))
    assert names == sorted(f.name for f in report.figures(load_run_dir(folder)))


def test_shipped_planning_records_render() -> None:
    """The calibration and the menu search shipped with the 120 scenarios open too."""
    root = Path(__file__).resolve().parents[2] / "configs" / "seoul120"
    cal = load_run_dir(root / "calibration")
    assert cal.kind == "calibrate"
    text = report.findings_of(cal)[0]
    assert "matches 4 of 4 reported figures within tolerance (40 fresh replications" in text
    menu = load_run_dir(root / "menu_search")
    assert menu.kind == "optimise-menu"
    assert report.findings_of(menu)[0].startswith("The best menu, L1 (0 covid | 1 district")
    for run in (cal, menu):
        assert "<section id=\"finding\">" in report.render_html(run, figs=[])


def test_a_new_kind_is_a_folder_kind_and_a_renderer(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The extension point of /work/notes/REPORT.md: a marker JSON, a FolderKind, a
    Renderer."""
    monkeypatch.setattr(reader, "FOLDER_KINDS", dict(reader.FOLDER_KINDS))
    monkeypatch.setitem(RENDERERS, "toy", RENDERERS["run"])  # replaced below
    register_folder_kind(FolderKind("toy", "toy.json", "callsim toy -o DIR", "toy results",
                                    tables=("toy.csv",)))

    def findings(run: RunDir) -> list[str]:
        t = run.tables["toy"]
        return [f"{len(t)} rows, mean {t['x'].mean():g} (95 % CI 1 to 3)."]

    def figures(run: RunDir) -> list[ReportFigure]:
        from matplotlib.figure import Figure
        fig = Figure()
        fig.add_subplot().plot(run.tables["toy"]["x"])
        return [ReportFigure("toy", "the toy", fig)]

    def tables(run: RunDir) -> str:
        return "<table><tr><td>toy</td></tr></table>"

    report.register(Renderer("toy", findings, figures, tables))
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "toy.json").write_text(json.dumps({"kind": "toy", "scenario": "t"}))
    pd.DataFrame({"x": [1, 2, 3]}).to_csv(folder / "toy.csv", index=False)
    run = load_run_dir(folder)
    assert run.kind == "toy" and run.title == "t: toy results"
    assert report.findings_of(run) == ["3 rows, mean 2 (95 % CI 1 to 3)."]
    assert main(["report", str(folder)]) == 0
    page = (folder / "report.html").read_text()
    assert "3 rows, mean 2" in page and 'id="fig-toy"' in page


def test_unknown_folder_names_every_kind(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_run_dir(tmp_path)
    for marker in ("summary.json", "plan.json", "calibration.json", "menu_search.json"):
        assert marker in str(err.value)


@pytest.mark.browser
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_opens_in_a_browser(browser: Any, made: dict[str, tuple[Path, list[str]]],  # noqa: F811
                                       pages: dict[str, tuple[Path, str]], kind: str) -> None:
    dest, _ = pages[kind]
    browser.get(dest.resolve().as_uri())
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, "
        "i.naturalHeight])")
    run = load_run_dir(made[kind][0])
    assert len(images) == len(report.figures(run)) + len(run.extra_images)
    for alt, complete, width, height in images:
        assert complete and width > 0 and height > 0, f"figure not loaded: {alt}"
    severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not severe, severe
    assert browser.title == run.title
    first = browser.execute_script(
        "return document.querySelector('section#finding p.finding').textContent")
    assert first == report.findings_of(run)[0]
