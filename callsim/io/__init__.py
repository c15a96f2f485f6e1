"""Files: the run folder (layout, manifests, checksummed replication records, atomic
writes, summaries and CSV tables) and its reader.

Imports :mod:`callsim.results` and :mod:`callsim.compiled`; never the experiment or UI
layers. Modules: :mod:`~callsim.io.rundir` (the layout and manifests),
:mod:`~callsim.io.records` (replication records and their checksum),
:mod:`~callsim.io.writers` (result files), :mod:`~callsim.io.reader` (reading a folder
back), :mod:`~callsim.io.atomic` (the one atomic write, clean output errors),
:mod:`~callsim.io.encoding` (the one JSON encoding), :mod:`~callsim.io.fingerprint`.
"""
