"""Editor mode: an assignment as a plain Python module, graded by the notebook's own hidden tests.

``scaffold`` turns the release notebook (generated from ``source/``, so the two never disagree) into
a folder: ``<name>.py`` with every exercise's signature, docstring and ``raise NotImplementedError``;
``test_<name>.py`` with the notebook's visible checks as pytest tests; ``answers.md`` with each
written question ("Say it out loud") and a place for its answer; a ``README.md`` with every
exercise's text in order; and ``.mlgrind-course``, the course's root, so ``mlgrind check`` works
from the scaffold's own folder. ``as_notebook`` turns a learner's module and answers back into the
release notebook (the module's code in its first answer cell, each written answer in its cell), so
``mlgrind check`` grades it through the very same nbgrader autograde and hidden tests as
``mlgrind grade``, with the written answers left to a person as in the notebook.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import nbformat

from .course import Course, CourseError
from .attempts import keep_attempt

# Top-level statements of a read-only cell that belong in a module (definitions, not demos).
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)

COURSE_FILE = ".mlgrind-course"  # in a scaffold: the root of the course it was written from
ANSWERS_FILE = "answers.md"
_ANSWER = re.compile(r"<!-- your answer to (\S+) starts below this line -->\n(.*?)\n?"
                     r"<!-- your answer to \1 ends above this line -->", re.S)

# Exercise texts speak of the notebook's cells; in an editor the same work is done elsewhere.
EDITOR_WORDING = {
    "The cells after yours train with a fixed seed (about a second), check the training accuracy and\n"
    "draw the loss curve and the decision boundary;":
    "`test_train_mlp` (in the quick checks) trains with a fixed seed (about a second) and checks the\n"
    "training accuracy (the notebook also draws the loss curve and the decision boundary);",
}


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


def _in_editor_words(text: str) -> str:
    for notebook_words, editor_words in EDITOR_WORDING.items():
        text = text.replace(notebook_words, editor_words)
    return text


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

    module = [f'"""{assignment}: implement each exercise below (README.md says what each asks), then run\n'
              f'`mlgrind check {assignment}` in this folder; write the spoken answers in {ANSWERS_FILE}."""', ""]
    tests = [f'"""Quick checks of {name}.py (the visible ones); `mlgrind check` runs the hidden tests."""', "",
             "import numpy as np  # noqa: F401", "", f"from {name} import *  # noqa: F401,F403", ""]
    exercises, answers, question = [], [], ""
    for cell in nb.cells:
        meta = _meta(cell)
        if cell.cell_type == "markdown" and meta.get("solution"):
            answers.append(_answer_section(question, meta["grade_id"], cell.source))
            continue
        if cell.cell_type == "markdown":
            question = cell.source.strip()
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("## Exercise"):
            exercises.append(_in_editor_words(cell.source.strip()))
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
              f"`mlgrind check {assignment}` (in this folder) grades the module with the hidden tests,",
              f"exactly as `mlgrind grade` grades the notebook, and carries your answers in `{ANSWERS_FILE}`",
              "into it for a person to read. This folder remembers its course in `.mlgrind-course`;",
              "`--course PATH` names another.", "", "## Exercises, in order", ""]
    readme += [f"- {ex.splitlines()[0].removeprefix('## ').strip()}" for ex in exercises]
    for ex in exercises:
        readme += ["", "#" + ex]  # each exercise one level below "Exercises, in order"
    files = {
        f"{name}.py": "\n".join(module).rstrip() + "\n",
        f"test_{name}.py": "\n".join(tests).rstrip() + "\n",
        "README.md": "\n".join(readme) + "\n",
    }
    if answers:
        files[ANSWERS_FILE] = "\n".join([
            f"# {assignment}: written answers", "",
            "Write each answer between its two marker lines. `mlgrind check` puts it into the graded",
            "notebook's answer cell, where a person reads it: its points are manual, as in the notebook.",
            "", *answers]).rstrip() + "\n"
    return files


def _answer_section(question: str, grade_id: str, placeholder: str) -> str:
    """The question, then its answer between two marker lines (the release's placeholder until written)."""
    return "\n".join([question, "", f"<!-- your answer to {grade_id} starts below this line -->",
                      placeholder.strip(), f"<!-- your answer to {grade_id} ends above this line -->", ""])


def written_answers(text: str) -> dict[str, str]:
    """grade_id -> the answer written between its markers in an answers file."""
    return {grade_id: answer.strip() for grade_id, answer in _ANSWER.findall(text)}


def scaffold(course: Course, assignment: str, out: Path, force: bool = False) -> list[str]:
    """Write the scaffold into ``out/<assignment>/``; an existing module or answers file is never lost."""
    folder = out / assignment
    files = scaffold_files(course, assignment)
    yours = [folder / name for name in (f"{module_name(assignment)}.py", ANSWERS_FILE) if name in files]
    done = []
    if any(path.exists() for path in yours) and not force:
        existing = next(path for path in yours if path.exists())
        raise CourseError(f"{existing} exists (your work?); pass --force to replace it, a backup is kept")
    for path in yours:
        if path.exists():
            done.append(f"your {path.name} was kept as {keep_attempt(path)}")
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
        done.append(f"wrote {folder / name}")
    (folder / COURSE_FILE).write_text(f"{course.root.resolve()}\n")
    return done


def remembered_course(path: Path) -> Path | None:
    """The course root a scaffold at ``path`` remembers: in its folder, or in one folder below (``~/grind``)."""
    folder = path if path.is_dir() else path.parent
    for note in (folder / COURSE_FILE, *sorted(folder.glob(f"*/{COURSE_FILE}"))):
        if note.is_file():
            return Path(note.read_text(encoding="utf-8").strip())
    return None


def find_module(assignment: str, path: Path) -> Path:
    """The learner's module for ``assignment``: ``path`` itself, or inside it or its ``<assignment>/``."""
    name = f"{module_name(assignment)}.py"
    for candidate in (path, path / name, path / assignment / name):
        if candidate.is_file():
            return candidate.resolve()
    raise CourseError(f"no {name} at {path} (nor in {path / assignment}); `mlgrind scaffold {assignment}` writes one")


def as_notebook(course: Course, assignment: str, module: Path):
    """The release notebook with the learner's ``module`` as its first answer cell, the other code answer
    cells empty, and each written answer from ``answers.md`` beside the module in its own cell (a
    missing or unwritten answer keeps the release's placeholder: not answered)."""
    nb = nbformat.read(str(course.release_notebook(assignment)), as_version=4)
    # The module's text goes into the notebook itself: the grading kernel sees only the submission.
    load = f"# {module.name}\n" + module.read_text(encoding="utf-8")
    answers_path = module.parent / ANSWERS_FILE
    written = written_answers(answers_path.read_text(encoding="utf-8")) if answers_path.is_file() else {}
    first = True
    for cell in nb.cells:
        meta = _meta(cell)
        if cell.cell_type == "code" and meta.get("solution"):
            # Answers come from the module; the first answer cell holds it, the rest keep their place.
            cell.source = load if first else "pass"
            first = False
        elif cell.cell_type == "markdown" and meta.get("solution") and written.get(meta.get("grade_id")):
            cell.source = written[meta["grade_id"]]
    return nb
