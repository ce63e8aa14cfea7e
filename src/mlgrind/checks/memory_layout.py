"""Arrays with the same values in another memory layout, for tests that feed a learner's code.

>>> noncontiguous(np.arange(3)).flags.c_contiguous
False
"""

from __future__ import annotations

import numpy as np


def noncontiguous(x: np.ndarray) -> np.ndarray:
    """A strided view holding the same values as ``x`` (not C-contiguous when ``x.size > 1``)."""
    x = np.asarray(x)
    buf = np.zeros(x.shape + (2,), dtype=x.dtype)
    buf[..., 0] = x
    return buf[..., 0]
