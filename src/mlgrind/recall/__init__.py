"""Recall tools: seeded drills and their scoring, one-page references, the learner's history.

``drills``: topics and questions; ``session``: one drill's score; ``terminal`` and ``widget``: the
drill in a terminal and in a notebook; ``facts`` and ``onepager``: what one-pagers say, and their
drawing; ``history``: progress.db.
"""
