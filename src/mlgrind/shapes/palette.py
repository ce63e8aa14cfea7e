"""The course's colours, each with the meaning it carries and the words that say it.

Every diagram and one-pager uses these, so a colour means one thing everywhere; and every colour
always appears next to its ``label``, so nothing is said by colour alone (colour-blind readers,
grey printouts). Hues from the Okabe-Ito palette, which stays distinguishable for most colour
vision deficiencies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

__all__ = ["Role", "BATCH", "CONTRACTED", "FREE", "STRETCHED", "PADDED", "CONFLICT", "PLAIN", "RESULT", "ROLES",
           "roles", "combined"]


@dataclass(frozen=True)
class Role:
    """What a dimension does, and how diagrams draw it."""

    name: str
    label: str  # the words printed beside the colour
    meaning: str  # one line for a legend
    ink: str  # border and text colour
    fill: str  # box background
    dashed: bool = False  # drawn faint and dashed: not really there (a padded or removed 1)


BATCH = Role("batch", "batch", "in every input and the output: carried along", "#0b5c99", "#dcebf7")
CONTRACTED = Role("contracted", "contracted", "multiplied pairwise and summed away", "#8a5a00", "#fbe7b5")
FREE = Role("free", "free", "kept from one input into the output", "#00694c", "#d3efe4")
STRETCHED = Role("stretched", "stretched", "a size-1 axis repeated to match the others", "#8c2f6b", "#f5dcec")
PADDED = Role("padded", "padded", "a 1 added on the left (or by 1-D promotion)", "#6b6b6b", "#f4f4f4", dashed=True)
CONFLICT = Role("conflict", "conflict", "sizes that differ and neither is 1", "#b3261e", "#fbdcd9")
PLAIN = Role("plain", "kept", "a size that already matches", "#333333", "#ffffff")
RESULT = Role("result", "result", "the output shape", "#111111", "#eeeeee")

ROLES = {role.name: role for role in (BATCH, CONTRACTED, FREE, STRETCHED, PADDED, CONFLICT, PLAIN, RESULT)}


def roles(names: Iterable[str], plain: Role = PLAIN) -> tuple[Role, ...]:
    """The roles ``names`` stand for (as ``Axis.roles`` gives them); ``plain`` draws a "plain" size.

    >>> [role.label for role in roles(("padded", "stretched"))], roles(("plain",), BATCH)[0].label
    (['padded', 'stretched'], 'batch')
    """
    return tuple(plain if name == PLAIN.name else ROLES[name] for name in names)


def combined(parts: Sequence[Role]) -> Role:
    """One box for a size with several roles: the last one's colours, dashed if any part is.

    >>> look = combined(roles(("padded", "stretched")))
    >>> look.name, look.label, look.dashed
    ('stretched', 'padded, stretched', True)
    """
    if len(parts) == 1:
        return parts[0]
    return replace(parts[-1], label=", ".join(part.label for part in parts), dashed=any(p.dashed for p in parts))
