"""Symbolic links in a submission are refused before anything is graded.

nbgrader reads a submitted notebook, and copies a submission's other files, through any link, with
the grader's rights: a notebook that links to another student's would be graded as this student's,
and a file linking to the gradebook or ``source/`` would be copied next to the graded notebook. This
step of autograde's first pass (``Autograde.sanitize_preprocessors``) grades a linked notebook as
unanswered, with a one-line note in the log and in its answer cells, and removes from the autograded
folder every file nbgrader copied through a link.
"""

from __future__ import annotations

import os
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

NOTE = "{student}: {name} is a symbolic link, not a file; it was not graded (a submission holds regular files only)"


def linked_files(folder: Path) -> list[Path]:
    """Paths, relative to ``folder``, of the links to files nbgrader would copy (it does not enter linked folders)."""
    found = []
    for current, folders, files in os.walk(folder):
        for name in files:
            if os.path.islink(os.path.join(current, name)):
                found.append(Path(current, name).relative_to(folder))
    return found


class RefuseLinks(NbGraderPreprocessor):
    """Grade a linked notebook as unanswered, and drop files copied through links, in autograde's first pass."""

    def preprocess(self, nb, resources):
        folder = Path(resources.get("metadata", {}).get("path") or ".").absolute()
        name = f"{resources.get('unique_key', '')}.ipynb"
        student = resources.get("nbgrader", {}).get("student", "")
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        linked = [p for p in (folder / name, folder, folder.parent) if p.is_symlink()]
        if linked:
            note = NOTE.format(student=student, name=name if linked[0] == folder / name else f"{linked[0].name}/")
            self.log.warning("refused: %s", note)
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("solution"):
                    cell.source = f"raise RuntimeError({note!r})" if cell.cell_type == "code" else note
        if student and assignment:
            self._drop_linked_copies(folder, student, assignment)
        return nb, resources

    def _drop_linked_copies(self, folder: Path, student: str, assignment: str) -> None:
        coursedir = CourseDirectory(config=self.config)
        graded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
        for relative in linked_files(folder):
            copy = graded / relative
            if copy.exists() or copy.is_symlink():
                copy.unlink()
                self.log.warning("refused: %s: %s is a symbolic link; it was not copied", student, relative)

    def preprocess_cell(self, cell, resources, index):
        return cell, resources
