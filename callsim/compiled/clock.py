"""Simulation time: the conventions every compiled object shares.

Simulation time 0 is the horizon's clock ``start``; profiles and schedules are
anchored at 00:00 of the first day. Imports nothing from callsim.
"""

from __future__ import annotations

DAY = 86400.0
"""Seconds in a day."""
