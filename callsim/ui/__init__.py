"""What people see: the command line, terminal tables, figures and the HTML report.

The top layer: nothing in callsim imports it (but :mod:`callsim.ui.plots` is also
available as ``callsim.plots`` for notebooks).
"""
