"""Editor mode: an assignment as a plain Python module, graded by the notebook's own hidden tests.

``scaffold`` turns the release notebook (generated from ``source/``, so the two never disagree) into
three files: ``<name>.py`` with every exercise's signature, docstring and ``raise
NotImplementedError``; ``test_<name>.py`` with the notebook's visible checks as pytest tests; and a
``README.md`` listing the exercises in order. ``as_notebook`` turns a learner's module back into the
release notebook with the module's code in its first answer cell, so ``mlgrind check`` grades it
through the very same nbgrader autograde and hidden tests as ``mlgrind grade``.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import nbformat

from .course import Course, CourseError
from .attempts import keep_attempt

# Top-level statements of a read-only cell that belong in a module (definitions, not demos).
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)


def module_name(assignment: str) -> str:
    """``01_broadcasting`` -> ``broadcasting`` (a module name cannot start with a digit)."""
    head, _, rest = assignment.partition("_")
    return rest if head.isdigit() and rest else assignment


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _definitions(source: str) -> str:
    """The top-level definitions (imports, assignments, functions, classes) of ``source``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    parts = [ast.get_source_segment(source, node) for node in tree.body if isinstance(node, DEFINITIONS)]
    return "\n\n".join(parts)


def _visible_check(cell) -> bool:
    return _meta(cell).get("locked") and not _meta(cell).get("grade") and _meta(cell).get("grade_id", "").startswith("check_")


def scaffold_files(course: Course, assignment: str) -> dict[str, str]:
    """File name -> text of the editor-mode scaffold of ``assignment`` (nothing of a solution in it)."""
    release = course.release_notebook(assignment)
    if not release.exists():
        raise CourseError(f"{release} is missing; run `mlgrind build {assignment}` first")
    return module_files(nbformat.read(str(release), as_version=4), assignment)


def module_files(nb, assignment: str) -> dict[str, str]:
    """The editor-mode files for notebook ``nb``: its answer cells become the module's code."""
    name = module_name(assignment)

    module = [f'"""{assignment}: implement each exercise below, then run `mlgrind check {assignment}`."""', ""]
    tests = [f'"""Quick checks of {name}.py (the visible ones); `mlgrind check` runs the hidden tests."""', "",
             "import numpy as np  # noqa: F401", "", f"from {name} import *  # noqa: F401,F403", ""]
    exercises = []
    for cell in nb.cells:
        meta = _meta(cell)
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("## Exercise"):
            exercises.append(cell.source.strip())
        if cell.cell_type != "code" or meta.get("grade"):
            continue
        if meta.get("solution"):
            # A top-level stub raise would stop the module's import; one inside a function stays.
            lines = [ln for ln in cell.source.splitlines() if ln != "raise NotImplementedError()"]
            module += ["\n".join(lines), "", ""]
        elif _visible_check(cell):
            test = f"def test_{meta['grade_id'].removeprefix('check_')}():\n" + textwrap.indent(cell.source, "    ")
            tests += ["", test, ""]
        elif meta.get("locked") and not any(word in cell.source for word in ("matplotlib", "Flow(", "Widget(")):
            # Given context (data, helper functions); pictures and widgets stay in the notebook.
            given = _definitions(cell.source)
            if given:
                module += ["# Given (from the notebook):", given, "", ""]

    readme = [f"# {assignment} in an editor", "",
              f"Implement every function in `{name}.py`. `pytest test_{name}.py` runs the quick checks;",
              f"`mlgrind check {assignment} <this folder>` grades the module with the hidden tests,",
              "exactly as `mlgrind grade` grades the notebook.", "", "## Exercises, in order", ""]
    readme += [f"- {ex.splitlines()[0].removeprefix('## ').strip()}" for ex in exercises]
    return {
        f"{name}.py": "\n".join(module).rstrip() + "\n",
        f"test_{name}.py": "\n".join(tests).rstrip() + "\n",
        "README.md": "\n".join(readme) + "\n",
    }


def scaffold(course: Course, assignment: str, out: Path, force: bool = False) -> list[str]:
    """Write the scaffold into ``out/<assignment>/``; an existing module is never lost."""
    folder = out / assignment
    files = scaffold_files(course, assignment)
    module = folder / f"{module_name(assignment)}.py"
    done = []
    if module.exists():
        if not force:
            raise CourseError(f"{module} exists (your work?); pass --force to replace it, a backup is kept")
        done.append(f"your module was kept as {keep_attempt(module)}")
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
        done.append(f"wrote {folder / name}")
    return done


def find_module(assignment: str, path: Path) -> Path:
    """The learner's module for ``assignment``: ``path`` itself, or inside it or its ``<assignment>/``."""
    name = f"{module_name(assignment)}.py"
    for candidate in (path, path / name, path / assignment / name):
        if candidate.is_file():
            return candidate.resolve()
    raise CourseError(f"no {name} at {path} (nor in {path / assignment}); `mlgrind scaffold {assignment}` writes one")


def as_notebook(course: Course, assignment: str, module: Path):
    """The release notebook with the learner's ``module`` as its first answer cell and the other answer cells empty."""
    nb = nbformat.read(str(course.release_notebook(assignment)), as_version=4)
    # The module's text goes into the notebook itself: the grading kernel sees only the submission.
    load = f"# {module.name}\n" + module.read_text(encoding="utf-8")
    first = True
    for cell in nb.cells:
        meta = _meta(cell)
        if cell.cell_type == "code" and meta.get("solution"):
            # Answers come from the module; the first answer cell holds it, the rest keep their place.
            cell.source = load if first else "pass"
            first = False
        elif cell.cell_type == "markdown" and meta.get("solution"):
            cell.source = "(answered in the notebook only: editor mode leaves this to a person)"
    return nb
