"""How the recall commands write a count: ``1 answer``, ``3 answers``, ``2.5 minutes``."""

from __future__ import annotations

__all__ = ["plural"]


def plural(number: float, noun: str) -> str:
    """A count and its noun.

    >>> plural(1, "answer"), plural(3, "answer"), plural(2.5, "minute")
    ('1 answer', '3 answers', '2.5 minutes')
    """
    return f"{number:g} {noun}" + ("" if number == 1 else "s")
