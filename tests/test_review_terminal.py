"""``mlgrind review`` and ``mlgrind interview`` driven by keystrokes in a pseudo-terminal, as a learner uses them."""

from __future__ import annotations

import re
import signal
import sqlite3
import time

import pexpect
import pytest

from mlgrind.course import Course
from mlgrind.recall import memory_states
from mlgrind.recall.drills import Question
from support import BIN, env, numpy_says, run

DRILL = re.compile(r"\[(\d+)/(\d+)\] (?P<title>[^\r\n]+) \((?:new|due now|due \d+ days? ago)\)\r\n"
                   r"(?P<shapes>[^\r\n]+)\r\n  (?P<expr>[^\r\n]+?)  ->")
SHAPE = re.compile(r"(\w+)\.shape = (\([\d, ]*\))")


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as a learner's terminal has it (see test_drills)


def spawn(course, *args):
    return pexpect.spawn(str(BIN / "mlgrind"), list(args), cwd=str(course), env=env(), encoding="utf-8",
                         timeout=60, preexec_fn=_default_sigint)


def numpy_answer(shapes_line: str, expr: str) -> str:
    """What NumPy gives for the question as printed, typed as a learner would."""
    shapes = {name: eval(shape) for name, shape in SHAPE.findall(shapes_line)}  # noqa: S307
    # The expression run as printed (numpy_says's route for any topic but its own three shortcuts).
    said = numpy_says(Question("any", expr, shapes, "error"))
    return "error" if said == "error" else ",".join(map(str, said)) or "()"


def press_ctrl_c(child) -> None:
    """Ctrl-C as a person presses it: a moment after the prompt, once the program waits for input.

    (Sent the instant a prompt appears, it can reach Python between writing the prompt and blocking
    on the terminal, where CPython notes the signal but the read still waits.)
    """
    time.sleep(0.5)
    child.sendintr()


def wrong(answer: str) -> str:
    return "1,2,3,4,5,6,7" if answer == "error" else "error"


def states(course) -> dict:
    return memory_states.stored(Course(course))


def test_a_review_asks_fresh_variants_schedules_wrong_answers_sooner_and_sums_up(course):
    child = spawn(course, "review", "--minutes", "5")
    child.expect(r"(\d+) to review")
    total = int(child.match.group(1))
    titles = []
    for number in range(1, total + 1):
        child.expect(DRILL)
        title, typed = child.match["title"], numpy_answer(child.match["shapes"], child.match["expr"])
        titles.append(title)
        if number == 1:
            child.sendline("three by four")
            child.expect("is not a shape")
            child.expect(r"->")
            child.sendline(wrong(typed))
            child.expect("not quite")
        else:
            child.sendline(typed)
            child.expect("right: ")
    child.expect(rf"reviewed: {total} \(drills {total - 1}/{total} right\)")
    child.expect(r"due by this time tomorrow: (\d+):?\r\n")
    for _ in range(int(child.match.group(1))):  # one family per line: their titles hold commas
        child.expect(r"  - [^\r\n]+\r\n")
    child.expect(rf"retention: {total - 1} of {total} reviews recalled in the last 7 days "
                 rf"\({(total - 1) / total:.0%}; recalled = a right drill answer")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and "Traceback" not in child.before
    saved = states(course)
    assert len(saved) == total == len(set(titles))
    assert all(s.last_variant for s in saved.values())  # what was asked, so the next review asks other numbers
    by_title = {item.title: saved[item.id] for item in memory_states.drill_items() if item.id in saved}
    missed = by_title[titles[0]].card.due
    assert all(missed < by_title[t].card.due for t in titles[1:])
    progress = run(["mlgrind", "progress"], course).stdout
    assert "review streak: 1 day" in progress
    assert f"retention: {total - 1} of {total} reviews recalled in the last 7 days" in progress


@pytest.mark.parametrize("how", ["eof", "ctrl-c"])
def test_a_closed_terminal_mid_review_keeps_what_was_answered(course, how):
    child = spawn(course, "review")
    child.expect(DRILL)
    first = child.match["title"]
    child.sendline(numpy_answer(child.match["shapes"], child.match["expr"]))
    child.expect("right: ")
    child.expect(DRILL)
    child.sendeof() if how == "eof" else press_ctrl_c(child)
    child.expect("stopped early; saved and scheduled: 1 answer\r\n")
    child.expect(r"reviewed: 1 \(drills 1/1 right\)")
    child.expect(pexpect.EOF)
    child.close()
    assert "Traceback" not in child.before
    assert [s.item for s in states(course).values()] == [i.id for i in memory_states.drill_items() if i.title == first]


def test_the_next_review_asks_other_numbers_and_only_what_is_due(course):
    child = spawn(course, "review")
    child.expect(DRILL)
    asked = (child.match["shapes"], child.match["expr"])
    child.sendline(wrong(numpy_answer(*asked)))  # wrong: due again in a minute
    child.expect("not quite")
    child.expect(DRILL)
    child.sendeof()
    child.expect(pexpect.EOF)
    with sqlite3.connect(course / "autograder" / "progress.db") as db:  # a minute passes
        db.execute("UPDATE items SET card = json_set(card, '$.due', '2000-01-01T00:00:00+00:00')")
    child = spawn(course, "review")
    child.expect(r"(\d+) to review")
    child.expect(DRILL)
    assert re.search(r"due \d+ days ago", child.after)  # the overdue one comes first
    assert (child.match["shapes"], child.match["expr"]) != asked
    child.sendeof()
    child.expect(pexpect.EOF)


NEXT = [r"(?=\r\n\[\d+(?:/\d+)?\] [^(])", r"(?=time is up)", r"(?=that was every)"]  # what may follow a rated question


def _answer_and_rate(child, says: str) -> int:
    """Answer the question on screen, then rate every rubric point by ``says`` (cycled); the points said yes.

    What follows (the next question, or the end) is left unread: ``child.match.re`` says which came.
    """
    child.expect(r"\[0:0\d / 3:00\] ")
    child.sendline("done")
    child.expect("model answer:")
    yes, number = 0.0, 0
    point = r"\((\d+(?:\.\d+)?) points?\) [^\r\n]*\r\n  does your answer do this\? \[y/n\] "
    while child.expect([point, *NEXT]) == 0:
        typed = says[number % len(says)]
        child.sendline(typed)
        yes += float(child.match.group(1)) * (typed == "y")
        number += 1
    return yes


def test_an_interview_is_timed_rated_on_its_rubric_and_scheduled(course):
    child = spawn(course, "interview", "--topics", "01", "--minutes", "6")
    child.expect(r"mock interview: 6 minutes of questions from 01_broadcasting, one after another until the time")
    child.expect(r"\[1\] 01_broadcasting · say it out loud · [56]:\d\d left")  # never a follow-up first
    child.expect(r"\[0:0\d / 3:00\] ")
    child.sendline("Shapes line up from the right and size-1 axes stretch.")
    child.expect(r"\[0:0\d / 3:00\] ")
    child.sendline("done")
    child.expect(r"rubric \((\d+(?:\.\d+)?) points?\)")
    child.expect("model answer:")
    yes = 0
    while child.expect([r"does your answer do this\? \[y/n\] ", r"\[2\] 01_broadcasting · follow-up"]) == 0:
        child.sendline("maybe" if yes == 0 else ("y" if yes % 2 else "n"))
        if yes == 0:
            child.expect("please type y or n")
            child.expect(r"\[y/n\] ")
            child.sendline("y")
        yes += 1
    child.expect(r"\[0:0\d / 3:00\] ")
    press_ctrl_c(child)  # in the middle of the second question
    child.expect(r"stopped early; saved and scheduled: 1 rated answer \(not the question you were on\)")
    child.expect(r"score per topic:\r\n  01_broadcasting: [\d.]+/[\d.]+")
    child.expect(r"to revisit")
    child.expect(pexpect.EOF)
    child.close()
    assert "Traceback" not in child.before
    saved = [s for s in states(course).values() if s.kind == "interview"]
    assert len(saved) == 1 and saved[0].topic == "01_broadcasting"
    with sqlite3.connect(course / "autograder" / "progress.db") as db:
        assert db.execute("SELECT COUNT(*), MAX(max_score) > 0 FROM reviews WHERE kind = 'interview'").fetchone() == (1, 1)


def test_an_interview_asks_until_its_minutes_are_spent_and_reaches_progress(course):
    seconds = 12
    child = spawn(course, "interview", "--topics", "01", "--minutes", str(seconds / 60))
    child.expect(r"\[1\] 01_broadcasting")
    first = _answer_and_rate(child, "y")  # quickly: there is time left, so a second question comes
    assert child.match.re.pattern == NEXT[0]
    child.expect(r"\[2\] 01_broadcasting · follow-up · 0:\d\d left")
    time.sleep(seconds)
    second = _answer_and_rate(child, "yn")
    assert child.match.re.pattern == NEXT[1]
    child.expect(r"score per topic:\r\n  01_broadcasting: ([\d.]+)/([\d.]+)")
    assert float(child.match.group(1)) == first + second
    out_of = child.match.group(2)
    child.expect(pexpect.EOF)
    progress = run(["mlgrind", "progress"], course).stdout
    row = next(line for line in progress.splitlines() if line.startswith("01_broadcasting"))
    assert f"{first + second:g}/{out_of} over 2 interview questions" in row
    assert "retention: 1 of 2 reviews recalled in the last 7 days" in progress or \
        "retention: 2 of 2 reviews recalled" in progress


def test_ctrl_d_at_the_last_rubric_point_keeps_the_points_rated(course):
    child = spawn(course, "interview", "--topics", "01", "--minutes", "5")
    child.expect(r"\[0:0\d / 3:00\] ")
    child.sendline("done")
    child.expect(r"rubric \((\d+(?:\.\d+)?) points?\)")
    total = float(child.match.group(1))
    points = []
    while True:
        child.expect(r"\[(\d+)/(\d+)\] \((\d+(?:\.\d+)?) points?\)")
        number, items = int(child.match.group(1)), int(child.match.group(2))
        points.append(float(child.match.group(3)))
        child.expect(r"\[y/n\] ")
        if number == items:
            break
        child.sendline("y")
    child.sendeof()  # at the last point: the ones rated are kept
    child.expect(r"the last one with the (\d+) points? you rated")
    assert int(child.match.group(1)) == len(points) - 1
    child.expect(rf"01_broadcasting: {sum(points[:-1]):g}/{total:g}")
    child.expect(pexpect.EOF)
    with sqlite3.connect(course / "autograder" / "progress.db") as db:
        assert db.execute("SELECT score, max_score FROM reviews WHERE kind = 'interview'").fetchall() == [
            (sum(points[:-1]), total)]
    with sqlite3.connect(course / "autograder" / "progress.db") as db:  # due again: review asks it first
        db.execute("UPDATE items SET card = json_set(card, '$.due', '2000-01-01T00:00:00+00:00')")
    child = spawn(course, "review")
    child.expect(r"\[1/\d+\] 01_broadcasting: say it out loud \(due \d+ days ago\)")
    said = _answer_and_rate(child, "y")
    child.sendeof()
    child.expect(rf"reviewed: 1 \(1 interview question {said:g}/{total:g} rubric points\)")
    child.expect(pexpect.EOF)


def test_interview_bad_input_is_one_clear_line(course):
    unknown = run(["mlgrind", "interview", "--topics", "calculus"], course)
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr.strip().splitlines() == [
        "mlgrind interview: unknown topic 'calculus'; valid: 01_broadcasting, 02_matmul_einsum, 03_reshape_view, "
        "04_backprop_mlp, 05_parallel_mlp, 06_attention_norms, 07_scaling_math, 08_modern_transformer, 09_serving "
        "(or their numbers)"]
    minutes = run(["mlgrind", "review", "--minutes", "soon"], course)
    assert minutes.returncode == 2 and "'soon' is not a positive number of minutes" in minutes.stderr
    plot = run(["mlgrind", "progress", "--plot", "memory_states.xyz"], course)
    assert plot.returncode == 2 and "end the name with one of" in plot.stderr and plot.stdout == ""


def test_an_interview_without_a_graded_notebook_starts_with_the_first(course):
    child = spawn(course, "interview", "--minutes", "3")
    child.expect("no notebook graded yet, so the questions come from 01_broadcasting")
    child.expect(r"mock interview: 3 minutes of questions from 01_broadcasting")
    child.sendeof()
    child.expect("no question was rated")
    child.expect(pexpect.EOF)
