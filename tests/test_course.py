"""Unit tests for mlgrind.course: finding the course root and naming its assignments."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgrind.course import Course, CourseError, find_root


def make_course(root: Path, *assignments: str) -> Path:
    """A minimal fake course: nbgrader_config.py, source/ and one notebook per assignment."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    (root / "source").mkdir()
    for name in assignments:
        (root / "source" / name).mkdir()
        (root / "source" / name / f"{name}.ipynb").write_text("{}")
    return root


# --- find_root ----------------------------------------------------------------------------------


def test_find_root_from_the_root_itself(tmp_path):
    root = make_course(tmp_path / "course")
    assert find_root(root) == root.resolve()


def test_find_root_walks_up_from_a_nested_subfolder(tmp_path):
    root = make_course(tmp_path / "course")
    nested = root / "notebooks" / "deep" / "er"
    nested.mkdir(parents=True)
    assert find_root(nested) == root.resolve()


def test_find_root_defaults_to_current_directory(tmp_path, monkeypatch):
    root = make_course(tmp_path / "course")
    nested = root / "source" / "sub"
    nested.mkdir()
    monkeypatch.chdir(nested)
    assert find_root() == root.resolve()


def test_find_root_needs_both_config_and_source(tmp_path):
    only_config = tmp_path / "only_config"
    only_config.mkdir()
    (only_config / "nbgrader_config.py").write_text("")
    only_source = tmp_path / "only_source"
    (only_source / "source").mkdir(parents=True)
    for folder in (only_config, only_source):
        with pytest.raises(CourseError):
            find_root(folder)


def test_find_root_without_a_course_gives_a_clear_message(tmp_path):
    folder = tmp_path / "not" / "a" / "course"
    folder.mkdir(parents=True)
    with pytest.raises(CourseError) as info:
        find_root(folder)
    message = str(info.value)
    assert "no ML Grind course found" in message
    assert str(folder.resolve()) in message
    assert "nbgrader_config.py" in message and "source/" in message


def test_course_here_uses_find_root(tmp_path):
    root = make_course(tmp_path / "course")
    course = Course.here(root / "source")
    assert course.root == root.resolve()
    assert course.source == root.resolve() / "source"


# --- assignments --------------------------------------------------------------------------------


def test_assignments_are_sorted(tmp_path):
    course = Course(make_course(tmp_path / "c", "03_c", "01_a", "02_b"))
    assert course.assignments() == ["01_a", "02_b", "03_c"]


def test_assignments_only_lists_folders_holding_their_own_notebook(tmp_path):
    root = make_course(tmp_path / "c", "01_a")
    source = root / "source"
    (source / "02_empty").mkdir()  # no notebook
    (source / "03_other").mkdir()
    (source / "03_other" / "notebook.ipynb").write_text("{}")  # notebook named differently
    (source / "04_file.ipynb").write_text("{}")  # a file, not a folder
    (source / ".ipynb_checkpoints").mkdir()
    assert Course(root).assignments() == ["01_a"]


def test_assignments_empty_course(tmp_path):
    assert Course(make_course(tmp_path / "c")).assignments() == []


# --- resolve ------------------------------------------------------------------------------------


@pytest.fixture
def course(tmp_path) -> Course:
    return Course(make_course(tmp_path / "c", "01_broadcasting", "02_softmax", "10_attention"))


@pytest.mark.parametrize(
    "name, expected",
    [
        ("01_broadcasting", "01_broadcasting"),
        ("01", "01_broadcasting"),
        ("1", "01_broadcasting"),
        ("2", "02_softmax"),
        ("10", "10_attention"),
    ],
)
def test_resolve_accepts_full_id_and_number_prefix(course, name, expected):
    assert course.resolve(name) == expected


@pytest.mark.parametrize("name", ["99", "broadcasting", "01_broad", "3"])
def test_resolve_unknown_name_lists_valid_ids(course, name):
    with pytest.raises(CourseError) as info:
        course.resolve(name)
    message = str(info.value)
    assert repr(name) in message
    assert "01_broadcasting, 02_softmax, 10_attention" in message


def test_resolve_in_empty_course_says_none(tmp_path):
    with pytest.raises(CourseError, match=r"\(none\)"):
        Course(make_course(tmp_path / "c")).resolve("1")
