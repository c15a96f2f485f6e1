"""Property-based tests of ``callsim fit`` on generated call logs (issue 10, with issue 11).

A generated log is a small tidy callsim log (1-3 days, 1-40 calls, any mix of outcomes,
named or unnamed agents, one or two call types), written as CSV, sometimes with one cell
or column spoiled (junk text, a negative duration, an empty required cell, a missing
column). ``callsim fit`` must then either write a scenario that loads and runs with every
call in exactly one outcome, or refuse with exit code 2 and one message that names the
log file: never a traceback or another exit code. The ``ci`` hypothesis profile of
conftest.py bounds and derandomizes the examples.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import callsim
from callsim.engine.call import OUTCOMES as CALL_OUTCOMES
from callsim.logs import COLUMNS, OUTCOMES
from callsim.ui.cli import main

DAYS = ("2024-03-04", "2024-03-05", "2024-03-06")


@st.composite
def calls(draw: st.DrawFn) -> dict[str, Any]:
    outcome = draw(st.sampled_from(OUTCOMES))
    arrival = draw(st.floats(0, 86_399, allow_nan=False))
    ivr = draw(st.floats(0, 120, allow_nan=False))
    queued = outcome in ("answered", "abandoned")
    answered = outcome == "answered"
    return {
        "call_id": 0,
        "day": draw(st.sampled_from(DAYS)),
        "arrival": round(arrival, 3),
        "ivr_time": round(ivr, 3),
        "queue_entry": round(arrival + ivr, 3) if queued else "",
        "wait": round(draw(st.floats(0, 900, allow_nan=False)), 3) if queued else "",
        "outcome": outcome,
        "handle_time": (round(draw(st.floats(1, 1200, allow_nan=False)), 3)
                        if answered else ""),
        "agent": draw(st.sampled_from(["", "a1", "a2", "a3"])) if answered else "",
        "call_type": draw(st.sampled_from(["A", "B"])),
    }


SPOIL = st.one_of(
    st.none(),  # a valid log
    st.tuples(st.just("cell"), st.sampled_from(COLUMNS),
              st.sampled_from(["", "junk", "-5", "1e400", "nan", "2024-99-99"])),
    st.tuples(st.just("drop"), st.sampled_from(COLUMNS)),
)


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Any]:
    rows = draw(st.lists(calls(), min_size=1, max_size=40))
    for i, r in enumerate(rows):
        r["call_id"] = i + 1
    return rows, draw(SPOIL)


def _write(path: Path, rows: list[dict[str, Any]], spoil: Any, which: int) -> None:
    columns = list(COLUMNS)
    if spoil is not None and spoil[0] == "drop":
        columns.remove(spoil[1])
    elif spoil is not None:
        rows[which % len(rows)][spoil[1]] = spoil[2]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


@pytest.mark.slow
@settings(max_examples=40)
@given(logs(), st.integers(0, 1000))
def test_fit_of_any_log_runs_or_is_refused_cleanly(
        tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str],
        case: tuple[list[dict[str, Any]], Any], which: int) -> None:
    rows, spoil = case
    d = tmp_path_factory.mktemp("log")
    log = d / "calls.csv"
    _write(log, rows, spoil, which)
    out = d / "fitted.yaml"
    code = main(["fit", str(log), "-o", str(out)])
    _stdout, err = capsys.readouterr()
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        lines = [x for x in err.splitlines() if x.strip()]
        assert lines[0].startswith("error: ") and str(log) in err, err
        return
    assert spoil is None or spoil[0] == "cell", "a missing column must be refused"
    r = callsim.simulate(callsim.load_scenario(out), seed=0, record_calls=True)
    calls_ = r.calls
    assert calls_ is not None
    assert calls_["outcome"].isin(list(CALL_OUTCOMES)).all()
    assert r.kpis["arrivals"] == len(calls_)
