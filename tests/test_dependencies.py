"""pyproject.toml's dependencies: what is installed satisfies them, and what we reach into is bounded.

mlgrind.grading goes past public APIs in a few places (it subclasses nbgrader's Execute, which is
nbconvert's ExecutePreprocessor and nbclient's NotebookClient; it rebinds nbclient's ``run_sync``
wrappers with jupyter_core's ``run_sync``; it drives jupyter_client's kernel managers), so a new
major release of any of them may break grading without a warning: those carry an upper bound that
admits the versions tested here.
"""

from __future__ import annotations

import ast
import sys
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from support import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]

# Distributions whose internals the package (or the test setup) relies on, and where.
RELIED_ON = {
    "nbgrader": "grading/preprocessors/ subclasses Execute and OverwriteCells",
    "nbconvert": "nbgrader's Execute is nbconvert's ExecutePreprocessor",
    "nbclient": "grading/preprocessors/autograde_2_execute.py rebinds NotebookClient.start_new_kernel_client, uses km and kc",
    "jupyter-client": "grading/kernels.py starts AsyncKernelManager kernels Execute takes over",
    "jupyter-core": "grading/preprocessors/autograde_2_execute.py wraps coroutines with jupyter_core.utils.run_sync",
    "pytest": "conftest.py collects doctests with _pytest.doctest.DoctestModule; xdist groups tests through Node._nodeid",
}
# Imported by mlgrind.grading through public API only.
PUBLIC_ONLY = {
    "nbformat": "read, write, v4.new_output",
    "sqlalchemy": "create_engine, make_url, SQLAlchemyError (nbgrader bounds it)",
    "traitlets": "Config, PyFileConfigLoader",
    "tqdm": "a progress bar",
    "matplotlib": "get_cachedir, to lend a sandboxed kernel the font list",
    "pyzmq": "asyncio.Context.instance, the one context of a grading process's kernels",
    "alembic": "script.ScriptDirectory, the schema version nbgrader's migrations reach (nbgrader bounds it)",
}
GRADING = REPO / "src" / "mlgrind" / "grading"


def requirements(extra: str | None = None) -> list[Requirement]:
    listed = PYPROJECT["dependencies"] if extra is None else PYPROJECT["optional-dependencies"][extra]
    return [Requirement(text) for text in listed]


def declared() -> dict[str, Requirement]:
    found = {}
    for extra in [None, *PYPROJECT.get("optional-dependencies", {})]:
        for req in requirements(extra):
            found.setdefault(canonicalize_name(req.name), req)
    return found


def installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def has_upper_bound(req: Requirement) -> bool:
    return any(spec.operator in ("<", "<=", "==", "===", "~=") for spec in req.specifier)


@pytest.mark.parametrize("extra", [None, "test"])
def test_every_installed_dependency_satisfies_its_specifier(extra):
    """The package's and the test extras' requirements are installed, at versions they admit."""
    problems = []
    for req in requirements(extra):
        if req.marker and not req.marker.evaluate({"extra": extra or ""}):
            continue
        version = installed_version(req.name)
        if version is None:
            problems.append(f"{req}: not installed")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req}: {version} is installed")
    assert not problems, "\n".join(problems)


def test_optional_dependencies_that_are_installed_satisfy_their_specifiers():
    problems = []
    for extra in PYPROJECT.get("optional-dependencies", {}):
        for req in requirements(extra):
            version = installed_version(req.name)
            if version is not None and not req.specifier.contains(version, prereleases=True):
                problems.append(f"[{extra}] {req}: {version} is installed")
    assert not problems, "\n".join(problems)


def test_what_we_rely_on_past_its_public_api_has_an_upper_bound():
    reqs = declared()
    missing = [name for name in RELIED_ON if name not in reqs]
    unbounded = [str(reqs[name]) for name in RELIED_ON if name in reqs and not has_upper_bound(reqs[name])]
    assert not missing, f"declare these in pyproject.toml (with an upper bound): {missing}"
    assert not unbounded, f"give these an upper bound in pyproject.toml: {unbounded}"


def test_every_distribution_the_grading_package_imports_is_accounted_for():
    """A new import in mlgrind.grading is bounded (RELIED_ON) or known to use public API only."""
    top_level = set()
    for path in sorted(GRADING.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                top_level |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                top_level.add(node.module.split(".")[0])
    distributions = metadata.packages_distributions()
    third_party = {
        canonicalize_name(dist)
        for name in top_level - set(sys.stdlib_module_names) - {"mlgrind"}
        for dist in distributions.get(name, [name])
    }
    unaccounted = sorted(third_party - set(RELIED_ON) - set(PUBLIC_ONLY))
    assert not unaccounted, f"bound these in pyproject.toml and add them to RELIED_ON (or PUBLIC_ONLY): {unaccounted}"
