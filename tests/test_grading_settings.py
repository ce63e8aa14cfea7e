"""Unit tests of the course settings and the paths they give, the limits, and grading's restore rule."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from support import REPO

from mlgrind.course import Course
from mlgrind.course.limits import Limits, memory_argument, memory_from_arguments, parse_memory, size_text
from mlgrind.course.settings import Settings, notebook_name
from mlgrind.grading.submission import restored_cells

A = "01_broadcasting"


@pytest.fixture
def settings(course, monkeypatch) -> Settings:
    for name in ("MLGRIND_DB_URL", "MLGRIND_CELL_TIMEOUT", "MLGRIND_KERNEL_MEMORY"):
        monkeypatch.delenv(name, raising=False)
    return Settings.load(course)


def test_every_folder_and_notebook_is_where_the_course_config_puts_it(course, settings):
    assert settings.root == course
    assert settings.source == course / "source" and settings.release == course / "release"
    graded = course / "autograder"
    assert (settings.submitted, settings.autograded, settings.feedback) == (
        graded / "submitted", graded / "autograded", graded / "feedback")
    assert settings.notebook("source", A) == course / "source" / A / f"{A}.ipynb"
    assert settings.notebook("release", A) == course / "release" / A / f"{A}.ipynb"
    assert settings.notebook("submitted", A, "bob") == graded / "submitted" / "bob" / A / f"{A}.ipynb"
    assert settings.notebook("autograded", A, "bob") == graded / "autograded" / "bob" / A / f"{A}.ipynb"
    assert settings.feedback_html(A, "bob") == graded / "feedback" / "bob" / A / f"{A}.html"
    assert notebook_name(A) == f"{A}.ipynb"
    assert settings.db_url == f"sqlite:///{course}/autograder/gradebook.db?timeout=60"
    assert settings.gradebook_file == graded / "gradebook.db"


def test_a_bare_config_gets_nbgraders_defaults(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    settings = Settings.load(tmp_path)
    assert settings.source == tmp_path / "source" and settings.submitted == tmp_path / "submitted"
    assert settings.notebook("feedback", A, "x").parent == tmp_path / "feedback" / "x" / A
    assert settings.gradebook_file == tmp_path / "gradebook.db"
    assert settings.limits == Limits(cell_timeout=30, kernel_memory=None)


def test_course_reads_its_settings_once_and_takes_its_folders_from_them(course):
    c = Course(course)
    assert c.settings is c.settings
    assert c.source == c.settings.source and c.release == c.settings.release
    assert c.release_notebook(A) == c.settings.notebook("release", A)
    assert c.learner_notebook(A) == course / "notebooks" / f"{A}.ipynb"


def test_overrides_give_a_copy_and_leave_the_loaded_settings_alone(settings):
    before = copy.deepcopy(settings.config)
    scratch = settings.with_overrides(CourseDirectory={"release_directory": "/tmp/scratch-release"})
    assert scratch.release == Path("/tmp/scratch-release")
    assert scratch.assignment_folder("release", A) == Path("/tmp/scratch-release") / A
    assert settings.config == before and settings.release == settings.root / "release"


@pytest.mark.parametrize("url, file", [
    ("sqlite:////srv/grades/gradebook.db?timeout=30", Path("/srv/grades/gradebook.db")),
    ("sqlite:////srv/grades/gradebook.db", Path("/srv/grades/gradebook.db")),
    ("sqlite:///relative.db", Path("relative.db")),
    ("sqlite://", None),
    ("postgresql+psycopg://grader:pw@db.example.org:5432/mlgrind", None),
])
def test_the_sqlite_file_is_read_from_the_url_by_sqlalchemy(course, monkeypatch, url, file):
    monkeypatch.setenv("MLGRIND_DB_URL", url)
    assert Settings.load(course).gradebook_file == file


def test_limits_are_the_numbers_the_config_set(course, monkeypatch):
    monkeypatch.setenv("MLGRIND_CELL_TIMEOUT", "3")
    monkeypatch.setenv("MLGRIND_KERNEL_MEMORY", "300M")
    limits = Settings.load(course).limits
    assert limits == Limits(cell_timeout=3, kernel_memory=300 * 2**20)
    assert limits.explain("CellTimeoutError", "loop") == ("cell timed out", "loop ran past the 3 s limit (an infinite loop?)")
    assert limits.explain("MemoryError", "hog") == ("out of memory", "hog went past the 300 MiB memory limit")
    assert limits.explain("ValueError", "x") is None


def test_an_instructors_edit_of_the_config_shows_in_the_messages(course, monkeypatch):
    monkeypatch.delenv("MLGRIND_CELL_TIMEOUT", raising=False)
    config = course / "autograder" / "nbgrader_config.py"
    text = config.read_text()
    text = text.replace('os.environ.get("MLGRIND_CELL_TIMEOUT", "60")', '"45"')
    text = text.replace('os.environ.get("MLGRIND_KERNEL_MEMORY", "4G")', '"6G"')
    config.write_text(text)
    limits = Settings.load(course).limits
    assert limits.explain("CellTimeoutError", "c")[1] == "c ran past the 45 s limit (an infinite loop?)"
    assert limits.explain("MemoryError", "c")[1] == "c went past the 6 GiB memory limit"


def test_a_config_written_before_settings_moved_to_course_still_loads(tmp_path):
    """Earlier course configs import the limits and the URL helper from ``mlgrind.grading``."""
    (tmp_path / "nbgrader_config.py").write_text(
        "from mlgrind.grading.limits import memory_argument, parse_memory\n"
        "from mlgrind.grading.settings import with_busy_timeout\n"
        "c = get_config()\n"
        "c.CourseDirectory.db_url = with_busy_timeout('sqlite:///' + 'old.db')\n"
        "c.Execute.extra_arguments = [memory_argument(parse_memory('2G'))]\n"
    )
    settings = Settings.load(tmp_path)
    assert settings.limits.kernel_memory == 2 * 2**30
    assert settings.db_url == "sqlite:///old.db?timeout=60"


def test_unknown_limits_are_named_without_numbers():
    limits = Limits(cell_timeout=None, kernel_memory=None)
    assert limits.explain("CellTimeoutError", "c")[1] == "c ran past the time limit (an infinite loop?)"
    assert limits.explain("MemoryError", "c")[1] == "c went past the kernel's memory limit"


@pytest.mark.parametrize("text, n", [("4G", 4 * 2**30), ("512M", 512 * 2**20), ("1.5g", 3 * 2**29),
                                     ("1048576", 2**20), (" 2GiB ", 2 * 2**30), ("64K", 64 * 2**10)])
def test_memory_sizes_parse_and_round_trip_through_the_kernel_argument(text, n):
    assert parse_memory(text) == n
    assert memory_from_arguments(["--IPKernelApp.log_level=ERROR", memory_argument(n)]) == n


def test_a_bad_memory_size_names_itself():
    with pytest.raises(ValueError, match="'lots' is not a size like 4G"):
        parse_memory("lots")


def test_sizes_read_as_a_person_writes_them():
    assert [size_text(n) for n in (4 * 2**30, 300 * 2**20, 3 * 2**29, 512)] == ["4 GiB", "300 MiB", "1.5 GiB", "512 bytes"]


@pytest.mark.parametrize("assignment", sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir()))
def test_restored_cells_follow_nbgraders_own_rule(assignment):
    from nbgrader.utils import is_locked

    nb = nbformat.read(str(REPO / "source" / assignment / f"{assignment}.ipynb"), as_version=4)
    expected = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells if is_locked(c) and "grade_id" in c.metadata.get("nbgrader", {})}
    assert set(restored_cells(nb)) == expected
    assert expected


@pytest.mark.parametrize("url, waiting", [
    ("sqlite:////srv/gradebook.db", "sqlite:////srv/gradebook.db?timeout=60"),
    ("sqlite:////srv/gradebook.db?timeout=5", "sqlite:////srv/gradebook.db?timeout=5"),
    ("sqlite:////srv/gradebook.db?mode=ro&uri=true", "sqlite:////srv/gradebook.db?mode=ro&uri=true&timeout=60"),
    ("sqlite://", "sqlite://"),
    ("postgresql+psycopg://grader:pw@db.example.org/mlgrind", "postgresql+psycopg://grader:pw@db.example.org/mlgrind"),
])
def test_a_sqlite_gradebook_waits_for_a_lock_as_nbgrader_opens_it(course, monkeypatch, url, waiting):
    from sqlalchemy import create_engine

    monkeypatch.setenv("MLGRIND_DB_URL", url)
    settings = Settings.load(course)
    assert settings.db_url == settings.config.CourseDirectory.db_url == waiting
    if waiting.startswith("sqlite:///") and "uri=true" not in waiting:
        engine = create_engine(waiting)
        assert engine.dialect.create_connect_args(engine.url)[1]["timeout"] == float(waiting.rsplit("=", 1)[1])
