"""The likely cause of an array of the wrong shape, read from the two shapes alone.

>>> shape_hint((3, 4), (4, 3))
'transposed?'
>>> format_shape((2, 1))
'(2, 1)'
"""

from __future__ import annotations

import numpy as np


def format_shape(shape) -> str:
    return str(tuple(int(n) for n in shape))


def shape_hint(actual: tuple, expected: tuple) -> str:
    """The most likely cause of getting an array of shape ``actual`` instead of ``expected``."""
    actual, expected = tuple(actual), tuple(expected)
    if actual == () and expected:
        return "a scalar came back: summed or averaged over everything?"
    if len(actual) == len(expected):
        if len(actual) > 1 and actual == expected[::-1]:
            return "transposed?"
        if sorted(actual) == sorted(expected):
            return "axes in the wrong order (a reshape where a transpose belongs?)"
        if np.prod(actual) == np.prod(expected):
            return "same number of elements: reshaped to the wrong shape?"
        return "reduced or broadcast along the wrong axis?"
    if len(actual) == len(expected) + 1:
        for axis in range(len(actual)):
            if actual[:axis] + actual[axis + 1 :] == expected:
                if actual[axis] == 1:
                    return f"an extra size-1 axis {axis}: keepdims=True where it should not be?"
                return (
                    f"an extra axis {axis} of size {actual[axis]}: did an (N,) and an (N, 1) "
                    "broadcast against each other?"
                )
        return "one axis too many: something broadcast that should not have?"
    if len(actual) + 1 == len(expected):
        for axis in range(len(expected)):
            if expected[:axis] + expected[axis + 1 :] == actual:
                if expected[axis] == 1:
                    return f"axis {axis} of size 1 is missing: keepdims=True forgotten?"
                return f"axis {axis} is missing: reduced over an axis that should stay?"
        return "one axis too few: reduced over an axis that should stay?"
    return f"{len(actual)} dims instead of {len(expected)}"
