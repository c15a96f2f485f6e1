"""A call, how it ended, and how it was transferred.

Owns :class:`Call` and the two code tables every layer shares: :class:`Outcome` (how a
call ended: tally columns, per-call records, the IVR walk's results) and
:class:`Transfer` (what an agent did with an answered call). Imports nothing from
callsim.

Codes are append-only: a new outcome gets the next number, so tally columns and
recorded per-call data keep their meaning.
"""

from __future__ import annotations

import math
from enum import IntEnum


class Outcome(IntEnum):
    """How a call ended; the value is its tally column among the outcome counters."""

    ANSWERED = 0
    """An agent answered it (from a queue)."""
    ABANDONED = 1
    """The caller hung up while waiting."""
    BLOCKED = 2
    """The queue was full: the centre cut the call off with a message."""
    SHORT_ABANDON = 3
    """Hung up within the short-abandon threshold of reaching the queue."""
    IVR_HANGUP = 4
    """Hung up in the menu."""
    SELF_SERVED = 5
    """Ended in a self-service option of the menu."""
    DISCONNECTED = 6
    """The menu dropped the caller (timeouts, a disconnect option, bounced too often)."""
    UNFINISHED = 7
    """Still waiting when the run stopped (drain limit)."""
    CALL_BACK = 8
    """The caller left the queue for a call back, which was made."""
    CALL_BACK_OPEN = 9
    """The caller left the queue for a call back that was never made."""
    BALKED = 10
    """Told the expected wait or position on joining the queue, hung up at once."""
    FORWARDED = 11
    """Reached a closed queue or menu option and was forwarded to an outside number
    (after hours: :mod:`callsim.engine.hours`)."""
    CLOSED = 12
    """Reached a closed queue or menu option, heard a closed message and was
    disconnected."""


_LABELS = {Outcome.CALL_BACK: "callback", Outcome.CALL_BACK_OPEN: "callback_open"}

#: Names of the outcomes, by code: the values of the ``outcome`` column of per-call
#: records and the names in tables (the member name in lower case, but ``callback`` and
#: ``callback_open`` as published).
OUTCOMES: tuple[str, ...] = tuple(_LABELS.get(o, o.name.lower()) for o in Outcome)
N_OUT = len(OUTCOMES)

NO_OUTCOME = -1
"""``Call.outcome`` while the call's fate is not known (recording it is a bug)."""


class Transfer(IntEnum):
    """What the agent did with an answered call, besides answering it."""

    NONE = 0
    OUT = 1
    """Handed to an official outside the centre (ends there)."""
    REFERRAL = 2
    """Given a phone number to call (no extra agent time)."""
    INTERNAL = 3
    """Put through to another queue after the call: a new internal leg."""


class Call:
    """One call (one attempt of a caller): what it brings and what happens to it.

    Every attribute is a slot, set in ``__init__`` (CPython 3.11 specialises slot reads
    and writes, not class-level defaults read through an instance); the instance keeps
    a ``__dict__`` for attributes a behaviour adds. ``outcome`` and ``transfer`` hold the
    plain ``int`` values of :class:`Outcome` and :class:`Transfer` (the recorder turns
    lists of them into arrays about three times faster than lists of enum members).
    """

    __slots__ = (
        "__dict__", "acw", "answered_at", "arrival", "attempt", "busy_end",
        "call_back_offered", "caller", "ctype", "deadline", "ended_at", "handle", "id",
        "internal", "ivr_time", "mis", "outcome", "patience", "pool", "prior_wait", "queue",
        "queued_at", "since", "transfer", "waiting",
    )
    prior_wait: float
    """Wait in a wrong queue before a transfer."""
    caller: int
    """The caller's first call id; -1: this call is the first."""
    attempt: int
    call_back_offered: bool
    transfer: int
    """A :class:`Transfer` value."""
    internal: bool
    """A leg the centre put through from another queue."""
    mis: tuple[int, float, float, int, float] | None
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
        self.outcome = NO_OUTCOME
        self.pool = -1
        self.ivr_time = 0.0
        self.since = math.nan  # first queue entry: the key for longest-wait selection
        self.waiting = False  # in a queue's deque and still waiting
        self.prior_wait = 0.0
        self.caller = -1
        self.attempt = 1
        self.call_back_offered = False
        self.transfer = 0
        self.internal = False
        self.mis = None
