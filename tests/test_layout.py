"""The package's layout: layers that hold, no import cycles, nbgrader only in grading, and every module says what it is.

The structural checks read the source with ``ast`` (nothing is imported) and report every offender
at once; the layers are the ones ``src/mlgrind/__init__.py`` declares. Two checks import: the paths
notebooks import still resolve, and no first import of mlgrind lets nbformat load its slow extra.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO

PACKAGE = REPO / "src" / "mlgrind"


def module_names(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (``__init__`` names its package)."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def imported_modules(module: str, path: Path, known: set[str]) -> set[str]:
    """The mlgrind modules ``module`` imports anywhere in its file (top level or inside functions).

    ``from .x import name`` imports ``.x``, and also ``.x.name`` when that is a module;
    ``from . import name`` imports the submodule ``name`` when it is one, else the package itself.
    """
    found = set()
    package = _package_of(module, path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                while name and name not in known:  # `import mlgrind.a.b` binds mlgrind; it runs a.b
                    name = name.rpartition(".")[0]
                if name:
                    found.add(name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            submodules = {f"{origin}.{alias.name}" for alias in node.names} & known
            found |= submodules
            if origin in known and (node.module or len(submodules) < len(node.names)):
                found.add(origin)
    found.discard(module)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    modules = module_names(package)
    return {name: imported_modules(name, path, set(modules)) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``a -> b -> ... -> a``) through each group of modules that import each other."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)

    found = []
    for group in groups:
        start = min(group)
        # Shortest way back to start, inside the group.
        paths, seen = [[start]], {start}
        while paths:
            path = paths.pop(0)
            nxt_nodes = sorted(graph[path[-1]] & group)
            if start in nxt_nodes:
                found.append(path + [start])
                break
            for nxt in nxt_nodes:
                if nxt not in seen:
                    seen.add(nxt)
                    paths.append(path + [nxt])
    return sorted(found)


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"f"}, "f": {"e"}}
    assert cycles(graph) == [["a", "b", "c", "a"], ["e", "f", "e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_reads_relative_absolute_and_function_level_imports(tmp_path):
    files = {
        "__init__.py": "",
        "a.py": "from .b import thing\nfrom . import c, helper\n",
        "b.py": "def f():\n    from .sub import leaf\n",
        "c.py": "import os\nimport pkg.sub.leaf\nfrom numpy import array\n",
        "sub/__init__.py": "from .. import a\n",
        "sub/leaf.py": "from ..sub import other\nfrom pkg import b\n",
        "sub/other.py": "",
    }
    for name, text in files.items():
        (tmp_path / "pkg" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pkg" / name).write_text(text)
    assert import_graph(tmp_path / "pkg") == {
        "pkg": set(),
        "pkg.a": {"pkg.b", "pkg.c", "pkg"},  # `helper` is not a module: it comes from the package
        "pkg.b": {"pkg.sub", "pkg.sub.leaf"},
        "pkg.c": {"pkg.sub.leaf"},
        "pkg.sub": {"pkg.a"},
        "pkg.sub.leaf": {"pkg.sub", "pkg.sub.other", "pkg", "pkg.b"},
        "pkg.sub.other": set(),
    }


def test_no_module_imports_one_that_imports_it_back():
    found = cycles(import_graph())
    assert not found, "import cycles between mlgrind modules:\n" + "\n".join(" -> ".join(c) for c in found)


_LAYER = re.compile(r"^\s*layer (\d+) \([^)]*\):(.*)$", re.M)

Place = tuple[int, int]  # (layer, part within the layer)


def declared_layers(package: Path = PACKAGE) -> list[list[list[str]]]:
    """The layers the package's docstring declares, lowest first: each a list of parts, each part a
    list of dotted module names under the package (``layer 2 (drawing): shapes.html | pictures``)."""
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8"))) or ""
    rows = sorted((int(n), text) for n, text in _LAYER.findall(doc))
    assert [n for n, _ in rows] == list(range(1, len(rows) + 1)), f"layers must be numbered 1, 2, ...: {rows}"
    return [[part.split() for part in text.split("|")] for _, text in rows]


def place(module: str, layers: list[list[list[str]]]) -> Place | None:
    """The layer and part of ``module`` (a dotted name starting with the package's): the longest
    declared name that is the module or a package above it. The package itself is below every layer."""
    root, _, name = module.partition(".")
    if not name:
        return (-1, 0)
    best, found = -1, None
    for level, parts in enumerate(layers):
        for index, names in enumerate(parts):
            for declared in names:
                if (name == declared or name.startswith(declared + ".")) and len(declared) > best:
                    best, found = len(declared), (level, index)
    return found


def layer_problems(graph: dict[str, set[str]], layers: list[list[list[str]]]) -> list[str]:
    """Every module in no layer, every import from a lower layer into a higher one, and every import
    between two parts of the same layer."""
    problems = [f"{m} is in no layer" for m in sorted(graph) if place(m, layers) is None]
    for module in sorted(graph):
        here = place(module, layers)
        for imported in sorted(graph[module]):
            there = place(imported, layers)
            if here is None or there is None:
                continue
            if there[0] > here[0]:
                problems.append(f"{module} (layer {here[0] + 1}) imports {imported} (layer {there[0] + 1}), a layer above")
            elif there[0] == here[0] and there[1] != here[1]:
                problems.append(f"{module} imports {imported}: two parts of layer {here[0] + 1} that must not meet")
    return problems


def nbgrader_importers(package: Path = PACKAGE, allowed: str = "grading") -> list[str]:
    """Modules outside ``<package>.<allowed>`` that import nbgrader, anywhere in their file."""
    inside = f"{package.name}.{allowed}"
    found = []
    for module, path in module_names(package).items():
        if module == inside or module.startswith(inside + "."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            if any(n == "nbgrader" or n.startswith("nbgrader.") for n in names):
                found.append(module)
                break
    return found


def _package_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / "pkg" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "pkg" / name).write_text(text)
    return root / "pkg"


LAYERED = {
    "__init__.py": '"""A toy package.\n\n    layer 1 (base): base\n    layer 2 (work): grading | recall\n    layer 3 (top): cli\n"""\n',
    "base.py": "",
    "grading/__init__.py": "import nbgrader\n",
    "grading/steps.py": "from nbgrader.converters import Autograde\nfrom .. import base\n",
    "recall/__init__.py": "",
    "recall/drills.py": "from ..base import thing\n",
    "cli.py": "from .grading import steps\nfrom .recall import drills\n",
}


def test_a_layered_package_that_holds_has_no_problems(tmp_path):
    package = _package_tree(tmp_path, LAYERED)
    assert declared_layers(package) == [[["base"]], [["grading"], ["recall"]], [["cli"]]]
    assert layer_problems(import_graph(package), declared_layers(package)) == []
    assert nbgrader_importers(package) == []


def test_upward_and_sideways_imports_and_nbgrader_outside_grading_are_each_found(tmp_path):
    package = _package_tree(tmp_path, {
        **LAYERED,
        "base.py": "def reach():\n    from .cli import main  # inside a function still counts\n",
        "recall/drills.py": "from ..grading.steps import grade\n",
        "recall/cards.py": "def f():\n    import nbgrader.api\n",
        "extra.py": "",
    })
    layers = declared_layers(package)
    assert layer_problems(import_graph(package), layers) == [
        "pkg.extra is in no layer",
        "pkg.base (layer 1) imports pkg.cli (layer 3), a layer above",
        "pkg.recall.drills imports pkg.grading.steps: two parts of layer 2 that must not meet",
    ]
    assert nbgrader_importers(package) == ["pkg.recall.cards"]


def test_the_longest_declared_name_places_a_module():
    layers = [[["shapes"]], [["shapes.html"], ["pictures"]]]
    assert place("mlgrind.shapes.rules", layers) == (0, 0)
    assert place("mlgrind.shapes", layers) == (0, 0)
    assert place("mlgrind.shapes.html", layers) == (1, 0)
    assert place("mlgrind.shapesx", layers) is None
    assert place("mlgrind", layers) == (-1, 0)


def test_every_import_goes_down_the_declared_layers():
    problems = layer_problems(import_graph(), declared_layers())
    assert not problems, "imports against the layers in src/mlgrind/__init__.py:\n" + "\n".join(problems)


def test_only_grading_imports_nbgrader():
    found = nbgrader_importers()
    assert not found, f"nbgrader imported outside mlgrind.grading (the one part that meets it): {', '.join(found)}"


_NOTEBOOK_IMPORT = re.compile(r"^\s*from (mlgrind[\w.]*) import ([\w, ]+)$", re.M)


def test_every_mlgrind_import_in_the_notebooks_resolves():
    """Renaming a module must leave the paths that source, released and saved notebooks import."""
    import importlib

    import nbformat

    wanted = {}
    for folder in ("source", "release", "notebooks"):
        for path in sorted((REPO / folder).rglob("*.ipynb")):
            for cell in nbformat.read(str(path), as_version=4).cells:
                if cell.cell_type == "code":
                    for module, names in _NOTEBOOK_IMPORT.findall(cell.source):
                        wanted.setdefault(module, set()).update(n.strip() for n in names.split(","))
    assert {"mlgrind.checks", "mlgrind.widgets"} <= set(wanted)
    missing = [f"{module}.{name}" for module, names in sorted(wanted.items())
               for name in sorted(names) if not hasattr(importlib.import_module(module), name)]
    assert not missing, f"notebooks import names that are gone: {', '.join(missing)}"


@pytest.mark.parametrize("first", ["mlgrind.course", "mlgrind.recall.bank", "mlgrind.editor", "mlgrind.grading.submission"])
def test_reading_a_notebook_after_any_mlgrind_import_skips_the_iri_grammar(first):
    """Whatever a command imports first, nbformat's jsonschema never builds its RFC 3987 grammar (seconds)."""
    code = (f"import sys, {first}, nbformat\n"
            "nbformat.read('source/01_broadcasting/01_broadcasting.ipynb', as_version=4)\n"
            "print(sys.modules.get('rfc3987_syntax', 'absent'))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "None"


def layout_rows(readme: Path = REPO / "README.md") -> dict[str, set[str]]:
    """Each package's row in the README's layout table (``src/mlgrind/grading/`` -> ``mlgrind.grading``)
    and the names written in backticks in its role (``cli`` or ``cli.py``)."""
    section = readme.read_text(encoding="utf-8").split("\n## Layout\n", 1)[1].split("\n#", 1)[0]
    rows = {}
    for path, role in re.findall(r"^\| `src/([\w/]+?)/?` \| (.*) \|$", section, re.M):
        rows[path.replace("/", ".")] = {name.removesuffix(".py") for name in re.findall(r"`([^`]+)`", role)}
    return rows


def test_the_readme_layout_names_every_package_and_module():
    """Every module has its job in the table, except a drill topic's own module: adding a topic is one file."""
    from mlgrind.recall.drills import TOPICS

    topic_modules = {t.generate.__module__ for t in TOPICS.values()}
    rows = layout_rows()
    missing = []
    for module, path in module_names().items():
        if module in topic_modules:
            continue
        package = _package_of(module, path)
        if package not in rows:
            missing.append(f"{package} (a row for src/{package.replace('.', '/')}/)")
        elif path.name != "__init__.py" and module.rpartition(".")[2] not in rows[package]:
            missing.append(f"{module} (in the row of {package})")
    assert not missing, "the README's layout table leaves out:\n" + "\n".join(sorted(set(missing)))


def summary_problem(path: Path) -> str | None:
    """What is wrong with the opening docstring of ``path`` (None when it opens with a one-line summary)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=True)
    if doc is None:
        return "no module docstring"
    lines = doc.splitlines()
    first = lines[0].strip() if lines else ""
    if not first:
        return "the docstring's first line is empty"
    if len(lines) > 1 and lines[1].strip():
        return f"the summary runs past its first line: {first!r} continues with {lines[1].strip()!r}"
    if not first.endswith((".", "?", "!")):
        return f"the summary is not a sentence ending with a period: {first!r}"
    return None


def test_every_module_opens_with_a_one_line_summary():
    problems = {
        str(path.relative_to(REPO)): problem
        for path in module_names().values()
        if (problem := summary_problem(path))
    }
    assert not problems, "modules without a one-line summary docstring:\n" + "\n".join(
        f"{name}: {problem}" for name, problem in sorted(problems.items())
    )


def conftest_imports(folder: Path) -> list[str]:
    """``file:line`` of every import of ``conftest`` in the Python files under ``folder``.

    pytest loads conftest.py itself, for its fixtures; importing it as a module as well runs it twice
    under two names. Plain helpers belong in a plain module (tests/support.py).
    """
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            if any(name == "conftest" or name.startswith("conftest.") for name in names):
                found.append(f"{path.relative_to(folder)}:{node.lineno}")
    return found


def test_the_conftest_import_finder_finds_both_forms(tmp_path):
    (tmp_path / "test_a.py").write_text("import os\nfrom conftest import run\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "test_b.py").write_text("def f():\n    import conftest\n")
    (tmp_path / "test_c.py").write_text("from support import run\nfrom . import conftest_like\n")
    assert conftest_imports(tmp_path) == ["sub/test_b.py:2", "test_a.py:2"]


def test_no_test_imports_from_conftest():
    found = conftest_imports(REPO / "tests")
    assert not found, "imports of conftest (take fixtures by name, helpers from support.py):\n" + "\n".join(found)
