"""Exceptions raised by callsim.

Owns the error types every other module raises; imports nothing from callsim.
"""

from __future__ import annotations


class CallsimError(Exception):
    """Base class of every error callsim raises on purpose."""


class ConfigError(CallsimError):
    """A scenario file or override is invalid.

    Parameters
    ----------
    message
        The whole, human-readable message: it names the file, the field path,
        the bad value and what is allowed.
    """


class ModelError(CallsimError):
    """The simulation reached a state it must never reach (a bug, not bad input)."""
