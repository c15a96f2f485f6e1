"""Invariant failures raise ModelError with the numbers that broke (not assert)."""

from __future__ import annotations

import math

import pytest

import callsim
from callsim.engine.call import Call, Outcome
from callsim.engine.model import Model
from callsim.engine.recorder import Recorder
from callsim.errors import ModelError
from callsim.rng import Streams


def tiny() -> callsim.CompiledScenario:
    return callsim.compile(callsim.erlang_scenario(arrival_rate=60, aht=120, agents=3,
                                                   patience=60, hours=2))


def test_recording_a_call_without_an_outcome_is_a_model_error() -> None:
    rec = Recorder(tiny())
    rec.add(Call(7, 0, 1.0, 10.0, 0.0, math.inf))
    with pytest.raises(ModelError, match=r"1 call\(s\) recorded before .* ids \[7\]"):
        rec.flush()


def test_call_conservation_is_a_model_error_with_the_counts() -> None:
    rec = Recorder(tiny())
    call = Call(0, 0, 1.0, 10.0, 0.0, math.inf)
    call.outcome = int(Outcome.ABANDONED)
    call.queued_at = call.ended_at = 1.0
    rec.add(call)
    with pytest.raises(ModelError, match=r"2 calls created .* 1 recorded"):
        rec.finish([[(0.0, 3)]], 2, 10.0)


def test_inconsistent_pool_counts_are_a_model_error() -> None:
    cs = tiny()
    model = Model(cs, Streams(1, 0), Recorder(cs))
    model.run()
    model.check(model.clock.now)  # consistent after a run
    model.pools[0].busy += 1
    with pytest.raises(ModelError, match=r"idle .* busy != .* present"):
        model.check(model.clock.now)
