"""Recall tools: seeded drills and their scoring, one-page references, the learner's history.

``drills``: topics and questions, one module per topic with its families (its docstring says how to
add a topic); ``session``: one drill's score; ``terminal`` and ``widget``: the drill in a terminal
and in a notebook; ``facts`` and ``onepager``: what one-pagers say, and their drawing; ``history``:
progress.db (opened and migrated by ``progressdb``).

Spaced review: ``families`` (which family a drill question belongs to, fresh variants),
``scheduler`` (FSRS ratings and dates), ``reviews`` (each item's stored state), ``review`` and
``interview`` (the two sessions), ``bank`` (interview questions, with the ``followups/`` content),
``stats`` and ``plot`` (for progress), ``anki`` (the deck).
"""
