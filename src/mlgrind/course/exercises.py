"""One way of speaking about a graded exercise: its title, status, short message and the next step.

The terminal table of ``mlgrind grade``, its ``--json``, nbgrader's feedback report and
``mlgrind progress`` all read them from here, so an exercise is named and judged the same in each.
Titles come from the notebook's own markdown headings, never from a list kept by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .limits import Limits

STATUSES = ("not attempted", "pass", "fail", "error", "manual")
# Exceptions that mean "a check failed" rather than "the code broke".
FAILURES = {"AssertionError", "CheckFailed", "ForbiddenCall"}
# Notebooks whose hidden tests run in a judge process of their own, never in the student's kernel.
JUDGED_APART = frozenset({"01_broadcasting", "02_matmul_einsum", "03_reshape_view", "04_backprop_mlp", "05_parallel_mlp",
                          "06_attention_norms", "07_scaling_math", "08_modern_transformer", "09_serving"})
SUMMARY_WIDTH = 64  # characters of a message in one row of the table

_HEADING = re.compile(r"^#{1,2}\s+(.+?)\s*#*\s*$")
_POINTS = re.compile(r"\s*\([^()]*\bpoints?\b[^()]*\)\s*$")
_NUMBERED = re.compile(r"^Exercise\s+(\d+)\s*[·:.\-–—]?\s*(.*)$")
_MORE = re.compile(r"\s*\(\+(\d+) more failed checks?(?: below)?\)\s*$")
_NOT_ATTEMPTED = re.compile(r"not attempted", re.I)
_NAMED = re.compile(r"^([\w.]+): ")
_NOT_YET = re.compile(r"^(?:[\w./ ]+: )?not attempted yet \((.+)\)$")
# A failed check ends with its likely cause, a question: "..., expected (4, 3): transposed?" or
# "... (a division by zero, or exp of a large number?)"; after "expected ...: " when it has one.
_ERROR_NAME = re.compile(r"^[A-Z][A-Za-z]*: ")
_CAUSE_IN_PARENS = re.compile(r"^(?P<what>.*\S)\s+\((?P<cause>[^()]*\?)\)$")
_CAUSE_AFTER_EXPECTED = re.compile(r"^(?P<what>.*?\bexpected [^:]*?): (?P<cause>.+\?)$")
_CAUSE_AFTER_COLON = re.compile(r"^(?P<what>.*): (?P<cause>[^:]+\?)$")


@dataclass(frozen=True)
class Heading:
    """An exercise as its notebook heading names it: ``## Exercise 3 · `standardize(x_BF, eps)` (3 points)``
    is number ``"3"``, title ``"`standardize(x_BF, eps)`"``, label ``"Exercise 3 · `standardize(x_BF, eps)`"``."""

    number: str | None
    title: str

    @property
    def label(self) -> str:
        return f"Exercise {self.number} · {self.title}" if self.number else self.title


def judged_apart(notebook: str) -> bool:
    """Whether ``notebook``'s hidden tests run in the judge (chosen by the course, never by a submission)."""
    return notebook in JUDGED_APART


def parse_heading(text: str) -> Heading:
    """The number and title in a heading's text, without its points.

    >>> parse_heading("Exercise 1 · `broadcast_shape(*shapes)` (4 points)")
    Heading(number='1', title='`broadcast_shape(*shapes)`')
    >>> parse_heading("Say it out loud (2 points, read by a person)").label
    'Say it out loud'
    """
    text = _POINTS.sub("", text.strip())
    numbered = _NUMBERED.match(text)
    if numbered and numbered.group(2):
        return Heading(numbered.group(1), numbered.group(2).strip())
    return Heading(numbered.group(1) if numbered else None, text)


def headings(nb) -> dict[str, Heading]:
    """grade_id -> the heading (level 1 or 2) nearest above each graded cell; the grade_id if none is."""
    found, current = {}, None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                match = _HEADING.match(line.strip())
                if match:
                    current = parse_heading(match.group(1))
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and meta.get("grade_id"):
            found[meta["grade_id"]] = current or Heading(None, meta["grade_id"])
    return found


def released_headings(nb, release: Path) -> dict[str, Heading]:
    """``headings`` as the released notebook at ``release`` has them (a learner may edit or delete a
    heading in their copy), those of ``nb`` for any cell the release lacks."""
    found = headings(nb)
    if release.is_file():
        import nbformat  # here, not above: the report's table needs none of it

        found.update(headings(nbformat.read(str(release), as_version=4)))
    return found


def is_manual(grade) -> bool:
    """Whether a gradebook grade is a person's to give: a written answer, or a cell autograde left ungraded."""
    return grade.cell.cell_type == "markdown" or (grade.auto_score is None and grade.needs_manual_grade)


def manual_message(answered: bool) -> str:
    """The message of a written answer's row: write it first, or compare it with its rubric."""
    if answered:
        return "read by a person; compare yours with the rubric and model answer"
    return "not written yet: write it, then grade again to see the rubric"


def judge(cell, limits: Limits) -> tuple[str, str]:
    """(status, message) of a graded code cell short of full marks, read from its outputs."""
    errors = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    # A timed-out cell shows the KeyboardInterrupt of the interrupted kernel before the timeout itself.
    for out in errors:
        explained = limits.explain(out.get("ename", ""), "the cell", str(out.get("evalue", "")))
        if explained:
            return "error", f"{out['ename']}: {explained[1]}"
    for out in errors:
        ename, evalue = out.get("ename", ""), str(out.get("evalue", "")).strip()
        if ename == "NotImplementedError":
            return "not attempted", "the answer still raises NotImplementedError"
        if ename in FAILURES:
            message = evalue or "a check failed"
            return ("not attempted" if _NOT_ATTEMPTED.search(message) else "fail"), message
        return "error", f"{ename}: {evalue}" if evalue else ename
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "fail", "the cell wrote to stderr: " + out.get("text", "").strip().splitlines()[0]
    printed = "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("output_type") == "stream")
    if _NOT_ATTEMPTED.search(printed):
        return "not attempted", printed.strip().splitlines()[0]
    return "fail", "no points, no error message"


def further_checks(message: str) -> tuple[str, int]:
    """The first line of a message and how many more failed checks it lists."""
    lines = [line for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return "", 0
    first = lines[0].strip()
    more = _MORE.search(first)
    if more:
        return first[: more.start()], int(more.group(1))
    return first, sum(1 for line in lines[1:] if line.lstrip().startswith("- "))


def cause_first(message: str) -> str:
    """A failed check's one line with its likely cause moved to the front, where a cut cannot lose it.

    >>> cause_first("d_NM is (2, 3), expected (3, 2): transposed?")
    'transposed? d_NM is (2, 3), expected (3, 2)'
    >>> cause_first("out has 1 non-finite values, first at [0]: nan (a division by zero, or exp of a large number?)")
    'a division by zero, or exp of a large number? out has 1 non-finite values, first at [0]: nan'
    >>> cause_first("out is wrong at 2 of 2 elements")
    'out is wrong at 2 of 2 elements'
    """
    for pattern in (_CAUSE_IN_PARENS, _CAUSE_AFTER_EXPECTED, _CAUSE_AFTER_COLON):
        found = pattern.match(message.strip())
        if found:
            return f"{found['cause']} {found['what']}"
    return message


def summarize(message: str, width: int = SUMMARY_WIDTH, title: str = "") -> str:
    """The message in at most ``width`` characters, cut at a word, with the count of further checks;
    the likely cause comes first (``cause_first``), a leading ``name: `` the exercise's ``title``
    already says is left out, and of a message saying "not attempted yet" only its reason is kept
    (the status says the rest).

    >>> summarize("f: shape (3, 4), expected (4, 3): transposed? (+2 more failed checks below)", 52, "`f(x)`")
    'transposed? shape (3, 4), expected (4, 3) (+2 more)'
    >>> summarize("f: f of float64 (1, 3) and (4, 3) is (4, 1), expected (1, 4): transposed?", 40, "`f(x)`")
    'transposed? f of float64 (1, 3) and...'
    >>> summarize("CellTimeoutError: the cell ran past the 3 s limit (an infinite loop?)", 70)
    'CellTimeoutError: the cell ran past the 3 s limit (an infinite loop?)'
    >>> summarize("mse_loss: not attempted yet (its cell still raises NotImplementedError)")
    'its cell still raises NotImplementedError'
    """
    first, more = further_checks(message)
    not_yet = _NOT_YET.match(first)
    if not_yet:
        first = not_yet.group(1)
    named = _NAMED.match(first)
    if named and re.search(rf"\b{re.escape(named.group(1))}\b", title):
        first = first[named.end():]
    if not not_yet and not _ERROR_NAME.match(first):  # an error's words stay in order: "CellTimeoutError: ..."
        first = cause_first(first)
    suffix = f" (+{more} more)" if more else ""
    room = width - len(suffix)
    if len(first) > room:
        cut = first[: room - 3]
        if " " in cut.strip():
            cut = cut.rsplit(" ", 1)[0]
        first = cut.rstrip(" ,;:") + "..."
    return first + suffix


_TODO = {"not attempted": "write it", "fail": "fix it", "error": "fix the error"}


def next_step(rows, assignment: str, later: str | None, command: str = "grade") -> str:
    """The one thing to do next: the first exercise that fails or errs, else the first not attempted
    (finish what was started first), else the next notebook.

    ``rows`` have ``exercise`` (a label), ``status``, ``score`` and ``max_score``; ``later`` is the
    assignment after this one, if any; ``command`` the ``mlgrind`` command that grades it again.

    >>> from types import SimpleNamespace as Row
    >>> rows = [Row(exercise="Exercise 1 · `f`", status="pass", score=2, max_score=2),
    ...         Row(exercise="Exercise 2 · `g`", status="not attempted", score=0, max_score=3)]
    >>> next_step(rows, "01_broadcasting", "02_matmul_einsum")
    'next: Exercise 2 · `g` - write it, run its check cell, then `mlgrind grade 01` again'
    >>> next_step(rows, "01_broadcasting", "02_matmul_einsum", command="check")
    'next: Exercise 2 · `g` - write it, then `mlgrind check 01` again'
    >>> rows.append(Row(exercise="Exercise 3 · `h`", status="fail", score=1, max_score=3))
    >>> next_step(rows, "01_broadcasting", "02_matmul_einsum")
    'next: Exercise 3 · `h` - fix it, run its check cell, then `mlgrind grade 01` again'
    >>> next_step(rows[:1], "01_broadcasting", "02_matmul_einsum")
    'next: every autograded exercise passes - open notebooks/02_matmul_einsum.ipynb; keep it fresh with `mlgrind drill`'
    """
    number = assignment.split("_")[0]
    short = [row for row in rows if row.status != "manual" and (row.status != "pass" or row.score < row.max_score)]
    short.sort(key=lambda row: row.status == "not attempted")  # stable: notebook order within each kind
    for row in short[:1]:
            again = "run its check cell, then " if command == "grade" else "then "
            return f"next: {row.exercise} - {_TODO.get(row.status, 'fix it')}, {again}`mlgrind {command} {number}` again"
    if later:
        return f"next: every autograded exercise passes - open notebooks/{later}.ipynb; keep it fresh with `mlgrind drill`"
    return "next: every autograded exercise passes - the course is done; keep it fresh with `mlgrind drill`"


def score_line(score: float, max_score: float, manual_max: float = 0, manual_score: float | None = None) -> str:
    """``score: 12 / 15 autograded points (+2 read by a person)``: the same arithmetic everywhere."""
    line = f"score: {score:g} / {max_score:g} autograded points"
    if manual_max:
        read = f"{manual_score:g} / {manual_max:g}" if manual_score is not None else f"{manual_max:g}"
        line += f" (+{read} read by a person)"
    return line


def later_assignment(assignments: list[str], assignment: str) -> str | None:
    """The assignment after ``assignment`` in course order, if any."""
    if assignment in assignments and assignments.index(assignment) + 1 < len(assignments):
        return assignments[assignments.index(assignment) + 1]
    return None
