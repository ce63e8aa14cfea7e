"""How the recall commands write a count (``1 answer``, ``3 answers``) and a number (``6.872e10``)."""

from __future__ import annotations

import math

__all__ = ["number", "plural"]


def plural(number: float, noun: str) -> str:
    """A count and its noun.

    >>> plural(1, "answer"), plural(3, "answer"), plural(2.5, "minute")
    ('1 answer', '3 answers', '2.5 minutes')
    """
    return f"{number:g} {noun}" + ("" if number == 1 else "s")


def number(x: float) -> str:
    """A number in at most four significant digits, as a person types it back: ``e10``, not ``e+10``.

    >>> number(4096), number(0.4), number(3.35e12), number(7e9), number(68719476736), number(0.0123456)
    ('4096', '0.4', '3.35e12', '7e9', '6.872e10', '0.01235')
    >>> number(24576.5), number(1365.33), number(0.15789), number(-2.5)
    ('24580', '1365', '0.1579', '-2.5')
    """
    if x == int(x) and abs(x) < 1e5:
        return str(int(x))
    if 1e-3 <= abs(x) < 1e5:
        decimals = 3 - math.floor(math.log10(abs(x)))  # four significant digits
        rounded = round(x, decimals)
        return str(int(rounded)) if decimals <= 0 else f"{rounded:.{decimals}f}".rstrip("0").rstrip(".")
    mantissa, exponent = f"{x:.3e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
