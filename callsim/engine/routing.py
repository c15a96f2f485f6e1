"""Routing: queues, agent pools, and how calls and free agents meet.

Owns :class:`Queue` (one FCFS queue per call type, with its routing list and overflow
delays), :class:`Pool` (agents: idle, busy, present; reserves; handle-time factors)
and the routing policies. Imports :mod:`callsim.compiled` and
:mod:`callsim.engine.call`; it records nothing and schedules nothing itself.

A routing policy is a :class:`Router`: a pool subclass that answers two questions.

* ``select_agent(queue)``: a call reaches *queue*, which this pool sees at once: which
  idle agent answers it (longest idle first), if any may (agents kept in reserve for
  other call types do not).
* ``select_call(now)``: an agent of this pool is free: which waiting call it takes,
  among the queues the pool serves and may see (a pool sees an overflow queue's caller
  once they have waited the pool's delay).

Policies: :class:`LongestWeightedWait` (the head caller with the longest
``wait_weight`` × wait), :class:`CallTypePriority` (the highest call-type priority,
then the pool's skill order) and :class:`SingleQueueFcfs`, the fast path every pool
with one queue, no overflow delay and no reserve gets whatever its policy (the
policies agree there). To add a policy: a subclass here, registered in
:data:`POLICIES` under the name the scenario's ``pools.<name>.policy`` literal allows.

Lazy abandonment happens here: a policy looking at a queue's head drops callers
answered elsewhere and hands those whose hang-up time has passed to the pool's
``hang_up`` (:meth:`~callsim.engine.abandonment.Abandonment.hang_up`), which records
them at their hang-up time. The head check is written out in each ``select_call``
(no helper call per queue): this is the engine's hottest code.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Protocol

from callsim.compiled import CompiledScenario
from callsim.engine.call import Call


class Queue:
    """The FCFS waiting queue of one call type, and the pools that answer it.

    Attributes
    ----------
    calls
        Callers in queue order; answered, transferred or hung-up callers stay until a
        pool looking at the head drops them (``Call.waiting`` is False).
    n_waiting
        Callers still waiting: exact in eager abandonment mode only.
    immediate
        Pools that see this queue at once, in routing order.
    overflow
        (pool, delay) of pools that see a caller once it has waited *delay* seconds.
    """

    __slots__ = ("calls", "capacity", "idx", "immediate", "n_waiting", "overflow", "route",
                 "weight")

    def __init__(self, idx: int, capacity: int | None, weight: float) -> None:
        self.idx = idx
        self.calls: deque[Call] = deque()
        self.capacity = capacity
        self.weight = weight
        self.n_waiting = 0
        self.route: list[tuple[Pool, float]] = []
        self.immediate: list[Pool] = []
        self.overflow: list[tuple[Pool, float]] = []


class Router(Protocol):
    """A pool's routing policy (see the module docstring)."""

    def select_agent(self, queue: Queue) -> int:
        """A call reaches *queue*: the idle agent who answers it now (removed from the
        idle list), or -1."""
        ...

    def select_call(self, now: float) -> Call | None:
        """An agent is free at *now*: the waiting call it takes (removed from its queue,
        still marked waiting), or None."""
        ...


class Pool:
    """An agent pool: idle agents (longest idle first), busy and present counts.

    The base class holds the state and the arrival side of routing (the reserve rule);
    subclasses are the policies and implement :meth:`select_call`.

    Attributes
    ----------
    queues
        (queue, overflow delay) of the queues this pool serves, in the order the
        policy scans them.
    required
        Per queue (call type): idle agents this pool keeps for other call types.
    serves
        Per call type: whether this pool has the skill (else an answered caller was
        misrouted and is transferred).
    handle_factor
        Per call type: the factor on talk time when this pool answers it, or None when
        every factor is 1 (the pool's secondary skills).
    hang_up
        Records a caller found past their hang-up time at a queue's head.
    call_backs
        Customer call-backs waiting to be made by this pool (the call-back pool only).
    """

    __slots__ = ("busy", "call_backs", "handle_factor", "hang_up", "idle", "idx", "leaving",
                 "name", "next_agent", "present", "present_log", "queues", "required",
                 "serves")

    def __init__(self, idx: int, name: str, hang_up: Callable[[Call], None]) -> None:
        self.idx = idx
        self.name = name
        self.hang_up = hang_up
        self.idle: deque[int] = deque()
        self.busy = 0
        self.present = 0  # idle + busy, including agents finishing a call after shift end
        self.leaving = 0  # busy agents who leave when their current call ends
        self.next_agent = 0
        self.queues: list[tuple[Queue, float]] = []
        self.required: list[int] = []
        self.serves: list[bool] = []
        self.handle_factor: list[float] | None = None
        self.call_backs: deque[Call] | None = None
        self.present_log: list[tuple[float, int]] = []

    def select_agent(self, queue: Queue) -> int:
        """See :class:`Router`: the longest-idle agent, unless the reserve forbids."""
        idle = self.idle
        if idle and len(idle) > self.required[queue.idx]:
            return idle.popleft()
        return -1

    def select_call(self, now: float) -> Call | None:
        """See :class:`Router`."""
        raise NotImplementedError

    def order(self, cs: CompiledScenario, skills: list[int]) -> list[int]:
        """The order in which :meth:`select_call` scans the queues of *skills* (the
        pool's skills it is routed, in the pool's preference order)."""
        return skills


class SingleQueueFcfs(Pool):
    """One queue, no overflow delay, no reserve: take its first waiting caller."""

    __slots__ = ("fifo",)

    def __init__(self, idx: int, name: str, hang_up: Callable[[Call], None]) -> None:
        super().__init__(idx, name, hang_up)
        self.fifo: deque[Call] = deque()

    def select_agent(self, queue: Queue) -> int:
        idle = self.idle
        return idle.popleft() if idle else -1

    def select_call(self, now: float) -> Call | None:
        dq = self.fifo
        while dq:
            head = dq.popleft()
            if not head.waiting:  # answered elsewhere, transferred or hung up
                continue
            if head.deadline <= now:
                self.hang_up(head)
                continue
            return head
        return None


class LongestWeightedWait(Pool):
    """The visible head caller with the longest ``wait_weight`` × wait since first
    queue entry (FCFS across queues when weights are equal; ties: scan order)."""

    __slots__ = ()

    def select_call(self, now: float) -> Call | None:
        best: Queue | None = None
        best_key = -math.inf
        free = len(self.idle)
        for q, delay in self.queues:
            dq = q.calls
            while dq:
                head = dq[0]
                if not head.waiting:
                    dq.popleft()
                elif head.deadline <= now:
                    dq.popleft()
                    self.hang_up(head)
                else:
                    break
            if not dq:
                continue
            head = dq[0]
            if delay and now - head.since < delay:
                continue  # not yet visible to this (overflow) pool
            if free < self.required[q.idx]:
                continue  # agents kept in reserve for another call type
            key = (now - head.since) * q.weight
            if key > best_key:
                best_key = key
                best = q
        return best.calls.popleft() if best is not None else None


class CallTypePriority(Pool):
    """The first visible waiting caller of the queues in call-type priority order (then
    the pool's skill order)."""

    __slots__ = ()

    def order(self, cs: CompiledScenario, skills: list[int]) -> list[int]:
        return sorted(skills, key=lambda k: -cs.call_types[k].priority)  # stable

    def select_call(self, now: float) -> Call | None:
        free = len(self.idle)
        for q, delay in self.queues:
            dq = q.calls
            while dq:
                head = dq[0]
                if not head.waiting:
                    dq.popleft()
                elif head.deadline <= now:
                    dq.popleft()
                    self.hang_up(head)
                else:
                    break
            if not dq:
                continue
            if delay and now - dq[0].since < delay:
                continue
            if free < self.required[q.idx]:
                continue
            return dq.popleft()
        return None


#: Routing policies by the name ``pools.<name>.policy`` gives.
POLICIES: dict[str, type[Pool]] = {
    "longest_wait": LongestWeightedWait,
    "priority": CallTypePriority,
}


def build_routing(cs: CompiledScenario, hang_up: Callable[[Call], None]
                  ) -> tuple[list[Queue], list[Pool]]:
    """The queues and pools of *cs*, wired to each other; *hang_up* records callers
    found past their hang-up time (lazy abandonment)."""
    K = len(cs.call_types)
    queues = [Queue(k, ct.queue_capacity, ct.wait_weight) for k, ct in enumerate(cs.call_types)]
    routes = [list(zip(r, o, strict=True)) for r, o in zip(cs.routing, cs.overflow, strict=True)]
    pools: list[Pool] = []
    for i, cp in enumerate(cs.pools):
        delays: dict[int, float] = {}
        for k, route in enumerate(routes):
            for p, after in route:
                if p == i:
                    delays[k] = after
        reserve = dict(cp.reserve)
        required = [sum(v for t, v in reserve.items() if t != k) for k in range(K)]
        kind = POLICIES[cp.policy]
        skills = [k for k in cp.skills if k in delays]
        if len(skills) == 1 and delays[skills[0]] == 0.0 and not any(required):
            kind = SingleQueueFcfs
        pool = kind(i, cp.name, hang_up)
        pool.queues = [(queues[k], delays[k]) for k in pool.order(cs, skills)]
        pool.required = required
        pool.serves = [k in cp.skills for k in range(K)]
        if isinstance(pool, SingleQueueFcfs):
            pool.fifo = pool.queues[0][0].calls
        if cp.handle_factor:
            factors = [1.0] * K
            for k, f in cp.handle_factor:
                factors[k] = f
            pool.handle_factor = factors
        pools.append(pool)
    for q, route in zip(queues, routes, strict=True):
        q.route = [(pools[i], after) for i, after in route]
        q.immediate = [p for p, after in q.route if after <= 0.0]
        q.overflow = [(p, after) for p, after in q.route if 0.0 < after < math.inf]
    return queues, pools
