"""Time-of-day routing (``hours:``): nobody waits in a closed queue, after-hours
treatments (forward outside or to another queue, message, call-back), closed menu
options, holidays with their own hours, and the compiled open periods."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import callsim
from callsim.compiled import compile_scenario
from callsim.compiled.hours import Window
from callsim.config import scenario_from_dict

H = 3600.0
CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "seoul120"

#: 'a' is open 09:00-22:00 and understaffed (callers wait at closing); 'b' always open.
BASE: dict[str, Any] = {
    "name": "hours",
    "horizon": {"length": "24h", "interval": "60min"},
    "call_types": {
        "a": {"handle_time": {"dist": "exponential", "mean": 240},
              "patience": {"dist": "exponential", "mean": 600}},
        "b": {"handle_time": {"dist": "exponential", "mean": 100},
              "patience": {"dist": "exponential", "mean": 300}},
    },
    "arrivals": {"rate": 200, "mix": {"a": 0.5, "b": 0.5}},
    "pools": {"pa": {"skills": ["a"], "staffing": {"shifts": [
                  {"start": "09:00", "end": "22:00", "agents": 7}]}},
              "pb": {"skills": ["b", "a"], "staffing": 10}},
    "routing": {"a": ["pa"], "b": ["pb"]},
    "hours": {"queues": {"a": {"open": ["09:00-22:00"],
                               "after_hours": {"outside": "1330 tourist line"}}}},
}


def scenario(**changes: Any) -> callsim.Scenario:
    return scenario_from_dict(copy.deepcopy(BASE), overrides=changes or None)


def run(sc: callsim.Scenario, seed: int = 1) -> tuple[callsim.ReplicationResult, pd.DataFrame]:
    res = callsim.simulate(sc, seed=seed, record_calls=True)
    assert res.calls is not None
    return res, res.calls


def waited_in(calls: pd.DataFrame, queue: str) -> pd.DataFrame:
    """Calls that waited in *queue*: [queued_at, left) with left the answer or the end."""
    c = calls[(calls.queue == queue) & calls.queued_at.notna()].copy()
    c["left"] = np.where(c.answered_at.notna(), c.answered_at, c.ended_at)
    return c[c.left > c.queued_at]


def test_nobody_waits_in_a_closed_queue() -> None:
    res, calls = run(scenario())
    w = waited_in(calls, "a")
    clock = w.queued_at % 86400
    assert len(w) > 100
    assert ((clock >= 9 * H) & (w.left <= 22 * H)).all()
    # forwarded: everyone arriving while closed, and those still waiting at 22:00
    fwd = calls[calls.outcome == "forwarded"]
    assert (fwd.call_type == "a").all()
    closed_arrivals = ((calls.call_type == "a") & ~calls.arrival.between(9 * H, 22 * H,
                                                                         inclusive="left"))
    assert len(fwd) > closed_arrivals.sum() > 0  # + the callers swept at closing
    swept = fwd[fwd.ended_at == 22 * H]
    assert len(swept) > 0 and (swept.queued_at < 22 * H).all()
    assert res.kpis["forwarded"] == len(fwd)
    assert res.by_call_type.at["a", "forwarded"] == len(fwd)
    # forwarded calls are not offered
    assert res.kpis["offered"] == calls.outcome.isin(
        ["answered", "abandoned", "unfinished", "callback", "callback_open", "balked"]).sum()
    iv = res.intervals[res.intervals.call_type == "a"]
    assert (iv.loc[(iv.start < 9 * H) | (iv.start >= 22 * H), "mean_queue"] == 0).all()


def test_message_and_forward_to_another_queue() -> None:
    """After hours 'message' ends calls as ``closed``; forwarding to queue 'b' has them
    answered by pool pb (which has the skill), not counted as misroutes."""
    res, calls = run(scenario(**{"hours.queues.a.after_hours": {"message": True}}))
    assert res.kpis["closed"] > 0 and res.kpis["forwarded"] == 0
    res, calls = run(scenario(**{"hours.queues.a.after_hours": {"queue": "b"}}))
    a = calls[calls.call_type == "a"]
    night = a[~a.arrival.between(9 * H, 22 * H, inclusive="left")]
    assert (night.queue == "b").all() and len(night) > 100
    assert (night[night.outcome == "answered"].pool == "pb").all()
    assert res.kpis["misroutes"] == 0 and res.kpis["forwarded"] == 0
    # the callers swept at closing keep their wait so far
    swept = a[(a.queue == "b") & (a.queued_at >= 22 * H) & (a.arrival < 22 * H)]
    assert len(swept) > 0 and (swept.prior_wait > 0).all()
    assert len(waited_in(calls[calls.arrival.between(9 * H, 22 * H)], "a")) > 0


def test_callback_after_hours() -> None:
    """'callback' takes the caller's number; the call-back pool (pb) calls back when it
    has an agent free and no call waiting."""
    sc = scenario(**{"hours.queues.a.after_hours": {"callback": True},
                     "callbacks": {"pool": "pb", "offer_when_waiting": 1000, "accept": 0}})
    res, calls = run(sc)
    cb = calls[calls.callback_offered]
    assert len(cb) > 0 and (cb.call_type == "a").all()
    assert cb.outcome.isin(["callback", "callback_open"]).all()
    assert res.kpis["callbacks_completed"] > 0


def test_holidays_use_their_hours() -> None:
    """Two days, the second a holiday open 10:00-12:00 only (given as a date)."""
    sc = scenario(**{"horizon.length": "48h",
                     "hours.start_date": "2021-02-11", "hours.holidays": ["2021-02-12"],
                     "hours.queues.a.on_holidays": ["10:00-12:00"]})
    _res, calls = run(sc)
    w = waited_in(calls, "a")
    day1 = w[w.queued_at < 24 * H]
    day2 = w[w.queued_at >= 24 * H]
    assert ((day1.queued_at >= 9 * H) & (day1.left <= 22 * H)).all()
    assert ((day2.queued_at >= 34 * H) & (day2.left <= 36 * H)).all()
    assert len(day1) > 100 and len(day2) > 10
    fwd = calls[(calls.outcome == "forwarded") & (calls.arrival >= 24 * H)]
    assert fwd.arrival.between(36 * H, 48 * H).any() and fwd.arrival.between(24 * H, 34 * H).any()
    cs = compile_scenario(sc)
    assert cs.hours is not None and cs.hours.holidays == (1,)
    # the same by day number
    sc2 = scenario(**{"horizon.length": "48h", "hours.holidays": [2],
                      "hours.queues.a.on_holidays": ["10:00-12:00"]})
    assert compile_scenario(sc2).hours == cs.hours


def test_closed_menu_option() -> None:
    """An option closed after hours forwards callers outside from the menu: they never
    reach a queue, and their time in the menu counts."""
    sc = scenario(**{
        "hours": {"options": {"main.1": {"open": ["09:00-22:00"],
                                         "after_hours": {"outside": "1330"}}}},
        "ivr": {"root": "main", "nodes": {"main": {"prompt": 10, "options": {
            "1": {"queue": "a"}, "2": {"queue": "b"}}}}},
    })
    _res, calls = run(sc)
    fwd = calls[calls.outcome == "forwarded"]
    assert len(fwd) > 100 and (fwd.queue == "").all() and np.allclose(fwd.ivr_time, 10)
    t = (fwd.arrival + fwd.ivr_time) % 86400
    assert ((t < 9 * H) | (t >= 22 * H)).all()
    # with the option closed, 'a' callers may still wait in the (open) queue by day only
    w = waited_in(calls, "a")
    assert ((w.queued_at % 86400 >= 9 * H) & (w.queued_at % 86400 < 22 * H + 10)).all()
    # goto another node after hours
    sc = scenario(**{
        "hours": {"options": {"main.1": {"open": ["09:00-22:00"],
                                         "after_hours": {"goto": "night"}}}},
        "ivr": {"root": "main", "nodes": {
            "main": {"prompt": 10, "options": {"1": {"queue": "a"}, "2": {"queue": "b"}}},
            "night": {"prompt": 5, "options": {"1": {"disconnect": True}}}}},
    })
    _res, calls = run(sc)
    night = calls[(calls.call_type == "a") & (calls.outcome == "disconnected")]
    assert len(night) > 100 and np.allclose(night.ivr_time, 15)


def test_windows_merge_across_midnight_and_start_late() -> None:
    sc = scenario(**{"horizon.start": "20:00", "horizon.length": "24h",
                     "hours.queues.a.open": ["00:00-02:00", "22:00-24:00"]})
    cs = compile_scenario(sc)
    assert cs.hours is not None
    rule = cs.hours.queues[0]
    assert rule is not None
    w: Window = rule[0]
    # horizon starts 20:00: open 22:00 (t=2h) to 02:00 next day (t=6h), one period
    assert w.opens[0] == 2 * H and w.closes[0] == 6 * H
    assert w.is_open(2 * H) and not w.is_open(6 * H) and not w.is_open(H)
    assert w.open_share(0, 24 * H) == pytest.approx(4 / 24)
    assert cs.hours.queues[1] is None


def test_same_numbers_without_hours() -> None:
    """A scenario whose hours are always open gives the numbers of one without hours."""
    data = copy.deepcopy(BASE)
    del data["hours"]
    plain = callsim.simulate(scenario_from_dict(data), seed=3)
    always = callsim.simulate(scenario(**{"hours.queues.a.open": "always"}), seed=3)
    assert plain.flat_kpis() == pytest.approx(always.flat_kpis(), nan_ok=True)


def test_seoul120_foreign_language_calls_go_to_1330_after_hours() -> None:
    """The shipped 120 base day: foreign-language callers wait only while the foreign
    team works (09:00-22:00); otherwise they are forwarded to the tourist line 1330."""
    res, calls = run(callsim.load_scenario(CONFIGS / "two_level.yaml"), seed=0)
    w = waited_in(calls, "foreign")
    assert len(w) > 20
    assert ((w.queued_at >= 9 * H) & (w.left <= 22 * H)).all()
    fwd = calls[calls.outcome == "forwarded"]
    assert len(fwd) > 50 and (fwd.queue == "foreign").all()
    assert res.by_call_type.at["foreign", "forwarded"] > 30
    assert res.by_call_type.at["foreign", "answer_rate"] > 0.8
