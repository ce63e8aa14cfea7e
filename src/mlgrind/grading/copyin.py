"""What of a submission's folder enters a grading sandbox: its data, and nothing else.

Only regular files and plain folders are copied: no symbolic link (it could point at the
gradebook, ``source/`` or another student's work), no dot-file or dot-folder (``.ipython`` start-up
files, settings), and no notebook (the folder nbgrader grades in holds the restored notebook, with
every hidden test). Copies are private to the grader: folders 0700, files 0600.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def data_files(folder: Path) -> list[Path]:
    """The paths, relative to ``folder``, of the files a sandbox may receive from it."""
    found = []

    def walk(current: Path, relative: Path) -> None:
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                walk(Path(entry.path), relative / entry.name)
            elif entry.is_file(follow_symlinks=False) and not entry.name.endswith(".ipynb"):
                found.append(relative / entry.name)

    walk(Path(folder), Path())
    return found


def copy_data(folder: Path, target: Path) -> list[str]:
    """Copy ``data_files(folder)`` into ``target``; returns one line per file that did not fit or fell away."""
    skipped = []
    for relative in data_files(folder):
        destination = target / relative
        try:
            for parent in reversed(destination.relative_to(target).parents[:-1]):
                (target / parent).mkdir(mode=0o700, exist_ok=True)
            # O_NOFOLLOW: a file swapped for a link after it was listed is not followed either.
            source_fd = os.open(folder / relative, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(source_fd, "rb") as source, \
                    os.fdopen(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600),
                              "wb") as copy:
                shutil.copyfileobj(source, copy)
        except OSError as exc:
            destination.unlink(missing_ok=True)
            skipped.append(f"{relative} was not copied into the sandbox ({exc.strerror})")
    return skipped


def empty(folder: Path) -> None:
    """Remove everything in ``folder``, keeping the folder itself (and any mount on it)."""
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass
