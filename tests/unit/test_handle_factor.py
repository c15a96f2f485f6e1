"""Agents are slower on their secondary skills: ``pools.<name>.secondary_handle_factor``."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest

import callsim
from callsim import ConfigError
from callsim.config import scenario_from_dict
from callsim.engine.call import Call, Outcome
from callsim.engine.model import Model
from callsim.engine.recorder import Recorder
from callsim.rng import Streams

BASE: dict[str, Any] = {
    "name": "factor",
    "horizon": {"length": "4h", "interval": "60min"},
    "call_types": {t: {"handle_time": 100} for t in ("a", "b", "c")},
    "arrivals": {"rate": 60, "mix": {"a": 0.4, "b": 0.3, "c": 0.3}},
    "pools": {"team": {"skills": ["a", "b", "c"], "staffing": 3}},
}


def talk(data: dict[str, Any], seed: int = 1) -> pd.DataFrame:
    """Answered calls with their talk time (deterministic handle time 100 s)."""
    res = callsim.simulate(scenario_from_dict(data), seed=seed, record_calls=True)
    calls = res.calls
    assert calls is not None
    done = calls[calls.outcome == "answered"].copy()
    done["talk"] = (done.ended_at - done.answered_at).round(6)  # float: now + 100 - now
    assert len(done) > 100
    return done


def with_(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        callsim.config.set_path(data, path, value)
    return data


def test_default_is_the_call_types_handle_time() -> None:
    assert (talk(BASE).talk == 100.0).all()


def test_one_factor_applies_to_every_skill_after_the_first() -> None:
    done = talk(with_(**{"pools.team.secondary_handle_factor": 1.5}))
    by_type = done.groupby("call_type").talk.unique()
    assert list(by_type["a"]) == [100.0]  # the first skill
    assert list(by_type["b"]) == [150.0]
    assert list(by_type["c"]) == [150.0]


def test_a_mapping_gives_factors_per_secondary_skill() -> None:
    done = talk(with_(**{"pools.team.secondary_handle_factor": {"c": 2.0}}))
    by_type = done.groupby("call_type").talk.unique()
    assert list(by_type["a"]) == [100.0] and list(by_type["b"]) == [100.0]
    assert list(by_type["c"]) == [200.0]


def test_the_factor_belongs_to_the_answering_pool() -> None:
    """b is secondary for 'generalists' (1.5) and first for 'b_team' (no factor)."""
    data = with_(**{
        "pools": {"generalists": {"skills": ["a", "b", "c"], "staffing": 3,
                                  "secondary_handle_factor": 1.5},
                  "b_team": {"skills": ["b"], "staffing": 1}},
    })
    done = talk(data)
    b = done[done.call_type == "b"]
    assert set(b.pool) == {"generalists", "b_team"}
    assert (b[b.pool == "b_team"].talk == 100.0).all()
    assert (b[b.pool == "generalists"].talk == 150.0).all()


def test_call_backs_made_on_a_secondary_skill_take_longer() -> None:
    """The call-back pool's secondary skill a: its agents are busy 2 x 100 s."""
    data = with_(**{
        "arrivals.mix": {"a": 1.0, "b": 0.0, "c": 0.0},
        "pools": {"front": {"skills": ["a"], "staffing": 1},
                  "back": {"skills": ["b", "a"], "staffing": 2,
                           "secondary_handle_factor": {"a": 2.0}}},
        "routing": {"a": ["front"], "b": ["back"], "c": ["front"]},
        "pools.front.skills": ["a", "c"],
        "callbacks": {"offer_when_waiting": 1, "accept": 1.0, "pool": "back"},
    })
    cs = callsim.compile(scenario_from_dict(data))
    rec = Recorder(cs)
    seen: list[Call] = []
    add = rec.add

    def keep(call: Call) -> None:
        seen.append(call)
        add(call)

    rec.add = keep  # type: ignore[method-assign]
    Model(cs, Streams(3, 0), rec).run()
    backs = [c for c in seen if c.outcome == Outcome.CALL_BACK]
    answered = [c for c in seen if c.outcome == Outcome.ANSWERED]
    assert len(backs) > 20 and len(answered) > 20
    assert np.allclose([c.busy_end - c.answered_at for c in backs], 200.0)
    assert np.allclose([c.busy_end - c.answered_at for c in answered], 100.0)


@pytest.mark.parametrize(("factor", "message"), [
    ({"a": 1.2}, "a not a secondary skill of this pool; allowed: b, c"),
    ({"zz": 1.2}, "zz not a secondary skill"),
    (0.0, "greater than 0, or {skill: factor} (got 0.0)"),
    ("fast", "greater than 0, or {skill: factor} (got 'fast')"),
    ({"b": -1}, "b: a talk-time factor must be a number greater than 0 (got -1)"),
])
def test_bad_factors_are_config_errors(factor: Any, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        scenario_from_dict(with_(**{"pools.team.secondary_handle_factor": factor}))
    text = str(info.value)
    assert "pools.team.secondary_handle_factor" in text or "pools.team" in text
    assert message in text
