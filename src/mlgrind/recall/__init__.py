"""Recall tools: seeded drills and their sessions (terminal and widget), one-pagers, the learner's history."""
