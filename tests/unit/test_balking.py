"""Queue announcements: callers told their position or expected wait may balk."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import callsim
from callsim import ConfigError
from callsim.config import scenario_from_dict, set_path

BASE: dict[str, Any] = {
    "name": "announce",
    "horizon": {"length": "6h", "interval": "60min"},
    "call_types": {"a": {"handle_time": 100, "after_call_work": 20,
                         "patience": {"dist": "exponential", "mean": 300}}},
    "arrivals": {"rate": 75, "mix": {"a": 1.0}},
    "pools": {"team": {"skills": ["a"], "staffing": 2}},
}


def run(seed: int = 1, **changes: Any) -> tuple[pd.DataFrame, dict[str, float]]:
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        set_path(data, path, value)
    res = callsim.simulate(scenario_from_dict(data), seed=seed, record_calls=True)
    assert res.calls is not None
    return res.calls, res.kpis


def waiting_ahead(calls: pd.DataFrame) -> np.ndarray:
    """Callers still waiting in the (one) queue when each call reached it: queue entries
    before it less departures (answered, hung up, balked) at or before it."""
    start = calls.queued_at.to_numpy()
    left = np.where(calls.answered_at.notna(), calls.answered_at, calls.ended_at)
    s, e = np.sort(start), np.sort(left)
    own = left == start  # a call that left at once is among the departures at its entry
    return (np.searchsorted(s, start, side="left") - np.searchsorted(e, start, side="right")
            + own)


def announced(calls: pd.DataFrame) -> pd.Series:
    """Callers who heard the announcement: they balked, or had to wait."""
    return (calls.outcome == "balked") | (calls.wait > 0)


def test_position_announcement_balks_exactly_where_the_curve_says() -> None:
    """p = 0 up to position 2, 1 from position 3: nobody waits behind two callers."""
    calls, _k = run(**{"call_types.a.announce": {"mode": "position",
                                                "balk": [[2, 0.0], [3, 1.0]]}})
    ahead = waiting_ahead(calls)
    heard = announced(calls).to_numpy()
    balked = (calls.outcome == "balked").to_numpy()
    assert balked.sum() > 50 and (heard & ~balked).sum() > 50
    assert (balked == (heard & (ahead >= 2))).all()
    assert ahead[heard & ~balked].max() == 1


@pytest.mark.parametrize(("agents", "min_ahead"), [(2, 2), (3, 4)])
def test_expected_wait_is_position_times_agent_time_over_agents(agents: int,
                                                               min_ahead: int) -> None:
    """(ahead + 1) × 120 s / agents is announced; callers balk from 180 s on."""
    calls, _ = run(**{"call_types.a.announce": {"balk": [["179s", 0.0], ["3min", 1.0]]},
                      "pools.team.staffing": agents,
                      "arrivals.rate": 40 * agents})
    ahead = waiting_ahead(calls)
    heard = announced(calls).to_numpy()
    balked = (calls.outcome == "balked").to_numpy()
    assert balked.sum() > 20
    assert (balked == (heard & (ahead >= min_ahead))).all()


def test_balked_calls_are_offered_with_no_wait_and_counted() -> None:
    calls, k = run(**{"call_types.a.announce": {"mode": "position",
                                                "balk": [[1, 0.0], [4, 0.9]]}})
    balked = calls[calls.outcome == "balked"]
    assert k["balked"] == len(balked) > 0
    assert (balked.wait == 0).all() and (balked.ended_at == balked.queued_at).all()
    assert (balked.pool == "").all() and balked.answered_at.isna().all()
    assert k["offered"] == k["answered"] + k["abandoned"] + k["unfinished"] + k["balked"]
    assert k["balk_rate"] == pytest.approx(k["balked"] / k["offered"])
    assert k["answer_rate"] == pytest.approx(k["answered"] / k["offered"])


def test_without_announcement_nobody_balks() -> None:
    calls, k = run()
    assert k["balked"] == 0 and k["balk_rate"] == 0
    assert not (calls.outcome == "balked").any()


def test_balked_callers_redial_like_abandons() -> None:
    calls, _k = run(**{"call_types.a.announce": {"mode": "position", "balk": [[2, 0.0],
                                                                             [3, 1.0]]},
                      "redials": {"after_abandon": 1.0, "delay": 60, "max_attempts": 2}})
    first = calls[(calls.attempt == 1) & (calls.outcome == "balked")]
    again = calls[calls.attempt == 2].set_index("caller")
    early = first[first.ended_at + 60 < 6 * 3600]
    assert len(early) > 20
    assert early.call_id.isin(again.index).all()
    assert np.allclose(again.loc[early.call_id, "arrival"].to_numpy(),
                       early.ended_at.to_numpy() + 60)


def test_no_agents_means_an_infinite_expected_wait() -> None:
    """An unstaffed queue: every caller hears 'infinite' and gets the last point's p."""
    calls, _k = run(**{"call_types.a.announce": {"balk": [[60, 0.0], [600, 1.0]]},
                      "pools.team.staffing": {"shifts": [{"start": "03:00", "end": "06:00",
                                                          "agents": 2}]}})
    early = calls[calls.arrival < 3 * 3600]
    assert len(early) > 50 and (early.outcome == "balked").all()


@pytest.mark.parametrize(("announce", "message"), [
    ({"balk": [[60, 0.5], [30, 0.6]]}, "announced values must increase"),
    ({"balk": [[60, 0.5], [120, 0.2]]}, "may not fall"),
    ({"balk": [[60, 1.5]]}, "less than or equal to 1"),
    ({"balk": []}, "at least 1"),
    ({"mode": "length", "balk": [[1, 0.1]]}, "'expected_wait' or 'position'"),
    ({"mode": "position"}, "balk"),
])
def test_bad_announcements_are_config_errors(announce: dict[str, Any], message: str) -> None:
    data = copy.deepcopy(BASE)
    data["call_types"]["a"]["announce"] = announce
    with pytest.raises(ConfigError) as info:
        scenario_from_dict(data)
    text = str(info.value)
    assert "call_types.a.announce" in text and message in text, text


def test_balk_curve_interpolates_and_is_flat_outside() -> None:
    from callsim.engine.announce import BalkCurve

    curve = BalkCurve(((60.0, 0.1), (120.0, 0.3), (600.0, 0.5)))
    assert curve(0.0) == 0.1 and curve(60.0) == 0.1
    assert curve(90.0) == pytest.approx(0.2)
    assert curve(360.0) == pytest.approx(0.4)
    assert curve(600.0) == 0.5 and curve(math.inf) == 0.5
