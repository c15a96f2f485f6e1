"""A call and the codes of how it ended.

Owns the outcome codes shared by the engine, the recorder and the KPI definitions.
Imports nothing from callsim.
"""

from __future__ import annotations

import math

WAITING = -1
ANSWERED = 0
ABANDONED = 1
BLOCKED = 2
SHORT_ABANDON = 3
IVR_HANGUP = 4
SELF_SERVED = 5
DISCONNECTED = 6
UNFINISHED = 7
CALLBACK = 8
CALLBACK_OPEN = 9
OUTCOMES: tuple[str, ...] = (
    "answered", "abandoned", "blocked", "short_abandon", "ivr_hangup", "self_served",
    "disconnected", "unfinished", "callback", "callback_open",
)
N_OUT = len(OUTCOMES)


class Call:
    """One call (one attempt of a caller): what it brings and what happens to it.

    Attributes that few calls change (misroutes, redials, callbacks, transfers) are
    class-level defaults, set on the instance only when they differ: a call costs
    fewer writes on the hot path.
    """

    __slots__ = (
        "__dict__", "acw", "answered_at", "arrival", "busy_end", "ctype", "deadline",
        "ended_at", "handle", "id", "ivr_time", "outcome", "patience", "pool", "queue",
        "queued_at", "since", "waiting",
    )
    prior_wait = 0.0  # wait in a wrong queue before a transfer
    caller = -1  # the caller's first call id; -1: this call is the first
    attempt = 1
    cb_offered = False
    xfer_out = 0  # 1 to an official outside, 2 given a phone number, 3 to another queue
    internal = False  # a leg the centre put through from another queue
    mis: tuple[int, float, float, int, float] | None = None
    """(wrong queue, queued at, answered at, pool, agent free at) of a misroute."""

    def __init__(self, id: int, ctype: int, arrival: float, handle: float, acw: float,
                 patience: float) -> None:
        self.id = id
        self.ctype = ctype
        self.arrival = arrival
        self.handle = handle
        self.acw = acw
        self.patience = patience
        self.queue = ctype
        self.queued_at = math.nan
        self.deadline = math.inf
        self.answered_at = math.nan
        self.ended_at = math.nan
        self.busy_end = math.nan
        self.outcome = WAITING
        self.pool = -1
        self.ivr_time = 0.0
        self.since = math.nan  # first queue entry: the key for longest-wait selection
        self.waiting = False  # in a queue's deque and still waiting
