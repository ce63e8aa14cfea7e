"""The ``mlgrind`` command: one sub-command per job, each a thin call into the package."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .course.settings import GradebookUnreachable
from .course import Course, CourseError

USAGE_ERROR = 2


def _build(course: Course, args) -> int:
    from .grading.build import build

    names = [course.resolve(args.assignment)] if args.assignment else course.assignments()
    for assignment in names:
        for line in build(course, assignment):
            print(line)
    return 0


def _grade(course: Course, args) -> int:
    assignment = course.resolve(args.assignment)
    if args.rate and args.json:
        raise CourseError("--rate asks its questions in the terminal; it cannot be combined with --json")
    return _grade_with(course, assignment, args)


def _grade_with(course: Course, assignment: str, args, notebook=None) -> int:
    """Grade through the course's warm grader if one answers, else here (then start one for next time)."""
    from .grading import warm
    from .grading.report import EDITOR, STUDENT, NotGraded, format_table

    student = EDITOR if notebook is not None else STUDENT
    result = warm.ask(course, assignment, notebook, student)
    served = result is not None
    if not served:
        result = _grade_here(course, assignment, notebook, student)
    try:
        if isinstance(result, NotGraded):
            print(f"mlgrind grade: {result.message}", file=sys.stderr)
            return 1
        if args.json:
            print(result.to_json())
        else:
            print(format_table(result, verbose=args.verbose, next_line=False))
            _interview_answer(course, assignment, rate=args.rate, graded=notebook)
            print(result.next)
        from .recall.history import record_grade

        record_grade(course, assignment, result.score, result.max_score,
                     via="check" if notebook is not None else "grade", cells=result.cells)
        return 0
    finally:
        if not served:
            warm.start(course)


def _grade_here(course: Course, assignment: str, notebook, student: str):
    """Grade in this process, with a kernel booting while nbgrader is imported (the judge's too)."""
    from .course.exercises import judged_apart
    from .grading import kernels

    kernels.start(course)
    if judged_apart(assignment):
        kernels.start_judge(course.autograder)
    try:
        from .grading.selfgrade import outcome

        return outcome(course, assignment, notebook, student)
    finally:
        kernels.stop()


def _interview_answer(course: Course, assignment: str, rate: bool, graded=None) -> None:
    """After a self-grade's table: each written answer's rubric and model answer, and a rating.

    ``graded`` is the notebook ``check`` made of a scaffold (its answers from answers.md); else the
    learner's notebook is read."""
    import nbformat

    from .course.rubrics import RubricMissing
    from .grading.written_answers import after_grade_lines, answered
    from .recall.history import record_rating
    from .recall.rating import rate, rated_score

    learner_nb = graded if graded is not None else nbformat.read(str(course.learner_notebook(assignment)), as_version=4)
    try:
        questions = answered(course, assignment, learner_nb)
        lines = after_grade_lines(questions, in_answers_file=graded is not None)
    except RubricMissing as exc:
        print(f"mlgrind grade: no rubric to show: {exc}", file=sys.stderr)
        return
    for line in lines:
        print(line)
    sheets = [sheet for sheet, done in questions if done]
    if not rate or not sheets:
        return
    print("\nrate your answer against each rubric point (Ctrl-D stops without saving)")
    said = []
    try:
        for sheet in sheets:
            if len(questions) > 1:
                print(f"\n{sheet.title}")
            said.append(rate(sheet))
    except (EOFError, KeyboardInterrupt):
        print("\nstopped; no rating was saved")
        return
    score = sum(rated_score(sheet, yes) for sheet, yes in zip(sheets, said))
    points = sum(sheet.points for sheet, _ in questions)  # an unwritten answer rates 0
    record_rating(course, assignment, score, points, [yes for each in said for yes in each])
    print(f"\nself-rated {'written answers' if len(questions) > 1 else 'interview answer'}: {score:g}/{points:g} "
          "(kept in your progress, not in any gradebook)")


def _rubric(course: Course, args) -> int:
    from .course.rubrics import instructor_sheet

    names = [course.resolve(args.assignment)] if args.assignment else course.assignments()
    print("\n\n".join(instructor_sheet(course, name) for name in names))
    return 0


def _autograde(course: Course, args) -> int:
    from .grading.classgrade import autograde_class

    assignment = course.resolve(args.assignment)
    summary = autograde_class(course, assignment, jobs=args.jobs, students=args.student or None)
    print(summary.report())
    return 1 if summary.counts()["failed"] else 0


def _report(course: Course, args) -> int:
    from .grading.class_results import read_class
    from .pictures.class_report import format_table, to_csv

    results = read_class(course.settings, course.resolve(args.assignment))
    print(format_table(results, at_least=args.help_at))
    if args.csv:
        Path(args.csv).write_text(to_csv(results), encoding="utf-8")
        print(f"csv: {args.csv}")
    if args.html:
        from .pictures.class_page import page

        Path(args.html).write_text(page(results, at_least=args.help_at), encoding="utf-8")
        print(f"html: {args.html}")
    return 0


def _limits(course: Course | None, args) -> int:
    from .grading.sandbox import limits_text

    print(limits_text())
    return 0


def _scaffold(course: Course | None, args) -> int:
    from .editor import scaffold

    course = Course.here(Path(args.course)) if args.course else _course(required=True)
    for line in scaffold(course, course.resolve(args.assignment), Path(args.out), force=args.force):
        print(line)
    return 0


def _editor_course(path: Path, named: str | None) -> Course:
    """``--course``, else the course the scaffold at ``path`` remembers, else the course around here."""
    from .editor import COURSE_FILE, remembered_course

    if named:
        return Course.here(Path(named))
    remembered = remembered_course(path)
    if remembered is None:
        return _course(required=True)
    try:
        return Course.here(remembered)
    except CourseError as exc:
        raise CourseError(f"{exc}; the scaffold's {COURSE_FILE} names {remembered}: moved? "
                          "pass --course PATH") from None


def _check(course: Course | None, args) -> int:
    from .editor import as_notebook, find_module

    course = _editor_course(Path(args.path), args.course)
    assignment = course.resolve(args.assignment)
    if args.rate and args.json:
        raise CourseError("--rate asks its questions in the terminal; it cannot be combined with --json")
    module = find_module(assignment, Path(args.path))
    return _grade_with(course, assignment, args, notebook=as_notebook(course, assignment, module))


def _drill(course: Course | None, args) -> int:
    import json
    import random

    from .recall.drills import questions
    from .recall.terminal import run

    try:
        seed = args.seed if args.seed is not None else random.randrange(10**6)
        qs = questions(args.topic, args.count, seed, args.level)
    except ValueError as error:
        raise CourseError(str(error)) from None
    if args.json:
        print("[\n" + ",\n".join(json.dumps(q.to_dict()) for q in qs) + "\n]")
        return 0
    run(qs, course=course)  # outside a course (None) the score is not kept
    return 0


def _onepager(course: Course | None, args) -> int:
    from .recall.onepager import KINDS, PAPERS, write_onepagers

    try:
        paths = write_onepagers(args.topic, args.out, args.paper or tuple(PAPERS), args.kind or KINDS, progress=True)
    except ValueError as exc:
        print(f"mlgrind onepager: {exc}", file=sys.stderr)
        return USAGE_ERROR
    for path in paths:
        print(path)
    return 0


def _progress(course: Course, args) -> int:
    from .recall.history import report

    if args.plot:
        from .recall.plot import check_format

        try:
            check_format(Path(args.plot))
        except ValueError as exc:
            raise CourseError(str(exc)) from None
    print(report(course))
    if args.plot:
        from .recall.plot import plot_reviews

        print(f"plot: {plot_reviews(course, Path(args.plot))}")
    return 0


def _review(course: Course, args) -> int:
    from .recall.review import run

    run(course, args.minutes)
    return 0


def _interview(course: Course, args) -> int:
    from .recall.history import graded_assignments
    from .recall.interview import resolve_topics, run

    if args.topics:
        assignments = resolve_topics(course, args.topics)
    else:
        assignments = graded_assignments(course)
        if not assignments:
            assignments = course.assignments()[:1]
            print(f"no notebook graded yet, so the questions come from {assignments[0]} (choose with --topics)")
    run(course, assignments, args.minutes)
    return 0


def _anki(course: Course, args) -> int:
    from .recall.anki import write_deck

    deck = write_deck(course, Path(args.out), variants=args.variants)
    print(f"{deck.notes} notes written to {args.out}; importing it again into Anki updates the same notes")
    return 0


def _reset(course: Course, args) -> int:
    from .attempts import reset

    assignment = course.resolve(args.assignment)
    kept = reset(course, assignment)
    if kept:
        print(f"your attempt was kept as {kept.relative_to(course.root)}")
    print(f"notebooks/{assignment}.ipynb restored from release/")
    return 0


def _course(required: bool) -> Course | None:
    """The course around the current directory; None for commands that work anywhere, outside one."""
    try:
        return Course.here()
    except CourseError:
        if required:
            raise
        return None


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of minutes")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of questions")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="mlgrind", description="The ML Grind: graded array-fluency practice.")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="regenerate release/ and notebooks/ from source/")
    p.add_argument("assignment", nargs="?", help="an assignment id or number (default: all)")
    p.set_defaults(run=_build)

    p = sub.add_parser("grade", help="grade your notebook with the hidden tests")
    p.add_argument("assignment", help="an assignment id or its number, e.g. 01")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--verbose", "-v", action="store_true", help="list every failed check below the table")
    p.add_argument("--rate", action="store_true", help="then rate your written answers against their rubrics, y/n per point")
    p.set_defaults(run=_grade)

    p = sub.add_parser("autograde", help="grade a class's submissions on several workers (instructors)")
    p.add_argument("assignment", help="an assignment id or its number, e.g. 01")
    p.add_argument("--jobs", "-j", type=int, default=2, help="worker processes (default: 2)")
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.set_defaults(run=_autograde)

    p = sub.add_parser("report", help="what a class got wrong in an autograded assignment (instructors)")
    p.add_argument("assignment", help="an assignment id or its number, e.g. 01")
    p.add_argument("--csv", metavar="PATH", help="also write one row per exercise, a column per likely cause")
    p.add_argument("--html", metavar="PATH", help="also write one HTML page with the pictures")
    p.add_argument("--help-at", type=int, default=2, metavar="N",
                   help="name students with N or more exercises not attempted (default: 2)")
    p.set_defaults(run=_report)

    p = sub.add_parser("scaffold", help="write an assignment as a .py module with its quick checks")
    p.add_argument("assignment", help="an assignment id or its number, e.g. 04")
    p.add_argument("--out", default=".", help="folder to write <assignment>/ into (default: here)")
    p.add_argument("--force", action="store_true", help="replace an existing module and answers (a backup is kept)")
    p.add_argument("--course", help="the course to scaffold from (default: the one around here)")
    p.set_defaults(run=_scaffold, needs_course=False)

    p = sub.add_parser("check", help="grade your editor-mode module with the hidden tests",
                       description="Grade a scaffold's module (and the answers.md beside it) with the "
                                   "notebook's hidden tests. Works in the scaffold's folder: it remembers "
                                   "its course.")
    p.add_argument("assignment", help="an assignment id or its number, e.g. 04")
    p.add_argument("path", nargs="?", default=".",
                   help="the module, its folder, or the folder --out named to scaffold (default: here)")
    p.add_argument("--course", help="the course whose hidden tests grade it (default: the one the scaffold "
                                    "remembers, else the one around here)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--verbose", "-v", action="store_true", help="list every failed check below the table")
    p.add_argument("--rate", action="store_true", help="then rate your written answers against their rubrics, y/n per point")
    p.set_defaults(run=_check, needs_course=False)

    from .recall.drills import LEVELS, TOPICS as DRILL_TOPICS  # names and help lines; no numpy yet

    p = sub.add_parser("drill", help="answer random shape and cost questions from memory",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="topics:\n" + "\n".join(f"  {t.name:<13} {t.help}" for t in DRILL_TOPICS.values()))
    p.add_argument("topic", nargs="?", help=f"{', '.join(DRILL_TOPICS)} (default: all, in turn)")
    p.add_argument("--count", "-n", type=_count, default=10, help="how many questions (default: 10)")
    p.add_argument("--seed", type=int, default=None, help="the same seed asks the same questions")
    p.add_argument("--level", type=int, choices=LEVELS, default=2, help="1 easy to 3 hard (default: 2)")
    p.add_argument("--json", action="store_true", help="print the questions with their answers instead")
    p.set_defaults(run=_drill, needs_course=False)

    p = sub.add_parser("onepager", help="write print-ready one-page references and blank recall sheets")
    # The topics are written out rather than imported, to keep every command's start-up light.
    p.add_argument("topic", nargs="*", default=["all"],
                   help="broadcasting, matmul, einsum, reshape, suffixes, mlp, parallel, attention, scaling, modern, serving, "
                        "or all (default)")
    p.add_argument("--out", default="onepagers", help="folder to write into (default: onepagers)")
    p.add_argument("--paper", action="append", help="a4 or letter (repeatable; default: both)")
    p.add_argument("--kind", action="append", help="reference, recall or key (repeatable; default: all three)")
    p.set_defaults(run=_onepager, needs_course=False)

    p = sub.add_parser("limits", help="the limits each grading sandbox runs under, and which of them hold here")
    p.set_defaults(run=_limits, needs_course=False)

    p = sub.add_parser("rubric", help="print the written answers' rubrics and model answers (instructors)")
    p.add_argument("assignment", nargs="?", help="an assignment id or number (default: all)")
    p.set_defaults(run=_rubric)

    p = sub.add_parser("progress", help="your self-grades, drills, review schedule, and what to do next")
    p.add_argument("--plot", metavar="FILE", help="also draw reviews and retention over time into FILE (.png, .pdf, .svg)")
    p.set_defaults(run=_progress)

    p = sub.add_parser("review", help="review what is due today: drill families and interview questions")
    p.add_argument("--minutes", type=_positive, default=10, help="stop after this many minutes (default: 10)")
    p.set_defaults(run=_review)

    p = sub.add_parser("interview", help="a timed mock interview on the notebooks you have done")
    p.add_argument("--minutes", type=_positive, default=30, help="length of the interview (default: 30)")
    p.add_argument("--topics", nargs="+", metavar="TOPIC",
                   help="notebooks to ask about, by number or name, e.g. 01 matmul (default: the ones you have graded)")
    p.set_defaults(run=_interview)

    p = sub.add_parser("anki", help="write an Anki deck: one-pager facts, interview questions, drill variants")
    p.add_argument("--out", default="grind.apkg", help="the .apkg file to write (default: grind.apkg)")
    p.add_argument("--variants", type=int, default=40, help="generated questions per drill family (default: 40)")
    p.set_defaults(run=_anki)

    p = sub.add_parser("reset", help="start an assignment afresh, keeping your attempt")
    p.add_argument("assignment", help="an assignment id or its number, e.g. 01")
    p.set_defaults(run=_reset)
    return top


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `mlgrind drill --json | head` ends quietly
    args = parser().parse_args(argv)
    try:
        return args.run(_course(required=getattr(args, "needs_course", True)), args)
    except CourseError as exc:
        print(f"mlgrind {args.command}: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except GradebookUnreachable as exc:
        print(f"mlgrind {args.command}: {exc}", file=sys.stderr)
        return 1
