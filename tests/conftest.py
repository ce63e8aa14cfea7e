"""Fixtures only: a throw-away course copy, gradebooks and answer classes made once, PostgreSQL, Chromium.

Tests take them by name; plain helpers (``run``, ``env``, ``copy_course``…) are in support.py.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import browser_setup
from answer_classes import grade_answer_class
from pgcluster import Cluster, server_bin
from support import copy_course, run

# Every `mlgrind grade` would leave a warm grader (and its kernel) behind in each temporary course;
# tests/test_warm.py turns it on where it is the subject and stops each grader it starts.
os.environ["MLGRIND_WARM"] = "0"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A fresh copy of the course, to build and grade in without touching the repo."""
    return copy_course(tmp_path / "course")


@pytest.fixture(scope="session")
def gradebooks(tmp_path_factory):
    """Gradebooks generated once per run: ``gradebooks.into(course, "01_broadcasting")`` copies one in.

    The copy is what ``nbgrader generate_assignment`` leaves in ``autograder/gradebook.db``, the class
    gradebook ``mlgrind autograde`` and plain nbgrader grade into (a self-grade keeps its own: see
    ``selfgrade_gradebooks``).
    """

    class Gradebooks(dict):
        def __missing__(self, assignments: tuple[str, ...]) -> Path:
            template = copy_course(tmp_path_factory.mktemp("gradebook") / "course")
            for assignment in assignments:
                generated = run(["nbgrader", "generate_assignment", assignment, "--force"], template)
                assert generated.returncode == 0, generated.stderr[-3000:]
            self[assignments] = template / "autograder" / "gradebook.db"
            return self[assignments]

        def into(self, course: Path, *assignments: str) -> Path:
            shutil.copy2(self[tuple(sorted(assignments))], course / "autograder" / "gradebook.db")
            return course

    return Gradebooks()


@pytest.fixture
def generated_course(course: Path, gradebooks) -> Path:
    """``course`` whose gradebook already holds 01_broadcasting (generated once per run, copied in)."""
    return gradebooks.into(course, "01_broadcasting")


@pytest.fixture(scope="session")
def selfgrade_gradebooks(tmp_path_factory):
    """Self-grade gradebooks built once per run: ``selfgrade_gradebooks.into(course, "01_broadcasting")``.

    A course's first ``mlgrind grade`` or ``check`` of an assignment loads the hidden tests into
    ``autograder/selfgrade/gradebook.db`` (and stamps the source's digest beside it): more than half
    of that grade's time here. The template is built by a real first grade, whose learner is then
    removed, so the copy holds what the first grade built and nothing else; a later grade in the
    course finds it current, as a learner's second grade does.
    """
    from nbgrader.api import Gradebook

    class SelfGradebooks(dict):
        def __missing__(self, assignment: str) -> Path:
            template = copy_course(tmp_path_factory.mktemp("selfgrade") / "course")
            graded = run(["mlgrind", "grade", assignment, "--json"], template)
            assert graded.returncode == 0, graded.stderr[-3000:]
            learner = json.loads(graded.stdout)["student"]
            folder = template / "autograder" / "selfgrade"
            with Gradebook(f"sqlite:///{folder / 'gradebook.db'}") as gb:
                gb.remove_submission(assignment, learner)
                gb.remove_student(learner)
            self[assignment] = folder
            return folder

        def into(self, course: Path, assignment: str) -> Path:
            target = course / "autograder" / "selfgrade"
            target.mkdir(parents=True, exist_ok=True)
            for name in ("gradebook.db", "gradebook.db.sources.json"):
                shutil.copy2(self[assignment] / name, target / name)
            return course

    return SelfGradebooks()


@pytest.fixture
def selfgrade_gradebook(course: Path, selfgrade_gradebooks) -> Path:
    """01_broadcasting's self-grade gradebook, built once per run and copied into ``course``."""
    selfgrade_gradebooks.into(course, "01_broadcasting")
    return course / "autograder" / "selfgrade" / "gradebook.db"


@pytest.fixture(scope="session")
def graded_classes(tmp_path_factory, gradebooks):
    """assignment -> its answer class (answer_classes.py), graded once per run when first asked for.

    tests/test_answers.py judges its notebook students, tests/test_editor.py its module students.
    """

    class Classes(dict):
        def __missing__(self, assignment: str):
            base = tmp_path_factory.mktemp(f"answers-{assignment}")
            course = gradebooks.into(copy_course(base / "course"), assignment)
            self[assignment] = grade_answer_class(course, assignment, base / "modules")
            return self[assignment]

    return Classes()


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL cluster for the whole run; ``postgres.database()`` gives a fresh URL."""
    if server_bin() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed; `make test` installs Debian's postgresql package")
        pytest.skip("PostgreSQL's server is not installed (Debian package postgresql; `make test` installs it as root)")
    # In the system's temp folder, not pytest's: the postgres user must reach it.
    folder = Path(tempfile.mkdtemp(prefix="mlgrind-pg-"))
    try:
        cluster = Cluster(folder).start()
        yield cluster
        cluster.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """Headless Chromium (Debian's, driven by Playwright); skips and says why without it, fails under CI."""
    reason = browser_setup.missing()
    if reason and browser_setup.under_ci():
        pytest.fail(f"CI=true, so the browser test must run: it {reason}")
    if reason:
        pytest.skip(reason)
    with browser_setup.launched_chromium(tmp_path_factory.mktemp("chromium-home")) as browser:
        yield browser


# ------------------------------------------------------------------------------- parallel runs (xdist)
@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into each test's id
def pytest_collection_modifyitems(config, items):
    """Under ``pytest -n`` (``--dist loadgroup``), tests that share costly work run on one worker.

    A module- or class-scoped fixture is built once per worker that runs a test needing it, and an
    answer class once per worker that judges it: so the tests of one answer class share a group, and
    so do the tests of one module that need a module's fixture. Every other test goes where a worker
    is free.
    """
    for item in items:
        group = _shared_work(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


def _shared_work(item) -> str | None:
    if "graded_classes" in item.fixturenames:
        return f"answers-{item.callspec.params['assignment']}"
    definitions = item._fixtureinfo.name2fixturedefs
    if any(definitions[name][-1].scope in ("module", "class") for name in item.fixturenames if name in definitions):
        return item.module.__name__
    return None
