"""The engine: one replication of a compiled scenario on a SimPy environment.

Calls (:mod:`~callsim.engine.call`), arrivals, the menu walk, the model's run loop and
the recorder that folds finished calls into tallies. Imports :mod:`callsim.compiled`
and the leaves; never the results, experiment or UI layers.
"""
