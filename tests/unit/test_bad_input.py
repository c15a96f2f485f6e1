"""The corpus of bad input (issue 10): every case is a clean refusal or a correct run.

``tests/fixtures/bad/*.yaml`` keeps one file per case found by trying callsim as a new
user would (each file says in its first line what is wrong). A *refused* file gives exit
code 2 from ``callsim validate`` and ``callsim run``, one message naming the file and the
field, and no traceback; a *warning* file runs, prints a warning naming the field, and
``validate --strict`` refuses it. Bad command-line values are listed here too.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import two_types

from callsim.config import load_scenario
from callsim.ui.cli import main

BAD = Path(__file__).resolve().parents[1] / "fixtures" / "bad"
TINY = Path(__file__).resolve().parents[2] / "configs" / "examples" / "mmc_tiny.yaml"

#: file -> substrings of the message (field path, value, what is allowed)
REFUSED: dict[str, list[str]] = {
    "nested_lists_5000.yaml": ["line 2", "nesting deeper than 50 levels"],
    "nested_mappings_3000.yaml": ["line 2", "nesting deeper than 50 levels"],
    "rate_1e9.yaml": ["arrivals", "2,000,000,000 calls per replication", "limit 50,000,000",
                      "--allow-large"],
    "daily_volume_1e9.yaml": ["arrivals", "83,333,333 calls", "--allow-large"],
    "staffing_1e30.yaml": ["pools.p1.staffing.agents", "1e+30", "too large"],
    "agents_1e12.yaml": ["pools.p1.staffing", "agents at the peak", "limit 100,000",
                         "--allow-large"],
    "length_true.yaml": ["horizon.length", "true is a boolean", "duration"],
    "staffing_true.yaml": ["pools.p1.staffing", "true is a boolean"],
    "duplicate_key.yaml": ["line 10", "duplicate key 'name'", "line 2"],
    "duplicate_pool.yaml": ["line 9", "duplicate key 'p1'"],
    "billion_laughs.yaml": ["more than 2,000,000 values", "aliases"],
    "horizon_1e9_days.yaml": ["horizon", "longer than 3660 days"],
    "length_sexagesimal.yaml": ["horizon.length", "'1:30' is not a duration"],
    "hex_rate.yaml": ["arrivals.rate", "'0x10'", "valid number"],
    "cross_reference.yaml": ["routing.a[1]", "'nope' is not an agent pool", "allowed: p1"],
    "channel_unknown_intent.yaml": ["channels.chatbot.takes.covid", "not a call type",
                                    "allowed: a, b"],
    "channel_shares_over_one.yaml": ["channels", "'a' customers add up to 1.1 at 08:00",
                                     "at most 1"],
    "hours_overlap.yaml": ["hours.queues.a.open", "09:00-18:00 and 17:00-22:00 overlap"],
    "hours_unknown_forward.yaml": ["hours.queues.a.after_hours.queue", "'tourist_line'",
                                   "allowed: a, b"],
    "hours_unknown_queue.yaml": ["hours.queues.foreign", "allowed: a, b", "hours.holidays[0]",
                                 "day 3 is not in the horizon"],
}
#: file -> substrings of the warning
WARNED: dict[str, list[str]] = {
    "ivr_timeout_self_loop.yaml": ["ivr.nodes.main", "100%", "loop", "timeout_rate 1"],
    "ivr_disconnects_most.yaml": ["ivr.nodes.sub", "81%", "timeouts"],
    "weibull_shape_0001.yaml": ["call_types.a.patience", "overflows"],
    "weibull_shape_01.yaml": ["call_types.a.handle_time", "stated mean"],
    "pool_never_staffed.yaml": ["pools.p2.staffing", "no agent", "(b)"],
}


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_corpus_file_is_listed() -> None:
    on_disk = {p.name for p in BAD.glob("*.yaml")}
    assert on_disk == set(REFUSED) | set(WARNED)
    assert not set(REFUSED) & set(WARNED)


@pytest.mark.parametrize("name", sorted(REFUSED))
@pytest.mark.parametrize("command", [["validate"], ["run", "--reps", "2", "--quiet"]])
def test_refused_cleanly(capsys: pytest.CaptureFixture[str], name: str,
                         command: list[str]) -> None:
    path = BAD / name
    code, out, err = cli(capsys, command[0], str(path), *command[1:])
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    assert err.startswith("error: ") and name in err
    for needle in REFUSED[name]:
        assert needle in err, f"{needle!r} not in {err!r}"
    assert "KPI" not in out  # nothing was simulated


@pytest.mark.parametrize("name", sorted(WARNED))
def test_warned_runs_and_strict_refuses(capsys: pytest.CaptureFixture[str], name: str) -> None:
    path = BAD / name
    code, out, err = cli(capsys, "validate", str(path))
    assert code == 0 and "valid scenario" in out and "1 warning" in out
    assert err.startswith("warning: ")
    for needle in WARNED[name]:
        assert needle in err, f"{needle!r} not in {err!r}"
    code, out, err = cli(capsys, "validate", "--strict", str(path))
    assert code == 2 and "errors with --strict" in err and WARNED[name][0] in err
    with warnings.catch_warnings(record=True) as caught:  # numpy prints none either
        warnings.simplefilter("always")
        code, out, err = cli(capsys, "run", str(path), "--reps", "2", "--quiet")
    assert code == 0, err
    assert "answer_rate" in out and WARNED[name][0] in err
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]


def test_allow_large_lets_a_large_scenario_through(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "validate", "--allow-large", str(BAD / "rate_1e9.yaml"))
    assert code == 0, err
    assert "valid scenario" in out


def test_file_larger_than_the_limit_is_refused(write: Callable[..., Path],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = write("# padding\n" * (11 * 2**20 // 10))
    code, _out, err = cli(capsys, "validate", str(path))
    assert code == 2 and "larger than 10 MiB" in err and "CSV" in err


def test_a_directory_is_not_a_scenario(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = cli(capsys, "validate", str(tmp_path))
    assert code == 2 and "not a regular file" in err


# ------------------------------------------------------------- command-line values


@pytest.mark.parametrize(("value", "needles"), [
    ("5:1:1", ["arrivals.rate", "'5:1:1'", "stop 1 is below the start 5"]),
    ("1:10:0", ["arrivals.rate", "'1:10:0'", "step 0 is not positive"]),
    ("1:10:-1", ["step -1 is not positive"]),
    ("1:1000000:1", ["1,000,000 values", "at most 1,000"]),
    ("1:2:3:4", ["three parts"]),
    ("1,,2", ["an empty item"]),
    ("[1,2", ["missing ']'"]),
    ("1s:1min:0s", ["step 0s is not positive"]),
])
def test_bad_sweep_values_exit_2(capsys: pytest.CaptureFixture[str], value: str,
                                 needles: list[str]) -> None:
    code, out, err = cli(capsys, "sweep", str(TINY), "--set", f"arrivals.rate={value}",
                         "--reps", "2", "--quiet")
    assert code == 2 and "Traceback" not in err
    for needle in needles:
        assert needle in err, err
    assert "grid points" not in out


def test_sweep_grid_too_large_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = cli(capsys, "sweep", str(TINY), "--set", "arrivals.rate=1:200:1",
                          "--set", "pools.agents.staffing=1:100:1", "--quiet")
    assert code == 2 and "20,000 points" in err


@pytest.mark.parametrize(("value", "needles"), [
    ("5:1:1", ["arrivals.rate", "'5:1:1'", "valid number"]),  # text, never base 60
    ("true", ["arrivals.rate", "true is a boolean"]),
    ("[1", ["arrivals.rate", "missing ']'"]),
    ("{a: 1", ["arrivals.rate", "missing '}'"]),
    ("{a: 1, a: 2}", ["duplicate key 'a'"]),
    ("1e999", ["arrivals.rate", "finite"]),
    ("'[/x]'", ["(got '[/x]')"]),  # printed as text, not read as terminal markup
])
def test_bad_set_values_exit_2(capsys: pytest.CaptureFixture[str], value: str,
                               needles: list[str]) -> None:
    code, out, err = cli(capsys, "run", str(TINY), "--set", f"arrivals.rate={value}")
    assert code == 2 and "Traceback" not in err
    for needle in needles:
        assert needle in err, err
    assert "KPI" not in out


def test_set_value_that_yaml_11_would_misread(write: Callable[..., Path]) -> None:
    path = write(two_types())
    sc = load_scenario(path, ["horizon.start=10:00", "pools.p1.staffing.agents=010"])
    assert sc.horizon.start == 36000.0  # not 600 (base 60)
    assert sc.pools["p1"].staffing.agents == 10  # not 8 (octal)
