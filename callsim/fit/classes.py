"""Priority classes: call types split by the log's priority column.

Owns :func:`priority_classes`: a :class:`~callsim.logs.CallLog` whose ``call_type`` is
the class ``<type>_p<priority>`` wherever a type has callers of several priorities, and
:class:`ClassInfo` (each class's priority and what was reassigned). Imports
:mod:`callsim.logs`, numpy and pandas.

The fitted scenario then gives each class ``priority:`` = the log's priority value
and the pool ``policy: priority`` (higher values first), as a centre that serves its
priority customers first does (the Anonymous Bank: priority 2 customers ahead of
regular ones, who are ahead of unidentified new customers).

A priority value that almost never waits (under ``never_waits`` of its answered or
abandoned calls waited, while another class of the same type mostly waits) marks
callers who were answered before they were identified, not a class of its own: in the
bank log, regular and priority customers who found an agent free at once keep
priority 0. Such calls are given the type's other classes at random, in proportion to
those classes' queued calls (a fixed seed: the same log always gives the same
classes), so the simulation sees every class's full arrivals. A class with fewer than
``min_calls`` calls joins its type's largest class (too few calls to fit its own
handle time and patience).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from callsim.logs import CallLog


@dataclass
class ClassInfo:
    """The classes of a log split by priority."""

    priority: dict[str, int] = field(default_factory=dict)
    """Class (call type of the split log) -> its priority (higher is served first)."""
    reassigned: dict[str, int] = field(default_factory=dict)
    """``<type>_p<value>`` -> calls of that never-waiting value given to other classes."""
    merged: dict[str, int] = field(default_factory=dict)
    """``<type>_p<value>`` -> calls of a class under ``min_calls`` put in the type's
    largest class."""
    split: bool = False
    """Whether any type has more than one class."""


def priority_classes(log: CallLog, seed: int = 0, never_waits: float = 0.05,
                     min_calls: int = 200) -> tuple[CallLog, ClassInfo]:
    """Split call types by priority (see the module docstring).

    Returns the log with ``call_type`` replaced by the classes, and their
    :class:`ClassInfo`. A log without a ``priority`` column is returned as it is (every
    type priority 0).
    """
    c = log.calls
    info = ClassInfo()
    if "priority" not in c.columns:
        info.priority = {str(t): 0 for t in c["call_type"].unique()}
        return log, info
    rng = np.random.default_rng(seed)
    types = c["call_type"].astype(str).to_numpy()
    prio = pd.to_numeric(c["priority"], errors="coerce").fillna(0).astype(int).to_numpy()
    prio = prio.copy()
    queued = c["outcome"].isin(("answered", "abandoned")).to_numpy()
    waited = queued & (c["wait"].to_numpy() > 0)
    out = types.astype(object).copy()
    for t in sorted(set(types)):
        m = types == t
        values = sorted(set(prio[m]))
        share = {v: (waited[m & (prio == v)].sum() / max(queued[m & (prio == v)].sum(), 1))
                 for v in values}
        instant = [v for v in values if share[v] < never_waits
                   and any(share[w] >= 0.5 for w in values if w != v)]
        others = [v for v in values if v not in instant]
        for v in instant:
            sel = np.flatnonzero(m & (prio == v))
            weights = np.array([waited[m & (prio == w)].sum() for w in others], dtype=float)
            prio[sel] = np.asarray(others)[rng.choice(len(others), sel.size,
                                                      p=weights / weights.sum())]
            info.reassigned[f"{t}_p{v}"] = int(sel.size)
        sizes = {v: int((m & (prio == v)).sum()) for v in set(prio[m])}
        biggest = max(sizes, key=lambda v: (sizes[v], v))
        for v, n in sizes.items():  # too few calls for a class of their own
            if n < min_calls and v != biggest:
                prio[m & (prio == v)] = biggest
                info.merged[f"{t}_p{v}"] = n
        kept = sorted(set(prio[m]))
        if len(kept) == 1:
            info.priority[t] = int(kept[0])
            continue
        info.split = True
        for v in kept:
            name = f"{t}_p{v}"
            out[m & (prio == v)] = name
            info.priority[name] = int(v)
    calls = c.copy()
    calls["call_type"] = out.astype(str)
    calls["priority"] = prio
    return CallLog(calls, dict(log.dropped), log.source, log.format, dict(log.flags)), info
