"""Doctests: every module of src/mlgrind is collected as with ``--doctest-modules``, tests/ is not.

``--doctest-modules`` would also import each test module a second time for doctests (and the data
files in tests/answers), so the doctest collector is attached to the package's files only.
"""

from __future__ import annotations

from pathlib import Path

from _pytest.doctest import DoctestModule

PACKAGE = Path(__file__).parent / "src" / "mlgrind"

# Running it calls mlgrind.cli.main() on import.
collect_ignore = ["src/mlgrind/__main__.py"]


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix != ".py" or PACKAGE not in file_path.parents or file_path.name == "__main__.py":
        return None
    if parent.config.option.doctestmodules:
        return None  # pytest's own doctest plugin collects it
    return DoctestModule.from_parent(parent, path=file_path)
