"""Recall tools: seeded drills and their scoring, one-page references, the learner's history.

``drills``: topics and questions, one module per topic with its families (its docstring says how to
add a topic); ``session``: one drill's score; ``terminal`` and ``drill_widget``: the drill in a
terminal and in a notebook; ``facts`` and ``onepager``: what one-pagers say, and their drawing;
``history``: progress.db (opened and migrated by ``progressdb``).

Spaced review: ``families`` (which family a drill question belongs to, fresh variants), ``scheduler``
(FSRS ratings and dates), ``memory_states`` (each item's stored FSRS state and the log of reviews),
``review`` and ``interview`` (the two sessions: ``mlgrind review`` and ``mlgrind interview``), ``bank``
(interview questions, with the ``followups/`` content), ``rating`` (a written answer rated against its
rubric), ``stats`` and ``plot`` (for progress), ``anki`` (the deck), ``words`` (counts and numbers as
printed).
"""
