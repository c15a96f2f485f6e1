"""Exceptions raised by callsim.

Owns the error types every other module raises; imports nothing from callsim.
"""

from __future__ import annotations


class CallsimError(Exception):
    """Base class of every error callsim raises on purpose."""


class Refusal(CallsimError):
    """callsim refused the request: bad input, or an output folder it cannot or must not
    use. The command line prints the message and exits with code 2 (not 1, which is
    kept for internal errors)."""


class ConfigError(Refusal):
    """A scenario file or override is invalid.

    Parameters
    ----------
    message
        The whole, human-readable message: it names the file, the field path,
        the bad value and what is allowed.
    """


class ModelError(CallsimError):
    """The simulation reached a state it must never reach (a bug, not bad input)."""
