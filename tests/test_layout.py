"""The package's layout: no import cycles between mlgrind modules, and every module says what it is.

Both checks read the source with ``ast`` (nothing is imported) and report every offender at once.
"""

from __future__ import annotations

import ast
from pathlib import Path

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
