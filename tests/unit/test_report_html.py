"""`callsim plot` and `callsim report` (issue 5, item 2): PNGs beside the results and one
self-contained HTML report that a real browser opens with every figure loaded."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from callsim.errors import ConfigError
from callsim.results import kpis as registry
from callsim.ui import report
from callsim.ui.cli import main

SCENARIO: dict[str, Any] = {
    "name": "report-test",
    "horizon": {"start": "08:00", "length": "3h", "interval": "30min"},
    "call_types": {
        "general": {"handle_time": {"dist": "exponential", "mean": 150},
                    "patience": {"dist": "exponential", "mean": 90}},
        "tax": {"handle_time": {"dist": "exponential", "mean": 240},
                "patience": {"dist": "exponential", "mean": 120}},
    },
    "arrivals": {"rate": 120, "mix": {"general": 0.7, "tax": 0.3}},
    "pools": {"desk": {"skills": ["general", "tax"], "staffing": 6}},
}
PNG = b"\x89PNG\r\n\x1a\n"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def cli(*argv: str) -> None:
    assert main(list(argv)) == 0


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("report")
    a = root / "a.yaml"
    a.write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
    b = root / "b.yaml"
    b.write_text(yaml.safe_dump({**SCENARIO, "name": "report-test-7",
                                 "pools": {"desk": {"skills": ["general", "tax"],
                                                    "staffing": 7}}}), encoding="utf-8")
    out = {"run": root / "run", "compare": root / "cmp", "sweep": root / "sweep"}
    cli("run", str(a), "--reps", "3", "--seed", "1", "--out", str(out["run"]), "--quiet")
    cli("compare", str(a), str(b), "--reps", "3", "--out", str(out["compare"]))
    cli("sweep", str(a), "--set", "pools.desk.staffing=5,6,7", "--reps", "3", "--out",
        str(out["sweep"]), "--quiet")
    return out


EXPECTED_FIGURES = {
    "run": ["waiting_calls", "day_by_interval", "answer_rate_heatmap", "agents_by_pool",
            "ci_answer_rate"],
    "compare": ["forest"],
    "sweep": ["sweep_answer_rate", "sweep_asa", "sweep_abandon_rate", "sweep_sl_20",
              "sweep_occupancy"],
}


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_load_and_figures(dirs: dict[str, Path], kind: str) -> None:
    run = report.load_run_dir(dirs[kind])
    assert run.kind == kind
    assert run.n_reps == 3
    names = [f.name for f in report.figures(run)]
    assert names == EXPECTED_FIGURES[kind]


def test_run_dir_bands_come_from_checkpointed_replications(dirs: dict[str, Path]) -> None:
    run = report.load_run_dir(dirs["run"])
    assert run.per_replication
    assert run.intervals is not None and sorted(run.intervals["replication"].unique()) == [0, 1,
                                                                                           2]
    # their mean is the intervals.csv the run wrote
    means = run.intervals.groupby(["call_type", "start"], sort=False)["offered"].mean()
    written = pd.read_csv(dirs["run"] / "intervals.csv").set_index(["call_type", "start"])
    pd.testing.assert_series_equal(means, written["offered"], check_names=False)
    # without reps/ the figures still come, from the means
    bare = dirs["run"].parent / "bare"
    bare.mkdir()
    for name in ("summary.json", "replications.csv", "intervals.csv", "agents.csv"):
        shutil.copy(dirs["run"] / name, bare / name)
    run = report.load_run_dir(bare)
    assert not run.per_replication
    assert [f.name for f in report.figures(run)] == EXPECTED_FIGURES["run"]


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_plot_command_writes_pngs_beside_results(dirs: dict[str, Path], kind: str,
                                                 tmp_path: Path) -> None:
    out = tmp_path / kind
    cli("plot", str(dirs[kind]), "-o", str(out), "--dpi", "60")
    written = sorted(p.stem for p in out.glob("*.png"))
    assert written == sorted(EXPECTED_FIGURES[kind])
    for p in out.glob("*.png"):
        assert p.read_bytes()[:8] == PNG


def test_plot_default_is_the_run_dir(dirs: dict[str, Path]) -> None:
    cli("plot", str(dirs["compare"]))
    assert (dirs["compare"] / "forest.png").read_bytes()[:8] == PNG


def test_bad_directories_are_usage_errors(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plot", str(tmp_path / "missing")]) == 2
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no such directory" in err and "no callsim results here" in err
    with pytest.raises(ConfigError):
        report.load_run_dir(tmp_path)


@pytest.fixture(scope="module")
def reports(dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, tuple[Path, str]]:
    """Each directory's report, written once by `callsim report -o`."""
    root = tmp_path_factory.mktemp("html")
    out = {}
    for kind, d in dirs.items():
        dest = root / f"{kind}.html"
        cli("report", str(d), "-o", str(dest))
        out[kind] = (dest, dest.read_text(encoding="utf-8"))
    return out


def assert_self_contained(text: str) -> None:
    assert text.startswith("<!DOCTYPE html>")
    srcs = re.findall(r'\b(?:src|href)="([^"]*)"', text)
    assert srcs and all(s.startswith("data:") for s in srcs), srcs
    assert "<script" not in text
    assert not re.search(r"url\(|@import", text)


def test_run_report_has_every_kpi_and_figure(dirs: dict[str, Path],
                                             reports: dict[str, tuple[Path, str]]) -> None:
    _, text = reports["run"]
    assert_self_contained(text)
    summary = json.loads((dirs["run"] / "summary.json").read_text(encoding="utf-8"))
    overall = [k for k in summary["kpis"] if "." not in k and k != "unfinished"]
    assert len(overall) > 20
    for k in overall:
        assert f'id="kpi-{k}"' in text, k
    assert text.count('<img alt="') == len(EXPECTED_FIGURES["run"])
    for name in EXPECTED_FIGURES["run"]:
        assert f'id="fig-{name}"' in text
    assert text.count("data:image/png;base64,") == len(EXPECTED_FIGURES["run"])
    for fact in ("report-test", "d1 08:00", "general, tax", "desk (6)", "95&nbsp;% CI"):
        assert fact in text, fact
    assert "By call type" in text and "By agent pool" in text


def test_comparison_report_has_a_verdict_per_kpi(dirs: dict[str, Path],
                                                 reports: dict[str, tuple[Path, str]]) -> None:
    _, text = reports["compare"]
    assert_self_contained(text)
    diffs = pd.read_csv(dirs["compare"] / "comparison.csv")
    overall = [k for k in diffs["kpi"] if "." not in k]
    for k in overall:
        assert f'id="kpi-{k}"' in text, k
    verdicts = re.findall(r'<span class="(?:better|worse|neutral)">([^<]+)</span>', text)
    assert len(verdicts) == len(overall)
    # one more agent: answered calls go up, significantly
    row = diffs.set_index("kpi").loc["answered"]
    assert bool(row["significant"]) and row["difference"] > 0
    assert re.search(r'id="kpi-answered".*?<span class="better">better</span>', text)
    assert 'id="fig-forest"' in text and 'id="fig-comparison_day"' in text


def test_sweep_report(reports: dict[str, tuple[Path, str]]) -> None:
    _, text = reports["sweep"]
    assert_self_contained(text)
    assert 'id="kpi-answer_rate"' in text and "pools.desk.staffing" in text
    assert text.count("<img ") == len(EXPECTED_FIGURES["sweep"])


def test_default_report_path(dirs: dict[str, Path]) -> None:
    cli("report", str(dirs["compare"]))
    assert (dirs["compare"] / "report.html").is_file()


@pytest.mark.parametrize(("kpi", "diff", "hw", "sig", "word"), [
    ("answer_rate", 0.02, 0.01, True, "better"),
    ("asa", 3.0, 1.0, True, "worse"),
    ("asa", -3.0, 1.0, True, "better"),
    ("sl_20", -0.1, 0.02, True, "worse"),
    ("occupancy", 0.05, 0.01, True, "higher"),
    ("asa", 0.5, 1.0, False, "no significant difference"),
    ("arrivals", 0.0, 0.0, False, "identical"),
])
def test_verdicts(kpi: str, diff: float, hw: float, sig: bool, word: str) -> None:
    assert registry.verdict(kpi, diff, hw, sig) == word


# --------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven by Selenium; never downloads anything."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("the selenium package")
    if missing:
        why = (f"needs {', '.join(missing)} (apt-get install chromium chromium-driver; "
               "pip install -e .[test])")
        if in_ci:
            pytest.fail(f"CI must run the browser test: {why}")
        pytest.skip(why)
    opts = Options()
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1280,2000"):
        opts.add_argument(arg)
    opts.binary_location = str(CHROMIUM)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # an explicit driver path: Selenium Manager is never run (nothing is downloaded)
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_report_opens_in_a_browser(browser: Any, dirs: dict[str, Path], kind: str,
                                   reports: dict[str, tuple[Path, str]]) -> None:
    dest, _ = reports[kind]
    browser.get(dest.resolve().as_uri())
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.id || i.alt, i.complete, "
        "i.naturalWidth, i.naturalHeight])")
    expected = len(EXPECTED_FIGURES[kind]) + (kind == "compare")
    assert len(images) == expected
    for alt, complete, width, height in images:
        assert complete and width > 0 and height > 0, f"figure not loaded: {alt}"
    severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not severe, severe
    assert browser.title == report.load_run_dir(dirs[kind]).title
    tables = browser.execute_script("return document.querySelectorAll('table.kpis tr').length")
    assert tables > 3
