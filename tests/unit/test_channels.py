"""Contact channels (``channels:``): who tries them, containment, fallbacks, common random
numbers with the design without the channel, and the KPIs they report."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import callsim
from callsim.config import scenario_from_dict
from callsim.results import kpis as registry

#: A menu, two queues with their own pools, redials and a queue limit: every part of the
#: phone side whose random numbers a channel could disturb.
BASE: dict[str, Any] = {
    "name": "chan",
    "horizon": {"length": "24h", "interval": "60min"},
    "call_types": {
        "a": {"handle_time": {"dist": "exponential", "mean": 150},
              "patience": {"dist": "exponential", "mean": 120}},
        "b": {"handle_time": {"dist": "exponential", "mean": 100},
              "patience": {"dist": "exponential", "mean": 120}},
    },
    "arrivals": {"daily_volume": 4000, "mix": {"a": 0.6, "b": 0.4}},
    "pools": {"pa": {"skills": ["a"], "staffing": 6}, "pb": {"skills": ["b"], "staffing": 4}},
    "queue": {"capacity": 30},
    "redials": {"after_abandon": 0.5, "after_blocked": 0.7, "after_ivr_hangup": 0.5,
                "delay": {"dist": "exponential", "mean": 300}},
    "ivr": {"root": "main", "nodes": {"main": {
        "prompt": {"dist": "uniform", "low": 8, "high": 12}, "error_rate": 0.05,
        "hangup_hazard": 0.003,
        "options": {"1": {"queue": "a"}, "2": {"queue": "b"}}}}},
    "misroute": {"transfer_time": 20},
}

BOT: dict[str, Any] = {"takes": {"a": 0.4}, "containment": 0.6,
                       "time": {"dist": "exponential", "mean": 180},
                       "on_failure": {"handover": 0.3, "call": 0.5,
                                      "delay": {"dist": "exponential", "mean": 60}}}


def scenario(base: dict[str, Any] | None = None, **top: Any) -> callsim.Scenario:
    data = copy.deepcopy(base if base is not None else BASE)
    data.update(copy.deepcopy(top))
    return scenario_from_dict(data)


def bot(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(BOT)
    out.update(changes)
    return out


PHONE_CALL_COLUMNS = ["call_id", "call_type", "queue", "arrival", "queued_at",
                      "answered_at", "ended_at", "outcome", "pool", "ivr_time", "caller",
                      "attempt"]


@pytest.mark.parametrize("failure", [{"call": 1.0}, {"handover": 1.0}])
def test_containment_zero_is_no_channel(failure: dict[str, float]) -> None:
    """Containment 0, every failure back on the phone at once (no session time, no
    delay): the phone sees the same calls as without the channel, bit for bit. With a
    menu only the fallback that calls can be exact (a hand-over skips the menu, so the
    menu's random numbers go to other callers); without a menu both are."""
    chan = {"bot": {"takes": {"a": 0.5, "b": [0.3] * 24}, "containment": 0.0,
                    "on_failure": failure}}
    base = copy.deepcopy(BASE)
    if "handover" in failure:
        del base["ivr"]
    plain = callsim.simulate(scenario(base), seed=4, record_calls=True)
    with_bot = callsim.simulate(scenario(base, channels=chan), seed=4, record_calls=True)
    assert plain.calls is not None and with_bot.calls is not None
    pd.testing.assert_frame_equal(plain.calls[PHONE_CALL_COLUMNS],
                                  with_bot.calls[PHONE_CALL_COLUMNS])
    got = with_bot.flat_kpis()
    for k, v in plain.flat_kpis().items():
        if k.split(".")[-1] in ("channel_attempts", "containment", "channel_fallbacks"):
            continue  # the channel's own counts differ, by design
        assert got[k] == v or (math.isnan(v) and math.isnan(got[k])), k
    assert got["channel_attempts"] > 0 and got["contained"] == 0
    assert got["channel_fallbacks"] == got["channel_attempts"]
    assert got["customers"] == plain.kpis["callers"]


def test_containment_one_sends_nobody_of_that_intent_to_the_phone() -> None:
    """A channel taking every 'a' customer and helping them all: no 'a' call reaches the
    phone (not even a misroute from the menu), and every 'a' customer is contained."""
    res = callsim.simulate(scenario(channels={"bot": bot(takes={"a": 1.0}, containment=1.0)}),
                           seed=2, record_calls=True)
    calls = res.calls
    assert calls is not None
    assert not (calls.call_type == "a").any()
    assert res.by_call_type.at["a", "arrivals"] == 0
    k = res.flat_kpis()
    assert k["type.a.customers"] > 2000
    assert k["type.a.contained"] == k["type.a.customers"] == k["channel.bot.attempts"]
    assert k["channel.bot.containment"] == 1.0 and k["channel.bot.fallbacks"] == 0
    assert k["type.b.channel_attempts"] == 0 and k["type.b.arrivals"] > 0


def test_counts_add_up_and_shares_follow_the_hour() -> None:
    """Attempts = contained + fallbacks + gave up; hand-overs skip the menu; customers
    try the channel only in the hours its share is positive."""
    share = [0.0] * 8 + [0.5] * 10 + [0.0] * 6  # 08:00-18:00
    res = callsim.simulate(scenario(channels={"bot": bot(takes={"a": share, "b": 0.2})}),
                           seed=3, record_calls=True)
    k = res.flat_kpis()
    c = "channel.bot."
    assert k[c + "attempts"] == k[c + "contained"] + k[c + "fallbacks"] + k[c + "gave_up"]
    assert k[c + "fallbacks"] == k[c + "handovers"] + k[c + "fallback_calls"]
    assert k["contained"] == k[c + "contained"]
    assert k["customers"] == k["type.a.customers"] + k["type.b.customers"]
    iv = res.intervals[res.intervals.call_type == "a"]
    hour = (iv["start"] // 3600).astype(int)
    assert (iv.loc[~hour.between(8, 17), "channel_attempts"] == 0).all()
    assert (iv.loc[hour.between(8, 17), "channel_attempts"] > 0).all()
    # hand-overs reach the queue with no time in the menu, on their first attempt
    calls = res.calls
    assert calls is not None
    direct = calls[(calls.ivr_time == 0) & (calls.attempt == 1)]
    assert len(direct) >= 0.8 * k[c + "handovers"]
    assert (direct.queue == direct.call_type).all()


def test_containment_and_fallback_split_match_the_config() -> None:
    """The share helped and the split of failures are binomial with the configured
    probabilities (4 standard errors)."""
    res = callsim.simulate(scenario(channels={"bot": bot(takes={"a": 0.8, "b": 0.8})}),
                           seed=11)
    k = res.flat_kpis()
    n = k["channel.bot.attempts"]
    p = k["channel.bot.containment"]
    assert abs(p - 0.6) < 4 * math.sqrt(0.6 * 0.4 / n)
    fails = n - k["channel.bot.contained"]
    h = k["channel.bot.handovers"] / fails
    assert abs(h - 0.3) < 4 * math.sqrt(0.3 * 0.7 / fails)
    g = k["channel.bot.gave_up"] / fails
    assert abs(g - 0.2) < 4 * math.sqrt(0.2 * 0.8 / fails)
    assert k["channel.bot.time"] == pytest.approx(180, rel=4 / math.sqrt(n))


def test_same_customers_with_and_without_the_channel() -> None:
    """Common random numbers: the channel design sees the customers of the design without
    it (same count), and intent 'b', which the channel does not take and whose queue and
    pool are its own, gets identical calls when there is no menu or redial to share."""
    base = copy.deepcopy(BASE)
    del base["ivr"], base["redials"], base["queue"]
    plain = callsim.simulate(scenario(base), seed=8, record_calls=True)
    with_bot = callsim.simulate(scenario(base, channels={"bot": bot()}), seed=8,
                                record_calls=True)
    assert with_bot.kpis["customers"] == plain.kpis["callers"]
    assert with_bot.kpis["arrivals"] < plain.kpis["arrivals"]
    assert plain.calls is not None and with_bot.calls is not None
    cols = ["arrival", "answered_at", "ended_at", "outcome"]
    pb = plain.calls[plain.calls.call_type == "b"][cols].reset_index(drop=True)
    wb = with_bot.calls[with_bot.calls.call_type == "b"][cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(pb, wb)


def test_channel_kpis_are_registered_and_defined_without_channels() -> None:
    """The channel KPIs have registry entries (label, unit); without channels they are
    defined (nobody tried a channel) so designs with and without one compare."""
    for name in ("customers", "contained", "containment", "helped_rate",
                 "channel.bot.containment", "channel.bot.time", "type.a.contained"):
        spec = registry.spec(name)
        assert spec is not None and spec.label
    assert registry.unit("channel.bot.time") == "seconds"
    assert registry.direction("containment") == registry.HIGHER
    plain = callsim.simulate(scenario(), seed=1)
    assert plain.kpis["customers"] == plain.kpis["callers"]
    assert plain.kpis["channel_attempts"] == 0
    assert math.isnan(plain.kpis["containment"])
    assert plain.kpis["helped_rate"] == pytest.approx(plain.kpis["caller_answer_rate"])
    assert not registry.shown("containment", [plain.kpis])


def test_compare_with_and_without_a_chatbot_is_paired() -> None:
    """callsim.compare gives paired differences for the channel KPIs (common customers)."""
    comp = callsim.compare({"plain": scenario(),
                            "bot": scenario(channels={"bot": bot()})}, reps=3, seed=0)
    d = comp.differences().set_index(["design", "kpi"])
    assert d.loc[("bot", "customers"), "difference"] == 0
    assert d.loc[("bot", "contained"), "difference"] > 0
    assert d.loc[("bot", "arrivals"), "difference"] < 0
    assert np.isfinite(d.loc[("bot", "helped_rate"), "difference"])


def test_search_knows_the_channel_kpis() -> None:
    """Calibrate/optimise-menu/search objectives on channel KPIs need no max:/min:."""
    from callsim.search.kpis import Objective, is_share

    assert Objective.parse("helped_rate").maximise
    assert Objective.parse("containment").maximise
    assert not Objective.parse("channel_gave_up").maximise
    assert is_share("helped_rate") and is_share("type.covid.containment")
