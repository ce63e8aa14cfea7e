"""Drills: answers NumPy agrees with, a terminal session driven by keystrokes, and progress kept."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import uuid

import pexpect
import pytest

from cost_formulas import recomputed
from gradesheet import gradesheet
from mlgrind.cli import main
from mlgrind.recall.drills import (FAMILIES, LEVELS, TOPICS, family, find, parse_answer, question, questions,
                                   shape_topic, show)
from mlgrind.recall.drills.shape_answers import ask
from support import BIN, REPO, env, numpy_says, run


SHAPE_TOPICS = [name for name, t in TOPICS.items() if t.oracle == "NumPy"]  # the cost topic: test_cost_drill


def test_shape_topics_are_answered_by_numpy_and_cost_by_its_formulas():
    assert SHAPE_TOPICS == ["broadcasting", "einsum", "matmul", "reshape", "attention", "modern"]
    assert TOPICS["cost"].oracle == "the formula"


@pytest.mark.parametrize("topic", SHAPE_TOPICS)
def test_thousands_of_seeded_answers_agree_with_numpy(topic):
    asked = [question(topic, seed, level) for level in LEVELS for seed in range(400)]
    wrong = [q for q in asked if q.answer != numpy_says(q)]
    assert not wrong, wrong[:3]
    errors = sum(q.answer == "error" for q in asked) / len(asked)
    assert 0.05 < errors < 0.6, f"{errors:.0%} of {topic} questions are errors"
    assert len({(q.expr, tuple(q.shapes.items())) for q in asked}) > 0.5 * len(asked)


def test_questions_are_reproducible_and_serialise():
    first = [q.to_dict() for q in questions(None, 12, seed=5)]
    assert first == [q.to_dict() for q in questions(None, 12, seed=5)]
    assert {q["topic"] for q in first} == set(TOPICS)
    for q in json.loads(json.dumps(first)):
        if q["topic"] == "cost":  # a question in words: its numbers and its text (test_cost_drill)
            assert set(q) == {"topic", "expr", "shapes", "answer", "values", "text"}
            continue
        assert set(q) == {"topic", "expr", "shapes", "answer"}
        assert q["answer"] == "error" or isinstance(q["answer"], list)


@pytest.mark.parametrize("text,expected", [
    ("9,4,3", (9, 4, 3)), ("(9, 4, 3)", (9, 4, 3)), ("[9 4 3]", (9, 4, 3)), (" error ", "error"),
    ("()", ()), ("scalar", ()), ("7", (7,)),
])
def test_answers_are_read_as_people_type_them(text, expected):
    assert parse_answer(text) == expected


@pytest.mark.parametrize("text", ["", "nine", "9,four", "9.5,2"])
def test_malformed_answers_are_refused(text):
    with pytest.raises(ValueError):
        parse_answer(text)


def _default_sigint() -> None:
    # A learner's terminal delivers Ctrl-C to a program whose SIGINT is at its default; a test run
    # started in the background inherits SIGINT ignored, which Python then keeps.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(course, *args):
    return pexpect.spawn(str(BIN / "mlgrind"), ["drill", *args], cwd=str(course), env=env(),
                         encoding="utf-8", timeout=30, preexec_fn=_default_sigint)


def answers(course, *args):
    result = run(["mlgrind", "drill", *args, "--json"], course)
    assert result.returncode == 0, result.stderr
    return [q["answer"] for q in json.loads(result.stdout)]


def typed(answer) -> str:
    return "error" if answer == "error" else ",".join(map(str, answer)) or "()"


def test_a_terminal_session_scores_explains_and_is_saved(course):
    args = ["broadcasting", "--count", "5", "--seed", "11"]
    expected = answers(course, *args)
    child = spawn(course, *args)
    for number, answer in enumerate(expected, 1):
        child.expect(r"->")
        if number == 4:
            child.sendline("1,2,3,4,5,6,7" if answer == "error" else "error")
            child.expect("not quite")
        else:
            if number == 5:
                child.sendline("nine by four")
                child.expect("is not a shape")
                child.expect(r"->")
            child.sendline(typed(answer))
            child.expect("right")
    child.expect(r"score: 4/5\s+best streak: 3")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    progress = run(["mlgrind", "progress"], course).stdout
    assert "broadcasting 4/5 (80%)" in progress


@pytest.mark.parametrize("how", ["eof", "ctrl-c"])
def test_a_closed_terminal_ends_cleanly_with_the_score_saved(course, how):
    args = ["matmul", "--count", "5", "--seed", "2"]
    first = answers(course, *args)[0]
    child = spawn(course, *args)
    child.expect(r"->")
    child.sendline(typed(first))
    child.expect("right")
    child.expect(r"->")
    child.sendeof() if how == "eof" else child.sendintr()
    child.expect("stopped early")
    child.expect(r"score: 1/1")
    child.expect(pexpect.EOF)
    child.close()
    assert "Traceback" not in child.before
    assert "matmul 1/1 (100%)" in run(["mlgrind", "progress"], course).stdout


def test_drills_work_outside_a_course_without_saving(tmp_path):
    args = ["reshape", "--count", "2", "--seed", "5"]
    expected = answers(tmp_path, *args)
    child = spawn(tmp_path, *args)
    for answer in expected:
        child.expect(r"->")
        child.sendline(typed(answer))
        child.expect("right")
    child.expect(r"score: 2/2")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and list(tmp_path.iterdir()) == []


def test_unknown_topic_is_a_usage_error(course):
    result = run(["mlgrind", "drill", "calculus"], course)
    assert result.returncode == 2 and f"valid: {', '.join(TOPICS)}" in result.stderr


def test_progress_reflects_a_grade_and_survives_reset(course, selfgrade_gradebook):
    sheet = gradesheet("01_broadcasting", course)
    assert run(["mlgrind", "grade", "01"], course).returncode == 0
    report = run(["mlgrind", "progress"], course).stdout
    assert "01_broadcasting" in report and f"0/{sheet.total:g}" in report
    lines = report.splitlines()
    # The grade's own words: every autograded exercise by title and status (no written answer), the same next step.
    assert lines[-2] == "to do in 01_broadcasting: " + ", ".join(f"{c.label} (not attempted)" for c in sheet.autograded)
    assert sheet.label("interview_answer") not in lines[-2]
    assert lines[-1] == (
        f"next: 01_broadcasting: {sheet.first().label} - write it, run its check cell, then `mlgrind grade 01` again"
    )
    assert run(["mlgrind", "reset", "01"], course).returncode == 0
    assert f"0/{sheet.total:g}" in run(["mlgrind", "progress"], course).stdout
    assert os.path.exists(course / "autograder" / "progress.db")


def test_drill_widget_checks_explains_moves_on_and_saves(course, monkeypatch):
    from mlgrind.widgets import DrillWidget

    monkeypatch.chdir(course / "notebooks")
    widget = DrillWidget("broadcasting", seed=4)
    first = widget.prompt.value
    widget.answer.value = "four by two"
    assert "is not a shape" in widget.feedback.value and widget.asked == 0
    asked = [widget.current]
    widget.answer.value = typed(widget.current.answer)
    assert "right" in widget.feedback.value and widget.score.value.startswith("score 1/1")
    widget.next.click()
    assert widget.prompt.value != first and widget.feedback.value == ""
    asked.append(widget.current)
    widget.answer.value = "1,2,3,4,5,6,7,8"
    assert "NumPy gives" in widget.feedback.value and "score 1/2" in widget.score.value
    assert "broadcasting 1/2 (50%)" in run(["mlgrind", "progress"], course).stdout
    from mlgrind.course import Course
    from mlgrind.recall.families import family_of
    from mlgrind.recall.memory_states import log

    # Each answer is also a review of its question's family, in the schedule `mlgrind review` reads.
    assert [(item, rating > 1) for item, *_, rating, _s, _m, _at in log(Course(course))] == [
        (f"drill:{family_of(q).name}", right) for q, right in zip(asked, (True, False))]
    with pytest.raises(ValueError, match="valid: broadcasting"):
        DrillWidget("calculus")


@pytest.fixture
def throwaway():
    """A name for a topic registered by one test only: no real topic has it, and it is forgotten afterwards."""
    topics, families = dict(TOPICS), dict(FAMILIES)
    name = f"throwaway-{uuid.uuid4().hex[:8]}"
    assert name not in TOPICS
    try:
        yield name
    finally:
        TOPICS.clear()
        TOPICS.update(topics)
        FAMILIES.clear()
        FAMILIES.update(families)


def _register_transpose(name: str) -> None:
    """Register ``name``, a topic asking ``x.T`` of a square or oblong matrix: the one place it is named."""
    @shape_topic(name, "x.T of a matrix", notebook="01_broadcasting", families=[
        family(f"{name}-square", "transpose a square matrix", level=1, holds=lambda q: len(set(q.shapes["x"])) == 1),
        family(f"{name}-oblong", "transpose an oblong matrix", level=2, holds=lambda q: len(set(q.shapes["x"])) == 2),
    ])
    def _transpose(rng, level):
        m = rng.randint(2, 6)
        return ask("x.T", x=(m, m + (level > 1) * rng.randint(0, 2)))


def test_a_topic_registered_once_reaches_drill_review_fsrs_and_anki(throwaway, course, capsys, monkeypatch):
    import random
    from datetime import datetime, timezone

    import genanki

    from mlgrind.course import Course
    from mlgrind.recall import anki, memory_states, review
    from mlgrind.recall.families import fresh_variant
    from mlgrind.widgets import DrillWidget

    _register_transpose(throwaway)
    square, oblong = f"{throwaway}-square", f"{throwaway}-oblong"
    monkeypatch.chdir(course / "notebooks")

    # mlgrind drill: listed with its help line among all the others, and asked.
    assert find(throwaway).help == "x.T of a matrix"
    with pytest.raises(SystemExit):
        main(["drill", "--help"])
    help_text = capsys.readouterr().out
    assert f"{throwaway} " in help_text and "x.T of a matrix" in help_text
    assert all(t.name in help_text and t.help in help_text for t in TOPICS.values())
    assert main(["drill", throwaway, "--count", "3", "--seed", "1", "--json"]) == 0
    drilled = json.loads(capsys.readouterr().out)
    assert [q["topic"] for q in drilled] == [throwaway] * 3 and all(q["expr"] == "x.T" for q in drilled)
    assert [tuple(q["answer"]) for q in drilled] == [tuple(reversed(q["shapes"]["x"])) for q in drilled]
    assert DrillWidget(throwaway, seed=0).current.expr == "x.T"

    # A first review meets its families where its notebook (01) puts them, not after every other family.
    monday = datetime(2025, 3, 10, 8, 0, tzinfo=timezone.utc)
    first = [due.family.name for due in review.due_now(Course(course), monday)]
    assert first[:4] == ["broadcast-two", "broadcast-three", square, oblong]
    assert first == list(FAMILIES)[:review.NEW_PER_SESSION]

    # Reviewed and scheduled by FSRS like any family; then due again, as a family, not as a plain record.
    asked = []

    def spy(*args):
        asked.append(fresh_variant(*args))
        return asked[-1]

    monkeypatch.setattr(review, "fresh_variant", spy)
    summary = review.run(Course(course), 10, ask=lambda prompt: show(asked[-1].answer), say=lambda line: None,
                         now=lambda: monday, rng=random.Random(3))
    assert [q.topic for q in asked[2:4]] == [throwaway] * 2 and summary.right == summary.drills == len(first)
    states = memory_states.stored(Course(course))
    assert {states[f"drill:{name}"].topic for name in (square, oblong)} == {throwaway}
    later = max(states[f"drill:{name}"].card.due for name in (square, oblong))
    assert monday < later
    assert {square, oblong} <= {due.family.name for due in review.due_now(Course(course), later) if due.family}

    # The Anki deck: its variants, tagged by family, with GUIDs from the family's name.
    notes = [n for f in FAMILIES.values() if f.topic == throwaway for n in anki.drill_notes(f, variants=2)]
    # A seed that repeats an earlier variant is skipped, so the seeds are the first that give new questions.
    seeds = {genanki.guid_for("mlgrind", f"drill:{name}:{seed}"): name for name in (square, oblong)
             for seed in range(anki.MAX_SEEDS_PER_VARIANT * 2)}
    assert sorted(seeds[n.guid] for n in notes) == sorted([square, oblong] * 2)
    assert len({n.fields[0] for n in notes}) == len(notes)
    assert all("transpose a" in n.fields[0] and "x.T" in n.fields[0] for n in notes)


def test_a_topic_without_families_or_with_a_name_taken_is_refused(throwaway):
    one = [family(f"{throwaway}-any", "any", level=2, holds=lambda q: True)]
    with pytest.raises(ValueError, match="has no families"):
        shape_topic(throwaway, "no families", notebook="01_broadcasting", families=[])
    with pytest.raises(ValueError, match="'matmul' is registered already"):
        shape_topic("matmul", "a second matmul", notebook="02_matmul_einsum", families=one)
    with pytest.raises(ValueError, match="matmul-batch are taken already"):
        shape_topic(throwaway, "a family of matmul's", notebook="02_matmul_einsum",
                    families=[family("matmul-batch", "matmul with batch dims", level=3, holds=lambda q: True)])
    with pytest.raises(ValueError, match="not an assignment id"):
        shape_topic(throwaway, "no notebook", notebook="broadcasting", families=one)
    assert throwaway not in TOPICS and f"{throwaway}-any" not in FAMILIES


def test_each_topic_belongs_to_the_first_notebook_that_drills_it():
    drilled = {}  # topic -> the first notebook with its DrillWidget
    for path in sorted((REPO / "source").glob("*/*.ipynb")):
        code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        for name in re.findall(r"DrillWidget\(\s*[\"']([^\"']+)", code):
            drilled.setdefault(name, path.parent.name)
    assert set(drilled) <= set(TOPICS)
    for name, t in TOPICS.items():  # a topic no notebook drills yet still names the notebook it belongs to
        assert (REPO / "source" / t.notebook).is_dir() and drilled.get(name, t.notebook) == t.notebook, name


def test_listing_the_topics_imports_neither_numpy_nor_the_shape_rules():
    listed = subprocess.run([sys.executable, "-c", (
        "import sys\n"
        "from mlgrind.cli import main\n"
        "try:\n    main(['drill', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('numpy', 'mlgrind.shapes.rules') if m in sys.modules))")],
        capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert "broadcasting" in listed.stdout and listed.stdout.splitlines()[-1] == "[]"


def test_terminal_and_widget_keep_score_by_one_session(tmp_path, monkeypatch):
    from mlgrind.recall.terminal import run as terminal
    from mlgrind.widgets import DrillWidget

    monkeypatch.chdir(tmp_path)  # outside a course: nothing recorded
    qs = questions("einsum", 6, seed=3)
    typed = [show(q.answer) if i in (0, 1, 3, 4, 5) else "1,2,3,4,5,6,7" for i, q in enumerate(qs)]
    lines = []
    answers = iter(typed)
    session = terminal(qs, ask=lambda prompt: next(answers), say=lines.append)
    assert (session.right, session.asked, session.streak, session.best) == (5, 6, 3, 3)
    assert lines[-1].split() == ["score:", "5/6", "best", "streak:", "3"]
    widget = DrillWidget("einsum", seed=3)
    for q, text in zip(qs, typed):
        assert widget.current == q
        widget.answer.value = text
        widget.next.click()
    assert (widget.right, widget.asked, widget.streak) == (5, 6, 3)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_progress_and_the_attention_drill_know_06(course):
    """06 is graded, tracked and drilled like the others: its grade, its next step, its own drill topic."""
    assert run(["mlgrind", "grade", "06"], course).returncode == 0
    report = run(["mlgrind", "progress"], course).stdout
    # the name column is as wide as the longest assignment id
    assert re.search(rf"^06_attention_norms +0/{gradesheet('06_attention_norms', course).total:g} ", report, re.M)
    assert "next: 01_broadcasting" in report  # the earliest notebook not at full marks comes first
    drill = run(["mlgrind", "drill", "attention", "--count", "3", "--seed", "3", "--json"], course)
    assert drill.returncode == 0
    assert [q["topic"] for q in json.loads(drill.stdout)] == ["attention"] * 3


def test_attention_questions_ask_what_the_notebook_teaches():
    asked = {q.expr.split("(")[0] for q in questions("attention", 200, seed=0, level=3)}
    assert {"np.einsum", "np.where", "p @ v", "np.concatenate", "x.mean"} <= asked


NEW_MODERN = ["modern-precision", "modern-memory", "modern-moe"]  # 08's sections 6, 7 and 8


def test_the_modern_drill_covers_every_section_of_08_in_course_order():
    """Families registered once, in the order 08 teaches them, after 07's; review, FSRS and Anki read FAMILIES."""
    from mlgrind.recall.anki import drill_notes
    from mlgrind.recall.families import family_of
    from mlgrind.recall.memory_states import drill_item

    names = list(FAMILIES)
    assert [n for n in names if n.startswith("modern-")] == [
        "modern-norm-mlp", "modern-rope", "modern-gqa", "modern-tiles", *NEW_MODERN]
    assert names.index("modern-norm-mlp") > max(i for i, n in enumerate(names) if FAMILIES[n].topic == "cost")
    asked = {family_of(q).name for q in questions("modern", 300, seed=2, level=1)}
    assert set(NEW_MODERN) <= asked  # a first-level drill asks them too
    for name in NEW_MODERN:
        notes = drill_notes(FAMILIES[name], 40)
        assert len(notes) == 40 and len({n.fields[0] for n in notes}) == 40, name  # 40 distinct Anki cards
        assert drill_item(FAMILIES[name]).id == f"drill:{name}"


def _modern_facts(q) -> list[str]:
    """What the working of a question of 08's sections 6-8 must say, worked out here from its shapes."""
    import math

    s, e = q.shapes, q.expr
    if "isfinite" in e:
        return ([f"over all {math.prod(s['g'])} elements: one value, shape ()"] if e.endswith(".all()") else
                [f"over axis 0 (size {s['g'][0]}), removed -> ({s['g'][1]},)"])
    if "master" in s:
        return ([f"-> {s['g']}", "clash: neither is 1", "so NumPy raises an error"] if s["g"] != s["master"] else
                [f"result {s['master']}"])
    if "xs" in s:
        start, step = (int(n or 0) for n in re.fullmatch(r"xs\[(\d*)::(\d+)\]", e).groups())
        kept = list(range(start, s["xs"][0], step))
        shown = ", ".join(map(str, kept[:5])) + (", …" if len(kept) > 5 else "")
        return [f"keeps indices {shown}: {len(kept)} of them", f"result {(len(kept), *s['xs'][1:])}"]
    if "np.concatenate" in e:
        sizes = [math.prod(s[name]) for name in "xhp"]
        return [f"all {n} elements in one row" for n in sizes] + [
            f"axis 0 adds up, {' + '.join(map(str, sizes))}", f"result ({sum(sizes)},)"]
    if "np.argsort" in e:
        top, axis = int(re.search(r"-(\d+):", e)[1]), 1 if "[:, " in e else 0
        size = s["logits"][axis]
        return [f"sorts along axis -1 (size {s['logits'][1]})",
                f"-{top}: on axis {axis} (size {size}) keeps indices {', '.join(map(str, range(size - top, size)))}"]
    if "frac" in s:
        axis = int(re.search(r"mean\((\d)\)", e)[1])
        return [f"averaged over axis {axis} (size {s['probs'][axis]}), removed"]
    if "y.reshape" in e:
        dims = [int(n) for n in re.findall(r"\d+", e)]
        size, product = math.prod(s["y"]), math.prod(dims)
        return [f"{'·'.join(map(str, dims))} = {size} elements, as many as before" if product == size else
                f"{'·'.join(map(str, dims))} = {product} elements, but there are {size}: error"]
    return _einsum_facts(q) if q.answer != "error" else ["one letter is one size", "so NumPy raises an error"]


@pytest.mark.parametrize("name", NEW_MODERN)
def test_mixed_precision_checkpoints_and_experts_are_worked_out_step_by_step(name):
    """Each variant's working states, in numbers computed here from its shapes, why its answer is NumPy's."""
    from mlgrind.recall.drills import explain

    kinds = set()
    for seed in range(60):
        q = FAMILIES[name].variant(seed)
        assert q.answer == numpy_says(q), q
        said = explain(q)
        kinds.add((re.sub(r"\d+", "N", q.expr), q.answer == "error"))  # a kind, its slip, right or refused
        for fact in _modern_facts(q):
            assert fact in said, (fact, q.expr, q.shapes, said)
    expected = {"modern-precision": 4, "modern-memory": 3, "modern-moe": 10}[name]  # every kind, and its slip
    assert len(kinds) >= expected, sorted(kinds)


def _seed_where(topic: str, holds, level: int = 2) -> int:
    """The first seed whose question of ``topic`` has the property ``holds`` (``--seed S --count 1`` asks it)."""
    return next(seed for seed in range(5000) if holds(question(topic, seed, level)))


def _prefixes(expr: str):
    """Each step of a method chain on ``x``, as code: x.reshape(3, -1), x.reshape(3, -1).T, ..."""
    return [expr[:m.start()] for m in re.finditer(r"\.reshape\(|\.T\b|\.swapaxes\(|\.squeeze\(|\[", expr)][1:] + [expr]


def _reshape_facts(q) -> list[str]:
    """The -1 worked out from the element count, and NumPy's shape after every step of the chain."""
    import numpy as np

    x = np.empty(q.shapes["x"])
    facts = [f"{x.size} elements"]
    for code in _prefixes(q.expr):
        value = eval(code, {"np": np}, {"x": x})  # noqa: S307
        facts.append(f"-> {value.shape}")
        call = re.search(r"\.reshape\(([-\d, ]+)\)$", code)
        if call and "-1" in call[1]:
            known = [int(n) for n in call[1].split(",") if n.strip() != "-1"]
            facts.append(f"-1 = {value.size} / {'·'.join(map(str, known))} = {value.size // int(np.prod(known))}"
                         if known else f"-1 = {value.size}")
    return facts


def _einsum_facts(q) -> list[str]:
    spec = q.expr.split("'")[1]
    out = spec.split("->")[1]
    sizes = {letter: n for term, shape in zip(spec.split("->")[0].split(","), q.shapes.values())
             for letter, n in zip(term, shape)}
    summed = sorted(set(spec.split("->")[0].replace(",", "")) - set(out))
    return [f"the output letters '{out}' name its axes in order: " + ", ".join(f"{c}={sizes[c]}" for c in out),
            *([f"{', '.join(summed)} not in the output, summed away"] if summed else [])]


def _matmul_facts(q) -> list[str]:
    a, b = q.shapes["a"], q.shapes["b"]
    return [f"K={a[-1]} is summed away", f"M={a[-2]} is a's second-to-last axis", f"N={b[-1]} is b's last axis",
            f"batch dims {a[:-2]} and {b[:-2]} broadcast"]


def _silent_pad_facts(q) -> list[str]:
    b, h = q.shapes["bias"][0], q.shapes["scores"][1]
    return ["-> (%d, 1, %d)" % q.shapes["bias"], f"the silent bug", f"runs only because B = {b} equals H = {h}",
            "bias[:, None, None, :]"]


WRONG_ANSWERS_EXPLAINED = {  # topic: (which question, what its working must say)
    "broadcasting": (lambda q: len(q.shapes) == 2 and q.answer != "error" and len(set(map(len, q.shapes.values()))) == 2,
                     lambda q: ["on the left with", "stretches to", f"result {q.answer}"]),
    "einsum": (lambda q: "->ij'" in q.expr and q.answer != "error", _einsum_facts),
    "matmul": (lambda q: min(map(len, q.shapes.values())) == 2 and max(map(len, q.shapes.values())) > 2
               and q.answer != "error", _matmul_facts),
    "reshape": (lambda q: q.expr.count("(") >= 2 and ", -1)" in q.expr and q.answer != "error", _reshape_facts),
    "attention": (lambda q: "bias[:, None, :]" in q.expr and q.answer != "error", _silent_pad_facts),
    "cost": (lambda q: q.expr == "kv-cache", lambda q: [f"= {show(recomputed(q.expr, q.values))}"]),
    "modern": (lambda q: q.expr.startswith("np.einsum('bgrlm,bgmk->bgrlk'") and q.answer != "error", _einsum_facts),
}


@pytest.mark.parametrize("topic", list(TOPICS))
def test_a_wrong_answer_of_every_topic_is_worked_out_step_by_step(course, topic):
    """In a terminal: the working after a wrong answer says why, step by step, in numbers NumPy agrees with."""
    assert set(WRONG_ANSWERS_EXPLAINED) == set(TOPICS)
    holds, facts = WRONG_ANSWERS_EXPLAINED[topic]
    seed = _seed_where(topic, holds)
    q = question(topic, seed, 2)
    child = spawn(course, topic, "--count", "1", "--seed", str(seed))
    child.expect(r"->")
    child.sendline("1,2,3,4,5,6,7" if topic != "cost" else "1")
    child.expect("not quite")
    child.expect(r"score: 0/1")
    said = " ".join(child.before.split())
    child.expect(pexpect.EOF)
    for fact in facts(q):
        assert " ".join(fact.split()) in said, (fact, said)
    if topic != "cost":  # a shape after every step: one line per operation, then the result
        assert said.count(" -> ") >= q.expr.count("(") + q.expr.count("[") + q.expr.count(".T") - q.expr.count("np.")
        if topic == "reshape":
            assert said.count(" -> ") == len(_prefixes(q.expr))


@pytest.mark.parametrize("args,message", [
    (["--count", "0"], "--count/-n: 0 is not a positive number of questions"),
    (["--count", "-2"], "--count/-n: -2 is not a positive number of questions"),
])
def test_a_drill_of_no_questions_is_a_usage_error(course, args, message):
    result = run(["mlgrind", "drill", *args], course)
    assert result.returncode == 2 and message in result.stderr and "score" not in result.stdout


def test_an_answer_of_too_many_dims_is_refused_without_echoing_it():
    huge = ",".join(["2"] * 200_000)
    with pytest.raises(ValueError) as refused:
        parse_answer(huge)
    assert len(str(refused.value)) < 200 and "dims" in str(refused.value)


def test_level_3_matmul_always_has_batch_dims_or_a_vector():
    for seed in range(300):
        q = question("matmul", seed, 3)
        assert max(map(len, q.shapes.values())) > 2 or min(map(len, q.shapes.values())) == 1, q


def test_a_question_without_arrays_says_so():
    q = next(q for q in (question("attention", s, 3) for s in range(500)) if not q.shapes)
    assert q.prompt().splitlines()[0].strip()


@pytest.mark.parametrize("topic", SHAPE_TOPICS)
def test_every_working_ends_where_numpy_does(topic):
    """The working of any question reaches NumPy's answer: its last step is the result, or where it fails."""
    from mlgrind.recall.drills import explain

    for q in (question(topic, seed, level) for level in LEVELS for seed in range(150)):
        lines = [line for line in explain(q).splitlines() if not line.startswith("note: ")]  # the slip it hides
        assert len(lines) >= 2, (q, lines)
        if q.answer == "error":
            assert "error" in "\n".join(lines[-2:]) or "clash" in "\n".join(lines[-2:]), (q, lines)
        else:
            assert lines[-1] == f"result {q.answer}", (q, lines)
