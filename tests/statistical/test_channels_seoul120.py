"""Channels on the 120 base day: what "containment 0 is no channel" means with real
session times, and the chatbot scenario against the base day (paired, common random
numbers)."""

from __future__ import annotations

from pathlib import Path

import pytest

import callsim

SEOUL = Path(__file__).resolve().parents[2] / "configs" / "seoul120"
REPS = 12


@pytest.mark.statistical
def test_containment_zero_with_session_time_changes_nothing_significant() -> None:
    """Containment 0 and every failure calling after a 3-minute session and a delay: the
    customers call a few minutes later and walk the menu with other random numbers, so
    the numbers are not identical (that needs zero time, see tests/unit/test_channels.py)
    but no phone KPI moves beyond its paired 99 % CI, and nobody is lost."""
    base = callsim.load_scenario(SEOUL / "two_level.yaml")
    zero = callsim.load_scenario(SEOUL / "chatbot.yaml", {
        "channels.chatbot.containment": 0.0, "channels.chatbot.on_failure.call": 1.0})
    comp = callsim.compare({"base": base, "zero": zero}, reps=REPS, seed=3, level=0.99)
    d = comp.differences().set_index(["design", "kpi"]).loc["zero"]
    assert d.at["customers", "difference"] == 0
    assert d.at["contained", "difference"] == 0 and d.at["channel_gave_up", "difference"] == 0
    attempts = comp.batches["zero"].summary.at["channel_attempts", "mean"]
    assert attempts > 600
    # callers: only the few whose call would come after midnight are missing
    assert -0.02 * attempts < d.at["callers", "difference"] <= 0
    for kpi in ("answered", "answer_rate", "offered", "asa", "caller_answer_rate",
                "helped_rate", "occupancy"):
        assert not d.at[kpi, "significant"], (kpi, d.loc[kpi].to_dict())


@pytest.mark.statistical
def test_chatbot_relieves_the_phone_and_helps_more_customers() -> None:
    comp = callsim.compare([SEOUL / "two_level.yaml", SEOUL / "chatbot.yaml"], reps=REPS,
                           seed=5)
    d = comp.differences().set_index(["design", "kpi"]).loc["chatbot"]
    s = comp.batches["chatbot"].summary
    assert d.at["customers", "difference"] == 0  # the same customers
    assert s.at["channel_attempts", "mean"] == pytest.approx(683, rel=0.05)
    assert s.at["containment", "mean"] == pytest.approx(0.5, abs=0.03)
    for kpi, sign in (("callers", -1), ("arrivals", -1), ("blocked", -1),
                      ("helped_rate", 1), ("caller_answer_rate", 1)):
        assert d.at[kpi, "significant"] and sign * d.at[kpi, "difference"] > 0, kpi
    # customers helped = contained + answered: more in all than answered alone lost
    gain = d.at["contained", "difference"] + d.at["answered", "difference"]
    assert gain > 0
