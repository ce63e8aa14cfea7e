"""Keep a learner's notebook before anything replaces it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path


def keep_attempt(path: Path) -> Path:
    """Copy ``path`` to ``<stem>.attempt-<YYYYmmdd-HHMMSS>.ipynb`` beside it; returns the copy."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.stem}.attempt-{stamp}{path.suffix}")
    n = 1
    while kept.exists():
        n += 1
        kept = path.with_name(f"{path.stem}.attempt-{stamp}-{n}{path.suffix}")
    shutil.copy2(path, kept)
    return kept
