"""The engine: one replication of a compiled scenario, one room per concept.

========================  ==============================================================
``call``                  :class:`Call`; :class:`Outcome` and :class:`Transfer` codes
``clock``                 time, the schedule and the run loop: the only SimPy internals
``arrivals``              exact sampling of arrivals per block of time
``menu``                  the caller's walk through the IVR menu
``routing``               queues, pools, the :class:`Router` policies (call/agent choice)
``abandonment``           hang-ups while waiting: lazy and eager mode
``behaviour``             behaviour hooks; redials and customer call-backs
``transfers``             misroutes and transfers after a call
``announce``              queue announcements and balking
``hours``                 open hours: closed queues and menu options, after hours
``channels``              chatbot/text channels customers try before phoning
``draws``                 random numbers handed out one at a time
``recorder``              finished calls folded into tallies (no KPI is computed here)
``model``                 :class:`Model`: the run (entries, answers, staffing, drain)
========================  ==============================================================

Imports :mod:`callsim.compiled`, :mod:`callsim.rng`, :mod:`callsim.errors` and
:mod:`callsim.distributions`; never the results, experiment or UI layers.
"""
