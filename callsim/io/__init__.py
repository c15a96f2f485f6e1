"""Files: the run folder (manifest, replication records, summaries) and its readers.

Imports :mod:`callsim.results` and :mod:`callsim.compiled`; never the experiment or UI
layers.
"""
